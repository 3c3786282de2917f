"""OCA audio library and IVR list, per account.

Admins upload and delete audio (mp3 only, checked by its content, within
settings.OCA_AUDIO_MAX_MB); supervisors read the library (IVR calls play its URLs) and
the IVR list with the variables each IVR requires (what a call or a campaign must fill).
"""

import re
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import role_required
from ..models import ProviderAccount
from ..vendors.base import InvalidRequest, VendorError

AUDIO_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Room for the multipart envelope (boundaries, headers, the CSRF field) around the file.
MULTIPART_SLACK = 64 * 1024
NAME_CHARS = 100


def max_audio_bytes() -> int:
    return settings.OCA_AUDIO_MAX_MB * 1024 * 1024


def too_large(size: int) -> str:
    return (
        f"This file is {size / 1024 / 1024:,.1f} MB; the audio library takes mp3 files up to "
        f"{settings.OCA_AUDIO_MAX_MB} MB."
    )


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _frame_problem(header: bytes) -> str:
    """What is wrong with a 4-byte MPEG audio frame header, or "" for a Layer III one."""
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return "no MPEG audio frame sync"
    version, layer = (header[1] >> 3) & 3, (header[1] >> 1) & 3
    bitrate, rate = header[2] >> 4, (header[2] >> 2) & 3
    if version == 1 or bitrate == 15 or rate == 3:
        return "an MPEG frame header with reserved values"
    if layer != 1:
        return "MPEG audio, but not Layer III (mp3)"
    return ""


def mp3_problem(content: bytes) -> str:
    """Why `content` is not mp3 audio, or "": an ID3v2 tag followed by an MPEG Layer III
    frame, or such a frame at the very start. The name and the browser's content type
    are not trusted; a renamed WAV, text or image file fails here."""
    if len(content) < 4:
        return "the file is too short to be mp3 audio"
    if content[:3] == b"ID3":
        header = content[:10]
        if len(header) < 10 or 0xFF in header[3:5] or any(b >= 0x80 for b in header[6:10]):
            return "its ID3 tag is broken"
        start = 10 + _syncsafe(header[6:10]) + (10 if header[5] & 0x10 else 0)
        # Some encoders pad after the tag: skip zero bytes (bounded) to the first frame.
        end = min(len(content), start + 4096)
        while start < end and content[start] == 0:
            start += 1
        problem = _frame_problem(content[start : start + 4])
        return f"after its ID3 tag there is {problem}" if problem else ""
    problem = _frame_problem(content[:4])
    return f"it has no ID3 tag and {problem}" if problem else ""


class SizeCap(FileUploadHandler):
    """Stops reading an upload once it passes the limit (a Content-Length can lie)."""

    def __init__(self, limit: int, request=None):
        super().__init__(request)
        self.limit = limit
        self.exceeded = 0

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = start + len(raw_data)
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def _oca_account(pk):
    return get_object_or_404(ProviderAccount.objects.filter(kind="oca"), pk=pk)


def _library(account) -> tuple[list, str]:
    client = account.client()
    try:
        return client.list_audio(), ""
    except VendorError as exc:
        return [], exc.message or str(exc)
    finally:
        client.http.session.close()


def _render_library(request, account, *, upload_error="", status=200):
    files, error = _library(account)
    context = {
        "account": account,
        "files": files,
        "error": error,
        "upload_error": upload_error,
        "max_mb": settings.OCA_AUDIO_MAX_MB,
    }
    return render(request, "telephony/audio/audio_index.html", context, status=status)


@role_required("run_campaigns")
@require_GET
def audio_index(request, pk):
    """The account's audio files as OCA lists them; admins get upload and delete."""
    return _render_library(request, _oca_account(pk))


@role_required("manage_vendors")
@require_POST
@csrf_exempt  # the inner view checks CSRF, after the size cap is in place (Django docs)
def audio_upload(request, pk):
    account = _oca_account(pk)
    limit = max_audio_bytes()
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > limit + MULTIPART_SLACK:
        # Refused before the body is read.
        return _render_library(request, account, upload_error=too_large(declared), status=413)
    cap = SizeCap(limit, request)
    request.upload_handlers.insert(0, cap)
    return _audio_upload(request, account, cap)


@csrf_protect
def _audio_upload(request, account, cap):
    upload = request.FILES.get("audio")
    if cap.exceeded:
        return _render_library(request, account, upload_error=too_large(cap.exceeded), status=413)
    if upload is None:
        return _render_library(request, account, upload_error="Choose an mp3 file to upload.")
    if upload.size > max_audio_bytes():
        return _render_library(request, account, upload_error=too_large(upload.size), status=413)
    content = upload.read(max_audio_bytes() + 1)
    problem = mp3_problem(content)
    base = PurePosixPath(upload.name.replace("\\", "/")).name
    name = "".join(ch for ch in base if ch.isprintable())[:NAME_CHARS]
    if problem:
        return _render_library(
            request,
            account,
            upload_error=f"{name} is not mp3 audio: {problem}.",
        )
    stem = (name.rsplit(".", 1)[0] if "." in name else name).strip()[: NAME_CHARS - 4] or "audio"
    client = account.client()
    try:
        audio = client.upload_audio(filename=f"{stem}.mp3", content=content)
    except InvalidRequest as exc:
        return _render_library(request, account, upload_error=str(exc))
    except VendorError as exc:
        return _render_library(request, account, upload_error=f"OCA refused: {exc.message or exc}")
    finally:
        client.http.session.close()
    messages.success(request, f"Uploaded {audio.name or stem + '.mp3'} to OCA.")
    return redirect("telephony:audio_index", pk=account.pk)


@role_required("manage_vendors")
@require_http_methods(["GET", "POST"])
def audio_delete(request, pk, audio_id):
    """Confirm (naming the file as OCA lists it), then DELETE it at OCA."""
    account = _oca_account(pk)
    if not AUDIO_ID_RE.fullmatch(audio_id):
        raise Http404("No such audio file.")
    error = ""
    if request.method == "POST":
        client = account.client()
        try:
            client.delete_audio(audio_id=audio_id)
        except VendorError as exc:
            error = exc.message or str(exc)
        else:
            messages.success(request, f"Deleted audio file {audio_id} at OCA.")
            return redirect("telephony:audio_index", pk=account.pk)
        finally:
            client.http.session.close()
    files, list_error = _library(account)
    audio = next((item for item in files if item.id == audio_id), None)
    context = {
        "account": account,
        "audio": audio,
        "audio_id": audio_id,
        "error": error or list_error,
    }
    return render(request, "telephony/audio/audio_confirm_delete.html", context)


@role_required("run_campaigns")
@require_GET
def ivr_index(request, pk):
    """The account's IVRs and the variables each requires, read through the campaign
    builder's catalogue (cached briefly, and kept on the account as the builder does)."""
    from campaigns.forms.campaigns import vendor_catalogue  # the builder's own reader

    account = _oca_account(pk)
    catalogue = vendor_catalogue(account)
    context = {"account": account, "catalogue": catalogue}
    return render(request, "telephony/audio/ivr_index.html", context)


@role_required("run_campaigns")
@require_GET
def oca_index(request):
    """Where supervisors find each OCA account's audio library and IVR list."""
    accounts = ProviderAccount.objects.filter(kind="oca").order_by("-is_active", "name")
    return render(request, "telephony/audio/oca_index.html", {"accounts": accounts})
