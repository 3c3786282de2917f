"""Omilia OCP numbers and phone-number-sets client (seed 003, vendor-contracts.md §4).

Every endpoint of "How to manage batch numbers through API" has a typed method here;
requests are validated before sending, sent with a Keycloak bearer token (auth.py) and
re-sent once with a renewed token when the API answers 401. Omilia places no calls, so
there is no CallStatus mapping: numbers map to the `OmiliaNumber` record instead, which
the phone_numbers app stores (defined in records.py, re-exported here).

The numbers-set endpoints live in sets.py (a mixin), sign-in in auth.py, input checks
in validation.py.
"""

import csv
import io
from collections.abc import Iterator, Sequence
from urllib.parse import quote

from ..base import (
    AuthFailed,
    ConnectionCheck,
    InvalidRequest,
    MalformedResponse,
    Page,
    Rejected,
    VendorError,
)
from ..client_base import VendorClient
from ..http import VendorResponse, extract_message, non_vendor_message
from .auth import KeycloakAuth, RegionURLs, resolve_urls
from .records import (
    AvailableNumber,
    NumberCsvRow,
    NumberSet,
    NumberStatus,
    OmiliaNumber,
    OperationResult,
    PurchasedNumber,
    PurchaseResult,
    number_status,
    text,
)
from .sets import NumberSetsAPI
from .validation import (
    CSV_COLUMNS,
    CSV_OPERATION_COLUMN,
    MAX_PAGES,
    NUMBER_FRAGMENT,
    PREFIX,
    Checks,
    CsvOperation,
    drop_none,
    validate_csv_text,
)

__all__ = [
    "AvailableNumber",
    "CsvOperation",
    "NumberCsvRow",
    "NumberSet",
    "NumberStatus",
    "OmiliaClient",
    "OmiliaNumber",
    "OperationResult",
    "PurchaseResult",
    "PurchasedNumber",
    "RegionURLs",
    "classify_api_response",
    "number_status",
]


def classify_api_response(response: VendorResponse) -> VendorError | None:
    """The integrations service's own refusals (401 stays an auth failure by default)."""
    data = response.data
    status = response.status_code
    if status in (402, 403):
        # OCP's 403 is "most often No available licenses" or a group the user is not in:
        # a refusal of this request, not of our credentials.
        message = extract_message(data) or non_vendor_message(response)
        return Rejected(message, status_code=status, payload=data)
    if status < 300 and isinstance(data, dict) and data.get("success") is False:
        message = str(data.get("message") or "The vendor reported no success.")
        return Rejected(message, status_code=status, payload=data)
    return None


# --- the client --------------------------------------------------------------------------


