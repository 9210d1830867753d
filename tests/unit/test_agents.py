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
