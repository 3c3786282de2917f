"""Vendor kind -> client class and capabilities (DESIGN.md capability table), and the
credentials each vendor sends in an HTTP header.

Credential forms live in telephony/forms.py (CREDENTIAL_FORMS), keyed the same way.

`header_credentials` maps an account's config or secret key to where the client puts
it: HTTP headers (and Basic credentials) carry Latin-1 only, so the forms refuse a
value with other characters (€, 中, emoji) rather than let every request fail."""

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
