"""Buying Omilia numbers through the pages, against the sandbox over HTTP: search by
country, area and pattern, a confirmation that lists the numbers, then one purchase per
token, whatever the browser sends again; a partial failure shown per number; and a lost
answer that is checked against the account's numbers instead of being re-sent."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from phone_numbers.models import OmiliaPurchase, PhoneNumber, PurchaseState
from phone_numbers.models.purchases import STALE_SENT_SECONDS
from telephony.models import SandboxConfig

from .omilia_pages import demo_omilia_account, page_text, sandbox_numbers, url, vendor_requests

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SEARCH = {"country": "US", "area": "202", "pattern": "", "provider": "twilio", "group": "dialdesk"}


@pytest.fixture
def account(live_server):
    return demo_omilia_account(live_server)


def offered(admin_client, account, **search) -> list[str]:
    response = admin_client.get(url("omilia_available", account, **{**SEARCH, **search}))
    assert response.status_code == 200
    return re.findall(r'name="numbers" value="(\+\d+)"', page_text(response))


def choose(admin_client, account, numbers, note="") -> OmiliaPurchase:
    response = admin_client.post(
        url("omilia_buy", account),
        {"numbers": numbers, "provider": "twilio", "group": "dialdesk", "note": note},
    )
    assert response.status_code == 302
    return OmiliaPurchase.objects.get(account=account, numbers=numbers)


def test_an_admin_buys_two_numbers_after_a_confirmation_and_a_double_submit_buys_nothing_more(
    admin_client, account
):
    offers = offered(admin_client, account)
    assert len(offers) == 5 and all(n.startswith("+1202") for n in offers)
    # The pattern narrows the offers to numbers containing its digits.
    five_five = offered(admin_client, account, pattern="555*0")
    assert five_five and all(re.search(r"555\d*0", n) for n in five_five)

    chosen = offers[:2]
    purchase = choose(admin_client, account, chosen, note="Journey lines")
    confirmation = admin_client.get(url("omilia_purchase", account, purchase.token))
    text = page_text(confirmation)
    assert "Buy 2 numbers" in text and all(number in text for number in chosen)
    # Step 2 sends nothing.
    assert vendor_requests(account, "PUT", "/api/numbers") == 0

    buy = url("omilia_purchase", account, purchase.token)
    done = admin_client.post(buy, follow=True)
    assert "Bought 2 number(s)." in page_text(done)
    again = admin_client.post(buy, follow=True)
    assert "already sent to Omilia; nothing was sent again" in page_text(again)

    assert vendor_requests(account, "PUT", "/api/numbers") == 1
    held = sandbox_numbers()
    assert all(held[n]["purchased"] and held[n]["note"] == "Journey lines" for n in chosen)
    purchase.refresh_from_db()
    assert purchase.state == PurchaseState.DONE
    assert [row["outcome"] for row in purchase.outcome_rows()] == ["bought", "bought"]
    # The inventory follows the vendor at once.
    assert set(
        PhoneNumber.objects.filter(account=account, number__in=chosen).values_list(
            "number", flat=True
        )
    ) == set(chosen)


def test_a_partial_failure_is_shown_per_number(admin_client, account):
    fresh = offered(admin_client, account)[0]
    owned = "+12025550143"  # a demo number the account already has
    purchase = choose(admin_client, account, [fresh, owned])
    page = admin_client.post(url("omilia_purchase", account, purchase.token), follow=True)
    text = page_text(page)
    assert "Bought 1 number(s); Omilia could not buy 1." in text
    assert re.search(rf'data-outcome="bought">\s*<td class="mono">\{fresh}', text)
    assert re.search(rf'data-outcome="failed">\s*<td class="mono">\{owned}', text)
    # The one not bought can be tried again, as a new purchase confirmed again.
    assert "Try again for the numbers not bought" in text


def test_a_lost_answer_is_checked_against_the_account_and_never_bought_twice(admin_client, account):
    chosen = offered(admin_client, account, area="201")[:2]
    purchase = choose(admin_client, account, chosen)
    config = SandboxConfig.for_vendor("omilia")
    config.account_faults = ["lost_purchase"]
    config.save()

    buy = url("omilia_purchase", account, purchase.token)
    lost = admin_client.post(buy, follow=True)
    assert "answer was lost" in page_text(lost)
    assert "Check with Omilia" in page_text(lost)
    purchase.refresh_from_db()
    assert purchase.state == PurchaseState.UNKNOWN

    # A reload or a second click sends nothing: the purchase is not pending any more.
    admin_client.post(buy)
    assert vendor_requests(account, "PUT", "/api/numbers") == 1

    config.account_faults = []
    config.save()
    checked = admin_client.post(url("omilia_purchase_check", account, purchase.token), follow=True)
    assert "2 of the 2 were bought" in page_text(checked)
    assert "Try again" not in page_text(checked)
    purchase.refresh_from_db()
    assert purchase.state == PurchaseState.DONE and purchase.purchased_numbers == chosen
    # Exactly one purchase at the sandbox, and the inventory has both.
    assert vendor_requests(account, "PUT", "/api/numbers") == 1
    assert all(sandbox_numbers()[n]["purchased"] for n in chosen)
    assert PhoneNumber.objects.filter(account=account, number__in=chosen).count() == 2


def test_a_vendor_refusal_is_shown_in_its_words_beside_the_field(admin_client, account):
    response = admin_client.get(url("omilia_available", account, **{**SEARCH, "group": "acme"}))
    form = response.context["form"]
    assert form.errors["group"] == ["Access denied to group acme"]


def test_a_purchase_left_sent_by_a_dead_request_is_checked_after_a_while_never_resent(
    admin_client, account
):
    chosen = offered(admin_client, account, area="203")[:1]
    purchase = choose(admin_client, account, chosen)
    admin_client.post(url("omilia_purchase", account, purchase.token))
    # As if the process had died between sending and recording the answer.
    OmiliaPurchase.objects.filter(pk=purchase.pk).update(state=PurchaseState.SENT, purchased=[])
    check = url("omilia_purchase_check", account, purchase.token)

    admin_client.post(check)  # just sent: its answer may still come
    purchase.refresh_from_db()
    assert purchase.state == PurchaseState.SENT

    with time_machine.travel(timezone.now() + timedelta(seconds=STALE_SENT_SECONDS + 5)):
        waiting = admin_client.get(url("omilia_purchase", account, purchase.token))
        assert "Omilia never answered this purchase" in page_text(waiting)
        admin_client.post(url("omilia_purchase", account, purchase.token))  # not pending
        admin_client.post(check)
    purchase.refresh_from_db()
    assert purchase.state == PurchaseState.DONE and purchase.purchased_numbers == chosen
    assert vendor_requests(account, "PUT", "/api/numbers") == 1
