"""The pipeline on a real broker: a real worker process, real producers and consumers."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
from pathlib import Path
from typing import Any

import orjson
import pytest

from pipeline.audit import Reconciler
from pipeline.records import Outcome, RawDispatch
from pipeline.schemas import validate_outcome
from pipeline.sources import iter_dispatches
from pipeline.stages import flow
from tests.corpus_files import require_corpus
from tests.integration.conftest import Pipeline

pytestmark = pytest.mark.broker

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "firehose"


def _manifest() -> list[dict]:
    return json.loads((SAMPLES / "MANIFEST.json").read_text())


def _headers(record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


def _first_webtext_sample() -> dict[str, Any]:
    return next(m for m in _manifest() if m["format"] == "webtext" and m["expect"] == "article")


def _outcome(record) -> Outcome:
    return Outcome(record.topic, record.key, record.value, tuple(record.headers))


async def test_garbage_and_articles_end_in_exactly_one_outcome_each(running_pipeline: Pipeline) -> None:
    """Garbage bytes and an empty record become dead letters with the original; a sample becomes its article."""
    sample = _first_webtext_sample()
    sample_bytes = (SAMPLES / sample["file"]).read_bytes()
    garbage = random.Random(7).randbytes(3000)
    headers = (("content-type", b"text/plain; charset=utf-8"), ("wf_source", b"integration-test"))
    pipeline = running_pipeline
    coords = await pipeline.produce(
        [(sample_bytes, headers), (garbage, (("x-feed", b"\xff\x00binary-header"),)), (b"", ())]
    )
    records = await pipeline.outcomes_for(coords)
    by_coord = {}
    for record in records:
        h = _headers(record)
        key = (int(h["wf_raw_partition"]), int(h["wf_raw_offset"]))
        by_coord.setdefault(key, []).append(record)
    assert sorted(by_coord) == sorted(coords)
    # exactly one outcome per raw record; a re-read (at-least-once) may repeat it byte for byte
    assert all(len({(r.topic, r.value) for r in v}) == 1 for v in by_coord.values()), "one outcome per raw record"

    article = by_coord[coords[0]][0]
    assert article.topic == pipeline.names.articles
    validate_outcome(_outcome(article), "wire.articles")
    doc = orjson.loads(article.value)
    assert doc["headlines"][0]["value"] == sample["headline"]
    assert article.key.decode() == doc["uri"]
    # the same raw bytes processed in-process give the same deterministic ids
    offline = flow.process(RawDispatch(sample_bytes, headers), flow.default_stages())
    assert offline[0].header("ce_id") == _headers(article)["ce_id"]
    assert orjson.loads(offline[0].value)["uri"] == doc["uri"]

    for coord, expected_bytes, expected_class in ((coords[1], garbage, "DecodeError"), (coords[2], b"", None)):
        dead = by_coord[coord][0]
        assert dead.topic == pipeline.names.deadletter
        validate_outcome(_outcome(dead), "wire.deadletter")
        envelope = orjson.loads(dead.value)
        assert base64.b64decode(envelope["original"]["value"]) == expected_bytes
        assert envelope["source"] == {
            "topic": pipeline.names.raw,
            "partition": coord[0],
            "offset": coord[1],
            "timestamp_ms": envelope["source"]["timestamp_ms"],
            "input": None,
            "part": 1,
            "parts": 1,
        }
        assert envelope["error"]["reason"]
        if expected_class:
            assert envelope["error"]["class"] == expected_class
    garbage_envelope = orjson.loads(by_coord[coords[1]][0].value)
    assert garbage_envelope["original"]["headers"] == [
        {"name": "x-feed", "value": base64.b64encode(b"\xff\x00binary-header").decode(), "encoding": "base64"}
    ]


async def test_bundled_samples_through_the_broker_match_their_manifest(running_pipeline: Pipeline) -> None:
    """Every sample dispatch ends as the outcome its manifest promises (article or dead letter)."""
    manifest = {m["file"]: m for m in _manifest()}
    dispatches = [d for d in iter_dispatches([str(SAMPLES)], exclude=["MANIFEST.json", "README.md"])]
    pipeline = running_pipeline
    coords = await pipeline.produce([(d.value, d.headers()) for d in dispatches])
    records = await pipeline.outcomes_for(coords)
    reconciler = Reconciler(pipeline.names.raw, pipeline.names.articles)
    outcome_by_coord: dict[tuple[int, int], list] = {}
    for record in records:
        coord = reconciler.add(record)
        outcome_by_coord.setdefault(coord, []).append(record)
    assert reconciler.missing(coords) == []
    for dispatch, coord in zip(dispatches, coords, strict=True):
        entry = manifest[Path(dispatch.input).name.split("#")[0]]
        # At-least-once: a re-read may publish an outcome twice, with the same ce_id and value;
        # count what an idempotent consumer keeps (one record per ce_id).
        by_id: dict[str, Any] = {}
        for record in outcome_by_coord[coord]:
            first_seen = by_id.setdefault(_headers(record)["ce_id"], record)
            assert first_seen.value == record.value, entry["file"]
        outs = list(by_id.values())
        topics = {r.topic for r in outs}
        if entry["file"] == _first_webtext_sample()["file"] and topics == {pipeline.names.duplicates}:
            # the test above sent this one to the same pipeline first: now it is a re-send
            copy = orjson.loads(outs[0].value)
            assert copy["event"] == "duplicate" and copy["duplicateOf"] == copy["uri"], copy
        elif entry["expect"] == "article":
            assert topics == {pipeline.names.articles}, (
                entry["file"],
                [orjson.loads(r.value).get("error") for r in outs],
            )
            assert len(outs) == entry["items"]
            first = min(outs, key=lambda r: _headers(r)["wf_part"])
            assert orjson.loads(first.value)["headlines"][0]["value"] == entry["headline"], entry["file"]
        else:
            assert topics == {pipeline.names.deadletter}, entry["file"]
        for record in outs:
            validate_outcome(_outcome(record), pipeline.names.logical(record.topic))


async def test_a_killed_worker_loses_no_dispatch(pipeline: Pipeline) -> None:
    """SIGKILL a worker mid-stream; a second worker takes over and every raw record gets its outcome."""
    dispatches = []
    for n in range(200):
        text = (
            f"Testtown Gazette\n\nHeadline number {n} about the harbour\n\n"
            f"TESTTOWN - Paragraph {n} of the story, with enough words to be a body paragraph.\n"
        )
        dispatches.append((text.encode(), (("content-type", b"text/plain; charset=utf-8"),)))
    pipeline.start_worker()
    coords = await pipeline.produce(dispatches)
    partial = await pipeline.outcomes(expected_raw=20, timeout=120)
    assert partial, "the first worker produced nothing before it was killed"
    pipeline.workers[0].send_signal(signal.SIGKILL)
    pipeline.workers[0].wait(10)
    pipeline.workers.clear()
    pipeline.start_worker()
    records = await pipeline.outcomes(expected_raw=len(coords), timeout=240)
    reconciler = Reconciler(pipeline.names.raw, pipeline.names.articles)
    for record in records:
        reconciler.add(record)
    assert reconciler.missing(coords) == []
    summary = reconciler.summary(coords)
    assert summary["raw"] == 200 and summary["missing"] == 0


async def test_seed_dispatch_through_the_broker(running_pipeline: Pipeline) -> None:
    """The canonical AA seed page becomes the expected ninjs article on wire.articles."""
    seed = require_corpus("seed", "000_562c3f23ca94c5ff.txt").read_bytes()
    pipeline = running_pipeline
    coords = await pipeline.produce([(seed, (("wf_source", b"seed"),))])
    records = await pipeline.outcomes_for(coords)
    assert [r.topic for r in records] == [pipeline.names.articles]
    doc = orjson.loads(records[0].value)
    assert doc["language"] == "fr"
    assert doc["headlines"][0]["value"] == (
        "Vladimir Poutine discute de la situation au Kazakhstan avec ses homologues kazakh et ouzbek"
    )
    assert doc["by"] == "Elena Teslova"
    assert doc["located"] == "Moscou"


async def test_cli_tail_and_audit_see_the_outcomes(pipeline: Pipeline) -> None:
    """`wirefeed tail --json` prints the records and `wirefeed audit` reconciles them, exit 0."""
    pipeline.start_worker()
    text = (
        b"Riverside Post\n\nBridge reopens after repairs\n\n"
        b"RIVERSIDE - The old bridge reopened on Monday after six months of repairs, the council said.\n"
    )
    await pipeline.produce([(text, ()), (os.urandom(2000) + b"\x00", ())])
    await pipeline.outcomes(expected_raw=2)
    tail = pipeline.cli("tail", "--topic", "wire.deadletter", "--from-beginning", "--no-follow", "--json")
    assert tail.returncode == 0, tail.stderr.decode()
    lines = [json.loads(line) for line in tail.stdout.decode().splitlines()]
    assert len(lines) == 1 and lines[0]["value"]["error"]["class"] == "DecodeError"
    audit = pipeline.cli("audit")
    assert audit.returncode == 0, audit.stdout.decode() + audit.stderr.decode()
    summary = json.loads(audit.stdout)
    assert (summary["raw"], summary["articles"], summary["deadletters"], summary["missing"]) == (2, 1, 1, 0)
