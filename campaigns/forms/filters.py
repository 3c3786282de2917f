"""The filter bars of the campaign index and a campaign's attempts, as forms so that
components/filter_bar.html draws them like every other list's. The views validate the
query string themselves and pass the values they kept as `initial`."""

from django import forms

from ..models import Campaign, CampaignAttempt


class CampaignFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": "Campaign, account or list name",
                "autocomplete": "off",
            }
        ),
    )
    state = forms.ChoiceField(
        label="State",
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="campaign-%s", **kwargs)
        self.fields["state"].choices = [("", "Any state"), *Campaign.index_states().items()]


class AttemptFilterForm(forms.Form):
    number = forms.CharField(
        label="Number",
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": "Digits of the number",
                "inputmode": "tel",
            }
        ),
    )

    status = forms.ChoiceField(
        label="Status",
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, auto_id="attempt-%s", **kwargs)
        self.fields["status"].choices = [
            ("", "Any status"),
            ("open", "Still open (queued, dialing, placed)"),
            *CampaignAttempt.Status.choices,
        ]
