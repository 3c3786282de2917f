"""Forms of the Omilia pages. Each field is bounded and checked here with the formats
seed 003 states (E.164 numbers, pd-XY locales, two-letter countries), so most mistakes
are caught before anything is sent; what the vendor still refuses is put on the field
its message names (views/omilia_common.attach_error)."""

import re

import phonenumbers
from django import forms

from phone_numbers.models import NOTE_MAX_LENGTH
from phone_numbers.models.purchases import MAX_NUMBERS_PER_PURCHASE
from telephony.phone import is_e164
from telephony.vendors.omilia.validation import LOCALE

MAX_NUMBERS_PER_REQUEST = 200
CSV_MAX_BYTES = 512 * 1024
CSV_MAX_ROWS = 5000
GROUP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
DIGITS = re.compile(r"^\d*$")
PATTERN = re.compile(r"^[\d*]*$")


def text_input(placeholder="", **attrs):
    return forms.TextInput(attrs={"placeholder": placeholder, "autocomplete": "off", **attrs})


def group_field(label="Group", help_text="The OCP group, e.g. dialdesk.", required=True):
    return forms.CharField(
        label=label,
        max_length=80,
        required=required,
        help_text=help_text,
        widget=text_input("dialdesk", list="omilia-groups"),
    )


def locale_field(required=True):
    return forms.CharField(
        label="Locale",
        max_length=5,
        required=required,
        help_text="The miniApp's locale, pd-XY, e.g. en-US.",
        widget=text_input("en-US"),
    )


def mini_app_field(required=True):
    return forms.CharField(
        label="MiniApp id",
        max_length=300,
        required=required,
        help_text="The id of the miniApp to route to (as the numbers list shows it).",
        widget=text_input("", list="omilia-miniapps"),
    )


def tag_field():
    return forms.CharField(label="Application tag", max_length=100, required=False)


def note_field(required=False, max_length=NOTE_MAX_LENGTH):
    return forms.CharField(
        label="Note",
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def clean_group(value: str) -> str:
    value = value.strip()
    if value and not GROUP_RE.match(value):
        raise forms.ValidationError("Letters, digits, '.', '_', '-' or '@', with no spaces.")
    return value


def clean_locale(value: str) -> str:
    value = value.strip()
    if value and not LOCALE.match(value):
        raise forms.ValidationError("Use the pd-XY format, e.g. en-US.")
    return value


def parse_numbers(text: str, *, limit: int = MAX_NUMBERS_PER_REQUEST) -> list[str]:
    """Numbers typed one per line (or separated by commas/spaces), each valid E.164."""
    raw = [part.strip() for part in re.split(r"[\s,;]+", text or "") if part.strip()]
    if not raw:
        raise forms.ValidationError("Enter at least one number.")
    if len(raw) > limit:
        raise forms.ValidationError(f"At most {limit} numbers at a time ({len(raw)} given).")
    bad = [n for n in raw if not is_e164(n)]
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise forms.ValidationError(
            f"Not a valid number written as + country code and number: {shown}."
        )
    seen, unique = set(), []
    for number in raw:
        if number not in seen:
            seen.add(number)
            unique.append(number)
    return unique


class NumbersField(forms.CharField):
    """Several E.164 numbers in a textarea (or repeated hidden inputs)."""

    def __init__(self, *args, limit=MAX_NUMBERS_PER_REQUEST, **kwargs):
        kwargs.setdefault(
            "widget", forms.Textarea(attrs={"rows": 3, "placeholder": "+12025550123"})
        )
        kwargs.setdefault("max_length", limit * 20)
        kwargs.setdefault("help_text", "One per line, written + country code and number.")
        super().__init__(*args, **kwargs)
        self.limit = limit

    def to_python(self, value):
        if isinstance(value, list | tuple):
            value = "\n".join(str(v) for v in value)
        return super().to_python(value)

    def clean(self, value):
        value = super().clean(value)
        if not value and not self.required:
            return []
        return parse_numbers(value, limit=self.limit)


class ChosenNumbersMixin:
    """Numbers ticked in a table arrive as repeated `numbers` inputs."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and hasattr(data, "getlist"):
            data = data.copy()
            chosen = data.getlist("numbers")
            if len(chosen) > 1:
                data.setlist("numbers", ["\n".join(chosen[: MAX_NUMBERS_PER_REQUEST + 1])])
        super().__init__(data, *args, **kwargs)


# --- numbers -------------------------------------------------------------------------


class NumberSearchForm(forms.Form):
    """The numbers page's filters: a plain search (GET /api/numbers, searchTerm), or the
    advanced search (POST /api/numbers/search) when any other field is given."""

    q = forms.CharField(
        label="Search", required=False, max_length=100, widget=text_input("Number or note")
    )
    group = group_field(required=False, help_text="")
    mini_app_name = forms.CharField(label="MiniApp", required=False, max_length=100)
    set_id = forms.CharField(label="Set id", required=False, max_length=100)
    page = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, widget=forms.HiddenInput
    )

    ADVANCED = ("group", "mini_app_name", "set_id")

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])

    @property
    def advanced(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.ADVANCED)


class NumberEditForm(forms.Form):
    """A number's group (PUT /api/numbers/group) and note (PUT /api/number/note)."""

    group = group_field()
    note = note_field()

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])


