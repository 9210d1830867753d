"""Publishing: all acknowledged; a refused record becomes a small dead letter; a broker away is retried."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from aiokafka import errors as kerr
from faust.exceptions import ProducerSendError

from pipeline.delivery.publish import BrokerUnavailable, Publisher, PublishFailed
from pipeline.records import Outcome, Provenance, RawDispatch
from pipeline.schemas import validate_outcome
from pipeline.topics import TopicNames

NAMES = TopicNames.with_prefix("")


class Broker:
    """Stands in for the producer: stores what it accepts, fails as told."""

    def __init__(self, failures: dict[int, BaseException] | None = None, refuse_over: int | None = None) -> None:
        self.stored: list[tuple[str, bytes | None, bytes]] = []
        self.headers: list[tuple[tuple[str, bytes], ...]] = []
        self.calls = 0
        self.failures = failures or {}  # call number -> exception from the acknowledgement
        self.refuse_over = refuse_over

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> Any:
        self.calls += 1
        if self.refuse_over is not None and len(value) > self.refuse_over:
            # as Faust's producer does with aiokafka's client-side size check
            raise ProducerSendError("Error while sending") from kerr.MessageSizeTooLargeError("too large")
        failure = self.failures.get(self.calls)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if failure is not None:
            future.set_exception(failure)
        else:
            self.stored.append((topic, key, value))
            self.headers.append(tuple(headers))
            future.set_result(None)
        return future


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _outcomes(n: int, size: int = 10) -> list[Outcome]:
    out = []
    for i in range(n):
        raw = RawDispatch(f"raw {i}".encode(), provenance=Provenance("wire.raw", 0, i))
        out.append(Outcome(NAMES.articles, f"k{i}".encode(), bytes([65 + i]) * size, (), raw.ref(), 1, 1))
    return out


def _publisher(broker: Broker, clock: Clock | None = None, budget: float = 60.0) -> Publisher:
    clock = clock or Clock()
    return Publisher(broker.send, NAMES, budget=budget, clock=clock, sleep=clock.sleep)


async def test_every_record_is_stored_once_when_all_goes_well() -> None:
    broker = Broker()
    await _publisher(broker).publish(_outcomes(3))
    assert [key for _, key, _ in broker.stored] == [b"k0", b"k1", b"k2"]


async def test_a_record_the_broker_refuses_becomes_a_small_dead_letter_and_the_rest_goes_on() -> None:
    """The middle article is too large: a dead letter says so (no original bytes); the others are stored once."""
    broker = Broker(refuse_over=2000)
    outcomes = _outcomes(3)
    outcomes[1] = Outcome(NAMES.articles, b"k1", b"x" * 5000, (), outcomes[1].source, 1, 1)
    publisher = _publisher(broker)
    await publisher.publish(outcomes)
    topics = [topic for topic, _, _ in broker.stored]
    assert topics.count(NAMES.articles) == 2 and topics.count(NAMES.deadletter) == 1
    dead = next(v for t, _, v in broker.stored if t == NAMES.deadletter)
    envelope = orjson.loads(dead)
    assert envelope["error"]["class"] == "RefusedError" and envelope["error"]["stage"] == "publish"
    assert "MessageSizeTooLargeError" in envelope["error"]["reason"] and "5,000" in envelope["error"]["reason"]
    assert "value" not in envelope["original"]  # the bytes stay in wire.raw ...
    assert envelope["source"]["offset"] == 1  # ... at the coordinates it names
    assert publisher.refused == 1


async def test_the_broker_away_for_a_while_loses_nothing_and_keeps_order() -> None:
    """Acknowledgements fail for a few attempts: everything from the first failure is sent again, in order."""
    away = kerr.KafkaConnectionError("connection refused")
    broker = Broker(failures={2: away, 4: away, 5: away, 6: away, 7: away})
    await _publisher(broker).publish(_outcomes(3))
    keys = [key for _, key, _ in broker.stored]
    assert keys[0] == b"k0" and keys[-2:] == [b"k1", b"k2"]
    assert set(keys) == {b"k0", b"k1", b"k2"}


async def test_the_broker_away_beyond_the_budget_stops_the_worker() -> None:
    clock = Clock()
    broker = Broker(failures={n: kerr.KafkaTimeoutError() for n in range(1, 10_000)})
    with pytest.raises(BrokerUnavailable, match="has not taken"):
        await _publisher(broker, clock, budget=30.0).publish(_outcomes(2))
    assert 30.0 < clock.now < 40.0


async def test_a_failure_that_is_not_the_brokers_propagates_and_an_authorisation_error_is_fatal() -> None:
    broker = Broker(failures={1: ValueError("a bug")})
    with pytest.raises(ValueError, match="a bug"):
        await _publisher(broker).publish(_outcomes(1))
    broker = Broker(failures={1: kerr.TopicAuthorizationFailedError()})
    with pytest.raises(PublishFailed):
        await _publisher(broker).publish(_outcomes(1))


async def test_a_refused_replacement_is_fatal_not_a_loop() -> None:
    """Even the small dead letter is refused (a broker limit far too small): stop, do not spin."""
    broker = Broker(refuse_over=5)
    with pytest.raises(PublishFailed, match="no smaller record"):
        await _publisher(broker).publish(_outcomes(1))


async def test_the_replacement_dead_letter_meets_the_contract() -> None:
    broker = Broker(refuse_over=2000)
    outcomes = [Outcome(NAMES.articles, b"k", b"x" * 5000, (), _outcomes(1)[0].source, 2, 3)]
    await _publisher(broker).publish(outcomes)
    (topic, key, value), headers = broker.stored[0], broker.headers[0]
    assert topic == NAMES.deadletter
    validate_outcome(Outcome(topic, key, value, headers), "wire.deadletter")
    assert orjson.loads(value)["source"]["part"] == 2
