"""The normalized records the Omilia client returns. `OmiliaNumber` is what the
phone_numbers app stores; client.py re-exports all of them."""

import enum
from dataclasses import dataclass, field

import phonenumbers

from ..base import MalformedResponse
from .validation import CsvOperation


class NumberStatus(enum.StrEnum):
    """Where a number we own stands: routed to a miniApp, or idle."""

    ATTACHED = "attached"
    UNATTACHED = "unattached"


def number_status(record: dict) -> NumberStatus:
    """A number is attached when it routes to a miniApp (it has a miniAppId)."""
    return NumberStatus.ATTACHED if record.get("miniAppId") else NumberStatus.UNATTACHED


def text(value) -> str:
    return "" if value is None else str(value)


def country_of(number: str, given) -> str:
    if given:
        return str(given).strip().upper()
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


@dataclass
class OmiliaNumber:
    """One OCP number, normalized for the phone_numbers app."""

    number: str
    country: str
    status: NumberStatus
    group_id: str = ""
    set_id: str = ""
    set_name: str = ""
    note: str = ""
    mini_app_id: str = ""
    mini_app_name: str = ""
    mini_app_type: str = ""
    mini_app_group: str = ""
    diamant_app_name: str = ""
    locale: str = ""
    application_tag: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def in_set(self) -> bool:
        return bool(self.set_id)

    @classmethod
    def from_vendor(cls, record) -> "OmiliaNumber":
        if not isinstance(record, dict) or not isinstance(record.get("number"), str):
            raise MalformedResponse("A number record without its number.", vendor="omilia")
        # The list endpoint says phoneNumbersSetId/Name, search and set listings say
        # phoneNumberSetId: accept both spellings.
        set_id = record.get("phoneNumberSetId") or record.get("phoneNumbersSetId")
        set_name = record.get("phoneNumberSetName") or record.get("phoneNumbersSetName")
        return cls(
            number=record["number"],
            country=country_of(record["number"], record.get("country")),
            status=number_status(record),
            group_id=text(record.get("groupId")),
            set_id=text(set_id),
            set_name=text(set_name),
            note=text(record.get("note")),
            mini_app_id=text(record.get("miniAppId")),
            mini_app_name=text(record.get("miniAppName")),
            mini_app_type=text(record.get("miniAppType")),
            mini_app_group=text(record.get("miniAppGroup")),
            diamant_app_name=text(record.get("miniAppDiamantAppName")),
            locale=text(record.get("locale")),
            application_tag=text(record.get("applicationTag")),
            raw=record,
        )


@dataclass
class AvailableNumber:
    """A number a CCaaS provider offers for purchase."""

    number: str
    country: str
    locality: str = ""
    region: str = ""
    price: float | int = 0
    raw: dict = field(default_factory=dict)


@dataclass
class PurchasedNumber:
    number: str
    id: str


@dataclass
class PurchaseResult:
    purchased: list[PurchasedNumber]
    failed: list[str]
    raw: dict = field(default_factory=dict)


@dataclass
class NumberSet:
    id: str
    name: str
    group_id: str
    phone_number_count: int = 0
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_vendor(cls, record) -> "NumberSet":
        if not isinstance(record, dict) or not record.get("id"):
            raise MalformedResponse("A numbers set without its id.", vendor="omilia")
        count = record.get("phoneNumberCount")
        return cls(
            id=str(record["id"]),
            name=text(record.get("name")),
            group_id=text(record.get("groupId")),
            phone_number_count=count if isinstance(count, int) else 0,
            raw=record,
        )


@dataclass
class OperationResult:
    """The {"success", "message"} answer most write endpoints give."""

    success: bool
    message: str
    raw: dict = field(default_factory=dict)


@dataclass
class NumberCsvRow:
    """One row of a CSV operations upload."""

    operation: CsvOperation | str
    number: str
    group_id: str = ""
    country: str = ""
    mini_app_id: str = ""
    locale: str = ""
    note: str = ""
    application_tag: str = ""
    set_id: str = ""

    def as_csv(self) -> dict:
        return {
            "operation": str(self.operation),
            "number": self.number,
            "country": self.country,
            "groupId": self.group_id,
            "miniAppId": self.mini_app_id,
            "miniAppName": "",
            "miniAppType": "",
            "locale": self.locale,
            "note": self.note,
            "applicationTag": self.application_tag,
            "phoneNumberSetId": self.set_id,
        }
