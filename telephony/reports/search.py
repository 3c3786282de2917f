"""CDR search over CallRecord: indexed filters and keyset paging, newest first.

No OFFSET and no COUNT(*) over the table: a page is the next `PAGE_SIZE` rows before a
(started_at, id) cursor, so page 1,000 costs what page 1 does. The count shown comes
from the rollups when every filter is one they carry, else a bounded count
("more than 10,000"), which stops reading at the bound."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value

from telephony.models import CallRecord
from telephony.models.cdr import reversed_digits
from telephony.phone import InvalidNumber, normalize

from .periods import Period

PAGE_SIZE = 50
SELECTIVE_DIGITS = 3
COUNT_BOUND = 10_000
_DIGITS = re.compile(r"[^0-9]")


def prefix_range(field: str, prefix: str) -> Q:
    """`field` starts with `prefix` (an optional "+" then digits), as a range
    (prefix <= field < next prefix): a plain b-tree index serves it on SQLite and
    PostgreSQL alike, where LIKE 'x%' needs a NOCASE column (SQLite) or text_pattern_ops
    (PostgreSQL) to use one. The next prefix is digits only ("0129" -> "013"), never a
    punctuation character that a locale collation would order differently."""
    sign, digits = ("+", prefix[1:]) if prefix.startswith("+") else ("", prefix)
    stem = digits.rstrip("9")
    if not stem:  # all nines: nothing after them shares the prefix but longer nines
        return Q(**{f"{field}__startswith": prefix})
    upper = sign + stem[:-1] + str(int(stem[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def number_query(text: str, match: str) -> Q | None:
    """A Q for the number box: exact (the E.164 number when it parses), begins with,
    ends with (a prefix search on the reversed digits, so an index serves it) or
    contains. None when there are no digits in `text`."""
    digits = _DIGITS.sub("", text or "")
    if not digits:
        return None
    if match == "ends":
        return prefix_range("customer_number_reversed", reversed_digits(digits))
    if match == "begins":
        # E.164 is stored with its "+"; a vendor number the sync could not read as E.164
        # is kept as the vendor sent it, so both forms are asked for.
        return prefix_range("customer_number", f"+{digits}") | prefix_range(
            "customer_number", digits
        )
    if match == "contains":
        return Q(customer_number__contains=digits)
    try:
        return Q(customer_number=normalize(text, "IN"))
    except InvalidNumber:
        return Q(customer_number=f"+{digits}")


def records(period: Period, search: dict):
    """The CallRecords the search page lists, unordered (see page())."""
    digits = _DIGITS.sub("", search.get("number") or "")
    if len(digits) >= SELECTIVE_DIGITS and search.get("match", "exact") != "contains":
        # A number match on 3+ digits picks far fewer rows than a month does, but SQLite's
        # planner takes the started_at index anyway (a 1M-row month scanned for a few
        # hits). Comparing the time through an expression leaves it the number's index.
        moment = ExpressionWrapper(F("started_at") + Value(timedelta(0)), DateTimeField())
        rows = CallRecord.objects.annotate(_moment=moment).filter(
            _moment__gte=period.start, _moment__lt=period.end
        )
    else:
        rows = CallRecord.objects.filter(started_at__gte=period.start, started_at__lt=period.end)
    if search.get("account"):
        rows = rows.filter(account_id=search["account"])
    campaign = search.get("campaign")
    if campaign == "none":
        rows = rows.filter(campaign__isnull=True)
    elif campaign:
        rows = rows.filter(campaign_id=campaign)
    if search.get("caller_id"):
        rows = rows.filter(caller_id=search["caller_id"])
    if search.get("status"):
        rows = rows.filter(status=search["status"])
    number = number_query(search.get("number", ""), search.get("match", "exact"))
    if number is not None:
        rows = rows.filter(number)
    if search.get("min_duration") is not None:
        rows = rows.filter(duration_seconds__gte=search["min_duration"])
    if search.get("max_duration") is not None:
        rows = rows.filter(duration_seconds__lte=search["max_duration"])
    if search.get("log_filter") is not None:
        rows = rows.filter(search["log_filter"])
    return rows


def rollup_countable(search: dict) -> bool:
    """True when the rollups hold this search's exact count (no number, duration or
    vendor-filter condition, which they do not carry)."""
    return not (
        _DIGITS.sub("", search.get("number") or "")
        or search.get("min_duration") is not None
        or search.get("max_duration") is not None
        or search.get("log_filter") is not None
    )


@dataclass
class Count:
    value: int
    bounded: bool  # True: at least `value` (more than COUNT_BOUND)

    def __str__(self):
        return f"more than {COUNT_BOUND:,}" if self.bounded else f"{self.value:,}"


def count(period: Period, search: dict) -> Count:
    if rollup_countable(search):
        from .queries import totals

        return Count(totals(period, search)["calls"], False)
    n = records(period, search).order_by()[: COUNT_BOUND + 1].count()
    return Count(min(n, COUNT_BOUND), n > COUNT_BOUND)


def encode_cursor(record) -> str:
    return f"{int(record.started_at.timestamp() * 1_000_000)}.{record.pk}"


def decode_cursor(text: str | None):
    if not text:
        return None
    try:
        micros, pk = text.split(".", 1)
        return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), int(pk)
    except (ValueError, OverflowError, OSError):
        return None


@dataclass
class SearchPage:
    rows: list
    has_previous: bool
    has_next: bool
    first_id: str = ""
    last_id: str = ""


def page(queryset, *, older=None, newer=None, size=PAGE_SIZE) -> SearchPage:
    """Newest first by (started_at, id). `older`/`newer` are cursors of a neighbouring
    page's last/first row; the pager's links carry them."""
    newest_first = ("-started_at", "-id")
    cursor = decode_cursor(newer)
    if cursor:
        moment, pk = cursor
        after = Q(started_at__gt=moment) | Q(started_at=moment, id__gt=pk)
        rows = list(
            queryset.filter(started_at__gte=moment)
            .filter(after)
            .order_by("started_at", "id")[: size + 1]
        )
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        result = SearchPage(rows, has_newer, True)
    else:
        cursor = decode_cursor(older)
        if cursor:
            moment, pk = cursor
            # The plain bound (started_at <= moment) is what an index range can start
            # from; the OR alone is only a filter, read past every newer row.
            queryset = queryset.filter(started_at__lte=moment).filter(
                Q(started_at__lt=moment) | Q(started_at=moment, id__lt=pk)
            )
        rows = list(queryset.order_by(*newest_first)[: size + 1])
        result = SearchPage(rows[:size], cursor is not None, len(rows) > size)
    if result.rows:
        result.first_id = encode_cursor(result.rows[0])
        result.last_id = encode_cursor(result.rows[-1])
    return result
