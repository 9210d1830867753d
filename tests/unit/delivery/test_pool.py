"""The stage process: a record over the time limit is abandoned with a dead letter, one that kills the
process twice is set aside, a batch phase over the limit goes record by record, a stage that cannot load
fails the batch (no dead letters for what is not the dispatch's fault)."""

from __future__ import annotations

import logging
import multiprocessing

import orjson
import pytest

from pipeline.delivery.pool import ProcessRunner, StageFailed, ThreadRunner, _ParentGone, _serve_parent
from pipeline.records import Outcome, Provenance, RawDispatch
from pipeline.settings import Settings
from pipeline.work import make_work, run_batch

TINY = "tests.unit.delivery.tiny_stages:tiny"


def _settings(stages: str = TINY) -> Settings:
    return Settings(stages=stages, spacy_models=("none",), log_level="warning")


def _raws(*texts: str) -> list[RawDispatch]:
    return [
        RawDispatch(t.encode(), (("wf_source", b"tiny"),), provenance=Provenance("wire.raw", 0, n))
        for n, t in enumerate(texts)
    ]


def _error(outcomes: list[Outcome]) -> tuple[str, str] | None:
    (outcome,) = outcomes
    if not outcome.topic.endswith("deadletter"):
        return None
    error = orjson.loads(outcome.value)["error"]
    return error["class"], error["stage"]


async def test_a_record_over_the_time_limit_is_abandoned_and_the_batch_goes_on() -> None:
    runner = ProcessRunner("parse-clean", _settings(), time_limit=2.0)
    try:
        results = await runner.run(_raws("one", "hang", "three"))
    finally:
        runner.close()
    assert [_error(r) for r in results] == [None, ("TimeLimitError", "parse-clean"), None]
    assert all(r[0].topic == "wire.parsed" for i, r in enumerate(results) if i != 1)
    assert runner.replaced == 1


async def test_a_record_that_kills_the_process_twice_is_quarantined() -> None:
    runner = ProcessRunner("parse-clean", _settings(), time_limit=30.0, max_crashes=2)
    try:
        results = await runner.run(_raws("one", "crash", "three"))
    finally:
        runner.close()
    assert [_error(r) for r in results] == [None, ("QuarantinedError", "parse-clean"), None]
    assert runner.replaced == 2
    assert "died 2 times" in orjson.loads(results[1][0].value)["error"]["reason"]


async def test_a_batch_phase_over_the_limit_is_done_record_by_record() -> None:
    """Batch enrichment of the whole batch hangs: nobody's fault; each record is then enriched alone."""
    parse = make_work("parse-clean", _settings())
    internal = [o[0] for o in run_batch(parse, _raws("one", "slow-batch", "three"))]
    records = [RawDispatch(o.value, provenance=Provenance("wire.cleaned", 0, n)) for n, o in enumerate(internal)]
    runner = ProcessRunner("enrich-emit", _settings(), time_limit=2.0)
    try:
        results = await runner.run(records)
    finally:
        runner.close()
    assert [r[0].topic for r in results] == ["wire.articles"] * 3


async def test_a_stage_that_cannot_load_fails_the_batch_instead_of_dead_lettering_it() -> None:
    broken = _settings("tests.unit.delivery.tiny_stages:broken")
    runner = ProcessRunner("parse-clean", broken, time_limit=5.0)
    try:
        with pytest.raises(StageFailed, match="Can't find model"):
            await runner.run(_raws("one"))
    finally:
        runner.close()
    thread = ThreadRunner("parse-clean", broken)
    try:
        with pytest.raises(StageFailed, match="Can't find model"):
            await thread.run(_raws("one"))
    finally:
        thread.close()


async def test_bad_input_is_still_a_dead_letter_of_its_own() -> None:
    runner = ProcessRunner("parse-clean", _settings(), time_limit=10.0)
    try:
        results = await runner.run(_raws("boom", "two"))
    finally:
        runner.close()
    assert [_error(r) for r in results] == [("ParseError", "parse"), None]
    assert runner.replaced == 0


def test_a_stage_process_whose_worker_is_gone_stops_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """The worker was stopped or killed (its end of the pipe closed, a batch sent): the child's next
    report fails; it stops quietly instead of logging a BrokenPipeError as a failed batch (F10)."""
    parent, child = multiprocessing.Pipe()
    work = make_work("parse-clean", _settings())
    parent.send(("batch", _raws("one", "two"), False))
    parent.close()
    with pytest.raises(_ParentGone):
        _serve_parent(child, "parse-clean", work)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
