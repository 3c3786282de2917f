"""Demo contact and DND lists for `manage.py load_demo`: deterministic and idempotent
(rows are keyed by list name and number, so a second run adds nothing)."""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model

from telephony.phone import InvalidNumber, normalize, time_zone_for

from .models import Contact, ContactList, DndEntry, DndList

DEMO_LIST = "Demo customers"
GLOBAL_DND = "Global DND"
OTHER_DND = "Marketing opt-outs"

FIRST = ["Aarav", "Diya", "Kabir", "Meera", "Rohan", "Ananya", "Vikram", "Isha", "Arjun",
         "Priya", "Oliver", "Amelia", "Noah", "Emma", "Liam", "Sofia", "Omar", "Layla",
         "Wei", "Mei"]  # fmt: skip
LAST = ["Sharma", "Patel", "Iyer", "Reddy", "Khan", "Nair", "Gupta", "Das", "Smith",
        "Jones", "Brown", "Garcia", "Haddad", "Tan", "Lim", "Mehta"]  # fmt: skip
# (country, how many, city names, a number maker)
COUNTRIES = [
    ("IN", 120, ["Mumbai", "Delhi", "Bengaluru", "Chennai", "Pune"],
     lambda r: f"9{r.randint(100000000, 999999999)}"),
    ("US", 30, ["New York", "Chicago", "San Francisco"],
     lambda r: r.choice(["212", "312", "415"]) + f"555{r.randint(1000, 9999)}"),
    ("GB", 20, ["London", "Leeds", "Bristol"], lambda r: f"07700900{r.randint(100, 999)}"),
    ("AE", 15, ["Dubai", "Abu Dhabi"], lambda r: f"050{r.randint(1000000, 9999999)}"),
    ("SG", 15, ["Singapore"], lambda r: f"8{r.randint(1000000, 9999999)}"),
]  # fmt: skip


def demo_contacts():
    """About 200 (number, name, zone, fields, active) rows, the same on every run."""
    rng = random.Random(4_2026)
    rows, seen = [], set()
    for country, count, cities, make in COUNTRIES:
        for _ in range(count):
            raw = make(rng)
            try:
                number = normalize(raw, country)
            except InvalidNumber:
                continue
            if number in seen:
                continue
            seen.add(number)
            due = date(2026, 12, 1) + timedelta(days=rng.randint(0, 60))
            fields = {
                "due_amount": f"{rng.randint(5, 500) * 10}",
                "due_date": due.isoformat(),
                "city": rng.choice(cities),
            }
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            rows.append((number, raw, name, time_zone_for(number), fields, len(rows) % 17 != 5))
    return rows


def load_demo_lists():
    """Create what is missing; yields a line per list for the command's output."""
    supervisor = get_user_model().objects.filter(username="supervisor").first()
    contact_list, created = ContactList.objects.get_or_create(
        name=DEMO_LIST,
        defaults={
            "description": "Customers with a payment due, across five countries.",
            "default_country": "IN",
            "created_by": supervisor,
        },
    )
    rows = demo_contacts()
    Contact.objects.bulk_create(
        [
            Contact(
                contact_list=contact_list,
                number=number,
                raw_number=raw,
                name=name,
                time_zone=zone,
                fields=fields,
                is_active=active,
            )
            for number, raw, name, zone, fields, active in rows
        ],
        ignore_conflicts=True,
    )
    contact_list.add_custom_fields(["due_amount", "due_date", "city"])
    contact_list.refresh_count()
    verb = "Created" if created else "Kept"
    yield f"{verb} contact list {DEMO_LIST} ({contact_list.contact_count} contacts)"

    numbers = [row[0] for row in rows]
    global_list = (
        DndList.objects.filter(name=GLOBAL_DND).first()
        or DndList.objects.filter(is_global=True).first()
    )
    global_created = global_list is None
    if global_created:
        global_list = DndList.objects.create(
            name=GLOBAL_DND,
            is_global=True,
            description="Numbers no campaign may call: complaints and regulator requests.",
        )
    other, other_created = DndList.objects.get_or_create(
        name=OTHER_DND, defaults={"description": "Customers who opted out of marketing calls."}
    )
    created = {global_list.pk: global_created, other.pk: other_created}
    plans = [
        (global_list, numbers[3:6] + ["+919000000001", "+919000000002"], "Complaint to regulator"),
        (other, numbers[40:42] + ["+447700900001", "+12125550000"], "Opted out by SMS"),
    ]
    for dnd_list, dnd_numbers, reason in plans:
        DndEntry.objects.bulk_create(
            [
                DndEntry(
                    dnd_list=dnd_list,
                    number=number,
                    reason=reason,
                    source=DndEntry.Source.MANUAL if i % 2 else DndEntry.Source.FILE,
                    added_by=supervisor,
                )
                for i, number in enumerate(dnd_numbers)
            ],
            ignore_conflicts=True,
        )
        dnd_list.refresh_count()
        verb = "Created" if created[dnd_list.pk] else "Kept"
        yield f"{verb} DND list {dnd_list.name} ({dnd_list.entry_count} numbers)"
