"""Dashboard users: the Admin-only list, create, edit and set-password pages, the guard
rails that keep an Admin in charge, and every user's own profile and time zone."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from telephony.access import role_of
from telephony.forms import UserEditForm
from telephony.models import UserProfile, user_change_problems
from tests.factories import PASSWORD, UserFactory

User = get_user_model()
STRONG = "Tangerine-Orbit-42"
NOON_UTC = datetime(2024, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_login_counters(db):
    # Some tests here fail a login on purpose; a Redis cache (CI's second run) would keep
    # those counts past the test's transaction and lock later tests out.
    cache.clear()
    yield
    cache.clear()


def index_url(**params):
    from urllib.parse import urlencode

    url = reverse("telephony:user_index")
    return f"{url}?{urlencode(params)}" if params else url


def listed(response) -> list[str]:
    return [person.username for person in response.context["page"]]


def edit_data(user, **changes):
    data = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": role_of(user) or "",
        "time_zone": UserProfile.for_user(user).time_zone,
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


def create_data(**changes):
    data = {
        "username": "nadia",
        "first_name": "Nadia",
        "last_name": "Rahman",
        "email": "nadia@example.com",
        "role": "Supervisor",
        "time_zone": "Asia/Kolkata",
        "password1": STRONG,
        "password2": STRONG,
    }
    data.update(changes)
    return data


def logs_in(username, password) -> bool:
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302 and response["Location"] == reverse("home")


# --- the list ------------------------------------------------------------------------


def test_the_list_shows_each_users_name_email_role_time_zone_and_status(admin_client):
    person = UserFactory(
        username="ravi", first_name="Ravi", last_name="Kumar", email="ravi@example.com"
    )
    UserProfile.objects.filter(user=person).update(time_zone="Asia/Kolkata")
    UserFactory(username="old-hand", role="Viewer", is_active=False)

    html = admin_client.get(index_url()).content.decode()

    assert "Ravi Kumar" in html and "ravi@example.com" in html and "Asia/Kolkata" in html
    assert "No role" in html
    assert "Inactive" in html and "Active" in html
    assert '<span class="badge text-bg-primary">Admin</span>' in html
    assert reverse("telephony:user_edit", args=[person.pk]) in html
    assert reverse("telephony:user_password", args=[person.pk]) in html


def test_last_login_is_shown_in_the_viewers_own_time_zone(admin_user, admin_client):
    UserFactory(username="ravi", role="Viewer", last_login=NOON_UTC)

    assert "2024-01-15 12:00" in admin_client.get(index_url(q="ravi")).content.decode()

    UserProfile.objects.filter(user=admin_user).update(time_zone="America/New_York")
    html = admin_client.get(index_url(q="ravi")).content.decode()
    assert "2024-01-15 07:00" in html and "2024-01-15 12:00" not in html


def test_a_user_who_never_logged_in_says_so(admin_client):
    UserFactory(username="fresh", role="Viewer", last_login=None)
    assert "Never" in admin_client.get(index_url(q="fresh")).content.decode()


@pytest.mark.parametrize("query", ["ravi", "Kumar", "ravi@example", "RAVI KUM"])
def test_search_matches_username_name_or_email(admin_client, query):
    UserFactory(username="ravi", first_name="Ravi", last_name="Kumar", email="ravi@example.com")
    UserFactory(username="meera", first_name="Meera", last_name="Shah", email="m@example.com")

    assert listed(admin_client.get(index_url(q=query))) == ["ravi"]


def test_the_role_filter_lists_only_that_role(admin_user, admin_client):
    UserFactory(username="sup", role="Supervisor")
    UserFactory(username="view", role="Viewer")
    UserFactory(username="root", is_superuser=True)

    assert listed(admin_client.get(index_url(role="Supervisor"))) == ["sup"]
    assert listed(admin_client.get(index_url(role="Viewer"))) == ["view"]
    # A superuser acts as an Admin whatever their groups.
    assert listed(admin_client.get(index_url(role="Admin"))) == ["admin-persona", "root"]


def test_the_status_filter_separates_active_and_inactive_users(admin_client):
    UserFactory(username="gone", role="Viewer", is_active=False)
    UserFactory(username="here", role="Viewer")

    assert listed(admin_client.get(index_url(status="inactive"))) == ["gone"]
    assert "gone" not in listed(admin_client.get(index_url(status="active")))
    assert {"gone", "here"} <= set(listed(admin_client.get(index_url())))


def test_search_and_filters_combine(admin_client):
    UserFactory(username="ravi-a", role="Viewer")
    UserFactory(username="ravi-b", role="Supervisor")
    UserFactory(username="ravi-c", role="Viewer", is_active=False)

    response = admin_client.get(index_url(q="ravi", role="Viewer", status="active"))
    assert listed(response) == ["ravi-a"]


def test_filters_are_htmx_requests_that_push_the_url(admin_client):
    html = admin_client.get(index_url()).content.decode()
    assert 'hx-get="/users/"' in html
    assert 'hx-target="#user-table"' in html
    assert 'hx-push-url="true"' in html


def test_an_htmx_request_gets_only_the_table(admin_client):
    UserFactory(username="ravi", role="Viewer")

    response = admin_client.get(index_url(q="ravi"), headers={"HX-Request": "true"})
    html = response.content.decode()

    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="user-table"')
    assert "<html" not in html and "ravi" in html
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(admin_client):
    response = admin_client.get(
        index_url(q="ravi"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_users_are_paged_25_at_a_time_and_paging_keeps_the_filters(admin_client):
    for number in range(30):
        UserFactory(username=f"agent{number:02d}", role="Viewer")

    first = admin_client.get(index_url(q="agent"))
    second = admin_client.get(index_url(q="agent", page=2))

    assert len(listed(first)) == 25 and listed(first)[0] == "agent00"
    assert listed(second) == [f"agent{number:02d}" for number in range(25, 30)]
    html = first.content.decode()
    assert "1–25 of 30 users" in html
    assert 'href="?q=agent&amp;page=2"' in html
    assert "26–30 of 30 users" in second.content.decode()


def test_a_page_number_past_the_end_shows_the_last_page(admin_client):
    for number in range(26):
        UserFactory(username=f"agent{number:02d}", role="Viewer")
    assert listed(admin_client.get(index_url(q="agent", page=9))) == ["agent25"]


def test_no_match_shows_the_empty_state_with_a_way_to_clear_the_filters(admin_client):
    response = admin_client.get(index_url(q="nobody-like-this"))
    html = response.content.decode()

    assert listed(response) == []
    assert "No users match" in html and "Clear filters" in html
    assert "<table" not in html


# --- creating a user -------------------------------------------------------------------


def test_an_admin_creates_a_user_with_a_role_and_time_zone(admin_client):
    response = admin_client.post(reverse("telephony:user_create"), create_data(), follow=True)

    assert response.redirect_chain[-1][0] == reverse("telephony:user_index")
    assert "Created nadia as Supervisor." in response.content.decode()
    nadia = User.objects.get(username="nadia")
    assert role_of(nadia) == "Supervisor"
    assert nadia.profile.time_zone == "Asia/Kolkata"
    assert (nadia.first_name, nadia.email) == ("Nadia", "nadia@example.com")
    assert logs_in("nadia", STRONG)


def test_the_new_user_form_starts_in_the_admins_time_zone(admin_user, admin_client):
    UserProfile.objects.filter(user=admin_user).update(time_zone="Europe/Berlin")
    form = admin_client.get(reverse("telephony:user_create")).context["form"]
    assert form["time_zone"].value() == "Europe/Berlin"


def test_creating_a_user_needs_one_of_the_three_roles(admin_client):
    for role in ("", "Owner"):
        response = admin_client.post(reverse("telephony:user_create"), create_data(role=role))
        assert response.status_code == 200
        assert response.context["form"].errors["role"]
    assert not User.objects.filter(username="nadia").exists()


def test_a_duplicate_username_is_refused_whatever_its_case(admin_client):
    UserFactory(username="nadia")
    response = admin_client.post(reverse("telephony:user_create"), create_data(username="NADIA"))

    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.filter(username__iexact="nadia").count() == 1


def test_mismatched_passwords_are_refused(admin_client):
    response = admin_client.post(
        reverse("telephony:user_create"), create_data(password2="Something-Else-99")
    )
    assert "The two password fields didn’t match." in response.content.decode()
    assert not User.objects.filter(username="nadia").exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Tq9!x", "This password is too short."),
        ("password123", "This password is too common."),
        ("73019846512", "This password is entirely numeric."),
        ("nadiarahman", "The password is too similar to the"),
    ],
)
def test_a_weak_password_is_refused(admin_client, password, message):
    response = admin_client.post(
        reverse("telephony:user_create"), create_data(password1=password, password2=password)
    )
    assert message in response.content.decode()
    assert not User.objects.filter(username="nadia").exists()


def test_an_unknown_time_zone_is_refused(admin_client):
    response = admin_client.post(
        reverse("telephony:user_create"), create_data(time_zone="Mars/Olympus")
    )
    assert response.context["form"].errors["time_zone"]


# --- editing a user --------------------------------------------------------------------


def test_an_admin_changes_a_users_names_role_and_time_zone(admin_client):
    person = UserFactory(username="ravi", role="Viewer")
    url = reverse("telephony:user_edit", args=[person.pk])

    response = admin_client.post(
        url,
        edit_data(person, role="Supervisor", time_zone="Europe/London", first_name="Ravindra"),
        follow=True,
    )

    assert "Saved ravi." in response.content.decode()
    person.refresh_from_db()
    assert role_of(person) == "Supervisor"
    assert list(person.groups.values_list("name", flat=True)) == ["Supervisor"]
    assert person.profile.time_zone == "Europe/London"
    assert person.first_name == "Ravindra"


def test_changing_a_role_keeps_groups_that_are_not_roles(admin_client):
    from django.contrib.auth.models import Group

    person = UserFactory(username="ravi", role="Viewer")
    person.groups.add(Group.objects.create(name="Night shift"))

    admin_client.post(
        reverse("telephony:user_edit", args=[person.pk]), edit_data(person, role="Admin")
    )

    assert set(person.groups.values_list("name", flat=True)) == {"Admin", "Night shift"}


def test_the_edit_form_shows_the_current_role_and_time_zone(admin_client):
    person = UserFactory(username="ravi", role="Supervisor")
    UserProfile.objects.filter(user=person).update(time_zone="Asia/Tokyo")

    form = admin_client.get(reverse("telephony:user_edit", args=[person.pk])).context["form"]

    assert form["role"].value() == "Supervisor"
    assert form["time_zone"].value() == "Asia/Tokyo"


def test_editing_a_user_that_does_not_exist_is_not_found(admin_client):
    assert admin_client.get(reverse("telephony:user_edit", args=[999999])).status_code == 404
    assert admin_client.get(reverse("telephony:user_password", args=[999999])).status_code == 404


def test_an_admin_deactivates_a_user_who_then_cannot_log_in(admin_client):
    person = UserFactory(username="ravi", role="Viewer")
    assert logs_in("ravi", PASSWORD)

    response = admin_client.post(
        reverse("telephony:user_edit", args=[person.pk]),
        edit_data(person, is_active=""),
        follow=True,
    )

    assert "Deactivated ravi: they can no longer log in." in response.content.decode()
    person.refresh_from_db()
    assert not person.is_active
    assert not logs_in("ravi", PASSWORD)


def test_deactivating_asks_for_confirmation_first(admin_client):
    person = UserFactory(username="ravi", role="Viewer")
    html = admin_client.get(reverse("telephony:user_edit", args=[person.pk])).content.decode()

    assert 'data-confirm-deactivate="Deactivate ravi? They will no longer be able to log in."' in (
        html
    )
    assert 'data-was-active="true"' in html
    assert "js/user_form.js" in html


def test_an_admin_reactivates_a_user(admin_client):
    person = UserFactory(username="ravi", role="Viewer", is_active=False)
    admin_client.post(
        reverse("telephony:user_edit", args=[person.pk]), edit_data(person, is_active="on")
    )
    person.refresh_from_db()
    assert person.is_active


def test_an_admin_cannot_deactivate_themself(admin_user, admin_client):
    UserFactory(username="second-admin", role="Admin")
    response = admin_client.post(
        reverse("telephony:user_edit", args=[admin_user.pk]), edit_data(admin_user, is_active="")
    )

    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_an_admin_cannot_remove_their_own_admin_role(admin_user, admin_client):
    UserFactory(username="second-admin", role="Admin")
    response = admin_client.post(
        reverse("telephony:user_edit", args=[admin_user.pk]), edit_data(admin_user, role="Viewer")
    )

    assert "You cannot remove your own Admin role." in response.content.decode()
    assert role_of(User.objects.get(pk=admin_user.pk)) == "Admin"


def test_an_admin_may_still_edit_their_own_name_and_time_zone(admin_user, admin_client):
    admin_client.post(
        reverse("telephony:user_edit", args=[admin_user.pk]),
        edit_data(admin_user, first_name="Asha", time_zone="Asia/Dubai"),
    )
    admin_user.refresh_from_db()
    assert admin_user.first_name == "Asha"
    assert admin_user.profile.time_zone == "Asia/Dubai"


@pytest.fixture
def delegate_client(db):
    """A user allowed to manage users by a direct permission, without the Admin role: the
    one way (besides a race) to reach the last Admin's account other than as themself."""
    delegate = UserFactory(username="delegate")
    delegate.user_permissions.add(Permission.objects.get(codename="manage_users"))
    client = Client()
    client.force_login(delegate)
    return client


