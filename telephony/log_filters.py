"""Logging filters the settings' LOGGING uses."""

import logging

from telephony.vendors.redaction import redact_secret_fields


class ClientErrorsInOneLine(logging.Filter):
    """A refused request (403, 404, 405, …) is the client's error, not ours: one warning
    line, with no traceback. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class SecretsOutOfUrls(logging.Filter):
    """urllib3 logs each request's URL at DEBUG, query string included, and MyOperator's
    REST token travels there (seed 001). The seam's Redactor never sees that line, so
    secret-named parameters are redacted here."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_secret_fields(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
