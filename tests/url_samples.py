"""Sample arguments for every URL pattern that takes any, used by the access test.

A new pattern with arguments must get an entry here (name -> function returning the
kwargs, creating whatever rows it needs), or the access test fails and says so.
"""

from telephony.vendors.omilia.urls import URL_SAMPLE_KWARGS as OMILIA_URL_SAMPLE_KWARGS
from tests.factories import ProviderAccountFactory, UserFactory


def sample_schedule():
    from django_q.models import Schedule

    return Schedule.objects.create(
        name="Sample heartbeat", func="telephony.tasks.heartbeat", schedule_type=Schedule.HOURLY
    )


URL_SAMPLES = {
    "telephony:user_edit": lambda: {"pk": UserFactory(role="Viewer").pk},
    "telephony:user_password": lambda: {"pk": UserFactory(role="Viewer").pk},
    "telephony:account_detail": lambda: {"pk": ProviderAccountFactory().pk},
    "telephony:account_edit": lambda: {"pk": ProviderAccountFactory().pk},
    "telephony:account_test": lambda: {"pk": ProviderAccountFactory().pk},
    "telephony:account_sync_status": lambda: {"pk": ProviderAccountFactory().pk},
    "telephony:account_sync_now": lambda: {"pk": ProviderAccountFactory().pk},
    "telephony:account_toggle": lambda: {"pk": ProviderAccountFactory().pk},
    "telephony:account_delete": lambda: {"pk": ProviderAccountFactory().pk},
    "telephony:sandbox_update": lambda: {"vendor": "oca"},
    "telephony:schedule_run": lambda: {"pk": sample_schedule().pk},
    "oca-delete-audio": lambda: {"audio_id": "5f1c03d61fae4001267a0001"},
    "oca-call-status": lambda: {"call_id": "5f1c03d61fae4001267a0002"},
    "myoperator-unknown-method": lambda: {"rest": "search/user"},
}

# The Omilia simulator: every pattern takes the region prefix (and some an id).
URL_SAMPLES.update(
    {name: (lambda kwargs=kwargs: kwargs) for name, kwargs in OMILIA_URL_SAMPLE_KWARGS.items()}
)

# --- lists and DND pages ---


def sample_contact_list():
    from campaigns.models import ContactList

    return ContactList.objects.create(name=f"Sample list {ContactList.objects.count() + 1}")


def sample_contact():
    from campaigns.models import Contact

    return Contact.objects.create(contact_list=sample_contact_list(), number="+919876543210")


def sample_dnd_list():
    from campaigns.models import DndList

    return DndList.objects.create(name=f"Sample DND {DndList.objects.count() + 1}")


def sample_dnd_entry():
    from campaigns.models import DndEntry

    return DndEntry.objects.create(dnd_list=sample_dnd_list(), number="+919876543210")


URL_SAMPLES.update(
    {
        "campaigns:list_detail": lambda: {"pk": sample_contact().contact_list_id},
        "campaigns:list_edit": lambda: {"pk": sample_contact_list().pk},
        "campaigns:list_delete": lambda: {"pk": sample_contact_list().pk},
        "campaigns:list_export": lambda: {"pk": sample_contact().contact_list_id},
        "campaigns:contact_bulk": lambda: {"pk": sample_contact_list().pk},
        "campaigns:contact_edit": lambda: {"pk": sample_contact().pk},
        "campaigns:dnd_detail": lambda: {"pk": sample_dnd_entry().dnd_list_id},
        "campaigns:dnd_edit": lambda: {"pk": sample_dnd_list().pk},
        "campaigns:dnd_delete": lambda: {"pk": sample_dnd_list().pk},
        "campaigns:dnd_export": lambda: {"pk": sample_dnd_entry().dnd_list_id},
        "campaigns:dnd_add": lambda: {"pk": sample_dnd_list().pk},
        "campaigns:dnd_remove": lambda: {"pk": sample_dnd_entry().pk},
    }
)

# POST bodies for views that only accept POST, where an empty body is not enough to
# reach the permission check's success path. Keyed like URL_SAMPLES.
POST_SAMPLES = {
    "telephony:sandbox_update": {
        "oca-latency_ms": "0",
        "oca-error_rate": "0",
        "oca-timeout_rate": "0",
        "oca-malformed_rate": "0",
        "oca-rate_limit_per_minute": "0",
        "oca-timeout_seconds": "30",
        "oca-seed": "0",
        "oca-time_scale": "1",
    },
}


# --- push (campaigns/views/push.py) ---
def sample_push():
    from campaigns.models import ContactList, VendorPush

    account = ProviderAccountFactory(kind="cpaas", config={"account": "account_1"})
    contact_list = ContactList.objects.create(name=f"Push sample {account.pk}")
    return VendorPush.objects.create(account=account, contact_list=contact_list)


