"""The OCA Telkom call gateway v1 client (seed 004, vendor-contracts.md §5).

HTTP Basic auth with the OCA dashboard login (config `username`, secret `password`);
bare JSON arrays and objects on success; errors as
`{"errors":[{"message": <text or express-validator list>, "code": <int or "int">}]}`.
OCA v1 has no paging: every list endpoint returns the whole list.
"""

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telephony.vendors.base import (
    AuthFailed,
    ConnectionCheck,
    Fault,
    InvalidRequest,
    MalformedResponse,
    NormalizedCDR,
    PlacedCall,
    RateLimited,
    Rejected,
    Unavailable,
    VendorError,
)
from telephony.vendors.client_base import VendorClient
from telephony.vendors.http import VendorResponse, parse_retry_after

from .errors import rule_for, validation_fault
from .mapping import cdr_from_status, parse_time

DEFAULT_BASE_URL = "https://call.ocatelkom.co.id/api/v1"

# GUESS (vendor-contracts.md §5): the doc leaves these two paths blank. The client tries
# them in order until one exists (an unknown route is a 404 without OCA's error body);
# config `audio_list_path` / `numbers_path` pins one.
AUDIO_LIST_PATHS = ("/audio-list", "/list-audio")
NUMBERS_PATHS = ("/number", "/numbers")

MP3_CONTENT_TYPES = {"audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3", "audio/x-mp3"}

# The doc's numbers are Indonesian: 081211122xxxx, 02184788xxx, 62857xxxxxxx. A national
# significant number is 7 to 12 digits after 0, 62 or +62.
_ID_NUMBER = re.compile(r"^(?:\+62|62|0)([1-9]\d{6,11})$")
_FORMATTING = str.maketrans("", "", " -.()")


def national_number(number: str) -> str | None:
    """The national significant number of an Indonesian number, or None."""
    match = _ID_NUMBER.match(str(number or "").translate(_FORMATTING))
    return match.group(1) if match else None


def wire_number(number: str) -> str:
    """An Indonesian number as OCA's `to_number` takes it: 62 and the national digits,
    no `+`, no formatting (6281211122333). Dialdesk keeps E.164 everywhere else.

    Seed 004 only says "String (Destination phone number)". Of the spellings its numbers
    come in (08…, 62…, +62…) the digits-only 62… form is the one a gateway that checks
    "digits only" and one that routes international digits both accept; a `+` is the
    spelling a digits-only validator refuses, and 08… leans on a national trunk prefix."""
    national = national_number(number)
    if national is None:
        raise ValueError(f"{number!r} is not an Indonesian number")
    return "62" + national


def is_mp3(content: bytes) -> bool:
    """An ID3 tag or an MPEG audio frame sync (11 set bits: 0xFF 0xE0 and up)."""
    if content[:3] == b"ID3":
        return True
    return len(content) >= 2 and content[0] == 0xFF and (content[1] & 0xE0) == 0xE0


def _code(value: Any) -> int | str | None:
    """OCA sends `code` as a number (17) or a string ("39"); keep ints as ints."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else text or None


def _message(value: Any) -> str:
    """An OCA error message: text, or express-validator items as "param: msg"."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                msg = str(item.get("msg") or item.get("message") or "Invalid value")
                param = item.get("param") or item.get("path")
                parts.append(f"{param}: {msg}" if param else msg)
            elif item not in (None, ""):
                parts.append(str(item))
        return "; ".join(parts)
    return "" if value is None else str(value)


def classify(response: VendorResponse) -> VendorError | None:
    """OCA's error envelope (on any HTTP status, 200 included) -> a typed error."""
    data = response.data
    if not isinstance(data, dict) or not isinstance(data.get("errors"), list):
        return None
    errors = [item for item in data["errors"] if isinstance(item, dict)]
    if not errors:
        return None
    code = _code(errors[0].get("code"))
    message = "; ".join(m for m in (_message(e.get("message")) for e in errors) if m)
    message = message or f"OCA error {code}"
    kwargs = {
        "vendor": "oca",
        "status_code": response.status_code,
        "vendor_code": code,
        "payload": data,
    }
    rule = rule_for(code)  # errors.ERRORS: the documented codes and whom each is about
    if rule is not None:
        if rule.error is RateLimited:
            kwargs["retry_after"] = parse_retry_after(response.headers)
        error = rule.to_error(message, **kwargs)
        if rule.code == "39":
            error.fault = validation_fault(errors[0].get("message"))
        return error
    status = response.status_code
    if status in (401, 403):
        return AuthFailed(message, **kwargs)
    if status == 429:
        return RateLimited(message, retry_after=parse_retry_after(response.headers), **kwargs)
    if status >= 500:
        return Unavailable(message, **kwargs)
    return Rejected(message, **kwargs)