def test_the_last_active_admin_cannot_be_demoted(admin_user, delegate_client):
    response = delegate_client.post(
        reverse("telephony:user_edit", args=[admin_user.pk]), edit_data(admin_user, role="Viewer")
    )

    assert "admin-persona is the last active Admin." in response.content.decode()
    assert role_of(User.objects.get(pk=admin_user.pk)) == "Admin"


def test_the_last_active_admin_cannot_be_deactivated(admin_user, delegate_client):
    response = delegate_client.post(
        reverse("telephony:user_edit", args=[admin_user.pk]), edit_data(admin_user, is_active="")
    )

    html = response.content.decode()
    assert "admin-persona is the last active Admin. Make another user an Admin" in html
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_an_admin_can_be_demoted_while_another_admin_remains(admin_user, delegate_client):
    other = UserFactory(username="other-admin", role="Admin")
    delegate_client.post(
        reverse("telephony:user_edit", args=[other.pk]), edit_data(other, role="Supervisor")
    )
    assert role_of(User.objects.get(pk=other.pk)) == "Supervisor"


def test_an_inactive_admin_does_not_count_as_the_remaining_admin(admin_user, delegate_client):
    UserFactory(username="retired-admin", role="Admin", is_active=False)
    response = delegate_client.post(
        reverse("telephony:user_edit", args=[admin_user.pk]), edit_data(admin_user, role="Viewer")
    )
    assert "is the last active Admin" in response.content.decode()


