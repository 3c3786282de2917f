"""The Sandboxes page's switches for account-wide vendor errors (quota, billing, an IP
not allowed, ...): each one makes the simulator answer every request it applies to with
the vendor's documented error, until it is switched off."""

from django import forms

from .vendors.sandbox_kit import account_fault_choices


class AccountFaultsForm(forms.Form):
    account_faults = forms.MultipleChoiceField(
        label="Account-wide errors",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The vendor's own answer to every request these apply to.",
    )

    def __init__(self, *args, config, **kwargs):
        kwargs.setdefault("prefix", f"{config.vendor}-account")
        kwargs.setdefault("initial", {"account_faults": list(config.account_faults or [])})
        super().__init__(*args, **kwargs)
        self.config = config
        self.fields["account_faults"].choices = account_fault_choices(config.vendor)

    @property
    def has_choices(self) -> bool:
        return bool(self.fields["account_faults"].choices)

    def labels(self) -> list[str]:
        chosen = set(self.config.account_faults or [])
        return [label for key, label in self.fields["account_faults"].choices if key in chosen]

    def save(self):
        self.config.account_faults = list(self.cleaned_data["account_faults"])
        self.config.save(update_fields=["account_faults", "updated_at"])
        return self.config
