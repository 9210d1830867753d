"""/healthz and /readyz verdicts from the worker's state."""

from __future__ import annotations

from pipeline.observability.probes import State, liveness, readiness


def _partitions(*statuses: str) -> dict:
    return {
        "partitions": [{"topic": "wire.raw", "partition": n, "status": s} for n, s in enumerate(statuses)],
        "breakers": {"parse-clean": {"open": False}},
    }


RUNNING = State(phase="running", started=0.0, beat=99.5, broker_ok=98.0, assignments=1, recovered=True,
                health=_partitions("ok", "idle"))  # fmt: skip


def test_a_running_worker_with_progress_is_alive_and_ready() -> None:
    assert liveness(RUNNING, 100.0).ok
    verdict = readiness(RUNNING, 100.0)
    assert verdict.ok and verdict.status == "ready" and all(c["ok"] for c in verdict.checks.values())


def test_ready_only_after_assignment_and_recovery() -> None:
    """Joining, rebalancing, recovering: each keeps the worker not ready, and says which."""
    for state, failing in (
        (State(phase="starting", started=0.0, beat=99.5, broker_ok=98.0), {"assigned", "recovered"}),
        (
            State(
                phase="running", started=0.0, beat=99.5, broker_ok=98.0, assignments=1, rebalancing=True, recovered=True
            ),
            {"assigned"},
        ),
        (State(phase="running", started=0.0, beat=99.5, broker_ok=98.0, assignments=1), {"recovered"}),
    ):
        verdict = readiness(state, 100.0)
        assert not verdict.ok
        assert {name for name, check in verdict.checks.items() if not check["ok"]} == failing
        assert liveness(state, 100.0).ok  # starting is alive


def test_not_ready_without_the_broker_a_stall_or_an_open_breaker() -> None:
    from dataclasses import replace

    assert readiness(replace(RUNNING, broker_ok=50.0), 100.0).checks["broker"]["ok"] is False
    assert (
        readiness(replace(RUNNING, broker_ok=None, broker_error="KafkaConnectionError"), 100.0)
        .checks["broker"]["detail"]
        .endswith("KafkaConnectionError")
    )
    stalled = readiness(replace(RUNNING, health=_partitions("ok", "stalled")), 100.0)
    assert not stalled.ok and "wire.raw[1]" in stalled.checks["progressing"]["detail"]
    health = {**_partitions("paused"), "breakers": {"parse-clean": {"open": True}}}
    paused = readiness(replace(RUNNING, health=health), 100.0)
    assert not paused.ok and paused.checks["breakers"]["detail"] == "paused: parse-clean"
    assert readiness(replace(RUNNING, phase="stopping"), 100.0).ok is False


def test_alive_unless_the_loop_stopped_or_the_worker_itself_is_stuck() -> None:
    from dataclasses import replace

    wedged_loop = liveness(replace(RUNNING, beat=20.0), 100.0, loop_stall=60)
    assert not wedged_loop.ok and wedged_loop.checks["loop"]["detail"] == "has not run for 80 s"
    stuck = liveness(replace(RUNNING, health=_partitions("stalled")), 100.0)
    assert not stuck.ok and "wire.raw[0]" in stuck.checks["progress"]["detail"]
    # stalled because the broker is away: not the worker's fault, a restart would not help
    away = liveness(replace(RUNNING, health=_partitions("stalled"), broker_ok=10.0), 100.0)
    assert away.ok
    assert liveness(State(phase="preparing", started=90.0), 100.0).status == "starting"
