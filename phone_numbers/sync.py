"""Numbers from the vendors that have a list API: Omilia numbers and sets, OCA caller ids.

Every sync reads the whole inventory from the vendor first, then writes it in one
transaction: a vendor error half way leaves the stored inventory as it was, and a second
run over the same vendor state writes nothing (rows are compared before they are saved;
only last_synced_at moves). Local facts (status, health flag, daily cap, a note on an OCA
number) are never overwritten by a sync; numbers an admin added by hand or imported are
never deleted by one.
"""

from dataclasses import dataclass, field

import phonenumbers
from django.db import transaction
from django.utils import timezone

from telephony.models import ProviderAccount, VendorKind
from telephony.phone import InvalidNumber, normalize
from telephony.vendors.base import VendorError

from .models import NumberKind, NumberSet, NumberSource, PhoneNumber, reversed_digits

SYNCED_KINDS = (VendorKind.OMILIA, VendorKind.OCA)
# Far beyond any real inventory; a vendor answering more is not believed.
MAX_NUMBERS = 50_000


def country_of(e164: str) -> str:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""
    except phonenumbers.NumberParseException:
        return ""


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: list[str] = field(default_factory=list)  # vendor values we could not store

    def summary(self) -> str:
        text = f"{self.created} added, {self.updated} changed, {self.deleted} removed"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped ({'; '.join(self.skipped[:5])})"
        return text


@dataclass
class VendorNumber:
    number: str
    country: str = ""
    group: str = ""
    note: str | None = None  # None: the vendor has no note, keep ours
    vendor_id: str = ""
    set_ids: tuple[str, ...] = ()


@dataclass
class VendorSet:
    vendor_id: str
    name: str
    group: str


def read_omilia(account) -> tuple[list[VendorNumber], list[VendorSet], list[str]]:
    client = account.client()
    numbers, skipped = [], []
    for item in client.iter_numbers(page_size=100):
        if len(numbers) >= MAX_NUMBERS:
            skipped.append(f"more than {MAX_NUMBERS} numbers; the rest were not read")
            break
        try:
            e164 = normalize(item.number, item.country or "")
        except InvalidNumber as error:
            skipped.append(f"{item.number[:40]}: {error}")
            continue
        numbers.append(
            VendorNumber(
                number=e164,
                country=(item.country or country_of(e164))[:2],
                group=item.group_id[:80],
                note=item.note[:1000],
                vendor_id=str(item.raw.get("id") or "")[:100],
                set_ids=(item.set_id,) if item.set_id else (),
            )
        )
    sets = {}
    groups = {vendor.group for vendor in numbers if vendor.group}
    for found in client.list_sets():
        sets[found.id] = found
    for group in sorted(groups):
        for found in client.sets_for_group(group_id=group):
            sets.setdefault(found.id, found)
    vendor_sets = [
        VendorSet(
            vendor_id=item.id[:100],
            name=item.name[:200] or item.id[:200],
            group=item.group_id[:200],
        )
        for item in sets.values()
    ]
    return numbers, vendor_sets, skipped


def read_oca(account) -> tuple[list[VendorNumber], list[VendorSet], list[str]]:
    numbers, skipped = [], []
    for value in account.client().list_numbers()[:MAX_NUMBERS]:
        try:
            e164 = normalize(value, "ID")  # OCA is an Indonesian gateway (seed 004)
        except InvalidNumber as error:
            skipped.append(f"{str(value)[:40]}: {error}")
            continue
        numbers.append(VendorNumber(number=e164, country=country_of(e164)))
    return numbers, [], skipped


READERS = {VendorKind.OMILIA: read_omilia, VendorKind.OCA: read_oca}
KINDS = {VendorKind.OMILIA: NumberKind.DID, VendorKind.OCA: NumberKind.CALLER_ID}


def sync_account(account: ProviderAccount) -> SyncResult:
    """Bring the account's stored numbers (and sets) in line with the vendor's."""
    if account.kind not in READERS:
        raise ValueError(f"{account.get_kind_display()} has no numbers list to sync")
    numbers, sets, skipped = READERS[account.kind](account)
    result = SyncResult(skipped=skipped)
    with transaction.atomic():
        # One sync of an account at a time (PostgreSQL; SQLite serializes writers anyway).
        ProviderAccount.objects.select_for_update().filter(pk=account.pk).first()
        now = timezone.now()
        set_rows = _write_sets(account, sets, now, result)
        _write_numbers(account, numbers, set_rows, now, result)
    return result