class AddNumbersForm(forms.Form):
    """POST /api/numbers/direct: numbers owned elsewhere, added to OCP."""

    numbers = NumbersField(label="Numbers")
    group = group_field()
    country = forms.CharField(
        label="Country",
        required=False,
        max_length=2,
        help_text="Two-letter ISO code; found from the number when empty.",
        widget=text_input("US"),
    )
    mini_app_id = mini_app_field(required=False)
    locale = locale_field(required=False)
    note = note_field()
    application_tag = tag_field()
    log_ani = forms.BooleanField(
        label="Log the caller's number (ANI)", required=False, initial=True
    )
    log_dnis = forms.BooleanField(
        label="Log the dialed number (DNIS)", required=False, initial=True
    )

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])

    def clean_locale(self):
        return clean_locale(self.cleaned_data["locale"])

    def clean_country(self):
        value = self.cleaned_data["country"].strip().upper()
        if value and not re.fullmatch(r"[A-Z]{2}", value):
            raise forms.ValidationError("Two letters, e.g. US.")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("mini_app_id") and not cleaned.get("locale"):
            self.add_error("locale", "A miniApp needs its locale.")
        return cleaned


BULK_ACTIONS = [
    ("group", "Move to another group"),
    ("add_to_set", "Add to a set"),
    ("remove_from_set", "Remove from a set"),
    ("attach", "Attach to a miniApp"),
    ("detach", "Detach from their miniApp"),
]


class BulkForm(ChosenNumbersMixin, forms.Form):
    """One operation on the numbers ticked on the numbers page."""

    numbers = NumbersField(label="Numbers")
    action = forms.ChoiceField(label="Operation", choices=BULK_ACTIONS)
    group = group_field(required=False, help_text="For “Move to another group”.")
    set_id = forms.ChoiceField(label="Set", required=False, choices=[])
    mini_app_id = mini_app_field(required=False)
    locale = locale_field(required=False)
    application_tag = tag_field()

    NEEDS = {
        "group": ("group",),
        "add_to_set": ("set_id",),
        "remove_from_set": ("set_id",),
        "attach": ("mini_app_id", "locale"),
        "detach": (),
    }

    def __init__(self, *args, sets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["set_id"].choices = [("", "Choose a set…")] + [
            (s.id, f"{s.name} ({s.group_id})") for s in sets
        ]

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])

    def clean_locale(self):
        return clean_locale(self.cleaned_data["locale"])

    def clean(self):
        cleaned = super().clean()
        for name in self.NEEDS.get(cleaned.get("action"), ()):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, "Needed for this operation.")
        return cleaned


# --- buying --------------------------------------------------------------------------


