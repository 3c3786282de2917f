"""The MyOperator simulator's developers REST API (https://developers.myoperator.co):
/search, /filters, /user, /clickOcall, /recordings/link, and "Unknown method." for the
rest. Bodies the sources leave open are GUESSes marked as such (vendor-contracts.md §2)."""

import re
from datetime import datetime

from django.core import signing
from django.http import HttpResponse, QueryDict
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from telephony.vendors.sandbox_kit import now, sandbox_view

from .sandbox import (
    AUDIO_SALT,
    COMPANY,
    DIGITS,
    MAX_PAGE_SIZE,
    RECORDING_LINK_SECONDS,
    REST_FAULTS,
    create_call,
    rest_error,
    rest_ok,
    rest_view,
)
from .sandbox_logs import (
    DIDS,
    FILTERS,
    VENDOR,
    FilterSyntaxError,
    completed_logs,
    parse_filters,
    search_text,
)
from .sandbox_users import (
    clean_user_fields,
    conflict,
    create_user,
    find_user,
    parse_int,
    public_user,
    store,
    users_by_uuid,
    users_qs,
)


def _audio_url(request) -> str:
    return request.build_absolute_uri(reverse("myoperator-recording-file"))


@rest_view
@require_POST
def search(request, params):
    """POST /search: the company's call logs, newest first, `log_from`/`page_size` paged."""
    try:
        page_size = parse_int(params.get("page_size"), 20)
        log_from = parse_int(params.get("log_from"), 0)
    except ValueError:
        return rest_error("Invalid pagination parameters", 400, http_status=200)  # GUESS
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        return rest_error(f"page_size should be between 1 and {MAX_PAGE_SIZE}", 400, 200)
    window = {}
    for name in ("from", "to"):
        try:
            window[name] = parse_int(params.get(name))
        except ValueError:
            return rest_error(f"Invalid {name} date", 400, http_status=200)  # GUESS
    predicate = None
    if str(params.get("filters") or "").strip():
        try:
            predicate = parse_filters(str(params["filters"]))
        except FilterSyntaxError:
            return rest_error("Invalid filters", 400, http_status=200)  # GUESS
    at = now()
    since = datetime.fromtimestamp(window["from"], at.tzinfo) if window["from"] else None
    until = datetime.fromtimestamp(window["to"], at.tzinfo) if window["to"] else None
    records = completed_logs(COMPANY, at, users_by_uuid(COMPANY), _audio_url(request), since, until)
    key = str(params.get("search_key") or "").strip().lower()
    key_digits = re.sub(r"\D", "", key) if re.fullmatch(r"[\d+\s-]+", key or "x") else ""
    selected = []
    for source in records:
        if window["from"] is not None and source["start_time"] < window["from"]:
            continue
        if window["to"] is not None and source["start_time"] > window["to"]:
            continue
        if predicate and not predicate(source):
            continue
        if key:
            text = search_text(source)
            if key not in text and not (key_digits and key_digits in re.sub(r"\D", "", text)):
                continue
        selected.append(source)
    hits = [
        {
            "_index": "latestlogs",
            "_type": "logs",
            "user_id": source["allcaller_id"],
            "_score": 1.0,
            "_source": source,
        }
        for source in selected[log_from : log_from + page_size]
    ]
    return rest_ok(data={"total": len(selected), "max_score": None, "hits": hits})


@rest_view
@require_GET
def filters(request, params):
    """GET /filters: categories (parent_id "0") and the filters inside them."""
    return rest_ok(
        data=[{"id": id_, "name": name, "parent_id": parent} for id_, name, parent in FILTERS]
    )


@rest_view
@require_http_methods(["GET", "POST", "PUT"])
def user(request, params):
    """GET lists users (keyword, page, page-size, _all), POST adds one, PUT updates one."""
    if request.method == "POST":
        return _add_user(params)
    if request.method == "PUT":
        return _update_user(params)
    users = [record.data for record in users_qs(COMPANY)]
    keyword = str(params.get("keyword") or "").strip().lower()
    if keyword:
        fields = ("name", "email", "contact_number", "alternate_number", "extension", "uuid")
        users = [u for u in users if any(keyword in str(u.get(f, "")).lower() for f in fields)]
    if str(params.get("_all") or "") in ("1", "true"):
        return rest_ok(data=[public_user(u) for u in users], next_page=None)
    try:
        page = parse_int(params.get("page"), 1)
        size = parse_int(params.get("page-size"), 20)
    except ValueError:
        return rest_error("Invalid pagination parameters", 400, http_status=200)  # GUESS
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        return rest_error(f"page-size should be between 1 and {MAX_PAGE_SIZE}", 400, 200)
    chunk = users[(page - 1) * size : page * size]
    # GUESS: a top-level next_page, as one public client reads.
    next_page = page + 1 if page * size < len(users) else None
    return rest_ok(data=[public_user(u) for u in chunk], next_page=next_page)


