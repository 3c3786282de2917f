# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""MyOperator REST: the token goes in the query string of every request, as seed 001
says, never in a body; and the seam keeps it out of audit rows, log records and error
messages. Observed on the wire (requests' response hook) against the sandbox."""

import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from telephony.models import ProviderRequest
from telephony.vendors.base import Rejected
from tests.telephony.vendors.myoperator_fixtures import (  # noqa: F401 (fixtures)
    AGENT,
    mo,
    mo_account,
)


@pytest.fixture
def wire(mo):
    """Every request the client puts on the wire: (method, query dict, body text)."""
    sent = []

    def capture(response, *args, **kwargs):
        request = response.request
        body = request.body or b""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        sent.append((request.method, parse_qs(urlsplit(request.url).query), body))

    mo.http.session.hooks["response"].append(capture)
    return sent


def every_rest_request(mo):
    """One request of each REST method Dialdesk uses: GET, POST (JSON and form), PUT."""
    mo.list_filters()
    mo.search_logs(page_size=5)
    mo.list_users(page_size=2)
    added = mo.add_user(name="Token Probe", contact_number="9000000777", country_code="91")
    mo.update_user(uuid=added.uuid, name="Token Probe Renamed")
    mo.click_to_call(customer_number="9212992129", customer_cc="91", support_user_id=AGENT)
    with pytest.raises(Rejected):
        mo.recording_link("no-such-file-v2.mp3")


def test_every_rest_request_carries_the_token_in_the_query_string_and_no_body(mo, mo_account, wire):
    token = mo_account.secrets["rest_token"]
    every_rest_request(mo)
    methods = {method for method, _query, _body in wire}
    assert methods == {"GET", "POST", "PUT"} and len(wire) == 7
    for method, query, body in wire:
        assert query.get("token") == [token], method
        assert token not in body and "token" not in body, (method, body)


def test_the_token_never_reaches_an_audit_row(mo, mo_account):
    token = mo_account.secrets["rest_token"]
    every_rest_request(mo)
    rows = list(ProviderRequest.objects.filter(account=mo_account))
    assert len(rows) == 7
    for row in rows:
        for text in (row.url, row.endpoint, row.request_excerpt, row.response_excerpt, row.error):
            assert token not in text, (row.endpoint, text)
        assert "token=[redacted]" in row.url


def test_the_token_never_reaches_a_log_record(mo, mo_account, caplog):
    token = mo_account.secrets["rest_token"]
    with caplog.at_level(logging.DEBUG):
        every_rest_request(mo)
    assert caplog.records, "the seam logs each request"
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in repr(record.args) and token not in repr(record.__dict__)


def test_a_refused_request_names_no_token_in_its_error(mo, mo_account):
    token = mo_account.secrets["rest_token"]
    with pytest.raises(Rejected) as caught:
        mo.recording_link("no-such-file-v2.mp3")
    assert token not in str(caught.value) and token not in repr(caught.value.payload)
