"""Stories through real workers: versions numbered and in order, a kill tombstoned on the latest
topic, a copy on another partition recorded as a duplicate of the first, an older version held
back, and the whole feed sent a second time publishes nothing new (every item a duplicate) --
with dispatches of ours, and with real versioned items of the corpus (read in place)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import orjson
import pytest
from aiokafka import ConsumerRecord

from pipeline.broker import EmbeddedBroker
from pipeline.ingest import story_key
from pipeline.kafka import ensure_topics, producer, read
from pipeline.records import Headers, Outcome
from pipeline.sources import iter_dispatches
from pipeline.stages.boilerplate import partition_of
from tests.corpus_files import require_corpus
from tests.integration.conftest import LEAN, Pipeline, _pipeline

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


@pytest.fixture(scope="module")
def stories(broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """Two workers over four partitions, shared by the module's tests (each checks its own records,
    and the audit by difference). Lean enrichment: stories are judged before enrichment."""
    pipe = _pipeline(broker, tmp_path_factory.mktemp("stories"))
    pipe.env.update({"WIREFEED_PARTITIONS": str(PARTITIONS), **LEAN})
    pipe.start_worker()
    pipe.start_worker()
    yield pipe
    pipe.stop_workers()


HARBOUR: Headers = (("content-type", b"application/xml"), ("wf_agency", b"harbour"))


async def _send(
    pipeline: Pipeline, values: Sequence[bytes], headers: Sequence[Headers] | None = None
) -> list[tuple[int, int]]:
    """Produce as ``wirefeed ingest`` does: keyed by the story, in order."""
    await ensure_topics(pipeline.bootstrap, pipeline.names.all(), PARTITIONS)
    coords = []
    async with producer(pipeline.bootstrap) as prod:
        for n, value in enumerate(values):
            head = headers[n] if headers is not None else HARBOUR
            sent = await prod.send_and_wait(pipeline.names.raw, value, key=story_key(value, head), headers=list(head))
            coords.append((sent.partition, sent.offset))
    return coords


def _audit(pipeline: Pipeline) -> dict[str, Any]:
    done = pipeline.cli("audit")
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    return dict(orjson.loads(done.stdout))


def _grown(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What the audit counted since ``before``: raw records, outcomes by kind, articles by event."""
    keys = ("raw", "articles", "deadletters", "duplicate_records", "stale_versions", "missing")
    out: dict[str, Any] = {k: after[k] - before[k] for k in keys}
    events = after["articles_by_event"]
    out["articles_by_event"] = {
        k: events[k] - before["articles_by_event"].get(k, 0)
        for k in events
        if events[k] != before["articles_by_event"].get(k, 0)
    }
    return out


def _h(record: ConsumerRecord) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def _topic(pipeline: Pipeline, topic: str) -> list[ConsumerRecord]:
    return [r async for r in read(pipeline.bootstrap, [topic], idle_timeout=0.3)]


def _by_coord(records: list[ConsumerRecord]) -> dict[tuple[int, int], ConsumerRecord]:
    return {(int(_h(r)["wf_raw_partition"]), int(_h(r)["wf_raw_offset"])): r for r in records}


async def test_versions_kills_copies_and_a_second_replay(stories: Pipeline) -> None:
    """Versions 1-2-3 in order, then a copy under another id on another partition, an older
    version, a kill; sent again, every one of them is a duplicate and nothing new is published."""
    pipeline = stories
    before = _audit(pipeline)
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
    # one story cluster for the story's versions and its kill; the lighthouse story is another event
    clusters = [_h(r)["wf_cluster"] for r in story] + [_h(kill)["wf_cluster"]]
    (lighthouse,) = [r for r in records if r.key != STORY.encode()]
    assert len(set(clusters)) == 1 and _h(lighthouse)["wf_cluster"] not in clusters
    assert "wf_cluster" not in _h(copy)

    # the whole feed a second time: no new article, no new version
    articles_before = len(await _topic(pipeline, pipeline.names.articles))
    coords3 = await _send(pipeline, first + second)
    again = _by_coord(await pipeline.outcomes_for(coords3, timeout=120))
    assert {again[c].topic for c in coords3} == {pipeline.names.duplicates}
    assert len(await _topic(pipeline, pipeline.names.articles)) == articles_before
    audit = _audit(pipeline)
    assert audit["missing"] == 0
    grown = _grown(before, audit)
    assert grown["raw"] == 14 and grown["deadletters"] == 0 and grown["articles"] == 5
    assert grown["duplicate_records"] == 2 + 7 and grown["articles_by_event"] == {"new": 2, "version": 2, "kill": 1}


