"""MyOperator's documented errors and whom each is about (DESIGN.md, "Vendor errors").

OBD: the error table of seeds/000 (the HTTP status mirrored as a string `code`, the words
in `details`) plus the AWS gateway's 403 for a bad x-api-key. REST: seeds/001 says only
that errors carry `code` and `message`; the one captured message is the bad token's
(vendor-contracts.md §2). contract.classify_obd / classify_rest read these tables, the
engine acts on each rule's `fault`, and the tests run one case per row.

About this contact: the number itself (invalid) or its daily limit at the vendor (it
waits for its next local day). About the account or campaign: everything that would fail
every call the same way, so the campaign pauses and consumes no number.
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


class DuplicateReference(Rejected):
    """OBD refused a reference_id it has seen in the last ~2 days ("already taken").

    After a timeout, re-sending the SAME reference_id is how to find out whether the
    first attempt reached the vendor: this error then means it did."""

    kind = "duplicate reference id"

    def __init__(self, message, *, remaining_ttl: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.remaining_ttl = remaining_ttl


SUPPORT = "Ask MyOperator support"
CAMPAIGN = "Dialdesk sent a request this account does not accept; check the campaign's"

OBD_ERRORS = [
    ErrorRule(
        "invalid_number",
        "400",
        400,
        "Provide valid Number in string format",
        Fault.CONTACT,
        "The contact's number is not one MyOperator dials (E.164 with +); fix it in "
        "the contact list.",
        error=Rejected,
    ),
    ErrorRule(
        "invalid_agent_number",
        "400",
        400,
        "Provide valid Agent Number in string format",
        Fault.ACCOUNT,
        f"{CAMPAIGN} agent number (number_2).",
        error=Rejected,
    ),
    ErrorRule(
        "invalid_type",
        "400",
        400,
        "Provide valid type in string format",
        Fault.ACCOUNT,
        f"{CAMPAIGN} call type (1 peer-to-peer, 2 IVR).",
        error=Rejected,
    ),
    ErrorRule(
        "user_and_number_2",
        "400",
        400,
        "Provide only one a Valid user_id or number_2 in string format",
        Fault.ACCOUNT,
        f"{CAMPAIGN} agent: a user id or a second number, not both.",
        match="provide only one",
        error=Rejected,
    ),
    ErrorRule(
        "no_user_or_number_2",
        "400",
        400,
        "Provide either a Valid user_id or number_2 in string format",
        Fault.ACCOUNT,
        f"{CAMPAIGN} agent: the panel user id is unknown to MyOperator.",
        match="provide either",
        error=Rejected,
    ),
    ErrorRule(
        "invalid_secret_token",
        "400",
        400,
        "Provide valid secret_token in string format",
        Fault.ACCOUNT,
        "Enter the account's OBD secret token on its vendor account page.",
        error=AuthFailed,
    ),
    ErrorRule(
        "ip_unauthorized",
        "403",
        403,
        "Your IP is unauthorized access denied",
        Fault.ACCOUNT,
        f"{SUPPORT} to add this server's IP address to the account's allowed IPs.",
        match="ip is unauthorized",
        error=AccountBlocked,
    ),
    ErrorRule(
        "anonymous_disabled",
        "403",
        403,
        "Your annonymous feature is not enabled",  # sic: the vendor's spelling
        Fault.ACCOUNT,
        f"{SUPPORT} to enable anonymous dial (number_2), or dial a panel user instead.",
        match="feature is not enabled",
        error=AccountBlocked,
    ),
    ErrorRule(
        "type_not_allowed",
        "403",
        403,
        "User_id or number_2(agent_number) not allowed for this type",
        Fault.ACCOUNT,
        f"{CAMPAIGN} call type: an IVR call takes no agent.",
        match="not allowed for this type",
        error=Rejected,
    ),
    ErrorRule(
        "reference_taken",
        "403",
        403,
        "Kindly choose any other reference ID, it has been already taken. "
        "Reference ID remaining_ttl x seconds",
        Fault.CONTACT,
        "Nothing: the vendor already has this call (an earlier send went through), so "
        "the engine waits for its outcome instead of dialling again.",
        match="already taken",
        error=DuplicateReference,
    ),
    ErrorRule(
        "billing_expired",
        "403",
        403,
        "Your billing usage has been Expired.",
        Fault.ACCOUNT,
        f"{SUPPORT} or your account manager to renew the billing plan, then resume.",
        match="billing usage has been expired",
        error=AccountBlocked,
    ),
    ErrorRule(
        "number_daily_limit",
        "403",
        403,
        "Maximum number of requests for this number have exceeded.",
        Fault.CONTACT,
        "Nothing: MyOperator allows only a few calls a day to one number; this number "
        f"is called again on its next local day. {SUPPORT} to raise the limit.",
        match="maximum number of requests for this number",
        next_day=True,
        error=Rejected,
    ),
    ErrorRule(
        "unknown_ivr",
        "404",
        404,
        "Provide valid public_ivr_id in string format",
        Fault.ACCOUNT,
        "Choose an IVR this MyOperator account has (the public IVR id from the panel) "
        "in the campaign, then resume.",
        match="public_ivr_id",
        error=AccountBlocked,
    ),
    ErrorRule(
        "company_details_incomplete",
        "500",
        500,
        "We are unable to process your request due to incomplete company_details",
        Fault.ACCOUNT,
        f"{SUPPORT}: the company's configuration at MyOperator is incomplete.",
        match="incomplete company_details",
        error=AccountBlocked,
    ),
    ErrorRule(
        "invalid_api_key",
        "403",
        403,
        "Forbidden",  # the AWS gateway's body, type INVALID_API_KEY (seed 000)
        Fault.ACCOUNT,
        "Enter the account's OBD x-api-key on its vendor account page.",
        match="forbidden",
        error=AuthFailed,
    ),
    ErrorRule(
        "server_error",
        "500",
        500,
        "Internal Error -- We had a problem with our server.",
        Fault.TRANSIENT,
        "Nothing: the call is sent again, with the same reference id, in a few seconds.",
        match="problem with our server",
        error=Unavailable,
    ),
]

REST_ERRORS = [
    ErrorRule(
        "unauthorized",
        "400",
        400,
        "This not an authorized request",
        Fault.ACCOUNT,
        "Enter the account's REST API token (Manage -> API integration) on its vendor "
        "account page.",
        match="not an authorized request",
        error=AuthFailed,
    ),
    ErrorRule(
        "unknown_method",
        "404",
        404,
        "Unknown method.",
        Fault.ACCOUNT,
        "The account's REST base URL is wrong: use https://developers.myoperator.co "
        "without a /search prefix.",
        match="unknown method",
        error=AccountBlocked,
    ),
    ErrorRule(
        "rate_limited",
        "429",
        429,
        "Too Many Requests",
        Fault.TRANSIENT,
        "Nothing: the request is retried after the vendor's Retry-After.",
        match="too many requests",
        error=RateLimited,
    ),
    ErrorRule(
        "server_error",
        "500",
        500,
        "Internal Server Error",
        Fault.TRANSIENT,
        "Nothing: reads are retried with backoff.",
        match="internal server error",
        error=Unavailable,
    ),
]

# Undocumented OBD answers: a 4xx the table does not know is read as being about the
# campaign or the account (the contact-level ones are documented, and Dialdesk checks
# the number before sending), so an unknown refusal pauses instead of failing numbers.
UNDOCUMENTED_HINT = (
    "MyOperator gave an answer its documents do not list. Check the campaign and the "
    f"account; {SUPPORT} if it persists."
)


def obd_rule(code: int, message: str) -> ErrorRule | None:
    """The documented OBD error with this code whose words are in `message`."""
    return next(
        (rule for rule in OBD_ERRORS if rule.status == code and rule.matches(message)), None
    )


def rest_rule(code: int, message: str) -> ErrorRule | None:
    return next((rule for rule in REST_ERRORS if rule.matches(message)), None)
