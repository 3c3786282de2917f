"""The demo data `make run` loads: one user per role, one sandbox account per vendor,
demo lists; running it twice creates nothing twice."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from campaigns.models import Contact, ContactList, DndEntry, DndList
from telephony.access import role_of
from telephony.models import ProviderAccount

MODELS = [get_user_model(), ProviderAccount, ContactList, Contact, DndList, DndEntry]


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", sandbox_url="http://127.0.0.1:8000/sandbox", stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_demo_has_a_user_per_role_an_account_per_vendor_and_lists(db):
    output = load_demo()
    users = {user.username: role_of(user) for user in get_user_model().objects.all()}
    assert users == {"admin": "Admin", "supervisor": "Supervisor", "viewer": "Viewer"}
    assert sorted(ProviderAccount.objects.values_list("kind", flat=True)) == [
        "cpaas",
        "myoperator",
        "oca",
        "omilia",
    ]
    assert Contact.objects.filter(contact_list__name="Demo customers").count() == 200
    assert DndList.objects.filter(is_global=True).count() == 1
    assert "Created DND list Marketing opt-outs" in output


def test_loading_the_demo_twice_creates_nothing_twice(db):
    load_demo()
    first = counts()
    output = load_demo()
    assert counts() == first
    assert "Created" not in output
