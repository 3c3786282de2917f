"""The Omilia simulator's integrations (numbers) API: one handler per documented
endpoint, each `handler(request, ctx, **url_kwargs)`; sandbox.api_route adds the bearer
check, fault injection and the transaction.

The service's error bodies are not public: they follow the GUESS of vendor-contracts.md
section 4, Spring Boot's {"timestamp", "status", "error", "message", "path"}, with bean
validation's default messages ("provider: must not be blank"). Business refusals that
change nothing ("none of the numbers is attached") answer 200 {"success": false, ...}.
"""

import csv
import io
import json
from datetime import UTC, datetime

from django.http import HttpResponse, JsonResponse

from telephony.models import SandboxRecord

from . import sandbox_state as state
from .sandbox_state import Ctx
from .validation import (
    COUNTRY,
    CSV_COLUMNS,
    CSV_OPERATION_COLUMN,
    CSV_REQUIRED,
    DIRECTIONS,
    E164,
    LOCALE,
    ORDER_BY,
    PREFIX,
    CsvOperation,
)

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    504: "Gateway Timeout",
}


def spring_error(status: int, message: str | None = None, path: str = "") -> JsonResponse:
    """GUESS (vendor-contracts.md §4): Spring Boot's error body."""
    body = {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "status": status,
        "error": REASONS.get(status, "Error"),
    }
    if message is not None:
        body["message"] = message
    body["path"] = path
    return JsonResponse(body, status=status)


def ok(message: str, success: bool = True) -> JsonResponse:
    return JsonResponse({"success": success, "message": message})


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def json_body(request) -> dict:
    if not request.body:
        raise ApiError(400, "Required request body is missing")
    try:
        body = json.loads(request.body)
    except ValueError as exc:
        raise ApiError(400, f"JSON parse error: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JSON parse error: expected an object")
    return body


class Rules:
    """Bean-validation-like checks with Spring's default messages."""

    def __init__(self, body: dict):
        self.body = body
        self.errors: list[str] = []

    def not_blank(self, *names):
        for name in names:
            value = self.body.get(name)
            if not isinstance(value, str) or not value.strip():
                self.errors.append(f"{name}: must not be blank")

    def not_empty_list(self, name):
        value = self.body.get(name)
        if not isinstance(value, list) or not value:
            self.errors.append(f"{name}: must not be empty")
        elif not all(isinstance(item, str) for item in value):
            self.errors.append(f"{name}: must be a list of strings")

    def optional_list(self, name):
        value = self.body.get(name)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(i, str) for i in value)
        ):
            self.errors.append(f"{name}: must be a list of strings")

    def pattern(self, name, regex, label):
        value = self.body.get(name)
        if value is not None and (not isinstance(value, str) or not regex.match(value)):
            self.errors.append(f'{name}: must match "{label}"')

    def done(self):
        if self.errors:
            raise ApiError(400, "; ".join(self.errors))


LOCALE_LABEL = "^[a-z]{2}-[A-Z]{2}$"


def member_of(ctx: Ctx, group: str):
    if group not in ctx.groups:
        raise ApiError(403, f"Access denied to group {group}")


def found(ctx: Ctx, numbers) -> dict:
    records, missing = state.find_numbers(ctx, numbers)
    if missing:
        raise ApiError(404, f"Phone numbers not found: {', '.join(missing)}")
    return records


def set_or_404(ctx: Ctx, set_id: str) -> SandboxRecord:
    rec = state.find_set(ctx, set_id)
    if rec is None:
        raise ApiError(404, f"Phone numbers set not found: {set_id}")
    return rec


def _miniapp(ctx: Ctx, mini_app_id: str) -> dict:
    app = state.find_miniapp(mini_app_id, ctx.groups)
    if app is None:
        raise ApiError(404, f"MiniApp not found: {mini_app_id}")
    return app


