"""The campaign builder's form: one page of sections, checked as the user types.

Two kinds of problems: errors that make the settings wrong in themselves (an end before
the start, a vendor that cannot play the kind, a rate out of range) stop a save; the
rest (no list yet, a placeholder no list has, an unmapped IVR variable) are shown as
"before it can start" and a draft may still be saved with them: Start refuses until
they are fixed (Campaign.start() asks Campaign.problems())."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.forms.boundfield import BoundField
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from telephony.forms import time_zone_choices
from telephony.models import ProviderAccount
from telephony.vendors.base import VendorError
from telephony.vendors.cpaas.types import PITCHES, RATES, TTS_ENGINES, VOLUMES

from ..engine import WEEKDAY_NAMES
from ..models import Campaign, ContactList, DndList
from ..models.campaigns import BUILTIN_FIELDS, RETRYABLE_STATUSES
from ..models.preview import MAX_CALLS_PER_MINUTE, VENDOR_KINDS
from .caller_ids import CallerIdFields

# Problems that stop a save; the others only stop Start.
BLOCKING = {
    "account",
    "kind",
    "ends_at",
    "window_end",
    "weekdays",
    "contact_end",
    "time_zone",
    "calls_per_minute",
}
CATALOGUE_SECONDS = 120
# Schedule settings Dialdesk's engine honours and the CPaaS vendor does not.
SCHEDULE_ONLY_OURS = ("window_start", "window_end", "weekdays", "contact_start", "contact_end")
TTS_FIELDS = ("tts_voice", "tts_volume", "tts_rate", "tts_pitch", "tts_language", "tts_engine")
STATUS_WORDS = {
    "busy": "Busy",
    "no_answer": "No answer",
    "failed": "Failed",
    "congestion": "Congestion",
    "unavailable": "Unavailable",
}


def campaign_accounts():
    """Active accounts whose vendor can run campaigns (CPaaS, MyOperator OBD, OCA)."""
    return ProviderAccount.objects.active().filter(kind__in=list(VENDOR_KINDS))


@dataclass
class Catalogue:
    """What the vendor offers the builder: OCA's IVRs and caller-id numbers."""

    ivrs: list = field(default_factory=list)  # [{"ivr_id", "ivr_name", "required_variable"}]
    numbers: list = field(default_factory=list)
    error: str = ""

    def ivr(self, ivr_id: str) -> dict | None:
        return next((ivr for ivr in self.ivrs if ivr["ivr_id"] == ivr_id), None)


def vendor_catalogue(account) -> Catalogue:
    """The account's IVRs and caller ids. MyOperator: the catalogue an admin keeps on the
    account page (its API lists neither). OCA: read from the vendor, cached briefly so
    typing does not call the vendor, and kept on the account (synced); a vendor error is
    kept in the vendor's own words, not cached."""
    if account is not None and account.kind == "myoperator":
        return Catalogue(
            ivrs=[
                {"ivr_id": ivr["id"], "ivr_name": ivr["name"], "required_variable": []}
                for ivr in account.ivr_catalogue
            ],
            numbers=account.caller_id_catalogue,
        )
    if account is not None and account.kind == "cpaas":
        return Catalogue(numbers=account.caller_id_catalogue)  # an admin lists them
    if account is None or account.kind != "oca":
        return Catalogue()
    key = f"campaign-catalogue:{account.pk}:{account.updated_at:%s%f}"
    cached = cache.get(key)
    if cached is not None:
        return Catalogue(**cached)
    catalogue = Catalogue()
    client = account.client()
    try:
        catalogue.ivrs = [
            {
                "ivr_id": ivr.ivr_id,
                "ivr_name": ivr.ivr_name,
                "required_variable": list(ivr.required_variable),
            }
            for ivr in client.list_ivrs()
        ]
        catalogue.numbers = client.list_numbers()
    except VendorError as exc:
        catalogue.error = f"{account.name}: {exc.message or exc}"
        return catalogue
    finally:
        client.http.session.close()  # no keep-alive connection left behind
    cache.set(key, {"ivrs": catalogue.ivrs, "numbers": catalogue.numbers}, CATALOGUE_SECONDS)
    _keep_on_account(account, catalogue)
    return catalogue


