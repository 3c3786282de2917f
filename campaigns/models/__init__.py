"""The campaigns app's models, one module per area."""

from .caller_ids import CallerIdDay
from .campaigns import (
    CallerSource,
    CallerStrategy,
    Campaign,
    CampaignAttempt,
    CampaignTarget,
    placeholders,
    render_template,
)
from .catalogue import ivr_renames  # connects its signal receivers
from .imports import ImportJob
from .lists import (
    PAGE_SIZE,
    Contact,
    ContactList,
    DndEntry,
    DndList,
    KeysetPage,
    keyset_page,
    number_query,
)
from .pushes import VendorPush

__all__ = [
    "CallerIdDay",
    "CallerSource",
    "CallerStrategy",
    "Campaign",
    "CampaignAttempt",
    "CampaignTarget",
    "placeholders",
    "render_template",
    "PAGE_SIZE",
    "Contact",
    "ContactList",
    "DndEntry",
    "DndList",
    "ImportJob",
    "ivr_renames",
    "KeysetPage",
    "VendorPush",
    "keyset_page",
    "number_query",
]
