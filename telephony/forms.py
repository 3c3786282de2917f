import ipaddress
import re

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm, UserCreationForm
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q

from .access import ROLES, role_of
from .models import (
    TIME_ZONE_CHOICES,
    ProviderAccount,
    SandboxConfig,
    UserProfile,
    assign_role,
    lock_active_admins,
    user_change_problems,
)
from .vendors.destinations import ForbiddenDestination, check_url
from .vendors.http import header_problem
from .vendors.registry import header_credentials


class LoginThrottle:
    """Counts failed logins per username and per client address in the shared cache.

    Every attempt that does not end in a real authentication counts (a wrong password,
    an unknown user, an empty or missing field), and only a real success resets
    anything: that username's own counter. The address's counter runs out on its own,
    so a caller cannot clear it by logging in to an account of their own."""

    def __init__(self, username: str, address: str):
        self.username = username.strip().lower()
        self.address = address
        self.user_key = f"login-fail:user:{self.username}"
        self.keys = [self.user_key, f"login-fail:addr:{address}"]

    def is_locked(self) -> bool:
        return any((cache.get(key) or 0) >= settings.LOGIN_FAILURE_LIMIT for key in self.keys)

    def record_failure(self):
        for key in self.keys:
            cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        # Remember where this username's failures came from (bounded), so that an admin's
        # password reset can lift those address locks too.
        addresses_key = f"login-fail:addrs:{self.username}"
        addresses = [a for a in cache.get(addresses_key) or [] if a != self.address]
        cache.set(
            addresses_key, [*addresses, self.address][-20:], timeout=settings.LOGIN_LOCKOUT_SECONDS
        )

    def record_success(self):
        cache.delete(self.user_key)

    @staticmethod
    def clear_username(username: str):
        """Lift a username's lock-out (an admin set a new password): its own counter and
        those of the addresses its failures came from, so that its owner can log in."""
        name = username.strip().lower()
        addresses = cache.get(f"login-fail:addrs:{name}") or []
        cache.delete_many(
            [
                f"login-fail:user:{name}",
                f"login-fail:addrs:{name}",
                *(f"login-fail:addr:{address}" for address in addresses),
            ]
        )


def client_address(request) -> str:
    """The address of whoever sent the request, for the log-in throttle.

    `REMOTE_ADDR` is the peer of this server; behind a reverse proxy that is the proxy
    itself, the same for everyone. `X-Forwarded-For` is believed only through the
    proxies that `TRUSTED_PROXIES` names, walking it from the right: each trusted hop
    vouches for the address before it, and the first address no trusted proxy is
    speaking for is the client. Whatever a client writes further left is ignored."""
    remote = _ip(request.META.get("REMOTE_ADDR", ""))
    trusted = settings.TRUSTED_PROXIES
    if remote is None:
        return "unknown"
    if not trusted:
        return str(remote)
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ][-64:]  # a hostile header is bounded before it is walked
    chain = [*forwarded, str(remote)]
    if isinstance(trusted, int):
        # A count: the client is that many hops in from the right (or the leftmost).
        candidate = chain[max(0, len(chain) - 1 - trusted)]
        address = _ip(candidate)
        return str(address) if address is not None else "unknown"
    address = remote
    for hop in reversed(forwarded):
        if not any(address in network for network in trusted):
            break
        address = _ip(hop)
        if address is None:
            return "unknown"
    return str(address)


def _ip(value: str):
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket (::ffff:1.2.3.4) is the IPv4 address.
    return getattr(address, "ipv4_mapped", None) or address


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": (
            "Too many failed log-in attempts. Wait %(minutes)d minutes and try again, "
            "or ask an admin to reset your password."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or self.data.get("username") or ""
        throttle = LoginThrottle(str(username)[:150], client_address(self.request))
        if throttle.is_locked():
            throttle.record_failure()
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure()
            raise
        # AuthenticationForm.clean authenticates only when both fields are there: an
        # empty or missing password reaches here without an error and without a user.
        if self.user_cache is None or self.errors:
            throttle.record_failure()
        else:
            throttle.record_success()
        return cleaned


# --- dashboard users -----------------------------------------------------------------


