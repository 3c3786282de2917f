"""CPaaS statistics beside Dialdesk's own counts, against the CPaaS sandbox over real
HTTP: the account's CDR statistics on its page, a native campaign's on the campaign page,
differences shown signed, and the vendor's refusals in its words."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from telephony.models import CallRollup, ProviderAccount
from telephony.vendors.cpaas.sandbox import SANDBOX_CREDENTIALS
from telephony.vendors.cpaas.simulation import seed_history
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

STATS = reverse("telephony:cpaas_statistics")


@pytest.fixture
def account(live_server):
    account = ProviderAccount(
        kind="cpaas",
        name="CPaaS sandbox",
        base_url=f"{live_server.url}/sandbox/cpaas/",
        config={"account": "account_1"},
    )
    account.set_secrets({"auth": SANDBOX_CREDENTIALS["account_1"]})
    account.save()
    return account


def stored(account, status, calls, campaign=None):
    CallRollup.objects.create(
        bucket=timezone.now().replace(minute=0, second=0, microsecond=0),
        account=account,
        campaign=campaign,
        status=status,
        calls=calls,
        answered=calls if status == "answered" else 0,
    )


def row(html: str, status: str) -> str:
    start = html.index(f'data-status="{status}"')
    return html[start : html.index("</tr>", start)]


def test_the_account_page_sets_the_vendors_cdr_statistics_beside_dialdesks_counts(
    account, admin_client
):
    history = seed_history("account_1", timezone.now())  # 12 finished calls at the vendor
    client = account.client()
    vendor = client.get_cdr_statistics()
    client.http.session.close()
    stored(account, "answered", vendor.counts["answered"])
    stored(account, "busy", vendor.counts.get("busy", 0) + 2)  # two more than the vendor

    page = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))
    html = admin_client.get(STATS, {"account": account.pk}, HTTP_HX_REQUEST="true")
    html = html.content.decode()

    assert f"?account={account.pk}" in page.content.decode()
    answered = row(html, "answered")
    assert answered.count(f">{vendor.counts['answered']}<") == 2 and "badge" not in answered
    assert "\u22122</span>" in row(html, "busy")
    assert f">{history}<" in row(html, "total")


def test_a_native_campaigns_statistics_come_from_the_vendors_campaign_counters(
    account, supervisor_client
):
    client = account.client()
    list_id = client.create_list(list_name="stats list")
    client.add_contacts(list_id=list_id, contacts=[{"number": "919800000101"}])
    vendor_id = client.create_campaign(
        list_id=list_id,
        campaign_name="stats campaign",
        caller_id="15168148111",
        start=timezone.now() + timedelta(hours=1),
        end=timezone.now() + timedelta(hours=3),
        announcement_text="Hello",
    )
    client.http.session.close()
    campaign = CampaignFactory(account=account, kind="tts", vendor_campaign_id=vendor_id)
    stored(account, "answered", 2, campaign=campaign)

    html = supervisor_client.get(STATS, {"campaign": campaign.pk}, HTTP_HX_REQUEST="true")
    html = html.content.decode()

    assert "Dnd blocked" in html  # the campaign counters have DND
    assert "\u22122" in row(html, "answered")  # the vendor has dialed none yet
    page = supervisor_client.get(reverse("campaigns:campaign_detail", args=[campaign.pk]))
    assert f"?campaign={campaign.pk}" in page.content.decode()


def test_an_unknown_campaign_id_shows_the_vendors_words(account, viewer_client):
    campaign = CampaignFactory(account=account, kind="tts", vendor_campaign_id="CM0000000000")

    html = viewer_client.get(STATS, {"campaign": campaign.pk}).content.decode()

    assert "The vendor's statistics: campaign_id not found" in html


def test_other_vendors_have_no_cdr_statistics(admin_client):
    oca = ProviderAccount.objects.create(kind="oca", name="OCA", config={"username": "x"})
    html = admin_client.get(STATS, {"account": oca.pk}).content.decode()
    assert "Only CPaaS accounts give CDR statistics." in html
