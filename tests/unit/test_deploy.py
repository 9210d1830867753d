"""docker-compose.yml and the Dockerfile: they parse, and every command they run exists.

No Docker engine runs here, so the file is checked statically: services, healthcheck,
scalable worker, and that each `command` is a valid `wirefeed` invocation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_kafka_with_kraft_and_a_healthcheck(compose: dict) -> None:
    """Apache Kafka's official image in KRaft mode, healthy before workers start."""
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])
    assert compose["services"]["worker"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_worker_scales_without_fixed_names_or_ports(compose: dict) -> None:
    """`--scale worker=N` needs no container_name, no host port and no shared state volume."""
    worker = compose["services"]["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert "volumes" not in worker
    assert worker["environment"]["WIREFEED_BROKER"] == "kafka://kafka:9092"


@pytest.mark.parametrize(
    "service", ["worker", "ingest", "tail", "audit", "poll", "watch", "backfill-worker", "backfill-ingest"]
)
def test_every_service_command_is_a_wirefeed_command(compose: dict, service: str) -> None:
    """The Dockerfile's entrypoint is `wirefeed`; each service's command parses with its CLI."""
    command = compose["services"][service]["command"]
    args = build_parser().parse_args(command)
    assert args.command == command[0]


def test_a_backfill_is_a_pipeline_of_its_own_with_a_low_cpu_weight(compose: dict) -> None:
    """Backfill workers and their ingest share topics and a group of their own, never the live ones, and yield
    the cores to the live workers (cgroup CPU weight below the default 1024)."""
    live, back, ingest = (compose["services"][s] for s in ("worker", "backfill-worker", "backfill-ingest"))
    for service in (back, ingest):
        env = service["environment"]
        assert env["WIREFEED_TOPIC_PREFIX"] and env["WIREFEED_TOPIC_PREFIX"] != live["environment"].get(
            "WIREFEED_TOPIC_PREFIX", ""
        )
        assert env["WIREFEED_APP_ID"] != live["environment"].get("WIREFEED_APP_ID", "wirefeed")
        assert env["WIREFEED_BROKER"] == live["environment"]["WIREFEED_BROKER"]
        assert service["profiles"] == ["backfill"]
    assert back["environment"]["WIREFEED_TOPIC_PREFIX"] == ingest["environment"]["WIREFEED_TOPIC_PREFIX"]
    assert back["cpu_shares"] < 1024 and "ports" not in back and "container_name" not in back


def test_dockerfile_installs_the_locked_dependencies_and_runs_wirefeed() -> None:
    """The image installs requirements.lock and the project, and its entrypoint is the CLI."""
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in text
    assert 'ENTRYPOINT ["wirefeed"]' in text and 'CMD ["worker"]' in text
    for copied in ("pipeline", "schemas", "samples", "requirements.lock", "pyproject.toml"):
        assert f"COPY {copied}" in text or f" {copied} " in text.replace("\n", " ")


def _mounts(service: dict) -> dict[str, str]:
    """Container path -> host path of a service's bind mounts."""
    out = {}
    for volume in service.get("volumes", []):
        host, container = volume.split(":")[:2]
        out[container] = host
    return out


def test_prometheus_scrapes_every_worker_on_its_web_port(compose: dict) -> None:
    """Prometheus finds the scaled workers by the service's DNS name, on the port the workers serve."""
    prometheus = compose["services"]["prometheus"]
    config_path = _mounts(prometheus)["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load((ROOT / config_path).read_text())
    (job,) = config["scrape_configs"]
    (sd,) = job["dns_sd_configs"]
    worker = compose["services"]["worker"]
    assert sd["names"] == ["worker"] and job["metrics_path"] == "/metrics"
    assert str(sd["port"]) == worker["environment"]["WIREFEED_WEB_PORT"]
    assert worker["environment"]["WIREFEED_WEB_HOST"] == "0.0.0.0"  # reachable from the Prometheus container


def test_worker_healthcheck_asks_its_web_endpoint(compose: dict) -> None:
    """The healthcheck asks the worker's liveness endpoint with the image's Python (no curl in the image)."""
    worker = compose["services"]["worker"]
    test = " ".join(worker["healthcheck"]["test"])
    port = worker["environment"]["WIREFEED_WEB_PORT"]
    assert test.startswith("CMD python -c") and f"127.0.0.1:{port}/healthz" in test
    assert worker["healthcheck"]["start_period"]


def test_grafana_is_provisioned_with_the_prometheus_source_and_the_dashboard(compose: dict) -> None:
    """The provisioned datasource is the one every panel names; the dashboard file is where the provider looks."""
    grafana = compose["services"]["grafana"]
    mounts = _mounts(grafana)
    provisioning = ROOT / mounts["/etc/grafana/provisioning"]
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert source["url"] == "http://prometheus:9090" and source["type"] == "prometheus"
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "wirefeed.yml").read_text())["providers"]
    dashboards = ROOT / mounts[provider["options"]["path"]]
    dashboard = json.loads((dashboards / "wirefeed.json").read_text())
    assert dashboard["uid"] == "wirefeed" and len(dashboard["panels"]) >= 8
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == source["uid"]
        for target in panel["targets"]:
            assert "wirefeed_" in target["expr"] or 'up{job="wirefeed-worker"}' in target["expr"], target["expr"]
    assert grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"].endswith("/wirefeed.json")


def test_feeders_run_as_services_with_their_state_in_kafka(compose: dict) -> None:
    """poll and watch keep no local state (it is in wire.feeders): only their inputs are mounted."""
    poll, watch = compose["services"]["poll"], compose["services"]["watch"]
    assert list(_mounts(poll)) == ["/etc/wirefeed/feeds.toml"] and poll["command"][1:] == [
        "--feeds",
        "/etc/wirefeed/feeds.toml",
    ]
    assert list(_mounts(watch)) == ["/srv/dropbox"] and watch["command"][1] == "/srv/dropbox"


def test_the_example_feeds_file_loads() -> None:
    """deploy/feeds.example.toml is a valid feeds file once its secrets are in the environment."""
    from pipeline.feeders.poll import FeedsError, load_feeds

    example = ROOT / "deploy" / "feeds.example.toml"
    feeds = load_feeds(example, env={"EXAMPLE_API_TOKEN": "t", "EXAMPLE_G2_BASIC": "b"})
    assert [f.name for f in feeds] == ["example-rss-en", "example-api", "example-g2"]
    with pytest.raises(FeedsError, match="EXAMPLE_API_TOKEN"):
        load_feeds(example, env={})


def _exported_series() -> set[str]:
    """Every series name the worker's /metrics can carry (counters with _total, histograms' parts)."""
    from pipeline.observability import metrics, observer

    observer()  # registers the metrics computed when scraped
    names = set()
    for family in metrics.REGISTRY.collect():
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}.get(family.type, [""])
        names.update(family.name + suffix for suffix in suffixes)
    return names


def test_prometheus_alert_rules_are_loaded_and_name_only_exported_metrics(compose: dict) -> None:
    """The rules file is mounted where prometheus.yml loads it; each rule has a severity and a summary and asks
    only for metrics the worker exports (a renamed metric would silence an alert)."""
    import re

    mounts = _mounts(compose["services"]["prometheus"])
    config = yaml.safe_load((ROOT / mounts["/etc/prometheus/prometheus.yml"]).read_text())
    (rules_path,) = config["rule_files"]
    (group,) = yaml.safe_load((ROOT / mounts[rules_path]).read_text())["groups"]
    exported = _exported_series()
    assert {"wirefeed_source_idle", "wirefeed_breaker_open", "wirefeed_dispatches_total"} <= exported
    alerts = {rule["alert"] for rule in group["rules"]}
    assert {"WirefeedFeedIdle", "WirefeedStageBreakerOpen", "WirefeedWorkerNotReady"} <= alerts
    for rule in group["rules"]:
        assert rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"], rule
        named = set(re.findall(r"\bwirefeed_\w+", rule["expr"]))
        assert named <= exported, (rule["alert"], named - exported)
        assert named or 'up{job="wirefeed-worker"}' in rule["expr"], rule["alert"]