# ----------------------------------------------------------------------------- story clusters

EVENT = Path(__file__).resolve().parents[1] / "fixtures" / "clusters"  # written by us


def _fixture(name: str, agency: str) -> tuple[bytes, Headers]:
    return (EVENT / name).read_bytes(), (("content-type", b"application/xml"), ("wf_agency", agency.encode()))


async def test_one_event_from_two_agencies_in_two_languages_shares_a_cluster(stories: Pipeline) -> None:
    """An English G2 report of a landslide and an unrelated story are placed first; the French NITF
    report of the same landslide from another agency, on another partition (with two workers,
    normally the other worker), comes once the first placement is on wire.clusters: it joins the
    English report's cluster, as does the English story's version 2; the unrelated story has
    another. Every article is valid against the contract with its cluster header and ninjs event,
    each published version has one placement on wire.clusters, and audit still proves missing 0."""
    from pipeline.schemas import validate_outcome
    from pipeline.stories.clusters import Membership

    before = _audit(stories)
    placements = len(await _topic(stories, stories.names.clusters))
    first = [_fixture("landslide-en-g2.xml", "fjordnews"), _fixture("budget-en-nitf.xml", "nordpresse")]
    coords = await _send(stories, [v for v, _ in first], [h for _, h in first])
    out = _by_coord(await stories.outcomes_for(coords, timeout=120))
    english, budget = (out[c] for c in coords)
    # the other worker reads the placements within a second or so (README "Stories": the race)
    deadline = time.monotonic() + 30
    while len(await _topic(stories, stories.names.clusters)) < placements + 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
    await asyncio.sleep(2.0)
    later = [_fixture("landslide-fr-nitf.xml", "nordpresse"), _fixture("landslide-en-g2-v2.xml", "fjordnews")]
    coords2 = await _send(stories, [v for v, _ in later], [h for _, h in later])
    out = _by_coord(await stories.outcomes_for(coords2, timeout=120))
    french, version = (out[c] for c in coords2)

    articles = {"english": english, "budget": budget, "french": french, "version": version}
    for name, record in articles.items():
        assert record.topic == stories.names.articles, (name, record.value[:300])
        outcome = Outcome(record.topic, record.key, record.value, tuple(record.headers))
        validate_outcome(outcome, stories.names.logical(record.topic))
        assert {"uri": _h(record)["wf_cluster"], "rel": "wirefeed:cluster"} in orjson.loads(record.value)["events"]
    assert partition_of(french.key, PARTITIONS) != partition_of(english.key, PARTITIONS)
    assert orjson.loads(french.value)["language"].startswith("fr")
    cluster = _h(english)["wf_cluster"]
    assert _h(french)["wf_cluster"] == cluster and _h(version)["wf_cluster"] == cluster
    assert _h(budget)["wf_cluster"] != cluster

    every = [Membership.decode(r.value) for r in await _topic(stories, stories.names.clusters)]
    ours = {r.key.decode() for r in articles.values()}
    assert len(every) == placements + 4
    assert sorted((m.uri, m.version, m.cluster) for m in every if m.uri in ours) == sorted(
        (r.key.decode(), int(orjson.loads(r.value)["version"]), _h(r)["wf_cluster"]) for r in articles.values()
    )
    grown = _grown(before, _audit(stories))
    assert grown["missing"] == 0 and grown["raw"] == 4 and grown["articles"] == 4


# ----------------------------------------------------------------------------- real versioned items

SUPERDESK = ("agency-formats", "superdesk-core-fixtures")
AFP = ("agency-formats", "afp-newsml-1.2-arabic")
RUN_KILLED = "tag:reuters.com,0000:newsml_L1N14N0FF"  # a Reuters G2 story: usable, then canceled


