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


def test_loading_the_demo_again_keeps_what_users_changed(db):
    load_demo()
    User = get_user_model()
    admin = User.objects.get(username="admin")
    admin.set_password("A-new-password-of-mine-42")
    admin.save()
    viewer = User.objects.get(username="viewer")
    viewer.is_active = False
    viewer.save()
    account = ProviderAccount.objects.get(kind="oca")
    account.base_url = "https://oca.example.com/api/v1"
    account.set_secrets({"password": "changed-by-the-admin"})
    account.config = {**account.config, "username": "our-real-login"}
    account.save()

    output = load_demo()

    admin.refresh_from_db()
    viewer.refresh_from_db()
    account.refresh_from_db()
    assert admin.check_password("A-new-password-of-mine-42")
    assert viewer.is_active is False
    assert account.base_url == "https://oca.example.com/api/v1"
    assert account.config["username"] == "our-real-login"
    assert account.secrets["password"] == "changed-by-the-admin"
    assert "Kept admin user admin" in output and "Created" not in output


def test_a_demo_account_follows_the_server_to_another_port_but_other_urls_stay(db):
    load_demo()
    edited = ProviderAccount.objects.get(kind="oca")
    edited.base_url = "https://oca.example.com/api/v1"
    edited.save()

    out = StringIO()
    call_command("load_demo", sandbox_url="http://127.0.0.1:8031/sandbox", stdout=out)

    myoperator = ProviderAccount.objects.get(kind="myoperator")
    assert myoperator.base_url == "http://127.0.0.1:8031/sandbox/myoperator/api"
    assert myoperator.config["obd_url"] == "http://127.0.0.1:8031/sandbox/myoperator/obd-api-v1"
    omilia = ProviderAccount.objects.get(kind="omilia")
    assert omilia.config["token_url"].startswith("http://127.0.0.1:8031/sandbox/omilia/")
    edited.refresh_from_db()
    assert edited.base_url == "https://oca.example.com/api/v1"