def _keep_on_account(account, catalogue: Catalogue):
    """OCA's lists as last read, on the account (what its page and the builder show).
    An update(), not save(): the cache key above follows updated_at, which stays."""
    synced = {
        "ivrs": [{"id": ivr["ivr_id"], "name": ivr["ivr_name"]} for ivr in catalogue.ivrs],
        "caller_ids": [str(number) for number in catalogue.numbers],
    }
    config = account.config or {}
    if all(config.get(key) == value for key, value in synced.items()):
        return
    account.config = {**config, **synced}
    ProviderAccount.objects.filter(pk=account.pk).update(config=account.config)


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date-time, left naive: the campaign's own time zone (another field
    of the same form) makes it an instant, not the viewer's zone."""

    def to_python(self, value):
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            parsed = forms.fields.BaseTemporalField.to_python(self, text)
        return parsed.replace(tzinfo=None)


def _choices(values, blank="Vendor default"):
    return [("", blank), *((value, value) for value in values)]


class ListChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        count = getattr(obj, "entry_count", None)
        if count is None:
            count = obj.contact_count
            return f"{obj.name} ({count:,} contact{'s' if count != 1 else ''})"
        return f"{obj.name} ({count:,} number{'s' if count != 1 else ''})"


class FeedbackBoundField(BoundField):
    @property
    def feedback(self):
        """(level, text) under the field: "error" stops a save, "warning" only Start."""
        return self.form.message_for(self.name)


