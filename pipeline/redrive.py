"""``wirefeed redrive``: send dead letters back through the pipeline once their cause is fixed.

A system-wide failure (a missing model, a bad setting, a bug in one stage) turns good
dispatches into dead letters. Once the cause is fixed, redrive reads ``wire.deadletter``,
picks the dead letters asked for (stage, error class, time they failed, dispatch id) and
produces each one's ORIGINAL record -- bytes, key and headers as they were received --
back to ``wire.raw``, with two headers added:

    wf_redriven_from   the dead letter it comes from: "wire.deadletter[0]@17"
    wf_redrive_of      the raw record that failed:    "wire.raw[2]@1041"

(topic names as on the cluster, with their prefix).

Both are derived from the dead letter only, so a redrive is deterministic: the same dead
letter always produces the same record, and its outcomes get the same event ids
(``ce_id`` is derived from the bytes) -- a downstream consumer that keeps one record per
``ce_id`` sees a repeated redrive as duplicates. Redrive itself does not send a dead
letter twice: it first looks in ``wire.raw`` (from the time the oldest chosen dead letter
was written) for records already carrying its ``wf_redriven_from``, and skips those
unless ``--again``.

Where the bytes come from: a dead letter normally carries the original bytes (base64).
One that carries only the raw record's coordinates and sha256 (a dead letter written by
a later stage, or for a record too big to copy) is completed from ``wire.raw`` at those
coordinates, and the bytes are used only if their sha256 matches.

A raw record with several items (a NewsML-G2 newsMessage) may have a dead letter per
item: it is sent back once. Dead letters whose original is not a ``wire.raw`` record
(an internal record the worker could not decode) cannot be redriven and are listed
with the reason.

Dry run by default: it lists what it would send. ``--yes`` sends.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from pipeline.kafka import Consumer, producer, read
from pipeline.records import Headers
from pipeline.topics import TopicNames

log = logging.getLogger(__name__)

REDRIVEN_FROM = "wf_redriven_from"
REDRIVE_OF = "wf_redrive_of"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Selection:
    """Which dead letters to send back; an empty field selects everything."""

    stages: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    since: datetime | None = None  # dead-lettered at or after (the dead letter's record time)
    until: datetime | None = None  # dead-lettered before
    dispatch_ids: tuple[str, ...] = ()

    def matches(self, stage: str, error_class: str, when: datetime | None, dispatch_id: str) -> bool:
        if self.stages and stage not in self.stages:
            return False
        if self.classes and error_class not in self.classes:
            return False
        if self.dispatch_ids and not any(dispatch_id.startswith(d) for d in self.dispatch_ids):
            return False
        if self.since is not None and (when is None or when < self.since):
            return False
        return not (self.until is not None and (when is None or when >= self.until))


def parse_time(text: str, now: datetime | None = None) -> datetime:
    """ "2026-05-01T10:00:00Z", "2026-05-01" (UTC) or a duration ago: "90s", "15m", "2h", "3d"."""
    match = _DURATION.match(text.strip())
    if match:
        return (now or datetime.now(tz=UTC)) - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Candidate:
    """One raw record to send back, from one (or, for several items, more) dead letters."""

    deadletter: str  # "wire.deadletter[0]@17": the first dead letter of the raw record
    deadletter_ms: int | None
    dispatch_id: str
    stage: str
    error_class: str
    reason: str
    source: tuple[str, int, int] | None  # the raw record's coordinates
    sha256: str | None
    size: int | None
    value: bytes | None = None
    key: bytes | None = None
    headers: Headers = ()
    bytes_from: str = "dead letter"  # or "wire.raw[p]@o"
    problem: str | None = None  # why it cannot be sent
    already: list[str] = field(default_factory=list)  # wire.raw records that already redrove it
    sent_to: str | None = None

    @property
    def redrive_headers(self) -> Headers:
        """The original headers, minus an earlier redrive's, plus where this one comes from."""
        kept = tuple((k, v) for k, v in self.headers if k not in (REDRIVEN_FROM, REDRIVE_OF))
        extra: list[tuple[str, bytes]] = [(REDRIVEN_FROM, self.deadletter.encode())]
        if self.source is not None:
            topic, partition, offset = self.source
            extra.append((REDRIVE_OF, f"{topic}[{partition}]@{offset}".encode()))
        return (*kept, *extra)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deadletter": self.deadletter,
            "dispatch_id": self.dispatch_id,
            "stage": self.stage,
            "class": self.error_class,
            "reason": self.reason,
            "source": "{}[{}]@{}".format(*self.source) if self.source else None,
            "size": self.size,
            "bytes_from": self.bytes_from,
            "status": self.status,
            "problem": self.problem,
            "already_redriven_as": self.already,
            "sent_to": self.sent_to,
        }

    @property
    def status(self) -> str:
        if self.sent_to:
            return "sent"
        if self.problem:
            return "cannot"
        if self.already:
            return "already redriven"
        return "to send"