def _corpus_feed() -> list[Any]:
    """Every superdesk-core fixture (agencies' real items in every format) and the AFP NewsML 1.2
    revisions (RevisionId above 1), in name order as a feed would send them -- a kill after the
    story it kills."""
    feed = list(iter_dispatches([str(require_corpus(*SUPERDESK))], exclude=["LICENSE*", "MANIFEST*"]))
    afp = require_corpus(*AFP)
    feed += [
        d
        for d in iter_dispatches([str(afp)], exclude=["index.xml"])
        if b'PreviousRevision="0"' not in d.value and b"<RevisionId" in d.value
    ]
    return sorted(feed, key=lambda d: (b"stat:canceled" in d.value, d.input))


def _by_record(records: list[ConsumerRecord]) -> dict[tuple[int, int], list[ConsumerRecord]]:
    out: dict[tuple[int, int], list[ConsumerRecord]] = {}
    for r in records:
        out.setdefault((int(_h(r)["wf_raw_partition"]), int(_h(r)["wf_raw_offset"])), []).append(r)
    return out


async def test_real_versioned_items_numbered_killed_and_a_second_replay_publishes_nothing(stories: Pipeline) -> None:
    """Real items through the workers: the sources' version numbers are the published versions
    (NewsML 1.2 RevisionId, an AP "1st Ld-Writethru", G2 and ninjs versions), a Reuters kill is
    published and tombstoned on the latest topic, re-sends of one version (STT) are duplicates;
    the whole feed sent again publishes no article (every item a duplicate, dead letters again)."""
    feed = _corpus_feed()
    assert len(feed) >= 55, [d.input for d in feed]
    before = _audit(stories)
    heads = [d.headers(source="corpus-replay") for d in feed]
    coords = await _send(stories, [d.value for d in feed], heads)
    first = _by_record(await stories.outcomes_for(coords, timeout=300))
    name = {c: Path(d.input).name for c, d in zip(coords, feed, strict=True)}
    by_name = {name[c]: first[c] for c in coords}

    def article(file: str) -> dict[str, Any]:
        (record,) = by_name[file]
        assert record.topic == stories.names.articles, (file, record.topic, record.value[:300])
        return dict(orjson.loads(record.value))

    # versions as the sources number them
    for c, d in zip(coords, feed, strict=True):
        if d.input.startswith(str(require_corpus(*AFP))):
            revision = int(d.value.split(b"<RevisionId", 1)[1].split(b">", 1)[1].split(b"<", 1)[0])
            assert article(name[c])["version"] == str(revision), name[c]
    assert article("ap_anpa-1.tst")["version"] == "2", "1st Ld-Writethru: the lead's second version"
    assert article("tag_reuters.com_2014_newsml_KBN0FL0NM_version_10")["version"] == "10"
    assert article("ninjs6.json")["version"] == "3"

    # the Reuters story, then its kill: one uri, published in order, the latest topic a tombstone
    killed = [article(f"tag_reuters.com_2016_newsml_L1N14N0FF_version_{v}") for v in (978556838, 1542761538)]
    assert [a["uri"] for a in killed] == [RUN_KILLED, RUN_KILLED]
    assert [a["pubStatus"] for a in killed] == ["usable", "canceled"]
    assert int(killed[1]["version"]) == int(killed[0]["version"]) + 1
    (kill_record,) = by_name["tag_reuters.com_2016_newsml_L1N14N0FF_version_1542761538"]
    assert orjson.loads(_h(kill_record)["wf_story"])["event"] == "kill"
    latest = {r.key: r.value async for r in read(stories.bootstrap, [stories.names.latest], idle_timeout=0.3)}
    assert latest[RUN_KILLED.encode()] is None, "the killed story's latest record is a tombstone"

    # STT re-sent two stories (an archive copy; a copy without its headline): the later one of each
    # pair (in name order) is a duplicate of the first
    for original, copy in (
        ("stt_archive_newsml_created_date_test.xml", "stt_archive_newsml_test.xml"),
        ("stt_newsml_test.xml", "stt_newsml_test_no_hl.xml"),
    ):
        (dup,) = by_name[copy]
        assert dup.topic == stories.names.duplicates, (copy, dup.value[:300])
        assert orjson.loads(dup.value)["duplicateOf"] == article(original)["uri"]

    # every published article is the latest record of its uri (or its kill's tombstone)
    published = [r for rs in first.values() for r in rs if r.topic == stories.names.articles]
    for record in published:
        assert record.key in latest
        if orjson.loads(record.value)["pubStatus"] == "usable" and record.key != RUN_KILLED.encode():
            assert latest[record.key] is not None

    # the whole feed again: nothing new on wire.articles; what was a dead letter is one again
    articles_before = len(await _topic(stories, stories.names.articles))
    latest_before = len(await _topic(stories, stories.names.latest))
    coords2 = await _send(stories, [d.value for d in feed], [d.headers(source="corpus-replay") for d in feed])
    again = _by_record(await stories.outcomes_for(coords2, timeout=300))
    for c1, c2 in zip(coords, coords2, strict=True):
        was = {r.topic for r in first[c1]}
        now = {r.topic for r in again[c2]}
        expected = {stories.names.deadletter} if was == {stories.names.deadletter} else {stories.names.duplicates}
        assert now == expected, (name[c1], was, now)
    assert len(await _topic(stories, stories.names.articles)) == articles_before
    assert len(await _topic(stories, stories.names.latest)) == latest_before

    grown = _grown(before, _audit(stories))
    items = sum(len(rs) for rs in first.values())
    assert grown["missing"] == 0 and grown["raw"] == 2 * len(feed)
    assert grown["articles"] == len(published) and grown["deadletters"] % 2 == 0
    # first pass: every item not published nor dead-lettered; second: every item not dead-lettered
    assert grown["duplicate_records"] == 2 * items - len(published) - grown["deadletters"]
    assert grown["articles_by_event"]["kill"] >= 1 and grown["stale_versions"] >= 1