class OmiliaClient(KeycloakAuth, NumberSetsAPI, VendorClient):
    """Omilia OCP numbers and sets: config `region` (EU1, US1, US2, US1W) or the
    account's custom `base_url` plus config `token_url`; config `username`; secrets
    `password` and optional `otp`."""

    vendor = "omilia"

    def __init__(self, account, **kwargs):
        super().__init__(account, **kwargs)
        self._init_auth()

    @property
    def urls(self) -> RegionURLs:
        return resolve_urls(
            region=str(self.config.get("region") or ""),
            base_url=getattr(self.account, "base_url", "") or "",
            token_url=str(self.config.get("token_url") or ""),
        )

    # --- plumbing ------------------------------------------------------------------------

    def _api(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: dict | None = None,
        json_body=None,
        files: dict | None = None,
        idempotent: bool | None = None,
        expect_json: bool = True,
    ) -> VendorResponse:
        """Send one API request with a bearer token; on 401 renew the token once and
        repeat, then give up with AuthFailed."""
        url = self.url(self.urls.api_base, path)
        for attempt in (1, 2):
            token = self.access_token()
            try:
                return self.http.request(
                    method,
                    url,
                    endpoint=endpoint,
                    params=params,
                    json_body=json_body,
                    files=files,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    classify=classify_api_response,
                    idempotent=idempotent,
                    expect_json=expect_json,
                )
            except AuthFailed as exc:
                if exc.status_code != 401 or attempt == 2:
                    raise
                self.invalidate_access_token()
        raise AssertionError("unreachable")  # pragma: no cover

    def _malformed(self, what: str, response: VendorResponse) -> MalformedResponse:
        return MalformedResponse(
            f"The vendor's answer is not {what}.",
            vendor=self.vendor,
            status_code=response.status_code,
            payload=response.data,
        )

    def _result(self, response: VendorResponse) -> OperationResult:
        data = response.data
        if not isinstance(data, dict) or not isinstance(data.get("success"), bool):
            raise self._malformed('a {"success", "message"} object', response)
        return OperationResult(success=data["success"], message=text(data.get("message")), raw=data)

    def _numbers_page(self, response: VendorResponse) -> Page[OmiliaNumber]:
        data = response.data
        if not isinstance(data, dict) or not isinstance(data.get("numbers"), list):
            raise self._malformed("a page of numbers", response)
        items = [OmiliaNumber.from_vendor(record) for record in data["numbers"]]
        page = data.get("page") if isinstance(data.get("page"), int) else 1
        pages = data.get("numberOfPages") if isinstance(data.get("numberOfPages"), int) else 0
        total = data.get("allNumbers") if isinstance(data.get("allNumbers"), int) else None
        next_page = page + 1 if items and page < pages else None
        return Page(items=items, total=total, next_cursor=next_page)

    @staticmethod
    def _walk(fetch, page_size: int) -> Iterator[OmiliaNumber]:
        page = 1
        for _ in range(MAX_PAGES):
            result = fetch(page, page_size)
            yield from result.items
            if result.next_cursor is None:
                return
            page = result.next_cursor

    # --- managing phone numbers ------------------------------------------------------

    def list_numbers(
        self,
        *,
        page: int = 1,
        page_size: int = 50,
        search_term: str | None = None,
        order_by: str | None = None,
        direction: str | None = None,
    ) -> Page[OmiliaNumber]:
        """GET /api/numbers: the numbers of the user's groups, one page."""
        checks = Checks()
        checks.paging(page, page_size, order_by, direction)
        checks.done()
        # Omilia's own client sends these as query parameters (the doc says "Body").
        params = drop_none(
            {
                "page": page,
                "pageSize": page_size,
                "searchTerm": search_term,
                "orderBy": order_by,
                "direction": direction,
            }
        )
        response = self._api("GET", "/api/numbers", endpoint="/api/numbers", params=params)
        return self._numbers_page(response)

    def iter_numbers(self, *, page_size: int = 100, **filters) -> Iterator[OmiliaNumber]:
        """Every number of list_numbers, walking all pages."""
        return self._walk(
            lambda page, size: self.list_numbers(page=page, page_size=size, **filters), page_size
        )

    def all_numbers(self, *, page_size: int = 100, **filters) -> list[OmiliaNumber]:
        return list(self.iter_numbers(page_size=page_size, **filters))

    def available_numbers(
        self, *, provider: str, code: str, group: str, prefix: str | None = None
    ) -> list[AvailableNumber]:
        """POST /api/numbers: numbers a provider offers for purchase."""
        checks = Checks()
        checks.required("provider", provider)
        checks.country("code", code, required=True)
        checks.required("group", group)
        if prefix is not None and not PREFIX.match(prefix):
            checks.fail("prefix", "Digits with an optional leading +.")
        checks.done()
        body = drop_none({"provider": provider, "prefix": prefix, "code": code, "group": group})
        # A search: safe to retry.
        response = self._api(
            "POST", "/api/numbers", endpoint="/api/numbers", json_body=body, idempotent=True
        )
        if not isinstance(response.data, list):
            raise self._malformed("a list of available numbers", response)
        offers = []
        for item in response.data:
            if not isinstance(item, dict) or not isinstance(item.get("number"), str):
                raise self._malformed("a list of available numbers", response)
            offers.append(
                AvailableNumber(
                    number=item["number"],
                    country=text(item.get("country")),
                    locality=text(item.get("locality")),
                    region=text(item.get("region")),
                    price=item.get("price") or 0,
                    raw=item,
                )
            )
        return offers

    def buy_numbers(
        self, *, provider: str, numbers: Sequence[str], group: str, note: str | None = None
    ) -> PurchaseResult:
        """PUT /api/numbers: buy numbers from the provider for a group."""
        checks = Checks()
        checks.required("provider", provider)
        checks.numbers("numbers", numbers)
        checks.required("group", group)
        checks.done()
        body = drop_none(
            {"provider": provider, "numbers": list(numbers), "group": group, "note": note}
        )
        # A purchase costs money: never repeated blindly, although it is a PUT.
        response = self._api(
            "PUT", "/api/numbers", endpoint="/api/numbers", json_body=body, idempotent=False
        )
        data = response.data
        if not isinstance(data, dict) or not isinstance(data.get("purchasedNumbers"), list):
            raise self._malformed("a purchase result", response)
        purchased = [
            PurchasedNumber(number=text(item.get("number")), id=text(item.get("id")))
            for item in data["purchasedNumbers"]
            if isinstance(item, dict)
        ]
        failed = [str(number) for number in data.get("failedNumbers") or []]
        return PurchaseResult(purchased=purchased, failed=failed, raw=data)

    def update_numbers_group(self, *, numbers: Sequence[str], group: str) -> OperationResult:
        """PUT /api/numbers/group: move numbers to another group."""
        checks = Checks()
        checks.numbers("numbers", numbers)
        checks.required("group", group)
        checks.done()
        body = {"numbers": list(numbers), "group": group}
        response = self._api(
            "PUT", "/api/numbers/group", endpoint="/api/numbers/group", json_body=body
        )
        return self._result(response)

    def detach_numbers(self, *, numbers: Sequence[str]) -> OperationResult:
        """PUT /api/numbers/detach: detach numbers from their miniApp."""
        checks = Checks()
        checks.numbers("numbers", numbers)
        checks.done()
        response = self._api(
            "PUT",
            "/api/numbers/detach",
            endpoint="/api/numbers/detach",
            json_body={"numbers": list(numbers)},
        )
        return self._result(response)

    def apply_numbers_csv(
        self,
        rows: Sequence[NumberCsvRow] | None = None,
        *,
        csv_text: str | None = None,
        filename: str = "numbers.csv",
    ) -> OperationResult:
        """PUT /api/numbers/csv: create/delete/attach/detach/update numbers from a CSV
        file (given as rows, or as the text of a file from export_numbers_csv plus an
        operation column)."""
        if (rows is None) == (csv_text is None):
            raise InvalidRequest({"csv": "Give either rows or csv_text."})
        if rows is not None:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=[CSV_OPERATION_COLUMN, *CSV_COLUMNS])
            writer.writeheader()
            for row in rows:
                writer.writerow(row.as_csv())
            csv_text = buffer.getvalue()
        validate_csv_text(csv_text)
        response = self._api(
            "PUT",
            "/api/numbers/csv",
            endpoint="/api/numbers/csv",
            # Seed 003 names the form-data part `File`; Spring matches part names
            # exactly, so a lower-case `file` would be "not present".
            files={"File": (filename, csv_text.encode("utf-8"), "text/csv")},
            # Creates and deletes rows: a repeat could apply them twice.
            idempotent=False,
        )
        return self._result(response)

    def _search_body(self, checks: Checks, filters: dict) -> dict:
        number = filters.get("number")
        if number is not None and not NUMBER_FRAGMENT.match(str(number)):
            checks.fail("number", "Digits with an optional leading +.")
        checks.locale("locale", filters.get("locale"), required=False)
        groups = filters.get("groups")
        if groups is not None and (isinstance(groups, str) or not isinstance(groups, Sequence)):
            checks.fail("groups", "Give a list of group ids.")
        return drop_none(
            {
                "miniAppName": filters.get("mini_app_name"),
                "miniAppType": filters.get("mini_app_type"),
                "number": number,
                "locale": filters.get("locale"),
                "note": filters.get("note"),
                "setId": filters.get("set_id"),
                "groups": list(groups) if groups is not None else None,
            }
        )

    def export_numbers_csv(
        self,
        *,
        mini_app_name: str | None = None,
        mini_app_type: str | None = None,
        number: str | None = None,
        locale: str | None = None,
        note: str | None = None,
        set_id: str | None = None,
        groups: Sequence[str] | None = None,
        page: int | None = None,
        page_size: int | None = None,
        order_by: str | None = None,
        direction: str | None = None,
    ) -> str:
        """POST /api/numbers/csv: the numbers matching an advanced search, as CSV text
        (every match unless page/page_size ask for one page)."""
        checks = Checks()
        body = self._search_body(checks, locals())
        if page is not None or page_size is not None:
            checks.paging(page or 1, page_size or 50, order_by, direction)
        else:
            checks.paging(1, 1, order_by, direction)
        checks.done()
        body.update(
            drop_none(
                {"page": page, "pageSize": page_size, "orderBy": order_by, "direction": direction}
            )
        )
        response = self._api(
            "POST",
            "/api/numbers/csv",
            endpoint="/api/numbers/csv",
            json_body=body,
            idempotent=True,
            expect_json=False,
        )
        # Documented as a JSON "string"; a plain text/csv body is accepted as well.
        if isinstance(response.data, str):
            return response.data
        if response.data is not None:
            raise self._malformed("CSV text", response)
        return response.text

    def attach_numbers(
        self,
        *,
        numbers: Sequence[str],
        mini_app_id: str,
        locale: str,
        application_tag: str | None = None,
    ) -> OperationResult:
        """PUT /api/numbers/attach: route numbers to a miniApp."""
        checks = Checks()
        checks.numbers("numbers", numbers)
        checks.required("mini_app_id", mini_app_id)
        checks.locale("locale", locale, required=True)
        checks.done()
        body = drop_none(
            {
                "numbers": list(numbers),
                "miniAppId": mini_app_id,
                "locale": locale,
                "applicationTag": application_tag,
            }
        )
        response = self._api(
            "PUT", "/api/numbers/attach", endpoint="/api/numbers/attach", json_body=body
        )
        return self._result(response)

    def update_number_note(self, *, number: str, note: str) -> OperationResult:
        """PUT /api/number/note (singular "number" in the path, as documented)."""
        checks = Checks()
        checks.number("number", number)
        if not isinstance(note, str):
            checks.fail("note", "The note is required (an empty text clears it).")
        checks.done()
        response = self._api(
            "PUT",
            "/api/number/note",
            endpoint="/api/number/note",
            json_body={"number": number, "note": note},
        )
        return self._result(response)

    def search_numbers(
        self,
        *,
        mini_app_name: str | None = None,
        mini_app_type: str | None = None,
        number: str | None = None,
        locale: str | None = None,
        note: str | None = None,
        set_id: str | None = None,
        groups: Sequence[str] | None = None,
        page: int = 1,
        page_size: int = 50,
        order_by: str | None = None,
        direction: str | None = None,
    ) -> Page[OmiliaNumber]:
        """POST /api/numbers/search: an advanced search, one page."""
        checks = Checks()
        body = self._search_body(checks, locals())
        checks.paging(page, page_size, order_by, direction)
        checks.done()
        body.update(
            drop_none(
                {"page": page, "pageSize": page_size, "orderBy": order_by, "direction": direction}
            )
        )
        response = self._api(
            "POST",
            "/api/numbers/search",
            endpoint="/api/numbers/search",
            json_body=body,
            idempotent=True,
        )
        return self._numbers_page(response)

    def iter_search_numbers(self, *, page_size: int = 100, **filters) -> Iterator[OmiliaNumber]:
        """Every match of search_numbers, walking all pages."""
        return self._walk(
            lambda page, size: self.search_numbers(page=page, page_size=size, **filters),
            page_size,
        )

    def add_numbers(
        self,
        *,
        numbers: Sequence[str],
        group: str,
        country: str | None = None,
        mini_app_id: str | None = None,
        locale: str | None = None,
        log_ani: bool | None = None,
        log_dnis: bool | None = None,
        note: str | None = None,
        application_tag: str | None = None,
    ) -> OperationResult:
        """POST /api/numbers/direct: add numbers (owned elsewhere) straight to OCP."""
        checks = Checks()
        checks.numbers("numbers", numbers)
        checks.required("group", group)
        checks.country("country", country, required=False)
        checks.locale("locale", locale, required=False)
        for name, value in (("log_ani", log_ani), ("log_dnis", log_dnis)):
            if value is not None and not isinstance(value, bool):
                checks.fail(name, "Must be true or false.")
        checks.done()
        body = drop_none(
            {
                "numbers": list(numbers),
                "group": group,
                "country": country,
                "miniAppId": mini_app_id,
                "locale": locale,
                "logAni": log_ani,
                "logDnis": log_dnis,
                "note": note,
                "applicationTag": application_tag,
            }
        )
        response = self._api(
            "POST", "/api/numbers/direct", endpoint="/api/numbers/direct", json_body=body
        )
        return self._result(response)

    def delete_number(self, *, number: str) -> OperationResult:
        """DELETE /api/numbers/delete/{number}."""
        checks = Checks()
        checks.number("number", number)
        checks.done()
        response = self._api(
            "DELETE",
            f"/api/numbers/delete/{quote(number, safe='')}",
            endpoint="/api/numbers/delete/{number}",
        )
        return self._result(response)

    # --- connection check ------------------------------------------------------------

    def check_connection(self) -> ConnectionCheck:
        """Sign in and list one number (pageSize=1)."""
        try:
            urls = self.urls
            page = self.list_numbers(page=1, page_size=1)
        except InvalidRequest as exc:
            return ConnectionCheck(ok=False, message=str(exc))
        total = page.total if page.total is not None else len(page.items)
        username = self.config.get("username", "")
        return ConnectionCheck(
            ok=True,
            message=f"Signed in as {username}; {total} number(s) visible.",
            detail={"api_base": urls.api_base, "numbers": total},
        )
