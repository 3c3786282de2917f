"""Issue 11's reports journey in a real browser: a viewer opens the reports, changes the
range and a filter and the charts redraw with figures that match; they drill into a call
and play its recording (fetched from the MyOperator sandbox on demand); they export what
they see, and the file has as many rows as the page counts. No console or CSP error."""

import contextlib
import csv
import io
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from telephony.models import CallRecord, SandboxCall, UserProfile
from telephony.sync.ingest import ingest
from telephony.vendors.base import CallStatus, NormalizedCDR
from telephony.vendors.myoperator.sandbox import COMPANY
from telephony.vendors.myoperator.sandbox_logs import recording_name
from tests.e2e.conftest import log_in
from tests.telephony.calls_support import make_account

pytestmark = pytest.mark.e2e

STATUSES = [CallStatus.ANSWERED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.ANSWERED]


def stored_calls(account):
    """40 calls over the last 20 days (one every half day), the newest answered and
    recorded, its recording known to the MyOperator sandbox."""
    now = timezone.now()
    cdrs = []
    for n in range(40):
        status = STATUSES[n % len(STATUSES)]
        started = now - timedelta(hours=12 * n + 1)
        talk = 20 + n if status == CallStatus.ANSWERED else 0
        cdrs.append(
            NormalizedCDR(
                vendor_call_id=f"journey-{n}",
                status=status,
                caller_id="+918069000001",
                customer_number=f"+9198765{43210 + n:05d}",
                started_at=started,
                answered_at=started if talk else None,
                ended_at=started + timedelta(seconds=talk + 5),
                duration_seconds=talk + 5,
                billable_seconds=talk,
                recording_ref=recording_name(f"journey-{n}") if talk else "",
                raw={"event": 2, "status": 1 if talk else 2, "type": 1},
            )
        )
    ingest(account, cdrs)
    SandboxCall.objects.create(
        vendor="myoperator",
        call_id="journey-0",
        tenant=COMPANY,
        kind="obd",
        to_number=cdrs[0].customer_number,
        params={"recording": cdrs[0].recording_ref},
        outcome="answered",
        ring_seconds=5,
        talk_seconds=20,
        created_at=now - timedelta(hours=2),
    )
    return CallRecord.objects.get(account=account, vendor_call_id="journey-0")


def figure(page, key: str) -> str:
    return page.locator(f'[data-figure="{key}"] [data-value]').inner_text()


def charted_calls(page, expected: int) -> int:
    """Calls in the drawn stacked chart (the sum of its datasets), once the chart shows
    `expected` or after five seconds, whichever is first (the charts are redrawn when
    htmx swaps the new figures in, an event later than the figures' text)."""
    script = """() => {
      const chart = window.dialdeskReports.charts()[0];
      if (!chart) { return -1; }
      return chart.data.datasets.reduce((n, d) => n + d.data.reduce((a, b) => a + b, 0), 0);
    }"""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(f"({script})() === {int(expected)}", timeout=5000)
    return page.evaluate(script)


def test_a_viewer_reads_drills_plays_and_exports(page, live_server, make_user, screenshots):
    account = make_account(f"{live_server.url}/sandbox", "myoperator")
    recorded = stored_calls(account)
    viewer = make_user("Viewer")
    profile = UserProfile.for_user(viewer)
    profile.time_zone = "Asia/Kathmandu"
    profile.save()
    zone = zoneinfo.ZoneInfo("Asia/Kathmandu")
    midnight = timezone.localtime(timezone.now(), zone).replace(
        hour=0, minute=0, second=0, microsecond=0
    )

    # 1. The reports open on the last 7 days.
    log_in(page, viewer.username)
    page.goto("/reports/")
    week = CallRecord.objects.filter(started_at__gte=midnight - timedelta(days=6)).count()
    assert figure(page, "calls") == f"{week:,}"
    page.wait_for_function("window.dialdeskReports && window.dialdeskReports.charts().length")
    assert charted_calls(page, week) == week

    # 2. A longer range, then a status: each redraws with figures that match.
    page.select_option("#report-range", "30d")
    expect(page.locator("#report-period")).to_contain_text("Last 30 days")
    assert figure(page, "calls") == "40" and charted_calls(page, 40) == 40
    assert "range=30d" in page.url
    page.select_option("#report-status", "answered")
    answered = CallRecord.objects.filter(status="answered").count()
    expect(page.locator('[data-figure="calls"] [data-value]')).to_have_text(str(answered))
    assert charted_calls(page, answered) == answered and "status=answered" in page.url
    assert figure(page, "asr") == "100.0%"
    page.screenshot(path=screenshots / "reports-overview.png", full_page=True)

    # 3. The same calls in the search; the newest is the recorded one.
    with page.expect_navigation():
        page.click("#search-calls")
    count = page.locator("#call-count")
    assert count.get_attribute("data-count") == str(answered)
    with page.expect_navigation():
        page.locator(f'tr[data-call="{recorded.pk}"] a').click()

    # 4. The recording, fetched from MyOperator when asked, plays and seeks.
    page.click("#fetch-recording")
    audio = page.locator("#recording-audio")
    expect(audio).to_be_visible()
    page.evaluate("() => document.getElementById('recording-audio').play()")
    page.wait_for_function(
        "() => { const a = document.getElementById('recording-audio');"
        " return a.currentTime > 0 || a.ended; }"
    )
    assert page.evaluate(
        "() => { const a = document.getElementById('recording-audio');"
        " a.currentTime = 0.5; return a.seekable.length > 0; }"
    )

    # 5. Back to the list, export it: the file has as many rows as the page counts.
    page.go_back()
    page.select_option("#export-format", "csv")
    with page.expect_navigation():
        page.click("#export-form button[type=submit]")
    expect(page.locator("#export-status")).to_have_attribute("data-status", "done")
    with page.expect_download() as download:
        page.click("#export-download")
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len(rows) == answered

    assert page.console.take() == []
