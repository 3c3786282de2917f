"""Forms of the campaigns app: lists, DND, imports and push (lists.py); the campaign
builder (campaigns.py)."""

from .campaigns import CampaignForm, Catalogue, campaign_accounts, vendor_catalogue
from .lists import (
    ContactFilterForm,
    ContactForm,
    ContactListForm,
    DndAddForm,
    DndFilterForm,
    DndListForm,
    DndLookupForm,
    ImportMappingForm,
    ImportReadingForm,
    ImportUploadForm,
    PushForm,
    country_choices,
)

__all__ = [
    "CampaignForm",
    "Catalogue",
    "ContactFilterForm",
    "ContactForm",
    "ContactListForm",
    "DndAddForm",
    "DndFilterForm",
    "DndListForm",
    "DndLookupForm",
    "ImportMappingForm",
    "ImportReadingForm",
    "ImportUploadForm",
    "PushForm",
    "campaign_accounts",
    "country_choices",
    "vendor_catalogue",
]
