"""Forms of the campaigns app; each area keeps its forms under its own comment."""

import zoneinfo
from functools import cache

import phonenumbers
from django import forms
from django.utils import timezone

from telephony.forms import time_zone_choices
from telephony.phone import InvalidNumber, normalize

from ..models import Contact, ContactList, DndEntry, DndList

# --- lists and DND pages ----------------------------------------------------------------


def _country_name(code: str) -> str:
    # Imported here: phonenumbers' geocoder data costs ~100 MB of RSS in every process
    # that loads it (an import worker has no use for country names).
    from phonenumbers.geocoder import LOCALE_DATA

    names = LOCALE_DATA.get(code) or {}
    name = names.get("en", "")
    if name.startswith("*"):  # "*aa": the same name as language "aa" has
        name = names.get(name[1:], "")
    return name or code


@cache
def country_choices():
    """ISO regions phonenumbers knows, by English name: ("IN", "India (+91)")."""
    rows = []
    for code in phonenumbers.SUPPORTED_REGIONS:
        calling = phonenumbers.country_code_for_region(code)
        rows.append((code, f"{_country_name(code)} (+{calling})"))
    return sorted(rows, key=lambda row: row[1])


class ContactListForm(forms.ModelForm):
    default_country = forms.ChoiceField(
        label="Default country",
        choices=country_choices,
        initial="IN",
        help_text="Numbers written without a country code (98765 43210, 098765 43210) "
        "are read as numbers of this country.",
    )

    class Meta:
        model = ContactList
        fields = ("name", "description", "default_country")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        clash = ContactList.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A contact list with this name already exists.")
        return name


class DndListForm(forms.ModelForm):
    class Meta:
        model = DndList
        fields = ("name", "description", "is_global")
        labels = {"is_global": "Global: applies to every campaign"}
        help_texts = {"is_global": "Only one DND list can be the global list."}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if DndList.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("A DND list with this name already exists.")
        return name

    def clean_is_global(self):
        is_global = self.cleaned_data["is_global"]
        other = DndList.objects.filter(is_global=True).exclude(pk=self.instance.pk).first()
        if is_global and other:
            raise forms.ValidationError(
                f"“{other.name}” is already the global DND list; only one list can be "
                "global. Untick it there first, or add these numbers to it."
            )
        return is_global


class ContactForm(forms.ModelForm):
    """A contact of a list: the number is normalised again and must stay unique in its
    list; each of the list's custom fields gets its own input."""

    number = forms.CharField(
        max_length=64, help_text="Any format; saved as E.164 (+91…) using the list's country."
    )
    time_zone = forms.ChoiceField(
        choices=lambda: [("", "Unknown"), *time_zone_choices()],
        required=False,
        help_text="Calls go out in this zone's calling hours.",
    )

    class Meta:
        model = Contact
        fields = ("number", "name", "time_zone", "is_active")
        labels = {"is_active": "Active: campaigns call this contact"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact_list = self.instance.contact_list
        self.field_names = list(self.contact_list.custom_fields)
        for index, name in enumerate(self.field_names):
            self.fields[f"custom_{index}"] = forms.CharField(
                label=name,
                required=False,
                initial=(self.instance.fields or {}).get(name, ""),
            )

    def clean_number(self):
        value = self.cleaned_data["number"]
        try:
            number = normalize(value, self.contact_list.default_country)
        except InvalidNumber as exc:
            raise forms.ValidationError(f"Not a valid number: {exc}.") from None
        clash = Contact.objects.filter(contact_list=self.contact_list, number=number)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"{number} is already in this list.")
        return number

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"]
        if zone:
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(f"{zone} is not a time zone.") from None
        return zone

    def save(self, commit=True):
        contact = super().save(commit=False)
        if "number" in self.changed_data:
            contact.raw_number = self.cleaned_data["number"]
        fields = dict(contact.fields or {})
        for index, name in enumerate(self.field_names):
            value = self.cleaned_data.get(f"custom_{index}", "")
            if value:
                fields[name] = value
            else:
                fields.pop(name, None)
        contact.fields = fields
        contact.updated_at = timezone.now()
        if commit:
            contact.save()
        return contact


