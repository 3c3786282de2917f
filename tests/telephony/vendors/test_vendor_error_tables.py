# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""Every documented vendor error, one case per row of each vendor's table
(telephony/vendors/<vendor>/errors.py): the sandbox answers it over real HTTP where it
can, and the client reads it as the table says (typed error, whom it is about, the
vendor's words). The v2-only OCA codes and CPaaS's guessed bodies, which no request can
draw from the simulators, are read from the bodies the vendor (or simulator) sends."""

import json

import pytest

from telephony.models import SandboxCall
from telephony.vendors.base import Fault, VendorError
from telephony.vendors.cpaas import errors as cpaas_errors
from telephony.vendors.cpaas import sandbox_base as cpaas_sandbox
from telephony.vendors.cpaas import validation as cpaas_validation
from telephony.vendors.http import VendorHTTP, VendorResponse
from telephony.vendors.myoperator import errors as mo_errors
from telephony.vendors.myoperator import sandbox as mo_sandbox
from telephony.vendors.myoperator.client import MyOperatorClient
from telephony.vendors.myoperator.contract import classify_obd
from telephony.vendors.oca import client as oca_client
from telephony.vendors.oca import errors as oca_errors
from telephony.vendors.oca import sandbox as oca_sandbox
from telephony.vendors.oca.client import OcaClient
from tests.telephony.vendors.myoperator_fixtures import (  # noqa: F401 (fixtures)
    AGENT,
    IVR,
    mo,
    mo_account,
    ref,
)
from tests.telephony.vendors.oca_fixtures import USERNAME, oca_account, oca_base  # noqa: F401

NUMBER = "+919212992129"


def raised(action) -> VendorError:
    try:
        action()
    except VendorError as exc:
        return exc
    raise AssertionError("the vendor accepted the request")


def assert_read_as(error: VendorError, rule):
    assert isinstance(error, rule.error), (type(error), rule.key)
    assert error.fault == rule.fault
    assert error.next_day == rule.next_day
    assert error.hint == rule.hint
    assert rule.matches(error.message), error.message
    assert error.status_code == rule.status


# --- MyOperator OBD (seed 000) ---------------------------------------------------------------


def obd_body(**changes) -> dict:
    body = {
        "company_id": mo_sandbox.COMPANY,
        "secret_token": mo_sandbox.SANDBOX_CREDENTIALS["secret_token"],
        "type": "2",
        "number": NUMBER,
        "public_ivr_id": IVR,
        "reference_id": ref(),
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def send_raw(client: MyOperatorClient, body: dict, api_key: str | None = None):
    """POST a body the client's own checks would refuse, to hear the vendor's answer."""
    return client.http.request(
        "POST",
        client.obd_url,
        json_body=body,
        headers={"x-api-key": api_key or mo_sandbox.SANDBOX_CREDENTIALS["x_api_key"]},
        idempotent=False,
        classify=classify_obd,
    )


def switch_on(sandbox_config, vendor: str, *keys: str):
    sandbox_config(vendor, account_faults=list(keys))


def _reference_taken(mo, sandbox_config):
    reference = ref()
    mo.call_ivr(number=NUMBER, public_ivr_id=IVR, reference_id=reference)
    mo.call_ivr(number=NUMBER, public_ivr_id=IVR, reference_id=reference)


def _number_daily_limit(mo, sandbox_config):
    switch_on(sandbox_config, "myoperator", "one_call_per_number")
    mo.call_ivr(number=NUMBER, public_ivr_id=IVR, reference_id=ref())
    mo.call_ivr(number=NUMBER, public_ivr_id=IVR, reference_id=ref())


def _switched(key, action):
    def produce(mo, sandbox_config):
        switch_on(sandbox_config, "myoperator", key)
        action(mo)

    return produce


def _server_error(mo, sandbox_config):
    mo.http.session.headers["X-Sandbox-Fault"] = "error"
    mo.call_ivr(number=NUMBER, public_ivr_id=IVR, reference_id=ref())


def _ivr_call(mo):
    mo.call_ivr(number=NUMBER, public_ivr_id=IVR, reference_id=ref())


OBD_PRODUCERS = {
    "invalid_number": lambda mo, _: send_raw(mo, obd_body(number="9212992129")),
    "invalid_agent_number": lambda mo, _: send_raw(mo, obd_body(type="1", number_2="12345")),
    "invalid_type": lambda mo, _: send_raw(mo, obd_body(type="3")),
    "user_and_number_2": lambda mo, _: send_raw(
        mo, obd_body(type="1", user_id=AGENT, number_2="+919212990000")
    ),
    "no_user_or_number_2": lambda mo, _: send_raw(mo, obd_body(type="1")),
    "invalid_secret_token": lambda mo, _: send_raw(mo, obd_body(secret_token="")),
    "ip_unauthorized": _switched("ip_unauthorized", _ivr_call),
    "anonymous_disabled": _switched(
        "anonymous_disabled",
        lambda mo: mo.call_numbers(
            number=NUMBER, number_2="+919212990000", public_ivr_id=IVR, reference_id=ref()
        ),
    ),
    "type_not_allowed": lambda mo, _: send_raw(mo, obd_body(user_id=AGENT)),
    "reference_taken": _reference_taken,
    "billing_expired": _switched("billing_expired", _ivr_call),
    "number_daily_limit": _number_daily_limit,
    "unknown_ivr": lambda mo, _: mo.call_ivr(
        number=NUMBER, public_ivr_id="no-such-ivr", reference_id=ref()
    ),
    "company_details_incomplete": _switched("company_details_incomplete", _ivr_call),
    "invalid_api_key": lambda mo, _: send_raw(mo, obd_body(), api_key="not-the-key-0000"),
    "server_error": _server_error,
}


def test_every_documented_obd_error_has_a_case():
    assert {rule.key for rule in mo_errors.OBD_ERRORS} == set(OBD_PRODUCERS)


@pytest.mark.parametrize("rule", mo_errors.OBD_ERRORS, ids=lambda rule: rule.key)
def test_the_obd_sandbox_answers_each_documented_error_and_the_client_reads_it_as_the_table_says(
    mo, sandbox_config, rule
):
    error = raised(lambda: OBD_PRODUCERS[rule.key](mo, sandbox_config))
    assert_read_as(error, rule)
    if rule.fault == Fault.ACCOUNT and rule.key != "reference_taken":
        # Refused for the account or campaign: nothing was placed.
        assert not SandboxCall.objects.filter(vendor="myoperator", to_number=NUMBER).exists()


def test_the_four_account_errors_answer_with_the_seeds_exact_status_and_words(mo, sandbox_config):
    expected = {
        "ip_unauthorized": (403, "Your IP is unauthorized access denied"),
        "anonymous_disabled": (403, "Your annonymous feature is not enabled"),
        "billing_expired": (403, "Your billing usage has been Expired."),
        "company_details_incomplete": (
            500,
            "We are unable to process your request due to incomplete company_details",
        ),
    }
    for key, (status, words) in expected.items():
        error = raised(lambda key=key: OBD_PRODUCERS[key](mo, sandbox_config))
        assert (error.status_code, error.message, error.vendor_code) == (status, words, str(status))
        assert error.fault == Fault.ACCOUNT and error.hint


def test_an_account_error_switched_off_lets_calls_through_again(mo, sandbox_config):
    switch_on(sandbox_config, "myoperator", "billing_expired")
    raised(lambda: _ivr_call(mo))
    switch_on(sandbox_config, "myoperator")
    assert mo.call_ivr(number=NUMBER, public_ivr_id=IVR, reference_id=ref()).vendor_call_id


def test_the_anonymous_feature_switch_leaves_ivr_and_user_calls_alone(mo, sandbox_config):
    switch_on(sandbox_config, "myoperator", "anonymous_disabled")
    assert mo.call_ivr(number=NUMBER, public_ivr_id=IVR, reference_id=ref()).vendor_call_id
    assert mo.call_user(
        number=NUMBER, user_id=AGENT, public_ivr_id=IVR, reference_id=ref()
    ).vendor_call_id


# --- MyOperator REST (seed 001) --------------------------------------------------------------


def _bad_token(mo, make_account, sandbox_url):
    kwargs = mo_sandbox.demo_account(sandbox_url)
    kwargs["name"] = "MyOperator with a wrong REST token"
    kwargs["secrets"]["rest_token"] = "tS5adsXC6V2nH991"
    MyOperatorClient(make_account(**kwargs)).list_filters()


def _unknown_method(mo, make_account, sandbox_url):
    mo.http.max_retries = 0
    mo.account.base_url = ""
    mo.account.config = {
        **mo.account.config,
        "rest_base_url": f"{sandbox_url}/myoperator/api/search",
    }
    MyOperatorClient(mo.account).list_users()


def _rest_fault(value):
    def produce(mo, make_account, sandbox_url):
        mo.http.max_retries = 0
        mo.http.session.headers["X-Sandbox-Fault"] = value
        mo.list_filters()

    return produce


REST_PRODUCERS = {
    "unauthorized": _bad_token,
    "unknown_method": _unknown_method,
    "rate_limited": _rest_fault("ratelimit"),
    "server_error": _rest_fault("error"),
}


@pytest.mark.parametrize("rule", mo_errors.REST_ERRORS, ids=lambda rule: rule.key)
def test_the_rest_sandbox_answers_each_documented_error_and_the_client_reads_it(
    mo, make_account, sandbox_url, rule
):
    assert set(REST_PRODUCERS) == {row.key for row in mo_errors.REST_ERRORS}
    error = raised(lambda: REST_PRODUCERS[rule.key](mo, make_account, sandbox_url))
    assert isinstance(error, rule.error) and error.fault == rule.fault
    assert rule.matches(error.message)


# --- OCA (seed 004) ----------------------------------------------------------------------------

TENANT = USERNAME
CALLER = "02184788101"


def oca_call(client: OcaClient, **changes):
    body = {
        "from_number": CALLER,
        "to_number": "081211122333",
        "ivr_id": oca_sandbox.ivr_id_for(TENANT, "recording"),
        "variable": {},
        **changes,
    }
    return client._request("POST", "/call", json_body=body, idempotent=False)


def _oca_fault(value):
    def produce(client, sandbox_config, oca_base):
        client.http.max_retries = 0
        client.http.session.headers["X-Sandbox-Fault"] = value
        oca_call(client)

    return produce


def _wrong_password(client, sandbox_config, oca_base):
    client.account.set_secrets({"password": "not-the-password"})
    OcaClient(client.account).list_ivrs()


def _no_authorization(client, sandbox_config, oca_base):
    VendorHTTP("oca").request("GET", f"{oca_base}/ivr-list", classify=oca_client.classify)


def _tenant(**fields):
    def produce(client, sandbox_config, oca_base):
        oca_sandbox.update_tenant(TENANT, **fields)
        if "max_concurrent_calls" in fields:
            oca_call(client)
        else:
            client.list_ivrs()

    return produce


def _oca_switch(key):
    def produce(client, sandbox_config, oca_base):
        sandbox_config("oca", account_faults=[key])
        oca_call(client)

    return produce


def _body(code, message, status):
    """What OCA's v2 gateway sends; the v1 simulator never does."""

    def produce(client, sandbox_config, oca_base):
        data = {"errors": [{"message": message, "code": code}]}
        raise oca_client.classify(VendorResponse(status, {}, json.dumps(data).encode(), data))

    return produce


OCA_PRODUCERS = {
    "internal_error": _oca_fault("error"),
    "invalid_credentials": _wrong_password,
    "missing_authorization": _no_authorization,
    "setting_not_exist": lambda client, *_: client.delete_audio(
        audio_id="5f1c03d61fae4001267affff"
    ),
    "validation": lambda client, *_: oca_call(client, to_number="12"),
    "user_not_exist": _tenant(status="missing"),
    "account_expired": _oca_switch("account_expired"),
    "quota_not_enough": _oca_switch("quota_not_enough"),
    "concurrent_limit": _tenant(max_concurrent_calls=0),
    "low_balance": _body(5, "Low balance", 401),
    "too_many_requests": _oca_fault("ratelimit"),
    "token_not_supplied": _body(43, "Auth token is not supplied", 401),
    "token_not_valid": _body(45, "Auth token is not valid", 401),
}


@pytest.fixture
def oca(oca_account):
    oca_sandbox.seed_demo()
    client = OcaClient(oca_account)
    yield client
    client.http.session.close()


def test_every_documented_oca_code_has_a_case():
    assert {rule.key for rule in oca_errors.ERRORS} == set(OCA_PRODUCERS)


@pytest.mark.parametrize("rule", oca_errors.ERRORS, ids=lambda rule: f"{rule.code}-{rule.key}")
def test_each_documented_oca_code_is_read_as_the_table_says(oca, sandbox_config, oca_base, rule):
    error = raised(lambda: OCA_PRODUCERS[rule.key](oca, sandbox_config, oca_base))
    assert isinstance(error, rule.error) and error.fault == rule.fault
    assert str(error.vendor_code) == rule.code and error.status_code == rule.status
    assert error.hint == rule.hint
    if rule.code != "39":  # 39's words are the validator's list
        assert error.message == rule.message


def test_a_validation_error_about_the_campaigns_fields_is_about_the_campaign(oca):
    error = raised(lambda: oca_call(oca, from_number=""))
    assert error.vendor_code == 39 and error.fault == Fault.ACCOUNT


def test_quota_55_switched_off_lets_calls_through_again(oca, sandbox_config):
    sandbox_config("oca", account_faults=["quota_not_enough"])
    raised(lambda: oca_call(oca))
    sandbox_config("oca", account_faults=[])
    assert oca_call(oca)["success"] is True


# --- CPaaS (seed 002: no error is documented; the simulator's guessed bodies) --------------


@pytest.mark.parametrize("rule", cpaas_errors.ERRORS, ids=lambda rule: rule.key)
def test_each_cpaas_error_the_simulator_sends_is_read_as_the_table_says(rule):
    sandbox_key = {"rate_limited": "rate_limited", "server_error": "server_error"}.get(
        rule.key, rule.key
    )
    answer = cpaas_sandbox.error_response(sandbox_key, field="campaign_name")
    data = json.loads(answer.content)
    error = cpaas_validation.classify(
        VendorResponse(answer.status_code, dict(answer.items()), answer.content, data)
    )
    assert error is not None and error.status_code == rule.status
    assert error.fault == rule.fault
    if rule.error is not cpaas_errors.RateLimited:
        assert isinstance(error, rule.error) and error.hint == rule.hint


def test_a_cpaas_field_error_about_the_destination_number_is_about_the_contact():
    answer = cpaas_sandbox.error_response("invalid", field="destination_number")
    data = json.loads(answer.content)
    error = cpaas_validation.classify(VendorResponse(400, {}, answer.content, data))
    assert error.fault == Fault.CONTACT


def test_the_cpaas_auth_switch_refuses_every_request_of_the_sandbox(
    make_account, sandbox_url, sandbox_config
):
    from telephony.vendors.cpaas.sandbox import demo_account

    sandbox_config("cpaas", account_faults=["auth"])
    account = make_account(**demo_account(sandbox_url))
    error = raised(lambda: account.client().get_campaign_details())
    assert error.message == "Invalid account or auth" and error.fault == Fault.ACCOUNT
    assert error.hint == cpaas_errors.ERRORS[0].hint
