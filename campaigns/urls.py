from django.urls import path

from .views import campaign_page, campaigns, dnd, imports, lists, push

app_name = "campaigns"

# Reading needs view_reports (viewers too); writing needs run_campaigns. A view reads
# or writes, never both, so each has one access rule.
urlpatterns = [
    # Contact lists (views/lists.py)
    path("lists/", lists.list_index, name="list_index"),
    path("lists/new/", lists.list_create, name="list_create"),
    path("lists/<int:pk>/", lists.list_detail, name="list_detail"),
    path("lists/<int:pk>/edit/", lists.list_edit, name="list_edit"),
    path("lists/<int:pk>/delete/", lists.list_delete, name="list_delete"),
    path("lists/<int:pk>/export/", lists.list_export, name="list_export"),
    path("lists/<int:pk>/bulk/", lists.contact_bulk, name="contact_bulk"),
    path("contacts/<int:pk>/edit/", lists.contact_edit, name="contact_edit"),
    # DND lists (views/dnd.py)
    path("dnd/", dnd.dnd_index, name="dnd_index"),
    path("dnd/new/", dnd.dnd_create, name="dnd_create"),
    path("dnd/lookup/", dnd.dnd_lookup, name="dnd_lookup"),
    path("dnd/<int:pk>/", dnd.dnd_detail, name="dnd_detail"),
    path("dnd/<int:pk>/edit/", dnd.dnd_edit, name="dnd_edit"),
    path("dnd/<int:pk>/delete/", dnd.dnd_delete, name="dnd_delete"),
    path("dnd/<int:pk>/export/", dnd.dnd_export, name="dnd_export"),
    path("dnd/<int:pk>/add/", dnd.dnd_add, name="dnd_add"),
    path("dnd/entries/<int:pk>/remove/", dnd.dnd_remove, name="dnd_remove"),
    # Imports (views/imports.py)
    path("lists/<int:pk>/import/", imports.contact_import, name="contact_import"),
    path("dnd/<int:pk>/import/", imports.dnd_import, name="dnd_import"),
    path("imports/<int:pk>/mapping/", imports.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/errors.csv", imports.import_errors, name="import_errors"),
    # Vendor push to CPaaS (views/push.py)
    path("lists/<int:pk>/push/", push.list_push, name="list_push"),
    path("dnd/<int:pk>/push/", push.dnd_push, name="dnd_push"),
    path("pushes/<int:pk>/", push.push_status, name="push_status"),
    # Campaign builder (views/campaigns.py)
    path("campaigns/", campaigns.campaign_index, name="campaign_index"),
    path("campaigns/new/", campaigns.campaign_create, name="campaign_create"),
    path("campaigns/check/", campaigns.campaign_check, name="campaign_check"),
    path("campaigns/<int:pk>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/clone/", campaigns.campaign_clone, name="campaign_clone"),
    path("campaigns/<int:pk>/delete/", campaigns.campaign_delete, name="campaign_delete"),
    # Campaign page and lifecycle (views/campaign_page.py)
    path("campaigns/<int:pk>/", campaign_page.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/attempts/", campaign_page.campaign_attempts, name="campaign_attempts"),
    path("campaigns/<int:pk>/start/", campaign_page.campaign_start, name="campaign_start"),
    path("campaigns/<int:pk>/pause/", campaign_page.campaign_pause, name="campaign_pause"),
    path("campaigns/<int:pk>/resume/", campaign_page.campaign_resume, name="campaign_resume"),
    path("campaigns/<int:pk>/stop/", campaign_page.campaign_stop, name="campaign_stop"),
]
