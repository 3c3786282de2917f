"""Helpers shared by the Omilia page tests (plain functions; fixtures live in each module)."""

from django.urls import reverse

from telephony.models import ProviderAccount, ProviderRequest, SandboxRecord
from telephony.vendors.omilia import sandbox


def demo_omilia_account(live_server) -> ProviderAccount:
    """The demo Omilia account on the live server's sandbox, with the demo numbers/sets."""
    sandbox.seed_demo()
    fields = sandbox.demo_account(f"{live_server.url}/sandbox")
    secrets = fields.pop("secrets")
    account = ProviderAccount(**fields)
    account.set_secrets(secrets)
    account.save()
    return account


def url(name, account, *args, **query) -> str:
    path = reverse(f"numbers:{name}", args=[account.pk, *args])
    if query:
        from urllib.parse import urlencode

        path += "?" + urlencode(query, doseq=True)
    return path


def sandbox_numbers() -> dict[str, dict]:
    """Every number the Omilia sandbox holds (EU1), by number."""
    return {
        rec.key: rec.data
        for rec in SandboxRecord.objects.filter(vendor="omilia", kind="number", tenant="eu1")
    }


def vendor_requests(account, method: str, endpoint: str) -> int:
    return ProviderRequest.objects.filter(account=account, method=method, endpoint=endpoint).count()


def page_text(response) -> str:
    return response.content.decode()
