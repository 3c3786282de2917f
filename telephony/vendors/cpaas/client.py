"""Client of the self-hosted Asterisk CPaaS (seed 002): calls, callbacks, lists, DND
lists, campaigns, CDRs and statistics (all 19 endpoints of the document).

Account: `base_url` is the server (the API lives under <base_url>/api/), config
`account` is the account id header, secret `auth` the account auth header.

Retries: call-creating POSTs (click2call, outbound_call, callback create, campaign
create) are never retried; the CDR and statistics reads are, POSTs included.

The document shows no error body; we follow vendor-contracts.md §3's GUESS (see
validation.classify): {"status": "error", "message": …} with 401 for bad auth and 400
for a bad field, possibly with HTTP 200, and {"response": {"success": "false", …}}.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import partial

from telephony.vendors.base import (
    ConnectionCheck,
    InvalidRequest,
    MalformedResponse,
    NormalizedCDR,
    Page,
    PlacedCall,
    VendorError,
)
from telephony.vendors.client_base import VendorClient

from . import validation as v
from .mapping import to_normalized_cdr
from .types import (
    CALLBACK_RECORDING,
    CALLER_ID_RE,
    CHANNEL_RE,
    CLICK2CALL_RECORDING,
    DATETIME_FORMAT,
    EXTENSION_OR_NUMBER_RE,
    MAX_CDR_PAGE,
    RETRY_STATUSES,
    CampaignType,
    CdrStatistics,
    Contact,
    CpaasCampaign,
    DndContact,
    LiveCallStatistics,
    ModifyType,
    TtsOptions,
    placeholders,
)

__all__ = [
    "CampaignType",
    "Contact",
    "CpaasClient",
    "DndContact",
    "ModifyType",
    "TtsOptions",
]


class CpaasClient(VendorClient):
    vendor = "cpaas"

    # -- plumbing

    def _headers(self) -> dict:
        errors = {}
        account = v.required(errors, "account", self.config.get("account"))
        auth = v.required(errors, "auth", self.secrets.get("auth"))
        if not (self.account.base_url or "").strip():
            errors["base_url"] = "is required."
        v.raise_errors(errors)
        return {"account": account, "auth": auth, "Content-Type": "application/json"}

    def _call(
        self,
        method: str,
        name: str,
        body: dict | None = None,
        *,
        idempotent: bool | None = None,
        required: tuple[str, ...] = (),
        empty_ok: bool = False,
    ) -> dict:
        headers = self._headers()
        response = self.http.request(
            method,
            self.url(self.account.base_url, f"api/{name}"),
            endpoint=name,
            json_body=body,
            headers=headers,
            idempotent=idempotent,
            classify=partial(v.classify, required=required, empty_ok=empty_ok),
        )
        return response.data["response"]

    def _placed(self, inner: dict) -> PlacedCall:
        request_id = str(inner["request_id"])
        return PlacedCall(
            vendor_call_id=request_id,
            reference_id=request_id,
            message=str(inner.get("message", "")),
            raw=inner,
        )

    # -- calls (never retried: a retry could ring someone twice)

    def click2call(
        self,
        *,
        agent_number: str,
        destination_number: str,
        caller_id: str,
        recording_option: str = "off",
        transcript: bool | str = False,
    ) -> PlacedCall:
        """Ring the agent, then the destination, and bridge them (`transcript`: True/False
        or the vendor's "on"/"off")."""
        errors = {}
        body = {
            "agent_number": v.number(errors, "agent_number", agent_number),
            "caller_id": v.number(errors, "caller_id", caller_id, CALLER_ID_RE),
            "destination_number": v.number(errors, "destination_number", destination_number),
            "recording_option": v.choice(
                errors, "recording_option", recording_option, CLICK2CALL_RECORDING
            ),
            "transcript": v.on_off(errors, "transcript", transcript),
        }
        v.raise_errors(errors)
        return self._placed(
            self._call("POST", "click2call", body, idempotent=False, required=("request_id",))
        )

    def otp_call(
        self,
        *,
        customer_number: str,
        otp: str,
        announce_template_id: str,
        caller_id: str,
        repeat: int = 1,
        tts: TtsOptions | None = None,
    ) -> PlacedCall:
        """Announce a one-time password (endpoint outbound_call)."""
        errors = {}
        body = {
            "customer_number": v.number(errors, "customer_number", customer_number),
            "otp": v.required(errors, "otp", otp),
            "announce_template_id": v.required(
                errors, "announce_template_id", announce_template_id
            ),
            "repeat": v.positive(errors, "repeat", repeat),
            "caller_id": v.number(errors, "caller_id", caller_id, CALLER_ID_RE),
            **(tts or TtsOptions()).body(errors),
        }
        if body["otp"] and not body["otp"].isalnum():
            errors["otp"] = "must be letters and digits only."
        v.raise_errors(errors)
        # The OTP is a secret: the seam redacts it (every spelling) from audit rows, logs
        # and error messages, on top of the `otp` field name it already redacts.
        self.http.add_secret(body["otp"])
        return self._placed(
            self._call("POST", "outbound_call", body, idempotent=False, required=("request_id",))
        )

    def modify_call(
        self, *, channel: str, modify_type: ModifyType | int, transfer_to: str = ""
    ) -> str:
        """Transfer (blind/attended), hang up or start recording a live call; returns the
        vendor's message. Not retried: a repeated transfer would move the call twice."""
        errors = {}
        try:
            kind = ModifyType(int(modify_type))
        except (TypeError, ValueError):
            errors["modify_type"] = "must be 0 (blind transfer), 1 (attended), 2 (hangup) or 3."
            kind = None
        body = {"channel": v.required(errors, "channel", channel)}
        if body["channel"] and not CHANNEL_RE.fullmatch(body["channel"]):
            errors["channel"] = "must be an Asterisk channel such as PJSIP/101-0000023c."
        if kind is not None:
            body["modify_type"] = str(int(kind))
        if kind in (ModifyType.BLIND_TRANSFER, ModifyType.ATTENDED_TRANSFER):
            body["transfer_to"] = v.number(
                errors, "transfer_to", transfer_to, EXTENSION_OR_NUMBER_RE
            )
        v.raise_errors(errors)
        return str(self._call("POST", "modify_call", body, required=("message",))["message"])

    def blind_transfer(self, *, channel: str, transfer_to: str) -> str:
        return self.modify_call(
            channel=channel, modify_type=ModifyType.BLIND_TRANSFER, transfer_to=transfer_to
        )

    def attended_transfer(self, *, channel: str, transfer_to: str) -> str:
        return self.modify_call(
            channel=channel, modify_type=ModifyType.ATTENDED_TRANSFER, transfer_to=transfer_to
        )

    def hangup(self, *, channel: str) -> str:
        return self.modify_call(channel=channel, modify_type=ModifyType.HANGUP)

    def start_recording(self, *, channel: str) -> str:
        return self.modify_call(channel=channel, modify_type=ModifyType.START_RECORDING)

    # -- callbacks

    def create_callback(
        self,
        *,
        agent_number: str,
        destination_number: str,
        caller_id: str,
        scheduled_at: datetime | str,
        time_zone: str,
        recording_option: str = "off",
    ) -> PlacedCall:
        """Schedule a click-to-call for a future moment (naive datetimes and strings are
        local to `time_zone`). Never retried: a duplicate would call twice."""
        errors = {}
        zone = v.zone(errors, "time_zone", time_zone)
        local = v.local_datetime(errors, "scheduled_at", scheduled_at, zone)
        v.in_future(errors, "scheduled_at", local, zone)
        body = {
            "agent_number": v.number(errors, "agent_number", agent_number),
            "caller_id": v.number(errors, "caller_id", caller_id, CALLER_ID_RE),
            "destination_number": v.number(errors, "destination_number", destination_number),
            "recording_option": v.choice(
                errors, "recording_option", recording_option, CALLBACK_RECORDING
            ),
            "time_zone": str(time_zone or "").strip(),
            "scheduled_at": local.strftime(DATETIME_FORMAT) if local else "",
        }
        v.raise_errors(errors)
        return self._placed(
            self._call("POST", "callback", body, idempotent=False, required=("request_id",))
        )

    def update_callback(
        self,
        *,
        request_id: str,
        agent_number: str | None = None,
        destination_number: str | None = None,
        caller_id: str | None = None,
        recording_option: str | None = None,
        scheduled_at: datetime | str | None = None,
        time_zone: str | None = None,
    ) -> str:
        """Change a scheduled callback (only the fields given). The document's PATCH has
        no time_zone: an aware `scheduled_at` needs `time_zone` to be written locally,
        and it is then sent too. Idempotent (same body, same result): retried."""
        errors = {}
        body = {"request_id": v.required(errors, "request_id", request_id)}
        if agent_number is not None:
            body["agent_number"] = v.number(errors, "agent_number", agent_number)
        if destination_number is not None:
            body["destination_number"] = v.number(errors, "destination_number", destination_number)
        if caller_id is not None:
            body["caller_id"] = v.number(errors, "caller_id", caller_id, CALLER_ID_RE)
        if recording_option is not None:
            body["recording_option"] = v.choice(
                errors, "recording_option", recording_option, CALLBACK_RECORDING
            )
        zone = None
        if time_zone is not None:
            zone = v.zone(errors, "time_zone", time_zone)
            body["time_zone"] = str(time_zone).strip()
        if scheduled_at is not None:
            local = v.local_datetime(errors, "scheduled_at", scheduled_at, zone)
            if local is None and "scheduled_at" not in errors:
                errors["scheduled_at"] = "an aware datetime needs time_zone."
            v.in_future(errors, "scheduled_at", local, zone)
            if local is not None:
                body["scheduled_at"] = local.strftime(DATETIME_FORMAT)
        if len(body) == 1 and not errors:
            errors["__all__"] = "Nothing to change."
        v.raise_errors(errors)
        inner = self._call("PATCH", "callback", body, idempotent=True, required=("message",))
        return str(inner["message"])

    def delete_callback(self, *, request_id: str) -> str:
        errors = {}
        body = {"request_id": v.required(errors, "request_id", request_id)}
        v.raise_errors(errors)
        # Not retried: a retry after a lost answer would report "already processed".
        return str(self._call("DELETE", "callback", body, idempotent=False)["message"])

    # -- contact and DND lists

    def create_list(self, *, list_name: str) -> str:
        """A campaign contact list; returns its list_id (e.g. LSdb6a12e1f1)."""
        errors = {}
        body = {"list_name": v.required(errors, "list_name", list_name)}
        v.raise_errors(errors)
        return str(
            self._call("POST", "create_campaign_list", body, required=("list_id",))["list_id"]
        )

    def add_contacts(
        self, *, list_id: str, contacts: Iterable[Contact | dict], batch_size: int = 500
    ) -> int:
        """Add contacts in batches of `batch_size`; returns how many the vendor imported.
        All are validated before the first batch is sent."""
        errors = {}
        v.required(errors, "list_id", list_id)
        rows = []
        for index, item in enumerate(contacts):
            contact = Contact.coerce(item)
            row = {
                "contact_name": str(contact.name or ""),
                "contact_number": v.number(errors, f"contacts[{index}]", contact.number),
            }
            if contact.fields:
                row["contact_fields"] = {
                    str(key): str(value) for key, value in contact.fields.items()
                }
            rows.append(row)
        if not rows:
            errors["contacts"] = "is required."
        v.raise_errors(errors)
        return sum(
            v.imported_count(
                self._call(
                    "POST",
                    "add_contact_to_list",
                    {"list_id": list_id, "contacts": rows[start : start + batch_size]},
                    required=("message",),
                )["message"]
            )
            for start in range(0, len(rows), max(1, batch_size))
        )

    def import_contacts_csv(self, *, list_id: str, csv_name: str) -> int:
        """Import a CSV file already in the server's S3 bucket into a list."""
        errors = {}
        body = {
            "list_id": v.required(errors, "list_id", list_id),
            "csv_name": v.required(errors, "csv_name", csv_name),
        }
        if body["csv_name"] and not body["csv_name"].lower().endswith(".csv"):
            errors["csv_name"] = "must name a .csv file."
        v.raise_errors(errors)
        inner = self._call("POST", "import_broadcast_contacts_csv", body, required=("message",))
        return v.imported_count(inner["message"])

    def create_dnd_list(self, *, dnd_list_name: str) -> str:
        """A campaign DND list; returns its dnd_list_id (e.g. DNda1b361461)."""
        errors = {}
        body = {"dnd_list_name": v.required(errors, "dnd_list_name", dnd_list_name)}
        v.raise_errors(errors)
        inner = self._call("POST", "create_campaign_dnd_list", body, required=("dnd_list_id",))
        return str(inner["dnd_list_id"])

    def add_dnd_contacts(
        self,
        *,
        dnd_list_id: str,
        contacts: Iterable[DndContact | dict | str],
        batch_size: int = 500,
    ) -> int:
        errors = {}
        v.required(errors, "dnd_list_id", dnd_list_id)
        rows = []
        for index, item in enumerate(contacts):
            contact = DndContact.coerce(item)
            rows.append(
                {
                    "dnd_contact_name": str(contact.name or ""),
                    "dnd_contact_number": v.number(
                        errors, f"dnd_contacts[{index}]", contact.number
                    ),
                }
            )
        if not rows:
            errors["dnd_contacts"] = "is required."
        v.raise_errors(errors)
        return sum(
            v.imported_count(
                self._call(
                    "POST",
                    "add_dnd_contact_to_list",
                    {"dnd_list_id": dnd_list_id, "dnd_contacts": rows[start : start + batch_size]},
                    required=("message",),
                )["message"]
            )
            for start in range(0, len(rows), max(1, batch_size))
        )

    def import_dnd_contacts_csv(self, *, dnd_list_id: str, dnd_csv_name: str) -> int:
        errors = {}
        body = {
            "dnd_list_id": v.required(errors, "dnd_list_id", dnd_list_id),
            "dnd_csv_name": v.required(errors, "dnd_csv_name", dnd_csv_name),
        }
        if body["dnd_csv_name"] and not body["dnd_csv_name"].lower().endswith(".csv"):
            errors["dnd_csv_name"] = "must name a .csv file."
        v.raise_errors(errors)
        inner = self._call("POST", "import_dnd_contacts_csv", body, required=("message",))
        return v.imported_count(inner["message"])

    # -- campaigns

    def create_campaign(
        self,
        *,
        list_id: str,
        campaign_name: str,
        caller_id: str,
        start: datetime | str,
        end: datetime | str,
        time_zone: str = "UTC",
        campaign_type: CampaignType | int = CampaignType.ANNOUNCEMENT,
        announcement_text: str = "",
        recorded_filename: str = "",
        dnd_list_id: str = "",
        calls_per_minute: int = 10,
        repeat: int = 1,
        max_retries: int = 0,
        retry_time: int = 60,
        retry_on_statuses: Iterable[str] = (),
        tts: TtsOptions | None = None,
    ) -> str:
        """Create a campaign dialing `list_id` minus `dnd_list_id` between `start` and
        `end` (local to `time_zone`). Give either `announcement_text` (dynamic TTS with
        {field} placeholders from each contact's fields) or `recorded_filename` (a
        pre-uploaded .wav). Returns the campaign_id. Never retried: it dials people."""
        errors = {}
        try:
            kind = CampaignType(int(campaign_type))
        except (TypeError, ValueError):
            errors["campaign_type"] = "must be 0 (announcement) or 1 (IVR)."
            kind = CampaignType.ANNOUNCEMENT
        text = (announcement_text or "").strip()
        recorded = (recorded_filename or "").strip()
        if bool(text) == bool(recorded):
            errors["announcement_text"] = "give either an announcement text or a recorded file."
        if recorded and not recorded.lower().endswith(".wav"):
            errors["recorded_filename"] = "must be a .wav file."
        if text and ("" in placeholders(text) or text.count("{") != text.count("}")):
            errors["announcement_text"] = "placeholders must look like {field1}."
        zone = v.zone(errors, "time_zone", time_zone)
        start_local = v.local_datetime(errors, "campaign_start_date", start, zone)
        end_local = v.local_datetime(errors, "campaign_end_date", end, zone)
        if start_local and end_local and end_local <= start_local:
            errors["campaign_end_date"] = "must be after the start."
        else:
            v.in_future(errors, "campaign_end_date", end_local, zone)
        statuses = [str(status).strip().upper().replace(" ", "") for status in retry_on_statuses]
        if any(status not in RETRY_STATUSES for status in statuses):
            errors["retry_on_statuses"] = f"must be among {', '.join(RETRY_STATUSES)}."
        body = {
            "list_id": v.required(errors, "list_id", list_id),
            "dnd_list_id": str(dnd_list_id or "").strip(),
            "campaign_name": v.required(errors, "campaign_name", campaign_name),
            "campaign_type": str(int(kind)),
            "campaign_caller_id": v.number(errors, "caller_id", caller_id, CALLER_ID_RE),
            "dynamic_announcement": "1" if text else "0",
            "recorded_filename": recorded,
            "announcement_text": text,
            "campaign_start_date": start_local.strftime(DATETIME_FORMAT) if start_local else "",
            "campaign_end_date": end_local.strftime(DATETIME_FORMAT) if end_local else "",
            "time_zone": str(time_zone or "").strip(),
            "repeat": v.positive(errors, "repeat", repeat),
            "max_retries": v.positive(errors, "max_retries", max_retries, minimum=0),
            "retry_time": v.positive(errors, "retry_time", retry_time, minimum=0),
            "calls_per_minute": v.positive(errors, "calls_per_minute", calls_per_minute),
            **(tts or TtsOptions()).body(errors),
        }
        if statuses:
            body["retry_on_statuses"] = ",".join(statuses)
        v.raise_errors(errors)
        inner = self._call(
            "POST", "create_campaign", body, idempotent=False, required=("campaign_id",)
        )
        return str(inner["campaign_id"])

    def stop_campaign(self, *, campaign_id: str) -> str:
        """Stop dialing; returns the vendor's message. Stopping twice is harmless, so it
        is retried. The curl example's /api/stop_campaign is used (its URL line says
        /stop_campaign)."""
        errors = {}
        body = {"campaign_id": v.required(errors, "campaign_id", campaign_id)}
        v.raise_errors(errors)
        return str(
            self._call("POST", "stop_campaign", body, idempotent=True, required=("message",))[
                "message"
            ]
        ).strip()

    def get_campaign_details(self) -> list[CpaasCampaign]:
        inner = self._call("GET", "get_campaign_details", empty_ok=True)
        return [CpaasCampaign.from_row(row) for row in v.result_list(inner)]

    def get_campaign(self, campaign_id: str) -> CpaasCampaign | None:
        return next(
            (row for row in self.get_campaign_details() if row.campaign_id == campaign_id), None
        )

    # -- CDRs (POST reads: safe to retry)

    def get_cdr_by_date(
        self,
        *,
        start_date: date | str,
        end_date: date | str,
        record_count: int = MAX_CDR_PAGE,
        offset: int = 0,
    ) -> Page[NormalizedCDR]:
        """One page of CDRs whose call date (UTC) is within the dates, inclusive."""
        errors = {}
        body = {
            "start_call_date": v.day(errors, "start_call_date", start_date),
            "end_call_date": v.day(errors, "end_call_date", end_date),
            "record_count": v.positive(errors, "record_count", record_count),
            "offset": v.positive(errors, "offset", offset, minimum=0),
        }
        if not errors and body["end_call_date"] < body["start_call_date"]:
            errors["end_call_date"] = "must not be before the start date."
        v.raise_errors(errors)
        inner = self._call("POST", "get_cdr_by_date", body, idempotent=True, empty_ok=True)
        rows = v.result_list(inner)
        items = [to_normalized_cdr(row) for row in rows]
        full = rows and len(rows) >= int(body["record_count"])
        return Page(items=items, next_cursor=int(body["offset"]) + len(rows) if full else None)

    def iter_cdr_by_date(
        self, *, start_date: date | str, end_date: date | str, page_size: int = MAX_CDR_PAGE
    ) -> Iterator[NormalizedCDR]:
        """Every CDR in the dates, walking record_count/offset pages until a short one."""
        offset, seen = 0, set()
        while True:
            page = self.get_cdr_by_date(
                start_date=start_date, end_date=end_date, record_count=page_size, offset=offset
            )
            fresh = [item for item in page.items if item.vendor_call_id not in seen]
            if page.items and not fresh:
                raise MalformedResponse(
                    "The CPaaS server answered the same CDR page twice (offset ignored?).",
                    vendor=self.vendor,
                )
            seen.update(item.vendor_call_id for item in page.items)
            yield from page.items
            if page.next_cursor is None:
                return
            offset = page.next_cursor

    def all_cdr_by_date(self, **kwargs) -> list[NormalizedCDR]:
        return list(self.iter_cdr_by_date(**kwargs))

    def get_cdr_by_request_id(self, *, request_id: str) -> list[NormalizedCDR]:
        errors = {}
        body = {"request_id": v.required(errors, "request_id", request_id)}
        v.raise_errors(errors)
        inner = self._call("POST", "get_cdr_by_request_id", body, idempotent=True, empty_ok=True)
        return [to_normalized_cdr(row) for row in v.result_list(inner)]

    def get_cdr_by_campaign_id(self, *, campaign_id: str) -> list[NormalizedCDR]:
        errors = {}
        body = {"campaign_id": v.required(errors, "campaign_id", campaign_id)}
        v.raise_errors(errors)
        inner = self._call("POST", "get_cdr_by_campaign_id", body, idempotent=True, empty_ok=True)
        return [
            to_normalized_cdr(row, campaign_id=body["campaign_id"]) for row in v.result_list(inner)
        ]

    # -- statistics

    def get_cdr_statistics(self) -> CdrStatistics:
        return CdrStatistics.from_result(
            self._call("GET", "get_cdr_statistics", required=("result",))["result"]
        )

    def get_campaign_cdr_statistics(self, *, campaign_id: str) -> CdrStatistics:
        errors = {}
        body = {"campaign_id": v.required(errors, "campaign_id", campaign_id)}
        v.raise_errors(errors)
        inner = self._call(
            "POST", "get_campaign_cdr_statistics", body, idempotent=True, required=("result",)
        )
        return CdrStatistics.from_result(inner["result"])

    def get_live_call_statistics(self) -> LiveCallStatistics:
        inner = self._call("GET", "get_live_call_statistics", required=("result",))
        return LiveCallStatistics.from_result(inner["result"])

    def check_connection(self) -> ConnectionCheck:
        """The cheapest read: live call statistics (a GET with no body)."""
        try:
            stats = self.get_live_call_statistics()
        except VendorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        except InvalidRequest as exc:
            return ConnectionCheck(ok=False, message=f"Account settings incomplete: {exc}")
        return ConnectionCheck(
            ok=True,
            message=(
                f"success: true; live calls: {stats.click2call} click2call, "
                f"{stats.otp} OTP, {stats.campaign} campaign, {stats.inbound} inbound"
            ),
            detail=stats.raw,
        )
