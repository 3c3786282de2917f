"""Omilia without HTTP: the number mapping table case by case, the region URL table, token
bookkeeping and the classification of the vendor's bodies."""

import json

import pytest

from telephony.vendors.base import AuthFailed, InvalidRequest, MalformedResponse, Rejected
from telephony.vendors.http import VendorResponse
from telephony.vendors.omilia.auth import (
    REGIONS,
    RegionURLs,
    TokenSet,
    classify_token_response,
    region_urls,
    resolve_urls,
)
from telephony.vendors.omilia.client import (
    NumberStatus,
    OmiliaNumber,
    classify_api_response,
    number_status,
)

SEED_EXAMPLE = {
    "number": "+12012049893",
    "country": "US",
    "groupId": "ocp-qa",
    "miniAppId": "3781bcc1-7c76-439b-ba26-05d22217b316.SND_dmt_test_app_vp.Flow.ocp-qa"
    "@SND_dmt_test_app_vp.ocp-qa",
    "miniAppName": "SND_dmt_test_app_vp",
    "miniAppType": "Flow",
    "miniAppDiamantAppName": "ocp-qa@SND_dmt_test_app_vp",
    "miniAppGroup": "ocp-qa",
    "locale": "en-US",
    "note": "DiaManT - vpolitis",
    "applicationTag": None,
    "phoneNumbersSetId": None,
    "phoneNumbersSetName": None,
}

# (vendor record, expected status, country, set id, set name, note)
NUMBER_CASES = [
    (SEED_EXAMPLE, NumberStatus.ATTACHED, "US", "", "", "DiaManT - vpolitis"),
    (
        {**SEED_EXAMPLE, "miniAppId": None, "miniAppName": None},
        NumberStatus.UNATTACHED,
        "US",
        "",
        "",
        "DiaManT - vpolitis",
    ),
    (
        {"number": "+442071838750", "miniAppId": "", "phoneNumberSetId": "s1", "note": None},
        NumberStatus.UNATTACHED,
        "GB",  # no country given: derived from the number
        "s1",
        "",
        "",
    ),
    (
        {
            "number": "+302101234567",
            "country": "gr",
            "miniAppId": "x.App.Flow.g@App.g",
            "phoneNumbersSetId": "s2",
            "phoneNumbersSetName": "EMEA",
        },
        NumberStatus.ATTACHED,
        "GR",
        "s2",
        "EMEA",
        "",
    ),
]


@pytest.mark.parametrize(
    ("record", "status", "country", "set_id", "set_name", "note"), NUMBER_CASES
)
def test_a_vendor_number_maps_to_the_normalized_record(
    record, status, country, set_id, set_name, note
):
    number = OmiliaNumber.from_vendor(record)
    assert number.status is status
    assert number_status(record) is status
    assert (number.country, number.set_id, number.set_name, number.note) == (
        country,
        set_id,
        set_name,
        note,
    )
    assert number.in_set is bool(set_id)
    assert number.raw is record


def test_the_seed_example_keeps_every_field():
    number = OmiliaNumber.from_vendor(SEED_EXAMPLE)
    assert number.group_id == "ocp-qa" and number.mini_app_type == "Flow"
    assert number.diamant_app_name == "ocp-qa@SND_dmt_test_app_vp"
    assert number.mini_app_group == "ocp-qa" and number.locale == "en-US"
    assert number.application_tag == ""


@pytest.mark.parametrize("record", [{}, {"number": None}, "+12025550143", None])
def test_a_record_without_its_number_is_malformed(record):
    with pytest.raises(MalformedResponse):
        OmiliaNumber.from_vendor(record)


