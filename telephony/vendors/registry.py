"""Vendor kind -> client class and capabilities (DESIGN.md capability table).

Credential forms live in telephony/forms.py (CREDENTIAL_FORMS), keyed the same way."""

from django.utils.module_loading import import_string

from .base import Capability as C

VENDORS = {
    "myoperator": {
        "client": "telephony.vendors.myoperator.client.MyOperatorClient",
        "capabilities": {C.PLACE_CALL, C.CDR_SOURCE, C.VENDOR_USERS, C.NUMBERS, C.RECORDINGS},
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
    },
    "omilia": {
        "client": "telephony.vendors.omilia.client.OmiliaClient",
        "capabilities": {C.NUMBERS},
    },
    "oca": {
        "client": "telephony.vendors.oca.client.OcaClient",
        "capabilities": {C.PLACE_CALL, C.CDR_SOURCE, C.NUMBERS, C.AUDIO},
    },
}


def client_class(kind: str):
    return import_string(VENDORS[kind]["client"])


def client_for(account):
    return client_class(account.kind)(account)


def capabilities_of(kind: str) -> list[C]:
    caps = VENDORS.get(kind, {}).get("capabilities", set())
    return [cap for cap in C if cap in caps]
