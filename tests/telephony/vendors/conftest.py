"""Vendor clients are tested against their sandboxes over real HTTP (a live server)."""

import pytest

from telephony.models import ProviderAccount, ProviderRequest, SandboxConfig


@pytest.fixture
def sandbox_url(live_server):
    """Base URL of the simulators, e.g. http://localhost:PORT/sandbox."""
    return f"{live_server.url}/sandbox"


@pytest.fixture
def make_account(transactional_db):
    """Create a ProviderAccount: make_account("oca", base_url=…, config={…}, secrets={…})."""

    def make(kind, *, name=None, base_url="", config=None, secrets=None, is_active=True):
        account = ProviderAccount(
            kind=kind,
            name=name or f"{kind} test account {ProviderAccount.objects.count() + 1}",
            base_url=base_url,
            config=config or {},
            is_active=is_active,
        )
        account.set_secrets(secrets or {})
        account.save()
        return account

    return make


@pytest.fixture
def sandbox_config(transactional_db):
    """Set a simulator's fault injection: sandbox_config("oca", error_rate=1.0)."""

    def configure(vendor, **fields):
        config = SandboxConfig.for_vendor(vendor)
        for name, value in fields.items():
            setattr(config, name, value)
        config.save()
        return config

    return configure


@pytest.fixture
def audit_rows():
    """The audit rows written for an account, oldest first."""

    def rows(account):
        return list(ProviderRequest.objects.filter(account=account).order_by("created_at", "id"))

    return rows
