"""Shared machinery of the vendor simulators: fault injection, rate limits and the
deterministic call lifecycle. Each vendor's sandbox.py supplies the vendor's own bodies.

Fault injection comes from the vendor's SandboxConfig (Admin page) or per request from
the `X-Sandbox-Fault` header, e.g. `error`, `timeout`, `malformed`, `ratelimit`,
`latency=250`, optionally limited: `error;count=2;key=abc` fails the first two requests
that carry key `abc` and lets the rest through (to test retries).

`lost` is the one fault applied AFTER the vendor did the work: the request is processed
(a call is placed, a user added) and then the answer hangs for the config's
`timeout_seconds` before a server error, so the client times out not knowing the
outcome. `drop_next_answers(vendor, n)` arms it for a vendor's next n requests without a
header (the dashboard's own views build their clients; tests cannot add a header there).
"""

import hashlib
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from telephony.access import public

FAULT_HEADER = "HTTP_X_SANDBOX_FAULT"


@dataclass
class FaultResponses:
    """How this vendor answers each injected fault (its own status codes and bodies)."""

    server_error: Callable[[], HttpResponse]
    rate_limited: Callable[[], HttpResponse]
    malformed: Callable[[], HttpResponse] = lambda: HttpResponse(
        b'{"status": "succ', content_type="application/json"
    )


def parse_fault_header(value: str) -> tuple[str, dict]:
    kind, _, rest = value.partition(";")
    options = {}
    for part in rest.split(";"):
        name, _, val = part.partition("=")
        if name.strip():
            options[name.strip()] = val.strip()
    if kind.startswith("latency="):
        options["ms"] = kind.split("=", 1)[1]
        kind = "latency"
    return kind.strip(), options


def _take_fault(value: str, options: dict) -> bool:
    """True if this request should get the fault (honouring `count`)."""
    if "count" not in options:
        return True
    key = f"sandbox-fault:{options.get('key', value)}"
    cache.add(key, 0, timeout=3600)
    used = cache.incr(key)
    return used <= int(options["count"])


