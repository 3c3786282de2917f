"""What the log says about a request: a refused one is one line, without a traceback."""

import logging
import sys

from django.urls import reverse

from telephony.log_filters import ClientErrorsInOneLine


def test_a_refused_request_logs_one_line_without_a_traceback(viewer_client, caplog):
    with caplog.at_level(logging.WARNING):
        response = viewer_client.get(reverse("telephony:user_index"))

    assert response.status_code == 403
    records = [record for record in caplog.records if record.name == "django.request"]
    assert len(records) == 1
    assert records[0].getMessage() == "Forbidden (Permission denied): /users/"
    assert records[0].exc_info is None and "Traceback" not in caplog.text


def test_djangos_records_are_printed_once_by_the_root_handler_only():
    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate is True
    assert logging.getLogger().handlers


def test_a_server_error_keeps_its_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("django.request", logging.ERROR, "", 0, "x", (), sys.exc_info())
    record.status_code = 500

    assert ClientErrorsInOneLine().filter(record) is True
    assert record.exc_info is not None