class RouteNotFound(Rejected):
    """The path does not exist on this gateway (a 404 without OCA's error body)."""


def _classify_guessed(response: VendorResponse) -> VendorError | None:
    error = classify(response)
    if error is None and response.status_code == 404:
        return RouteNotFound(
            "This OCA gateway has no such endpoint.", vendor="oca", status_code=404
        )
    return error


@dataclass
class AudioFile:
    """An audio file in OCA's storage; `url` goes into an IVR variable such as audio_1."""

    id: str
    filename: str
    name: str
    url: str
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> "AudioFile":
        if not isinstance(data, dict) or not data.get("id"):
            raise MalformedResponse("OCA returned an audio file without an id.", vendor="oca")
        return cls(
            id=str(data["id"]),
            filename=str(data.get("filename") or ""),
            name=str(data.get("name") or ""),
            url=str(data.get("url") or ""),
            raw=data,
        )


@dataclass
class Ivr:
    """An IVR designed on the OCA dashboard; a call must supply `required_variable`."""

    ivr_id: str
    ivr_name: str
    required_variable: list[str]
    created_at: datetime | None = None
    # The doc's sample shows the same stamp as created_at here: not a deletion marker.
    deleted_at: datetime | None = None
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> "Ivr":
        if not isinstance(data, dict) or not data.get("ivr_id"):
            raise MalformedResponse("OCA returned an IVR without an ivr_id.", vendor="oca")
        variables = data.get("required_variable") or []
        if not isinstance(variables, list):
            raise MalformedResponse("OCA's required_variable is not a list.", vendor="oca")
        return cls(
            ivr_id=str(data["ivr_id"]),
            ivr_name=str(data.get("ivr_name") or ""),
            required_variable=[str(name) for name in variables],
            created_at=parse_time(data.get("created_at")),
            deleted_at=parse_time(data.get("deleted_at")),
            raw=data,
        )