def _headers_from_json(items: Iterable[dict[str, Any]]) -> Headers:
    out: list[tuple[str, bytes]] = []
    for h in items:
        data = base64.b64decode(h["value"]) if h.get("encoding") == "base64" else str(h["value"]).encode("utf-8")
        out.append((str(h["name"]), data))
    return tuple(out)


def candidate_from(record: ConsumerRecord, names: TopicNames) -> Candidate | None:
    """The Candidate a dead-letter record describes (None when it is no dead-letter envelope)."""
    try:
        envelope = orjson.loads(record.value)
        error, source, original = envelope["error"], envelope["source"], envelope["original"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        log.warning("%s[%d]@%d is not a dead-letter envelope; skipped", record.topic, record.partition, record.offset)
        return None
    coords = None
    if source.get("topic") is not None and source.get("partition") is not None and source.get("offset") is not None:
        coords = (str(source["topic"]), int(source["partition"]), int(source["offset"]))
    value_b64 = original.get("value")
    candidate = Candidate(
        deadletter=f"{record.topic}[{record.partition}]@{record.offset}",
        deadletter_ms=record.timestamp,
        dispatch_id=str(envelope.get("dispatch_id", "")),
        stage=str(error.get("stage", "")),
        error_class=str(error.get("class", "")),
        reason=str(error.get("reason", "")),
        source=coords,
        sha256=original.get("sha256"),
        size=original.get("size"),
        key=base64.b64decode(original["key"]) if original.get("key") else None,
        headers=_headers_from_json(original.get("headers") or ()),
        value=base64.b64decode(value_b64) if isinstance(value_b64, str) else None,
    )
    if coords is not None and coords[0] != names.raw:
        candidate.problem = f"its original is a record of {coords[0]}, not of {names.raw}"
    elif candidate.value is not None and candidate.sha256 and _sha256(candidate.value) != candidate.sha256:
        candidate.problem = "the bytes it carries do not match its sha256"
    elif candidate.value is None and coords is None:
        candidate.problem = "it carries neither the bytes nor the raw record's coordinates"
    return candidate


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _when(ms: int | None) -> datetime | None:
    return datetime.fromtimestamp(ms / 1000, tz=UTC) if ms is not None else None


async def select(bootstrap: str, names: TopicNames, selection: Selection, limit: int | None = None) -> list[Candidate]:
    """The dead letters ``selection`` picks, one Candidate per raw record, in dead-letter order."""
    chosen: dict[Any, Candidate] = {}
    async for record in read(bootstrap, [names.deadletter], idle_timeout=0.5):
        candidate = candidate_from(record, names)
        if candidate is None:
            continue
        if not selection.matches(
            candidate.stage, candidate.error_class, _when(candidate.deadletter_ms), candidate.dispatch_id
        ):
            continue
        # one raw record may have a dead letter per item: it goes back once
        identity: Any = candidate.source or ("dispatch", candidate.dispatch_id, candidate.deadletter)
        if identity not in chosen:
            chosen[identity] = candidate
            if limit is not None and len(chosen) >= limit:
                break
    candidates = list(chosen.values())
    await _complete_from_raw(bootstrap, names, [c for c in candidates if c.value is None and not c.problem])
    await _mark_already_redriven(bootstrap, names, candidates)
    return candidates


async def _complete_from_raw(bootstrap: str, names: TopicNames, candidates: Sequence[Candidate]) -> None:
    """Fetch the bytes of dead letters that carry only coordinates; check them against sha256."""
    if not candidates:
        return
    consumer = Consumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=64 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        for candidate in candidates:
            assert candidate.source is not None
            topic, partition, offset = candidate.source
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            consumer.seek(tp, offset)
            found: ConsumerRecord | None = None
            for _ in range(20):  # a few fetches: the record may sit after a compacted gap
                batch = await consumer.getmany(tp, timeout_ms=1000, max_records=1)
                records = batch.get(tp, [])
                if records:
                    found = records[0] if records[0].offset == offset else None
                    break
            where = f"{topic}[{partition}]@{offset}"
            if found is None:
                candidate.problem = f"{where} is no longer in the topic (retention or compaction)"
            elif candidate.sha256 and _sha256(found.value or b"") != candidate.sha256:
                candidate.problem = f"{where} does not hold the dead letter's bytes (sha256 differs)"
            else:
                candidate.value = found.value or b""
                candidate.key = found.key if candidate.key is None else candidate.key
                candidate.headers = candidate.headers or tuple((k, v or b"") for k, v in (found.headers or ()))
                candidate.bytes_from = where
    finally:
        await consumer.stop()


async def _mark_already_redriven(bootstrap: str, names: TopicNames, candidates: Sequence[Candidate]) -> None:
    """Note the wire.raw records that already carry a candidate's ``wf_redriven_from``.

    Only the part of wire.raw written after the oldest candidate's dead letter is read
    (a redrive cannot be older than its dead letter).
    """
    wanted = {c.deadletter: c for c in candidates}
    if not wanted:
        return
    oldest = min((c.deadletter_ms for c in candidates if c.deadletter_ms is not None), default=0)
    consumer = Consumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(names.raw, p) for p in sorted(consumer.partitions_for_topic(names.raw) or ())]
        if not parts:
            await consumer._client.force_metadata_update()
            parts = [TopicPartition(names.raw, p) for p in sorted(consumer.partitions_for_topic(names.raw) or ())]
        consumer.assign(parts)
        ends = await consumer.end_offsets(parts)
        try:
            found = await consumer.offsets_for_times(dict.fromkeys(parts, max(oldest - 1000, 0)))
            starts = {tp: (found[tp].offset if found.get(tp) is not None else None) for tp in parts}
        except KafkaError:  # a broker without time lookups: read the partitions whole
            starts = dict.fromkeys(parts, 0)
        live = [tp for tp in parts if starts[tp] is not None]  # None: nothing written since
        if not live:
            return
        consumer.assign(live)
        for tp in live:
            consumer.seek(tp, starts[tp])
        quiet = 0
        while quiet < 2:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            if not batch:
                positions = [await consumer.position(tp) for tp in live]
                quiet = quiet + 1 if all(pos >= ends[tp] for tp, pos in zip(live, positions, strict=True)) else 0
                continue
            quiet = 0
            for records in batch.values():
                for record in records:
                    for key, value in record.headers or ():
                        if key == REDRIVEN_FROM and value is not None:
                            candidate = wanted.get(value.decode("utf-8", errors="replace"))
                            if candidate is not None:
                                candidate.already.append(f"{record.topic}[{record.partition}]@{record.offset}")
    finally:
        await consumer.stop()


