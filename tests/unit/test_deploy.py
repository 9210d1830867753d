"""docker-compose.yml and the Dockerfile: they parse, and every command they run exists.

No Docker engine runs here, so the file is checked statically: services, healthcheck,
scalable worker, and that each `command` is a valid `wirefeed` invocation.
"""

from __future__ import annotations

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


@pytest.mark.parametrize("service", ["worker", "ingest", "tail", "audit"])
def test_every_service_command_is_a_wirefeed_command(compose: dict, service: str) -> None:
    """The Dockerfile's entrypoint is `wirefeed`; each service's command parses with its CLI."""
    command = compose["services"][service]["command"]
    args = build_parser().parse_args(command)
    assert args.command == command[0]


def test_dockerfile_installs_the_locked_dependencies_and_runs_wirefeed() -> None:
    """The image installs requirements.lock and the project, and its entrypoint is the CLI."""
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in text
    assert 'ENTRYPOINT ["wirefeed"]' in text and 'CMD ["worker"]' in text
    for copied in ("pipeline", "schemas", "samples", "requirements.lock", "pyproject.toml"):
        assert f"COPY {copied}" in text or f" {copied} " in text.replace("\n", " ")
