"""The independent verifier: reads the outcome topics from the beginning with its own consumer
and judges them against what was sent.

It shares no code with the worker (only the topic names and the header names of the
contract, ``schemas/wire.articles`` and ``schemas/wire.deadletter``). What it checks:

* **lost**: every input that reached ``wire.raw`` has an outcome for each of its items
  (an article or a dead letter; ``wf_part`` "i/n" says how many items there are; an item
  the story desk judged a copy of a story already published is on ``wire.duplicates``,
  which is an outcome of a good story too, counted apart as ``story-duplicate``);
* **unexpected**: an outcome the input should not have (a dead letter for a good story,
  an article for poison, a different number of items), an outcome that points at no
  input we sent, an outcome whose ``wf_dispatch_id`` is not the sha256 of the bytes at
  the coordinates it names;
* **duplicates**: at-least-once delivery may publish an outcome more than once; every
  copy must be the twin of the first (same topic, same ``ce_id``), so a consumer that
  keeps one record per ``ce_id`` sees each outcome exactly once;
* **order**: the versions of one story (NewsML-G2 guid) come out on one partition of
  ``wire.articles``, in increasing version order (counting each ``ce_id`` once, where it
  first appears: a redelivered old version is a duplicate, not a reordering).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import ConsumerRecord, TopicPartition

from pipeline.chaos.feeds import ANY, ARTICLE, DEADLETTER, ChaosDispatch
from pipeline.kafka import Consumer as AIOKafkaConsumer  # with SASL/TLS from the environment (WIREFEED_KAFKA_*)
from pipeline.topics import TopicNames

log = logging.getLogger(__name__)

Coord = tuple[int, int]  # (partition, offset) in wire.raw
STORY_DUPLICATE = "story-duplicate"  # an item on wire.duplicates: the story desk's judgement


@dataclass
class Sent:
    """One input and what became of it at ingest: its coordinates, or why it was refused."""

    dispatch: ChaosDispatch
    coord: Coord | None = None
    refused: str | None = None
    via: str = "ingest"  # or "direct": produced to wire.raw without wirefeed's ingest


def _headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: (v or b"").decode("utf-8", errors="replace") for k, v in (record.headers or ())}


async def read_all(bootstrap: str, topics: Sequence[str], *, quiet_for: float = 1.0) -> list[ConsumerRecord]:
    """Every record of ``topics`` from offset 0, with a consumer of our own (no group).

    Stops when every partition's position has reached the end offset reported after
    the last fetch *and* no fetch returned anything for ``quiet_for`` seconds (the
    embedded broker's end offset can lag a batch behind).
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=32 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        parts: list[TopicPartition] = []
        for _ in range(50):
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
            if {tp.topic for tp in parts} == set(topics):
                break
            await asyncio.sleep(0.2)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        out: list[ConsumerRecord] = []
        quiet_since = time.monotonic()
        while True:
            batch = await consumer.getmany(timeout_ms=300, max_records=10_000)
            if batch:
                quiet_since = time.monotonic()
                for records in batch.values():
                    out.extend(records)
                continue
            if time.monotonic() - quiet_since < quiet_for:
                continue
            ends = await consumer.end_offsets(parts)
            positions = {tp: await consumer.position(tp) for tp in parts}
            if all(positions[tp] >= ends[tp] for tp in parts):
                return out
    finally:
        await consumer.stop()


class Follower:
    """Follows the outcome topics while the run goes on: how many inputs have their outcome."""

    def __init__(self, bootstrap: str, names: TopicNames, total: int) -> None:
        self.bootstrap, self.names = bootstrap, names
        self.total = total  # inputs the run will send
        self.parts_seen: dict[Coord, set[int]] = defaultdict(set)
        self.parts_total: dict[Coord, int] = {}
        self.wanted: set[Coord] = set()
        self.accounted: set[Coord] = set()
        self.sent_so_far: list[Sent] = []
        self.refused = 0
        self.records = 0
        self.last_progress = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    def sent(self, items: Sequence[Sent]) -> None:
        """Inputs that reached wire.raw (or were refused): from now on, wait for their outcome."""
        self.sent_so_far.extend(items)
        for item in items:
            if item.coord is None:
                self.refused += 1
                continue
            self.wanted.add(item.coord)
            self._update(item.coord)

    @property
    def progress(self) -> float:
        """Share of all the run's inputs with their outcome (refusals count as outcomes)."""
        return (len(self.accounted) + self.refused) / self.total if self.total else 0.0

    def done(self) -> bool:
        """Every input sent so far has its outcome."""
        return self.wanted <= self.accounted

    def _update(self, coord: Coord) -> None:
        if coord in self.wanted and coord not in self.accounted:
            total = self.parts_total.get(coord)
            if total is not None and len(self.parts_seen[coord]) >= total:
                self.accounted.add(coord)
                self.last_progress = time.monotonic()

    async def _run(self) -> None:
        consumer = AIOKafkaConsumer(
            *self.names.outcomes(),
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            group_id=None,
            max_partition_fetch_bytes=32 * 1024 * 1024,
        )
        await consumer.start()
        try:
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
                for records in batch.values():
                    for record in records:
                        self.records += 1
                        h = _headers(record)
                        if h.get("wf_raw_topic") != self.names.raw or "wf_raw_offset" not in h:
                            continue
                        coord = (int(h["wf_raw_partition"]), int(h["wf_raw_offset"]))
                        part, _, total = h.get("wf_part", "1/1").partition("/")
                        self.parts_seen[coord].add(int(part))
                        self.parts_total[coord] = int(total or 1)
                        self._update(coord)
        finally:
            await consumer.stop()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="chaos-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def failed(self) -> BaseException | None:
        if self._task is not None and self._task.done() and not self._task.cancelled():
            return self._task.exception()
        return None


def _quantiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def pick(q: float) -> float:
        return round(ordered[min(int(q * len(ordered)), len(ordered) - 1)], 1)

    return {"median": pick(0.5), "p90": pick(0.9), "max": round(ordered[-1], 1)}


class CommitWatch:
    """Samples the workers' committed offsets every few seconds: how far the commits trail.

    A replay after a fault starts at the committed offset (-1 in the examples: none at all, a
    replay from the beginning); duplicates that come minutes
    after their first copy mean the commits stood still while the work went on. For each
    internal topic this reports the largest lag seen (end offset - committed, summed over
    partitions) and the longest time a partition's commit did not move while records were
    waiting beyond it.
    """

    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: Sequence[str],
        names: TopicNames,
        every: float = 3.0,
        t0: float | None = None,  # the run's start (time.monotonic()), for the times reported
    ) -> None:
        self.bootstrap, self.group, self.topics, self.names, self.every = bootstrap, group, list(topics), names, every
        self.max_lag: dict[str, int] = {}
        self.max_still: dict[str, float] = {}
        self.samples = 0
        self.errors = 0
        self.regressions: list[str] = []  # a committed offset that went back: "wire.raw[1] 830 -> 0 at 61 s"
        self.t0 = time.monotonic() if t0 is None else t0
        self._moved: dict[TopicPartition, tuple[int, float]] = {}  # tp -> (committed, since when)
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await admin.start()
        await consumer.start()
        try:
            while True:
                await asyncio.sleep(self.every)
                try:
                    parts = [TopicPartition(t, p) for t in self.topics for p in consumer.partitions_for_topic(t) or ()]
                    if not parts:
                        await consumer._client.force_metadata_update()
                        continue
                    # the partitions named: the embedded broker drops the connection on "all of them"
                    committed = await admin.list_consumer_group_offsets(self.group, partitions=parts)
                    ends = await consumer.end_offsets(parts)
                except Exception:  # a broker busy rebalancing: try again at the next sample
                    self.errors += 1
                    continue
                self.samples += 1
                now = time.monotonic()
                lags: Counter[str] = Counter()
                for tp in parts:
                    meta = committed.get(tp)
                    # -1 (or nothing): no committed offset at all -- a replay starts at the beginning
                    done = meta.offset if meta is not None else -1
                    lag = max(ends.get(tp, 0) - max(done, 0), 0)
                    topic = self.names.logical(tp.topic)
                    lags[topic] += lag
                    last = self._moved.get(tp)
                    if last is not None and done < last[0]:
                        self.regressions.append(f"{topic}[{tp.partition}] {last[0]} -> {done} at {now - self.t0:.0f} s")
                    if last is None or last[0] != done:
                        self._moved[tp] = (done, now)
                    elif lag > 0:
                        self.max_still[topic] = max(self.max_still.get(topic, 0.0), round(now - last[1], 1))
                for topic, lag in lags.items():
                    self.max_lag[topic] = max(self.max_lag.get(topic, 0), lag)
        finally:
            await consumer.stop()
            await admin.close()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="chaos-commit-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def figures(self) -> dict[str, Any]:
        return {
            "max_lag_records": dict(sorted(self.max_lag.items())),
            "max_commit_standstill_s": dict(sorted(self.max_still.items())),
            "commit_regressions": len(self.regressions),
            "commit_regression_examples": self.regressions[:10],
            "samples": self.samples,
            "failed_samples": self.errors,
        }


