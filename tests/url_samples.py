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
