from django.conf import settings
from django.urls import include, path

from .views import (
    accounts,
    audio,
    auth,
    callbacks,
    calls,
    health,
    home,
    jobs,
    live,
    statistics,
    sync,
    users,
    vendor_users,
)

# The telephony app's own pages, under the "telephony" namespace.
telephony_patterns = [
    path("users/", users.user_index, name="user_index"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<int:pk>/", users.user_edit, name="user_edit"),
    path("users/<int:pk>/password/", users.user_password, name="user_password"),
    path("account/profile/", users.profile, name="profile"),
    path("vendors/", accounts.account_index, name="account_index"),
    path("vendors/new/", accounts.account_create, name="account_create"),
    path("vendors/<int:pk>/", accounts.account_detail, name="account_detail"),
    path("vendors/<int:pk>/edit/", accounts.account_edit, name="account_edit"),
    path("vendors/<int:pk>/test/", accounts.account_test, name="account_test"),
    path("vendors/<int:pk>/sync/", sync.account_sync_status, name="account_sync_status"),
    path("vendors/<int:pk>/sync/now/", sync.account_sync_now, name="account_sync_now"),
    path("vendors/<int:pk>/toggle/", accounts.account_toggle, name="account_toggle"),
    path("vendors/<int:pk>/delete/", accounts.account_delete, name="account_delete"),
    path("vendors/sandboxes/", accounts.sandbox_settings, name="sandbox_settings"),
    path("vendors/sandboxes/<str:vendor>/", accounts.sandbox_update, name="sandbox_update"),
    path("jobs/", jobs.jobs, name="jobs"),
    path("callbacks/", callbacks.callback_index, name="callback_index"),
    path("callbacks/new/", callbacks.callback_create, name="callback_create"),
    path("callbacks/refresh/", callbacks.callback_sync, name="callback_sync"),
    path("callbacks/<int:pk>/move/", callbacks.callback_reschedule, name="callback_reschedule"),
    path("callbacks/<int:pk>/cancel/", callbacks.callback_cancel, name="callback_cancel"),
    path("live/", live.live_panel, name="live_panel"),
    path("live/<int:pk>/action/", live.live_action, name="live_action"),
    path("statistics/cpaas/", statistics.cpaas_statistics, name="cpaas_statistics"),
    path("oca/", audio.oca_index, name="oca_index"),
    path("oca/<int:pk>/audio/", audio.audio_index, name="audio_index"),
    path("oca/<int:pk>/audio/upload/", audio.audio_upload, name="audio_upload"),
    path("oca/<int:pk>/audio/<str:audio_id>/delete/", audio.audio_delete, name="audio_delete"),
    path("oca/<int:pk>/ivrs/", audio.ivr_index, name="ivr_index"),
    path("jobs/schedules/<int:pk>/run/", jobs.schedule_run, name="schedule_run"),
    path("calls/", calls.call_index, name="call_index"),
    path("calls/new/", calls.call_new, name="call_new"),
    path("calls/otp/", calls.otp_new, name="otp_new"),
    path("calls/<int:pk>/", calls.call_detail, name="call_detail"),
    path("calls/<int:pk>/check/", calls.call_check, name="call_check"),
    path("vendors/<int:pk>/users/", vendor_users.vendor_user_index, name="vendor_user_index"),
    path("vendors/<int:pk>/users/new/", vendor_users.vendor_user_create, name="vendor_user_create"),
    path("vendors/<int:pk>/users/sync/", vendor_users.vendor_user_sync, name="vendor_user_sync"),
    path(
        "vendors/<int:pk>/users/<int:user_pk>/",
        vendor_users.vendor_user_edit,
        name="vendor_user_edit",
    ),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", auth.login, name="login"),
    path("accounts/logout/", auth.logout, name="logout"),
    path("accounts/password/", auth.password_change, name="password_change"),
    path("accounts/password/done/", auth.password_change_done, name="password_change_done"),
    path("healthz", health.healthz, name="healthz"),
    path("", include((telephony_patterns, "telephony"))),
    path("", include("campaigns.urls")),
    path("numbers/", include("phone_numbers.urls")),
    path("reports/", include("telephony.reports.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("telephony.vendors.sandbox_urls")))
