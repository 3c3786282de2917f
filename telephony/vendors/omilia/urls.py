"""The Omilia simulator under /sandbox/omilia/<region>/ (region: eu1, us1, us2, us1-w).

Each region prefix stands for one OCP environment: its Keycloak under /auth/… and its
numbers API under /integrations/api/…, like https://<region>-m.ocp.ai/…"""

from django.urls import path

from . import sandbox

KEYCLOAK = "<slug:region>/auth/realms/<slug:realm>/protocol/openid-connect"
API = "<slug:region>/integrations/api"

urlpatterns = [
    path(f"{KEYCLOAK}/token", sandbox.token, name="omilia-token"),
    path(f"{KEYCLOAK}/logout", sandbox.logout, name="omilia-logout"),
    path(f"{API}/numbers", sandbox.numbers_view, name="omilia-numbers"),
    path(f"{API}/numbers/group", sandbox.numbers_group_view, name="omilia-numbers-group"),
    path(f"{API}/numbers/detach", sandbox.numbers_detach_view, name="omilia-numbers-detach"),
    path(f"{API}/numbers/csv", sandbox.numbers_csv_view, name="omilia-numbers-csv"),
    path(f"{API}/numbers/attach", sandbox.numbers_attach_view, name="omilia-numbers-attach"),
    path(f"{API}/number/note", sandbox.number_note_view, name="omilia-number-note"),
    path(f"{API}/numbers/search", sandbox.numbers_search_view, name="omilia-numbers-search"),
    path(f"{API}/numbers/direct", sandbox.numbers_direct_view, name="omilia-numbers-direct"),
    path(
        f"{API}/numbers/delete/<str:number>",
        sandbox.number_delete_view,
        name="omilia-number-delete",
    ),
    path(f"{API}/numbers-set", sandbox.sets_view, name="omilia-sets"),
    path(
        f"{API}/numbers-set/group/<str:group_id>",
        sandbox.sets_for_group_view,
        name="omilia-sets-for-group",
    ),
    path(f"{API}/numbers-set/<str:set_id>", sandbox.set_view, name="omilia-set"),
    path(
        f"{API}/numbers-set/<str:set_id>/numbers",
        sandbox.set_numbers_view,
        name="omilia-set-numbers",
    ),
    path(
        f"{API}/numbers-set/<str:set_id>/attach", sandbox.set_attach_view, name="omilia-set-attach"
    ),
    path(
        f"{API}/numbers-set/<str:set_id>/detach", sandbox.set_detach_view, name="omilia-set-detach"
    ),
    path(
        f"{API}/numbers-set/<str:set_id>/delete",
        sandbox.set_delete_purchased_view,
        name="omilia-set-delete-purchased",
    ),
]

# Sample arguments for tests/url_samples.py (the access test reverses every pattern).
_REGION = {"region": "eu1"}
URL_SAMPLE_KWARGS = {
    "omilia-token": {**_REGION, "realm": "master"},
    "omilia-logout": {**_REGION, "realm": "master"},
    "omilia-numbers": _REGION,
    "omilia-numbers-group": _REGION,
    "omilia-numbers-detach": _REGION,
    "omilia-numbers-csv": _REGION,
    "omilia-numbers-attach": _REGION,
    "omilia-number-note": _REGION,
    "omilia-numbers-search": _REGION,
    "omilia-numbers-direct": _REGION,
    "omilia-number-delete": {**_REGION, "number": "+12025550143"},
    "omilia-sets": _REGION,
    "omilia-sets-for-group": {**_REGION, "group_id": "dialdesk"},
    "omilia-set": {**_REGION, "set_id": "sample-set"},
    "omilia-set-numbers": {**_REGION, "set_id": "sample-set"},
    "omilia-set-attach": {**_REGION, "set_id": "sample-set"},
    "omilia-set-detach": {**_REGION, "set_id": "sample-set"},
    "omilia-set-delete-purchased": {**_REGION, "set_id": "sample-set"},
}
