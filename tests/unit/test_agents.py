"""The agents' module: ``dump_stacks`` (SIGUSR1) shows where every task waits."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pipeline.agents import dump_stacks


async def _inner_wait(event: asyncio.Event) -> None:
    await event.wait()


async def _outer_wait(event: asyncio.Event) -> None:
    await _inner_wait(event)


async def test_the_stacks_show_where_each_task_waits_down_its_await_chain(caplog: pytest.LogCaptureFixture) -> None:
    """A task suspended two coroutines deep: its section names both, innermost last, with line numbers
    read from the frames (Task.print_stack showed only the outermost frame, and raised TypeError for a
    frame without a line number, which left no stacks at all: chaos-findings F10)."""
    event = asyncio.Event()
    task = asyncio.create_task(_outer_wait(event), name="deep")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="pipeline.agents"):
        dump_stacks()
    event.set()
    await task
    (record,) = [r for r in caplog.records if "stacks on request" in r.getMessage()]
    section = record.getMessage().split("--- task deep", 1)[1].split("--- ", 1)[0]
    assert section.index("in _outer_wait") < section.index("in _inner_wait") < section.index("in wait")
    assert "test_agents.py:18 in _outer_wait" in section


# In a child process: a Faust app makes event loops and sockets this process would have to tear down.
_APP = """
import pathlib, sys, tempfile
from pipeline.app import create_app
from pipeline.settings import Settings
app = create_app(Settings.from_env(broker="kafka://127.0.0.1:1", data_dir=pathlib.Path(tempfile.mkdtemp())))
print(*eval(sys.argv[1]))
"""


def _app_says(expression: str, **env: str | None) -> list[str]:
    """The words of ``expression`` (a tuple of the app's values) in a child process whose
    environment is this one's with ``env`` set (None: removed)."""
    import os
    import subprocess
    import sys

    environ = {**os.environ, **{k: v for k, v in env.items() if v is not None}}
    for name in [k for k, v in env.items() if v is None]:
        environ.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", _APP, expression], capture_output=True, timeout=120, check=True, text=True, env=environ
    )
    return done.stdout.split()


def test_table_writes_do_not_hold_up_the_agents_inputs_at_a_batchs_worth() -> None:
    """Faust's conductor stops handing fetched records to every agent while more table writes wait
    than its producer buffer's limit (100 by default); one learn-boilerplate batch writes hundreds
    of keys, so the worker's limit must leave room for several batches."""
    from pipeline.app import TABLE_WRITES_PENDING

    said = _app_says("(type(app.producer.partitioner).__name__, app.producer.buffer.max_messages)")
    assert int(said[-1]) == TABLE_WRITES_PENDING >= 64 * 20
    assert said[-2] == "KeyHashPartitioner"  # the producer's partitioner is ours


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("1", 1), ("0", 0)])
def test_table_standby_copies_follow_the_setting_and_are_off_by_default(value: str | None, expected: int) -> None:
    """Faust keeps one standby copy of every table partition unless told otherwise: every worker then
    reads the others' table writes (README Benchmarks: ~25% more CPU per dispatch with 2 workers).
    wirefeed keeps none unless WIREFEED_STANDBY_REPLICAS asks for them."""
    said = _app_says("(app.conf.table_standby_replicas,)", WIREFEED_STANDBY_REPLICAS=value)
    assert int(said[-1]) == expected
