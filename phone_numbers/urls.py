"""/numbers/: the inventory, imports and health (this file's owner: the numbers work of
issue 12). The Omilia operation pages add their own block below, under omilia/."""

from django.urls import path

from .views import health, imports, inventory

app_name = "numbers"

urlpatterns = [
    path("", inventory.number_index, name="number_index"),
    path("add/", inventory.number_add, name="number_add"),
    path("import/", imports.number_import, name="number_import"),
    path("import/template.csv", imports.import_template, name="import_template"),
    path("health/", health.health_index, name="health"),
    path("sync/<int:account_pk>/", inventory.account_sync, name="account_sync"),
    path("<int:pk>/", inventory.number_detail, name="number_detail"),
    path("<int:pk>/edit/", inventory.number_edit, name="number_edit"),
    path("<int:pk>/status/", inventory.number_status, name="number_status"),
    path("<int:pk>/delete/", inventory.number_delete, name="number_delete"),
]

# --- Omilia operations (omilia helper) ---
from .views import omilia_buy, omilia_csv, omilia_numbers, omilia_sets  # noqa: E402

OMILIA = "omilia/<int:account_pk>/"
urlpatterns += [
    path(OMILIA, omilia_numbers.omilia_numbers, name="omilia_numbers"),
    path(f"{OMILIA}add/", omilia_numbers.omilia_number_add, name="omilia_number_add"),
    path(f"{OMILIA}bulk/", omilia_numbers.omilia_numbers_bulk, name="omilia_numbers_bulk"),
    path(
        f"{OMILIA}n/<str:number>/edit/",
        omilia_numbers.omilia_number_edit,
        name="omilia_number_edit",
    ),
    path(
        f"{OMILIA}n/<str:number>/delete/",
        omilia_numbers.omilia_number_delete,
        name="omilia_number_delete",
    ),
    path(f"{OMILIA}available/", omilia_buy.omilia_available, name="omilia_available"),
    path(f"{OMILIA}buy/", omilia_buy.omilia_buy, name="omilia_buy"),
    path(f"{OMILIA}buy/<uuid:token>/", omilia_buy.omilia_purchase, name="omilia_purchase"),
    path(
        f"{OMILIA}buy/<uuid:token>/check/",
        omilia_buy.omilia_purchase_check,
        name="omilia_purchase_check",
    ),
    path(f"{OMILIA}csv/", omilia_csv.omilia_csv_export, name="omilia_csv_export"),
    path(f"{OMILIA}csv/apply/", omilia_csv.omilia_csv_apply, name="omilia_csv_apply"),
    path(f"{OMILIA}sets/", omilia_sets.omilia_sets, name="omilia_sets"),
    path(f"{OMILIA}sets/<str:set_id>/", omilia_sets.omilia_set, name="omilia_set"),
    path(f"{OMILIA}sets/<str:set_id>/edit/", omilia_sets.omilia_set_edit, name="omilia_set_edit"),
    path(
        f"{OMILIA}sets/<str:set_id>/delete/",
        omilia_sets.omilia_set_delete,
        name="omilia_set_delete",
    ),
    path(
        f"{OMILIA}sets/<str:set_id>/members/",
        omilia_sets.omilia_set_members,
        name="omilia_set_members",
    ),
    path(
        f"{OMILIA}sets/<str:set_id>/attach/",
        omilia_sets.omilia_set_attach,
        name="omilia_set_attach",
    ),
    path(
        f"{OMILIA}sets/<str:set_id>/detach/",
        omilia_sets.omilia_set_detach,
        name="omilia_set_detach",
    ),
    path(
        f"{OMILIA}sets/<str:set_id>/delete-purchased/",
        omilia_sets.omilia_set_delete_purchased,
        name="omilia_set_delete_purchased",
    ),
]