class ContactFilterForm(forms.Form):
    """The list page's search and filters; also what the export and bulk actions use."""

    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.SearchInput(
            attrs={
                "placeholder": "Name or field word, whole number, or its last 4+ digits",
                "title": "Finds words that start a name or custom field value, a whole "
                "number in any format, a number's last 4 or more digits, or + and its "
                "first digits",
                "autocomplete": "off",
            }
        ),
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")],
        widget=forms.Select,
    )
    dnd = forms.ChoiceField(
        required=False,
        label="DND",
        choices=[("", "Any DND state"), ("blocked", "Blocked by DND"), ("clear", "Not blocked")],
        widget=forms.Select,
    )
    tz = forms.ChoiceField(
        required=False,
        label="Time zone",
        widget=forms.Select,
    )

    def __init__(self, data, *, zones=(), **kwargs):
        super().__init__(data, **kwargs)
        zones = list(zones)
        chosen = (data or {}).get("tz")
        if chosen and chosen not in zones:
            zones.append(chosen)  # keep a shared URL's zone selectable
        self.fields["tz"].choices = [("", "Any time zone"), *((z, z) for z in zones)]

    def filters(self) -> dict:
        """Valid filters only: a bad value in a URL is ignored rather than an error."""
        self.is_valid()
        return {key: self.cleaned_data.get(key) or "" for key in ("q", "status", "dnd", "tz")}


class DndFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.SearchInput(
            attrs={
                "placeholder": "Name or reason word, whole number, or its last 4+ digits",
                "title": "Finds words that start a name or reason, a whole number in any "
                "format, a number's last 4 or more digits, or + and its first digits",
                "autocomplete": "off",
            }
        ),
    )
    source = forms.ChoiceField(
        required=False,
        choices=[("", "Any source"), *DndEntry.Source.choices],
        widget=forms.Select,
    )

    def filters(self) -> dict:
        self.is_valid()
        return {key: self.cleaned_data.get(key) or "" for key in ("q", "source")}


class DndAddForm(forms.Form):
    """Quick add of one number, or many pasted one a line (commas also split)."""

    numbers = forms.CharField(
        label="Number(s)",
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "class": "font-monospace",
                "placeholder": "+91 98765 43210\n098765 43211",
            }
        ),
        help_text="One number, or paste many: one a line. Any format.",
        max_length=2_000_000,
    )
    name = forms.CharField(
        required=False,
        max_length=200,
    )
    reason = forms.CharField(
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "Asked not to be called"}),
    )


class DndLookupForm(forms.Form):
    number = forms.CharField(
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "placeholder": "+91 98765 43210",
                "autocomplete": "off",
                "inputmode": "tel",
            }
        ),
    )


# --- push ---


class PushForm(forms.Form):
    """Push a list to one CPaaS account (the accounts that hold campaign lists)."""

    account = forms.ModelChoiceField(queryset=None, label="CPaaS account")
    resend_all = forms.BooleanField(
        required=False,
        label="Send every row again",
        help_text="The vendor updates the numbers it already holds (names and fields).",
    )

    def __init__(self, *args, **kwargs):
        from ..models import VendorPush

        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = VendorPush.eligible_accounts()
        self.fields["account"].error_messages["invalid_choice"] = (
            "Choose an enabled CPaaS account: that one is disabled, gone or cannot hold lists."
        )


# --- imports ---


