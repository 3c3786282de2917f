"""Fast phone-number normalization to E.164, for million-row imports and lookups.

phonenumbers.parse + is_valid_number costs ~75 µs a number (over a minute for a
million rows), so this module does the same job from phonenumbers' own metadata:
country codes, national prefixes, possible lengths and each region's general number
pattern, compiled once and cached. Each failure comes with a reason a person can act on.
It applies is_valid_number's own rules (general description, then the number types,
and for a shared country code the region phonenumbers would pick), so every number it
returns passes phonenumbers.is_valid_number: tests/telephony/test_phone.py compares the
two over random digit strings.

A number without "+" or "00" is read by the numbering plan of the list's country, never
by its first digits: "9111852010" is an Indian mobile, not +91 11852010. When the digits
are valid both ways (national, and after the country code), the value is refused as
ambiguous: a guessed number is a call to the wrong person.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

# Characters people and spreadsheets put inside numbers.
_FORMATTING = str.maketrans("", "", " -.()/\u00a0\u2009\u202f\t\u2013\u2014")
_SCIENTIFIC = re.compile(r"^([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]{1,2})$")
_TRAILING_ZERO_DECIMAL = re.compile(r"^\+?[0-9]+\.0+$")

# phonenumbers still uses some old zone names; show the current ones.
_ZONE_ALIASES = {
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Rangoon": "Asia/Yangon",
    "Europe/Kiev": "Europe/Kyiv",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
}


@dataclass(frozen=True)
class Region:
    code: str
    country_code: str
    national_prefix: str
    pattern: re.Pattern
    lengths: frozenset
    name: str
    # The general pattern and the number types (mobile, fixed line, toll free…), each
    # with its possible lengths, as one regex: is_valid_number wants a type too.
    types: re.Pattern
    leading: re.Pattern | None

    def valid(self, national: str) -> bool:
        return len(national) in self.lengths and self.types.fullmatch(national) is not None


class InvalidNumber(ValueError):
    """Why a value is not a usable phone number, in words for the import report."""


@cache
def region(code: str) -> Region | None:
    metadata = PhoneMetadata.metadata_for_region(code.upper(), None)
    if metadata is None or metadata.general_desc is None:
        return None
    desc = metadata.general_desc
    return Region(
        code=code.upper(),
        country_code=str(metadata.country_code),
        national_prefix=metadata.national_prefix or "",
        pattern=re.compile(f"(?:{desc.national_number_pattern})"),
        lengths=frozenset(desc.possible_length or ()),
        name=code.upper(),
        # The general pattern as a lookahead, then the types: one regex call a number.
        types=re.compile(f"(?=(?:{desc.national_number_pattern})$)(?:{_types_pattern(metadata)})"),
        leading=re.compile(metadata.leading_digits) if metadata.leading_digits else None,
    )


# Mobile first: validity is any type, so the order is free, and most rows are mobiles
# (the alternation stops at the first type that matches: ~3x faster for a mobile).
_TYPES = (
    "mobile",
    "fixed_line",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)


def _types_pattern(metadata) -> str:
    """One alternative a number type, each held to that type's possible lengths (as
    phonenumbers' _is_number_matching_desc does); a region with no types matches nothing."""
    parts = []
    for name in _TYPES:
        desc = getattr(metadata, name, None)
        if desc is None or not desc.national_number_pattern:
            continue
        lengths = [n for n in (desc.possible_length or ()) if n > 0]
        guard = f"(?=[0-9]{{{'}$|[0-9]{'.join(map(str, lengths))}}}$)" if lengths else ""
        parts.append(f"{guard}(?:{desc.national_number_pattern})")
    return "|".join(f"(?:{p})" for p in parts) or "(?!)"


@cache
def regions_for_country_code(country_code: str) -> tuple[Region, ...]:
    codes = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(country_code), ())
    return tuple(r for r in (region(c) for c in codes if c != "001") if r is not None)


def split_country_code(digits: str) -> tuple[str, str] | None:
    if digits[:1] == "0":
        return None  # no country calling code starts with 0 ("+091…" is not +91)
    for size in (1, 2, 3):
        cc = digits[:size]
        if int(cc or 0) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return cc, digits[size:]
    return None