class OcaClient(VendorClient):
    vendor = "oca"

    def __init__(self, account, **kwargs):
        super().__init__(account, **kwargs)
        self.base_url = (account.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.username = str(self.config.get("username") or "")
        password = str(self.secrets.get("password") or "")
        self.auth = (self.username, password)
        # The Authorization header carries the password in base64: never let it show.
        token = base64.b64encode(f"{self.username}:{password}".encode()).decode()
        self.http.add_secret(token)
        self.audio_list_paths = self._paths("audio_list_path", AUDIO_LIST_PATHS)
        self.numbers_paths = self._paths("numbers_path", NUMBERS_PATHS)
        self._ivrs: dict[str, Ivr] | None = None
        self._numbers: list[str] | None = None

    def _paths(self, key: str, guesses: tuple[str, ...]) -> tuple[str, ...]:
        pinned = str(self.config.get(key) or "").strip()
        return (pinned,) if pinned else guesses

    # --- plumbing -------------------------------------------------------------------

    def _invalid(self, errors: dict[str, str]) -> InvalidRequest:
        """Our own validation error; messages quote input, so secrets are redacted."""
        return InvalidRequest({name: self.http.redact(msg) for name, msg in errors.items()})

    def _request(self, method: str, path: str, *, classify_with=classify, **kwargs):
        response = self.http.request(
            method,
            self.url(self.base_url, path),
            endpoint=kwargs.pop("endpoint", path),
            auth=self.auth,
            classify=classify_with,
            **kwargs,
        )
        return response.data

    def _get_guessed(self, attr: str, endpoint: str):
        """GET the first of the guessed paths (the tuple in `self.<attr>`) that exists."""
        paths = getattr(self, attr)
        error: VendorError | None = None
        for path in paths:
            try:
                data = self._request(
                    "GET", path, endpoint=endpoint, classify_with=_classify_guessed
                )
            except RouteNotFound as exc:
                error = exc
                continue
            # Remember the path that worked for the rest of this client's life.
            setattr(self, attr, (path,))
            return data
        raise error or Rejected("No endpoint to call.", vendor="oca")

    # --- connection -----------------------------------------------------------------

    def check_connection(self) -> ConnectionCheck:
        """GET /ivr-list: the cheapest read that proves the login works."""
        try:
            ivrs = self.list_ivrs(refresh=True)
        except VendorError as exc:
            return ConnectionCheck(
                ok=False,
                message=exc.message,
                detail={"kind": type(exc).__name__, "code": exc.vendor_code},
            )
        return ConnectionCheck(
            ok=True,
            message=f"Connected as {self.username}: {len(ivrs)} IVR(s) available.",
            detail={"ivrs": [ivr.ivr_name for ivr in ivrs]},
        )

    # --- audio ----------------------------------------------------------------------

    def upload_audio(
        self, *, filename: str, content: bytes, content_type: str = "audio/mpeg"
    ) -> AudioFile:
        """POST /upload-audio (multipart field `audio`); OCA accepts mp3 only."""
        errors = {}
        name = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
        if not name.lower().endswith(".mp3") or len(name) <= 4:
            errors["filename"] = "OCA accepts mp3 files only: the name must end in .mp3."
        if (content_type or "").split(";")[0].strip().lower() not in MP3_CONTENT_TYPES:
            errors["content_type"] = f"OCA accepts mp3 files only, not {content_type or 'unknown'}."
        if not content:
            errors["content"] = "The file is empty."
        elif not is_mp3(content):
            errors["content"] = "The file is not mp3 audio (no ID3 tag or MPEG frame header)."
        if errors:
            raise self._invalid(errors)
        data = self._request(
            "POST",
            "/upload-audio",
            files={"audio": (name, content, "audio/mpeg")},
            idempotent=False,  # a retry would store the file twice
        )
        return AudioFile.from_json(data)

    def list_audio(self) -> list[AudioFile]:
        """The uploaded audio files (path is a GUESS: /audio-list, then /list-audio)."""
        data = self._get_guessed("audio_list_paths", "list-audio")
        if not isinstance(data, list):
            raise MalformedResponse("OCA's audio list is not a JSON array.", vendor="oca")
        return [AudioFile.from_json(item) for item in data]

    def delete_audio(self, *, audio_id: str) -> dict:
        """DELETE /delete-audio/{id}; returns OCA's body (GUESS: {"success": true})."""
        audio_id = str(audio_id or "").strip()
        if not audio_id:
            raise self._invalid({"audio_id": "Give the id of the audio file to delete."})
        data = self._request("DELETE", f"/delete-audio/{audio_id}", endpoint="delete-audio")
        if isinstance(data, dict) and data.get("success") is False:
            raise Rejected("OCA did not delete the audio file.", vendor="oca", payload=data)
        return data if isinstance(data, dict) else {"success": True}

    # --- numbers and IVRs -----------------------------------------------------------

    def list_numbers(self) -> list[str]:
        """The caller-id numbers of the account (the numbers collection).

        Path and shape are a GUESS: `{"from_number": [...]}` or a bare array, of strings
        or of objects carrying the number."""
        data = self._get_guessed("numbers_paths", "numbers")
        if isinstance(data, dict):
            data = next(
                (data[key] for key in ("from_number", "numbers", "number") if key in data), None
            )
        if not isinstance(data, list):
            raise MalformedResponse("OCA's numbers collection is not a list.", vendor="oca")
        numbers = []
        for item in data:
            if isinstance(item, dict):
                item = item.get("from_number") or item.get("number") or item.get("phone_number")
            if item not in (None, ""):
                numbers.append(str(item))
        self._numbers = numbers
        return list(numbers)

    def list_ivrs(self, *, refresh: bool = False) -> list[Ivr]:
        """GET /ivr-list (cached for this client: make_call checks variables with it)."""
        if self._ivrs is None or refresh:
            data = self._request("GET", "/ivr-list")
            if not isinstance(data, list):
                raise MalformedResponse("OCA's IVR list is not a JSON array.", vendor="oca")
            self._ivrs = {ivr.ivr_id: ivr for ivr in map(Ivr.from_json, data)}
        return list(self._ivrs.values())

    def ivr(self, ivr_id: str) -> Ivr | None:
        """One IVR of the account, refreshing the cached list once if it is not there."""
        self.list_ivrs()
        if ivr_id not in self._ivrs:
            self.list_ivrs(refresh=True)
        return self._ivrs.get(ivr_id)

    # --- calls ----------------------------------------------------------------------

    def make_call(
        self,
        *,
        from_number: str,
        to_number: str,
        ivr_id: str,
        variables: Mapping[str, str | int | float] | None = None,
    ) -> PlacedCall:
        """POST /call: an IVR call with the IVR's variables. Never retried: OCA has no
        idempotency key, so a retry could ring the customer twice."""
        errors = {}
        from_number = str(from_number or "").strip()
        to_number = str(to_number or "").strip()
        ivr_id = str(ivr_id or "").strip()
        if not from_number:
            errors["from_number"] = "Choose a caller-id number from the numbers collection."
        elif self._numbers is not None:
            match = self._matching_number(from_number)
            if match is None:
                errors["from_number"] = (
                    f"{from_number} is not one of this account's caller-id numbers "
                    f"({', '.join(self._numbers) or 'none'})."
                )
            else:
                from_number = match
        if not to_number:
            errors["to_number"] = "Give the destination number."
        elif national_number(to_number) is None:
            errors["to_number"] = (
                f"{to_number} is not an Indonesian number such as 081211122333 or +6281211122333."
            )
        else:
            to_number = wire_number(to_number)
        if not ivr_id:
            errors["ivr_id"] = "Choose an IVR from the IVR list."
        clean_variables = {}
        for name, value in (variables or {}).items():
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                errors[f"variable.{name}"] = "A variable's value must be text or a number."
            else:
                clean_variables[str(name)] = str(value)
        if errors:
            raise self._invalid(errors)
        ivr = self.ivr(ivr_id)
        if ivr is None:
            raise self._invalid({"ivr_id": f"This account has no IVR with id {ivr_id}."})
        missing = [
            name for name in ivr.required_variable if not clean_variables.get(name, "").strip()
        ]
        if missing:
            raise self._invalid(
                {
                    "variable": f"IVR {ivr.ivr_name!r} needs these variables: "
                    + ", ".join(missing)
                    + "."
                }
            )
        body = {
            "from_number": from_number,
            "to_number": to_number,
            "ivr_id": ivr_id,
            "variable": clean_variables,
        }
        data = self._request("POST", "/call", json_body=body, idempotent=False)
        if not isinstance(data, dict):
            raise MalformedResponse("OCA's call answer is not a JSON object.", vendor="oca")
        call_id = data.get("call_id")
        if not call_id and re.search(r"[a-z]", str(data.get("to_number") or ""), re.I):
            # The doc's own example puts the call id under "to_number"; accept it.
            call_id = data["to_number"]
        if data.get("success") is not True or not call_id:
            raise MalformedResponse(
                "OCA's call answer has no success flag and call_id.", vendor="oca", payload=data
            )
        return PlacedCall(vendor_call_id=str(call_id), message="Call submitted.", raw=data)

    def _matching_number(self, number: str) -> str | None:
        """The collection's spelling of `number` (0218… and +62218… are one number)."""
        if number in self._numbers:
            return number
        wanted = national_number(number)
        for candidate in self._numbers:
            if wanted and national_number(candidate) == wanted:
                return candidate
        return None

    def call_status_raw(self, *, call_id: str) -> dict:
        """GET /call-status/{call_id}: OCA's own body."""
        call_id = str(call_id or "").strip()
        if not call_id:
            raise self._invalid({"call_id": "Give the call_id OCA returned for the call."})
        try:
            data = self._request("GET", f"/call-status/{call_id}", endpoint="call-status")
        except VendorError as exc:
            if exc.vendor_code == 33:
                # Here "Setting Is Not Exist" is about this one call (OCA has no such
                # call id), not about the account's settings.
                exc.fault = Fault.CONTACT
            raise
        if not isinstance(data, dict):
            raise MalformedResponse("OCA's call status is not a JSON object.", vendor="oca")
        return data

    def call_status(self, *, call_id: str) -> NormalizedCDR:
        """The call's status as the normalized CDR (CallRecord.upsert takes it)."""
        return cdr_from_status(self.call_status_raw(call_id=call_id), call_id=call_id)