class ImportUploadForm(forms.Form):
    """A CSV/XLSX file or a pasted block of numbers; exactly one of them."""

    file = forms.FileField(
        required=False,
        label="CSV or Excel (.xlsx) file",
        error_messages={"empty": "The file is empty"},
        help_text=(
            "Comma, semicolon, tab or pipe separated; any encoding (UTF-8, UTF-16, "
            "Windows-1252, Shift-JIS, …); with or without a header row. You can correct what "
            "is detected on the next page."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,text/csv"}),
    )
    pasted = forms.CharField(
        required=False,
        label="…or paste numbers",
        help_text="One a line, or separated by commas, semicolons or spaces.",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "+91 98765 43210\n09876543211"}),
    )

    def clean(self):
        data = super().clean()
        has_file, has_paste = bool(data.get("file")), bool((data.get("pasted") or "").strip())
        if has_file and has_paste:
            raise forms.ValidationError("Upload a file or paste numbers, not both.")
        if not has_file and not has_paste:
            raise forms.ValidationError("Choose a file to upload, or paste some numbers.")
        return data


class ImportReadingForm(forms.Form):
    """How the stored file is read, when the detection got it wrong: the encoding and
    delimiter of a CSV, the sheet of an .xlsx, and whether the first row is a header.
    Changing one reads the file's head again (intake.reread). Radios and a text field,
    not selects: the page's options stay one set per column (test_upload_limits)."""

    reread = forms.CharField(widget=forms.HiddenInput, initial="1")
    encoding = forms.CharField(
        required=False,
        max_length=20,
        label="Encoding",
        help_text="utf-8, utf-16, cp1252, shift_jis, cp1251, gb18030, …",
        widget=forms.TextInput(attrs={"size": 12, "spellcheck": "false"}),
    )
    delimiter = forms.ChoiceField(required=False, label="Separator", widget=forms.RadioSelect)
    sheet = forms.ChoiceField(required=False, label="Sheet")
    has_header = forms.TypedChoiceField(
        label="First row",
        choices=[("1", "is a header"), ("0", "is data")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, job, **kwargs):
        from ..importers.reading import DELIMITER_NAMES

        super().__init__(*args, **kwargs)
        self.job = job
        self.fields["has_header"].initial = "1" if job.has_header else "0"
        if job.file_format == "xlsx":
            del self.fields["encoding"], self.fields["delimiter"]
            self.fields["sheet"].choices = [(name, name) for name in job.sheets]
            self.fields["sheet"].initial = job.sheet
            if len(job.sheets) < 2:
                del self.fields["sheet"]
            return
        del self.fields["sheet"]
        if job.file_format == "paste":
            del self.fields["encoding"], self.fields["delimiter"]
            return
        self.fields["encoding"].initial = job.encoding or "utf-8-sig"
        self.fields["delimiter"].choices = list(DELIMITER_NAMES.items())
        self.fields["delimiter"].initial = job.delimiter or ","

    def clean_encoding(self):
        import codecs

        from ..importers.reading import codec_name

        value = self.cleaned_data["encoding"].strip()
        if not value:
            return ""
        name = codec_name(value)
        if not name or not codecs.lookup(name)._is_text_encoding:
            raise forms.ValidationError(f"{value!r} is not an encoding Dialdesk knows.")
        return name


class ImportMappingForm(forms.Form):
    """One select per column of the file: what that column holds. Each select offers
    the fixed targets and that column's own custom field, so the page grows linearly."""

    def __init__(self, *args, job, **kwargs):
        from ..importers import choices_for

        super().__init__(*args, **kwargs)
        self.job = job
        for index, column in enumerate(job.columns):
            current = job.mapping.get(str(index), "ignore")
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=column,
                choices=choices_for(job.kind, column, index, current),
                initial=current,
            )

    def mapping(self):
        return {key.removeprefix("col_"): value for key, value in self.cleaned_data.items()}

    def clean(self):
        from ..importers import mapping_problems

        data = super().clean()
        if not self.errors:
            for problem in mapping_problems(self.job.kind, self.mapping()):
                self.add_error(None, problem)
        return data
