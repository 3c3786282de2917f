"""Demo contact and DND lists for `manage.py load_demo`: deterministic and idempotent
(rows are keyed by list name and number, so a second run adds nothing)."""

import random
from datetime import date, time, timedelta

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
    ("GB", 20, ["London", "Leeds", "Bristol"], lambda r: f"07400900{r.randint(100, 999)}"),
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
        (other, numbers[40:42] + ["+447400900001", "+12125550000"], "Opted out by SMS"),
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
    # The demo campaigns need the lists above (and the demo vendor accounts, if any).
    yield from load_demo_campaigns()


# --- demo campaigns (drafts) ----------------------------------------------------------

JAKARTA_LIST = "Demo Jakarta customers"
CPAAS_DRAFT = "Payment reminder (demo, CPaaS announcement)"
OCA_DRAFT = "Internet fault follow-up (demo, OCA IVR)"
JAKARTA_NAMES = ["Budi Santoso", "Siti Rahayu", "Agus Wijaya", "Dewi Lestari", "Rudi Hartono",
                 "Putri Ayu", "Joko Susilo", "Rina Kusuma", "Hendra Gunawan", "Wati Suryani",
                 "Bayu Pratama", "Intan Permata"]  # fmt: skip


def jakarta_contacts():
    """Twelve Indonesian mobiles (OCA calls +62 numbers only), the same on every run."""
    rows = []
    for index, name in enumerate(JAKARTA_NAMES):
        number = normalize(f"0812{index + 1:04d}{7000 + index:04d}", "ID")
        fields = {"nomor_inet": f"1220{index + 1:08d}"}
        rows.append((number, name, time_zone_for(number) or "Asia/Jakarta", fields))
    return rows


def load_demo_campaigns():
    """A small +62 list, and two drafts ready to start: a text-to-speech announcement on
    the demo CPaaS account and an IVR on the demo OCA account. Only what is missing is
    created; nothing is dialled until someone starts them."""
    from django.utils import timezone

    from telephony.models import ProviderAccount

    from .models import Campaign

    supervisor = get_user_model().objects.filter(username="supervisor").first()
    jakarta, created = ContactList.objects.get_or_create(
        name=JAKARTA_LIST,
        defaults={
            "description": "Indonesian customers for the OCA demo (OCA calls +62 numbers only).",
            "default_country": "ID",
            "created_by": supervisor,
        },
    )
    Contact.objects.bulk_create(
        [
            Contact(
                contact_list=jakarta,
                number=number,
                raw_number=number,
                name=name,
                time_zone=zone,
                fields=fields,
            )
            for number, name, zone, fields in jakarta_contacts()
        ],
        ignore_conflicts=True,
    )
    jakarta.add_custom_fields(["nomor_inet"])
    jakarta.refresh_count()
    verb = "Created" if created else "Kept"
    yield f"{verb} contact list {JAKARTA_LIST} ({jakarta.contact_count} contacts)"

    customers = ContactList.objects.filter(name=DEMO_LIST).first()
    opt_outs = DndList.objects.filter(name=OTHER_DND).first()
    cpaas = ProviderAccount.objects.filter(kind="cpaas", name="CPaaS sandbox").first()
    if cpaas and customers:
        campaign, created = Campaign.objects.get_or_create(
            name=CPAAS_DRAFT,
            defaults={
                "account": cpaas,
                "kind": Campaign.Kind.TTS,
                "announcement_text": "Hello {name}. This is a reminder that {due_amount} "
                "rupees are due on {due_date}. Thank you.",
                "caller_id": "918045000000",
                "time_zone": "Asia/Kolkata",
                "ends_at": timezone.now() + timedelta(days=14),
                "calls_per_minute": 30,
                "max_retries": 1,
                "retry_interval": 900,
                "repeat_count": 2,
                "tts_language": "en-IN",
                "tts_rate": "medium",
                "created_by": supervisor,
            },
        )
        if created:
            campaign.contact_lists.set([customers])
            if opt_outs:
                campaign.dnd_lists.set([opt_outs])
        yield f"{'Created' if created else 'Kept'} draft campaign {CPAAS_DRAFT}"
    oca = ProviderAccount.objects.filter(kind="oca", name="OCA Telkom (sandbox)").first()
    if oca:
        from telephony.vendors.oca.sandbox import SANDBOX_CREDENTIALS, ivr_id_for
        from telephony.vendors.oca.sandbox_data import SEED_NUMBERS

        campaign, created = Campaign.objects.get_or_create(
            name=OCA_DRAFT,
            defaults={
                "account": oca,
                "kind": Campaign.Kind.IVR,
                # "IVR Resti" asks for name and nomor_inet, both fields of the list.
                "ivr_id": ivr_id_for(SANDBOX_CREDENTIALS["username"], "resti"),
                "ivr_variables": {"name": "{name}", "nomor_inet": "{nomor_inet}"},
                "caller_id": SEED_NUMBERS[0],
                "time_zone": "Asia/Jakarta",
                "window_start": time(9),
                "window_end": time(20),
                "weekdays": [0, 1, 2, 3, 4, 5],
                "calls_per_minute": 20,
                "max_retries": 2,
                "retry_interval": 600,
                "created_by": supervisor,
            },
        )
        if created:
            campaign.contact_lists.set([jakarta])
        yield f"{'Created' if created else 'Kept'} draft campaign {OCA_DRAFT}"
