"""The filter builder's "run live at the vendor": one bounded page of MyOperator's
`/search` over real HTTP against the sandbox, with the chosen filters as its expression;
a refusal shows the vendor's own words."""

import pytest

from telephony.models import LogFilter
from tests.telephony.calls_support import LIVE, make_account

pytestmark = [LIVE]


@pytest.fixture
def account(live_server):
    account = make_account(f"{live_server.url}/sandbox", "myoperator")
    category = LogFilter.objects.create(account=account, vendor_id="4", name="Event of logs")
    LogFilter.objects.create(account=account, vendor_id="6", name="Outgoing", parent=category)
    return account


def test_a_live_search_lists_the_vendors_logs_for_the_same_range_and_filters(
    account, viewer_client
):
    query = {"account": account.pk, "range": "30d", "lf": "6", "live": "1"}
    response = viewer_client.get("/reports/calls/", query)
    live = response.context["live"]
    assert "error" not in live, live
    assert live["rows"] and len(live["rows"]) <= 50
    assert 'id="live-results"' in response.content.decode()


def test_a_refused_live_search_shows_the_vendors_words(account, viewer_client):
    account.set_secrets({**account.secrets, "rest_token": "wrong-token"})
    account.save()
    query = {"account": account.pk, "range": "today", "live": "1"}
    live = viewer_client.get("/reports/calls/", query).context["live"]
    assert live["error"].startswith("MyOperator answered:")
    assert "wrong-token" not in live["error"]
