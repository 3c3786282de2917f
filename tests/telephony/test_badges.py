"""Capability badges on account pages claim only what a user can do: each links to the
page where it is done, that page opens for an admin, and a feature whose page does not
exist is not claimed."""

import re

import pytest
from django.urls import reverse

from telephony.vendors import registry
from tests.factories import ProviderAccountFactory

BADGE_LINK = re.compile(r'<a class="badge[^"]*capability-badge" href="([^"]+)"')

ACCOUNTS = {
    "myoperator": {"config": {"company_id": "demo"}},
    "cpaas": {"config": {"account": "account_1"}},
    "omilia": {"config": {"region": "EU1", "username": "demo"}},
    "oca": {"config": {"username": "demo"}},
}


def badge_links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in BADGE_LINK.findall(html)]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(ACCOUNTS))
def test_every_badge_on_an_account_page_links_to_a_page_an_admin_can_open(admin_client, kind):
    account = ProviderAccountFactory(kind=kind, **ACCOUNTS[kind])

    detail = admin_client.get(reverse("telephony:account_detail", args=[account.pk]))
    index = admin_client.get(reverse("telephony:account_index"))

    links = badge_links(detail.content.decode())
    assert len(links) == len(registry.feature_badges(kind, account)) > 0
    assert set(links) <= set(badge_links(index.content.decode()))
    for link in links:
        response = admin_client.get(link.split("#")[0])
        assert response.status_code == 200, f"{kind} badge {link}: {response.status_code}"


@pytest.mark.django_db
def test_a_feature_whose_page_does_not_exist_is_not_claimed(admin_client, monkeypatch):
    features = {
        "oca": [
            registry.Feature("Audio library", "Audio", "telephony:audio_index", "pk"),
            registry.Feature("Teleportation", "Teleport", "telephony:teleport_index", "pk"),
        ]
    }
    monkeypatch.setattr(registry, "FEATURES", features)
    account = ProviderAccountFactory(kind="oca")

    html = admin_client.get(reverse("telephony:account_detail", args=[account.pk])).content
    html = html.decode()

    assert badge_links(html) == [reverse("telephony:audio_index", args=[account.pk])]
    assert "Teleportation" not in html


@pytest.mark.django_db
def test_live_control_is_claimed_only_for_a_cpaas_account_with_its_ari_login():
    plain = ProviderAccountFactory(kind="cpaas", config={"account": "account_1"})
    ari = ProviderAccountFactory(
        kind="cpaas",
        config={"account": "account_1", "ari_username": "ari"},
        secrets={"ari_password": "secret"},
    )

    def labels(account):
        return [badge["short"] for badge in registry.feature_badges("cpaas", account)]

    assert "Live counts" in labels(plain) and "Live calls" not in labels(plain)
    assert "Live calls" in labels(ari) and "Live counts" not in labels(ari)