class CampaignForm(CallerIdFields, forms.ModelForm):
    bound_field_class = FeedbackBoundField
    account = forms.ModelChoiceField(
        queryset=ProviderAccount.objects.none(),
        label="Vendor account",
        empty_label="Choose an account",
        help_text="CPaaS runs the campaign itself; for MyOperator OBD and OCA Dialdesk dials.",
    )
    contact_lists = ListChoiceField(
        queryset=ContactList.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Contact lists",
    )
    dnd_lists = ListChoiceField(
        queryset=DndList.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Also exclude these DND lists",
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")
    starts_at = LocalDateTimeField(
        required=False,
        label="Start",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the campaign's time zone. Empty: as soon as it is started.",
    )
    ends_at = LocalDateTimeField(
        required=False,
        label="End",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the campaign's time zone.",
    )
    weekdays = forms.TypedMultipleChoiceField(
        choices=[(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    retry_minutes = forms.IntegerField(
        min_value=0,
        max_value=7 * 24 * 60,
        initial=30,
        label="Retry interval (minutes)",
    )
    retry_statuses = forms.MultipleChoiceField(
        choices=[(status, STATUS_WORDS.get(status, status)) for status in RETRYABLE_STATUSES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Retry when the call ends",
    )
    calls_per_minute = forms.IntegerField(
        label="Calls per minute",
        help_text=f"1 to {MAX_CALLS_PER_MINUTE:,}.",
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_CALLS_PER_MINUTE}),
    )
    tts_volume = forms.ChoiceField(choices=_choices(VOLUMES), required=False, label="Volume")
    tts_rate = forms.ChoiceField(choices=_choices(RATES), required=False, label="Rate")
    tts_pitch = forms.ChoiceField(choices=_choices(PITCHES), required=False, label="Pitch")
    tts_engine = forms.ChoiceField(choices=_choices(TTS_ENGINES), required=False, label="Engine")

    class Meta:
        model = Campaign
        fields = (
            "name",
            "account",
            "kind",
            "announcement_text",
            "audio_file",
            "ivr_id",
            "caller_id",
            "caller_region",
            "caller_group",
            "caller_source",
            "caller_strategy",
            "caller_set",
            "caller_pool",
            "contact_lists",
            "dnd_lists",
            "time_zone",
            "starts_at",
            "ends_at",
            "window_start",
            "window_end",
            "weekdays",
            "contact_start",
            "contact_end",
            "calls_per_minute",
            "max_retries",
            "retry_statuses",
            "repeat_count",
            "tts_voice",
            "tts_volume",
            "tts_rate",
            "tts_pitch",
            "tts_language",
            "tts_engine",
        )
        labels = {
            "kind": "Kind",
            "announcement_text": "Announcement",
            "audio_file": "Recorded file",
            "ivr_id": "IVR",
            "caller_id": "Caller id",
            "caller_region": "Region",
            "caller_group": "Group",
            "caller_source": "Calls go out from",
            "caller_strategy": "Rotation",
            "window_start": "Daily window from",
            "window_end": "to",
            "contact_start": "Contact calling hours from",
            "contact_end": "to",
            "max_retries": "Maximum retries",
            "repeat_count": "Times the announcement plays in a call",
            "tts_voice": "Voice",
            "tts_language": "Language",
        }
        widgets = {
            "kind": forms.RadioSelect,
            "announcement_text": forms.Textarea(
                attrs={
                    "rows": 3,
                    "placeholder": "Hello {name}, your payment of {due_amount} is due on "
                    "{due_date}.",
                }
            ),
            "window_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "window_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "contact_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "contact_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "tts_voice": forms.TextInput(attrs={"placeholder": "Joanna"}),
            "tts_language": forms.TextInput(attrs={"placeholder": "en-US"}),
        }
        help_texts = {
            "caller_id": "",
            "audio_file": "",
            "ivr_id": "",
        }

    def __init__(self, *args, now=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        if self.instance.pk is None:
            # A new campaign starts from the model's defaults (30 a minute, retry on busy
            # and no answer, ...): ModelForm only reads a saved instance.
            if user is not None and getattr(user, "is_authenticated", False):
                # ...in the zone of the person creating it, who most likely plans in it.
                self.initial.setdefault("time_zone", user_time_zone(user))
            for name, value in model_to_dict(self.instance, self._meta.fields).items():
                self.initial.setdefault(name, value)
        self.fields["account"].queryset = campaign_accounts()
        self.fields["contact_lists"].queryset = ContactList.objects.order_by("name")
        self.fields["dnd_lists"].queryset = DndList.objects.filter(is_global=False).order_by("name")
        self.global_dnd = list(DndList.objects.filter(is_global=True))
        self.fields["retry_minutes"].initial = (self.instance.retry_interval or 0) // 60
        self.fields["weekdays"].initial = [str(day) for day in self.instance.weekdays or []]
        zone = zoneinfo_or_utc(self.instance.time_zone)
        for name in ("starts_at", "ends_at"):
            value = getattr(self.instance, name)
            if value:
                self.initial[name] = value.astimezone(zone).replace(tzinfo=None)
        self.account = self._chosen_account()
        self.vendor = self.account.kind if self.account else ""
        self.kind = self._value("kind") or Campaign.Kind.TTS
        self._playable_kinds()
        self.catalogue = vendor_catalogue(self.account)
        self._oca_fields()
        self._myoperator_fields()
        self._caller_id_fields()  # caller_ids.py: choices from the inventory
        shown = self.shown
        for name, form_field in self.fields.items():
            if name not in shown:
                # Not drawn for this vendor and kind: keeps its saved (or default) value.
                form_field.disabled = True
            elif (
                self.is_bound
                and self.add_prefix(name) not in self.data
                and not isinstance(form_field.widget, forms.CheckboxSelectMultiple)
            ):
                # Drawn only now (the account or kind just changed): it starts from its
                # saved or default value rather than empty.
                initial = self.get_initial_for_field(form_field, name)
                if initial not in (None, ""):
                    self.data = self.data.copy()
                    self.data[self.add_prefix(name)] = form_field.prepare_value(initial)
        if self.is_native:
            # CPaaS honours the start and end only: the rest is shown, fixed, with why.
            for name in SCHEDULE_ONLY_OURS:
                self.fields[name].disabled = True

    # -- what the form is showing ------------------------------------------------------

    def _playable_kinds(self):
        """Only the kinds the chosen vendor can play are offered. When the account has
        just been chosen (or changed) and the kind it had cannot be played, the kind
        becomes the first one that can; a posted kind the vendor cannot play otherwise
        stays, so the check says why in words (Campaign.problems)."""
        playable = VENDOR_KINDS.get(self.vendor)
        if not playable:
            return
        field = self.fields["kind"]
        field.widget.choices = [choice for choice in field.choices if choice[0] in playable]
        if self.kind in playable:
            return
        drawn_for = str(self.data.get("layout", "")).split(":", 1)[0] if self.is_bound else ""
        if self.is_bound and drawn_for == str(self.account.pk):
            return
        self.kind = playable[0]
        if self.is_bound:
            self.data = self.data.copy()
            self.data[self.add_prefix("kind")] = self.kind
        else:
            self.initial["kind"] = self.kind

    def _value(self, name):
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "")
        return self.initial.get(name, getattr(self.instance, name, ""))

    def _chosen_account(self):
        if self.is_bound:
            raw = self.data.get(self.add_prefix("account"))
            try:
                return ProviderAccount.objects.get(pk=int(raw)) if raw else None
            except (ValueError, ProviderAccount.DoesNotExist):
                return None
        return self.instance.account if self.instance.account_id else None

    @property
    def layout_key(self) -> str:
        """What the vendor-dependent sections were drawn for; the check redraws them when
        the account, the kind or the OCA IVR changes."""
        ivr = self._value("ivr_id") if self.vendor == "oca" else ""
        return f"{self.account.pk if self.account else ''}:{self.kind}:{ivr}"

    @property
    def is_native(self) -> bool:
        return self.vendor == "cpaas"

    @property
    def shown(self) -> set[str]:
        """The fields this vendor and kind use (the others are not drawn)."""
        names = {
            "name", "account", "kind", "contact_lists", "dnd_lists", "time_zone",
            "starts_at", "ends_at", "calls_per_minute", "max_retries", "retry_minutes",
            "retry_statuses", *SCHEDULE_ONLY_OURS,
        }  # fmt: skip
        kind, vendor = self.kind, self.vendor
        if kind == "tts" or (kind == "ivr" and vendor == "cpaas"):
            names.add("announcement_text")
        if kind == "audio" or (kind == "ivr" and vendor == "cpaas"):
            names.add("audio_file")
        if kind == "ivr" and vendor != "cpaas":
            names.add("ivr_id")
        if kind == "ivr" and vendor == "oca":
            names.update(["ivr_variables", *(key for key, _name in self.variable_fields)])
        if vendor:
            names.add("caller_id")
        if vendor == "myoperator":
            names.update(["caller_region", "caller_group"])
        names.update(self.rotation_shown())
        if vendor == "cpaas":
            names.add("repeat_count")
            if "announcement_text" in names:
                names.update(TTS_FIELDS)
        return names

    def hidden_problems(self) -> list[str]:
        """Errors and problems of no drawn field: the summary shows them."""
        shown = self.shown
        out = [str(error) for error in self.non_field_errors()] if self.is_bound else []
        if self.is_bound:
            for name, errors in self.errors.items():
                if name != "__all__" and name not in shown:
                    out += [str(error) for error in errors]
        out += [text for name, text in getattr(self, "problems", {}).items() if name not in shown]
        return out

    def selected_ivr(self) -> dict | None:
        return self.catalogue.ivr(str(self._value("ivr_id") or ""))

    def required_variables(self) -> list[str] | None:
        ivr = self.selected_ivr()
        return list(ivr["required_variable"]) if ivr else None

    def _oca_fields(self):
        """OCA: the IVR is picked from the vendor's list (the caller id: caller_ids.py),
        and each of the IVR's required variables gets a value template (prefilled {var}
        when a chosen list has a field of that name)."""
        self.variable_fields = []
        if self.vendor != "oca":
            return
        current = str(self._value("ivr_id") or "")
        ivr_choices = [("", "Choose an IVR")] + [
            (ivr["ivr_id"], ivr["ivr_name"] or ivr["ivr_id"]) for ivr in self.catalogue.ivrs
        ]
        if current and not self.catalogue.ivr(current):
            ivr_choices.append((current, f"{current} (not in the vendor's list)"))
        self.fields["ivr_id"] = forms.ChoiceField(
            choices=ivr_choices, required=False, label="IVR", widget=forms.Select
        )
        ivr = self.selected_ivr()
        if not ivr:
            return
        fields = set(self.chosen_list_fields())
        saved = self.instance.ivr_variables or {}
        for index, name in enumerate(ivr["required_variable"]):
            key = f"var_{index}"
            initial = saved.get(name)
            if initial is None:
                initial = "{" + name + "}" if name in fields else ""
            self.fields[key] = forms.CharField(
                label=name, required=False, max_length=500, initial=initial
            )
            if self.is_bound and self.add_prefix(key) not in self.data:
                # The IVR was just chosen: its inputs start prefilled, not empty.
                self.data = self.data.copy()
                self.data[self.add_prefix(key)] = initial
            self.variable_fields.append((key, name))

    def _myoperator_fields(self):
        """MyOperator: the IVR is picked from the account's catalogue (an admin keeps it
        on the account page), not typed; the caller id: caller_ids.py."""
        if self.vendor != "myoperator":
            return
        # Only a saved id may be outside the catalogue (it was listed once): a posted one
        # must be listed now.
        current = str(self.instance.ivr_id or "")
        ivr_choices = [("", "Choose an IVR")] + [
            (
                ivr["ivr_id"],
                f"{ivr['ivr_name']} ({ivr['ivr_id']})" if ivr["ivr_name"] else ivr["ivr_id"],
            )
            for ivr in self.catalogue.ivrs
        ]
        if current and not self.catalogue.ivr(current):
            ivr_choices.append((current, f"{current} (not in the account's catalogue)"))
        self.fields["ivr_id"] = forms.ChoiceField(
            choices=ivr_choices,
            required=False,
            label="IVR",
            help_text=""
            if self.catalogue.ivrs
            else "This account lists no IVRs yet: an admin adds them on the account's page.",
        )

    def chosen_list_ids(self) -> list[int]:
        if self.is_bound:
            raw = self.data.getlist(self.add_prefix("contact_lists"))
            return [int(pk) for pk in raw if str(pk).isdigit()]
        if self.instance.pk:
            return list(self.instance.contact_lists.values_list("id", flat=True))
        return []

    def chosen_dnd_ids(self) -> list[int]:
        if self.is_bound:
            raw = self.data.getlist(self.add_prefix("dnd_lists"))
            return [int(pk) for pk in raw if str(pk).isdigit()]
        if self.instance.pk:
            return list(self.instance.dnd_lists.values_list("id", flat=True))
        return []

    def chosen_list_fields(self) -> list[str]:
        """Placeholders every chosen list can fill."""
        lists = ContactList.objects.filter(pk__in=self.chosen_list_ids())
        common = None
        for contact_list in lists:
            names = set(contact_list.custom_fields or [])
            common = names if common is None else common & names
        return sorted(set(BUILTIN_FIELDS) | (common or set()))

    def variable_bound_fields(self):
        return [self[key] for key, _name in self.variable_fields]

    # -- cleaning ----------------------------------------------------------------------

    def clean_time_zone(self):
        name = self.cleaned_data["time_zone"]
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(f"{name} is not a time zone.") from None
        return name

    def clean_weekdays(self):
        return sorted({int(day) for day in self.cleaned_data["weekdays"]})

    def clean(self):
        data = super().clean()
        zone = zoneinfo_or_utc(data.get("time_zone") or "UTC")
        for name in ("starts_at", "ends_at"):
            value = data.get(name)
            if value is not None:
                # Wall clock in the campaign's zone -> an aware instant (UTC).
                data[name] = value.replace(tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC"))
        return data

    def _post_clean(self):
        super()._post_clean()
        campaign = self.instance
        campaign.retry_interval = (self.cleaned_data.get("retry_minutes") or 0) * 60
        for name in ("starts_at", "ends_at"):
            if name in self.cleaned_data:
                setattr(campaign, name, self.cleaned_data[name])
        if self.vendor == "oca" and campaign.kind == Campaign.Kind.IVR:
            if self.selected_ivr():
                campaign.ivr_variables = {
                    name: (self.cleaned_data.get(key) or "").strip()
                    for key, name in self.variable_fields
                }
            # else: the vendor's list did not load; keep the saved mapping.
        else:
            campaign.ivr_variables = {}
        # What this vendor and kind do not use is not kept from an earlier choice.
        if self.vendor and (campaign.kind != Campaign.Kind.IVR or self.vendor == "cpaas"):
            campaign.ivr_id = ""
        if self.vendor and self.vendor != "myoperator":
            campaign.caller_region = campaign.caller_group = ""
        # The builder's checks, on the unsaved campaign with the chosen lists.
        self.problems = {}
        if not self.account:
            return
        found = campaign.problems(
            self.chosen_list_ids(),
            required_variables=self.required_variables(),
            now=self.now,
        )
        if self.vendor == "oca" and self.catalogue.error:
            found.setdefault("ivr_id", f"Could not load the IVR list: {self.catalogue.error}")
        for name, message in found.items():
            if name in self.errors:
                continue
            if name in BLOCKING:
                target = name if name in self.fields else None
                self.add_error(target, message)
            else:
                self.problems[name] = message

    # -- the template's helpers --------------------------------------------------------

    def message_for(self, name) -> tuple[str, str] | None:
        """(level, text) for a field: an error stops a save, a warning only Start."""
        if self.is_bound and self._errors is not None and self._errors.get(name):
            return "error", " ".join(self.errors[name])
        problem = getattr(self, "problems", {}).get(name)
        if problem:
            return "warning", problem
        return None

    def feedback_fields(self):
        """The drawn fields, for the out-of-band swap of their feedback after a check."""
        variables = {key for key, _name in self.variable_fields}  # share fb-ivr_variables
        return [self[name] for name in self.fields if name in self.shown - variables]

    @property
    def variables_feedback(self):
        return self.message_for("ivr_variables")

    def blocking_count(self) -> int:
        return len(self.errors) if self.is_bound else 0

    @property
    def daily_cap(self) -> int:
        return settings.CAMPAIGN_DAILY_CAP


def user_time_zone(user) -> str:
    """The user's own zone (profile), or UTC when it has none or an unknown one."""
    profile = getattr(user, "profile", None)
    name = getattr(profile, "time_zone", "") or "UTC"
    return zoneinfo_or_utc(name).key


def zoneinfo_or_utc(name):
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
