"""A fake provider: a threaded HTTP/1.1 server on 127.0.0.1:0 with a scripted fault queue."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Fault:
    """What the next request gets instead of the normal answer."""

    status: int = 200  # HTTP status to answer with
    body: dict[str, Any] | None = None  # provider error body (None: an empty 500 body)
    delay: float = 0.0  # seconds to wait first (longer than the client's timeout: a timeout)
    proceed: bool = False  # after the delay, answer normally (a slow success)


class FakeServer:
    """Run a handler in a thread; ``script`` queues faults, ``always`` fails every request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.faults: deque[Fault] = deque()
        self.always: Fault | None = None
        self.requests: list[dict[str, Any]] = []  # every request that passed the checks
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # header and body go out in two writes

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = fake.answer(self, body)
                data = json.dumps(answer, ensure_ascii=False).encode() if answer is not None \
                    else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, *faults: Fault) -> None:
        """Answer the next requests with these faults, in order."""
        with self.lock:
            self.faults.extend(faults)

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any]:
        with self.lock:
            fault = self.faults.popleft() if self.faults else self.always
        if fault is not None:
            time.sleep(fault.delay)
            if not fault.proceed:
                return fault.status, fault.body
        return self.handle(handler, body)

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, Any]:
        raise NotImplementedError
