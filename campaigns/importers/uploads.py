"""Refusing an oversized upload early: before its body is read when the request says
its length, and as soon as the limit is passed when it does not (or lies)."""

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict


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
