import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class UserProfile(models.Model):
    """Per-user settings of a dashboard user; also carries the role permissions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="UTC")

    class Meta:
        # The role permissions: groups hold these, views check them.
        permissions = [
            ("manage_users", "Manage dashboard users"),
            ("manage_vendors", "Manage vendor accounts, vendor users and numbers"),
            ("view_jobs", "See background jobs and their schedules"),
            ("run_campaigns", "Build and run lists, campaigns, calls and callbacks"),
            ("view_reports", "Read reports and campaign progress"),
        ]

    def __str__(self):
        return f"{self.user} ({self.time_zone})"

    @classmethod
    def for_user(cls, user) -> "UserProfile":
        profile, _ = cls.objects.get_or_create(user=user)
        return profile


class WorkerHeartbeatQuerySet(models.QuerySet):
    def alive(self):
        cutoff = timezone.now() - timedelta(seconds=WorkerHeartbeat.STALE_AFTER_SECONDS)
        return self.filter(last_seen__gte=cutoff)


class WorkerHeartbeat(models.Model):
    """One row per django-q2 cluster, touched by a scheduled task and on worker start."""

    STALE_AFTER_SECONDS = 150

    name = models.CharField(max_length=200, unique=True)
    host = models.CharField(max_length=200, blank=True)
    pid = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WorkerHeartbeatQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self):
        return self.name

    @property
    def is_alive(self) -> bool:
        return self.last_seen >= timezone.now() - timedelta(seconds=self.STALE_AFTER_SECONDS)

    @classmethod
    def beat(cls, name: str, host: str = "", pid: int | None = None) -> "WorkerHeartbeat":
        now = timezone.now()
        beat, created = cls.objects.get_or_create(
            name=name, defaults={"host": host, "pid": pid, "started_at": now, "last_seen": now}
        )
        if not created:
            cls.objects.filter(pk=beat.pk).update(host=host, pid=pid, last_seen=now)
            beat.refresh_from_db()
        return beat


# --- vendor accounts and the vendor-facing records -------------------------------------


def _fernet():
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


class VendorKind(models.TextChoices):
    MYOPERATOR = "myoperator", "MyOperator (OBD + REST API)"
    CPAAS = "cpaas", "CPaaS (self-hosted Asterisk)"
    OMILIA = "omilia", "Omilia OCP"
    OCA = "oca", "OCA Telkom call gateway"


class ProviderAccountQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def of_kind(self, kind):
        return self.filter(kind=kind)


class ProviderAccount(models.Model):
    """One set of credentials at one vendor. Secrets are encrypted at rest (MultiFernet).

    `config` holds the non-secret settings each vendor needs (company id, region, URLs,
    user names); `secrets` the secret ones, only ever decrypted in memory."""

    kind = models.CharField(max_length=20, choices=VendorKind.choices)
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)
    base_url = models.URLField(max_length=300, blank=True)
    config = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True, editable=False)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_message = models.CharField(max_length=500, blank=True)
    sync_interval_minutes = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text="How often calls are synced from the vendor (minutes)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProviderAccountQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def secrets(self) -> dict:
        if not self.secrets_encrypted:
            return {}
        import json

        return json.loads(_fernet().decrypt(self.secrets_encrypted.encode()).decode())

    def set_secrets(self, values: dict, *, keep_blank: bool = True):
        """Store secrets; a blank value keeps the old one (write-only form fields)."""
        import json

        merged = self.secrets
        for name, value in values.items():
            if value in (None, "") and keep_blank:
                continue
            merged[name] = value
        self.secrets_encrypted = _fernet().encrypt(json.dumps(merged).encode()).decode()

    def rotate_secrets(self):
        """Re-encrypt with the first (newest) key of FIELD_ENCRYPTION_KEYS."""
        if self.secrets_encrypted:
            self.secrets_encrypted = _fernet().rotate(self.secrets_encrypted.encode()).decode()

    def secret_values(self) -> list[str]:
        return [str(value) for value in self.secrets.values() if value]

    def client(self):
        from telephony.vendors.registry import client_for

        return client_for(self)

    # The account's catalogue, offered by the campaign builder: OCA's IVRs and caller-id
    # numbers as last synced from the vendor, MyOperator's as an admin entered them on
    # the account page (its API has no list of either).

    @property
    def ivr_catalogue(self) -> list[dict]:
        """[{"id", "name"}] of the account's IVRs."""
        items = (self.config or {}).get("ivrs") or []
        return [
            {"id": str(item["id"]), "name": str(item.get("name") or "")}
            for item in items
            if isinstance(item, dict) and item.get("id")
        ]

    @property
    def caller_id_catalogue(self) -> list[str]:
        """The account's caller ids (DIDs, numbers) as the vendor spells them."""
        return [str(number) for number in (self.config or {}).get("caller_ids") or [] if number]

    @property
    def capabilities(self):
        from telephony.vendors.registry import capabilities_of

        return capabilities_of(self.kind)

    def test_connection(self):
        """Call the vendor's cheapest read endpoint and remember the answer."""
        from telephony.vendors.base import ConnectionCheck, VendorError

        try:
            result = self.client().check_connection()
        except VendorError as exc:
            result = ConnectionCheck(ok=False, message=exc.message or str(exc))
        self.last_tested_at = timezone.now()
        self.last_test_ok = result.ok
        self.last_test_message = result.message[:500]
        self.save(update_fields=["last_tested_at", "last_test_ok", "last_test_message"])
        return result


