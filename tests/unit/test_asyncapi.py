"""schemas/asyncapi.yaml: a valid AsyncAPI 3.0 document that names every topic and schema the code uses."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson
import pytest
import yaml
from jsonschema import Draft7Validator

from pipeline.feeders import journal
from pipeline.routing import RESERVED
from pipeline.schemas import FILES, SCHEMA_DIR
from pipeline.topics import ALL, ARTICLES, TopicNames

DOCUMENT = SCHEMA_DIR / "asyncapi.yaml"
OFFICIAL = SCHEMA_DIR / "asyncapi" / "asyncapi-3.0.0.schema.json"
#: the address of the routed topics' channel: a parameter (the rules name the topics)
ROUTED = "{routedTopic}"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def _local(document: dict[str, Any], ref: str) -> Any:
    target: Any = document
    for step in ref.removeprefix("#/").split("/"):
        target = target[step]
    return target


def _messages(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Channel address -> its message objects (references followed)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for channel in document["channels"].values():
        out[channel["address"]] = [_local(document, m["$ref"]) for m in channel["messages"].values()]
    return out


def test_the_document_is_valid_asyncapi_3(document: dict[str, Any]) -> None:
    """It validates against the official AsyncAPI 3.0.0 JSON Schema (copied offline, Apache-2.0)."""
    schema = orjson.loads(OFFICIAL.read_bytes())
    problems = sorted(Draft7Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"[:300] for e in problems] == []
    assert document["asyncapi"] == "3.0.0"
    # every operation and message reference points at something in the document
    for operation in document["operations"].values():
        assert _local(document, operation["channel"]["$ref"])["address"]
    assert all(_messages(document).values())


def test_the_official_schema_catches_a_broken_document(document: dict[str, Any]) -> None:
    """The validation has teeth: a channel without messages' objects or a wrong version is refused."""
    schema = orjson.loads(OFFICIAL.read_bytes())
    broken = {**document, "asyncapi": "3.0"}
    assert list(Draft7Validator(schema).iter_errors(broken))
    broken = {**document, "channels": {"raw": {"address": 7}}}
    assert list(Draft7Validator(schema).iter_errors(broken))


# Built in a child process: a Faust app makes event loops and sockets at import and
# construction that this test process would otherwise have to tear down.
_APP_TOPICS = """
import json, sys, tempfile, pathlib, faust
from pipeline.app import create_app
from pipeline.settings import Settings
from pipeline.topics import declare_topics
settings = Settings(broker="kafka://127.0.0.1:1", data_dir=pathlib.Path(tempfile.mkdtemp()))
app = create_app(settings)
inputs = sorted({name for agent in app.agents.values() for name in agent.channel.topics})
declared = declare_topics(faust.App("asyncapi-check", broker="kafka://127.0.0.1:1"), settings)
print(json.dumps({"inputs": inputs, "declared": sorted(t for t in declared.names.all())}))
"""


def test_every_topic_the_app_declares_is_a_channel_and_no_other(document: dict[str, Any]) -> None:
    """Channels = the topics declared for the worker (inputs of its agents, outputs) + the feeders' state."""
    done = subprocess.run([sys.executable, "-c", _APP_TOPICS], capture_output=True, timeout=120, check=True)
    app = orjson.loads(done.stdout.splitlines()[-1])
    inputs, declared = set(app["inputs"]), set(app["declared"])
    assert inputs <= declared and set(ALL) == declared == set(TopicNames.with_prefix("").all())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == declared | {journal.TOPIC, ROUTED}


def test_routed_topics_are_a_pattern_no_topic_of_the_pipeline_can_fill() -> None:
    """The routed channel's address is a parameter; a rule may name none of the declared topics."""
    assert set(ALL) | {journal.TOPIC} <= RESERVED


def test_every_schema_the_code_validates_with_is_the_one_the_document_names(document: dict[str, Any]) -> None:
    """Value and header schemas: the current version pipeline.schemas uses for each topic, and files that exist."""
    messages = _messages(document)
    named: dict[tuple[str, str], str] = {}
    for address, objects in messages.items():
        for message in objects:
            for part in ("payload", "headers"):
                schema = message.get(part, {})
                ref = schema.get("schema", {}).get("$ref") if isinstance(schema, dict) else None
                if ref:
                    assert (DOCUMENT.parent / ref).is_file(), ref
                    assert schema["schemaFormat"] == "application/schema+json;version=draft-2020-12"
                    target = orjson.loads((DOCUMENT.parent / ref).read_bytes())
                    assert target["$schema"] == "https://json-schema.org/draft/2020-12/schema"
                    named[(address, "value" if part == "payload" else "headers")] = ref.removeprefix("./")
            assert message["bindings"]["kafka"]["key"]["type"] == "string"
    current = {
        (topic, part): path
        for (topic, part), path in FILES.items()
        if part in ("value", "headers") and topic in messages
    }
    # the internal wire.parsed record is the same CleanedDispatch as wire.cleaned
    current[("wire.parsed", "value")] = FILES[("wire.cleaned", "value")]
    # routed topics carry the records of wire.articles
    current[(ROUTED, "value")], current[(ROUTED, "headers")] = FILES[(ARTICLES, "value")], FILES[(ARTICLES, "headers")]
    assert named == current


def test_the_contract_topic_list_in_the_readme_matches(document: dict[str, Any]) -> None:
    """The README's contract table lists the public topics of the document."""
    readme = (SCHEMA_DIR.parent / "README.md").read_text(encoding="utf-8")
    public = [
        c["address"] for c in document["channels"].values() if any(t["name"] == "public" for t in c.get("tags", []))
    ]
    assert public == ["wire.raw", "wire.articles", ROUTED, "wire.deadletter", "wire.duplicates", "wire.articles.latest"]
    assert all(f"`{topic}`" in readme for topic in public)