def time_zone_choices():
    """IANA zones grouped by region (Africa, America, …), UTC first."""
    groups: dict[str, list] = {}
    for name, _label in TIME_ZONE_CHOICES:
        region = name.split("/", 1)[0] if "/" in name else "Other"
        groups.setdefault(region, []).append((name, name.replace("_", " ")))
    return [("UTC", "UTC"), *sorted(groups.items())]


ROLE_HELP = (
    "Admin: everything, including users, vendors and numbers. "
    "Supervisor: lists, campaigns, calls and reports. Viewer: reads reports."
)


def role_field():
    return forms.ChoiceField(
        choices=[("", "Choose a role…"), *((role, role) for role in ROLES)], help_text=ROLE_HELP
    )


def time_zone_field():
    return forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        initial="UTC",
        help_text="Dates and times are shown in this zone everywhere in Dialdesk.",
    )


def save_time_zone(user, time_zone: str):
    profile = UserProfile.for_user(user)
    if profile.time_zone != time_zone:
        profile.time_zone = time_zone
        profile.save(update_fields=["time_zone"])


class UserFilter(django_filters.FilterSet):
    """The users list: search by username, name or email; filter by role and status."""

    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.SearchInput(
            attrs={"placeholder": "Username, name or email", "autocomplete": "off"}
        ),
    )
    role = django_filters.ChoiceFilter(
        label="Role",
        choices=[(role, role) for role in ROLES],
        method="by_role",
        empty_label="All roles",
    )
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=[("active", "Active"), ("inactive", "Inactive")],
        method="by_status",
        empty_label="Any status",
    )

    class Meta:
        model = get_user_model()
        fields = []

    def search(self, queryset, name, value):
        query = Q()
        for word in value.split():
            query &= (
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
            )
        return queryset.filter(query)

    def by_role(self, queryset, name, value):
        # Superusers act as Admins whatever their groups, so list them there.
        if value == "Admin":
            return queryset.filter(Q(groups__name="Admin") | Q(is_superuser=True)).distinct()
        return queryset.filter(groups__name=value, is_superuser=False).distinct()

    def by_status(self, queryset, name, value):
        return queryset.filter(is_active=value == "active")


class UserCreateForm(UserCreationForm):
    """A new dashboard user with a role, a time zone and a validated password."""

    role = role_field()
    time_zone = time_zone_field()

    field_order = [
        "username",
        "first_name",
        "last_name",
        "email",
        "role",
        "time_zone",
        "password1",
        "password2",
    ]

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name", "last_name", "email")

    @transaction.atomic
    def save(self, commit=True):
        user = super().save(commit=True)
        assign_role(user, self.cleaned_data["role"])
        save_time_zone(user, self.cleaned_data["time_zone"])
        return user


