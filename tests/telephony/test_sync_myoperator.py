# ruff: noqa: F811 (fixtures are imported by name, then requested as arguments)
"""MyOperator sync over real HTTP against the sandbox: `/search` paged to the end, the
overlap, running twice, a fault on page 3 of 5 (nothing lost, nothing doubled), a
refused token shown on the account page, and `/filters` kept as a category tree."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from telephony.models import CallRecord, CallRollup, LogFilter, SandboxCall, SyncCursor, SyncRun
from telephony.sync import jobs
from telephony.sync.jobs import sync_myoperator_filters, sync_myoperator_logs
from telephony.vendors.myoperator import sandbox
from telephony.vendors.myoperator.client import MyOperatorClient
from telephony.vendors.myoperator.sandbox_logs import DIDS, FILTERS, did_e164
from telephony.vendors.sandbox_kit import outcome_for
from tests.telephony.vendors.conftest import (  # noqa: F401 (fixtures)
    make_account,
    sandbox_config,
    sandbox_url,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PAGE = 2


@pytest.fixture(autouse=True)
def one_slice(settings):
    settings.SYNC_INITIAL_DAYS = 1
    settings.SYNC_SLICE_HOURS = 48
    settings.SYNC_OVERLAP_MINUTES = 15


@pytest.fixture
def account(make_account, sandbox_url):
    return make_account(**sandbox.demo_account(sandbox_url))


def finished_call(index: int, minutes_ago: float, *, reference: str = ""):
    """A simulated OBD call that ended before now (time_scale 1, started long ago)."""
    number = f"+9198{index:08d}"
    outcome = outcome_for(number)
    return SandboxCall.objects.create(
        vendor="myoperator",
        call_id=f"sync-{index}",
        reference_id=reference or f"ref-{index}",
        tenant=sandbox.COMPANY,
        kind="obd",
        from_number=did_e164(DIDS[0][2]),
        to_number=number,
        params={"channel": "obd", "did": DIDS[0][2], "type": "2"},
        outcome=outcome.status,
        ring_seconds=outcome.ring_seconds,
        talk_seconds=outcome.talk_seconds,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def stored_ids(account):
    return sorted(CallRecord.objects.filter(account=account).values_list("reference_id", flat=True))


def test_a_first_sync_pages_to_the_end_and_stores_every_call(account):
    calls = [finished_call(n, 30 + n) for n in range(9)]
    run = sync_myoperator_logs(account, page_size=PAGE)
    assert run.ok, run.errors
    assert run.pages == 5  # 2 + 2 + 2 + 2 + 1
    assert (run.created, run.updated, run.unchanged) == (9, 0, 0)
    assert stored_ids(account) == sorted(call.reference_id for call in calls)
    record = CallRecord.objects.get(account=account, reference_id="ref-0")
    assert record.customer_number == "+919800000000"
    assert record.customer_number_reversed == "000000008919"
    assert record.raw["_cri"] == "ref-0"
    assert SyncCursor.get_time(account, "logs") == run.window_end
    assert CallRollup.objects.filter(account=account).totals()["calls"] == 9


def test_running_the_sync_twice_changes_nothing(account, settings):
    settings.SYNC_OVERLAP_MINUTES = 120  # the second run reads the same calls again
    for n in range(5):
        finished_call(n, 40 + n)
    sync_myoperator_logs(account, page_size=PAGE)
    records = list(CallRecord.objects.order_by("id").values())
    rollups = list(CallRollup.objects.order_by("id").values())
    again = sync_myoperator_logs(account, page_size=PAGE)
    assert again.ok
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert [{**row, "synced_at": None} for row in CallRecord.objects.order_by("id").values()] == [
        {**row, "synced_at": None} for row in records
    ]
    assert list(CallRollup.objects.order_by("id").values()) == rollups


def test_the_next_run_starts_at_the_cursor_less_the_overlap(account):
    finished_call(1, 50)
    first = sync_myoperator_logs(account, page_size=PAGE)
    # A call that started before the first run's end but was logged after it.
    late = finished_call(2, 10)
    SandboxCall.objects.filter(pk=late.pk).update(
        created_at=first.window_end - timedelta(minutes=5)
    )
    second = sync_myoperator_logs(
        account, page_size=PAGE, now=first.window_end + timedelta(minutes=5)
    )
    assert second.window_start == first.window_end - timedelta(minutes=15)
    assert second.created == 1
    assert stored_ids(account) == ["ref-1", "ref-2"]


def test_pages_are_stored_a_batch_at_a_time_and_every_call_arrives(account, settings, monkeypatch):
    settings.SYNC_INGEST_BATCH = 4  # two pages of PAGE calls
    for n in range(10):
        finished_call(n, 30 + n)
    sizes = []
    real_ingest = jobs.ingest

    def counting(account, cdrs, **options):
        sizes.append(len(cdrs))
        return real_ingest(account, cdrs, **options)

    monkeypatch.setattr(jobs, "ingest", counting)
    run = sync_myoperator_logs(account, page_size=PAGE)
    assert run.ok and (run.pages, run.created) == (5, 10)
    assert sizes == [4, 4, 2]
    assert stored_ids(account) == sorted(f"ref-{n}" for n in range(10))


def test_a_fault_on_page_3_of_5_loses_nothing_and_doubles_nothing(
    account, sandbox_config, monkeypatch
):
    for n in range(10):
        finished_call(n, 30 + n)
    search = MyOperatorClient.search_logs
    armed = {"on": True}

    def faulty(self, **kwargs):
        # The sandbox answers 5xx to every try of page 3 (its error_rate fault), once.
        if armed["on"] and kwargs.get("log_from") == 2 * PAGE:
            sandbox_config("myoperator", error_rate=1.0)
            try:
                return search(self, **kwargs)
            finally:
                sandbox_config("myoperator", error_rate=0.0)
                armed["on"] = False
        return search(self, **kwargs)

    monkeypatch.setattr(MyOperatorClient, "search_logs", faulty)
    failed = sync_myoperator_logs(account, page_size=PAGE)
    assert failed.ok is False
    assert "unavailable" in failed.errors
    assert (failed.pages, failed.created) == (2, 4)
    assert SyncCursor.get_time(account, "logs") is None  # not past a page not stored
    rerun = sync_myoperator_logs(account, page_size=PAGE)
    assert rerun.ok
    assert (rerun.pages, rerun.created, rerun.unchanged) == (5, 6, 4)
    assert stored_ids(account) == sorted(f"ref-{n}" for n in range(10))
    assert CallRollup.objects.filter(account=account).totals()["calls"] == 10


def test_a_refused_token_is_a_failed_run_shown_red_on_the_account_page(account, admin_client):
    account.set_secrets({"rest_token": "not-the-token"})
    account.save()
    run = sync_myoperator_logs(account)
    assert run.ok is False
    assert "authentication failed" in run.errors
    assert "not-the-token" not in run.errors
    page = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))
    html = page.content.decode()
    assert "Call logs sync failing" in html
    assert run.errors.split(": ", 1)[1] in html
    assert "alert-danger" in html


def test_filters_are_kept_as_their_category_tree(account):
    run = sync_myoperator_filters(account)
    assert run.ok, run.errors
    assert LogFilter.objects.filter(account=account).count() == len(FILTERS) == 19
    incoming = LogFilter.objects.get(account=account, name="Incoming")
    assert incoming.parent.name == "Event of logs"
    assert incoming.category == "Event of logs"
    assert LogFilter.objects.get(account=account, vendor_id="4").is_category
    again = sync_myoperator_filters(account)
    assert (again.created, again.updated) == (0, 19)
    assert LogFilter.objects.filter(account=account).count() == 19


def test_sync_now_queues_a_sync_and_shows_the_runs(account, admin_client):
    # Tasks run synchronously in tests (Q_CLUSTER["sync"]), so the queued sync has run.
    finished_call(3, 30)
    response = admin_client.post(
        reverse("telephony:account_sync_now", args=[account.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "queued" in html
    assert SyncRun.objects.filter(account=account, kind="logs", ok=True).exists()
    assert SyncRun.objects.filter(account=account, kind="filters", ok=True).exists()
    assert CallRecord.objects.filter(account=account, reference_id="ref-3").exists()


def test_the_sandboxs_logs_agree_with_the_calls_it_simulated(account):
    calls = [finished_call(n, 30 + n) for n in range(12)]
    sync_myoperator_logs(account, page_size=PAGE)
    records = {record.reference_id: record for record in CallRecord.objects.filter(account=account)}
    for call in calls:
        record = records[call.reference_id]
        # The simulator's generic "failed" is the CONGESTION an Asterisk leg reports.
        expected = {"failed": "congestion"}.get(call.outcome, call.outcome)
        assert record.status == expected, call.to_number
        assert record.customer_number == call.to_number
        assert record.caller_id == call.from_number
        answered = call.outcome == "answered"
        assert record.billable_seconds == (call.talk_seconds if answered else 0)
        assert record.started_at is not None and record.ended_at >= record.started_at
