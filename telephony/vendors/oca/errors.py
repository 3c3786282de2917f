"""OCA's documented error codes and whom each is about (DESIGN.md, "Vendor errors").

The v1 table of seeds/004 (codes 13-57, with the HTTP status each "corresponds with"),
plus the v2 gateway's codes 5, 9, 43 and 45 (vendor-contracts.md §5). client.classify
reads this table, the engine acts on each rule's `fault`, and the tests run one case
per row.

Code 39 (validation) is about the contact when what failed is the destination number or
an IVR variable (filled from the contact's fields), and about the campaign otherwise.
"""

from telephony.vendors.base import (
    AccountBlocked,
    AuthFailed,
    ErrorRule,
    Fault,
    RateLimited,
    Rejected,
    Unavailable,
)

DASHBOARD = "In the OCA dashboard (dashboard.ocatelkom.co.id)"
ACCOUNT_PAGE = "on its vendor account page"

ERRORS = [
    ErrorRule(
        "internal_error",
        "13",
        500,
        "Internal Error",
        Fault.TRANSIENT,
        "Nothing: OCA failed this once; the call is sent again in a few seconds.",
        error=Unavailable,
    ),
    ErrorRule(
        "invalid_credentials",
        "17",
        401,
        "Invalid Authentication Credentials",
        Fault.ACCOUNT,
        f"Enter the OCA dashboard login (username and password) {ACCOUNT_PAGE}.",
        error=AuthFailed,
    ),
    ErrorRule(
        "missing_authorization",
        "19",
        406,
        "Missing Authorization Header",
        Fault.ACCOUNT,
        f"Enter the OCA dashboard login {ACCOUNT_PAGE}: no credentials were sent.",
        error=AuthFailed,
    ),
    ErrorRule(
        "setting_not_exist",
        "33",
        404,
        "Setting Is Not Exist",
        Fault.ACCOUNT,
        "Choose an IVR (and caller-id number) this OCA account has in the campaign, then resume.",
        error=AccountBlocked,
    ),
    ErrorRule(
        "validation",
        "39",
        406,
        "[object]",
        Fault.CONTACT,
        "Fix the contact's number or the field its IVR variables are filled from; when "
        "another field is named, fix the campaign.",
        error=Rejected,
    ),
    ErrorRule(
        "user_not_exist",
        "41",
        404,
        "User Is Not Exist",
        Fault.ACCOUNT,
        f"{DASHBOARD}, check the login's user settings, or ask OCA to set the user up.",
        error=AccountBlocked,
    ),
    ErrorRule(
        "account_expired",
        "51",
        401,
        "Account Expired",
        Fault.ACCOUNT,
        "Ask OCA to renew the account, then resume.",
        error=AccountBlocked,
    ),
    ErrorRule(
        "quota_not_enough",
        "55",
        401,
        "Your Quota Is not Enough",
        Fault.ACCOUNT,
        f"{DASHBOARD}, top up the call quota, then resume.",
        error=AccountBlocked,
    ),
    ErrorRule(
        "concurrent_limit",
        "57",
        401,
        "Reached Maximum Concurrent Call Limit",
        Fault.TRANSIENT,
        "Nothing: calls wait until one of the account's live calls ends. Lower the "
        "campaign's pace, or ask OCA for more concurrent calls.",
        error=RateLimited,
    ),
    # The v2 gateway's codes (not in the v1 table; the client reads them the same way).
    ErrorRule(
        "low_balance",
        "5",
        401,
        "Low balance",
        Fault.ACCOUNT,
        f"{DASHBOARD}, top up the balance, then resume.",
        match="balance",
        error=AccountBlocked,
    ),
    ErrorRule(
        "too_many_requests",
        "9",
        429,
        "Too Many Request",
        Fault.TRANSIENT,
        "Nothing: requests slow down to OCA's 25 a second.",
        error=RateLimited,
    ),
    ErrorRule(
        "token_not_supplied",
        "43",
        401,
        "Auth token is not supplied",
        Fault.ACCOUNT,
        f"Enter the OCA login {ACCOUNT_PAGE}.",
        error=AuthFailed,
    ),
    ErrorRule(
        "token_not_valid",
        "45",
        401,
        "Auth token is not valid",
        Fault.ACCOUNT,
        f"Enter the OCA login {ACCOUNT_PAGE}.",
        error=AuthFailed,
    ),
]
BY_CODE = {int(rule.code): rule for rule in ERRORS}

# Code 39 names the invalid fields; these are filled from the contact.
CONTACT_PARAMS = ("to_number", "variable")


def rule_for(code) -> ErrorRule | None:
    return BY_CODE.get(code) if isinstance(code, int) else None


def validation_fault(items) -> Fault:
    """Code 39: about the contact when every invalid field is the destination number or an
    IVR variable, else about the campaign."""
    params = [
        str(item.get("param") or item.get("path") or "")
        for item in (items if isinstance(items, list) else [items])
        if isinstance(item, dict)
    ]
    if params and all(param.startswith(CONTACT_PARAMS) for param in params):
        return Fault.CONTACT
    return Fault.ACCOUNT
