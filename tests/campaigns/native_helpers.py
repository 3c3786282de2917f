"""Shared set-up of the CPaaS native-campaign tests (test_native_*.py): a CPaaS account
on the sandbox over live_server, a campaign with targets built as build_targets leaves
them, and readers of the sandbox's own records."""

from datetime import timedelta

from django.utils import timezone

from campaigns.engine import native
from campaigns.models import CampaignTarget, DndEntry, DndList, VendorPush
from telephony.models import ProviderAccount, SandboxCall, SandboxConfig, SandboxRecord
from tests.factories import CampaignFactory
from tests.telephony.vendors.cpaas_helpers import account_kwargs, wait_until

CALLER_ID = "15168148111"


def quicken(monkeypatch):
    """Small push batches and no pauses between retries."""
    monkeypatch.setattr(VendorPush, "BATCH_SIZE", 5)
    monkeypatch.setattr(VendorPush, "RETRY_DELAYS", ())
    monkeypatch.setattr(native, "CREATE_RETRY_DELAYS", (0,))


def cpaas_account(live_server):
    kwargs = account_kwargs(f"{live_server.url}/sandbox")
    secrets = kwargs.pop("secrets")
    account = ProviderAccount(kind="cpaas", name="CPaaS sandbox", **kwargs)
    account.set_secrets(secrets)
    account.save()
    return account


def sandbox_speed(time_scale: float):
    config = SandboxConfig.for_vendor("cpaas")
    config.time_scale = time_scale
    config.save()


def make_campaign(account, *, targets=4, starts_in=timedelta(hours=1), **fields):
    """A scheduled CPaaS campaign with `targets` pending targets (fields amount and
    "first name"), as the launch task finds it after build_targets."""
    now = timezone.now()
    values = {
        "account": account,
        "kind": "tts",
        "announcement_text": "Hello {first name}, you owe {amount} rupees.",
        "ivr_id": "",
        "caller_id": CALLER_ID,
        "time_zone": "Asia/Kolkata",
        "starts_at": now + starts_in,
        "ends_at": now + starts_in + timedelta(days=1),
        "calls_per_minute": 20,
        "max_retries": 1,
        "retry_interval": 60,
        "retry_statuses": ["busy", "no_answer"],
        "state": "scheduled",
        "started_at": now,
        **fields,
    }
    campaign = CampaignFactory(**values)
    for index in range(targets):
        add_target(campaign, index)
    return campaign


def add_target(campaign, index, status=CampaignTarget.Status.PENDING):
    return CampaignTarget.objects.create(
        campaign=campaign,
        number=f"+9198002{index:05d}",
        name=f"Customer {index}",
        fields={"first name": f"Name{index}", "amount": str(100 + index)},
        time_zone="Asia/Kolkata",
        status=status,
    )


def digits(number: str) -> str:
    return number.removeprefix("+")


def dnd_list(name, numbers, *, is_global=False):
    dnd = DndList.objects.create(name=name, is_global=is_global)
    for number in numbers:
        DndEntry.objects.create(dnd_list=dnd, number=number, name=f"dnd {number}")
    return dnd


def vendor_campaign(campaign) -> SandboxRecord:
    return SandboxRecord.objects.get(
        vendor="cpaas", kind="campaign", key=campaign.vendor_campaign_id
    )


def vendor_members(list_id, kind="contact") -> dict:
    records = SandboxRecord.objects.filter(vendor="cpaas", kind=kind, parent=list_id)
    return {record.data["number"]: record.data for record in records}


def vendor_calls(campaign):
    return SandboxCall.objects.filter(vendor="cpaas", campaign_id=campaign.vendor_campaign_id)


def start_now(campaign):
    """The campaign's start comes: the sandbox's campaign starts dialing now."""
    record = vendor_campaign(campaign)
    record.data = {**record.data, "dial_start": timezone.now().isoformat()}
    record.save()


def run_to_the_end(campaign, timeout=30.0):
    """Sync as the watchdog would until the vendor has finished the campaign."""

    def finished():
        native.sync(campaign)
        return campaign.state == "completed"

    wait_until(finished, timeout=timeout, interval=0.2)
    return campaign
