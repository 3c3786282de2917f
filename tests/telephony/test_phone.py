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
        ("07700 900123", "GB", "+447700900123"),
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
