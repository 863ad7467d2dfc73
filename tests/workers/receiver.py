"""A real ERP stand-in for webhook tests: an HTTP server on 127.0.0.1 that verifies signatures.

It records every request, accepts an event once per ``Event-Id`` (duplicates get 200 but are
not counted twice), can be told to answer 500 to the first N requests, or to redirect.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cashapp.reconciliation.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    SignatureInvalid,
    verify_signature,
)


@dataclass
class Receiver:
    secret: str
    fail_first: int = 0
    redirect_to: str | None = None
    requests: list[dict[str, object]] = field(default_factory=list)
    accepted: dict[str, bytes] = field(default_factory=dict)  # event id -> body, in order
    rejected_signatures: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.requests.append({"headers": headers, "body": body})
            if self.redirect_to:
                return 302, {"Location": self.redirect_to}
            if len(self.requests) <= self.fail_first:
                return 500, {}
            try:
                verify_signature(self.secret, headers.get(SIGNATURE_HEADER, ""), body)
            except SignatureInvalid:
                self.rejected_signatures += 1
                return 400, {}
            event_id = headers.get(EVENT_ID_HEADER, "")
            self.accepted.setdefault(event_id, body)
            return 200, {}


@contextmanager
def running_receiver(receiver: Receiver, path: str = "/hooks/cashapp") -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items()}
            status, extra = receiver.handle(headers, body)
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # what a followed redirect would do
            receiver.requests.append({"headers": dict(self.headers.items()), "body": b"", "get": True})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
