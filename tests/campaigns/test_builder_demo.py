"""`manage.py load_demo` adds two draft campaigns ready to start: a text-to-speech
announcement on the demo CPaaS account and an IVR on the demo OCA account, with a small
list of Indonesian numbers for OCA."""

from io import StringIO

import pytest
from django.core.management import call_command

from campaigns.demo import CPAAS_DRAFT, JAKARTA_LIST, OCA_DRAFT
from campaigns.models import Campaign, Contact
from telephony.vendors.oca.sandbox_data import SEED_IVRS


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", sandbox_url="http://127.0.0.1:8000/sandbox", stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def sandbox_on(settings):
    settings.SANDBOX_ENABLED = True


def test_the_demo_has_a_cpaas_announcement_draft_and_an_oca_ivr_draft(db):
    output = load_demo()
    assert f"Created draft campaign {CPAAS_DRAFT}" in output
    assert f"Created draft campaign {OCA_DRAFT}" in output
    announcement = Campaign.objects.get(name=CPAAS_DRAFT)
    assert (announcement.account.kind, announcement.kind, announcement.state) == (
        "cpaas",
        "tts",
        "draft",
    )
    assert announcement.problems() == {}
    assert announcement.preview().rendered.startswith("Hello ")

    ivr = Campaign.objects.get(name=OCA_DRAFT)
    assert (ivr.account.kind, ivr.kind, ivr.state) == ("oca", "ivr", "draft")
    resti = next(item for item in SEED_IVRS if item["slug"] == "resti")
    assert ivr.problems(required_variables=resti["required_variable"]) == {}
    numbers = Contact.objects.filter(contact_list__name=JAKARTA_LIST)
    assert numbers.count() == 12
    assert not numbers.exclude(number__startswith="+62").exists()
    preview = ivr.preview()
    assert (preview.eligible, preview.invalid) == (12, 0)


def test_loading_the_demo_twice_keeps_the_drafts(db):
    load_demo()
    first = sorted(Campaign.objects.values_list("pk", "name"))
    output = load_demo()
    assert sorted(Campaign.objects.values_list("pk", "name")) == first
    assert f"Kept draft campaign {OCA_DRAFT}" in output
    assert "Created" not in output
