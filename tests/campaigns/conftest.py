"""Fixtures shared by the import tests: uploads stored in a fresh folder, and the list
they go into."""

import pytest

from campaigns.models import ContactList


@pytest.fixture
def media(settings, tmp_path):
    """MEDIA_ROOT in this test's own folder (modules opt in with usefixtures)."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def contact_list(db):
    return ContactList.objects.create(name="Customers", default_country="IN")
