"""The reports' filter forms. Their field names are the query string, so every state
of a page is a URL; `filters()` hands the queries clean values."""

from django import forms

from telephony.models import ProviderAccount
from telephony.vendors.base import CallStatus

from .periods import DEFAULT_PRESET, PRESETS, resolve
from .queries import GROUPS, SORTS

SELECT = {"class": "form-select form-select-sm"}
TEXT = {"class": "form-control form-control-sm"}
DATE = {"class": "form-control form-control-sm", "type": "date"}


def status_choices():
    return [("", "Any status")] + [
        (str(s), str(s).replace("_", " ").capitalize()) for s in CallStatus
    ]


def campaign_choices():
    from campaigns.models import Campaign

    rows = Campaign.objects.order_by("-pk").values_list("pk", "name")[:500]
    return [("", "Any campaign"), ("none", "No campaign")] + [(str(pk), n) for pk, n in rows]


class PeriodForm(forms.Form):
    range = forms.ChoiceField(
        label="Range",
        choices=list(PRESETS.items()),
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs=DATE))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs=DATE))
    account = forms.ChoiceField(label="Account", required=False, widget=forms.Select(attrs=SELECT))
    campaign = forms.ChoiceField(
        label="Campaign", required=False, widget=forms.Select(attrs=SELECT)
    )
    caller_id = forms.CharField(
        label="Caller id",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={**TEXT, "placeholder": "Exact caller id"}),
    )
    status = forms.ChoiceField(label="Status", required=False, widget=forms.Select(attrs=SELECT))

    defaults = {"range": DEFAULT_PRESET}

    def __init__(self, data=None, *args, **kwargs):
        kwargs.setdefault("auto_id", "report-%s")
        if data is not None:
            # The selects show what the page shows when the link leaves a key out.
            missing = {k: v for k, v in self.defaults.items() if not data.get(k)}
            if missing:
                data = data.copy()
                data.update(missing)
        super().__init__(data, *args, **kwargs)
        accounts = ProviderAccount.objects.order_by("name").values_list("pk", "name")
        self.fields["account"].choices = [("", "Any account")] + [
            (str(pk), name) for pk, name in accounts
        ]
        self.fields["campaign"].choices = campaign_choices()
        self.fields["status"].choices = status_choices()

    def clean(self):
        data = super().clean()
        if data.get("range") == "custom" and not (data.get("start") and data.get("end")):
            raise forms.ValidationError("A custom range needs both a first and a last day.")
        return data

    def cleaned(self) -> dict:
        """Clean values, with the invalid ones dropped (a bad link still shows a page)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}

    def period(self, tz):
        data = self.cleaned()
        preset = data.get("range") or DEFAULT_PRESET
        return resolve(preset, data.get("start"), data.get("end"), tz)

    def filters(self) -> dict:
        data = self.cleaned()
        return {
            "account": int(data["account"]) if data.get("account") else None,
            "campaign": (
                "none"
                if data.get("campaign") == "none"
                else int(data["campaign"])
                if data.get("campaign")
                else None
            ),
            "caller_id": (data.get("caller_id") or "").strip() or None,
            "status": data.get("status") or None,
        }


class OverviewForm(PeriodForm):
    defaults = {"range": DEFAULT_PRESET, "group": "day"}
    group = forms.ChoiceField(
        label="Group by",
        choices=list(GROUPS.items()),
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    sort = forms.ChoiceField(
        choices=[(s, s) for s in SORTS] + [(f"-{s}", s) for s in SORTS],
        required=False,
        widget=forms.HiddenInput,
    )

    def grouping(self) -> tuple[str, str, bool]:
        data = self.cleaned()
        group = data.get("group") or "day"
        sort = data.get("sort") or ("key" if group in ("day", "hour") else "-calls")
        return group, sort.lstrip("-"), sort.startswith("-")


NUMBER_MATCHES = [
    ("exact", "is"),
    ("begins", "begins with"),
    ("ends", "ends with"),
    ("contains", "contains"),
]


class CallSearchForm(PeriodForm):
    number = forms.CharField(
        label="Number",
        required=False,
        max_length=32,
        widget=forms.TextInput(
            attrs={**TEXT, "type": "search", "inputmode": "tel", "placeholder": "Digits"}
        ),
    )
    match = forms.ChoiceField(
        label="Match",
        choices=NUMBER_MATCHES,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    min_duration = forms.IntegerField(
        label="Min s",
        required=False,
        min_value=0,
        max_value=86400,
        widget=forms.NumberInput(attrs={**TEXT, "placeholder": "0"}),
    )
    max_duration = forms.IntegerField(
        label="Max s",
        required=False,
        min_value=0,
        max_value=86400,
        widget=forms.NumberInput(attrs={**TEXT, "placeholder": "any"}),
    )
    field_order = ["number", "match"]

    def search(self) -> dict:
        data = self.cleaned()
        return {
            **self.filters(),
            "number": (data.get("number") or "").strip(),
            "match": data.get("match") or "exact",
            "min_duration": data.get("min_duration"),
            "max_duration": data.get("max_duration"),
        }