def test_two_admins_demoting_each_other_at_once_leave_one_admin(admin_user):
    """Both forms validate while the other is still an Admin; the save re-checks."""
    other = UserFactory(username="other-admin", role="Admin")
    demote_other = UserEditForm(edit_data(other, role="Viewer"), instance=other, actor=admin_user)
    demote_me = UserEditForm(
        edit_data(admin_user, role="Viewer"),
        instance=User.objects.get(pk=admin_user.pk),
        actor=other,
    )
    assert demote_other.is_valid() and demote_me.is_valid()

    assert demote_other.save() is not None
    assert demote_me.save() is None
    assert "is the last active Admin" in str(demote_me.errors["role"])
    assert role_of(User.objects.get(pk=admin_user.pk)) == "Admin"


def test_the_guard_rails_allow_ordinary_changes(admin_user):
    person = UserFactory(username="ravi", role="Viewer")
    assert user_change_problems(admin_user, person, role="Supervisor", is_active=False) == {}


# --- setting a password ----------------------------------------------------------------


def test_an_admin_sets_a_password_and_the_user_logs_in_with_it(admin_client):
    person = UserFactory(username="ravi", role="Viewer")

    response = admin_client.post(
        reverse("telephony:user_password", args=[person.pk]),
        {"new_password1": STRONG, "new_password2": STRONG},
        follow=True,
    )

    assert "Set a new password for ravi" in response.content.decode()
    assert logs_in("ravi", STRONG)
    assert not logs_in("ravi", PASSWORD)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (STRONG, "Other-Orbit-43", "The two password fields didn’t match."),
        ("short", "short", "This password is too short."),
        ("12345678901", "12345678901", "This password is entirely numeric."),
    ],
)
def test_setting_a_password_validates_it(admin_client, first, second, message):
    person = UserFactory(username="ravi", role="Viewer")
    response = admin_client.post(
        reverse("telephony:user_password", args=[person.pk]),
        {"new_password1": first, "new_password2": second},
    )

    assert message in response.content.decode()
    assert logs_in("ravi", PASSWORD)