def _write_sets(account, sets, now, result) -> dict[str, NumberSet]:
    existing = {row.vendor_id: row for row in NumberSet.objects.filter(account=account)}
    seen = {}
    for vendor in sets:
        row = existing.get(vendor.vendor_id)
        wanted = {
            "name": vendor.name,
            "attached_kind": "group" if vendor.group else "",
            "attached_to": vendor.group,
        }
        if row is None:
            row = NumberSet.objects.create(
                account=account, vendor_id=vendor.vendor_id, last_synced_at=now, **wanted
            )
            result.created += 1
        elif any(getattr(row, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(row, name, value)
            row.last_synced_at = now
            row.save()
            result.updated += 1
        seen[vendor.vendor_id] = row
    gone = [row.pk for key, row in existing.items() if key and key not in seen]
    if gone:
        result.deleted += (
            NumberSet.objects.filter(pk__in=gone).delete()[1].get(NumberSet._meta.label, 0)
        )
    NumberSet.objects.filter(pk__in=[row.pk for row in seen.values()]).update(last_synced_at=now)
    return seen


def _write_numbers(account, numbers, set_rows, now, result):
    kind = KINDS[account.kind]
    existing = {row.number: row for row in PhoneNumber.objects.filter(account=account)}
    memberships = dict.fromkeys((row.pk for row in existing.values()), ())
    through = PhoneNumber.sets.through
    for number_id, set_id in through.objects.filter(phonenumber__account=account).values_list(
        "phonenumber_id", "numberset_id"
    ):
        memberships[number_id] = (*memberships.get(number_id, ()), set_id)
    seen, new_rows, changed_rows = set(), [], []
    wanted_sets = {}
    for vendor in numbers:
        if vendor.number in seen:
            continue
        seen.add(vendor.number)
        wanted = {"kind": kind, "country": vendor.country, "group": vendor.group}
        if vendor.vendor_id:
            wanted["vendor_id"] = vendor.vendor_id
        if vendor.note is not None:
            wanted["note"] = vendor.note
        row = existing.get(vendor.number)
        if row is None:
            row = PhoneNumber(
                account=account,
                number=vendor.number,
                digits_reversed=reversed_digits(vendor.number),
                source=NumberSource.SYNC,
                acquired_at=now,
                last_synced_at=now,
                **wanted,
            )
            new_rows.append(row)
        elif any(getattr(row, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(row, name, value)
            changed_rows.append(row)
        wanted_sets[vendor.number] = {set_rows[s].pk for s in vendor.set_ids if s in set_rows}
    if new_rows:
        PhoneNumber.objects.bulk_create(new_rows, batch_size=500)
        result.created += len(new_rows)
        # bulk_create gives no ids on every backend: read them back.
        for row in PhoneNumber.objects.filter(
            account=account, number__in=[r.number for r in new_rows]
        ):
            existing[row.number] = row
    before = set(memberships)
    if changed_rows:
        for row in changed_rows:
            row.updated_at = now
        PhoneNumber.objects.bulk_update(
            changed_rows,
            ["kind", "country", "group", "vendor_id", "note", "updated_at"],
            batch_size=500,
        )
    touched = {row.pk for row in changed_rows}
    gone = [
        row.pk
        for number, row in existing.items()
        if number not in seen and row.source == NumberSource.SYNC
    ]
    if gone:
        PhoneNumber.objects.filter(pk__in=gone).delete()
        result.deleted += len(gone)
    if account.kind == VendorKind.OMILIA:
        touched |= _write_memberships(existing, wanted_sets, memberships) & before
    result.updated += len(touched)
    PhoneNumber.objects.filter(account=account, number__in=seen).update(last_synced_at=now)


def _write_memberships(existing, wanted_sets, memberships) -> set[int]:
    """Omilia puts a number in at most one set; the vendor's word replaces ours.
    Returns the ids of the numbers whose sets changed."""
    through = PhoneNumber.sets.through
    add, remove, touched = [], [], set()
    for number, wanted in wanted_sets.items():
        row = existing[number]
        have = set(memberships.get(row.pk, ()))
        for set_id in wanted - have:
            add.append(through(phonenumber_id=row.pk, numberset_id=set_id))
        for set_id in have - wanted:
            remove.append((row.pk, set_id))
        if wanted != have:
            touched.add(row.pk)
    if add:
        through.objects.bulk_create(add, ignore_conflicts=True)
    for number_id, set_id in remove:
        through.objects.filter(phonenumber_id=number_id, numberset_id=set_id).delete()
    return touched


def vendor_words(error: Exception) -> str:
    """What a run row says about a failure: the vendor's own message, never a secret
    (the HTTP seam already redacts its errors)."""
    if isinstance(error, VendorError):
        return str(error)[:2000]
    return f"{type(error).__name__}: {str(error)[:500]}"