def _matches(regions: tuple[Region, ...], national: str) -> bool:
    """phonenumbers.is_valid_number for +<the regions' country code><national>: one region
    decides, found as region_code_for_number finds it (by leading digits where a region
    has them, else by the first region the number is valid in)."""
    if len(regions) == 1:
        return regions[0].valid(national)
    for r in regions:
        if r.leading is not None:
            if r.leading.match(national) is not None:
                return r.valid(national)
        elif r.valid(national):
            return True
    return False


def _undo_excel(text: str) -> str:
    """Excel shows long numbers as 9.19876543210E+11; recover them when no digit was lost."""
    match = _SCIENTIFIC.match(text)
    if match:
        lead, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3))
        if len(fraction.rstrip("0")) < exponent - 2 and len(fraction) <= exponent:
            # Fewer significant digits than a phone number has: the rest are gone.
            raise InvalidNumber(
                f"Excel turned this number into {text} and dropped its last digits; "
                "format the column as Text in Excel and export again"
            )
        try:
            return str(int(Decimal(f"{lead}.{fraction}e{exponent}")))
        except InvalidOperation:
            raise InvalidNumber(f"{text} is not a number") from None
    if _TRAILING_ZERO_DECIMAL.match(text):
        return text.split(".", 1)[0]
    return text


def _clean(value, text: str) -> tuple[bool, str]:
    text = text.lstrip("'").strip()
    if not text:
        raise InvalidNumber("the number is empty")
    compact = _undo_excel(text).translate(_FORMATTING)
    plus = compact.startswith("+")
    digits = compact[1:] if plus else compact
    if not digits.isdigit() or not digits.isascii():
        raise InvalidNumber(f"{value!s} has characters that are not digits")
    return plus, digits


def normalize(value, default_region: str = "IN") -> str:
    """The E.164 form of `value` (e.g. "+919876543210"), or InvalidNumber with a reason.

    Accepts +CC…, 00CC…, national numbers with their trunk prefix (0…), numbers without a
    country code (taken as `default_region`), spreadsheet damage (leading apostrophe,
    scientific notation, trailing .0) and formatting (spaces, dashes, dots, brackets)."""
    text = value.strip() if isinstance(value, str) else ("" if value is None else str(value))
    # Fast path: plain digits, with or without "+", need no cleaning (most rows).
    if text.isdigit() and text.isascii():
        plus, digits = False, text
    elif text[:1] == "+" and text[1:].isdigit() and text.isascii():
        plus, digits = True, text[1:]
    else:
        plus, digits = _clean(value, text)
    home = region(default_region) if default_region else None

    if plus or digits.startswith("00"):
        digits = digits if plus else digits[2:]
        split = split_country_code(digits)
        if split is None:
            if digits[:1] == "0":
                raise InvalidNumber(
                    f"{value!s} is not a valid international number: after "
                    f"{'+' if plus else '00'} comes a 0, and no country calling code starts with 0"
                )
            raise InvalidNumber(f"+{digits[:3]} is not a country calling code")
        cc, national = split
    elif home and home.national_prefix and digits.startswith(home.national_prefix):
        cc, national = home.country_code, digits[len(home.national_prefix) :]
    elif home and digits.startswith(home.country_code):
        # Valid as a national number, or after the country code? Decided by the plan
        # (length and pattern), never by the prefix; both valid is refused, not guessed.
        cc = home.country_code
        after = digits[len(cc) :]
        regions = regions_for_country_code(cc)
        as_national, as_international = _matches(regions, digits), _matches(regions, after)
        if as_national and as_international:
            raise InvalidNumber(
                f"{value!s} is ambiguous: it could be +{cc}{digits} or +{cc}{after}; "
                "write it with + and the country code"
            )
        national = after if as_international else digits
    elif home:
        cc, national = home.country_code, digits
    else:
        raise InvalidNumber("the number has no country code and the list has no default country")

    regions = regions_for_country_code(cc)
    if not regions:
        raise InvalidNumber(f"+{cc} is not a country calling code")
    if _matches(regions, national):
        return f"+{cc}{national}"
    prefix = regions[0].national_prefix
    if plus and prefix and national.startswith(prefix):
        # "+44 (0)20 7946 0958": the trunk prefix written after the country code.
        national = national[len(prefix) :]
        if _matches(regions, national):
            return f"+{cc}{national}"
    if home and not plus:
        # Some countries rewrite national numbers (Argentina's mobile "15", Belarus's
        # "8 0"); phonenumbers knows those rules. Slow, but only for the odd row.
        try:
            parsed = phonenumbers.parse(text, home.code)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None and phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    lengths = set().union(*(r.lengths for r in regions))
    if lengths and len(national) < min(lengths):
        raise InvalidNumber(f"{value!s} is too short for +{cc}")
    if lengths and len(national) > max(lengths):
        raise InvalidNumber(f"{value!s} is too long for +{cc}")
    raise InvalidNumber(f"{value!s} is not a valid number for +{cc} ({regions[0].code})")


