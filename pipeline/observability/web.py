"""The worker's web endpoint: ``/metrics``, ``/healthz``, ``/readyz`` on WIREFEED_WEB_HOST:PORT.

A small HTTP server in a thread of its own, started before anything else in the worker
(before the topics are checked, the group joined, the tables recovered): a probe gets an
answer from the first second, and a worker whose event loop is stuck still says so
instead of timing out. It only reads what the loop gathered (``probes.State``, the
metrics registry); it never touches Kafka or the loop.

    GET /metrics   Prometheus text format (pipeline.observability.metrics)
    GET /healthz   200 alive / 503 failing, JSON with every check (probes.liveness)
    GET /readyz    200 ready / 503 not ready, JSON with every check (probes.readiness)
    GET /          the list of endpoints and the liveness status
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from pipeline.observability.probes import Verdict

log = logging.getLogger(__name__)


class Endpoint:
    """The running server; ``port`` is the bound one (useful with port 0)."""

    def __init__(
        self,
        host: str,
        port: int,
        registry: CollectorRegistry,
        live: Callable[[], Verdict],
        ready: Callable[[], Verdict],
    ) -> None:
        handler = _handler(registry, live, ready)
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.host, self.port = host, int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, name="wirefeed-web", daemon=True)

    def start(self) -> Endpoint:
        self.thread.start()
        log.info("web endpoint on http://%s:%d (/metrics, /healthz, /readyz)", self.host, self.port)
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(
    registry: CollectorRegistry, live: Callable[[], Verdict], ready: Callable[[], Verdict]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "wirefeed"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/") or "/"
            try:
                if path == "/metrics":
                    self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    self._verdict(live())
                elif path == "/readyz":
                    self._verdict(ready())
                elif path == "/":
                    verdict = live()
                    body = {"status": verdict.status, "endpoints": ["/metrics", "/healthz", "/readyz"]}
                    self._send(200 if verdict.ok else 503, orjson.dumps(body), "application/json")
                else:
                    self._send(404, b'{"error": "not found"}', "application/json")
            except Exception as exc:  # an endpoint that fails says so; the server goes on
                log.exception("web endpoint %s failed", path)
                self._send(500, orjson.dumps({"error": f"{type(exc).__name__}: {exc}"}), "application/json")

        def _verdict(self, verdict: Verdict) -> None:
            body = orjson.dumps(verdict.as_json(), option=orjson.OPT_INDENT_2)
            self._send(200 if verdict.ok else 503, body, "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # a scrape every few seconds is not news

    return Handler
