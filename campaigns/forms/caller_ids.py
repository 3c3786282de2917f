"""The builder's caller-id fields (issue 12): choices from the number inventory for every
vendor, and for Dialdesk's own engine (MyOperator OBD, OCA) a rotation over a number
set or a pool, with its strategy. Mixed into CampaignForm.

The choices are the account's inventory numbers (E.164; the engine sends each vendor
its own form), then what the account's catalogue lists that the inventory lacks (as
kept before the inventory), then a saved value found in neither. With nothing to
choose, the field says so and links to Numbers; CPaaS then still takes typed digits,
so a campaign can be built before an admin fills the inventory."""

from django import forms
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from campaigns.models import CallerSource, CallerStrategy

# A select of more is unusable; pools that large are a set's job.
MAX_CHOICES = 2000
ROTATING_VENDORS = ("myoperator", "oca")
ROTATION_FIELDS = ("caller_source", "caller_strategy", "caller_set", "caller_pool")


def numbers_link() -> str:
    try:
        return reverse("numbers:number_index")
    except NoReverseMatch:  # pragma: no cover (the Numbers app is always routed)
        return "/numbers/"


def empty_inventory_help():
    return format_html(
        'No caller ids in the inventory for this account: add them under <a href="{}">Numbers</a>.',
        numbers_link(),
    )


def number_label(number) -> str:
    details = [part for part in (number.region, number.group and f"group {number.group}") if part]
    label = number.number + (f" · {', '.join(details)}" if details else "")
    if number.status != "active":
        label += f" ({number.get_status_display().lower()}: skipped)"
    elif number.health_flag:
        label += " (flagged: skipped)"
    return label


class PoolChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return number_label(obj)


class CallerIdFields:
    """CampaignForm's caller-id fields (self.account, self.vendor, self.catalogue)."""

    def _caller_id_fields(self):
        from phone_numbers.models import NumberSet, PhoneNumber

        self.fields["caller_source"].widget = forms.RadioSelect(
            choices=self.fields["caller_source"].choices[1:]
            if self.fields["caller_source"].choices[0][0] == ""
            else self.fields["caller_source"].choices
        )
        self.fields["caller_set"] = forms.ModelChoiceField(
            queryset=NumberSet.objects.none(),
            required=False,
            label="Number set",
            empty_label="Choose a set",
        )
        self.fields["caller_pool"] = PoolChoiceField(
            queryset=PhoneNumber.objects.none(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Pool",
        )
        if not self.vendor:
            return
        account = self.account
        numbers = PhoneNumber.objects.filter(account=account).order_by("number")
        inventory = list(numbers[:MAX_CHOICES])
        self.inventory_empty = not inventory
        if self.vendor in ROTATING_VENDORS:
            self.fields["caller_set"].queryset = NumberSet.objects.filter(account=account)
            self.fields["caller_pool"].queryset = PhoneNumber.objects.filter(
                account=account
            ).order_by("number")
        in_inventory = {number.number for number in inventory}
        catalogue = [str(n) for n in self.catalogue.numbers if str(n) not in in_inventory]
        saved = str(self.instance.caller_id or "")
        if self.vendor == "oca":
            # The vendor's list may not load: a posted number stays choosable.
            saved = str(self._value("caller_id") or "") or saved
        if self.vendor == "cpaas" and not inventory and not catalogue:
            field = self.fields["caller_id"]
            field.help_text = format_html("{} Meanwhile, type the digits.", empty_inventory_help())
            return
        choices = [(number.number, number_label(number)) for number in inventory]
        choices += [(value, f"{value} (the account's catalogue)") for value in catalogue]
        if saved and saved not in in_inventory and saved not in catalogue:
            choices.append((saved, f"{saved} (not in the inventory)"))
        blank = {
            "myoperator": "Any: MyOperator picks by group or region",
            "oca": "Choose a number",
        }.get(self.vendor, "Choose a caller id")
        self.fields["caller_id"] = forms.ChoiceField(
            choices=[("", blank), *choices],
            required=False,
            label="Caller id",
            help_text=empty_inventory_help() if not inventory else "",
        )

    def rotation_shown(self) -> set[str]:
        return set(ROTATION_FIELDS) if self.vendor in ROTATING_VENDORS else set()

    def clean(self):
        data = super().clean()
        if self.vendor not in ROTATING_VENDORS:
            return data
        source = data.get("caller_source") or CallerSource.ONE
        if source == CallerSource.SET and not data.get("caller_set"):
            self.add_error("caller_set", "Choose the number set to rotate over.")
        if source == CallerSource.POOL and not data.get("caller_pool"):
            self.add_error("caller_pool", "Choose at least one number for the pool.")
        strategy = data.get("caller_strategy")
        if (
            source != CallerSource.ONE
            and strategy == CallerStrategy.PREFERENCE
            and self.vendor == "myoperator"
            and not (data.get("caller_id") or data.get("caller_group") or data.get("caller_region"))
        ):
            self.add_error(
                "caller_strategy",
                "MyOperator's order needs a caller id, a group or a region to prefer.",
            )
        return data
