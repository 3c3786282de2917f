"""/reports/…, namespace "reports"."""

from django.urls import path

from .views import call, calls, exports, overview

app_name = "reports"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("calls/", calls.calls, name="calls"),
    path("calls/<int:pk>/", call.call_detail, name="call_detail"),
    path("calls/<int:pk>/recording/", call.call_recording, name="call_recording"),
    path("calls/<int:pk>/dnd/", call.call_dnd, name="call_dnd"),
    path("exports/", exports.export_index, name="export_index"),
    path("exports/new/", exports.export_create, name="export_create"),
    path("exports/<int:pk>/", exports.export_detail, name="export_detail"),
    path("exports/<int:pk>/download/", exports.export_download, name="export_download"),
]
