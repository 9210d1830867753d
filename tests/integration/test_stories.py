"""Stories through real workers: versions numbered and in order, a kill tombstoned on the latest
topic, a copy on another partition recorded as a duplicate of the first, an older version held
back, and the whole feed sent a second time publishes nothing new (every item a duplicate)."""

from __future__ import annotations

import asyncio
import time
from xml.sax.saxutils import escape

import orjson
from aiokafka import ConsumerRecord

from pipeline.ingest import story_key
from pipeline.kafka import ensure_topics, producer, read
from pipeline.records import Headers
from pipeline.stages.boilerplate import partition_of
from tests.integration.conftest import Pipeline

PARTITIONS = 4
STORY = "urn:newsml:harbour.example:20310304:ferry-line"
LEAD = "Harbourtown - The new ferry line between Harbourtown and Saltby opened on Monday with three boats."
LINES = [
    LEAD,
    "The mayor, Anna Berg, said the line would carry 1,200 passengers a day and cut the journey to the "
    "islands from two hours to forty minutes.",
    "Tickets go on sale at the harbour office and on board, and children under twelve travel free during "
    "the first month of the service, the port authority said in a statement.",
]
V2 = [*LINES, "The operator, Saltby Ferries, said a fourth boat would join the fleet in June."]
V3 = [*V2, "By Monday evening 1,450 passengers had used the line, the port authority said."]
OTHER = [
    "Saltby - The island council voted on Tuesday to rebuild the old lighthouse on the north cape.",
    "The work will cost 2.4 million crowns and take 18 months, council leader Tomas Lind said.",
]


def g2(guid: str, version: int, headline: str, lines: list[str], status: str = "usable", minute: int = 0) -> bytes:
    paras = "\n".join(f"<p>{escape(p)}</p>" for p in lines)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="{guid}" version="{version}"
    standard="NewsML-G2" standardversion="2.35" conformance="power" xml:lang="en">
  <itemMeta>
    <itemClass qcode="ninat:text"/>
    <provider literal="harbour.example"/>
    <versionCreated>2031-03-04T10:{minute:02d}:00Z</versionCreated>
    <pubStatus qcode="stat:{status}"/>
  </itemMeta>
  <contentMeta>
    <language tag="en"/>
    <headline>{escape(headline)}</headline>
  </contentMeta>
  <contentSet>
    <inlineXML contenttype="application/xhtml+xml">
      <html xmlns="http://www.w3.org/1999/xhtml"><body>
{paras}
      </body></html>
    </inlineXML>
  </contentSet>
</newsItem>
""".encode()


def _guid_on_another_partition(than: str) -> str:
    """A guid whose story lands on another partition than ``than``'s: the copy is judged elsewhere."""
    for n in range(100):
        guid = f"urn:newsml:other.example:20310304:ferry-{n}"
        if partition_of(guid.encode(), PARTITIONS) != partition_of(than.encode(), PARTITIONS):
            return guid
    raise AssertionError("no guid on another partition")


async def _send(pipeline: Pipeline, values: list[bytes]) -> list[tuple[int, int]]:
    """Produce as ``wirefeed ingest`` does: keyed by the story, in order."""
    await ensure_topics(pipeline.bootstrap, pipeline.names.all(), PARTITIONS)
    headers: Headers = (("content-type", b"application/xml"), ("wf_agency", b"harbour"))
    coords = []
    async with producer(pipeline.bootstrap) as prod:
        for value in values:
            sent = await prod.send_and_wait(
                pipeline.names.raw, value, key=story_key(value, headers), headers=list(headers)
            )
            coords.append((sent.partition, sent.offset))
    return coords


