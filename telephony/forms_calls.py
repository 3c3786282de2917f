"""Forms of the Call dialog, the OTP form and the MyOperator panel users page."""

import secrets

from django import forms

from .models import Call, ProviderAccount, VendorUser
from .phone import InvalidNumber, normalize
from .vendors.cpaas.types import CLICK2CALL_RECORDING, PITCHES, RATES, TTS_ENGINES, VOLUMES

# What each vendor's accounts offer in the Call dialog (the OTP call has its own form).
KINDS_BY_VENDOR = {
    "myoperator": [Call.Kind.P2P, Call.Kind.IVR, Call.Kind.CLICK_TO_CALL],
    "cpaas": [Call.Kind.CLICK2CALL],
    "oca": [Call.Kind.OCA_IVR],
}
# The country a number without +CC belongs to, by vendor (OCA dials Indonesia).
DEFAULT_REGION = {"oca": "ID"}
MAX_VARIABLE_LENGTH = 500
DEFAULT = "vendor's default"


def callable_accounts():
    return ProviderAccount.objects.active().filter(kind__in=KINDS_BY_VENDOR)


def new_token() -> str:
    """The form's one-time token: the call's reference id is derived from it."""
    return secrets.token_urlsafe(18)


def phone_field(label, *, required=True, help_text=""):
    return forms.CharField(
        label=label,
        max_length=32,
        required=required,
        help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


def clean_phone(value: str, region: str = "IN") -> str:
    if not value:
        return ""
    try:
        return normalize(value, default_region=region)
    except InvalidNumber as exc:
        raise forms.ValidationError(f"Not a valid phone number: {exc}.") from None


def _choices(items, blank=None):
    choices = [(value, label) for value, label in items]
    return ([("", blank)] if blank is not None else []) + choices


class CallForm(forms.Form):
    """The Call dialog: the account and kind decide the rest of the fields."""

    account = forms.ModelChoiceField(queryset=ProviderAccount.objects.none(), empty_label=None)
    kind = forms.ChoiceField(label="Call type")
    to_number = phone_field("Number to call", help_text="E.164 (+91…) or national.")
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, account, kind, ivrs=None, oca_numbers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_obj = account
        self.kind_value = kind
        self.ivrs = {ivr.ivr_id: ivr for ivr in (ivrs or [])}
        self.fields["account"].queryset = callable_accounts()
        self.fields["kind"].choices = [(k.value, k.label) for k in KINDS_BY_VENDOR[account.kind]]
        f = self.fields
        if kind in (Call.Kind.P2P, Call.Kind.CLICK_TO_CALL):
            f["agent"] = forms.ModelChoiceField(
                label="Agent (MyOperator panel user)",
                queryset=account.vendor_users.usable().order_by("name"),
                required=kind == Call.Kind.CLICK_TO_CALL,
                empty_label="— choose a panel user —",
                help_text="The panel user who takes the call; synced from MyOperator.",
            )
        if kind == Call.Kind.P2P:
            f["number_2"] = phone_field(
                "Or a second number", required=False, help_text="Instead of an agent."
            )
        if kind in (Call.Kind.P2P, Call.Kind.IVR):
            catalogue = account.ivr_catalogue
            if catalogue:
                f["public_ivr_id"] = forms.ChoiceField(
                    label="Public IVR",
                    choices=[(i["id"], f"{i['name']} ({i['id']})") for i in catalogue],
                )
            else:
                f["public_ivr_id"] = forms.CharField(label="Public IVR id", max_length=64)
            f["caller_id"] = forms.ChoiceField(
                label="Caller id (DID)",
                required=False,
                choices=_choices(((n, n) for n in account.caller_id_catalogue), "MyOperator picks"),
            )
        if kind == Call.Kind.CLICK2CALL:
            f["agent_number"] = phone_field("Agent number", help_text="Rung first.")
            catalogue = account.caller_id_catalogue
            f["caller_id"] = (
                forms.ChoiceField(label="Caller id", choices=[(n, n) for n in catalogue])
                if catalogue
                else forms.RegexField(label="Caller id", regex=r"^\+?\d{3,15}$", max_length=16)
            )
            f["recording_option"] = forms.ChoiceField(
                label="Recording", choices=[(o, o) for o in CLICK2CALL_RECORDING if o != "on"]
            )
            f["transcript"] = forms.BooleanField(label="Transcript of the call", required=False)
        if kind == Call.Kind.OCA_IVR:
            numbers = oca_numbers or account.caller_id_catalogue
            f["from_number"] = forms.ChoiceField(
                label="Caller id (from the numbers collection)", choices=[(n, n) for n in numbers]
            )
            f["ivr_id"] = forms.ChoiceField(
                label="IVR",
                choices=_choices(
                    ((i.ivr_id, i.ivr_name) for i in self.ivrs.values()), "— choose an IVR —"
                ),
            )
            chosen = self.data.get("ivr_id") or self.initial.get("ivr_id")
            for name in self.ivrs[chosen].required_variable if chosen in self.ivrs else []:
                f[f"var_{name}"] = forms.CharField(
                    label=f"Variable {name}", max_length=MAX_VARIABLE_LENGTH
                )

    def clean_to_number(self):
        return clean_phone(
            self.cleaned_data["to_number"], DEFAULT_REGION.get(self.account_obj.kind, "IN")
        )

    def clean_number_2(self):
        return clean_phone(self.cleaned_data.get("number_2", ""))

    def clean_agent_number(self):
        return clean_phone(self.cleaned_data.get("agent_number", ""))

    def clean(self):
        data = super().clean()
        p2p = self.kind_value == Call.Kind.P2P and "agent" in data and "number_2" in data
        if p2p and bool(data.get("agent")) == bool(data.get("number_2")):
            self.add_error(
                "agent", "Choose an agent or type a second number (one of them, not both)."
            )
        return data

    def call_fields(self) -> dict:
        """What the Call row keeps: to/from numbers, the agent and the params."""
        d = self.cleaned_data
        params = {}
        for name in (
            "public_ivr_id",
            "caller_id",
            "number_2",
            "agent_number",
            "recording_option",
            "ivr_id",
        ):
            if d.get(name):
                params[name] = d[name]
        if "transcript" in d:
            params["transcript"] = bool(d["transcript"])
        variables = {k[4:]: v for k, v in d.items() if k.startswith("var_")}
        if variables:
            params["variables"] = variables
        return {
            "to_number": d["to_number"],
            "from_number": d.get("from_number", ""),
            "vendor_user": d.get("agent"),
            "params": params,
        }


class OtpForm(forms.Form):
    """An OTP announcement call (CPaaS `outbound_call`): the OTP is write-only."""

    account = forms.ModelChoiceField(
        queryset=ProviderAccount.objects.none(), empty_label=None, label="CPaaS account"
    )
    to_number = phone_field("Customer number")
    otp = forms.RegexField(
        label="One-time password",
        regex=r"^[0-9A-Za-z]{4,10}$",
        error_messages={"invalid": "4 to 10 letters or digits."},
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Spoken once and never shown or stored by Dialdesk.",
    )
    announce_template_id = forms.CharField(label="Announcement template id", max_length=64)
    caller_id = forms.RegexField(label="Caller id", regex=r"^\+?\d{3,15}$", max_length=16)
    repeat = forms.IntegerField(label="Repeat", min_value=1, max_value=5, initial=1)
    voice = forms.CharField(label="Voice", max_length=40, required=False, help_text="Joanna")
    volume = forms.ChoiceField(choices=_choices(((v, v) for v in VOLUMES), DEFAULT), required=False)
    rate = forms.ChoiceField(choices=_choices(((v, v) for v in RATES), DEFAULT), required=False)
    pitch = forms.ChoiceField(choices=_choices(((v, v) for v in PITCHES), DEFAULT), required=False)
    language_code = forms.RegexField(
        regex=r"^[a-z]{2,3}(-[A-Z]{2})?$", max_length=10, required=False, help_text="en-US"
    )
    tts_engine_type = forms.ChoiceField(
        label="TTS engine", choices=_choices(((v, v) for v in TTS_ENGINES), DEFAULT), required=False
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    TTS = ("voice", "volume", "rate", "pitch", "language_code", "tts_engine_type")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = ProviderAccount.objects.active().of_kind("cpaas")

    def clean_to_number(self):
        return clean_phone(self.cleaned_data["to_number"])

    def call_params(self) -> dict:
        d = self.cleaned_data
        params = {
            "announce_template_id": d["announce_template_id"],
            "caller_id": d["caller_id"],
            "repeat": d["repeat"],
        }
        params.update({name: d[name] for name in self.TTS if d.get(name)})
        return params


class VendorUserForm(forms.Form):
    """Add or edit a MyOperator panel user (`POST` / `PUT /user`)."""

    name = forms.CharField(max_length=100)
    phone = phone_field("Phone", help_text="Shown and sent as E.164, e.g. +919876543210.")
    extension = forms.IntegerField(
        min_value=1, max_value=99999, required=False, help_text="Usually 11 to 99; unique."
    )
    email = forms.EmailField(required=False, max_length=254)
    panel_access = forms.BooleanField(
        label="May log in to the MyOperator panel", required=False, initial=True
    )
    receive_calls = forms.BooleanField(label="Receives calls", required=False, initial=True)
    contact_type = forms.ChoiceField(
        choices=[("mobile", "Mobile"), ("sip", "SIP"), ("landline", "Landline")]
    )

    # Words in the vendor's refusal -> the field it is about.
    VENDOR_FIELD_WORDS = {
        "extension": "extension",
        "contact number": "phone",
        "contact_number": "phone",
        "country_code": "phone",
        "country code": "phone",
        "email": "email",
        "name": "name",
        "contact_type": "contact_type",
        "panel_access": "panel_access",
        "receive_calls": "receive_calls",
    }
    CLIENT_FIELDS = {"contact_number": "phone", "country_code": "phone"}

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def vendor_fields(self) -> dict:
        """The form as the vendor's add/update fields."""
        import phonenumbers

        d = self.cleaned_data
        parsed = phonenumbers.parse(d["phone"], None)
        fields = {
            "name": d["name"],
            "contact_number": str(parsed.national_number),
            "country_code": str(parsed.country_code),
            "panel_access": 1 if d["panel_access"] else 2,
            "receive_calls": 1 if d["receive_calls"] else 2,
            "contact_type": d["contact_type"],
        }
        if d.get("extension"):
            fields["extension"] = d["extension"]
        if d.get("email"):
            fields["email"] = d["email"]
        return fields

    def add_vendor_error(self, message: str):
        """Put the vendor's refusal, in its words, next to the field it is about."""
        lowered = message.lower()
        for words, field in self.VENDOR_FIELD_WORDS.items():
            if words in lowered:
                self.add_error(field, f"MyOperator: {message}")
                return
        self.add_error(None, f"MyOperator: {message}")

    def add_client_errors(self, errors: dict):
        for name, message in errors.items():
            field = self.CLIENT_FIELDS.get(name, name)
            self.add_error(field if field in self.fields else None, message)

    @classmethod
    def initial_for(cls, user: VendorUser) -> dict:
        raw = user.raw or {}
        return {
            "name": user.name,
            "phone": user.phone,
            "extension": user.extension,
            "email": user.email,
            "panel_access": str(raw.get("panel_access", "1")) != "2",
            "receive_calls": str(raw.get("receive_calls", "1")) != "2",
            "contact_type": str(raw.get("contact_type") or "mobile").lower(),
        }


class CallFilterForm(forms.Form):
    """The Calls page's filter bar."""

    number = forms.CharField(
        required=False,
        max_length=32,
        widget=forms.SearchInput(attrs={"placeholder": "Digits…"}),
    )
    account = forms.ChoiceField(required=False)
    # Short labels: the filter bar gives the number search the room the selects leave.
    kind = forms.ChoiceField(
        label="Type",
        required=False,
        choices=[
            ("", "Any type"),
            ("p2p", "Peer-to-peer"),
            ("ivr", "MyOperator IVR"),
            ("click_to_call", "Click-to-call"),
            ("click2call", "click2call"),
            ("otp", "OTP"),
            ("oca_ivr", "OCA IVR"),
        ],
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), ("open", "Still open")]
        + [(value, label) for value, label in Call.Status.choices if value != "accepted"]
        + [("accepted", "Accepted")],
    )
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "Any account")] + [
            (str(a.pk), a.name) for a in ProviderAccount.objects.filter(kind__in=KINDS_BY_VENDOR)
        ]
