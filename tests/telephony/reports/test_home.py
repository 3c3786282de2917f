"""Home by role: today's figures from the rollups (the viewer's day), running campaigns
with progress, and each account's data freshness, red with the vendor's words when its
last sync failed."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from telephony.models.cdr import SyncRun
from telephony.sync.ingest import ingest
from telephony.vendors.base import CallStatus, NormalizedCDR
from tests.factories import CampaignFactory, ProviderAccountFactory

pytestmark = pytest.mark.django_db


@time_machine.travel("2026-12-04 10:00:00+00:00", tick=False)
def test_home_shows_todays_figures_from_the_rollups(viewer_client):
    account = ProviderAccountFactory(kind="cpaas")
    now = timezone.now()
    ingest(
        account,
        [
            NormalizedCDR(
                vendor_call_id="a",
                status=CallStatus.ANSWERED,
                started_at=now,
                billable_seconds=30,
            ),
            NormalizedCDR(vendor_call_id="b", status=CallStatus.BUSY, started_at=now),
            NormalizedCDR(
                vendor_call_id="c", status=CallStatus.BUSY, started_at=now - timedelta(days=2)
            ),
        ],
    )
    response = viewer_client.get("/")
    figures = {f.key: f.value for f in response.context["today_figures"]}
    assert figures["calls"] == 2 and figures["asr"] == 0.5 and figures["acd"] == 30
    assert 'data-figure="calls"' in response.content.decode()


def test_freshness_is_red_with_the_vendors_words_when_the_last_sync_failed(viewer_client):
    good = ProviderAccountFactory(kind="myoperator", name="MyOperator sandbox")
    bad = ProviderAccountFactory(kind="cpaas", name="CPaaS sandbox")
    SyncRun.objects.create(account=good, kind="logs").finish(ok=True)
    SyncRun.objects.create(account=bad, kind="cdr").finish(ok=True)
    failed = SyncRun.objects.create(account=bad, kind="cdr")
    failed.finish(ok=False, errors="Invalid account or auth")
    body = viewer_client.get("/").content.decode()
    assert "synced" in body[body.index(f'data-account="{good.pk}"') :][:300]
    failing = body[body.index(f'data-account="{bad.pk}"') - 80 :]
    assert "freshness-failing" in failing[:200]
    assert "Invalid account or auth" in failing
    assert "never synced" not in body


def test_running_campaigns_show_their_progress(viewer_client):
    campaign = CampaignFactory(name="Reminders", state="running")
    response = viewer_client.get("/")
    assert [c.pk for c in response.context["campaigns"]] == [campaign.pk]
    assert "Reminders" in response.content.decode()


def test_an_admin_still_sees_the_users_and_jobs_figures(admin_client, viewer_client):
    assert admin_client.get("/").context["figures"]
    assert not viewer_client.get("/").context["figures"]


def test_a_viewer_finds_caller_id_health_from_the_reports_page(viewer_client):
    html = viewer_client.get(reverse("reports:overview")).content.decode()
    assert f'href="{reverse("numbers:health")}"' in html
    assert viewer_client.get(reverse("numbers:health")).status_code == 200
