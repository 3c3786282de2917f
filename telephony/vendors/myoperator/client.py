"""MyOperator: the OBD (outbound dialer) API and the developers REST API, one account.

Account config: `company_id`, `obd_url`, `rest_base_url`; secrets: `secret_token` and
`x_api_key` (OBD), `rest_token` (REST). Shapes and messages: vendor-contracts.md §1-2.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from telephony.vendors.base import (
    ConnectionCheck,
    InvalidRequest,
    MalformedResponse,
    NormalizedCDR,
    Page,
    PlacedCall,
)
from telephony.vendors.client_base import VendorClient

from .contract import (
    DEFAULT_OBD_URL,
    DEFAULT_REST_BASE_URL,
    DIGITS,
    E164,
    MAX_CALL_DURATION,
    MAX_PAGE_SIZE,
    MAX_REFERENCE_ID,
    OBD_TYPES,
    DuplicateReference,
    LogFilter,
    MyOperatorUser,
    build_filters_expression,
    check_user_fields,
    classify_obd,
    classify_rest,
    first_url,
    is_int,
    unix_seconds,
    user_form,
    validate_filters_expression,
)
from .mapping import is_call, log_to_cdr

__all__ = ["DuplicateReference", "LogFilter", "MyOperatorClient", "MyOperatorUser"]


class MyOperatorClient(VendorClient):
    vendor = "myoperator"

    # --- configuration ---------------------------------------------------------------------

    @property
    def obd_url(self) -> str:
        return self.config.get("obd_url") or DEFAULT_OBD_URL

    @property
    def rest_base_url(self) -> str:
        return self.config.get("rest_base_url") or self.account.base_url or DEFAULT_REST_BASE_URL

    def _secret(self, name: str) -> str:
        return str(self.secrets.get(name) or "")

    # --- OBD ------------------------------------------------------------------------------

    def place_obd_call(
        self,
        *,
        number: str,
        public_ivr_id: str,
        reference_id: str,
        call_type: int = 1,
        user_id: str | None = None,
        number_2: str | None = None,
        region: str | None = None,
        group: str | None = None,
        caller_id: str | None = None,
        max_call_duration: int | None = None,
        call_hold: bool | None = None,
        std_code: str | None = None,
        custom_1: str | None = None,
        custom_2: str | None = None,
    ) -> PlacedCall:
        """POST the OBD API: type 1 peer-to-peer (`user_id` XOR `number_2`) or type 2 IVR.

        Dedicated DID: `caller_id` wins over `group`, which wins over `region`."""
        errors = {}
        company_id = str(self.config.get("company_id") or "")
        for name, value in (
            ("company_id", company_id),
            ("secret_token", self._secret("secret_token")),
            ("x_api_key", self._secret("x_api_key")),
        ):
            if not value:
                errors[name] = "Not configured on this account."
        if not isinstance(number, str) or not E164.match(number):
            errors["number"] = "Must be E.164 with a leading '+', e.g. +919212992129."
        if call_type not in OBD_TYPES or isinstance(call_type, bool):
            errors["call_type"] = "1 (peer-to-peer) or 2 (IVR)."
        elif call_type == 1:
            if user_id and number_2:
                errors["user_id"] = "Give a user_id or a number_2, not both."
            elif not user_id and not number_2:
                errors["user_id"] = "A peer-to-peer call needs a user_id or a number_2."
        elif user_id or number_2:
            errors["user_id"] = "An IVR call takes neither user_id nor number_2."
        if number_2 and (not isinstance(number_2, str) or not E164.match(number_2)):
            errors["number_2"] = "Must be E.164 with a leading '+'."
        if not public_ivr_id:
            errors["public_ivr_id"] = "Required."
        if not isinstance(reference_id, str) or not reference_id.strip():
            errors["reference_id"] = "Required: a unique id for this call."
        elif len(reference_id) > MAX_REFERENCE_ID:
            errors["reference_id"] = f"At most {MAX_REFERENCE_ID} characters."
        if max_call_duration is not None and not (
            is_int(max_call_duration) and 0 < max_call_duration <= MAX_CALL_DURATION
        ):
            errors["max_call_duration"] = f"A whole number of seconds, 1 to {MAX_CALL_DURATION}."
        if call_hold is not None and not isinstance(call_hold, bool):
            errors["call_hold"] = "True or False."
        if errors:
            raise InvalidRequest(errors)

        body: dict[str, Any] = {
            "company_id": company_id,
            "secret_token": self._secret("secret_token"),
            "type": str(call_type),
            "number": number,
            "public_ivr_id": str(public_ivr_id),
            "reference_id": reference_id,
        }
        optional = {
            "user_id": user_id,
            "number_2": number_2,
            "region": region,
            "group": group,
            "caller_id": caller_id,
            "max_call_duration": max_call_duration,
            "call_hold": call_hold,
            "std_code": std_code,
            "custom_1": custom_1,
            "custom_2": custom_2,
        }
        body.update({name: value for name, value in optional.items() if value is not None})
        # Never retried: OBD has no idempotency key, and it refuses a reference_id it saw in
        # the last ~2 days ("already taken"). A blind retry after a lost answer could dial
        # the customer twice or, if the first attempt got through, come back as "already
        # taken" and hide that the call was placed. A caller that re-sends the SAME
        # reference_id after a timeout must treat DuplicateReference as "the first one
        # went through".
        response = self.http.request(
            "POST",
            self.obd_url,
            endpoint="obd-api-v1",
            json_body=body,
            headers={"x-api-key": self._secret("x_api_key"), "Accept": "application/json"},
            idempotent=False,
            classify=classify_obd,
        )
        data = response.data
        if not data.get("unique_id"):
            raise MalformedResponse(
                "The OBD API accepted the call but sent no unique_id.",
                vendor=self.vendor,
                status_code=response.status_code,
                payload=data,
            )
        return PlacedCall(
            vendor_call_id=str(data["unique_id"]),
            reference_id=str(data.get("reference_id") or reference_id),
            message=str(data.get("details") or ""),
            raw=data,
        )

    def call_user(self, *, number: str, user_id: str, public_ivr_id: str, reference_id: str, **kw):
        """Peer-to-peer "User Dial": connect `number` with the panel user `user_id`."""
        return self.place_obd_call(
            number=number,
            user_id=user_id,
            public_ivr_id=public_ivr_id,
            reference_id=reference_id,
            call_type=1,
            **kw,
        )

    def call_numbers(
        self, *, number: str, number_2: str, public_ivr_id: str, reference_id: str, **kw
    ):
        """Peer-to-peer "Anonymous Dial": connect `number` with `number_2`."""
        return self.place_obd_call(
            number=number,
            number_2=number_2,
            public_ivr_id=public_ivr_id,
            reference_id=reference_id,
            call_type=1,
            **kw,
        )

    def call_ivr(self, *, number: str, public_ivr_id: str, reference_id: str, **kw):
        """Type 2: play the public IVR `public_ivr_id` to `number`."""
        return self.place_obd_call(
            number=number,
            public_ivr_id=public_ivr_id,
            reference_id=reference_id,
            call_type=2,
            **kw,
        )

    # --- REST: plumbing ---------------------------------------------------------------------

    def _rest(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json_body: dict | None = None,
        data: dict | None = None,
        idempotent: bool | None = None,
    ) -> dict:
        token = self._secret("rest_token")
        if not token:
            raise InvalidRequest({"rest_token": "No REST API token is configured."})
        # Seed 001: "API token must be provided as part of the query string for all
        # requests, using the 'token' variable". So it goes there, every method, and
        # only there (a body copy is what some working clients add, not the document).
        # The seam redacts it from the URL in audit rows, logs and error messages.
        params = {"token": token, **(params or {})}
        response = self.http.request(
            method,
            self.url(self.rest_base_url, path),
            endpoint=path,
            params=params,
            json_body=json_body,
            data=data,
            idempotent=idempotent,
            classify=classify_rest,
        )
        return response.data

    # --- REST: logs -----------------------------------------------------------------------

    def search_logs(
        self,
        *,
        date_from: datetime | int | None = None,
        date_to: datetime | int | None = None,
        search_key: str | None = None,
        filters: str | None = None,
        log_from: int = 0,
        page_size: int = 20,
    ) -> Page[dict]:
        """One page of `POST /search`: items are the hits' `_source` log records;
        `next_cursor` is the next `log_from`, None on the last page."""
        errors: dict[str, str] = {}
        payload: dict[str, Any] = {}
        for name, value in (("from", date_from), ("to", date_to)):
            unix = unix_seconds(value, name, errors)
            if unix is not None:
                payload[name] = unix
        if "from" in payload and "to" in payload and int(payload["from"]) > int(payload["to"]):
            errors["to"] = "Must not be before from."
        if not (is_int(page_size) and 1 <= page_size <= MAX_PAGE_SIZE):
            errors["page_size"] = f"1 to {MAX_PAGE_SIZE}."
        if not (is_int(log_from) and log_from >= 0):
            errors["log_from"] = "An offset of 0 or more."
        if filters:
            try:
                payload["filters"] = validate_filters_expression(filters)
            except InvalidRequest as exc:
                errors.update(exc.errors)
        if errors:
            raise InvalidRequest(errors)
        if search_key:
            payload["search_key"] = search_key
        payload.update(log_from=str(log_from), page_size=str(page_size))
        # A search only reads, so retrying it is safe even though it is a POST.
        data = self._rest("POST", "search", json_body=payload, idempotent=True)
        body = data.get("data")
        if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
            raise MalformedResponse("The /search answer has no data.hits list.", payload=data)
        hits = body["hits"]
        total = body.get("total")
        if isinstance(total, dict):  # Elasticsearch 7 style {"value": n, "relation": …}
            total = total.get("value")
        total = total if is_int(total) else None
        items = [hit.get("_source", {}) for hit in hits if isinstance(hit, dict)]
        next_from = log_from + len(hits)
        last = len(hits) < page_size or (total is not None and next_from >= total)
        return Page(items=items, total=total, next_cursor=None if last else next_from)

    def iter_logs(self, *, page_size: int = MAX_PAGE_SIZE, **criteria) -> Iterator[dict]:
        """Every log record matching `criteria` (see search_logs), walking all pages:
        advance `log_from` by the hits received; stop on a short page or at `total`."""
        log_from = 0
        while True:
            page = self.search_logs(log_from=log_from, page_size=page_size, **criteria)
            yield from page.items
            if page.next_cursor is None:
                return
            log_from = page.next_cursor

    def iter_cdrs(self, **criteria) -> Iterator[NormalizedCDR]:
        """Call logs (SMS logs skipped) as NormalizedCDRs."""
        for source in self.iter_logs(**criteria):
            if is_call(source):
                yield log_to_cdr(source)

    def list_filters(self) -> list[LogFilter]:
        """`GET /filters`: categories (parent_id 0) and the filters inside them."""
        data = self._rest("GET", "filters")
        items = data.get("data")
        if not isinstance(items, list):
            raise MalformedResponse("The /filters answer has no data list.", payload=data)
        return [
            LogFilter(
                id=str(item.get("id")),
                name=str(item.get("name") or ""),
                parent_id=str(item.get("parent_id") if item.get("parent_id") is not None else ""),
                raw=item,
            )
            for item in items
            if isinstance(item, dict) and item.get("id") is not None
        ]

    def filters_expression(self, filter_ids: Iterable[str | int]) -> str:
        """Build a `filters` expression from ids, checked against this account's list."""
        return build_filters_expression(filter_ids, self.list_filters())

    # --- REST: calls and recordings --------------------------------------------------------

    def click_to_call(
        self, *, customer_number: str, customer_cc: str, support_user_id: str
    ) -> PlacedCall:
        """`POST /clickOcall`: ring the panel user, then the customer. Never retried (it
        places a call and has no idempotency key)."""
        errors = {}
        if not isinstance(customer_number, str) or not DIGITS.match(customer_number):
            errors["customer_number"] = "Digits only, without the country code."
        if not isinstance(customer_cc, str) or not DIGITS.match(customer_cc.lstrip("+")):
            errors["customer_cc"] = "A country code in digits, e.g. 91."
        if not support_user_id:
            errors["support_user_id"] = "Required: the panel user who takes the call."
        if errors:
            raise InvalidRequest(errors)
        data = self._rest(
            "POST",
            "clickOcall",
            data={
                "customer_number": customer_number,
                "customer_cc": customer_cc.lstrip("+"),
                "support_user_id": support_user_id,
            },
            idempotent=False,
        )
        inner = data.get("data") if isinstance(data.get("data"), dict) else {}
        return PlacedCall(
            vendor_call_id=str(inner.get("unique_id") or data.get("unique_id") or ""),
            reference_id=str(inner.get("reference_id") or ""),
            message=str(data.get("message") or ""),
            raw=data,
        )

    def recording_link(self, file: str) -> str:
        """`GET /recordings/link`: a download link for a log's `filename`, valid 24 h."""
        if not file or not isinstance(file, str) or "/" in file:
            raise InvalidRequest({"file": "The log's recording filename, e.g. abc…-v2.mp3."})
        data = self._rest("GET", "recordings/link", params={"file": file})
        link = first_url(data)
        if not link:
            raise MalformedResponse("The recording answer holds no link.", payload=data)
        return link

    # --- REST: users ------------------------------------------------------------------------

    def list_users(
        self, *, keyword: str | None = None, page: int = 1, page_size: int = 20
    ) -> Page[MyOperatorUser]:
        """One page of `GET /user`; `next_cursor` is the next page number or None."""
        errors = {}
        if not (is_int(page) and page >= 1):
            errors["page"] = "1 or more."
        if not (is_int(page_size) and 1 <= page_size <= MAX_PAGE_SIZE):
            errors["page_size"] = f"1 to {MAX_PAGE_SIZE}."
        if errors:
            raise InvalidRequest(errors)
        params: dict[str, Any] = {"page": page, "page-size": page_size}
        if keyword:
            params["keyword"] = keyword
        data = self._rest("GET", "user", params=params)
        users = self._users(data)
        # `next_page` is a GUESS (one public client reads it); a short page ends too.
        more = len(users) >= page_size
        if "next_page" in data:
            more = more and data["next_page"] not in (None, "", 0, False)
        return Page(items=users, total=data.get("total"), next_cursor=page + 1 if more else None)

    def iter_users(self, *, keyword: str | None = None, page_size: int = MAX_PAGE_SIZE):
        page = 1
        while True:
            result = self.list_users(keyword=keyword, page=page, page_size=page_size)
            yield from result.items
            if result.next_cursor is None:
                return
            page = result.next_cursor

    def list_all_users(self, *, keyword: str | None = None) -> list[MyOperatorUser]:
        """`GET /user?_all=1`: every user in one answer."""
        params: dict[str, Any] = {"_all": 1}
        if keyword:
            params["keyword"] = keyword
        return self._users(self._rest("GET", "user", params=params))

    def _users(self, data: dict) -> list[MyOperatorUser]:
        items = data.get("data")
        if not isinstance(items, list):
            raise MalformedResponse("The /user answer has no data list.", payload=data)
        return [MyOperatorUser.from_vendor(item) for item in items if isinstance(item, dict)]

    def add_user(
        self,
        *,
        name: str,
        contact_number: str,
        country_code: str,
        extension: int | None = None,
        email: str | None = None,
        alternate_contact_number: str | None = None,
        alternate_cc: str | None = None,
        panel_access: int | None = None,
        receive_calls: int | None = None,
        contact_type: str | None = None,
    ) -> MyOperatorUser:
        """`POST /user`. Not retried: a lost answer plus a retry would add the user twice
        (the second would fail on the unique contact number and hide the first)."""
        fields = {
            "name": name,
            "contact_number": contact_number,
            "country_code": country_code,
            "extension": extension,
            "email": email,
            "alternate_contact_number": alternate_contact_number,
            "alternate_cc": alternate_cc,
            "panel_access": panel_access,
            "receive_calls": receive_calls,
            "contact_type": contact_type,
        }
        errors = {}
        for required in ("name", "contact_number", "country_code"):
            if not fields[required] or not str(fields[required]).strip():
                errors[required] = "Required."
        check_user_fields({k: v for k, v in fields.items() if k not in errors}, errors)
        if errors:
            raise InvalidRequest(errors)
        data = self._rest("POST", "user", data=user_form(fields), idempotent=False)
        user = data.get("data")
        if not isinstance(user, dict):
            raise MalformedResponse("The add-user answer has no user.", payload=data)
        return MyOperatorUser.from_vendor(user)

    def update_user(self, *, uuid: str, **fields) -> str:
        """`PUT /user` (form-encoded, like public clients): change any add-user field.
        Returns the vendor's success message."""
        allowed = {
            "name",
            "contact_number",
            "country_code",
            "extension",
            "email",
            "alternate_contact_number",
            "alternate_cc",
            "panel_access",
            "receive_calls",
            "contact_type",
        }
        errors = {name: "Not a user field." for name in fields if name not in allowed}
        if not uuid or not str(uuid).strip():
            errors["uuid"] = "Required: the user's unique id."
        if "name" in fields and not str(fields["name"] or "").strip():
            errors["name"] = "Must not be blank."
        check_user_fields(fields, errors)
        if errors:
            raise InvalidRequest(errors)
        data = self._rest("PUT", "user", data=user_form({"uuid": uuid, **fields}))
        return str(data.get("message") or "")

    # --- connection check -------------------------------------------------------------------

    def check_connection(self) -> ConnectionCheck:
        """Read the REST filters list. The OBD API has only its call endpoint, so its
        credentials are reported as present, never exercised (that would place a call)."""
        obd_missing = [
            name
            for name, value in (
                ("company id", self.config.get("company_id")),
                ("secret token", self._secret("secret_token")),
                ("x-api-key", self._secret("x_api_key")),
            )
            if not value
        ]
        obd_note = (
            "OBD credentials present (not tested: the OBD API's only endpoint places a call)."
            if not obd_missing
            else f"OBD not usable: no {', '.join(obd_missing)}."
        )
        if not self._secret("rest_token"):
            return ConnectionCheck(
                ok=False, message=f"No REST API token, so nothing can be tested. {obd_note}"
            )
        filters = self.list_filters()
        usable = [item for item in filters if not item.is_category]
        return ConnectionCheck(
            ok=True,
            message=f"REST API token accepted: {len(usable)} log filters. {obd_note}",
            detail={"filters": len(filters), "obd_configured": not obd_missing},
        )
