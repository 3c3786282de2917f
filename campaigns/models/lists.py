"""Contact lists and DND lists: their rows, search, keyset paging and DND checks."""

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Exists, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from telephony.phone import InvalidNumber, is_e164, normalize

from .search import search_q

PAGE_SIZE = 50


def validate_e164(value):
    """The model-level guard of every stored number (forms, admin, API: full_clean): a
    number phonenumbers finds valid, written E.164 ("+919876543210")."""
    if not is_e164(value):
        raise ValidationError(
            "%(value)s is not a valid phone number written as + country code and number",
            code="not_e164",
            params={"value": value},
        )


class E164Shape(models.Func):
    """True when the expression reads "+", a digit 1-9, then digits only, 8 to 16
    characters in all. One native test per database (CAST on SQLite, a regex on
    PostgreSQL): a CHECK of REPLACE() calls doubled the cost of each imported row."""

    output_field = models.BooleanField()
    conditional = True
    arity = 1

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} ~ '^[+][1-9][0-9]{{6,14}}$')", params

    def as_sqlite(self, compiler, connection, **extra):
        # CAST reads "+919…" as 919…, dropping a leading 0 and stopping at the first
        # non-digit, so only "+" and digits from 1-9 on read back the same. Twice as fast
        # as GLOBs, and a CHECK is paid on every imported row.
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"(length({sql}) BETWEEN 8 AND 16 AND {sql} = '+' || CAST({sql} AS INTEGER))",
            [*params, *params, *params],
        )


def e164_check(name: str) -> models.CheckConstraint:
    """The database's guard, for paths that bypass the ORM (the import's raw INSERT, the
    campaign target build): "+919…" shape only, so "+0…", "919…" or "+91 98…" cannot be
    stored. Which numbers are valid is phonenumbers' call, made before the write."""
    return models.CheckConstraint(
        condition=Q(E164Shape("number")),
        name=name,
        violation_error_message="A stored number must be + country code and number (E.164).",
    )


# What a typed search looks like when it is (part of) a phone number.
_NUMBERISH = re.compile(r"^[+0-9][0-9 ()./\-]*$")


def _exact(region: str):
    """The typed text as an E.164 number of `region`, or None."""

    def exact(text):
        try:
            return normalize(text, region)
        except InvalidNumber:
            return None

    return exact


@dataclass
class KeysetPage:
    """One page of rows ordered by id, with the ids the previous/next links carry."""

    rows: list
    has_previous: bool
    has_next: bool

    @property
    def first_id(self):
        return self.rows[0].pk if self.rows else None

    @property
    def last_id(self):
        return self.rows[-1].pk if self.rows else None


def keyset_page(queryset, *, after=None, before=None, last=False, size=PAGE_SIZE) -> KeysetPage:
    """A page of `queryset` by id: no OFFSET and no COUNT, so the last page of a million
    rows costs what the first does. `after`/`before` are ids from a neighbouring page."""
    if before is not None:
        rows = list(queryset.filter(pk__lt=before).order_by("-pk")[: size + 1])
        has_previous = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(rows, has_previous, queryset.filter(pk__gte=before).exists())
    if last:
        rows = list(queryset.order_by("-pk")[: size + 1])
        return KeysetPage(rows[:size][::-1], len(rows) > size, False)
    if after is not None:
        rows = list(queryset.filter(pk__gt=after).order_by("pk")[: size + 1])
        return KeysetPage(rows[:size], queryset.filter(pk__lte=after).exists(), len(rows) > size)
    rows = list(queryset.order_by("pk")[: size + 1])
    return KeysetPage(rows[:size], False, len(rows) > size)


def number_query(text: str, default_region: str, field_name: str = "number") -> Q | None:
    """A Q for a typed number in any format: the exact E.164 number when it parses,
    else the digits anywhere in the stored number. None when `text` is not number-like."""
    text = text.strip().lstrip("'")
    if not _NUMBERISH.match(text):
        return None
    try:
        return Q(**{field_name: normalize(text, default_region)})
    except InvalidNumber:
        digits = re.sub(r"[^0-9]", "", text)
        return Q(**{f"{field_name}__contains": digits}) if digits else None


class ContactListQuerySet(models.QuerySet):
    def with_counts(self):
        """Each list with `inactive` contacts and its latest import (time and status);
        the total is the stored contact_count, so a big list is not counted per view."""
        inactive = (
            Contact.objects.filter(contact_list=OuterRef("pk"), is_active=False)
            .order_by()
            .values("contact_list")
            .annotate(n=Count("pk"))
            .values("n")
        )
        from .imports import ImportJob  # imports.py builds on this module

        latest = ImportJob.objects.filter(contact_list=OuterRef("pk")).order_by("-created_at")
        return self.annotate(
            inactive=Coalesce(Subquery(inactive), 0),
            last_import_at=Subquery(latest.values("created_at")[:1]),
            last_import_status=Subquery(latest.values("status")[:1]),
            last_import_id=Subquery(latest.values("pk")[:1]),
        )