def _add_user(params):
    cleaned, problem = clean_user_fields(params, creating=True)
    if problem:
        return rest_error(problem, 400)
    clash = conflict(COMPANY, cleaned)
    if clash:
        return rest_error(clash, 400, http_status=200)
    return rest_ok(data=public_user(create_user(COMPANY, cleaned)))  # GUESS: the user


def _update_user(params):
    uuid = str(params.get("uuid") or "").strip()
    if not uuid:
        return rest_error("uuid is required", 400)
    record = users_qs(COMPANY).filter(key=uuid).first()
    if record is None:
        return rest_error("User not found", 404, http_status=200)
    cleaned, problem = clean_user_fields(params, creating=False)
    if problem:
        return rest_error(problem, 400)
    clash = conflict(COMPANY, cleaned, exclude_uuid=uuid)
    if clash:
        return rest_error(clash, 400, http_status=200)
    record.data = store(dict(record.data), cleaned)
    record.save(update_fields=["data", "updated_at"])
    return rest_ok(message="User updated successfully")  # GUESS: "the success message"


@rest_view
@require_POST
def click_to_call(request, params):
    """POST /clickOcall: ring the support user and connect the customer (GUESS bodies)."""
    number = str(params.get("customer_number") or "").strip()
    country = str(params.get("customer_cc") or "").strip().lstrip("+")
    support_user_id = str(params.get("support_user_id") or "").strip()
    for name, value in (
        ("customer_number", number),
        ("customer_cc", country),
        ("support_user_id", support_user_id),
    ):
        if not value:
            return rest_error(f"{name} is required", 400)
    if not DIGITS.match(number) or not DIGITS.match(country):
        return rest_error("Invalid customer number", 400)
    support = find_user(COMPANY, support_user_id)
    if support is None:
        return rest_error("Invalid support_user_id", 404, http_status=200)
    call = create_call(
        company=COMPANY,
        kind="clickocall",
        number=f"+{country}{number}",
        did=DIDS[0][2],
        params={"user_uuid": support["uuid"], "support_user_id": support_user_id},
    )
    return rest_ok(message="Call initiated successfully", data={"unique_id": call.call_id})


@rest_view
@require_GET
def recording_link(request, params):
    """GET /recordings/link?file=…: a signed link, valid 24 h, to an answered call's audio."""
    from telephony.models import SandboxCall

    file = str(params.get("file") or "").strip()
    if not file:
        return rest_error("file is required", 400)
    call = SandboxCall.objects.filter(vendor=VENDOR, tenant=COMPANY, params__recording=file).first()
    state = call.state() if call else None
    if not state or state["phase"] != "completed" or state["outcome"] != "answered":
        return rest_error("Recording not found", 404, http_status=200)  # GUESS
    signature = signing.TimestampSigner(salt=AUDIO_SALT).sign(file).rsplit(":", 2)
    query = QueryDict(mutable=True)
    query.update({"file": file, "ts": signature[1], "sig": signature[2]})
    # GUESS for the body: the link as `data` (clients take the first URL anywhere).
    return rest_ok(data=f"{_audio_url(request)}?{query.urlencode()}")


@sandbox_view(VENDOR, REST_FAULTS)
@require_GET
def recording_file(request):
    """The audio behind a recording link (a second of silence), or the panel's refusal."""
    file, stamp, sig = (request.GET.get(name, "") for name in ("file", "ts", "sig"))
    if not sig:
        # A log's `fileurl` opens the panel player, which needs a logged-in session.
        return HttpResponse(
            "Log in to the MyOperator panel to play this recording.",
            status=403,
            content_type="text/plain",
        )
    try:
        signing.TimestampSigner(salt=AUDIO_SALT).unsign(
            f"{file}:{stamp}:{sig}", max_age=RECORDING_LINK_SECONDS
        )
    except signing.BadSignature:
        return HttpResponse(
            "This recording link has expired.", status=403, content_type="text/plain"
        )
    return HttpResponse(SILENT_MP3, content_type="audio/mpeg")


# One second of MPEG-1 Layer III silence: 38 frames of 128 kbit/s at 44.1 kHz.
SILENT_MP3 = (b"\xff\xfb\x90\x64" + bytes(413)) * 38


@sandbox_view(VENDOR, REST_FAULTS)
@require_http_methods(["GET", "POST", "PUT", "DELETE", "PATCH"])
def unknown_method(request, rest=""):
    """Anything else under the REST host, e.g. the Postman collection's `/search/user`:
    404 "Unknown method." (C for the message, GUESS for the other keys)."""
    return rest_error("Unknown method.", 404)
