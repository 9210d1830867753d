"""Health from progress: idle, ok, stalled, paused per partition, the worst for the worker."""

from __future__ import annotations

from aiokafka import TopicPartition

from pipeline.delivery.breaker import Breaker
from pipeline.delivery.health import snapshot
from pipeline.delivery.ledger import Ledger

RAW0, RAW1, CLEANED0 = TopicPartition("wire.raw", 0), TopicPartition("wire.raw", 1), TopicPartition("wire.cleaned", 0)


def test_partitions_are_idle_ok_stalled_or_paused() -> None:
    now = [1000.0]
    ledger = Ledger(["wire.raw", "wire.cleaned"], clock=lambda: now[0])
    for tp in (RAW0, RAW1, CLEANED0):
        ledger.assigned(tp, 0)
    ledger.complete(RAW0, 9)  # done 10 at t=1000
    ends = {RAW0: 10, RAW1: 50, CLEANED0: 5}
    breakers = {"parse-clean": Breaker("parse-clean"), "enrich-emit": Breaker("enrich-emit")}
    stage_of = {"wire.raw": "parse-clean", "wire.cleaned": "enrich-emit"}

    def state() -> dict:
        return snapshot(ledger, ends, ends.get, breakers, stage_of=stage_of, stall_after=60, clock=lambda: now[0])

    first = state()
    # sorted by topic: wire.cleaned 0, wire.raw 0, wire.raw 1
    assert [p["status"] for p in first["partitions"]] == ["ok", "idle", "ok"]
    assert first["status"] == "ok" and first["partitions"][0]["lag"] == 5
    now[0] += 120  # nothing moved for two minutes while work waits
    later = state()
    assert {(p["topic"], p["partition"]): p["status"] for p in later["partitions"]} == {
        ("wire.cleaned", 0): "stalled",
        ("wire.raw", 0): "idle",
        ("wire.raw", 1): "stalled",
    }
    assert later["status"] == "stalled"
    breakers["enrich-emit"].open_since = now[0]
    assert state()["partitions"][0]["status"] == "paused"