def inject_faults(request, vendor: str, responses: FaultResponses, credential: str = ""):
    """Return a fault response to send instead of the real one, or None."""
    from telephony.models import SandboxConfig

    config = SandboxConfig.for_vendor(vendor)
    header = request.META.get(FAULT_HEADER, "")
    if header and parse_fault_header(header)[0] != "lost":
        kind, options = parse_fault_header(header)
        if kind == "latency":
            time.sleep(int(options.get("ms", "0")) / 1000)
        elif _take_fault(header, options):
            return _fault(kind, config, responses)
    if config.latency_ms:
        time.sleep(config.latency_ms / 1000)
    if config.rate_limit_per_minute and credential:
        minute = int(time.time() // 60)
        key = f"sandbox-rl:{vendor}:{hashlib.sha256(credential.encode()).hexdigest()}:{minute}"
        cache.add(key, 0, timeout=120)
        if cache.incr(key) > config.rate_limit_per_minute:
            return responses.rate_limited()
    roll = random.random()
    for kind, rate in (
        ("timeout", config.timeout_rate),
        ("error", config.error_rate),
        ("malformed", config.malformed_rate),
    ):
        if roll < rate:
            return _fault(kind, config, responses)
        roll -= rate
    return None


def _fault(kind: str, config, responses: FaultResponses):
    if kind == "timeout":
        time.sleep(config.timeout_seconds)
        return responses.server_error()
    if kind == "error":
        return responses.server_error()
    if kind == "malformed":
        return responses.malformed()
    if kind == "ratelimit":
        return responses.rate_limited()
    return None


def sandbox_view(vendor: str, responses: FaultResponses, credential: Callable = lambda r: ""):
    """Decorate a simulator view: public (the vendor's own auth applies), CSRF-exempt
    (machines call it), and subject to fault injection before the view runs."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            fault = inject_faults(request, vendor, responses, credential(request))
            if fault is not None:
                return fault
            response = view(request, *args, **kwargs)
            if answer_lost(request, vendor):
                from telephony.models import SandboxConfig

                time.sleep(SandboxConfig.for_vendor(vendor).timeout_seconds)
                return responses.server_error()
            return response

        return public(csrf_exempt(wrapped))

    return decorator


def _lost_key(vendor: str, endpoint: str = "") -> str:
    return f"sandbox-lost-answer:{vendor}:{endpoint}"


def drop_next_answers(vendor: str, count: int = 1, endpoint: str = ""):
    """Lose the answers of `vendor`'s next `count` requests after processing them; with
    `endpoint` (the path's last part, e.g. "call"), only of requests to it."""
    cache.set(_lost_key(vendor, endpoint), int(count), timeout=3600)


def answer_lost(request, vendor: str) -> bool:
    """Whether this (already processed) request's answer is to be lost: the `lost`
    header fault (with its `count`), or one armed by drop_next_answers."""
    header = request.META.get(FAULT_HEADER, "")
    if header:
        kind, options = parse_fault_header(header)
        if kind == "lost" and _take_fault(header, options):
            return True
    endpoint = request.path.rstrip("/").rsplit("/", 1)[-1]
    for key in (_lost_key(vendor, endpoint), _lost_key(vendor)):
        if cache.get(key):
            try:
                if cache.decr(key) >= 0:
                    return True
            except ValueError:  # expired or taken meanwhile
                continue
    return False


# --- call lifecycle ---------------------------------------------------------------------

# Share of calls (in percent) ending each way; the rest of the taxonomy never occurs.
OUTCOME_TABLE = [
    ("answered", 55),
    ("no_answer", 15),
    ("busy", 12),
    ("unavailable", 10),
    ("failed", 8),
]
QUEUE_SECONDS = 2  # "accepted" is not ringing: vendors queue calls first


@dataclass
class Outcome:
    status: str
    ring_seconds: int
    talk_seconds: int


def outcome_for(number: str, seed: int = 0) -> Outcome:
    """The deterministic fate of a call to `number` under `seed`."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    digest = hashlib.sha256(f"{seed}:{digits}".encode()).digest()
    bucket = digest[0] * 256 + digest[1]
    bucket %= 100
    status = OUTCOME_TABLE[-1][0]
    for name, share in OUTCOME_TABLE:
        if bucket < share:
            status = name
            break
        bucket -= share
    ring = {"answered": 4 + digest[2] % 12, "busy": 2, "unavailable": 1, "failed": 0}.get(
        status, 30
    )
    talk = 15 + digest[3] % 120 if status == "answered" else 0
    return Outcome(status=status, ring_seconds=ring, talk_seconds=talk)


def new_call_fields(number: str, vendor: str) -> dict:
    """Fields for a new SandboxCall: outcome fixed now from the vendor's seed."""
    from telephony.models import SandboxConfig

    config = SandboxConfig.for_vendor(vendor)
    outcome = outcome_for(number, config.seed)
    return {
        "seed": config.seed,
        "time_scale": config.time_scale,
        "outcome": outcome.status,
        "ring_seconds": outcome.ring_seconds,
        "talk_seconds": outcome.talk_seconds,
    }


def call_state(call, now) -> dict:
    """Where a simulated call is at `now`: phase, final outcome and its times.

    phase: queued -> ringing -> in_progress (answered calls) -> completed.
    Times are real wall-clock times compressed by the call's time_scale; durations are
    simulated seconds."""
    scale = call.time_scale or 1.0
    elapsed = (now - call.created_at).total_seconds() * scale

    def at(sim_seconds):
        return call.created_at + timedelta(seconds=sim_seconds / scale)

    ring_start = QUEUE_SECONDS
    ring_end = ring_start + call.ring_seconds
    talk_end = ring_end + call.talk_seconds
    answered = call.outcome == "answered"
    end = talk_end if answered else ring_end
    state = {
        "phase": "queued",
        "outcome": None,
        "started_at": None,
        "answered_at": None,
        "ended_at": None,
        "ring_seconds": 0,
        "talk_seconds": 0,
        "duration_seconds": 0,
        "recording": "",
    }
    if elapsed < ring_start:
        return state
    state["started_at"] = at(ring_start)
    if elapsed < ring_end:
        state["phase"] = "ringing"
        return state
    state["ring_seconds"] = call.ring_seconds
    if answered:
        state["answered_at"] = at(ring_end)
        if elapsed < talk_end:
            state["phase"] = "in_progress"
            state["talk_seconds"] = int(elapsed - ring_end)
            state["duration_seconds"] = int(elapsed - ring_start)
            return state
    state.update(
        phase="completed",
        outcome=call.outcome,
        ended_at=at(end),
        talk_seconds=call.talk_seconds,
        duration_seconds=int(end - ring_start),
        recording=f"{call.vendor}-{call.call_id}.mp3" if answered else "",
    )
    return state


def new_id(prefix: str = "", length: int = 10) -> str:
    """A vendor-looking random id, e.g. new_id("CM") -> CM7b1b0f4c2f."""
    return prefix + secrets.token_hex(length)[:length]


def now():
    return timezone.now()


# --- account-wide errors ------------------------------------------------------------------


def account_fault_choices(vendor: str) -> list[tuple[str, str]]:
    """The account-wide errors a vendor's simulator can be switched to answer with:
    (key, label) from its sandbox module's ACCOUNT_FAULTS."""
    import importlib

    for module in ("sandbox", "sandbox_base"):
        try:
            loaded = importlib.import_module(f"telephony.vendors.{vendor}.{module}")
        except ModuleNotFoundError:
            continue
        faults = getattr(loaded, "ACCOUNT_FAULTS", None)
        if faults:
            return [(key, value[0]) for key, value in faults.items()]
    return []
