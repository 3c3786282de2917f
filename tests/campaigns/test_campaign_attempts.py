"""The attempts page: every dial of a campaign, newest first, filtered by status and
number, paged by id (the filters and pages are URLs, and htmx gets the table only)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from campaigns.models import PAGE_SIZE, CampaignAttempt, CampaignTarget
from tests.factories import CampaignFactory

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def campaign(db):
    return CampaignFactory(state="running")


def add_attempts(campaign, count, status="answered", start=0, **extra):
    rows = []
    for index in range(start, start + count):
        target = CampaignTarget.objects.create(
            campaign=campaign, number=f"+62812{index:07d}", status="answered"
        )
        rows.append(
            CampaignAttempt.objects.create(
                campaign=campaign,
                target=target,
                number=target.number,
                attempt=1,
                reference_id=f"dd-{campaign.pk}-1-{target.pk}-1",
                status=status,
                dialed_at=T0 + timedelta(seconds=index),
                **extra,
            )
        )
    return rows


def attempts_url(campaign, **query):
    url = reverse("campaigns:campaign_attempts", args=[campaign.pk])
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def shown(response) -> list[int]:
    return [attempt.pk for attempt in response.context["page"].rows]


def test_the_attempts_show_newest_first_with_reference_and_vendor_ids(viewer_client, campaign):
    older, newer = add_attempts(campaign, 2, vendor_call_id="vendor-call-1")
    response = viewer_client.get(attempts_url(campaign))
    body = response.content.decode()
    assert response.status_code == 200
    assert shown(response) == [newer.pk, older.pk]
    assert newer.reference_id in body and "vendor-call-1" in body
    assert "+628120000001" in body


def test_the_vendors_error_words_are_shown(viewer_client, campaign):
    add_attempts(campaign, 1, status="failed", error="Destination number barred by operator")
    body = viewer_client.get(attempts_url(campaign)).content.decode()
    assert "Destination number barred by operator" in body
    assert "Failed" in body


def test_filtering_by_status_keeps_only_that_status(viewer_client, campaign):
    add_attempts(campaign, 3, status="answered")
    busy = add_attempts(campaign, 2, status="busy", start=10)
    response = viewer_client.get(attempts_url(campaign, status="busy"))
    assert sorted(shown(response)) == sorted(attempt.pk for attempt in busy)


def test_the_open_filter_shows_calls_still_waiting_for_an_outcome(viewer_client, campaign):
    add_attempts(campaign, 2, status="answered")
    placed = add_attempts(campaign, 1, status="placed", start=10)
    queued = add_attempts(campaign, 1, status="queued", start=20)
    response = viewer_client.get(attempts_url(campaign, status="open"))
    assert sorted(shown(response)) == sorted([placed[0].pk, queued[0].pk])


def test_filtering_by_number_matches_its_digits(viewer_client, campaign):
    rows = add_attempts(campaign, 5)
    response = viewer_client.get(attempts_url(campaign, number="628120000003"))
    assert shown(response) == [rows[3].pk]


def test_an_unknown_status_is_ignored(viewer_client, campaign):
    add_attempts(campaign, 2)
    response = viewer_client.get(attempts_url(campaign, status="exploded"))
    assert len(shown(response)) == 2
    assert response.context["status"] == ""


def test_a_filter_that_matches_nothing_says_so(viewer_client, campaign):
    add_attempts(campaign, 2)
    body = viewer_client.get(attempts_url(campaign, status="busy")).content.decode()
    assert "No attempt matches" in body


def test_attempts_of_other_campaigns_are_not_shown(viewer_client, campaign):
    add_attempts(CampaignFactory(), 3)
    body = viewer_client.get(attempts_url(campaign)).content.decode()
    assert "No call placed yet" in body


def test_pages_go_older_and_back_newer_without_gaps_or_repeats(viewer_client, campaign):
    rows = add_attempts(campaign, PAGE_SIZE * 2 + 5)
    newest_first = [attempt.pk for attempt in reversed(rows)]

    first = viewer_client.get(attempts_url(campaign))
    assert shown(first) == newest_first[:PAGE_SIZE]
    page = first.context["page"]
    assert not page.has_previous and page.has_next

    second = viewer_client.get(attempts_url(campaign, older=page.last_id))
    assert shown(second) == newest_first[PAGE_SIZE : PAGE_SIZE * 2]
    assert second.context["page"].has_previous and second.context["page"].has_next

    third = viewer_client.get(attempts_url(campaign, older=second.context["page"].last_id))
    assert shown(third) == newest_first[PAGE_SIZE * 2 :]
    assert not third.context["page"].has_next

    back = viewer_client.get(attempts_url(campaign, newer=third.context["page"].first_id))
    assert shown(back) == newest_first[PAGE_SIZE : PAGE_SIZE * 2]

    back_to_first = viewer_client.get(attempts_url(campaign, newer=shown(back)[0]))
    assert shown(back_to_first) == newest_first[:PAGE_SIZE]
    assert not back_to_first.context["page"].has_previous


def test_paging_keeps_the_filter_in_the_links(viewer_client, campaign):
    add_attempts(campaign, PAGE_SIZE + 1, status="busy")
    response = viewer_client.get(attempts_url(campaign, status="busy"))
    last_id = response.context["page"].last_id
    assert f"?status=busy&amp;older={last_id}" in response.content.decode()


def test_htmx_gets_the_table_only_and_the_filters_push_the_url(viewer_client, campaign):
    add_attempts(campaign, 2)
    full = viewer_client.get(attempts_url(campaign)).content.decode()
    assert 'hx-push-url="true"' in full
    response = viewer_client.get(
        attempts_url(campaign, status="answered"), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="attempt-table"')
    assert "<html" not in body and "<form" not in body