def test_the_password_is_never_echoed_back(admin_client):
    person = UserFactory(username="ravi", role="Viewer")
    response = admin_client.post(
        reverse("telephony:user_password", args=[person.pk]),
        {"new_password1": STRONG, "new_password2": "Other-Orbit-43"},
    )
    assert STRONG not in response.content.decode()


def test_an_admin_who_sets_their_own_password_stays_logged_in(admin_user, admin_client):
    admin_client.post(
        reverse("telephony:user_password", args=[admin_user.pk]),
        {"new_password1": STRONG, "new_password2": STRONG},
    )
    assert admin_client.get(index_url()).status_code == 200


# --- everyone's own profile ------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "supervisor", "viewer"])
def test_every_role_edits_their_own_name_email_and_time_zone(request, role):
    user = request.getfixturevalue(f"{role}_user")
    client = request.getfixturevalue(f"{role}_client")
    response = client.post(
        reverse("telephony:profile"),
        {
            "first_name": "Lee",
            "last_name": "Park",
            "email": "lee@example.com",
            "time_zone": "Asia/Seoul",
        },
        follow=True,
    )

    assert "Profile saved. Times now show in Asia/Seoul." in response.content.decode()
    user.refresh_from_db()
    assert (user.first_name, user.last_name, user.email) == ("Lee", "Park", "lee@example.com")
    assert user.profile.time_zone == "Asia/Seoul"


