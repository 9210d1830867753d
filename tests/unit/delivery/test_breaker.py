"""The circuit breaker: opens when most recent records fail the same way by no fault of theirs."""

from __future__ import annotations

import orjson

from pipeline.delivery.breaker import Breaker, alert_record, signature
from pipeline.errors import ParseError, TimeLimitError, UnexpectedError
from pipeline.records import Outcome, Provenance, RawDispatch
from pipeline.schemas import errors
from pipeline.stages.outcome import dead_letter
from pipeline.topics import TopicNames

NAMES = TopicNames.with_prefix("")


def _raw(n: int) -> RawDispatch:
    return RawDispatch(f"dispatch {n}".encode(), provenance=Provenance("wire.cleaned", 0, n))


def _failed(n: int, error: Exception) -> list[Outcome]:
    return [NAMES.outcome(dead_letter(_raw(n), error))]  # type: ignore[arg-type]


def _ok(n: int) -> list[Outcome]:
    return [Outcome(NAMES.articles, b"k", b"{}", ())]


def _missing_model(n: int) -> list[Outcome]:
    error = UnexpectedError(OSError(f"[E050] Can't find model 'xx_{n % 1}' ({n} tries)"), stage="enrich")
    return _failed(n, error)


def test_a_missing_model_opens_it_and_names_the_first_failing_record() -> None:
    breaker = Breaker("enrich-emit", window=20, threshold=0.8, min_failures=10)
    assert breaker.observe([_ok(0), _ok(1)]) is None
    tripped = breaker.observe([_missing_model(n) for n in range(2, 30)])
    assert tripped is not None
    sig, index = tripped
    assert sig.startswith("enrich/OSError: OSError: [E#] Can't find model")  # digits blurred: one signature
    assert index == 0 and breaker.is_open


def test_bad_input_never_opens_it() -> None:
    """A feed of malformed XML is the feed's fault: dead letters, not a paused stage."""
    breaker = Breaker("parse-clean", window=20, min_failures=5)
    assert breaker.observe([_failed(n, ParseError("unclosed tag")) for n in range(50)]) is None
    assert signature(_failed(0, ParseError("x"))) is None


def test_scattered_failures_do_not_open_it() -> None:
    """Unexpected errors among mostly good records, or each different: below the threshold."""
    breaker = Breaker("enrich-emit", window=20, threshold=0.8, min_failures=10)
    mixed = [_missing_model(n) if n % 3 == 0 else _ok(n) for n in range(60)]
    assert breaker.observe(mixed) is None
    different = [_failed(n, UnexpectedError(KeyError(f"k{chr(97 + n % 26)}"), stage="enrich")) for n in range(26)]
    assert breaker.observe(different) is None


def test_timeouts_count_and_a_probe_that_works_again_closes_it() -> None:
    breaker = Breaker("parse-clean", window=10, threshold=0.8, min_failures=5)
    tripped = breaker.observe(
        [_failed(n, TimeLimitError("ran longer than 60 s", stage="parse-clean")) for n in range(8)]
    )
    assert tripped is not None
    assert breaker.still_failing(_failed(99, TimeLimitError("ran longer than 60 s", stage="parse-clean")))
    assert not breaker.still_failing(_ok(99))
    breaker.close()
    assert not breaker.is_open and not breaker.recent


def test_the_alert_record_meets_its_schema() -> None:
    breaker = Breaker("enrich-emit", window=20, min_failures=10)
    breaker.observe([_missing_model(n) for n in range(20)])
    outcome = alert_record("wire.alerts", "breaker-open", breaker, _raw(3))
    value = orjson.loads(outcome.value)
    assert errors("wire.alerts", "value", value) == []
    assert (outcome.key, value["failures"], value["example"]["offset"]) == (b"enrich-emit", 20, 3)


def test_probes_back_off_to_the_maximum() -> None:
    assert Breaker("s", probe_first=2, probe_max=30).probe_delays() == [2, 4, 8, 16, 30]
