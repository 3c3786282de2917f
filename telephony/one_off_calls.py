"""Placing one-off calls and following them until they end.

Sending: the Call row exists first (status "sending", its reference id derived from the
person and the form's one-time token), so a second submit finds it and never dials.
Each call-placing request is sent once; when its answer is lost (timeout, dropped
connection, an answer we cannot read) the call becomes "unknown" and is never sent to a
vendor that cannot deduplicate it:
- MyOperator OBD keys calls on our reference id and refuses one it has seen ("already
  taken"): asking again with the SAME id is safe, and "already taken" means the first
  request went through. `refresh` does exactly that.
- MyOperator click-to-call, CPaaS click2call/OTP and OCA take no id of ours: the call is
  looked for in the vendor's call records (by number and time) where the vendor has
  them (MyOperator's logs, CPaaS's CDRs by date); OCA has no call list, so an OCA call
  whose answer was lost stays unknown, in words.

Following: `refresh` asks the vendor what it knows (at most every POLL_SECONDS per call,
claimed by a conditional UPDATE so two watchers do not both ask) and moves the status;
a final status never changes again.
"""

from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone

from .models import Call
from .vendors.base import (
    CallStatus,
    InvalidRequest,
    PlacedCall,
    Unavailable,
    VendorError,
)

POLL_SECONDS = 2
# How long an unknown call (answer lost) is looked for before it is left unknown.
UNKNOWN_SEARCH_MINUTES = 15

LOST_WORDS = (
    "The vendor's answer was lost ({error}). The call may have been placed; Dialdesk "
    "will not dial again and is looking for it in the vendor's records."
)
OCA_LOST_WORDS = (
    "OCA's answer was lost ({error}). The call may have been placed; OCA takes no id of "
    "ours and has no list of calls to ask, so its outcome cannot be known. Dialdesk did "
    "not dial again."
)


class NotSent(Exception):
    """A read the call needs first (OCA's IVR list) failed: the call was certainly not
    placed, whatever the error says about timeouts."""

    def __init__(self, error: VendorError):
        super().__init__(str(error))
        self.error = error


@contextmanager
def vendor_client(account, client=None):
    """The account's client, its HTTP session closed afterwards (a kept-alive connection
    would hold a vendor's, or a sandbox's, worker until it is collected)."""
    if client is not None:
        yield client
        return
    client = account.client()
    try:
        yield client
    finally:
        client.http.session.close()


# --- sending ----------------------------------------------------------------------------


def _national(e164: str) -> tuple[str, str]:
    """(country code, national number) of an E.164 number, for MyOperator's REST API."""
    import phonenumbers

    parsed = phonenumbers.parse(e164, None)
    return str(parsed.country_code), str(parsed.national_number)


def send(call: Call, client, *, otp: str = "") -> PlacedCall:
    """The vendor request of `call` (by kind), built from its params (and the OTP, which
    only ever lives in this request)."""
    p = call.params
    agent = call.vendor_user.vendor_id if call.vendor_user_id else None
    if call.kind in (Call.Kind.P2P, Call.Kind.IVR):
        return client.place_obd_call(
            number=call.to_number,
            public_ivr_id=p.get("public_ivr_id", ""),
            reference_id=call.reference_id,
            call_type=1 if call.kind == Call.Kind.P2P else 2,
            user_id=agent if call.kind == Call.Kind.P2P else None,
            number_2=p.get("number_2") or None,
            caller_id=p.get("caller_id") or None,
        )
    if call.kind == Call.Kind.CLICK_TO_CALL:
        country, national = _national(call.to_number)
        return client.click_to_call(
            customer_number=national, customer_cc=country, support_user_id=agent or ""
        )
    if call.kind == Call.Kind.CLICK2CALL:
        return client.click2call(
            agent_number=p.get("agent_number", ""),
            destination_number=call.to_number,
            caller_id=p.get("caller_id", ""),
            recording_option=p.get("recording_option", "off"),
            transcript=bool(p.get("transcript")),
        )
    if call.kind == Call.Kind.OTP:
        from .vendors.cpaas.types import TtsOptions

        tts = TtsOptions(**{k: p.get(k, "") for k in TtsOptions.__dataclass_fields__})
        return client.otp_call(
            customer_number=call.to_number,
            otp=otp,
            announce_template_id=p.get("announce_template_id", ""),
            caller_id=p.get("caller_id", ""),
            repeat=int(p.get("repeat") or 1),
            tts=tts,
        )
    if call.kind == Call.Kind.OCA_IVR:
        try:
            client.ivr(p.get("ivr_id", ""))  # make_call checks the variables against it
        except VendorError as exc:
            raise NotSent(exc) from exc
        return client.make_call(
            from_number=call.from_number,
            to_number=call.to_number,
            ivr_id=p.get("ivr_id", ""),
            variables=p.get("variables") or {},
        )
    raise ValueError(f"unknown call kind {call.kind}")