@dataclass
class Verdict:
    """The verifier's figures and every violation it found."""

    figures: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def verify(sent: Sequence[Sent], records: Sequence[ConsumerRecord], names: TopicNames) -> Verdict:
    """Judge the outcome ``records`` (both topics, from offset 0) against ``sent``."""
    verdict = Verdict()
    v = verdict.violations
    by_coord = {s.coord: s for s in sent if s.coord is not None}
    # (coord, part) -> [(topic, ce_id, partition, offset)]
    copies: dict[tuple[Coord, int], list[tuple[str, str, int, int]]] = defaultdict(list)
    first_ms: dict[tuple[Coord, int], int] = {}  # when the first copy was written (broker time)
    redelivery_delays: list[float] = []  # seconds from the first copy to each later one
    totals: dict[Coord, set[int]] = defaultdict(set)
    foreign: list[str] = []
    wrong_id: list[str] = []
    reasons: Counter[str] = Counter()
    # story -> [(articles partition, offset, version, ce_id)]
    story_outputs: dict[str, list[tuple[int, int, int | None, str]]] = defaultdict(list)
    for record in records:
        h = _headers(record)
        where = f"{record.topic}[{record.partition}]@{record.offset}"
        if h.get("wf_raw_topic") != names.raw or "wf_raw_offset" not in h:
            foreign.append(f"{where} names {h.get('wf_raw_topic')}")
            continue
        coord = (int(h["wf_raw_partition"]), int(h["wf_raw_offset"]))
        item = by_coord.get(coord)
        if item is None:
            foreign.append(f"{where} names {names.raw}[{coord[0]}]@{coord[1]}, which we did not send")
            continue
        dispatch_id = h.get("wf_dispatch_id", "")
        if dispatch_id and not item.dispatch.sha256.startswith(dispatch_id):
            wrong_id.append(f"{where}: wf_dispatch_id {dispatch_id} is not the sha256 of {item.dispatch.id}")
        part_text, _, total_text = h.get("wf_part", "1/1").partition("/")
        part, total = int(part_text), int(total_text or 1)
        totals[coord].add(total)
        copies[(coord, part)].append((record.topic, h.get("ce_id", ""), record.partition, record.offset))
        if (coord, part) in first_ms:
            redelivery_delays.append(max(record.timestamp - first_ms[(coord, part)], 0) / 1000)
        else:
            first_ms[(coord, part)] = record.timestamp
        if record.topic == names.deadletter:
            reasons[f"{item.dispatch.kind}:{h.get('wf_stage')}/{h.get('wf_error_class')}"] += 1
        elif item.dispatch.story is not None and record.topic == names.articles:
            version: int | None = None
            try:
                version = int(orjson.loads(record.value).get("version"))
            except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
                version = None
            story_outputs[item.dispatch.story].append((record.partition, record.offset, version, h.get("ce_id", "")))

    # ---- every input: an outcome for each item, of the kind it should be
    lost: list[Sent] = []
    unexpected: list[str] = []
    outcome_kinds: Counter[str] = Counter()
    oversized: Counter[str] = Counter()  # "ingest:refused", "direct:deadletter", ...
    for s in sent:
        d = s.dispatch
        if s.coord is None:
            outcome_kinds[f"{d.kind}:refused-at-ingest"] += 1
            if d.kind == "oversized":
                oversized[f"{s.via}:refused"] += 1
            if d.kind != "oversized":
                unexpected.append(f"{d.id} ({d.fmt}) was refused at ingest: {s.refused}")
            continue
        seen_totals = totals.get(s.coord, set())
        if len(seen_totals) > 1:
            unexpected.append(f"{d.id}: outcomes disagree on the number of items {sorted(seen_totals)}")
        total = max(seen_totals) if seen_totals else (d.parts or 1)
        parts_present = [p for p in range(1, total + 1) if (s.coord, p) in copies]
        if len(parts_present) < total:
            lost.append(s)
            if d.kind == "oversized":
                oversized[f"{s.via}:lost"] += 1
            continue
        topics = {copies[(s.coord, p)][0][0] for p in parts_present}
        if topics == {names.deadletter}:
            kind = DEADLETTER
        elif topics == {names.articles}:
            kind = ARTICLE
        elif topics <= {names.articles, names.duplicates}:
            # the story desk judged an item a copy of a story already published (wire.duplicates,
            # an outcome too): right for a good story, counted apart
            kind = STORY_DUPLICATE
        else:
            kind = "mixed"
        outcome_kinds[f"{d.kind}:{kind}"] += 1
        if d.kind == "oversized":
            oversized[f"{s.via}:{kind}"] += 1
        if d.expect != ANY and kind != d.expect and not (d.expect == ARTICLE and kind == STORY_DUPLICATE):
            unexpected.append(
                f"{d.id} ({d.fmt}) at {names.raw}[{s.coord[0]}]@{s.coord[1]}: {kind}, expected {d.expect}"
            )
        if d.parts is not None and total != d.parts:
            unexpected.append(f"{d.id} ({d.fmt}): {total} items, expected {d.parts}")

    # ---- duplicates: twins (same topic, same ce_id) of the first copy
    duplicates = 0
    not_twins: list[str] = []
    for (coord, part), got in copies.items():
        duplicates += len(got) - 1
        first_topic, first_id = got[0][0], got[0][1]
        for topic, ce_id, partition, offset in got[1:]:
            if topic != first_topic or ce_id != first_id:
                not_twins.append(
                    f"{by_coord[coord].dispatch.id} part {part}: {topic}[{partition}]@{offset} ce_id {ce_id} "
                    f"differs from the first copy ({first_topic} ce_id {first_id})"
                )

    # ---- per-story order of versions (first appearance of each ce_id)
    order_violations: list[str] = []
    split_stories: list[str] = []
    stale_redeliveries = 0
    for story, outs in story_outputs.items():
        partitions = {p for p, _, _, _ in outs}
        if len(partitions) > 1:
            split_stories.append(f"{story}: versions on partitions {sorted(partitions)} of {names.articles}")
            continue
        seen_ids: set[str] = set()
        firsts: list[tuple[int, int | None]] = []
        highest = 0
        for _, offset, version, ce_id in sorted(outs, key=lambda o: o[1]):
            if ce_id in seen_ids:
                if version is not None and version < highest:
                    stale_redeliveries += 1
                continue
            seen_ids.add(ce_id)
            firsts.append((offset, version))
            highest = max(highest, version or 0)
        versions = [ver for _, ver in firsts]
        if any(a is None or b is None or b <= a for a, b in itertools.pairwise(versions)):
            order_violations.append(f"{story}: versions published in the order {versions}")

    sent_ok = [s for s in sent if s.coord is not None]
    stories = {s.dispatch.story for s in sent if s.dispatch.story}
    verdict.figures = {
        "inputs": len(sent),
        "sent_to_raw": len(sent_ok),
        "refused_at_ingest": len(sent) - len(sent_ok),
        "outcome_records": len(records),
        "articles_records": sum(1 for r in records if r.topic == names.articles),
        "deadletter_records": sum(1 for r in records if r.topic == names.deadletter),
        "accounted": len(sent_ok) - len(lost),
        "lost": len(lost),
        "unexpected": len(unexpected) + len(foreign) + len(wrong_id),
        "duplicates": duplicates,
        "duplicates_not_twins": len(not_twins),
        # how long after the first copy the duplicates came: how far back a replay reached
        "redelivery_delay_s": _quantiles(redelivery_delays),
        "stories_with_versions": len(stories),
        "order_violations": len(order_violations),
        "stories_split_over_partitions": len(split_stories),
        "stale_redeliveries": stale_redeliveries,
        "outcomes_by_kind": dict(sorted(outcome_kinds.items())),
        "deadletters_by_reason": dict(sorted(reasons.items())),
        "lost_examples": [
            f"{s.dispatch.id} ({s.dispatch.fmt}, {len(s.dispatch.value):,} B) {names.raw}[{s.coord[0]}]@{s.coord[1]}"
            for s in lost[:15]
            if s.coord is not None
        ],
        "lost_coords": [list(s.coord) for s in lost[:20] if s.coord is not None],
        "lost_by_partition": dict(sorted(Counter(s.coord[0] for s in lost if s.coord is not None).items())),
        "lost_by_kind": dict(sorted(Counter(s.dispatch.kind for s in lost).items())),
        "oversized": dict(sorted(oversized.items())),
    }
    if lost:
        v.append(f"{len(lost)} inputs have no outcome (lost), e.g. {verdict.figures['lost_examples'][:3]}")
    for text in (unexpected + foreign + wrong_id)[:20]:
        v.append(f"unexpected: {text}")
    for text in not_twins[:20]:
        v.append(f"duplicate that is not a twin: {text}")
    for text in order_violations[:20]:
        v.append(f"order: {text}")
    for text in split_stories[:20]:
        v.append(f"order: {text}")
    return verdict
