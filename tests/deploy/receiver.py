"""A local HTTP receiver for alert tests: records every POST body; can fail its first requests or hang."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """POSTs to http://127.0.0.1:PORT/...: the first `fail_first` get 503, the rest 200; bodies kept in order."""

    def __init__(self, fail_first: int = 0):
        self.bodies: list[tuple[str, object]] = []  # (path, decoded JSON) of each accepted post
        self.requests = 0
        self.fail_first = fail_first
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with lock:
                    owner.requests += 1
                    fail = owner.requests <= owner.fail_first
                    if not fail:
                        owner.bodies.append((self.path, json.loads(body)))
                self.send_response(503 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def dead_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hanging:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()