BRIDGE = [
    "Saltby - The old swing bridge over the Saltby canal reopened to traffic on Thursday after 14 months of repairs.",
    "The works cost 3.2 million crowns, the harbour board said, and the bridge now opens in four minutes "
    "instead of eleven.",
    "Cyclists will share a new lane on the east side, and the night closures end on Friday, officials said.",
]
BRIDGE2 = [*BRIDGE, "A second bridge over the north basin is planned for 2034, board chair Ines Dahl said."]


async def test_story_state_and_the_duplicate_index_survive_a_restart(stories: Pipeline) -> None:
    """Every worker stopped, a new one started: the story table is recovered from its changelog and
    the duplicate index from wire.fingerprints -- a re-send is a duplicate, a copy under another id
    on another partition too, and the next version continues the story's numbering."""
    guid = "urn:newsml:harbour.example:20310305:bridge"
    fingerprints = len(await _topic(stories, stories.names.fingerprints))
    placements = len(await _topic(stories, stories.names.clusters))
    (coord,) = await _send(stories, [g2(guid, 1, "Saltby bridge reopens", BRIDGE, minute=1)])
    (first,) = await stories.outcomes_for([coord], timeout=120)
    assert first.topic == stories.names.articles and orjson.loads(first.value)["version"] == "1"
    # its fingerprint and its cluster placement are published with the article, before the raw
    # offset is committed
    assert len(await _topic(stories, stories.names.fingerprints)) == fingerprints + 1
    assert len(await _topic(stories, stories.names.clusters)) == placements + 1

    stories.stop_workers()
    stories.start_worker()
    copy_guid = _guid_on_another_partition(guid)
    later = [
        g2(guid, 1, "Saltby bridge reopens", BRIDGE, minute=1) + b"\n",  # the same version, other bytes
        g2(copy_guid, 1, "Saltby bridge reopens", BRIDGE, minute=9),  # another id, the same text
        g2(guid, 2, "Saltby bridge reopens, second bridge planned", BRIDGE2, minute=20),
    ]
    coords = await _send(stories, later)
    out = _by_coord(await stories.outcomes_for(coords, timeout=240))
    resent, copy, version = (out[c] for c in coords)
    assert resent.topic == stories.names.duplicates and orjson.loads(resent.value)["duplicateOf"] == guid
    assert copy.topic == stories.names.duplicates and orjson.loads(copy.value)["duplicateOf"] == guid
    assert version.topic == stories.names.articles
    assert orjson.loads(version.value)["version"] == "2"
    story = orjson.loads(_h(version)["wf_story"])
    assert (story["event"], story["version"], story["replaces"]) == ("version", 2, 1)
    # the cluster index was restored from wire.clusters: the version keeps its story's cluster
    assert _h(version)["wf_cluster"] == _h(first)["wf_cluster"]
    assert "Crashed reason=" not in stories.worker_log(len(stories.workers))
