"""Building a campaign's targets at launch: one row per distinct number over the active
contacts of its lists, scrubbed against its DND lists and the vendor's number rules.

One INSERT ... SELECT, so a million contacts never pass through Python: the SELECT is
compiled by the ORM (the vendor's number rule and the DND check are ordinary filters),
and ON CONFLICT DO NOTHING (SQLite and PostgreSQL) makes a second build a no-op."""

from django.db import connection, transaction
from django.db.models import Case, CharField, F, IntegerField, Min, TextField, Value, When
from django.db.models.fields import DateTimeField
from django.utils import timezone

# Targets' columns, in the order the SELECT produces them.
COLUMNS = (
    "campaign_id",
    "contact_id",
    "number",
    "name",
    "fields",
    "time_zone",
    "status",
    "attempts",
    "next_attempt_at",
    "last_status",
    "last_error",
    "claim_token",
    "updated_at",
)


def targets_select(campaign, now):
    """The SELECT of the build: a queryset whose values() rows are COLUMNS."""
    from campaigns.models import CampaignTarget, Contact

    Status = CampaignTarget.Status
    list_ids = list(campaign.contact_lists.values_list("id", flat=True))
    first_of_each_number = (
        Contact.objects.filter(contact_list_id__in=list_ids, is_active=True)
        .order_by()
        .values("number")
        .annotate(first=Min("id"))
        .values("first")
    )
    invalid = campaign.invalid_number_q("number")
    blocked = campaign.dnd_blocking("number")
    annotations = {
        "t_campaign": Value(campaign.pk, output_field=IntegerField()),
        "t_contact": F("id"),
        "t_number": F("number"),
        "t_name": F("name"),
        "t_fields": F("fields"),
        "t_time_zone": F("time_zone"),
        "t_status": Case(
            When(invalid, then=Value(Status.INVALID)),
            When(blocked, then=Value(Status.DND)),
            default=Value(Status.PENDING),
            output_field=CharField(),
        ),
        "t_attempts": Value(0, output_field=IntegerField()),
        "t_next": Case(
            When(invalid, then=Value(None, output_field=DateTimeField())),
            When(blocked, then=Value(None, output_field=DateTimeField())),
            default=Value(now, output_field=DateTimeField()),
            output_field=DateTimeField(),
        ),
        "t_last_status": Value("", output_field=CharField()),
        "t_last_error": Case(
            When(invalid, then=Value(campaign.invalid_reason())),
            When(blocked, then=Value("The number is on a DND list.")),
            default=Value(""),
            output_field=TextField(),
        ),
        "t_claim": Value("", output_field=CharField()),
        "t_updated": Value(now, output_field=DateTimeField()),
    }
    assert len(annotations) == len(COLUMNS)
    return (
        Contact.objects.filter(id__in=first_of_each_number)
        .order_by()
        .annotate(**annotations)
        .values(*annotations)
    )


def build_targets(campaign) -> int:
    """Create the campaign's targets once (idempotent); returns how many rows it added.

    Status INVALID where the vendor cannot dial the number, DND where a DND list of the
    campaign (or the global one) holds it, else PENDING and due now."""
    from campaigns.models import Campaign, CampaignTarget

    if Campaign.objects.filter(pk=campaign.pk, targets_built_at__isnull=False).exists():
        return 0
    now = timezone.now()
    sql, params = targets_select(campaign, now).query.sql_with_params()
    table = connection.ops.quote_name(CampaignTarget._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in COLUMNS)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {sql} ON CONFLICT DO NOTHING", params)
            added = max(cursor.rowcount, 0)
        Campaign.objects.filter(pk=campaign.pk, targets_built_at__isnull=True).update(
            targets_built_at=now
        )
    campaign.targets_built_at = now
    return added
