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
