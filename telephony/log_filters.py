"""Logging filters the settings' LOGGING uses."""

import logging


class ClientErrorsInOneLine(logging.Filter):
    """A refused request (403, 404, 405, …) is the client's error, not ours: one warning
    line, with no traceback. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
