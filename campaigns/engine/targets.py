"""Building a campaign's targets at launch: one row per distinct number over the active
contacts of its lists (the contact with the lowest id wins a repeated number), scrubbed
against its DND lists and the vendor's number rules.

One INSERT ... SELECT, so a million contacts never pass through Python. The vendor's
rule (Campaign.invalid_number_q) and each contact's columns come from an ORM queryset;
around it, per database, one set-based statement that evaluates the rule and the DND
check once per number and derives the status, due time and reason from those two flags:

- PostgreSQL: DISTINCT ON (number) ... ORDER BY number, id (one sort of the contacts),
  LEFT JOIN the distinct numbers of the campaign's DND lists (one hash join).
- SQLite: GROUP BY number with MIN(id), whose bare columns come from that row (one
  temporary B-tree), the DND check (Campaign.dnd_blocking) probing the DND entries'
  (list, number) index once per number.

A second build is a no-op: targets_built_at is set in the same transaction, and the
INSERT does ON CONFLICT DO NOTHING on (campaign, number). On PostgreSQL, where that adds
about 30% to the statement (a speculative insertion per row), builds of one campaign
queue on an advisory lock instead and look again once they hold it; ON CONFLICT stays
for a campaign that already has targets."""

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper

# pg_advisory_xact_lock(BUILD_LOCK, campaign id mod 2^31): the builds of one campaign
# queue (two campaigns sharing a key would only queue too).
BUILD_LOCK = 0x7461  # "ta"

DND_REASON = "The number is on a DND list."

# The contact's columns a target copies, as the inner SELECT names them.
CONTACT_COLUMNS = ("id", "number", "name", "fields", "time_zone")


def _contacts(campaign, *, blocked: bool):
    """The campaign's active contacts (all duplicates) with the vendor's verdict on the
    number (`invalid`) and, when `blocked`, whether a DND list of the campaign holds it."""
    from campaigns.models import Contact

    list_ids = list(campaign.contact_lists.values_list("id", flat=True))
    flags = {
        "invalid": ExpressionWrapper(
            campaign.invalid_number_q("number"), output_field=BooleanField()
        )
    }
    if blocked:
        flags["blocked"] = campaign.dnd_blocking("number")
    return (
        Contact.objects.filter(contact_list_id__in=list_ids, is_active=True)
        .order_by()
        .values(*CONTACT_COLUMNS, **flags)
    )


def _source(campaign) -> tuple[str, list, str]:
    """FROM ... for this database: the deduplicated contacts as `c` with its `invalid`
    flag, and the SQL that says a row is DND-blocked. Returns (sql, params, blocked)."""
    from campaigns.models import DndEntry

    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        first = _contacts(campaign, blocked=False).order_by("number", "id").distinct("number")
        sql, params = first.query.sql_with_params()
        dnd_list_ids = campaign.dnd_list_ids()
        if not dnd_list_ids:
            return f"({sql}) c", list(params), "false"
        dnd = (
            DndEntry.objects.filter(dnd_list_id__in=dnd_list_ids)
            .order_by()
            .values("number")
            .distinct()
        )
        dnd_sql, dnd_params = dnd.query.sql_with_params()
        number = qn("number")
        source = f"({sql}) c LEFT JOIN ({dnd_sql}) d ON d.{number} = c.{number}"
        return source, [*params, *dnd_params], f"d.{number} IS NOT NULL"
    # SQLite: MIN(id)'s bare columns come from the row holding the minimum.
    sql, params = _contacts(campaign, blocked=True).query.sql_with_params()
    rest = ", ".join(qn(column) for column in (*CONTACT_COLUMNS[1:], "invalid", "blocked"))
    grouped = (
        f"SELECT MIN({qn('id')}) AS {qn('id')}, {rest} "  # noqa: S608 (quoted names)
        f"FROM ({sql}) c0 GROUP BY {qn('number')}"
    )
    return f"({grouped}) c", list(params), f"c.{qn('blocked')}"


