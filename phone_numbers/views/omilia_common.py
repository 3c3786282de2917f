"""What every Omilia page shares: the account (admins only, Omilia accounts only), one
client per request, vendor errors put beside the field they are about, and the local
inventory brought back in line after each change at the vendor."""

import re

from django.contrib import messages
from django.shortcuts import get_object_or_404

from telephony.access import role_required
from telephony.models import ProviderAccount, VendorKind
from telephony.vendors.base import InvalidRequest, VendorError

# Admins manage numbers; every Omilia page needs this permission (DESIGN.md, roles).
admin_only = role_required("manage_vendors")

# The client's parameter names and the vendor's JSON names -> our form fields.
FIELD_ALIASES = {
    "numbers": "numbers",
    "number": "number",
    "group": "group",
    "groupId": "group",
    "group_id": "group",
    "provider": "provider",
    "code": "country",
    "prefix": "area",
    "note": "note",
    "name": "name",
    "miniAppId": "mini_app_id",
    "mini_app_id": "mini_app_id",
    "locale": "locale",
    "applicationTag": "application_tag",
    "application_tag": "application_tag",
    "country": "country",
    "set_id": "set_id",
    "setId": "set_id",
    "csv": "file",
}
# Words in a vendor sentence that say which field it is about ("Access denied to group
# acme", "MiniApp not found: …", "Phone numbers not found: …").
FIELD_WORDS = [
    (re.compile(r"\bgroup\b", re.I), "group"),
    (re.compile(r"\bminiapp\b", re.I), "mini_app_id"),
    (re.compile(r"\blocale\b", re.I), "locale"),
    (re.compile(r"\bprovider\b", re.I), "provider"),
    (re.compile(r"\bcountry code\b", re.I), "country"),
    (re.compile(r"\bset\b", re.I), "set_id"),
    (re.compile(r"\bphone numbers?\b|\bnumbers?\b", re.I), "numbers"),
]
SPRING_FIELD = re.compile(r"^\s*([A-Za-z_]+): (.+)$")


def omilia_account(account_pk) -> ProviderAccount:
    return get_object_or_404(ProviderAccount, pk=account_pk, kind=VendorKind.OMILIA)


def vendor_words(exc: Exception) -> str:
    """What to show for a failed vendor request: the vendor's own message."""
    if isinstance(exc, VendorError):
        return exc.message or str(exc)
    return str(exc)


def attach_error(form, exc: Exception, *, fallback: str | None = None) -> None:
    """Put a vendor refusal (or our own pre-send check) on the field it names; what names
    no field of the form goes above the form, in the vendor's words."""
    fields = form.fields
    if isinstance(exc, InvalidRequest):
        parts = list(exc.errors.items())
    else:
        parts = []
        for piece in vendor_words(exc).split("; "):
            match = SPRING_FIELD.match(piece)
            parts.append((match.group(1), piece) if match else ("", piece))
    for name, message in parts:
        field = FIELD_ALIASES.get(name, name)
        if field not in fields:
            field = next(
                (f for pattern, f in FIELD_WORDS if f in fields and pattern.search(message)),
                None,
            )
        if field is None and fallback in fields:
            field = fallback
        form.add_error(field if field in fields else None, message)


def report(request, outcome_or_exc, done: str) -> bool:
    """A toast for a vendor write: the vendor's message on success ("2 numbers moved to
    group x"), its words on refusal. True when it worked."""
    if isinstance(outcome_or_exc, Exception):
        messages.error(request, f"Omilia refused: {vendor_words(outcome_or_exc)}")
        return False
    result = outcome_or_exc
    if getattr(result, "success", True) is False:
        messages.warning(request, f"Omilia: {result.message}")
        return False
    message = getattr(result, "message", "") or ""
    messages.success(request, f"{done} Omilia: {message}" if message else done)
    return True


def refresh_inventory(request, account) -> None:
    """Bring the local PhoneNumber/NumberSet rows in line with the vendor after a change
    there: the numbers app's sync job for this one account, run now (it records its
    SyncRun). A failed sync never hides that the vendor change worked: it says so, and
    the scheduled sync catches up."""
    from phone_numbers.tasks import sync_numbers

    summary = sync_numbers(account.pk)
    if str(summary).startswith("failed"):
        messages.warning(
            request,
            "The change is made at Omilia, but the local inventory could not be refreshed "
            f"yet ({summary}); the next sync will catch up.",
        )