def _int_param(request, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(
            400,
            f"Failed to convert value of type 'java.lang.String' to required type 'int'; "
            f'For input string: "{raw}"',
        ) from None


def _order(order_by, direction):
    order_by = order_by or "none"
    direction = direction or "ASC"
    if order_by not in ORDER_BY:
        raise ApiError(400, f"orderBy: must be one of {', '.join(ORDER_BY)}")
    if direction not in DIRECTIONS:
        raise ApiError(400, "direction: must be one of ASC, DESC")
    return order_by, direction


def save(records):
    for rec in records:
        rec.save(update_fields=["data", "parent", "updated_at"])


def plural(count: int, noun: str = "number") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# --- managing phone numbers ------------------------------------------------------------


def list_numbers(request, ctx):
    page = _int_param(request, "page", 1)
    page_size = _int_param(request, "pageSize", 50)
    if page < 1:
        raise ApiError(400, "page: must be greater than or equal to 1")
    if page_size < 1:
        raise ApiError(400, "pageSize: must be greater than or equal to 1")
    order_by, direction = _order(request.GET.get("orderBy"), request.GET.get("direction"))
    match = state.like(request.GET.get("searchTerm"))
    records = [
        rec
        for rec in state.visible_numbers(ctx)
        if match(rec.data.get("number")) or match(rec.data.get("note"))
    ]
    records = state.order(records, order_by, direction)
    chunk, pages = state.paginate(records, page, page_size)
    names = state.set_names(ctx.region)
    return JsonResponse(
        {
            "numbers": [state.list_shape(rec, names) for rec in chunk],
            "page": page,
            "pageSize": page_size,
            "numberOfPages": pages,
            "allNumbers": len(records),
        }
    )


def available_numbers(request, ctx):
    body = json_body(request)
    rules = Rules(body)
    rules.not_blank("provider", "code", "group")
    rules.pattern("prefix", PREFIX, r"^\+?\d*$")
    rules.done()
    member_of(ctx, body["group"])
    if body["provider"] not in state.PROVIDERS:
        raise ApiError(400, f"Unknown provider: {body['provider']}")
    owned = set(state.numbers_qs(ctx.region).values_list("key", flat=True))
    found = state.offers(body["code"], body.get("prefix") or "", body["provider"], owned)
    if found is None:
        raise ApiError(400, f"Unsupported country code: {body['code']}")
    return JsonResponse(found, safe=False)


def buy_numbers(request, ctx):
    body = json_body(request)
    rules = Rules(body)
    rules.not_blank("provider", "group")
    rules.not_empty_list("numbers")
    rules.done()
    member_of(ctx, body["group"])
    if body["provider"] not in state.PROVIDERS:
        raise ApiError(400, f"Unknown provider: {body['provider']}")
    owned = set(state.numbers_qs(ctx.region).values_list("key", flat=True))
    purchased, failed = [], []
    for number in body["numbers"]:
        if number in owned or not E164.match(number) or not state.is_possible(number):
            failed.append(number)
            continue
        rec = state.new_number(
            ctx.region, number, group=body["group"], purchased=True, note=body.get("note")
        )
        owned.add(number)
        purchased.append({"number": number, "id": rec.data["id"]})
    return JsonResponse({"failedNumbers": failed, "purchasedNumbers": purchased})


def update_group(request, ctx):
    body = json_body(request)
    rules = Rules(body)
    rules.not_empty_list("numbers")
    rules.not_blank("group")
    rules.done()
    member_of(ctx, body["group"])
    records = found(ctx, body["numbers"])
    for rec in records.values():
        if rec.data["groupId"] != body["group"]:
            rec.data["groupId"] = body["group"]
            rec.parent = ""  # a set belongs to one group: moving a number leaves its set
    save(records.values())
    return ok(f"{plural(len(records))} moved to group {body['group']}")


def detach_numbers(request, ctx):
    body = json_body(request)
    rules = Rules(body)
    rules.not_empty_list("numbers")
    rules.done()
    records = found(ctx, body["numbers"])
    attached = [rec for rec in records.values() if rec.data.get("miniAppId")]
    if not attached:
        return ok("None of the numbers is attached to a miniApp", success=False)
    for rec in attached:
        state.detach(rec)
    save(attached)
    return ok(f"{plural(len(attached))} detached")


def attach_request(request, ctx) -> tuple[dict, dict]:
    body = json_body(request)
    rules = Rules(body)
    rules.optional_list("numbers")
    rules.not_blank("miniAppId", "locale")
    rules.pattern("locale", LOCALE, LOCALE_LABEL)
    rules.done()
    return body, _miniapp(ctx, body["miniAppId"])


def attach_all(records, app, body, label="") -> JsonResponse:
    for rec in records:
        state.attach(rec, app, body["locale"], body.get("applicationTag"))
    save(records)
    return ok(f"{plural(len(records))} attached to miniApp {app['miniAppName']}{label}")


def attach_numbers(request, ctx):
    body, app = attach_request(request, ctx)
    records = list(found(ctx, body.get("numbers") or []).values())
    return attach_all(records, app, body)


def update_note(request, ctx):
    body = json_body(request)
    rules = Rules(body)
    rules.not_blank("number")
    if not isinstance(body.get("note"), str):
        rules.errors.append("note: must not be null")
    rules.done()
    rec = found(ctx, [body["number"]])[body["number"]]
    rec.data["note"] = body["note"]
    save([rec])
    return ok(f"Note of {body['number']} updated")


def _search(ctx, body) -> list:
    rules = Rules(body)
    rules.optional_list("groups")
    rules.pattern("locale", LOCALE, LOCALE_LABEL)
    rules.done()
    order_by, direction = _order(body.get("orderBy"), body.get("direction"))
    records = [rec for rec in state.visible_numbers(ctx) if state.matches_search(rec, body)]
    return state.order(records, order_by, direction)


def _page_of(body, name, default):
    value = body.get(name)
    # GUESS: the example sends 0 for page and pageSize; 0 or absent means the default.
    if value in (None, 0, "0", ""):
        return default
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        raise ApiError(400, f"JSON parse error: {name} is not an integer") from None


def search_numbers(request, ctx):
    body = json_body(request)
    records = _search(ctx, body)
    page, page_size = _page_of(body, "page", 1), _page_of(body, "pageSize", 50)
    chunk, pages = state.paginate(records, page, page_size)
    return JsonResponse(
        {
            "numbers": [state.search_shape(rec) for rec in chunk],
            "page": page,
            "pageSize": page_size,
            "numberOfPages": pages,
            "allNumbers": len(records),
        }
    )


def export_csv(request, ctx):
    body = json_body(request)
    records = _search(ctx, body)
    if body.get("pageSize"):  # GUESS: without a page size the export has every match
        records, _ = state.paginate(
            records, _page_of(body, "page", 1), _page_of(body, "pageSize", 50)
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: v if v is not None else "" for k, v in state.search_shape(rec).items()})
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="numbers.csv"'
    return response