def _h(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def _topic(pipeline: Pipeline, topic: str) -> list[ConsumerRecord]:
    return [r async for r in read(pipeline.bootstrap, [topic], idle_timeout=0.3)]


def _by_coord(records: list[ConsumerRecord]) -> dict[tuple[int, int], ConsumerRecord]:
    return {(int(_h(r)["wf_raw_partition"]), int(_h(r)["wf_raw_offset"])): r for r in records}


async def test_versions_kills_copies_and_a_second_replay(pipeline: Pipeline) -> None:
    """Versions 1-2-3 in order, then a copy under another id on another partition, an older
    version, a kill; sent again, every one of them is a duplicate and nothing new is published."""
    pipeline.env["WIREFEED_PARTITIONS"] = str(PARTITIONS)
    pipeline.start_worker()
    pipeline.start_worker()
    copy_guid = _guid_on_another_partition(STORY)
    first = [
        g2(STORY, 1, "Ferry line opens", LINES, minute=0),
        g2(STORY, 2, "Ferry line opens, fourth boat in June", V2, minute=10),
        g2(STORY, 3, "Ferry line carries 1,450 on first day", V3, minute=20),
        g2("urn:newsml:harbour.example:20310304:lighthouse", 1, "Council to rebuild lighthouse", OTHER, minute=5),
    ]
    coords = await _send(pipeline, first)
    records = await pipeline.outcomes_for(coords, timeout=180)
    assert len(records) == 4 and {r.topic for r in records} == {pipeline.names.articles}
    story = [r for r in records if r.key == STORY.encode()]
    assert [orjson.loads(r.value)["version"] for r in story] == ["1", "2", "3"], "versions numbered, in order"
    assert [orjson.loads(_h(r)["wf_story"])["event"] for r in story] == ["new", "version", "version"]
    assert orjson.loads(_h(story[2])["wf_story"])["replaces"] == 2

    # the copy is judged on another partition (by the other worker, or the same one): wait until
    # the first copy's fingerprint is on wire.fingerprints, and a little for the index to read it
    deadline = time.monotonic() + 30
    while len(await _topic(pipeline, pipeline.names.fingerprints)) < 4 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    await asyncio.sleep(2.0)
    second = [
        g2(copy_guid, 1, "Ferry line opens", LINES, minute=30),  # another agency's id, the same text
        g2(STORY, 2, "Ferry line opens, fourth boat in June", V2, minute=10) + b"\n",  # v2 again, other bytes
        g2(STORY, 4, "KILL - Ferry line opens", ["Eds: kill the story."], status="canceled", minute=40),
    ]
    coords2 = await _send(pipeline, second)
    out = _by_coord(await pipeline.outcomes_for(coords2, timeout=120))
    copy, stale, kill = (out[c] for c in coords2)
    assert copy.topic == pipeline.names.duplicates
    assert orjson.loads(copy.value)["duplicateOf"] == STORY and orjson.loads(copy.value)["uri"] == copy_guid
    assert stale.topic == pipeline.names.duplicates and orjson.loads(stale.value)["event"] == "stale"
    assert kill.topic == pipeline.names.articles and orjson.loads(kill.value)["pubStatus"] == "canceled"
    assert orjson.loads(kill.value)["version"] == "4" and orjson.loads(_h(kill)["wf_story"])["event"] == "kill"

    latest = {r.key: r.value async for r in read(pipeline.bootstrap, [pipeline.names.latest], idle_timeout=0.3)}
    assert latest[STORY.encode()] is None, "the killed story's latest record is a tombstone"
    assert orjson.loads(latest[b"urn:newsml:harbour.example:20310304:lighthouse"])["version"] == "1"

    # the whole feed a second time: no new article, no new version
    articles_before = len(await _topic(pipeline, pipeline.names.articles))
    coords3 = await _send(pipeline, first + second)
    again = _by_coord(await pipeline.outcomes_for(coords3, timeout=120))
    assert {again[c].topic for c in coords3} == {pipeline.names.duplicates}
    assert len(await _topic(pipeline, pipeline.names.articles)) == articles_before
    audit = orjson.loads(pipeline.cli("audit").stdout)
    assert audit["missing"] == 0 and audit["raw"] == 14
    assert audit["duplicate_records"] == 2 + 7 and audit["articles_by_event"] == {"new": 2, "version": 2, "kill": 1}
