"""Ingest through a network cut: a send the broker does not acknowledge in time is sent again,
so one slow or lost request does not end a long ingest, and every dispatch reaches wire.raw.

The broker stays up (tansu keeps records in memory) and the connection goes: the clients reach
it through a proxy that drops every connection and refuses new ones for a while.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from pipeline.broker import EmbeddedBroker, free_port
from pipeline.ingest import produce_dispatches
from pipeline.settings import Settings
from pipeline.sources import SourceDispatch
from pipeline.topics import TopicNames
from tests.integration.netfault import Proxy

pytestmark = pytest.mark.broker

CUT = 8.0


def _dispatches(n: int) -> list[SourceDispatch]:
    return [
        SourceDispatch(
            value=(f"Hill Courier\n\nNotice {i} from the hills\n\nHILLTOWN - Notice number {i} of the run.\n").encode(),
            input=f"hills#{i}",
            content_type="text/plain; charset=utf-8",
        )
        for i in range(n)
    ]


async def _raw_values(bootstrap: str, topic: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        values: list[bytes] = []
        while True:
            batch = await consumer.getmany(timeout_ms=2000)
            if not batch:
                return values
            values.extend(r.value for records in batch.values() for r in records if r.value is not None)
    finally:
        await consumer.stop()


async def test_ingest_rides_out_a_network_cut(tmp_path: Path) -> None:
    proxy_port = free_port()
    with EmbeddedBroker(log_file=tmp_path / "broker.log", advertise=f"127.0.0.1:{proxy_port}") as broker:
        proxy = Proxy(broker.host, broker.port, proxy_port).start()
        try:
            bootstrap = f"127.0.0.1:{proxy_port}"
            names = TopicNames.with_prefix("ingestcut")
            dispatches = _dispatches(240)

            async def cut_later() -> None:
                await asyncio.sleep(1.5)
                proxy.cut()
                await asyncio.sleep(CUT)
                proxy.restore()

            cutter = asyncio.create_task(cut_later())
            coords = await produce_dispatches(
                bootstrap,
                names,
                Settings(),
                dispatches,
                source="hills",
                agency=None,
                rate=40.0,  # six seconds of sending: the cut falls in the middle
                progress=None,
                producer_options={"request_timeout_ms": 3000},  # so the cut outlasts a request
            )
            await cutter
        finally:
            values = await _raw_values(f"127.0.0.1:{proxy_port}", names.raw)
            proxy.stop()
    assert len(coords) == len(dispatches)
    assert len(set(coords)) == len(coords), "each dispatch has coordinates of its own"
    assert {d.value for d in dispatches} <= set(values), "every dispatch is on wire.raw"
