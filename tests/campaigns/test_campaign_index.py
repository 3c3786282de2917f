"""The campaigns index: state badges, filters and search as URLs, paging, and what each
persona may do from it."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, ContactList
from tests.factories import CampaignFactory, ProviderAccountFactory

INDEX = reverse("campaigns:campaign_index")


@pytest.fixture
def account(db):
    return ProviderAccountFactory(kind="oca", name="OCA Jakarta")


def test_every_persona_that_reads_reports_sees_the_campaigns(
    admin_client, supervisor_client, viewer_client, account
):
    contact_list = ContactList.objects.create(name="Jakarta customers")
    campaign = CampaignFactory(account=account, name="Bill reminder", state="running")
    campaign.contact_lists.set([contact_list])
    for client in (admin_client, supervisor_client, viewer_client):
        page = client.get(INDEX).content.decode()
        assert "Bill reminder" in page and "Running" in page
        assert "OCA Jakarta" in page and "Jakarta customers" in page


def test_viewers_see_no_action_buttons(viewer_client, supervisor_client, account):
    CampaignFactory(account=account, name="Draft one")
    viewer_page = viewer_client.get(INDEX).content.decode()
    assert "New campaign" not in viewer_page and "Clone" not in viewer_page
    supervisor_page = supervisor_client.get(INDEX).content.decode()
    assert "New campaign" in supervisor_page and "Clone" in supervisor_page
    assert reverse("campaigns:campaign_edit", args=[Campaign.objects.get().pk]) in supervisor_page


def test_the_empty_index_offers_a_new_campaign_to_supervisors_only(
    supervisor_client, viewer_client
):
    page = supervisor_client.get(INDEX).content.decode()
    assert "No campaigns yet" in page and reverse("campaigns:campaign_create") in page
    page = viewer_client.get(INDEX).content.decode()
    assert "No campaigns yet" in page and reverse("campaigns:campaign_create") not in page


def test_filter_by_state_and_search_by_name_account_or_list(viewer_client, account):
    other = ProviderAccountFactory(kind="cpaas", name="CPaaS Mumbai")
    CampaignFactory(account=account, name="Bill reminder", state="running")
    CampaignFactory(account=account, name="Survey", state="draft")
    listed = CampaignFactory(account=other, name="Festival offer", state="draft")
    listed.contact_lists.set([ContactList.objects.create(name="Diwali leads")])

    def names(query):
        response = viewer_client.get(INDEX, query, HTTP_HX_REQUEST="true")
        return sorted(c.name for c in response.context["page"])

    assert names({"state": "draft"}) == ["Festival offer", "Survey"]
    assert names({"q": "mumbai"}) == ["Festival offer"]
    assert names({"q": "diwali"}) == ["Festival offer"]
    assert names({"q": "bill", "state": "draft"}) == []
    assert names({"state": "nonsense"}) == ["Bill reminder", "Festival offer", "Survey"]


def test_an_htmx_request_gets_the_table_only_and_filters_push_the_url(viewer_client, account):
    CampaignFactory(account=account, name="Bill reminder")
    page = viewer_client.get(INDEX).content.decode()
    assert 'hx-push-url="true"' in page
    partial = viewer_client.get(INDEX, {"q": "bill"}, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="campaign-table"')
    assert "Bill reminder" in partial and "<html" not in partial


def test_the_index_pages_by_25(viewer_client, account):
    for n in range(30):
        CampaignFactory(account=account, name=f"Campaign {n:02d}")
    first = viewer_client.get(INDEX)
    assert len(first.context["page"]) == 25
    assert "1–25 of 30 campaigns" in first.content.decode()
    second = viewer_client.get(INDEX, {"page": 2})
    assert len(second.context["page"]) == 5
