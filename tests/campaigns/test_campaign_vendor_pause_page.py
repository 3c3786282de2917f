"""A campaign paused by the vendor, as people see it: its page says so in the vendor's
own words with what to do, the index marks it apart from a person's pause, and Resume
works from it."""

from datetime import UTC, datetime, time, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from tests.factories import CampaignFactory

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WORDS = "Provide valid public_ivr_id in string format"
HINT = "Choose an IVR this MyOperator account has in the campaign, then resume."


@pytest.fixture
def vendor_paused(db):
    campaign = CampaignFactory(
        state=Campaign.State.RUNNING,
        started_at=NOW - timedelta(hours=1),
        targets_built_at=NOW - timedelta(hours=1),
        window_start=time(0),
        window_end=time(23, 59),
        time_zone="Asia/Kolkata",
    )
    assert campaign.pause_for_vendor(WORDS, HINT)
    Campaign.objects.filter(pk=campaign.pk).update(paused_at=NOW - timedelta(minutes=10))
    campaign.refresh_from_db()
    return campaign


def page(client, campaign) -> str:
    return client.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).content.decode()


def test_the_page_says_paused_by_the_vendor_with_its_words_and_what_to_do(
    viewer_client, vendor_paused
):
    body = page(viewer_client, vendor_paused)
    assert 'id="campaign-state">Paused by the vendor</span>' in body
    assert f"“{WORDS}”" in body
    assert f'<span class="fw-semibold">What to do:</span> {HINT}' in body
    assert "No contact was used up" in body


def test_the_idle_words_say_when_the_vendor_refused_in_the_viewers_zone(vendor_paused):
    with timezone.override(ZoneInfo("Asia/Kolkata")):  # the viewer's zone
        words = vendor_paused.why_idle(NOW)
    assert words == (
        f"The vendor refused the campaign at 2026-11-24 15:20 Asia/Kolkata: “{WORDS}” No "
        "contact was used up: the refused call is sent again, once, when someone resumes "
        "the campaign."
    )


def test_a_person_pause_still_reads_as_a_plain_pause(supervisor_client, vendor_paused):
    with mock.patch("campaigns.engine.runner_enqueue"):
        vendor_paused.resume()
    vendor_paused.pause(user="asha")
    assert vendor_paused.state_label == "Paused" and not vendor_paused.paused_by_vendor
    assert vendor_paused.vendor_error == ""


def test_the_index_marks_a_vendor_pause_apart_with_the_vendors_words(viewer_client, vendor_paused):
    body = viewer_client.get(reverse("campaigns:campaign_index")).content.decode()
    assert "Paused by the vendor</span>" in body
    assert WORDS in body


def test_a_supervisor_resumes_a_campaign_the_vendor_paused(supervisor_client, vendor_paused):
    assert reverse("campaigns:campaign_resume", args=[vendor_paused.pk]) in page(
        supervisor_client, vendor_paused
    )
    with mock.patch("campaigns.engine.runner_enqueue") as enqueue:
        response = supervisor_client.post(
            reverse("campaigns:campaign_resume", args=[vendor_paused.pk]), follow=True
        )
    assert response.status_code == 200 and enqueue.called
    vendor_paused.refresh_from_db()
    assert vendor_paused.state == Campaign.State.RUNNING
    assert (vendor_paused.paused_by, vendor_paused.vendor_error, vendor_paused.state_reason) == (
        "",
        "",
        "",
    )


def test_a_clone_of_a_vendor_paused_campaign_starts_clean(vendor_paused):
    copy = vendor_paused.clone()
    assert (copy.paused_by, copy.vendor_error, copy.vendor_hint) == ("", "", "")


def test_the_index_filters_the_campaigns_the_vendor_paused(viewer_client, vendor_paused):
    person = CampaignFactory(state=Campaign.State.PAUSED, name="Paused by a person")
    url = reverse("campaigns:campaign_index")
    body = viewer_client.get(url, {"state": "vendor_paused"}).content.decode()
    assert vendor_paused.name in body and person.name not in body
    assert '<option value="vendor_paused" selected>Paused by the vendor</option>' in body
    both = viewer_client.get(url, {"state": "paused"}).content.decode()
    assert vendor_paused.name in both and person.name in both
