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

__all__ = [
    "NOTE_MAX_LENGTH",
    "NumberKind",
    "NumberSet",
    "NumberSource",
    "NumberStatus",
    "PhoneNumber",
    "PhoneNumberQuerySet",
    "reversed_digits",
]
