"""Phone numbers are normalized to E.164 fast, with a reason for every refusal."""

import phonenumbers
import pytest

from telephony.phone import InvalidNumber, is_e164, normalize, time_zone_for


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+919876543210", "IN", "+919876543210"),
        ("919876543210", "IN", "+919876543210"),
        ("9876543210", "IN", "+919876543210"),
        ("09876543210", "IN", "+919876543210"),
        ("'9876543210", "IN", "+919876543210"),
        ("98765 43210", "IN", "+919876543210"),
        ("98765-43210", "IN", "+919876543210"),
        ("98765.43210", "IN", "+919876543210"),
        ("(0) 98765 43210", "IN", "+919876543210"),
        ("9.19876543210E+11", "IN", "+919876543210"),
        ("919876543210.0", "IN", "+919876543210"),
        ("0091 98765 43210", "IN", "+919876543210"),
        ("001 212 555 1234", "IN", "+12125551234"),
        ("07400 123456", "GB", "+447400123456"),
        ("+44 20 7946 0958", "IN", "+442079460958"),
        ("081234567890", "ID", "+6281234567890"),
        (" +62 812-3456-7890 ", "IN", "+6281234567890"),
    ],
)
def test_messy_numbers_become_e164(raw, region, expected):
    assert normalize(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        (None, "empty"),
        ("'", "empty"),
        ("9.19E+11", "Excel"),
        ("12345", "too short"),
        ("98765432101234567", "too long"),
        ("+999123456", "not a country calling code"),
        ("call me", "not digits"),
        ("+91 0000000000", "not a valid number"),
    ],
)
def test_unusable_numbers_say_why(raw, reason):
    with pytest.raises(InvalidNumber, match=reason):
        normalize(raw, "IN")


def test_a_number_without_country_code_needs_a_default_country():
    with pytest.raises(InvalidNumber, match="default country"):
        normalize("9876543210", "")


@pytest.mark.parametrize(
    "number", ["+919876543210", "+12125551234", "+442079460958", "+6281234567890"]
)
def test_the_fast_validator_agrees_with_phonenumbers(number):
    parsed = phonenumbers.parse(number, None)
    assert phonenumbers.is_valid_number(parsed)
    assert normalize(number, "") == phonenumbers.format_number(
        parsed, phonenumbers.PhoneNumberFormat.E164
    )


def test_e164_check_wants_the_plus_and_a_valid_number():
    assert is_e164("+919876543210")
    assert not is_e164("919876543210")
    assert not is_e164("+91987")


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+919876543210", "Asia/Kolkata"),
        ("+12125551234", "America/New_York"),
        ("+447700900123", "Europe/London"),
        ("+6281234567890", "Asia/Jakarta"),
    ],
)
def test_a_number_has_the_time_zone_of_where_it_rings(number, zone):
    assert time_zone_for(number) == zone


def test_every_example_number_of_every_region_is_accepted():
    refused = []
    for region_code in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region_code, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
            try:
                assert normalize(e164, "") == e164
                assert normalize(national, region_code) == e164
            except (InvalidNumber, AssertionError) as exc:
                refused.append((region_code, national, str(exc)))
    assert not refused, refused[:10]


def test_an_indian_mobile_beginning_with_91_is_not_taken_for_the_country_code():
    # Issue 14: 9111852010 was stored as +91 11852010, someone else's number.
    assert normalize("9111852010", "IN") == "+919111852010"
    assert normalize("9119900517", "IN") == "+919119900517"
    assert normalize("919111852010", "IN") == "+919111852010"


def test_digits_valid_both_with_and_without_the_country_code_are_refused_as_ambiguous():
    # 9118003361: an Indian mobile, and also 91 + the toll-free 1800 3361.
    assert phonenumbers.is_valid_number(phonenumbers.parse("+9118003361"))
    assert phonenumbers.is_valid_number(phonenumbers.parse("9118003361", "IN"))
    with pytest.raises(InvalidNumber, match=r"ambiguous.*\+919118003361 or \+9118003361"):
        normalize("9118003361", "IN")
    assert normalize("+9118003361", "IN") == "+9118003361"  # the + settles it


@pytest.mark.parametrize(
    "raw", ["+091 98765 43210", "+0919876543210", "00091 98765 43210", "+0 98765 43210", "+0"]
)
def test_a_zero_after_the_international_prefix_is_refused_not_stored_as_plus_zero(raw):
    with pytest.raises(InvalidNumber, match="no country calling code starts with 0"):
        normalize(raw, "IN")


def _random_digits(rng, low, high):
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(low, high)))


def test_every_number_the_fast_path_returns_passes_is_valid_number_and_none_is_missed():
    """The fast path against phonenumbers itself, over random international digit strings
    on real country codes: what it stores is valid and the same E.164; it refuses no
    number that phonenumbers finds valid as written."""
    import random

    rng = random.Random(14)
    codes = sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    disagree = []
    for _ in range(20_000):
        text = "+" + str(rng.choice(codes)) + _random_digits(rng, 4, 12)
        try:
            ours = normalize(text, "")
        except InvalidNumber:
            ours = None
        parsed = phonenumbers.parse(text, None)
        theirs = (
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(parsed)
            else None
        )
        if ours is not None and ours != theirs:
            disagree.append((text, ours, theirs))  # a number stored that is not valid
        elif ours is None and theirs == text and not _non_geographic(parsed):
            disagree.append((text, ours, theirs))  # a valid number refused
    # (phonenumbers also rewrites some digits, e.g. Norfolk Island's missing "3"; the fast
    # path refuses those rather than guess.)
    assert not disagree, disagree[:10]


def _non_geographic(parsed):
    # +800, +870…: no region; imports refuse them (nobody dials a satellite phone list).
    return phonenumbers.region_code_for_number(parsed) in ("001", None)


@pytest.mark.parametrize("home", ["IN", "GB", "US", "ID", "DE", "AE", "SG"])
def test_a_national_number_is_stored_only_when_phonenumbers_finds_it_valid(home):
    import random

    rng = random.Random(home)
    cc = str(phonenumbers.country_code_for_region(home))
    wrong = []
    for _ in range(5_000):
        digits = rng.choice(["", cc, "0", "00" + cc]) + _random_digits(rng, 6, 11)
        try:
            ours = normalize(digits, home)
        except InvalidNumber:
            continue
        if not phonenumbers.is_valid_number(phonenumbers.parse(ours, None)):
            wrong.append((digits, ours))
    assert not wrong, wrong[:10]
