"""Helpers for the numbers inventory tests (plain functions; fixtures stay in modules)."""

from phone_numbers.models import PhoneNumber, reversed_digits
from tests.factories import ProviderAccountFactory


def myoperator_account(**kwargs):
    kwargs.setdefault("kind", "myoperator")
    kwargs.setdefault("base_url", "http://127.0.0.1:9")
    return ProviderAccountFactory(**kwargs)


def add_numbers(account, numbers, **fields) -> list[PhoneNumber]:
    """Store `numbers` (E.164) on `account` with the bulk path the sync and import use."""
    rows = [
        PhoneNumber(account=account, number=n, digits_reversed=reversed_digits(n), **fields)
        for n in numbers
    ]
    PhoneNumber.objects.bulk_create(rows)
    return list(PhoneNumber.objects.filter(account=account, number__in=numbers).order_by("pk"))


def indian_mobiles(count: int, start: int = 9876500000) -> list[str]:
    """Valid Indian mobile numbers (+91 9…)."""
    return [f"+91{start + i}" for i in range(count)]