def _csv_rows(request) -> list[dict]:
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "Current request is not a multipart request")
    # Django parses multipart bodies of POSTs only; this endpoint is a PUT.
    _, files = request.parse_file_upload(request.META, io.BytesIO(request.body))
    # Seed 003: the form-data part is `File`. Part names are matched exactly (Spring's
    # @RequestPart), so `file` is as absent as any other name.
    upload = files.get("File")
    if upload is None:
        raise ApiError(400, "Required part 'File' is not present.")
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "The CSV file is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [name for name in ("number", CSV_OPERATION_COLUMN) if name not in header]
    if missing:
        raise ApiError(400, f"Invalid CSV: missing column(s) {', '.join(missing)}")
    rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    if not rows:
        raise ApiError(400, "Invalid CSV: no rows")
    return rows


def apply_csv(request, ctx):
    """PUT /api/numbers/csv: every row is checked first; one bad row changes nothing."""
    rows = _csv_rows(request)
    problems, plan = [], []
    pending: dict[str, bool] = {}  # number -> exists after the rows so far
    for line, row in enumerate(rows, start=2):
        op, number = row.get(CSV_OPERATION_COLUMN, "").lower(), row.get("number", "")
        if op not in CsvOperation.__members__.values():
            problems.append(f"line {line}: unknown operation '{op}'")
            continue
        empty = [name for name in CSV_REQUIRED[CsvOperation(op)] if not row.get(name)]
        if empty:
            problems.append(f"line {line}: {', '.join(empty)} must not be blank")
            continue
        if not E164.match(number):
            problems.append(f"line {line}: invalid phone number {number}")
            continue
        if row.get("locale") and not LOCALE.match(row["locale"]):
            problems.append(f'line {line}: locale must match "{LOCALE_LABEL}"')
            continue
        if number not in pending:
            rec = state.numbers_qs(ctx.region).filter(key=number).first()
            if rec and rec.data.get("groupId") not in ctx.groups:
                problems.append(f"line {line}: access denied to {number}")
                continue
            pending[number] = rec is not None
        if op == "create":
            if pending[number]:
                problems.append(f"line {line}: phone number {number} already exists")
                continue
            if row["groupId"] not in ctx.groups:
                problems.append(f"line {line}: access denied to group {row['groupId']}")
                continue
            pending[number] = True
        elif not pending[number]:
            problems.append(f"line {line}: phone number {number} not found")
            continue
        elif op == "delete":
            pending[number] = False
        if op == "attach" and state.find_miniapp(row["miniAppId"], ctx.groups) is None:
            problems.append(f"line {line}: miniApp not found: {row['miniAppId']}")
            continue
        if op == "update" and row.get("groupId") and row["groupId"] not in ctx.groups:
            problems.append(f"line {line}: access denied to group {row['groupId']}")
            continue
        plan.append((op, number, row))
    if problems:
        raise ApiError(400, "Invalid CSV: " + "; ".join(problems))
    counts: dict[str, int] = {}
    for op, number, row in plan:
        _apply_row(ctx, op, number, row)
        counts[op] = counts.get(op, 0) + 1
    done = ", ".join(f"{count} {op}" for op, count in counts.items())
    return ok(f"Processed {plural(len(plan), 'row')}: {done}")


