"""The web endpoint serves /metrics, /healthz and /readyz from a thread, whatever the loop does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.observability import metrics, observer
from pipeline.observability.probes import State
from pipeline.observability.web import Endpoint

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    obs = observer()
    obs.probes.state = State(phase="starting", started=0.0)
    running = Endpoint("127.0.0.1", 0, metrics.REGISTRY, obs.probes.live, obs.probes.ready).start()
    yield running
    running.close()


def _get(endpoint: Endpoint, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{endpoint.port}{path}", timeout=5) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_starting_worker_is_alive_not_ready_and_has_metrics(endpoint: Endpoint) -> None:
    status, body = _get(endpoint, "/healthz")
    assert status == 200 and json.loads(body)["status"] == "starting"
    status, body = _get(endpoint, "/readyz")
    assert status == 503 and json.loads(body)["checks"]["assigned"]["ok"] is False
    status, body = _get(endpoint, "/metrics")
    assert status == 200 and b"wirefeed_ready 0.0" in body and b"# TYPE wirefeed_stage_seconds histogram" in body
    assert _get(endpoint, "/nothing")[0] == 404


def test_every_metric_the_dashboard_plots_is_one_the_worker_exports(endpoint: Endpoint) -> None:
    """deploy/grafana's dashboard names wirefeed_* series: each is in the exposition (histograms by _bucket)."""
    import re

    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "wirefeed.json").read_text())
    wanted = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"wirefeed_[a-z_]+", target["expr"])
    }
    _, body = _get(endpoint, "/metrics")
    exported = set(re.findall(r"^# TYPE (wirefeed_[a-z_]+) (\w+)", body.decode(), re.M))
    names = set()
    for name, kind in exported:
        names.add(name)
        if kind == "counter":
            names.add(f"{name}_total")
        if kind == "histogram":
            names.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
    assert wanted and wanted <= names, wanted - names
