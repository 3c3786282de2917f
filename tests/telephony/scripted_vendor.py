"""A programmed vendor for tests: a tiny threaded HTTP server on 127.0.0.1 that answers
each request with the next scripted step and remembers what it was sent."""

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    body: object = field(default_factory=dict)  # dict/list -> JSON; bytes/str as they are
    headers: dict = field(default_factory=dict)


DROP = "drop"  # close the connection without answering


@dataclass
class Hang:
    seconds: float  # answer nothing for this long, then give up


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(Seen(self.command, self.path, dict(self.headers), body))
        step = self.server.script.popleft() if self.server.script else Reply()
        if step == DROP:
            self.close_connection = True
            return
        if isinstance(step, Hang):
            threading.Event().wait(step.seconds)
            self.close_connection = True
            return
        payload = step.body
        if isinstance(payload, dict | list):
            payload = json.dumps(payload).encode()
        elif isinstance(payload, str):
            payload = payload.encode()
        self.send_response(step.status)
        self.send_header("Content-Type", step.headers.pop("Content-Type", "application/json"))
        for name, value in step.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script: deque = deque()
        self.seen: list[Seen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def program(self, *steps):
        self.script.extend(steps)


def start_server() -> ScriptedServer:
    server = ScriptedServer()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    return server


def stop_server(server: ScriptedServer):
    server.shutdown()
    server.server_close()
