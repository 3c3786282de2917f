"""The inventory's models: E.164 only, one number per account, usable(), and the
reversed-digits column that makes "ends with" an index range."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from phone_numbers.models import NumberSet, NumberStatus, PhoneNumber

from .numbers_support import add_numbers, myoperator_account

pytestmark = pytest.mark.django_db


def test_saving_a_number_fills_its_reversed_digits():
    number = PhoneNumber.objects.create(account=myoperator_account(), number="+919876543210")
    assert number.digits_reversed == "012345678919"


def test_the_database_refuses_a_number_that_is_not_e164():
    account = myoperator_account()
    with pytest.raises(IntegrityError), transaction.atomic():
        PhoneNumber.objects.create(account=account, number="09876543210")


def test_full_clean_refuses_an_invalid_number_in_words():
    number = PhoneNumber(account=myoperator_account(), number="+911234")
    with pytest.raises(ValidationError) as caught:
        number.full_clean()
    assert "not a valid phone number" in str(caught.value)


def test_an_account_holds_a_number_once_but_two_accounts_may_share_it():
    first, second = myoperator_account(), myoperator_account()
    PhoneNumber.objects.create(account=first, number="+919876543210")
    PhoneNumber.objects.create(account=second, number="+919876543210")
    with pytest.raises(IntegrityError), transaction.atomic():
        PhoneNumber.objects.create(account=first, number="+919876543210")


def test_set_vendor_ids_are_unique_per_account_but_blank_ones_may_repeat():
    account = myoperator_account()
    NumberSet.objects.create(account=account, name="A")
    NumberSet.objects.create(account=account, name="B")
    NumberSet.objects.create(account=account, name="C", vendor_id="s-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        NumberSet.objects.create(account=account, name="D", vendor_id="s-1")


def test_usable_numbers_are_active_and_not_flagged():
    account = myoperator_account()
    active, resting, spam, flagged = add_numbers(
        account, ["+919876543210", "+919876543211", "+919876543212", "+919876543213"]
    )
    PhoneNumber.objects.filter(pk=resting.pk).update(status=NumberStatus.RESTING)
    PhoneNumber.objects.filter(pk=spam.pk).update(status=NumberStatus.SPAM_LIKELY)
    PhoneNumber.objects.filter(pk=flagged.pk).update(health_flag="ASR 3% over 7 days")
    assert list(PhoneNumber.objects.usable()) == [active]


def test_search_matches_exact_begins_and_ends_with_digits_in_any_format():
    account = myoperator_account()
    a, b, c = add_numbers(account, ["+919876543210", "+919876500010", "+918041234567"])
    search = PhoneNumber.objects.search
    assert list(search("+91 98765 43210", "exact")) == [a]
    assert list(search("98765", "begins").order_by("pk")) == []  # begins after the "+"
    assert list(search("9198765", "begins").order_by("pk")) == [a, b]
    assert list(search("0010", "ends")) == [b]
    assert list(search("4567", "ends")) == [c]
    assert search("", "ends").count() == 3


def test_ends_with_reads_the_reversed_digits_index(django_assert_max_num_queries):
    account = myoperator_account()
    add_numbers(account, ["+919876543210"])
    sql = str(PhoneNumber.objects.search("3210", "ends").query)
    assert "digits_reversed" in sql and "LIKE" not in sql.upper()


def test_begins_and_ends_with_nines_have_no_upper_bound_and_still_match():
    account = myoperator_account()
    a, b = add_numbers(account, ["+919999999999", "+919876543999"])
    assert list(PhoneNumber.objects.search("99999", "begins")) == []
    assert list(PhoneNumber.objects.search("9199999", "begins")) == [a]
    assert list(PhoneNumber.objects.search("999", "ends").order_by("pk")) == [a, b]
    assert list(PhoneNumber.objects.search("3999", "ends")) == [b]
