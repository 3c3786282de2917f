"""Vendor kind -> client class and capabilities (DESIGN.md capability table), and the
credentials each vendor sends in an HTTP header.

Credential forms live in telephony/forms.py (CREDENTIAL_FORMS), keyed the same way.

`header_credentials` maps an account's config or secret key to where the client puts
it: HTTP headers (and Basic credentials) carry Latin-1 only, so the forms refuse a
value with other characters (€, 中, emoji) rather than let every request fail."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .base import Capability as C

VENDORS = {
    "myoperator": {
        "client": "telephony.vendors.myoperator.client.MyOperatorClient",
        "capabilities": {C.PLACE_CALL, C.CDR_SOURCE, C.VENDOR_USERS, C.NUMBERS, C.RECORDINGS},
        "header_credentials": {"x_api_key": "the OBD API's x-api-key header"},
    },
    "cpaas": {
        "client": "telephony.vendors.cpaas.client.CpaasClient",
        "capabilities": {
            C.PLACE_CALL,
            C.NATIVE_CAMPAIGNS,
            C.CDR_SOURCE,
            C.CALLBACKS,
            C.LIVE_CONTROL,
            C.NUMBERS,
            C.AUDIO,
            C.RECORDINGS,
        },
        "header_credentials": {
            "account": "the API's account header",
            "auth": "the API's auth header",
            "ari_username": "the ARI HTTP Basic login",
            "ari_password": "the ARI HTTP Basic login",
        },
    },
    "omilia": {
        "client": "telephony.vendors.omilia.client.OmiliaClient",
        "capabilities": {C.NUMBERS},
    },
    "oca": {
        "client": "telephony.vendors.oca.client.OcaClient",
        "capabilities": {C.PLACE_CALL, C.CDR_SOURCE, C.NUMBERS, C.AUDIO},
        "header_credentials": {
            "username": "the HTTP Basic login",
            "password": "the HTTP Basic login",
        },
    },
}


def client_class(kind: str):
    return import_string(VENDORS[kind]["client"])


def client_for(account):
    return client_class(account.kind)(account)


def header_credentials(kind: str) -> dict[str, str]:
    """Config and secret keys the vendor's client sends in an HTTP header -> where."""
    return dict(VENDORS.get(kind, {}).get("header_credentials", {}))


def capabilities_of(kind: str) -> list[C]:
    caps = VENDORS.get(kind, {}).get("capabilities", set())
    return [cap for cap in C if cap in caps]


# --- what a user can do, per vendor, and where (the account pages' badges) -------------
#
# The capability table above is what each vendor's API offers. A badge on an account
# page claims more: that a person can do it in Dialdesk. So badges come from this table
# of implemented features, each naming the page where it is done; a feature whose URL
# name does not resolve (the page is not there) is not shown. The README's per-vendor
# lines are this table in words.


@dataclass(frozen=True)
class Feature:
    label: str
    short: str
    url_name: str
    account_kwarg: str = ""  # the URL's keyword for the account's pk, if it takes one
    query: str = ""  # appended query string; "{pk}" is the account's pk
    anchor: str = ""
    # A condition on the account ("ari": it has its server's ARI login, "no_ari": not).
    when: str = ""

    def applies(self, account) -> bool:
        if not self.when or account is None:
            return self.when != "no_ari"
        from .cpaas.live import has_ari

        return has_ari(account) == (self.when == "ari")

    def url(self, account=None) -> str | None:
        """Where it is done for `account` (None: the kind in general), or None."""
        if self.account_kwarg and account is None:
            return None
        kwargs = {self.account_kwarg: account.pk} if self.account_kwarg else {}
        try:
            url = reverse(self.url_name, kwargs=kwargs)
        except NoReverseMatch:
            return None
        if self.query and account is not None:
            url += "?" + self.query.format(pk=account.pk)
        return url + (f"#{self.anchor}" if self.anchor else "")

    def exists(self) -> bool:
        try:
            reverse(self.url_name, kwargs={self.account_kwarg: 1} if self.account_kwarg else {})
        except NoReverseMatch:
            return False
        return True


CALLS = "telephony:call_new"
FEATURES: dict[str, list[Feature]] = {
    "myoperator": [
        Feature(
            "Click-to-call and OBD calls (peer-to-peer, IVR)", "Calls", CALLS, query="account={pk}"
        ),
        Feature("Panel users: list, add, edit", "Panel users", "telephony:vendor_user_index", "pk"),
        Feature("IVR campaigns (Dialdesk's engine)", "Campaigns", "campaigns:campaign_create"),
        Feature("Call logs and recordings", "Call logs", "reports:calls", query="account={pk}"),
        Feature(
            "Caller ids (DIDs) and IVRs for the builder",
            "Catalogue",
            "telephony:account_edit",
            "pk",
        ),
    ],
    "cpaas": [
        Feature("Click2call calls", "Click2call", CALLS, query="account={pk}"),
        Feature("OTP announcement calls", "OTP calls", "telephony:otp_new"),
        Feature(
            "Scheduled callbacks", "Callbacks", "telephony:callback_index", query="account={pk}"
        ),
        Feature(
            "Live calls: transfer, hang up, record",
            "Live calls",
            "home",
            anchor="live-panel",
            when="ari",
        ),
        Feature("Live call counts", "Live counts", "home", anchor="live-panel", when="no_ari"),
        Feature(
            "Native campaigns (lists, DND, create, stop)", "Campaigns", "campaigns:campaign_create"
        ),
        Feature("CDRs: search and export", "CDRs", "reports:calls", query="account={pk}"),
        Feature(
            "CDR statistics against Dialdesk's counts",
            "Statistics",
            "telephony:account_detail",
            "pk",
            anchor="cpaas-statistics",
        ),
    ],
    "omilia": [
        Feature(
            "Numbers: search, buy, edit, delete", "Numbers", "numbers:omilia_numbers", "account_pk"
        ),
        Feature("Number sets and membership", "Number sets", "numbers:omilia_sets", "account_pk"),
    ],
    "oca": [
        Feature("IVR calls with variables", "IVR calls", CALLS, query="account={pk}"),
        Feature("IVR campaigns (Dialdesk's engine)", "Campaigns", "campaigns:campaign_create"),
        Feature("Audio library: upload, delete", "Audio", "telephony:audio_index", "pk"),
        Feature("IVR list with required variables", "IVRs", "telephony:ivr_index", "pk"),
        Feature("Call status and results", "Call status", "reports:calls", query="account={pk}"),
        Feature("Caller-id numbers", "Numbers", "numbers:number_index"),
    ],
}


def feature_badges(kind: str, account=None) -> list[dict]:
    """The kind's implemented features whose page exists: {label, short, url} (url None
    when the feature needs an account and none is given)."""
    badges = []
    for feature in FEATURES.get(kind, []):
        if not feature.exists() or not feature.applies(account):
            continue
        url = feature.url(account)
        badges.append({"label": feature.label, "short": feature.short, "url": url})
    return badges
