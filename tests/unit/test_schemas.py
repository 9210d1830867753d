"""The published contract: every should_pass example passes, every should_fail one fails."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from pipeline.schemas import FILES, SCHEMA_DIR, cleaned_schema, errors

EXAMPLES = sorted(SCHEMA_DIR.glob("*/should_*/*.json"))


def _topic_and_part(path: Path) -> tuple[str, str]:
    return path.parent.parent.name, path.name.split("-", 1)[0]


@pytest.mark.parametrize(
    "path", [p for p in EXAMPLES if p.parent.name == "should_pass"], ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_should_pass_examples_pass(path: Path) -> None:
    """Examples of valid records validate without a single error."""
    topic, part = _topic_and_part(path)
    assert errors(topic, part, json.loads(path.read_text())) == []


@pytest.mark.parametrize(
    "path", [p for p in EXAMPLES if p.parent.name == "should_fail"], ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_should_fail_examples_fail(path: Path) -> None:
    """Examples of broken records are refused."""
    topic, part = _topic_and_part(path)
    assert errors(topic, part, json.loads(path.read_text())) != []


def test_every_schema_has_examples_both_ways() -> None:
    """No schema of ours ships without a passing and a failing example."""
    for topic, part in FILES:
        if topic in ("ninjs", "wire.cleaned", "wire.articles.latest"):  # the latest topic has the articles' schemas
            continue
        kinds = {p.parent.name for p in EXAMPLES if _topic_and_part(p) == (topic, part)}
        assert kinds == {"should_pass", "should_fail"}, (topic, part)


@pytest.mark.parametrize("topic", ["wire.deadletter", "wire.alerts"])
def test_every_v1_value_is_a_valid_v2_value(topic: str) -> None:
    """v2 only adds (dead letters: bytes left out with a reason; alerts: feed alerts): v1 values stay valid."""
    v1_examples = [
        p
        for p in EXAMPLES
        if p.name.startswith("value.v1-") and p.parent.name == "should_pass" and p.parent.parent.name == topic
    ]
    assert v1_examples
    for path in v1_examples:
        assert errors(topic, "value", json.loads(path.read_text())) == [], path.name


def test_cleaned_schema_file_matches_the_records() -> None:
    """schemas/wire.cleaned is regenerated whenever pipeline/records.py changes (python -m pipeline.schemas)."""
    committed = orjson.loads((SCHEMA_DIR / FILES[("wire.cleaned", "value")]).read_bytes())
    assert committed == cleaned_schema()


def test_official_ninjs_schema_is_unchanged() -> None:
    """The copy in schemas/ninjs is the IPTC file byte for byte (sha256 of ninjs-schema_3.1.json)."""
    import hashlib

    data = (SCHEMA_DIR / "ninjs" / "ninjs-schema_3.1.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == "404f578a299bf34e76e98f2de26ad9989882ebd7abf3a4d3cf3aa689b70a8744"
    assert (SCHEMA_DIR / "ninjs" / "LICENSE").read_text().startswith("MIT License")