def _apply_row(ctx, op, number, row):
    if op == "create":
        app = state.find_miniapp(row.get("miniAppId", ""), ctx.groups) or {}
        state.new_number(
            ctx.region,
            number,
            group=row["groupId"],
            purchased=False,
            country=row.get("country") or None,
            locale=row.get("locale") or None,
            note=row.get("note") or None,
            applicationTag=row.get("applicationTag") or None,
            **app,
        )
        return
    rec = state.numbers_qs(ctx.region).get(key=number)
    if op == "delete":
        rec.delete()
        return
    if op == "attach":
        app = state.find_miniapp(row["miniAppId"], ctx.groups)
        state.attach(rec, app, row["locale"], row.get("applicationTag") or None)
    elif op == "detach":
        state.detach(rec)
    else:  # update: the columns given replace the stored values
        for name in ("note", "locale", "applicationTag", "country"):
            if row.get(name):
                rec.data[name] = row[name]
        if row.get("groupId") and row["groupId"] != rec.data["groupId"]:
            rec.data["groupId"], rec.parent = row["groupId"], ""
    save([rec])


def add_direct(request, ctx):
    body = json_body(request)
    rules = Rules(body)
    rules.not_empty_list("numbers")
    rules.not_blank("group")
    rules.pattern("country", COUNTRY, "^[A-Z]{2}$")
    rules.pattern("locale", LOCALE, LOCALE_LABEL)
    rules.done()
    member_of(ctx, body["group"])
    bad = [n for n in body["numbers"] if not E164.match(n)]
    if bad:
        raise ApiError(400, f"Invalid phone numbers: {', '.join(bad)}")
    existing = list(
        state.numbers_qs(ctx.region).filter(key__in=body["numbers"]).values_list("key", flat=True)
    )
    if existing:
        raise ApiError(409, f"Phone numbers already exist: {', '.join(existing)}")
    app = _miniapp(ctx, body["miniAppId"]) if body.get("miniAppId") else {}
    for number in body["numbers"]:
        state.new_number(
            ctx.region,
            number,
            group=body["group"],
            purchased=False,
            country=body.get("country"),
            locale=body.get("locale"),
            note=body.get("note"),
            applicationTag=body.get("applicationTag"),
            logAni=body.get("logAni", True),
            logDnis=body.get("logDnis", True),
            **app,
        )
    return ok(f"{plural(len(body['numbers']))} added to group {body['group']}")


def delete_number(request, ctx, number):
    rec = found(ctx, [number])[number]
    rec.delete()
    return ok(f"Number {number} deleted")