def build_statement(campaign, now, *, on_conflict: bool = True) -> tuple[str, list]:
    """The build's INSERT ... SELECT and its parameters, for the connection's database.

    Status INVALID where the vendor cannot dial the number, DND where a DND list of the
    campaign (or the global one) holds it, else PENDING and due `now`. Every other
    column of a target takes its default (the model's, or the database's db_default)."""
    from campaigns.models import CampaignTarget

    qn = connection.ops.quote_name
    Status = CampaignTarget.Status
    source, source_params, blocked = _source(campaign)
    invalid = f"c.{qn('invalid')}"

    def param(name, value):
        return CampaignTarget._meta.get_field(name).get_db_prep_save(value, connection)

    # column -> (SQL, params), in the order of the SELECT.
    computed = {
        "campaign_id": ("%s", [campaign.pk]),
        "contact_id": (f"c.{qn('id')}", []),
        "number": (f"c.{qn('number')}", []),
        "name": (f"c.{qn('name')}", []),
        "fields": (f"c.{qn('fields')}", []),
        "time_zone": (f"c.{qn('time_zone')}", []),
        "status": (
            f"CASE WHEN {invalid} THEN %s WHEN {blocked} THEN %s ELSE %s END",
            [Status.INVALID.value, Status.DND.value, Status.PENDING.value],
        ),
        "next_attempt_at": (
            f"CASE WHEN {invalid} OR {blocked} THEN NULL ELSE %s END",
            [param("next_attempt_at", now)],
        ),
        "last_error": (
            f"CASE WHEN {invalid} THEN %s WHEN {blocked} THEN %s ELSE '' END",
            [campaign.invalid_reason(), DND_REASON],
        ),
        "updated_at": ("%s", [param("updated_at", now)]),
    }
    columns, values, params = [], [], []
    for field in CampaignTarget._meta.concrete_fields:
        if field.primary_key or (field.column not in computed and field.has_db_default()):
            continue  # the database fills it
        sql, field_params = computed.pop(
            field.column, ("%s", [field.get_db_prep_save(field.get_default(), connection)])
        )
        columns.append(qn(field.column))
        values.append(sql)
        params.extend(field_params)
    assert not computed, f"not columns of a target: {sorted(computed)}"
    table = qn(CampaignTarget._meta.db_table)
    # WHERE true: SQLite reads "FROM ... ON CONFLICT" as a join constraint without it.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (quoted names, %s)
        f"SELECT {', '.join(values)} FROM {source} WHERE true"
        + (" ON CONFLICT DO NOTHING" if on_conflict else "")
    )
    return sql, [*params, *source_params]


def build_targets(campaign) -> int:
    """Create the campaign's targets once (idempotent); returns how many rows it added."""
    from django.core.exceptions import EmptyResultSet
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from campaigns.models import Campaign, CampaignTarget

    if Campaign.objects.filter(pk=campaign.pk, targets_built_at__isnull=False).exists():
        return 0
    now = timezone.now()
    with transaction.atomic():
        on_conflict = True
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                key = campaign.pk % 2**31
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BUILD_LOCK, key])
            # Under the lock, a build that ran meanwhile has committed: look again.
            built, has_targets = (
                Campaign.objects.filter(pk=campaign.pk)
                .values_list(
                    "targets_built_at",
                    Exists(CampaignTarget.objects.filter(campaign=OuterRef("pk"))),
                )
                .get()
            )
            if built is not None:
                campaign.targets_built_at = built
                return 0
            on_conflict = has_targets
        try:
            sql, params = build_statement(campaign, now, on_conflict=on_conflict)
        except EmptyResultSet:  # no contact lists: the ORM finds nothing to select
            added = 0
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                added = max(cursor.rowcount, 0)
        Campaign.objects.filter(pk=campaign.pk, targets_built_at__isnull=True).update(
            targets_built_at=now
        )
    campaign.targets_built_at = now
    return added
