"""MyOperator's `/filters` (synced into LogFilter) as a filter builder: the chosen
filters joined by AND or OR, applied to stored records, or sent to the vendor's
`/search` as its `filters` expression.

Stored records keep the vendor's log (`raw`), so a filter whose meaning the vendor
documents (seed 001 lists the ids; vendor-contracts.md §2) becomes a condition on it.
Filters it documents no field for (tags, "noted", "starred") run only at the vendor."""

from functools import reduce
from operator import and_, or_

from django.db.models import Q

from telephony.models.cdr import LogFilter

# Vendor filter id -> (log field, value), per the documented list.
STORED_TESTS = {
    "2": ("source", "1"),  # Myoperator IVR
    "3": ("source", "2"),  # Mobile
    "5": ("event", 1),  # Incoming
    "6": ("event", 2),  # Outgoing
    "8": ("type", 1),  # Call
    "9": ("type", 2),  # SMS (never a CallRecord, so it matches nothing stored)
    "12": ("status", 1),  # Connected
    "13": ("status", 2),  # Missed
    "14": ("status", 3),  # Voicemail
}
MAX_CHOSEN = 20


def _field_is(name: str, value) -> Q:
    # Logs carry these as numbers or as strings depending on the field and the account.
    return Q(**{f"raw__{name}": value}) | Q(**{f"raw__{name}": str(value)})


def tree(account_id) -> list[tuple[LogFilter, list[LogFilter]]]:
    """(category, its filters) for one account, categories without filters left out."""
    rows = list(LogFilter.objects.filter(account_id=account_id).order_by("name"))
    children: dict[int, list[LogFilter]] = {}
    for row in rows:
        if row.parent_id:
            children.setdefault(row.parent_id, []).append(row)
    return [(row, children[row.pk]) for row in rows if row.is_category and row.pk in children]


def chosen(account_id, ids) -> list[LogFilter]:
    ids = [str(i) for i in ids if str(i).strip()][:MAX_CHOSEN]
    if not ids:
        return []
    rows = LogFilter.objects.filter(account_id=account_id, vendor_id__in=ids, parent__isnull=False)
    return sorted(rows, key=lambda f: ids.index(f.vendor_id))


def stored_query(filters: list[LogFilter], join: str) -> tuple[Q | None, list[str]]:
    """The stored-records condition, and the names of filters only the vendor can run."""
    live_only = [f.name for f in filters if f.vendor_id not in STORED_TESTS]
    if not filters or live_only:
        return None, live_only
    parts = [_field_is(*STORED_TESTS[f.vendor_id]) for f in filters]
    return reduce(or_ if join == "or" else and_, parts), []


def expression(filters: list[LogFilter], join: str) -> str:
    """The vendor's `filters` expression: ids joined by AND or OR (no parentheses)."""
    word = " OR " if join == "or" else " AND "
    return word.join(f.vendor_id for f in filters)
