"""Forms of the numbers inventory (the Omilia operation forms live in forms_omilia.py)."""

from django import forms
from django.db.models import Min

from campaigns.forms.lists import country_choices
from telephony.models import ProviderAccount
from telephony.phone import InvalidNumber, normalize

from .models import NOTE_MAX_LENGTH, NumberKind, NumberSet, NumberStatus, PhoneNumber
from .sync import SYNCED_KINDS, country_of

SEARCH_MATCHES = [("exact", "Is"), ("begins", "Begins with"), ("ends", "Ends with")]
SORTS = {
    "": ("Oldest first", "pk"),
    "newest": ("Newest first", "-pk"),
    "number": ("Number", "number"),
    "-number": ("Number, descending", "-number"),
}


def _select(**attrs):
    return forms.Select(attrs={"class": "form-select", **attrs})


def present_countries(limit=250) -> list[str]:
    """The distinct countries in the inventory, one index seek each (a loose index scan
    on country), so 100,000 numbers cost a few queries, not a scan."""
    found, previous = [], None
    numbers = PhoneNumber.objects.exclude(country="")
    while len(found) < limit:
        rows = numbers if previous is None else numbers.filter(country__gt=previous)
        previous = rows.aggregate(first=Min("country"))["first"]
        if previous is None:
            break
        found.append(previous)
    return found


class NumberFilterForm(forms.Form):
    q = forms.CharField(
        label="Number",
        required=False,
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": "Digits of the number",
                "inputmode": "tel",
                "autocomplete": "off",
            }
        ),
    )
    match = forms.ChoiceField(
        label="Match", required=False, choices=SEARCH_MATCHES, widget=_select()
    )
    account = forms.ChoiceField(label="Account", required=False, widget=_select())
    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "Any kind"), *NumberKind.choices],
        widget=_select(),
    )
    set = forms.ChoiceField(label="Set", required=False, widget=_select())
    group = forms.CharField(
        label="Group",
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "Group"}),
    )
    country = forms.ChoiceField(label="Country", required=False, widget=_select())
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *NumberStatus.choices],
        widget=_select(),
    )
    sort = forms.ChoiceField(
        label="Sort",
        required=False,
        choices=[(key, label) for key, (label, _) in SORTS.items()],
        widget=_select(),
    )

    FILTERS = ("q", "match", "account", "kind", "set", "group", "country", "status")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="numbers-%s", **kwargs)
        self.fields["account"].choices = [
            ("", "Any account"),
            *((str(pk), name) for pk, name in ProviderAccount.objects.values_list("pk", "name")),
        ]
        self.fields["set"].choices = [
            ("", "Any set"),
            *((str(pk), name) for pk, name in NumberSet.objects.values_list("pk", "name")[:500]),
        ]
        self.fields["country"].choices = [
            ("", "Any country"),
            *((c, c) for c in present_countries()),
        ]

    def filters(self) -> dict:
        """The valid filters (invalid values are dropped, not errors: a stale link still works)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or "" for name in self.FILTERS}

    def sort_key(self) -> str:
        self.is_valid()
        return (getattr(self, "cleaned_data", {}) or {}).get("sort") or ""


class NumberFormMixin:
    def clean_daily_cap(self):
        cap = self.cleaned_data.get("daily_cap")
        if cap == 0:
            raise forms.ValidationError("A cap of 0 would never dial; leave it empty for no cap.")
        return cap


class PhoneNumberForm(NumberFormMixin, forms.ModelForm):
    """An admin adds a number by hand: MyOperator DIDs and CPaaS caller ids (their
    vendors have no list API; Omilia and OCA numbers come from their sync)."""

    number = forms.CharField(
        label="Number",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text="Any format; stored as + country code and number (E.164).",
    )
    default_country = forms.ChoiceField(
        label="Country of a number without a country code",
        choices=country_choices,
        initial="IN",
    )

    class Meta:
        model = PhoneNumber
        fields = (
            "account",
            "number",
            "default_country",
            "kind",
            "region",
            "group",
            "daily_cap",
            "note",
        )
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH})}
        help_texts = {"region": "MyOperator region or telecom circle (for region matching)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = ProviderAccount.objects.exclude(kind__in=SYNCED_KINDS)
        self.fields["account"].help_text = "Omilia and OCA numbers come from their sync."

    def clean(self):
        data = super().clean()
        raw = data.get("number")
        if raw:
            try:
                data["number"] = normalize(raw, data.get("default_country") or "IN")
            except InvalidNumber as error:
                self.add_error("number", str(error))
                return data
            self.instance.number = data["number"]
            self.instance.country = country_of(data["number"])
            account = data.get("account")
            clash = PhoneNumber.objects.filter(account=account, number=data["number"])
            if account and clash.exists():
                self.add_error("number", f"{account.name} already has {data['number']}.")
        return data

    def _post_clean(self):
        # The number is normalized in clean(); the model's own checks then see E.164.
        if "number" in self.cleaned_data:
            self.instance.number = self.cleaned_data["number"]
        super()._post_clean()


class PhoneNumberEditForm(NumberFormMixin, forms.ModelForm):
    """What an admin may change on a number. A synced number's group and note are the
    vendor's (the next sync would undo an edit here), so only local fields show."""

    class Meta:
        model = PhoneNumber
        fields = ("kind", "region", "group", "daily_cap", "note")
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_LENGTH})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Omilia's sync brings group and note; OCA's only the number (a note stays ours).
        vendor_fields = {"omilia": ("kind", "group", "note"), "oca": ("kind",)}
        for name in vendor_fields.get(self.instance.account.kind, ()):
            self.fields.pop(name)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=NumberStatus.choices, widget=_select())


class ImportForm(forms.Form):
    account = forms.ModelChoiceField(
        label="Account",
        queryset=ProviderAccount.objects.none(),
        help_text="MyOperator DIDs or CPaaS caller ids (Omilia and OCA numbers are synced).",
    )
    default_country = forms.ChoiceField(
        label="Country of numbers without a country code", choices=country_choices, initial="IN"
    )
    default_kind = forms.ChoiceField(
        label="Kind when the row has none", choices=NumberKind.choices, initial=NumberKind.DID
    )
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="Columns: number (required), kind (did / caller_id), region, group, note, "
        "daily_cap. The first row names them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = ProviderAccount.objects.exclude(kind__in=SYNCED_KINDS)


class HealthFilterForm(forms.Form):
    q = NumberFilterForm.base_fields["q"]
    account = forms.ChoiceField(label="Account", required=False, widget=_select())
    kind = NumberFilterForm.base_fields["kind"]
    flagged = forms.ChoiceField(
        label="Health",
        required=False,
        choices=[("", "Any"), ("yes", "Flagged"), ("no", "Not flagged")],
        widget=_select(),
    )

    FILTERS = ("q", "account", "kind", "flagged")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="health-%s", **kwargs)
        self.fields["account"].choices = [
            ("", "Any account"),
            *((str(pk), name) for pk, name in ProviderAccount.objects.values_list("pk", "name")),
        ]

    filters = NumberFilterForm.filters