def sample_contact_list_pk():
    from campaigns.models import ContactList

    return ContactList.objects.create(name=f"Push page sample {ContactList.objects.count()}").pk


def sample_dnd_list_pk():
    from campaigns.models import DndList

    return DndList.objects.create(name=f"Push page DND sample {DndList.objects.count()}").pk


URL_SAMPLES.update(
    {
        "campaigns:list_push": lambda: {"pk": sample_contact_list_pk()},
        "campaigns:dnd_push": lambda: {"pk": sample_dnd_list_pk()},
        "campaigns:push_status": lambda: {"pk": sample_push().pk},
    }
)


# --- imports (campaigns/views/imports.py) ---
def sample_import_job():
    """An unstarted contact import whose upload is gone: every import page still answers."""
    from campaigns.models import ImportJob

    return ImportJob.objects.create(
        kind=ImportJob.Kind.CONTACTS,
        contact_list=sample_contact_list(),
        original_name="sample.csv",
        columns=["number", "name"],
        mapping={"0": "number", "1": "name"},
    )


URL_SAMPLES.update(
    {
        "campaigns:contact_import": lambda: {"pk": sample_contact_list().pk},
        "campaigns:dnd_import": lambda: {"pk": sample_dnd_list().pk},
        "campaigns:import_mapping": lambda: {"pk": sample_import_job().pk},
        "campaigns:import_detail": lambda: {"pk": sample_import_job().pk},
        "campaigns:import_errors": lambda: {"pk": sample_import_job().pk},
    }
)


# --- campaigns (campaigns/views/campaigns.py, campaign_page.py) ---
def sample_campaign_pk():
    from tests.factories import CampaignFactory

    return CampaignFactory().pk


URL_SAMPLES.update(
    {
        f"campaigns:{name}": lambda: {"pk": sample_campaign_pk()}
        for name in (
            "campaign_edit",
            "campaign_clone",
            "campaign_delete",
            "campaign_detail",
            "campaign_attempts",
            "campaign_start",
            "campaign_pause",
            "campaign_resume",
            "campaign_stop",
        )
    }
)


# --- callbacks, live calls, audio and IVRs (issue 13, "live" helper) ---
def sample_callback_pk():
    from datetime import timedelta

    from django.utils import timezone

    from telephony.models import Callback

    account = ProviderAccountFactory(kind="cpaas", config={"account": "account_1"})
    return Callback.objects.create(
        account=account,
        request_id=f"cb{Callback.objects.count():08d}",
        agent_number="+919876543210",
        destination_number="+919876543211",
        caller_id="15168148111",
        time_zone="Asia/Kolkata",
        scheduled_at=timezone.now() + timedelta(days=1),
    ).pk


URL_SAMPLES.update(
    {
        "telephony:callback_reschedule": lambda: {"pk": sample_callback_pk()},
        "telephony:callback_cancel": lambda: {"pk": sample_callback_pk()},
    }
)


# --- Omilia operations (phone_numbers/views/omilia_*.py, issue 12) ---
# An Omilia account on a closed local port: every page must still answer (the vendor's
# failure shown on it), and nothing reaches a real vendor.
def sample_omilia_account_pk():
    return ProviderAccountFactory(
        kind="omilia",
        base_url="http://127.0.0.1:9/integrations",
        config={"region": "EU1", "token_url": "http://127.0.0.1:9/token", "username": "u"},
    ).pk


def sample_omilia_purchase():
    from phone_numbers.models import OmiliaPurchase, PurchaseState

    return OmiliaPurchase.objects.create(
        account_id=sample_omilia_account_pk(),
        provider="twilio",
        group="dialdesk",
        numbers=["+12025550123"],
        state=PurchaseState.DONE,
    )


def omilia_purchase_kwargs():
    purchase = sample_omilia_purchase()
    return {"account_pk": purchase.account_id, "token": purchase.token}


URL_SAMPLES.update(
    {
        f"numbers:{name}": lambda: {"account_pk": sample_omilia_account_pk()}
        for name in (
            "omilia_numbers",
            "omilia_number_add",
            "omilia_numbers_bulk",
            "omilia_available",
            "omilia_buy",
            "omilia_csv_export",
            "omilia_csv_apply",
            "omilia_sets",
        )
    }
)
URL_SAMPLES.update(
    {
        f"numbers:{name}": lambda: {
            "account_pk": sample_omilia_account_pk(),
            "number": "+12025550123",
        }
        for name in ("omilia_number_edit", "omilia_number_delete")
    }
)
URL_SAMPLES.update(
    {
        f"numbers:{name}": lambda: {"account_pk": sample_omilia_account_pk(), "set_id": "s-1"}
        for name in (
            "omilia_set",
            "omilia_set_edit",
            "omilia_set_delete",
            "omilia_set_members",
            "omilia_set_attach",
            "omilia_set_detach",
            "omilia_set_delete_purchased",
        )
    }
)
URL_SAMPLES.update(
    {
        "numbers:omilia_purchase": omilia_purchase_kwargs,
        "numbers:omilia_purchase_check": omilia_purchase_kwargs,
    }
)

