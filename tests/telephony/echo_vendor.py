"""Test servers for the vendor seam's security tests, on 127.0.0.1 in a thread.

EchoVendor answers every request with the whole request (method, path and query, every
header, the body, and each parameter value base64-encoded) inside a JSON error envelope
that every vendor client recognizes, in several spellings (as is, JSON-escaped, and
JSON-escaped twice in ASCII). A token endpoint (a path ending in /token) grants tokens
instead, echoing the request alongside. So whatever a client sends comes back in the
answer that the seam quotes in its audit rows, error messages and logs.

RedirectingVendor answers every request with a redirect to another URL; Recorder
records what it receives and answers `{}`.
"""

import base64
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

ACCESS_TOKEN = "echoAccessTok-Vq81-c5f0e3b7a9d2"
REFRESH_TOKEN = "echoRefreshTok-Lm42-a1b2c3d4e5f6"


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def _read(self) -> Seen:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(self.command, self.path, dict(self.headers.items()), body)
        self.server.seen.append(seen)
        return seen

    def _send(self, status: int, payload: bytes, headers: dict | None = None):
        self.send_response(status)
        for name, value in {
            "Content-Type": "application/json; charset=utf-8",
            **(headers or {}),
        }.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self.server.answer(self)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET


def _values(seen: Seen) -> list[str]:
    """Every parameter value the request carried: query, form, JSON (flattened)."""
    values = [value for _, value in parse_qsl(urlsplit(seen.path).query)]
    text = seen.body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text) if text else None
    except ValueError:
        data = None
        values += [value for _, value in parse_qsl(text)]

    def walk(item):
        if isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)
        elif item is not None:
            values.append(str(item))

    walk(data)
    return values + list(seen.headers.values())


def echo_of(seen: Seen) -> dict:
    body = seen.body.decode("utf-8", errors="replace")
    lines = [f"{seen.method} {seen.path}"] + [f"{k}: {v}" for k, v in seen.headers.items()]
    return {
        "request": "\n".join(lines) + "\n\n" + body,
        "method": seen.method,
        "path": seen.path,
        "headers": seen.headers,
        "body": body,
        "values_base64": [b64(value) for value in _values(seen)],
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[Seen] = []
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    def answer(self, handler: _Handler):  # pragma: no cover - subclasses answer
        raise NotImplementedError


class EchoVendor(_Server):
    def answer(self, handler):
        seen = handler._read()
        echo = echo_of(seen)
        if urlsplit(seen.path).path.endswith("/token"):
            grant = {
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
                "expires_in": 300,
                "refresh_expires_in": 1800,
                "token_type": "Bearer",
                "echo": echo,
            }
            handler._send(200, json.dumps(grant, ensure_ascii=False).encode("utf-8"))
            return
        text = echo["request"]
        envelope = {
            # CPaaS, MyOperator, Omilia: {"status": "error", "message": …}
            "status": "error",
            "message": text,
            # OCA: {"errors": [{"message", "code"}]} (39: a validation error)
            "errors": [{"message": text, "code": 39}],
            # Keycloak: {"error", "error_description"}
            "error": "invalid_request",
            "error_description": text,
            "echo": echo,
            "echo_ascii": json.dumps(echo, ensure_ascii=True),
        }
        handler._send(400, json.dumps(envelope, ensure_ascii=False).encode("utf-8"))


class RedirectingVendor(_Server):
    def __init__(self, location: str, status: int = 302):
        super().__init__()
        self.location = location
        self.status = status

    def answer(self, handler):
        handler._read()
        handler._send(self.status, b"", {"Location": self.location})


class Recorder(_Server):
    def answer(self, handler):
        handler._read()
        handler._send(200, b"{}")