def dial(call: Call, *, otp: str = "", client=None) -> Call:
    """Send `call` once and record what the vendor said. InvalidRequest (our own checks,
    nothing sent) propagates so the form can show it by field."""
    try:
        with vendor_client(call.account, client) as opened:
            placed = send(call, opened, otp=otp)
    except InvalidRequest:
        raise
    except NotSent as exc:
        words = exc.error.message or str(exc.error)
        call.finish(Call.Status.FAILED, error=f"Not sent: {words}"[:500])
        return call
    except VendorError as exc:
        _after_error(call, exc)
        return call
    call.advance(
        Call.Status.ACCEPTED,
        vendor_call_id=(placed.vendor_call_id or "")[:100],
        note=(placed.message or "")[:500],
    )
    return call


def _after_error(call: Call, exc: VendorError):
    from .vendors.myoperator.errors import DuplicateReference

    words = (exc.message or str(exc))[:500]
    if isinstance(exc, DuplicateReference):
        # Only this call ever carries this id: the vendor has it, so it was placed.
        call.advance(Call.Status.ACCEPTED, note=f"The vendor already had this call: {words}"[:500])
    elif isinstance(exc, Unavailable):
        if call.kind == Call.Kind.OCA_IVR:
            call.finish(Call.Status.UNKNOWN, error=OCA_LOST_WORDS.format(error=words)[:500])
        else:
            call.advance(Call.Status.UNKNOWN, error=LOST_WORDS.format(error=words)[:500])
    else:
        hint = f" {exc.hint}" if getattr(exc, "hint", "") else ""
        call.finish(Call.Status.REJECTED, error=f"{words}{hint}"[:500])


# --- following --------------------------------------------------------------------------


def _claim(call: Call, force: bool) -> bool:
    """Take the right to ask the vendor now (one asker per POLL_SECONDS per call)."""
    now = timezone.now()
    calls = Call.objects.filter(pk=call.pk, is_final=False)
    if not force:
        recent = now - timedelta(seconds=POLL_SECONDS)
        calls = calls.exclude(checked_at__gte=recent)
    return bool(calls.update(checked_at=now))


def refresh(call: Call, *, force: bool = False, client=None) -> Call:
    """Ask the vendor about an open call and move its status; a final call is left."""
    if call.is_final or not _claim(call, force):
        call.refresh_from_db()
        return call
    try:
        with vendor_client(call.account, client) as opened:
            if call.status == Call.Status.UNKNOWN and call.kind in (Call.Kind.P2P, Call.Kind.IVR):
                _resend_obd(call, opened)
                if call.status == Call.Status.UNKNOWN:
                    return call
            cdr = _lookup(call, opened)
    except (VendorError, InvalidRequest) as exc:
        # Reading failed: the call is as it was; say so, ask again at the next poll.
        Call.objects.filter(pk=call.pk).update(
            vendor_status=f"Could not ask: {getattr(exc, 'message', '') or exc}"[:50]
        )
        call.refresh_from_db()
        return call
    if cdr is None:
        if call.status == Call.Status.UNKNOWN and call.created_at < timezone.now() - timedelta(
            minutes=UNKNOWN_SEARCH_MINUTES
        ):
            call.finish(
                Call.Status.UNKNOWN,
                error=(
                    f"No call to {call.to_number} showed up in the vendor's records within "
                    f"{UNKNOWN_SEARCH_MINUTES} minutes; Dialdesk did not dial again."
                ),
            )
        return call
    _apply(call, cdr)
    return call