@cache
def fast_path(default_region: str):
    """A function for a big import's hot loop: raw text -> its E.164 form, or None when
    this quick check cannot decide (normalize then does, with every rule). It takes two
    shapes only, plain ASCII digits in the national form of `default_region` and "+"
    with that region's country code, and only where that region's plan makes the answer
    the one normalize and phonenumbers.parse give: one region on the country code, a
    plain national prefix (no rewriting rules), and digits that start with neither the
    national prefix, nor the country code (issue 14: "91…" is decided by the plan, in
    normalize), nor the international prefix, nor a 0 after the country code (kept as a
    leading zero only by Italy's rule). Then the number is valid exactly when its length
    and pattern are, and its E.164 form is "+" and the digits.
    tests/telephony/test_phone_fast_path.py compares it with phonenumbers over many shapes.
    Returns None when the region allows no fast path at all."""
    home = region(default_region) if default_region else None
    metadata = PhoneMetadata.metadata_for_region(default_region.upper(), None) if home else None
    if home is None or metadata is None:
        return None
    cc = home.country_code
    if regions_for_country_code(cc) != (home,) or split_country_code(cc + "0" * 12) != (
        cc,
        "0" * 12,
    ):
        return None
    prefix = home.national_prefix
    parsing = metadata.national_prefix_for_parsing
    if metadata.national_prefix_transform_rule or (parsing and parsing != prefix):
        return None
    if parsing and not parsing.isdigit():
        return None
    international = re.compile(metadata.international_prefix or "(?!)")
    refused = tuple(p for p in (prefix, cc) if p)
    lengths, types = home.lengths, home.types.fullmatch
    plus_cc, size = "+" + cc, len(cc) + 1

    def fast(text: str) -> str | None:
        if text.isdigit():
            if (
                text.isascii()
                and len(text) in lengths
                and text[0] != "0"
                and not text.startswith(refused)
                and international.match(text) is None
                and types(text) is not None
            ):
                return plus_cc + text
            return None
        if text.startswith(plus_cc):
            national = text[size:]
            if (
                national.isdigit()
                and national.isascii()
                and len(national) in lengths
                and national[0] != "0"
                and types(national) is not None
            ):
                return text
        return None

    return fast


def is_e164(value: str) -> bool:
    """True for a valid number already written as +CC… (what vendors like MyOperator want)."""
    if not isinstance(value, str) or not value.startswith("+"):
        return False
    try:
        return normalize(value, default_region="") == value
    except InvalidNumber:
        return False


@lru_cache(maxsize=512)
def _zone_weights(country_code: str) -> dict[str, int]:
    """How many of a country's number prefixes each zone covers (its dominant zones)."""
    weights: dict[str, int] = {}
    for prefix, zones in TIMEZONE_DATA.items():
        if prefix.startswith(country_code):
            for zone in zones:
                weights[zone] = weights.get(zone, 0) + 1
    return weights


@lru_cache(maxsize=65536)
def _zone_for_prefix(prefix: str) -> str:
    for size in range(min(TIMEZONE_LONGEST_PREFIX, len(prefix)), 0, -1):
        zones = TIMEZONE_DATA.get(prefix[:size])
        if zones:
            if len(zones) > 1:
                # A number that spans zones (mobiles, toll-free) gets its country's most
                # common zone: +44 7700… is Europe/London, not Guernsey.
                split = split_country_code(prefix)
                weights = _zone_weights(split[0]) if split else {}
                zones = sorted(zones, key=lambda z: -weights.get(z, 0))
            zone = zones[0]
            return "" if zone == "Etc/Unknown" else _ZONE_ALIASES.get(zone, zone)
    return ""


def time_zone_for(e164: str) -> str:
    """The IANA time zone of an E.164 number ("" when unknown); the first of several."""
    return _zone_for_prefix(e164[1 : 1 + TIMEZONE_LONGEST_PREFIX])