class AvailableSearchForm(forms.Form):
    """POST /api/numbers (available for purchase): a country, an area code (sent as the
    number prefix after the country's calling code) and a pattern the offers must match."""

    country = forms.CharField(
        label="Country", max_length=2, widget=text_input("US"), help_text="Two-letter ISO code."
    )
    area = forms.CharField(
        label="Area code",
        required=False,
        max_length=8,
        widget=text_input("202"),
        help_text="Digits after the country code, e.g. 202 for Washington D.C.",
    )
    pattern = forms.CharField(
        label="Pattern",
        required=False,
        max_length=15,
        widget=text_input("55*"),
        help_text="Digits the number must contain; * stands for any digits.",
    )
    provider = forms.CharField(
        label="Provider",
        max_length=80,
        widget=text_input("twilio"),
        help_text="The CCaaS provider, as OCP names it.",
    )
    group = group_field(help_text="The OCP group the numbers are bought for.")

    def clean_country(self):
        value = self.cleaned_data["country"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", value) or not phonenumbers.country_code_for_region(value):
            raise forms.ValidationError("A two-letter ISO country code, e.g. US or GB.")
        return value

    def clean_area(self):
        value = self.cleaned_data["area"].strip()
        if not DIGITS.match(value):
            raise forms.ValidationError("Digits only.")
        return value

    def clean_pattern(self):
        value = self.cleaned_data["pattern"].strip()
        if not PATTERN.match(value):
            raise forms.ValidationError("Digits and * only.")
        return value

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])

    @property
    def number_prefix(self) -> str | None:
        area = self.cleaned_data.get("area")
        if not area:
            return None
        calling = phonenumbers.country_code_for_region(self.cleaned_data["country"])
        return f"+{calling}{area}"

    def matches(self, number: str) -> bool:
        pattern = self.cleaned_data.get("pattern")
        if not pattern:
            return True
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
        return re.search(regex, number.lstrip("+")) is not None


class ChooseForm(ChosenNumbersMixin, forms.Form):
    """Step 1 -> 2: the offers ticked, and what they are bought for."""

    numbers = NumbersField(label="Numbers", limit=MAX_NUMBERS_PER_PURCHASE)
    provider = forms.CharField(max_length=80)
    group = group_field()
    note = note_field(max_length=500)

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])


# --- sets ----------------------------------------------------------------------------


class SetForm(forms.Form):
    """POST /api/numbers-set (create) and PATCH /api/numbers-set/{id} (rename, move)."""

    name = forms.CharField(label="Name", max_length=120)
    group = group_field(help_text="The OCP group the set belongs to.")

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class SetsForGroupForm(forms.Form):
    group = group_field(required=False, help_text="")

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])


class SetMembersForm(ChosenNumbersMixin, forms.Form):
    """Add numbers to a set, or remove them (POST/DELETE /api/numbers-set/{id}/numbers)."""

    numbers = NumbersField(label="Numbers")


class AttachSetForm(ChosenNumbersMixin, forms.Form):
    """PUT /api/numbers-set/{id}/attach: all the set's numbers, or those listed."""

    mini_app_id = mini_app_field()
    locale = locale_field()
    application_tag = tag_field()
    numbers = NumbersField(
        label="Only these numbers",
        required=False,
        help_text="Leave empty to attach every number of the set.",
    )

    def clean_locale(self):
        return clean_locale(self.cleaned_data["locale"])


# --- CSV -----------------------------------------------------------------------------


class CsvExportForm(forms.Form):
    """POST /api/numbers/csv's advanced search, as the export's filters."""

    number = forms.CharField(label="Number contains", required=False, max_length=16)
    note = forms.CharField(label="Note contains", required=False, max_length=100)
    group = group_field(required=False, help_text="")
    set_id = forms.CharField(label="Set id", required=False, max_length=100)

    def clean_number(self):
        value = self.cleaned_data["number"].strip()
        if value and not re.fullmatch(r"\+?\d+", value):
            raise forms.ValidationError("Digits with an optional leading +.")
        return value

    def clean_group(self):
        return clean_group(self.cleaned_data["group"])


class CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            f"The export's columns plus an “operation” column (create, delete, attach, "
            f"detach, update); up to {CSV_MAX_BYTES // 1024} KB and {CSV_MAX_ROWS:,} rows."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024:,.0f} KB; "
                f"the limit is {CSV_MAX_BYTES // 1024} KB."
            )
        raw = upload.read(CSV_MAX_BYTES + 1)
        if len(raw) > CSV_MAX_BYTES:
            raise forms.ValidationError(f"The file is over {CSV_MAX_BYTES // 1024} KB.")
        if b"\x00" in raw:
            raise forms.ValidationError("This is not a text file (it holds NUL bytes).")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None
        if text.count("\n") > CSV_MAX_ROWS + 1:
            raise forms.ValidationError(f"The file has more than {CSV_MAX_ROWS:,} rows.")
        return text