class UserEditForm(forms.ModelForm):
    """An admin edits another user (or themself) within the guard rails of
    `user_change_problems`: nobody locks themself out, and an active Admin remains."""

    role = role_field()
    time_zone = time_zone_field()

    field_order = ["first_name", "last_name", "email", "role", "time_zone", "is_active"]

    class Meta:
        model = get_user_model()
        fields = ("first_name", "last_name", "email", "is_active")
        labels = {"is_active": "Active: can log in"}
        help_texts = {
            "is_active": "Deactivated users cannot log in; their history stays.",
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["role"].initial = role_of(self.instance)
        self.fields["time_zone"].initial = UserProfile.for_user(self.instance).time_zone

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role"):
            self.add_problems(cleaned)
        return cleaned

    def add_problems(self, cleaned) -> bool:
        problems = user_change_problems(
            self.actor,
            self.instance,
            role=cleaned["role"],
            is_active=bool(cleaned.get("is_active")),
        )
        for field, message in problems.items():
            self.add_error(field, message)
        return bool(problems)

    def save(self, commit=True):
        """Save, re-checking the guard rails under a lock; returns None (with the form's
        errors set) if another admin's change got in first."""
        with transaction.atomic():
            lock_active_admins()
            if self.add_problems(self.cleaned_data):
                return None
            user = super().save()
            assign_role(user, self.cleaned_data["role"])
            save_time_zone(user, self.cleaned_data["time_zone"])
        return user


class UserPasswordForm(SetPasswordForm):
    """An admin sets a user's password; this also lifts the user's log-in lock-out."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        LoginThrottle.clear_username(user.get_username())
        return user


class ProfileForm(forms.ModelForm):
    """Any user edits their own name, email and display time zone."""

    time_zone = time_zone_field()

    class Meta:
        model = get_user_model()
        fields = ("first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].initial = UserProfile.for_user(self.instance).time_zone

    @transaction.atomic
    def save(self, commit=True):
        user = super().save()
        save_time_zone(user, self.cleaned_data["time_zone"])
        return user


# --- vendor accounts: one credential form per vendor kind ------------------------------

SECRET_KEPT = "•••• set (leave blank to keep)"
SECRET_STORED = "A value is stored: type a new one only to replace it."


def secret_field(label: str, *, help_text: str = "", required: bool = True):
    """A write-only secret: never rendered back; blank keeps the stored value."""
    field = forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    field.needed = required  # required while the account has no stored value
    return field


def vendor_destination(url: str):
    """A vendor URL may not point at a link-local or cloud metadata address (the host
    name resolved); the seam checks again before each request."""
    try:
        check_url(url)
    except ForbiddenDestination as exc:
        raise forms.ValidationError(str(exc), code="forbidden_destination") from None


def url_field(label: str, *, initial: str = "", required: bool = True, help_text: str = ""):
    return forms.URLField(
        label=label,
        initial=initial,
        required=required,
        max_length=300,
        assume_scheme="https",
        help_text=help_text,
        validators=[vendor_destination],
    )


def header_error(value: str, where: str, *, secret: bool) -> str:
    """Why `value` cannot be sent in `where` (an HTTP header), or "". A secret's own
    characters are not repeated back in the page; a plain setting's are."""
    problem = header_problem(value)
    if not problem:
        return ""
    if problem.startswith("line breaks"):
        return f"This is sent in {where}, which cannot carry line breaks or control characters."
    wide = sorted({char for char in value if ord(char) > 0xFF})
    which = f"{len(wide)} character(s) outside Latin-1" if secret else "“" + "”, “".join(wide) + "”"
    return (
        f"This is sent in {where}, which can carry only Latin-1 (ISO-8859-1) characters, and "
        f"this value holds {which}. Characters such as €, 中 or emoji cannot be sent; "
        "accented Latin letters such as é can."
    )


class CredentialForm(forms.ModelForm):
    """The base of the per-vendor credential forms.

    Subclasses name the form fields kept in `ProviderAccount.config` (`config_fields`)
    and the secret ones (`secret_fields`, form field -> secrets key). Secrets are
    write-only: the form never renders them, a blank value keeps the stored one, and a
    secret is required only while the account has none."""

    kind = ""
    config_fields: tuple[str, ...] = ()
    secret_fields: dict[str, str] = {}

    class Meta:
        model = ProviderAccount
        fields = ["name", "is_active", "sync_interval_minutes"]
        labels = {"is_active": "Active: Dialdesk may use this account"}
        help_texts = {
            "name": "How this account is called everywhere in Dialdesk.",
            "is_active": "A disabled account keeps its history but places no calls and syncs "
            "nothing.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = self.instance.config or {}
        stored = self.instance.secrets if self.instance.pk else {}
        for name in self.config_fields:
            if name in config:
                self.initial[name] = config[name]
        for name, key in self.secret_fields.items():
            field = self.fields[name]
            if stored.get(key):
                field.widget.attrs["placeholder"] = SECRET_KEPT
                field.help_text = f"{SECRET_STORED} {field.help_text}".strip()
            elif field.needed:
                field.required = True
        if "sync_interval_minutes" in self.fields:
            # Optional: left blank, the account keeps its interval (5 minutes when new).
            self.fields["sync_interval_minutes"].required = False
        # The checkbox last: it reads as the end of the form.
        self.order_fields(["name", *[f for f in self.fields if f not in ("name", "is_active")]])

    def clean_sync_interval_minutes(self):
        value = self.cleaned_data.get("sync_interval_minutes")
        return value or self.instance.sync_interval_minutes or 5

    def clean(self):
        cleaned = super().clean()
        # A credential the vendor's client sends in an HTTP header must fit in one, or
        # every request of the account would fail.
        for name, where in header_credentials(self.kind).items():
            value = cleaned.get(name)
            message = value and header_error(value, where, secret=name in self.secret_fields)
            if message and not self.has_error(name):
                self.add_error(name, message)
        return cleaned

    def save(self, commit=True):
        account = super().save(commit=False)
        account.kind = self.kind
        config = dict(account.config or {})
        for name in self.config_fields:
            config[name] = self.cleaned_data.get(name) or ""
        account.config = config
        account.set_secrets(
            {key: self.cleaned_data.get(name) for name, key in self.secret_fields.items()},
            keep_blank=True,
        )
        if commit:
            account.save()
        return account


# A catalogue is a few dozen lines; the bound keeps a pasted file from costing more.
CATALOGUE_MAX_CHARS = 20_000
SHOWN_ERRORS = 10


def _first_errors(errors: list[str]) -> list[str]:
    """The first few line errors, and how many more there are."""
    if len(errors) <= SHOWN_ERRORS:
        return errors
    return [*errors[:SHOWN_ERRORS], f"…and {len(errors) - SHOWN_ERRORS} more lines like these."]


class MyOperatorCredentialForm(CredentialForm):
    """One MyOperator company: its OBD API and its REST API share the account."""

    kind = "myoperator"
    company_id = forms.CharField(
        label="Company id", max_length=100, help_text="MyOperator's id of your company."
    )
    secret_token = secret_field("Secret token", help_text="Sent as secret_token to the OBD API.")
    x_api_key = secret_field("OBD x-api-key", help_text="The x-api-key header of the OBD API.")
    rest_token = secret_field("REST API token", help_text="The token of the REST API.")
    obd_url = url_field(
        "OBD URL",
        initial="https://obd-api.myoperator.co/obd-api-v1",
        help_text="Change only if MyOperator gave you another address.",
    )
    rest_base_url = url_field(
        "REST base URL",
        initial="https://developers.myoperator.co",
        help_text="Change only if MyOperator gave you another address.",
    )
    ivrs = forms.CharField(
        label="IVRs",
        required=False,
        max_length=CATALOGUE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "66f2a1c0b3d94, Sales follow-up"}),
        help_text="One a line: the public_ivr_id from the MyOperator panel, a comma, a name. "
        "MyOperator's API has no list of IVRs, so the campaign builder offers these.",
    )
    caller_ids = forms.CharField(
        label="Caller ids (DIDs)",
        required=False,
        max_length=CATALOGUE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "011609821"}),
        help_text="One a line, as MyOperator shows them. Empty: the builder offers none and "
        "MyOperator picks a DID by group or region.",
    )
    config_fields = ("company_id", "obd_url", "rest_base_url")
    field_order = ["name", "company_id", "x_api_key", "secret_token", "obd_url", "rest_token"]
    secret_fields = {
        "secret_token": "secret_token",
        "x_api_key": "x_api_key",
        "rest_token": "rest_token",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        account = self.instance
        self.initial.setdefault(
            "ivrs", "\n".join(f"{ivr['id']}, {ivr['name']}" for ivr in account.ivr_catalogue)
        )
        self.initial.setdefault("caller_ids", "\n".join(account.caller_id_catalogue))

    def clean_ivrs(self) -> list[dict]:
        ivrs, errors, seen = [], [], set()
        for number, line in enumerate(self.cleaned_data["ivrs"].splitlines(), start=1):
            if not line.strip():
                continue
            ivr_id, _comma, name = line.partition(",")
            ivr_id, name = ivr_id.strip(), name.strip()
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", ivr_id):
                errors.append(f"Line {number}: {ivr_id!r} is not an IVR id (letters and digits).")
            elif ivr_id in seen:
                errors.append(f"Line {number}: {ivr_id} is listed twice.")
            else:
                seen.add(ivr_id)
                ivrs.append({"id": ivr_id, "name": name[:100]})
        if errors:
            raise forms.ValidationError(_first_errors(errors))
        return ivrs

    def clean_caller_ids(self) -> list[str]:
        numbers, errors, seen = [], [], set()
        for number, line in enumerate(self.cleaned_data["caller_ids"].splitlines(), start=1):
            value = line.strip()
            if not value:
                continue
            if not re.fullmatch(r"\+?\d{5,15}", value):
                errors.append(f"Line {number}: {value!r} is not a number (digits only).")
            elif value not in seen:
                seen.add(value)
                numbers.append(value)
        if errors:
            raise forms.ValidationError(_first_errors(errors))
        return numbers

    def save(self, commit=True):
        account = super().save(commit=False)
        account.config = {
            **account.config,
            "ivrs": self.cleaned_data.get("ivrs") or [],
            "caller_ids": self.cleaned_data.get("caller_ids") or [],
        }
        if commit:
            account.save()
        return account

    def catalogue_rows(self) -> list[tuple[str, str]]:
        """The catalogue on the account page, one line per entry."""
        account = self.instance
        ivrs = "; ".join(
            f"{ivr['id']} ({ivr['name'] or 'no name'})" for ivr in account.ivr_catalogue
        )
        return [("IVRs", ivrs), ("Caller ids (DIDs)", ", ".join(account.caller_id_catalogue))]


class CpaasCredentialForm(CredentialForm):
    kind = "cpaas"
    base_url = url_field("Base URL", help_text="Your CPaaS server, e.g. https://cpaas.example.com")
    account = forms.CharField(label="Account", max_length=100, help_text="The API's account.")
    auth = secret_field("Auth key", help_text="The API's auth value.")
    ari_username = forms.CharField(
        label="ARI user",
        required=False,
        max_length=100,
        help_text="Optional: the server's Asterisk REST Interface login (ari.conf). The CPaaS "
        "API names no live call's channel; with ARI the live panel lists calls in progress "
        "and can transfer, hang up or record them.",
    )
    ari_password = secret_field("ARI password", required=False)
    ari_url = url_field(
        "ARI address",
        required=False,
        help_text="Where ARI answers, e.g. https://cpaas.example.com:8089 (blank: the base URL).",
    )
    caller_ids = forms.CharField(
        label="Caller ids",
        required=False,
        max_length=CATALOGUE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "918045000000"}),
        help_text="One a line, digits as the CPaaS server has them. When listed, the campaign "
        "builder offers these instead of a free-text caller id.",
    )
    config_fields = ("account", "ari_username", "ari_url")
    secret_fields = {"auth": "auth", "ari_password": "ari_password"}

    class Meta(CredentialForm.Meta):
        fields = ["name", "base_url", "is_active", "sync_interval_minutes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("caller_ids", "\n".join(self.instance.caller_id_catalogue))

    clean_caller_ids = MyOperatorCredentialForm.clean_caller_ids

    def save(self, commit=True):
        account = super().save(commit=False)
        account.config = {**account.config, "caller_ids": self.cleaned_data.get("caller_ids") or []}
        for optional in ("ari_username", "ari_url"):
            if not account.config.get(optional):
                account.config.pop(optional, None)  # optional: absent, not blank
        if commit:
            account.save()
        return account

    def catalogue_rows(self) -> list[tuple[str, str]]:
        return [("Caller ids", ", ".join(self.instance.caller_id_catalogue))]


OMILIA_REGIONS = [
    ("EU1", "EU1 (eu1-m.ocp.ai)"),
    ("US1", "US1 (us1-m.ocp.ai)"),
    ("US2", "US2 (us2-m.ocp.ai)"),
    ("US1W", "US1W (us1-w-m.ocp.ai)"),
]


class OmiliaCredentialForm(CredentialForm):
    """An OCP user: a region, or custom base and token URLs; password grant (+ 2FA code)."""

    kind = "omilia"
    region = forms.ChoiceField(
        label="Region",
        required=False,
        choices=[("", "Custom URLs (enter below)"), *OMILIA_REGIONS],
        help_text="Your OCP environment. Choose “Custom URLs” for any other environment.",
    )
    base_url = url_field(
        "Custom base URL",
        required=False,
        help_text="Needed without a region; overrides the region's numbers API, "
        "e.g. https://eu1-m.ocp.ai/integrations",
    )
    token_url = url_field(
        "Custom token URL",
        required=False,
        help_text="Needed without a region; overrides the region's OpenID Connect token endpoint.",
    )
    username = forms.CharField(label="Username", max_length=150)
    password = secret_field("Password")
    otp = secret_field(
        "One-time code (OTP)",
        required=False,
        help_text="Only if your environment asks for a 2FA code.",
    )
    config_fields = ("region", "token_url", "username")
    secret_fields = {"password": "password", "otp": "otp"}

    class Meta(CredentialForm.Meta):
        fields = ["name", "base_url", "is_active"]

    field_order = ["name", "region", "base_url", "token_url", "username", "password", "otp"]

    def clean(self):
        cleaned = super().clean()
        # A region alone is enough; without one, both custom URLs are needed. With both,
        # the custom URLs win (the client's rule), e.g. for a private deployment.
        if not cleaned.get("region") and not self.has_error("region"):
            for name in ("base_url", "token_url"):
                if not cleaned.get(name) and not self.has_error(name):
                    self.add_error(name, "Enter this URL, or choose a region above.")
        return cleaned


class OcaCredentialForm(CredentialForm):
    kind = "oca"
    base_url = url_field("Base URL", initial="https://call.ocatelkom.co.id/api/v1")
    username = forms.CharField(label="Username", max_length=150)
    password = secret_field("Password")
    config_fields = ("username",)
    secret_fields = {"password": "password"}

    class Meta(CredentialForm.Meta):
        fields = ["name", "base_url", "is_active", "sync_interval_minutes"]


CREDENTIAL_FORMS = {
    form.kind: form
    for form in (
        MyOperatorCredentialForm,
        CpaasCredentialForm,
        OmiliaCredentialForm,
        OcaCredentialForm,
    )
}


class SandboxConfigForm(forms.ModelForm):
    """A simulator's fault injection; the rates are entered as percentages."""

    PERCENT_FIELDS = ("error_rate", "timeout_rate", "malformed_rate")

    latency_ms = forms.IntegerField(
        label="Added latency (ms)", min_value=0, max_value=60_000, initial=0
    )
    error_rate = forms.DecimalField(
        label="Server errors (%)", min_value=0, max_value=100, decimal_places=2
    )
    timeout_rate = forms.DecimalField(
        label="Timeouts (%)", min_value=0, max_value=100, decimal_places=2
    )
    malformed_rate = forms.DecimalField(
        label="Malformed bodies (%)", min_value=0, max_value=100, decimal_places=2
    )
    rate_limit_per_minute = forms.IntegerField(
        label="Rate limit (requests/minute)",
        min_value=0,
        max_value=100_000,
        help_text="Per credential; 0 = unlimited.",
    )
    timeout_seconds = forms.FloatField(label="Timeout hangs for (s)", min_value=0.1, max_value=300)
    seed = forms.IntegerField(
        label="Seed",
        help_text="Changes every simulated call outcome.",
        min_value=-(2**31),
        max_value=2**31 - 1,
    )
    time_scale = forms.FloatField(
        label="Time scale",
        min_value=0.01,
        max_value=3600,
        help_text="Simulated seconds per real second (60 = a minute per second).",
    )

    class Meta:
        model = SandboxConfig
        fields = [
            "latency_ms",
            "error_rate",
            "timeout_rate",
            "malformed_rate",
            "rate_limit_per_minute",
            "timeout_seconds",
            "seed",
            "time_scale",
        ]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", kwargs["instance"].vendor)
        super().__init__(*args, **kwargs)
        for name in self.PERCENT_FIELDS:
            self.initial[name] = format(round(getattr(self.instance, name) * 100, 2), "g")

    def clean(self):
        cleaned = super().clean()
        rates = [cleaned.get(name) for name in self.PERCENT_FIELDS]
        if all(rate is not None for rate in rates) and sum(rates) > 100:
            raise forms.ValidationError(
                "Together, server errors, timeouts and malformed bodies cannot exceed 100 %."
            )
        for name, rate in zip(self.PERCENT_FIELDS, rates, strict=True):
            if rate is not None:
                cleaned[name] = float(rate) / 100
        return cleaned
