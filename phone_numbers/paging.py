"""Keyset paging on (sort field, id): no OFFSET and no COUNT, so the 2,000th page of
100,000 numbers costs what the first does. The pager carries ids (components/
keyset_pager.html); the boundary row's sort value is read back by id."""

from django.db.models import Q

from campaigns.models.lists import PAGE_SIZE, KeysetPage


def _after(field, descending, row):
    value = getattr(row, field)
    if descending:
        return Q(**{f"{field}__lt": value}) | Q(**{field: value, "pk__lt": row.pk})
    return Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": row.pk})


def sorted_page(queryset, order="pk", *, after=None, before=None, last=False, size=PAGE_SIZE):
    """A page of `queryset` ordered by `order` ("number", "-number", "pk", "-pk") then id."""
    descending = order.startswith("-")
    field = order.lstrip("-")
    if field in ("pk", "id"):
        forward = ["-pk"] if descending else ["pk"]
    else:
        forward = [order, "-pk" if descending else "pk"]
    backward = [name[1:] if name.startswith("-") else f"-{name}" for name in forward]
    field = "pk" if field == "id" else field

    def boundary(pk):
        return queryset.model.objects.filter(pk=pk).only(field).first() if pk else None

    if before is not None and (row := boundary(before)) is not None:
        rows = list(
            queryset.filter(_after(field, not descending, row)).order_by(*backward)[: size + 1]
        )
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        has_next = queryset.filter(~_after(field, not descending, row)).exists()
        return KeysetPage(rows, has_previous, has_next)
    if last:
        rows = list(queryset.order_by(*backward)[: size + 1])
        return KeysetPage(rows[:size][::-1], len(rows) > size, False)
    if after is not None and (row := boundary(after)) is not None:
        rows = list(queryset.filter(_after(field, descending, row)).order_by(*forward)[: size + 1])
        has_previous = queryset.filter(~_after(field, descending, row)).exists()
        return KeysetPage(rows[:size], has_previous, len(rows) > size)
    rows = list(queryset.order_by(*forward)[: size + 1])
    return KeysetPage(rows[:size], False, len(rows) > size)
