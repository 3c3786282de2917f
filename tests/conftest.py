"""Personas (admin, supervisor, viewer, anonymous) and shared fixtures."""

import os

import pytest
from django.test import Client

from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin-persona", role="Admin")


@pytest.fixture
def supervisor_user(db):
    return UserFactory(username="supervisor-persona", role="Supervisor")


@pytest.fixture
def viewer_user(db):
    return UserFactory(username="viewer-persona", role="Viewer")


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user):
    return _client_for(admin_user)


@pytest.fixture
def supervisor_client(supervisor_user):
    return _client_for(supervisor_user)


@pytest.fixture
def viewer_client(viewer_user):
    return _client_for(viewer_user)


@pytest.fixture
def anonymous_client(db):
    return Client()


PERSONAS = ["admin", "supervisor", "viewer", "anonymous"]


@pytest.fixture(params=PERSONAS)
def persona(request, db):
    """(name, user or None, client) for each persona in turn.

    Asks for `db` up front so pytest-django runs these tests with the other database
    tests, before any live-server (transactional) test flushes the role groups."""
    name = request.param
    if name == "anonymous":
        return name, None, request.getfixturevalue("anonymous_client")
    user = request.getfixturevalue(f"{name}_user")
    return name, user, _client_for(user)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a service or browser test that skips has not proved anything: fail it."""
    outcome = yield
    report = outcome.get_result()
    needs_service = item.get_closest_marker("services") or item.get_closest_marker("e2e")
    if IN_CI and needs_service and report.skipped and report.when in ("setup", "call"):
        report.outcome = "failed"
        report.longrepr = f"Skipped in CI, which counts as a failure: {report.longrepr}"