def _resend_obd(call: Call, client):
    """Ask MyOperator OBD about a call whose answer was lost: send the same reference
    id again. "Already taken" means the first went through; an acceptance means the
    first never arrived and this one is the call. Either way, one call."""
    try:
        placed = send(call, client)
    except VendorError as exc:
        _after_error(call, exc)
        if call.status == Call.Status.ACCEPTED:
            Call.objects.filter(pk=call.pk).update(error="")
            call.refresh_from_db()
        return
    call.advance(
        Call.Status.ACCEPTED,
        vendor_call_id=(placed.vendor_call_id or "")[:100],
        note="Sent again with the same reference id after the first answer was lost: "
        "the vendor accepted it once.",
        error="",
    )


def _lookup(call: Call, client):
    """The call's NormalizedCDR as the vendor reports it now, or None if not yet."""
    since = call.created_at - timedelta(minutes=2)
    if call.kind in (Call.Kind.P2P, Call.Kind.IVR, Call.Kind.CLICK_TO_CALL):
        # MyOperator writes a call log when a call ends: no log yet means still going.
        for cdr in client.iter_cdrs(date_from=since, date_to=timezone.now()):
            if call.kind == Call.Kind.CLICK_TO_CALL:
                found = (
                    call.vendor_call_id and str(cdr.raw.get("_ri") or "") == call.vendor_call_id
                ) or (
                    not call.vendor_call_id
                    and call.status == Call.Status.UNKNOWN
                    and cdr.customer_number == call.to_number
                    and str(cdr.raw.get("_ns") or "") == "1"
                )
            else:
                found = cdr.reference_id == call.reference_id
            if found:
                return cdr
        return None
    if call.kind in (Call.Kind.CLICK2CALL, Call.Kind.OTP):
        if call.vendor_call_id:
            rows = client.get_cdr_by_request_id(request_id=call.vendor_call_id)
            return rows[0] if rows else None
        digits = call.to_number.lstrip("+")
        today = timezone.now().date()
        for cdr in client.iter_cdr_by_date(start_date=since.date(), end_date=today):
            if (
                cdr.customer_number.lstrip("+").endswith(digits[-10:])
                and cdr.started_at
                and cdr.started_at >= since
            ):
                return cdr
        return None
    if call.kind == Call.Kind.OCA_IVR and call.vendor_call_id:
        return client.call_status(call_id=call.vendor_call_id)
    return None


def _apply(call: Call, cdr):
    status = CallStatus(cdr.status)
    fields = {
        "vendor_status": (cdr.vendor_status or "")[:50],
        "answered_at": cdr.answered_at,
    }
    if not call.vendor_call_id and cdr.vendor_call_id:
        fields["vendor_call_id"] = cdr.vendor_call_id[:100]
    if status.is_final:
        fields.update(
            ended_at=cdr.ended_at or timezone.now(),
            duration_seconds=cdr.duration_seconds or None,
        )
        if call.status == Call.Status.UNKNOWN:
            fields["error"] = ""
            fields["note"] = "Found in the vendor's records after the answer was lost."
        call.finish(status.value, **fields)
    else:
        phase = Call.Status.IN_PROGRESS if cdr.answered_at else Call.Status.RINGING
        call.advance(phase, **fields)
