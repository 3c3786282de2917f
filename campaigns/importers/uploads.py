"""Refusing an oversized upload early: before its body is read when the request says
its length, and as soon as the limit is passed when it does not (or lies); and sweeping
stored uploads that no import refers to."""

from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

# Where ImportJob keeps uploads and error reports (its FileFields' upload_to roots).
SWEPT_DIRS = ("imports", "import-reports")
ORPHAN_AGE = timedelta(hours=1)


class SizeLimitUploadHandler(FileUploadHandler):
    """First in the handler chain of the import views. Marks `request.upload_too_large`
    (with the size seen) and stops reading instead of spooling gigabytes to disk."""

    def __init__(self, request, file_limit: int, body_limit: int):
        super().__init__(request)
        self.limit = file_limit
        self.body_limit = body_limit
        self.received = 0
        request.upload_too_large = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.body_limit:
            self.request.upload_too_large = content_length
            # Parsed as empty, so the body is never read.
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = self.received
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def sweep_orphaned_uploads(older_than: timedelta = ORPHAN_AGE) -> int:
    """Delete stored uploads and error reports that no ImportJob refers to, once they
    are `older_than` (a younger file may belong to an upload still being read). They come
    from a process killed while reading an upload, and from jobs deleted with their list.
    Returns how many files went; safe to run twice, or alongside an upload."""
    from ..models import ImportJob

    cutoff = timezone.now() - older_than
    kept = set()
    for upload, report in ImportJob.objects.values_list("upload", "error_report").iterator():
        kept.update(name for name in (upload, report) if name)
    removed = 0
    for root in SWEPT_DIRS:
        for name in _files_under(root):
            if name in kept:
                continue
            try:
                if default_storage.get_modified_time(name) > cutoff:
                    continue
                default_storage.delete(name)
            except FileNotFoundError:
                continue  # gone meanwhile (another sweep, or the job finished)
            removed += 1
    return removed


def _files_under(path: str):
    try:
        directories, files = default_storage.listdir(path)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{path}/{name}"
    for directory in directories:
        yield from _files_under(f"{path}/{directory}")
