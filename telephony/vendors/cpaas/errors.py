"""CPaaS's errors and whom each is about (DESIGN.md, "Vendor errors").

Seed 002 documents success bodies only; the error envelope and words are GUESSES
(vendor-contracts.md §3), the same ones the simulator answers with (sandbox_base.ERRORS).
validation.classify reads this table; the tests run one case per row. CPaaS runs its
campaigns itself, so these errors meet Dialdesk when it pushes lists, creates, stops or
reads a campaign, or places a one-off call.
"""

from telephony.vendors.base import (
    AuthFailed,
    ErrorRule,
    Fault,
    RateLimited,
    Rejected,
    Unavailable,
)

FIELD_HINT = "Fix the field the vendor names in the campaign (or the call), then try again."

ERRORS = [
    ErrorRule(
        "auth",
        "401",
        401,
        "Invalid account or auth",
        Fault.ACCOUNT,
        "Enter the CPaaS account id and auth token on its vendor account page.",
        error=AuthFailed,
    ),
    ErrorRule(
        "required",
        "400",
        400,
        "{field} is required",
        Fault.ACCOUNT,
        FIELD_HINT,
        match=" is required",
        error=Rejected,
    ),
    ErrorRule(
        "invalid",
        "400",
        400,
        "{field} is invalid",
        Fault.ACCOUNT,
        FIELD_HINT + " When the field is the destination number, only that number fails.",
        match=" is invalid",
        error=Rejected,
    ),
    ErrorRule(
        "exists",
        "400",
        400,
        "{field} already exists",
        Fault.ACCOUNT,
        "Nothing for a campaign Dialdesk created: it takes the existing one. Otherwise rename it.",
        match="already exists",
        error=Rejected,
    ),
    ErrorRule(
        "future",
        "400",
        400,
        "{field} must be a future date and time",
        Fault.ACCOUNT,
        "Move the campaign's start (or the callback's time) into the future.",
        match="must be a future",
        error=Rejected,
    ),
    ErrorRule(
        "end_before_start",
        "400",
        400,
        "campaign_end_date must be after campaign_start_date",
        Fault.ACCOUNT,
        "Set the campaign's end after its start.",
        error=Rejected,
    ),
    ErrorRule(
        "processed",
        "400",
        400,
        "callback request already processed",
        Fault.CONTACT,
        "Nothing: that callback has already been dialled.",
        error=Rejected,
    ),
    ErrorRule(
        "completed",
        "400",
        400,
        "campaign already completed",
        Fault.ACCOUNT,
        "Nothing: the vendor's campaign has ended.",
        error=Rejected,
    ),
    ErrorRule(
        "not_answered",
        "400",
        400,
        "channel is not answered",
        Fault.CONTACT,
        "Nothing: that call is no longer live.",
        error=Rejected,
    ),
    ErrorRule(
        "not_found",
        "404",
        404,
        "{field} not found",
        Fault.ACCOUNT,
        "The vendor has no such list, campaign or request: check the account and the id.",
        match=" not found",
        error=Rejected,
    ),
    ErrorRule(
        "bad_json",
        "400",
        400,
        "invalid json body",
        Fault.ACCOUNT,
        "Dialdesk sent a body the vendor cannot read: report it.",
        error=Rejected,
    ),
    ErrorRule(
        "method",
        "405",
        405,
        "method not allowed",
        Fault.ACCOUNT,
        "Check the account's base URL: it does not point at the CPaaS API.",
        error=Rejected,
    ),
    ErrorRule(
        "server_error",
        "500",
        500,
        "internal server error",
        Fault.TRANSIENT,
        "Nothing: reads are retried with backoff; a create looks its name up first.",
        error=Unavailable,
    ),
    ErrorRule(
        "rate_limited",
        "429",
        429,
        "too many requests",
        Fault.TRANSIENT,
        "Nothing: the request is retried after the vendor's Retry-After.",
        error=RateLimited,
    ),
]

# A missing or invalid field that is the contact's number is about that contact.
CONTACT_FIELDS = ("destination_number", "customer_number", "contact_number", "number")


def rule_for(status: int, message: str) -> ErrorRule | None:
    lowered = (message or "").lower()
    for rule in ERRORS:
        if rule.status == status and (rule.match or rule.message.lower()) in lowered:
            return rule
    return None


def fault_for(rule: ErrorRule, message: str) -> Fault:
    if rule.key in ("required", "invalid"):
        field = (message or "").split(" ", 1)[0].strip().lower()
        if field in CONTACT_FIELDS:
            return Fault.CONTACT
    return rule.fault