@pytest.mark.parametrize(
    ("region", "api_base", "token_url"),
    [
        (
            "EU1",
            "https://eu1-m.ocp.ai/integrations",
            "https://eu1-m.ocp.ai/auth/realms/master/protocol/openid-connect/token",
        ),
        (
            "US1",
            "https://us1-m.ocp.ai/integrations",
            "https://us1-m.ocp.ai/auth/realms/master/protocol/openid-connect/token",
        ),
        (
            "US2",
            "https://us2-m.ocp.ai/integrations",
            "https://auth.us2-m.ocp.ai/auth/realms/master/protocol/openid-connect/token",
        ),
        (
            "US1W",  # GUESS for the token endpoint (see auth.py)
            "https://us1-w-m.ocp.ai/integrations",
            "https://us1-w-m.ocp.ai/auth/realms/master/protocol/openid-connect/token",
        ),
    ],
)
def test_each_region_resolves_to_its_urls(region, api_base, token_url):
    urls = resolve_urls(region=region)
    assert (urls.api_base, urls.token_url) == (api_base, token_url)
    assert urls.logout_url == token_url.removesuffix("/token") + "/logout"
    assert region_urls(region.lower()) == REGIONS[region]


def test_us1_w_is_accepted_with_its_dash():
    assert region_urls("us1-w") == REGIONS["US1W"]


def test_a_custom_base_url_wins_and_needs_a_token_url():
    custom = resolve_urls(
        region="EU1", base_url="https://ocp.example/integrations/", token_url="https://id/t/token"
    )
    assert custom == RegionURLs("https://ocp.example/integrations", "https://id/t/token")
    # With a region, its token URL fills the gap; without one it is an error.
    assert resolve_urls(region="US2", base_url="https://x/integrations").token_url == (
        REGIONS["US2"].token_url
    )
    with pytest.raises(InvalidRequest) as caught:
        resolve_urls(base_url="https://x/integrations")
    assert "token_url" in caught.value.errors


@pytest.mark.parametrize("region", ["", "CA1", "eu2"])
def test_an_unknown_or_missing_region_is_refused(region):
    with pytest.raises(InvalidRequest) as caught:
        resolve_urls(region=region)
    assert "region" in caught.value.errors


def test_token_times_come_from_the_response():
    tokens = TokenSet.from_response(
        {"access_token": "a" * 20, "expires_in": 3600, "refresh_expires_in": 0}, now=1000.0
    )
    assert tokens.expires_at == 4600 and tokens.renew_at == 4570
    assert tokens.refresh_expires_at is None  # 0: the refresh token does not expire
    assert tokens.access_usable(4569) and not tokens.access_usable(4570)
    assert not tokens.refresh_usable(1000)  # there was no refresh token


@pytest.mark.parametrize(
    "body", [{"expires_in": 300}, {"access_token": "abc"}, {"access_token": "a", "expires_in": "x"}]
)
def test_a_token_answer_without_token_or_lifetime_is_malformed(body):
    with pytest.raises(MalformedResponse):
        TokenSet.from_response(body, now=0)


def response(status, data):
    content = json.dumps(data).encode() if data is not None else b""
    return VendorResponse(status_code=status, headers={}, content=content, data=data)


def test_keycloak_errors_are_auth_failures_in_keycloaks_words():
    error = classify_token_response(
        response(400, {"error": "invalid_grant", "error_description": "Token is not active"})
    )
    assert isinstance(error, AuthFailed)
    assert (error.message, error.vendor_code) == ("Token is not active", "invalid_grant")
    assert classify_token_response(response(503, {"error": "unknown_error"})) is None
    assert classify_token_response(response(200, {"access_token": "x"})) is None


def test_api_refusals_are_classified():
    forbidden = classify_api_response(response(403, {"message": "No available licenses"}))
    assert isinstance(forbidden, Rejected) and forbidden.message == "No available licenses"
    no_success = classify_api_response(response(200, {"success": False, "message": "Nope"}))
    assert isinstance(no_success, Rejected) and no_success.message == "Nope"
    assert classify_api_response(response(200, {"success": True, "message": "ok"})) is None
    assert classify_api_response(response(401, {"error": "Unauthorized"})) is None  # default
