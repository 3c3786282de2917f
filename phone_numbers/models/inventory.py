"""PhoneNumber and NumberSet (the shared spec in briefs/numbers-spec.md).

The engine rotates caller ids from these rows and reads only `PhoneNumber.objects.usable()`
(status and health_flag); the health job is the only writer of health_flag.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from campaigns.models.lists import e164_check, validate_e164

NOTE_MAX_LENGTH = 1000


def reversed_digits(number: str) -> str:
    """The digits of an E.164 number, last first: "ends with 3210" becomes a prefix
    search ("0123…") on an ordinary index, the same trick as CallRecord's."""
    return number.lstrip("+")[::-1]


def _digit_range(field: str, lead: str, prefix: str) -> Q:
    """`field` starts with lead + prefix, as lead+prefix <= field < lead+next prefix
    ("0129" -> "013"; all nines have no upper bound)."""
    query = Q(**{f"{field}__gte": lead + prefix})
    upper = prefix.rstrip("9")
    if upper:
        upper = upper[:-1] + str(int(upper[-1]) + 1)
        query &= Q(**{f"{field}__lt": lead + upper})
    return query


class NumberKind(models.TextChoices):
    DID = "did", "DID"
    CALLER_ID = "caller_id", "Caller id"


class NumberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESTING = "resting", "Resting"
    SPAM_LIKELY = "spam_likely", "Spam-likely"


class NumberSource(models.TextChoices):
    SYNC = "sync", "Synced from the vendor"
    MANUAL = "manual", "Added by hand"
    IMPORT = "import", "Imported from a file"


class NumberSet(models.Model):
    """An Omilia number set, and the user or group it is attached to."""

    ATTACHED_KINDS = [("", "Not attached"), ("user", "User"), ("group", "Group")]

    account = models.ForeignKey(
        "telephony.ProviderAccount", on_delete=models.CASCADE, related_name="number_sets"
    )
    vendor_id = models.CharField(max_length=100, blank=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])
    attached_kind = models.CharField(max_length=10, blank=True, choices=ATTACHED_KINDS)
    attached_to = models.CharField(max_length=200, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "vendor_id"],
                condition=~Q(vendor_id=""),
                name="numberset_unique_vendor_id",
                violation_error_message="This account already has a set with that vendor id.",
            )
        ]

    def __str__(self):
        return self.name


class PhoneNumberQuerySet(models.QuerySet):
    def usable(self):
        """Numbers a rotation may dial from: active, and not flagged by the health rules."""
        return self.filter(status=NumberStatus.ACTIVE, health_flag="")

    def search(self, text: str, match: str = "exact"):
        """Numbers by their digits: `match` is "exact", "begins" or "ends". Each is a
        range on an index ("+9198" <= number < "+9199"), so no LIKE and no scan on either
        database. The bounds are digits only: a locale collation on PostgreSQL ignores
        punctuation such as ":" but orders digit strings as C does."""
        digits = "".join(ch for ch in (text or "") if ch.isdigit())
        if not digits:
            return self
        if match == "ends":
            return self.filter(_digit_range("digits_reversed", "", digits[::-1]))
        if match == "begins":
            return self.filter(_digit_range("number", "+", digits))
        return self.filter(number="+" + digits)

    def filtered(
        self,
        *,
        q="",
        match="",
        account="",
        kind="",
        set="",
        group="",
        country="",
        status="",
        flagged="",
        **_,
    ):
        """The index page's filters, named as in its query string."""
        numbers = self.search(q, match or "exact")
        if str(account).isdigit():
            numbers = numbers.filter(account_id=int(account))
        if kind in NumberKind.values:
            numbers = numbers.filter(kind=kind)
        if str(set).isdigit():
            numbers = numbers.filter(sets__id=int(set))
        if group:
            numbers = numbers.filter(group=group)
        if country:
            numbers = numbers.filter(country=country.upper()[:2])
        if status in NumberStatus.values:
            numbers = numbers.filter(status=status)
        if flagged == "yes":
            numbers = numbers.exclude(health_flag="")
        elif flagged == "no":
            numbers = numbers.filter(health_flag="")
        return numbers


class PhoneNumber(models.Model):
    """One number at one vendor account: a DID or a caller id."""

    number = models.CharField(max_length=20, help_text="E.164", validators=[validate_e164])
    # Filled by save() and by every bulk writer (sync, import) with reversed_digits().
    digits_reversed = models.CharField(max_length=20, editable=False, db_index=True)
    account = models.ForeignKey(
        "telephony.ProviderAccount", on_delete=models.CASCADE, related_name="phone_numbers"
    )
    vendor_id = models.CharField(max_length=100, blank=True, help_text="The vendor's id for it")
    kind = models.CharField(max_length=10, choices=NumberKind.choices, default=NumberKind.DID)
    country = models.CharField(max_length=2, blank=True, help_text="ISO country code")
    region = models.CharField(max_length=80, blank=True, help_text="Region or telecom circle")
    group = models.CharField(max_length=80, blank=True)
    status = models.CharField(
        max_length=12, choices=NumberStatus.choices, default=NumberStatus.ACTIVE
    )
    health_flag = models.CharField(
        max_length=200, blank=True, help_text="Why the health rules flagged it; blank = healthy"
    )
    note = models.TextField(blank=True, validators=[MaxLengthValidator(NOTE_MAX_LENGTH)])
    sets = models.ManyToManyField(NumberSet, related_name="numbers", blank=True)
    daily_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="Calls a day from a rotation pool; empty = no cap"
    )
    source = models.CharField(
        max_length=10, choices=NumberSource.choices, default=NumberSource.MANUAL
    )
    acquired_at = models.DateTimeField(null=True, blank=True)
    # The latest rollup bucket with a call from it, kept by the health job: the "unused
    # for 30 days" list reads this instead of probing the rollups for every number.
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The health job's figures per window (phone_numbers.health.Health.as_json), so the
    # health page of any number of calls reads 50 small rows, not 30 days of rollups.
    health_figures = models.JSONField(default=dict, blank=True, editable=False)
    health_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PhoneNumberQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "number"],
                name="phonenumber_unique_per_account",
                violation_error_message="This account already has that number.",
            ),
            e164_check("phonenumber_number_e164"),
            models.CheckConstraint(
                condition=Q(status__in=NumberStatus.values),
                name="phonenumber_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["number"], name="phonenumber_number_idx"),
            models.Index(fields=["kind", "id"], name="phonenumber_kind_idx"),
            models.Index(fields=["country", "id"], name="phonenumber_country_idx"),
            models.Index(fields=["group", "id"], name="phonenumber_group_idx"),
            models.Index(fields=["acquired_at", "id"], name="phonenumber_acquired_idx"),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.digits_reversed = reversed_digits(self.number)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "number" in update_fields:
            kwargs["update_fields"] = {*update_fields, "digits_reversed"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.daily_cap == 0:
            raise ValidationError(
                {"daily_cap": "A cap of 0 would never dial; leave it empty for no cap."}
            )

    @property
    def is_usable(self) -> bool:
        return self.status == NumberStatus.ACTIVE and not self.health_flag
