"""Forms of the callbacks pages: schedule and reschedule a CPaaS callback.

Times are typed as wall-clock times in a zone the user picks (their profile's zone by
default); the form turns them into an aware instant and refuses one in the past, so a
callback in the past is never sent."""

import zoneinfo
from datetime import datetime

from django import forms
from django.utils import timezone

from .forms import time_zone_choices
from .models import ProviderAccount
from .phone import InvalidNumber, normalize

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def cpaas_accounts():
    return ProviderAccount.objects.active().filter(kind="cpaas").order_by("name")


class LocalMomentForm(forms.Form):
    """A wall-clock moment and its zone -> `cleaned_data["moment"]`, aware, in the future."""

    scheduled_at = forms.DateTimeField(
        label="When",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    time_zone = forms.ChoiceField(
        label="Time zone", choices=time_zone_choices, help_text="The zone of the time above."
    )

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"]
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(f"{zone} is not a time zone.") from None
        return zone

    def clean(self):
        cleaned = super().clean()
        when, zone = cleaned.get("scheduled_at"), cleaned.get("time_zone")
        if isinstance(when, datetime) and zone:
            moment = when.replace(tzinfo=None).replace(tzinfo=zoneinfo.ZoneInfo(zone))
            if moment <= timezone.now():
                self.add_error(
                    "scheduled_at",
                    f"{when:%Y-%m-%d %H:%M} in {zone} has passed: a callback must be in the "
                    "future.",
                )
            else:
                cleaned["moment"] = moment
        return cleaned


def e164(value: str, label: str) -> str:
    try:
        return normalize(value)
    except InvalidNumber as exc:
        raise forms.ValidationError(f"{label}: {exc}.") from None


class CallbackForm(LocalMomentForm):
    account = forms.ModelChoiceField(
        queryset=ProviderAccount.objects.none(), label="CPaaS account", empty_label=None
    )
    agent_number = forms.CharField(
        label="Agent number",
        max_length=32,
        help_text="Rung first. Any format; a number without a country code is read as Indian.",
    )
    destination_number = forms.CharField(
        label="Customer number", max_length=32, help_text="Rung once the agent answers."
    )
    caller_id = forms.CharField(
        label="Caller id", max_length=15, help_text="Digits, as the CPaaS server has them."
    )
    recording = forms.BooleanField(label="Record the call", required=False)

    field_order = [
        "account",
        "agent_number",
        "destination_number",
        "caller_id",
        "scheduled_at",
        "time_zone",
        "recording",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = cpaas_accounts()
        self.fields["account"].label_from_instance = lambda account: account.name
        catalogue = sorted(
            {number for account in cpaas_accounts() for number in account.caller_id_catalogue}
        )
        if catalogue:
            self.fields["caller_id"].help_text += f" Listed: {', '.join(catalogue[:10])}."

    def clean_agent_number(self):
        return e164(self.cleaned_data["agent_number"], "Agent number")

    def clean_destination_number(self):
        return e164(self.cleaned_data["destination_number"], "Customer number")

    def clean_caller_id(self):
        value = self.cleaned_data["caller_id"].strip().removeprefix("+")
        if not value.isdigit() or not 3 <= len(value) <= 15:
            raise forms.ValidationError("A caller id is 3 to 15 digits.")
        return value


class RescheduleForm(LocalMomentForm):
    pass


class CallbackFilterForm(forms.Form):
    q = forms.CharField(
        label="Number or request id",
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "98765 or fd5ff6e021"}),
    )
    state = forms.ChoiceField(label="State", required=False)
    account = forms.ChoiceField(label="Account", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Callback

        self.fields["state"].choices = [("", "Any"), ("open", "Open"), *Callback.State.choices]
        self.fields["account"].choices = [("", "Any")] + [
            (str(account.pk), account.name) for account in cpaas_accounts()
        ]