def test_changing_my_time_zone_changes_how_times_are_shown(viewer_user, viewer_client):
    User.objects.filter(pk=viewer_user.pk).update(date_joined=NOON_UTC)
    url = reverse("telephony:profile")
    assert "2024-01-15 12:00" in viewer_client.get(url).content.decode()

    viewer_client.post(
        url,
        {"first_name": "V", "last_name": "", "email": "", "time_zone": "Asia/Kolkata"},
    )

    html = viewer_client.get(url).content.decode()
    assert "2024-01-15 17:30" in html and "2024-01-15 12:00" not in html
    assert "Times in Asia/Kolkata" in html


def test_the_profile_refuses_an_unknown_time_zone(viewer_user, viewer_client):
    response = viewer_client.post(reverse("telephony:profile"), {"time_zone": "Nowhere/Land"})
    assert response.context["form"].errors["time_zone"]
    assert UserProfile.for_user(viewer_user).time_zone == "UTC"


def test_the_profile_cannot_change_a_role_or_the_active_flag(viewer_user, viewer_client):
    viewer_client.post(
        reverse("telephony:profile"),
        {"time_zone": "UTC", "role": "Admin", "is_active": "", "is_superuser": "on"},
    )
    viewer_user.refresh_from_db()
    assert role_of(viewer_user) == "Viewer"
    assert viewer_user.is_active and not viewer_user.is_superuser


def test_the_user_menu_links_to_the_profile(viewer_client):
    html = viewer_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("telephony:profile")}"' in html


def test_a_user_without_a_profile_row_still_gets_the_profile_page(viewer_user, viewer_client):
    UserProfile.objects.filter(user=viewer_user).delete()
    assert viewer_client.get(reverse("telephony:profile")).status_code == 200


# --- access ----------------------------------------------------------------------------


def users_urls():
    target = UserFactory(username="target", role="Viewer")
    return [
        reverse("telephony:user_index"),
        reverse("telephony:user_create"),
        reverse("telephony:user_edit", args=[target.pk]),
        reverse("telephony:user_password", args=[target.pk]),
    ]


@pytest.mark.parametrize("role", ["supervisor", "viewer"])
def test_non_admins_get_403_on_every_users_page(request, role):
    client = request.getfixturevalue(f"{role}_client")
    for url in users_urls():
        assert client.get(url).status_code == 403, url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 403, url
        assert (
            client.post(url, {"new_password1": STRONG, "new_password2": STRONG}).status_code == 403
        )


def test_a_non_admin_cannot_change_a_user_by_posting(supervisor_client):
    target = UserFactory(username="target", role="Viewer")
    supervisor_client.post(
        reverse("telephony:user_edit", args=[target.pk]), edit_data(target, role="Admin")
    )
    supervisor_client.post(
        reverse("telephony:user_password", args=[target.pk]),
        {"new_password1": STRONG, "new_password2": STRONG},
    )
    assert role_of(User.objects.get(pk=target.pk)) == "Viewer"
    assert logs_in("target", PASSWORD)


def test_anonymous_users_are_sent_to_log_in(anonymous_client):
    for url in [*users_urls(), reverse("telephony:profile")]:
        response = anonymous_client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
