"""/sandbox/cpaas/…: the CPaaS simulator at the document's paths (under /api/)."""

from django.urls import path

from . import sandbox, sandbox_campaigns, sandbox_live

ENDPOINTS = [
    "click2call",
    "callback",
    "outbound_call",
    "modify_call",
    "create_campaign_list",
    "add_contact_to_list",
    "import_broadcast_contacts_csv",
    "create_campaign_dnd_list",
    "add_dnd_contact_to_list",
    "import_dnd_contacts_csv",
    "create_campaign",
    "stop_campaign",
    "get_campaign_details",
    "get_cdr_by_date",
    "get_cdr_by_request_id",
    "get_cdr_by_campaign_id",
    "get_cdr_statistics",
    "get_live_call_statistics",
    "get_campaign_cdr_statistics",
]

urlpatterns = [
    path(
        f"api/{name}",
        getattr(sandbox, name, None) or getattr(sandbox_campaigns, name),
        name=f"cpaas-{name.replace('_', '-')}",
    )
    for name in ENDPOINTS
] + [
    # The document's URL line for Stop Campaign says /stop_campaign while its curl says
    # /api/stop_campaign; both are served.
    path("stop_campaign", sandbox_campaigns.stop_campaign, name="cpaas-stop-campaign-root"),
    # Not in the document: Asterisk's own REST interface, which names live channels.
    path("ari/channels", sandbox_live.ari_channels, name="cpaas-ari-channels"),
]