class ContactList(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    default_country = models.CharField(
        max_length=2,
        default="IN",
        help_text="ISO country for numbers written without a country code",
    )
    custom_fields = models.JSONField(
        default=list, blank=True, help_text="Names of the {fields} its contacts carry"
    )
    contact_count = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactListQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def active_count(self):
        return max(0, self.contact_count - getattr(self, "inactive", 0))

    def refresh_count(self):
        self.contact_count = self.contacts.count()
        self.save(update_fields=["contact_count", "updated_at"])

    def add_custom_fields(self, names):
        new = [name for name in names if name and name not in self.custom_fields]
        if new:
            self.custom_fields = [*self.custom_fields, *new]
            self.save(update_fields=["custom_fields", "updated_at"])

    def time_zones(self, limit=200) -> list[str]:
        """The distinct time zones of this list's contacts, one index seek per zone (a
        loose index scan on contact_list+time_zone), so a million contacts cost no more."""
        zones, contacts, previous = [], self.contacts.exclude(time_zone=""), None
        while len(zones) < limit:
            rows = contacts if previous is None else contacts.filter(time_zone__gt=previous)
            previous = rows.aggregate(zone=Min("time_zone"))["zone"]
            if previous is None:
                break
            zones.append(previous)
        return zones

    BULK_ACTIONS = {"activate": "Activated", "deactivate": "Deactivated", "delete": "Deleted"}

    @transaction.atomic
    def prepare_rows(self, contacts) -> None:
        """Ready a page of contacts for the table: `is_blocked` by any DND list (one query
        for the page) and `custom_values` in the order of the list's custom fields."""
        blocked = DndEntry.objects.blocked_among(contact.number for contact in contacts)
        for contact in contacts:
            contact.is_blocked = contact.number in blocked
            values = contact.fields or {}
            contact.custom_values = [values.get(name, "") for name in self.custom_fields]

    def apply_bulk(self, action: str, contacts) -> int:
        """Activate, deactivate or delete `contacts` (a queryset of this list's contacts);
        returns how many rows it changed and keeps contact_count right."""
        contacts = contacts.filter(contact_list=self)
        if action == "delete":
            changed, _ = contacts.delete()
            self.refresh_count()
        elif action in ("activate", "deactivate"):
            active = action == "activate"
            changed = contacts.exclude(is_active=active).update(
                is_active=active, updated_at=timezone.now()
            )
        else:
            raise ValueError(f"unknown bulk action {action!r}")
        return changed


class NotOnDnd(models.Func):
    """True for a contact whose number no DND list holds. On PostgreSQL the subquery
    carries OFFSET 0, which keeps the planner from pulling it up into an anti-join (see
    ContactQuerySet.blocked); SQLite always runs it as a probe per row."""

    output_field = models.BooleanField()
    conditional = True

    def as_sql(self, compiler, connection, **extra):
        fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
        return (
            'NOT EXISTS (SELECT 1 FROM "campaigns_dndentry" "dnd" WHERE "dnd"."number" = '  # noqa: S608
            f'"campaigns_contact"."number"{fence})',
            [],
        )


class ContactQuerySet(models.QuerySet):
    def search(self, text: str, contact_list: "ContactList"):
        """Contacts whose number (whole, "+" and its start, or its last 4+ digits) or a
        word of whose name or custom field values matches; every form is served by an
        index (search.py), and a search no index serves matches nothing."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(search_q("contact", text, _exact(contact_list.default_country)))

    def blocked(self, is_blocked: bool = True):
        """Contacts that any DND list blocks (or, with False, that none does).

        "Not blocked" is a NOT EXISTS that PostgreSQL may not turn into an anti-join
        (NotOnDnd): as a hash anti-join it read every DND entry (1.1 s at a million, for a
        page of 50); as a subplan it probes the number index once per contact it pages."""
        if is_blocked:
            return self.filter(Exists(DndEntry.objects.filter(number=OuterRef("number"))))
        return self.filter(NotOnDnd())

    def filtered(self, contact_list, *, q="", status="", dnd="", tz=""):
        """The list page's filters (the same names as its query string)."""
        contacts = self.filter(contact_list=contact_list).search(q, contact_list)
        if status in ("active", "inactive"):
            contacts = contacts.filter(is_active=status == "active")
        if dnd in ("blocked", "clear"):
            contacts = contacts.blocked(dnd == "blocked")
        if tz:
            contacts = contacts.filter(time_zone=tz)
        return contacts


class Contact(models.Model):
    # No index of its own: the unique (list, number) and (list, id) indexes lead with it,
    # and every index costs the million-row import time.
    contact_list = models.ForeignKey(
        ContactList, on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    number = models.CharField(max_length=20, help_text="E.164", validators=[validate_e164])
    raw_number = models.CharField(max_length=64, blank=True, help_text="The number as given")
    name = models.CharField(max_length=200, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact_list", "number"], name="unique_number_per_contact_list"
            ),
            e164_check("contact_number_e164"),
        ]
        indexes = [
            # Keyset paging walks a list by id, and the time zone filter seeks list+zone.
            # (No index on number alone: DND checks probe the DND entries' index.)
            models.Index(fields=["contact_list", "id"], name="contact_list_id_idx"),
            models.Index(fields=["contact_list", "time_zone"], name="contact_list_zone_idx"),
            # Only inactive rows (few): the index page counts them, the filter finds them.
            models.Index(
                fields=["contact_list"],
                condition=Q(is_active=False),
                name="contact_inactive_idx",
            ),
        ]

    def __str__(self):
        return f"{self.name or self.number}"


class DndListQuerySet(models.QuerySet):
    def applying_to(self, dnd_list_ids=()):
        """The given DND lists plus the global one(s), which apply to every campaign."""
        return self.filter(Q(pk__in=list(dnd_list_ids)) | Q(is_global=True))


class DndList(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_global = models.BooleanField(
        default=False, help_text="The global list applies to every campaign"
    )
    entry_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DndListQuerySet.as_manager()

    class Meta:
        ordering = ["-is_global", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_global"], condition=Q(is_global=True), name="one_global_dnd_list"
            )
        ]

    def __str__(self):
        return self.name

    def refresh_count(self):
        self.entry_count = self.entries.count()
        self.save(update_fields=["entry_count", "updated_at"])

    def remove(self, entry: "DndEntry") -> None:
        entry.delete()
        self.refresh_count()

    def add_numbers(self, text: str, *, user=None, name="", reason="", region="IN") -> "DndAdd":
        """Add the numbers of a pasted block (one a line; commas and semicolons also
        split) by hand: valid new ones go in, the rest are reported line by line."""
        result, seen = DndAdd(), {}
        for line_number, line in enumerate((text or "").splitlines(), start=1):
            for value in re.split(r"[,;\t]", line):
                value = value.strip()
                if not value:
                    continue
                try:
                    e164 = normalize(value, region)
                except InvalidNumber as exc:
                    result.invalid.append((line_number, value, str(exc)))
                    continue
                if e164 in seen:
                    result.duplicates.append((line_number, value, f"repeats line {seen[e164]}"))
                    continue
                seen[e164] = line_number
        existing = set(self.entries.filter(number__in=list(seen)).values_list("number", flat=True))
        new = []
        for e164, line_number in seen.items():
            if e164 in existing:
                result.duplicates.append((line_number, e164, "already in this list"))
            else:
                new.append(
                    DndEntry(
                        dnd_list=self,
                        number=e164,
                        name=name,
                        reason=reason,
                        source=DndEntry.Source.MANUAL,
                        added_by=user,
                    )
                )
        with transaction.atomic():
            # ignore_conflicts: a concurrent add of the same number is not an error.
            DndEntry.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
            self.refresh_count()
        result.added = [entry.number for entry in new]
        result.duplicates.sort()
        return result


@dataclass
class DndAdd:
    """What a quick add or paste did: numbers added, and (line, value, reason) rows."""

    added: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    invalid: list = field(default_factory=list)


class DndEntryQuerySet(models.QuerySet):
    def blocking(self, number, dnd_list_ids=None, default_region="IN"):
        """Entries that block `number` (any format), across all lists or the given ones."""
        try:
            e164 = normalize(number, default_region)
        except InvalidNumber:
            return self.none()
        entries = self.filter(number=e164)
        if dnd_list_ids is not None:
            entries = entries.filter(dnd_list__in=DndList.objects.applying_to(dnd_list_ids))
        return entries.select_related("dnd_list", "added_by")

    def blocked_among(self, numbers) -> set[str]:
        """Which of `numbers` (E.164) any DND list blocks: one query for a page."""
        numbers = list(numbers)
        if not numbers:
            return set()
        return set(self.filter(number__in=numbers).values_list("number", flat=True).distinct())

    def search(self, text: str, default_region: str = "IN"):
        """Entries whose number (as for contacts) or a word of whose name or reason
        matches; see search.py."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(search_q("dnd", text, _exact(default_region)))

    def filtered(self, dnd_list, *, q="", source=""):
        entries = self.filter(dnd_list=dnd_list).search(q)
        if source in DndEntry.Source.values:
            entries = entries.filter(source=source)
        return entries


class DndEntry(models.Model):
    class Source(models.TextChoices):
        FILE = "file", "File import"
        MANUAL = "manual", "Added by hand"
        VENDOR = "vendor", "From the vendor"

    # Indexed by the unique (list, number) and (list, id) indexes, which lead with it.
    dnd_list = models.ForeignKey(
        DndList, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    number = models.CharField(max_length=20, help_text="E.164", validators=[validate_e164])
    name = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = DndEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "DND entries"
        constraints = [
            models.UniqueConstraint(
                fields=["dnd_list", "number"], name="unique_number_per_dnd_list"
            ),
            e164_check("dnd_number_e164"),
        ]
        indexes = [
            models.Index(fields=["number"], name="dnd_number_idx"),
            models.Index(fields=["dnd_list", "id"], name="dnd_list_id_idx"),
            # The source filter pages a list by id among one source's entries.
            models.Index(fields=["dnd_list", "source", "id"], name="dnd_list_source_idx"),
        ]

    def __str__(self):
        return self.number