# --- reports (issue 11): a stored call, and an export of the persona who asks ---


def sample_call_record():
    from telephony.models import CallRecord

    account = ProviderAccountFactory()
    return CallRecord.objects.create(
        account=account,
        vendor_call_id="sample-1",
        status="answered",
        customer_number="+919876543210",
    )


def sample_own_export(done=False):
    """An export owned by the persona under test: exports are private to their owner, and
    the persona is the user who logged in last (force_login stamps last_login)."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile

    from telephony.reports.models import ReportExport

    users = get_user_model().objects.exclude(last_login=None)
    owner = users.order_by("-last_login").first() or UserFactory(role="Viewer")
    export = ReportExport.objects.create(user=owner, query="range=today")
    if done:
        export.status = ReportExport.Status.DONE
        export.file.save(export.filename, ContentFile(b"Started\n"))
    return export


URL_SAMPLES.update(
    {
        "reports:call_detail": lambda: {"pk": sample_call_record().pk},
        "reports:call_recording": lambda: {"pk": sample_call_record().pk},
        "reports:call_dnd": lambda: {"pk": sample_call_record().pk},
        "reports:export_detail": lambda: {"pk": sample_own_export().pk},
        "reports:export_download": lambda: {"pk": sample_own_export(done=True).pk},
    }
)


def sample_cpaas_account_pk():
    return ProviderAccountFactory(kind="cpaas", config={"account": "account_1"}).pk


URL_SAMPLES["telephony:live_action"] = lambda: {"pk": sample_cpaas_account_pk()}


# --- numbers inventory (issue 12) ---


def sample_phone_number():
    from phone_numbers.models import PhoneNumber

    account = ProviderAccountFactory(kind="myoperator")
    return PhoneNumber.objects.create(account=account, number="+919876543210", source="manual")


URL_SAMPLES.update(
    {
        "numbers:number_detail": lambda: {"pk": sample_phone_number().pk},
        "numbers:number_edit": lambda: {"pk": sample_phone_number().pk},
        "numbers:number_status": lambda: {"pk": sample_phone_number().pk},
        "numbers:number_delete": lambda: {"pk": sample_phone_number().pk},
        "numbers:account_sync": lambda: {"account_pk": ProviderAccountFactory(kind="oca").pk},
    }
)


# --- one-off calls and MyOperator panel users (issue 13) ---


def sample_call():
    from telephony.models import Call

    account = ProviderAccountFactory()
    return Call.objects.create(
        account=account,
        kind="oca_ivr",
        to_number="+6281211122333",
        reference_id=f"dd-sample-{account.pk}",
        status="answered",
        is_final=True,
    )


def sample_myoperator_account_pk():
    return ProviderAccountFactory(kind="myoperator", config={"company_id": "sample"}, secrets={}).pk


def sample_vendor_user():
    from telephony.models import VendorUser

    account_pk = sample_myoperator_account_pk()
    return VendorUser.objects.create(
        account_id=account_pk, vendor_id=f"v{account_pk}", name="Sample agent"
    )


URL_SAMPLES.update(
    {
        "telephony:call_detail": lambda: {"pk": sample_call().pk},
        "telephony:call_check": lambda: {"pk": sample_call().pk},
        "telephony:vendor_user_index": lambda: {"pk": sample_myoperator_account_pk()},
        "telephony:vendor_user_create": lambda: {"pk": sample_myoperator_account_pk()},
        "telephony:vendor_user_sync": lambda: {"pk": sample_myoperator_account_pk()},
        "telephony:vendor_user_edit": lambda: {
            "pk": (user := sample_vendor_user()).account_id,
            "user_pk": user.pk,
        },
    }
)


def sample_oca_account_pk():
    return ProviderAccountFactory(kind="oca").pk


URL_SAMPLES.update(
    {
        "telephony:audio_index": lambda: {"pk": sample_oca_account_pk()},
        "telephony:audio_upload": lambda: {"pk": sample_oca_account_pk()},
        "telephony:audio_delete": lambda: {
            "pk": sample_oca_account_pk(),
            "audio_id": "5f1c03d61fae4001267a0001",
        },
        "telephony:ivr_index": lambda: {"pk": sample_oca_account_pk()},
    }
)