async def send(bootstrap: str, names: TopicNames, candidates: Sequence[Candidate], *, again: bool = False) -> int:
    """Produce every sendable candidate's original record to wire.raw; returns how many were sent."""
    todo = [c for c in candidates if not c.problem and c.value is not None and (again or not c.already)]
    if not todo:
        return 0
    async with producer(bootstrap) as prod:
        futures = []
        for candidate in todo:
            futures.append(
                await prod.send(names.raw, candidate.value, key=candidate.key, headers=list(candidate.redrive_headers))
            )
        for candidate, future in zip(todo, futures, strict=True):
            metadata = await future
            candidate.sent_to = f"{metadata.topic}[{metadata.partition}]@{metadata.offset}"
            log.info("redrove %s (%s) to %s", candidate.deadletter, candidate.dispatch_id, candidate.sent_to)
    return len(todo)


def render(candidates: Sequence[Candidate], *, sent: bool) -> str:
    lines = []
    for c in candidates:
        line = (
            f"{c.status:<17} {c.deadletter:<26} {c.dispatch_id:<24} {c.stage}/{c.error_class}  "
            f"{(c.size or 0):>9,} B  bytes from {c.bytes_from}"
        )
        if c.sent_to:
            line += f"  -> {c.sent_to}"
        if c.already:
            line += f"  (already as {', '.join(c.already[:3])})"
        if c.problem:
            line += f"  ({c.problem})"
        lines.append(line)
        lines.append(f"{'':<18}{c.reason[:150]}")
    counts: dict[str, int] = {}
    for c in candidates:
        counts[c.status] = counts.get(c.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no dead letter selected"
    lines.append(summary + ("" if sent else "  (dry run: --yes sends them)"))
    return "\n".join(lines)
