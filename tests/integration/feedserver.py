"""A real local HTTP server for the feeder tests: feeds that grow, fail, stall and lie.

Each path serves a ``Route``: a document (bytes, content type) with an ETag and a
Last-Modified, answered with 304 when the request's validators match, and a queue of
faults played one per request before the document is served again: an HTTP status
(503, 429 with Retry-After, 404...), a delay longer than the client's timeout, a
connection dropped in the middle of the body, garbage bytes. Every request is recorded.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Fault:
    status: int | None = None  # answer with this status (and no document)
    delay: float = 0.0  # wait this long before answering
    drop: bool = False  # send half the document, then close the connection
    body: bytes | None = None  # answer 200 with these bytes instead of the document
    retry_after: str | None = None


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/xml"
    faults: list[Fault] = field(default_factory=list)
    modified: float = field(default_factory=time.time)
    requests: list[dict[str, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def set(self, body: bytes) -> None:
        if body != self.body:
            self.body = body
            self.modified = time.time()

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class FeedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def route(self, path: str, body: bytes = b"", content_type: str = "application/xml") -> Route:
        with self.lock:
            self.routes[path] = Route(body, content_type)
            return self.routes[path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with outer.lock:
                    route = outer.routes.get(self.path)
                    fault = route.faults.pop(0) if route and route.faults else None
                    if route:
                        route.requests.append(dict(self.headers.items()))
                if route is None:
                    return self._answer(404, b"not found", "text/plain")
                if fault and fault.delay:
                    time.sleep(fault.delay)
                if fault and fault.status:
                    extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return self._answer(fault.status, b"busy", "text/plain", route, extra)
                if fault and fault.body is not None:
                    return self._answer(200, fault.body, "application/octet-stream", route)
                etag, modified = route.etag, formatdate(route.modified, usegmt=True)
                if self.headers.get("If-None-Match") == etag:
                    return self._answer(304, b"", None, route, {"ETag": etag})
                headers = {"ETag": etag, "Last-Modified": modified}
                if fault and fault.drop:
                    self.send_response(200)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    with outer.lock:
                        route.statuses.append(200)
                    return None
                return self._answer(200, route.body, route.content_type, route, headers)

            def _answer(
                self,
                status: int,
                body: bytes,
                content_type: str | None,
                route: Route | None = None,
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)
                if route is not None:
                    with outer.lock:
                        route.statuses.append(status)

        return Handler


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
