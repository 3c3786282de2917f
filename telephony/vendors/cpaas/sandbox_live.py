"""The CPaaS simulator's Asterisk REST Interface (ARI): GET /sandbox/cpaas/ari/channels.

Not in the CPaaS document: no documented answer names a live call's channel, which
modify_call needs. A real CPaaS server is Asterisk, whose ARI lists channels as an array
of Channel objects (id, name, state, caller, connected, accountcode, dialplan,
creationtime, language), behind an ari.conf login sent as HTTP Basic; a bad login gets
401 {"message": "Authentication required"}. The simulator serves that, one ARI login per
installer account, each seeing only its own calls (accountcode = the CDRs' account_id).

Channel names are the ones modify_call already accepts here (simulation.channel_for):
"PJSIP/trunk-<account_id>-<8 hex>", the shape of the document's own example
"PJSIP/tatatrunk-ACvjfnvjnfs-0000023d". One channel per call: the customer's leg.
"""

import base64
import binascii
import hmac
from datetime import timedelta

from django.http import JsonResponse
from django.utils import timezone

from telephony.models import SandboxCall
from telephony.vendors.sandbox_kit import sandbox_view

from . import simulation as sim
from .sandbox_base import FAULTS

# ari.conf users of the two installer accounts (sandbox only).
ARI_CREDENTIALS = {
    "account_1": ("ari_account_1", "sbx-cpaas-ari-5c2e9d71a4"),
    "account_2": ("ari_account_2", "sbx-cpaas-ari-81f0b3c6d2"),
}
# ARI's channel states for the simulated phases (Asterisk's ast_state2str).
PHASE_STATES = {"queued": "Down", "ringing": "Ringing", "in_progress": "Up"}


def _login(request) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("latin-1").partition(":")
    except (binascii.Error, ValueError):
        return None
    for tenant, (expected_user, expected_password) in ARI_CREDENTIALS.items():
        if hmac.compare_digest(user.encode(), expected_user.encode()) and hmac.compare_digest(
            password.encode(), expected_password.encode()
        ):
            return tenant
    return None


def channel_json(call: SandboxCall, now) -> dict:
    state = call.state(now)
    direction, context = sim.CALL_CONTEXTS[call.kind]
    context = context.format(campaign_type=(call.params or {}).get("campaign_type", "0"))
    started = state["started_at"] or call.created_at
    return {
        "accountcode": sim.account_id_for(call.tenant),
        "caller": {"name": "", "number": call.from_number},
        "connected": {"name": "", "number": call.to_number},
        "creationtime": started.strftime("%Y-%m-%dT%H:%M:%S.") + f"{started:%f}"[:3] + "+0000",
        "dialplan": {
            "app_data": "",
            "app_name": "Dial" if state["phase"] == "ringing" else "AppDial",
            "context": context,
            "exten": call.to_number,
            "priority": 1,
        },
        "id": f"{int(started.timestamp())}.{call.pk}",
        "language": "en",
        "name": sim.channel_for(call),
        "protocol_id": "",
        "state": PHASE_STATES.get(state["phase"], "Unknown"),
    }


def _credential(request) -> str:
    return request.headers.get("Authorization", "")


@sandbox_view(sim.VENDOR, FAULTS, credential=_credential)
def ari_channels(request):
    if request.method != "GET":
        return JsonResponse({"message": "Invalid method"}, status=405)
    tenant = _login(request)
    if tenant is None:
        return JsonResponse({"message": "Authentication required"}, status=401)
    now = timezone.now()
    sim.materialize(tenant, now)
    recent = SandboxCall.objects.filter(
        vendor=sim.VENDOR, tenant=tenant, created_at__gte=now - timedelta(days=1)
    ).order_by("created_at", "pk")
    channels = [channel_json(call, now) for call in recent if sim.is_live(call, now)]
    return JsonResponse(channels, safe=False)