class ProviderRequest(models.Model):
    """One attempt of one vendor request, written by the HTTP seam; secrets redacted."""

    account = models.ForeignKey(
        ProviderAccount, null=True, blank=True, on_delete=models.CASCADE, related_name="requests"
    )
    vendor = models.CharField(max_length=20)
    method = models.CharField(max_length=10)
    endpoint = models.CharField(max_length=200)
    url = models.CharField(max_length=1000)
    status_code = models.IntegerField(null=True, blank=True)
    latency_ms = models.IntegerField()
    attempt = models.PositiveSmallIntegerField(default=1)
    retried = models.BooleanField(default=False)
    ok = models.BooleanField()
    error_kind = models.CharField(max_length=50, blank=True)
    error = models.CharField(max_length=1000, blank=True)
    request_excerpt = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self):
        return f"{self.vendor} {self.method} {self.endpoint} -> {self.status_code}"


def dashboard_figures(user) -> list[dict]:
    """The home page's figures: real counts of what exists, limited to what the user may see."""
    from django.contrib.auth import get_user_model
    from django.urls import NoReverseMatch, reverse
    from django_q.models import Failure, Success

    def url(name):
        try:
            return reverse(name)
        except NoReverseMatch:
            return None

    since = timezone.now() - timedelta(hours=24)
    figures = []
    if user.has_perm("telephony.manage_users"):
        users = get_user_model().objects.filter(is_active=True)
        figures.append(
            {
                "label": "Active users",
                "value": users.count(),
                "detail": ", ".join(
                    f"{users.filter(groups__name=role).count()} {role.lower()}"
                    for role in ("Admin", "Supervisor", "Viewer")
                ),
                "url": url("telephony:user_index"),
            }
        )
    if user.has_perm("telephony.view_jobs"):
        figures.append(
            {
                "label": "Jobs succeeded (24 h)",
                "value": Success.objects.filter(stopped__gte=since).count(),
                "detail": f"{Failure.objects.filter(stopped__gte=since).count()} failed",
                "url": url("telephony:jobs"),
            }
        )
        alive = WorkerHeartbeat.objects.alive().count()
        figures.append(
            {
                "label": "Workers alive",
                "value": alive,
                "detail": "running" if alive else "none running",
                "url": url("telephony:jobs"),
            }
        )
    return figures


# --- dashboard users: role assignment and the guard rails that keep an Admin in charge ---


def active_admins():
    """Active users who act as Admin: members of the Admin group, or superusers."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(models.Q(groups__name="Admin") | models.Q(is_superuser=True))
        .distinct()
    )


def lock_active_admins():
    """Lock the active admins' rows until the transaction ends, so two concurrent
    demotions cannot both pass the last-admin check (no-op on SQLite, which serializes)."""
    from django.contrib.auth import get_user_model

    admin_ids = active_admins().values("pk")
    list(get_user_model().objects.select_for_update().filter(pk__in=admin_ids).values("pk"))


def assign_role(user, role: str):
    """Make `role` the user's one role group; groups that are not roles stay."""
    from django.contrib.auth.models import Group

    from ..access import ROLES

    user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
    user.groups.add(Group.objects.get(name=role))


def user_change_problems(actor, user, *, role: str, is_active: bool) -> dict[str, str]:
    """Why `actor` may not give `user` this role and active flag (field -> message)."""
    problems = {}
    if actor.pk == user.pk:
        if not is_active:
            problems["is_active"] = "You cannot deactivate your own account."
        if role != "Admin" and not user.is_superuser:
            problems["role"] = (
                "You cannot remove your own Admin role. Ask another Admin to change it."
            )
    stays_admin = is_active and (role == "Admin" or user.is_superuser)
    admins = active_admins()
    if (
        not stays_admin
        and admins.filter(pk=user.pk).exists()
        and not admins.exclude(pk=user.pk).exists()
    ):
        action = "deactivate" if not is_active else "change the role of"
        problems.setdefault(
            "is_active" if not is_active else "role",
            f"{user.username} is the last active Admin. Make another user an Admin "
            f"before you {action} this account.",
        )
    return problems
