"""Live calls of a CPaaS server: which channels are up, for modify_call.

The CPaaS document (seed 002) gives live-call *counts* (get_live_call_statistics) and a
modify_call that wants a call's Asterisk channel ("PJSIP/101-0000023c"), but no
documented answer names a channel: not the click2call answer, not the CDRs (written at
hangup, without the channel), not the statistics. The server is Asterisk, and Asterisk
lists its channels through its own REST interface, ARI: `GET /ari/channels` with an
ari.conf login (HTTP Basic), an array of Channel objects
(https://docs.asterisk.org/Latest_API/API_Documentation/Asterisk_REST_Interface/Channels_REST_API/).
So an account that is given its server's ARI login (config `ari_username`, secret
`ari_password`; the ARI base defaults to the API's base URL, config `ari_url` overrides)
can list its calls in progress; one without it gets counts only, and the page says why.
"""

from dataclasses import dataclass, field
from datetime import datetime

from telephony.vendors.answers import VendorResponse
from telephony.vendors.base import InvalidRequest, MalformedResponse, VendorError

from .types import CHANNEL_RE

MAX_CHANNELS = 500  # a page shows at most this many; ARI has no paging
# ARI channel states (Asterisk's ast_state2str): the ones a person reads as "in a call".
TALKING_STATES = {"Up"}
RINGING_STATES = {"Ring", "Ringing", "Dialing", "Pre-ring", "Dialing Offhook"}


@dataclass
class LiveChannel:
    """One ARI Channel: `name` is what modify_call's `channel` wants."""

    id: str
    name: str
    state: str
    caller: str = ""
    connected: str = ""
    context: str = ""
    exten: str = ""
    accountcode: str = ""
    created_at: datetime | None = None
    raw: dict = field(default_factory=dict)

    @property
    def talking(self) -> bool:
        return self.state in TALKING_STATES

    @property
    def ringing(self) -> bool:
        return self.state in RINGING_STATES

    @property
    def kind(self) -> str:
        """What the call is, from its dialplan context (as the CDRs name them)."""
        if self.context.startswith("local_call_campaign"):
            return "campaign"
        if self.context in ("click2call", "callback"):
            return self.context
        if self.context == "local_call":
            return "otp"
        return self.context or "unknown"

    @classmethod
    def from_json(cls, item) -> "LiveChannel":
        if not isinstance(item, dict) or not item.get("name"):
            raise MalformedResponse("An ARI channel without a name.", vendor="cpaas")
        name = str(item["name"])[:200]
        if not CHANNEL_RE.fullmatch(name):
            raise MalformedResponse("An ARI channel name is not Tech/resource.", vendor="cpaas")
        caller = item.get("caller") if isinstance(item.get("caller"), dict) else {}
        connected = item.get("connected") if isinstance(item.get("connected"), dict) else {}
        dialplan = item.get("dialplan") if isinstance(item.get("dialplan"), dict) else {}
        created = None
        if item.get("creationtime"):
            try:
                created = datetime.strptime(str(item["creationtime"]), "%Y-%m-%dT%H:%M:%S.%f%z")
            except ValueError:
                created = None
        return cls(
            id=str(item.get("id") or "")[:64],
            name=name,
            state=str(item.get("state") or "Unknown")[:30],
            caller=str(caller.get("number") or "")[:32],
            connected=str(connected.get("number") or "")[:32],
            context=str(dialplan.get("context") or "")[:80],
            exten=str(dialplan.get("exten") or "")[:32],
            accountcode=str(item.get("accountcode") or "")[:40],
            created_at=created,
            raw=item,
        )


def has_ari(account) -> bool:
    config = account.config or {}
    return bool(config.get("ari_username")) and bool(account.secrets.get("ari_password"))


def _classify(response: VendorResponse):
    # ARI errors are {"message": "..."} with 401/404/5xx; the seam's defaults by status
    # code apply (and quote the message). A 200 that is not a list is malformed.
    if response.status_code < 400 and not isinstance(response.data, list):
        return MalformedResponse("ARI's channel list is not a JSON array.", vendor="cpaas")
    return None


def live_channels(client) -> list[LiveChannel]:
    """The server's channels now (GET <ari_url or base_url>/ari/channels). Raises
    InvalidRequest when the account has no ARI login: no documented API names one."""
    account = client.account
    if not has_ari(account):
        raise InvalidRequest(
            "No documented CPaaS answer names a live call's channel; give this account its "
            "server's ARI login to list calls in progress."
        )
    base = str((account.config or {}).get("ari_url") or account.base_url or "")
    response = client.http.request(
        "GET",
        client.url(base, "ari/channels"),
        endpoint="ari/channels",
        auth=(str(account.config["ari_username"]), str(account.secrets["ari_password"])),
        classify=_classify,
    )
    channels = []
    for item in response.data[:MAX_CHANNELS]:
        try:
            channels.append(LiveChannel.from_json(item))
        except VendorError:
            continue  # one odd channel must not hide the others
    return channels
