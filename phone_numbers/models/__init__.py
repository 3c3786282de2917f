"""Phone number inventory: numbers (DIDs and caller ids) across vendors, Omilia's sets."""

from .inventory import (
    NOTE_MAX_LENGTH,
    NumberKind,
    NumberSet,
    NumberSource,
    NumberStatus,
    PhoneNumber,
    PhoneNumberQuerySet,
    reversed_digits,
)
from .purchases import OmiliaPurchase, PurchaseState

__all__ = [
    "NOTE_MAX_LENGTH",
    "NumberKind",
    "NumberSet",
    "NumberSource",
    "NumberStatus",
    "OmiliaPurchase",
    "PhoneNumber",
    "PhoneNumberQuerySet",
    "PurchaseState",
    "reversed_digits",
]
