"""Stage results for publication: the article event and the dead letter, with their headers.

Every raw record ends in outcome records that point back to it (``wf_raw_topic``,
``wf_raw_partition``, ``wf_raw_offset``, ``wf_part``): that is what ``wirefeed audit``
reconciles. Header and value shapes are the contract in ``schemas/wire.articles/`` and
``schemas/wire.deadletter/``.

Identifiers are deterministic: ``ce_id`` is derived from the raw bytes' sha256, the
item's position in them and the event type, so reprocessing the same raw record yields
the same ids and downstream consumers can drop duplicates (at-least-once delivery).

Nothing here names a topic: the results are typed (``Article``, ``DeadLetter``) and the
agents map them to topics.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from pipeline import __version__
from pipeline.errors import PipelineError, UnexpectedError
from pipeline.records import DeadLetter, Duplicate, Headers, Provenance, RawDispatch, RawRef

if TYPE_CHECKING:
    from pipeline.settings import Settings

#: bytes a Kafka record costs beyond key, value and headers (batch and record framing)
RECORD_OVERHEAD = 512


@dataclass(frozen=True, slots=True)
class Limits:
    """The one size limit, and how much of a raw record travels inline after the first stage.

    ``max_bytes`` bounds every record wirefeed writes (``WIREFEED_MAX_MESSAGE_BYTES``): raw
    dispatches at ingest, internal records, articles, dead letters; producer requests,
    consumer fetches and the topics' ``max.message.bytes`` are set from it with a margin.
    A dispatch or outcome over it becomes a small dead letter that says so.
    """

    max_bytes: int = 4 * 1024 * 1024
    #: raw bytes up to this size ride along in internal records (``RawRef.value``), so a
    #: later stage's dead letter can hold them; larger ones are fetched back by coordinates
    inline_max: int = 64 * 1024

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        # raw bytes inline take at most a quarter of the limit (base64 and the item come on top)
        return cls(settings.max_message_bytes, min(settings.raw_inline_max, settings.max_message_bytes // 4))

    def __post_init__(self) -> None:
        # a dead letter without the original bytes (a few KB) is always sent, even over a tiny
        # limit: the producer and the topics allow the limit plus a margin (topics.SIZE_MARGIN)
        if not 4 * 1024 <= self.max_bytes <= 16 * 1024 * 1024:
            raise ValueError(f"the size limit must be between 4 KiB and 16 MiB, not {self.max_bytes:,} bytes")
        if not 0 <= self.inline_max <= self.max_bytes // 4:
            raise ValueError(f"raw bytes carried inline ({self.inline_max:,}) must be at most a quarter of the limit")


DEFAULT_LIMITS = Limits()


def record_size(key: bytes | None, value: bytes, headers: Headers) -> int:
    """What a record weighs against the limit: key, value, header names and values, framing."""
    return len(key or b"") + len(value) + sum(len(k) + len(v) for k, v in headers) + RECORD_OVERHEAD


def over_limit(size: int, what: str, limits: Limits) -> str | None:
    """The reason ``what`` of ``size`` bytes cannot be published, or None when it fits."""
    if size <= limits.max_bytes:
        return None
    return f"{what} is {size:,} bytes, over the {limits.max_bytes:,}-byte limit (WIREFEED_MAX_MESSAGE_BYTES)"


SPEC_VERSION = "1.0"
ARTICLE_TYPE = "net.wirefeed.article.v1"
DEADLETTER_TYPE = "net.wirefeed.deadletter.v2"
DUPLICATE_TYPE = "net.wirefeed.duplicate.v1"
NINJS_DATASCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json"
PIPELINE = f"wirefeed/{__version__}"


def event_id(kind: str, raw: RawRef | RawDispatch, part: int) -> str:
    """The CloudEvents id: the same raw bytes, item and event type always give the same id."""
    return hashlib.sha256(f"{kind}\x00{part}\x00{raw.sha256}".encode()).hexdigest()[:32]


def _header_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (int, float)):
        return str(value).encode("ascii")
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def build_headers(values: Mapping[str, Any]) -> Headers:
    """Kafka headers from a mapping; None and empty values are left out."""
    return tuple((name, _header_bytes(value)) for name, value in values.items() if value not in (None, "", {}, []))


def provenance_headers(raw: RawRef, part: int, parts: int) -> dict[str, Any]:
    prov: Provenance | None = raw.provenance
    return {
        "wf_dispatch_id": raw.dispatch_id,
        "wf_raw_topic": prov.topic if prov else None,
        "wf_raw_partition": prov.partition if prov else None,
        "wf_raw_offset": prov.offset if prov else None,
        "wf_part": f"{part}/{parts}",
        "wf_source": raw.header("wf_source") or raw.input,
        "wf_pipeline": PIPELINE,
    }


def raw_time(raw: RawRef) -> str | None:
    """The raw record's time (UTC, to the second), when it was read from Kafka."""
    prov = raw.provenance
    if prov and prov.timestamp_ms:
        return datetime.fromtimestamp(prov.timestamp_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _now_or_raw_time(raw: RawRef) -> str:
    prov = raw.provenance
    if prov and prov.timestamp_ms:
        moment = datetime.fromtimestamp(prov.timestamp_ms / 1000, tz=UTC)
    else:
        moment = datetime.now(tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _headers_json(headers: Headers) -> list[dict[str, str]]:
    out = []
    for name, value in headers:
        try:
            out.append({"name": name, "value": value.decode("utf-8"), "encoding": "utf-8"})
        except UnicodeDecodeError:
            out.append({"name": name, "value": base64.b64encode(value).decode("ascii"), "encoding": "base64"})
    return out


def dead_letter(
    raw: RawRef | RawDispatch,
    error: PipelineError,
    *,
    part: int = 1,
    parts: int = 1,
    omitted: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> DeadLetter:
    """The dead-letter record for ``raw``: the original bytes and headers, and why it failed.

    The bytes are left out when ``raw`` does not carry them (a reference past the first
    stage to a large dispatch), when ``omitted`` gives a reason, or when the record would
    not fit the size limit with them; the envelope then says why, and its coordinates find
    the original in ``wire.raw``.
    """
    ref = raw if isinstance(raw, RawRef) else raw.ref()
    if omitted is not None:
        ref = replace(ref, value=None)
    elif ref.value is None:
        omitted = f"the dispatch ({ref.size:,} bytes) is carried past the first stage by reference only"
    letter = _dead_letter(ref, error, part, parts, omitted)
    if ref.value is not None:
        reason = over_limit(
            record_size(letter.key, letter.value, letter.headers), "with its original bytes, it", limits
        )
        if reason is not None:
            letter = _dead_letter(replace(ref, value=None), error, part, parts, reason)
    return letter


def _dead_letter(ref: RawRef, error: PipelineError, part: int, parts: int, omitted: str | None) -> DeadLetter:
    error_class = error.error_class if isinstance(error, UnexpectedError) else type(error).__name__
    prov = ref.provenance
    original: dict[str, Any] = {
        "key": base64.b64encode(ref.key).decode("ascii") if ref.key is not None else None,
        "headers": _headers_json(ref.headers),
        "size": ref.size,
        "sha256": ref.sha256,
    }
    if ref.value is not None:
        original["value"] = base64.b64encode(ref.value).decode("ascii")
    else:
        original["omitted"] = {"reason": omitted}
    envelope = {
        "dispatch_id": ref.dispatch_id,
        "error": {"stage": error.stage, "class": error_class, "reason": error.reason, "format": error.format},
        "source": {
            "topic": prov.topic if prov else None,
            "partition": prov.partition if prov else None,
            "offset": prov.offset if prov else None,
            "timestamp_ms": prov.timestamp_ms if prov else None,
            "input": ref.input,
            "part": part,
            "parts": parts,
        },
        "original": original,
        "pipeline": PIPELINE,
    }
    headers = build_headers(
        {
            "content-type": "application/json",
            "ce_specversion": SPEC_VERSION,
            "ce_id": event_id("deadletter", ref, part),
            "ce_source": "/wirefeed/deadletter",
            "ce_type": DEADLETTER_TYPE,
            "ce_time": _now_or_raw_time(ref),
            "ce_subject": ref.dispatch_id,
            **provenance_headers(ref, part, parts),
            "wf_stage": error.stage,
            "wf_error_class": error_class,
            "wf_format": error.format,
            "wf_agency": ref.header("wf_agency"),
        }
    )
    return DeadLetter(
        key=ref.dispatch_id.encode("ascii"),
        value=orjson.dumps(envelope),
        headers=headers,
        raw=ref,
        part=part,
        parts=parts,
        stage=error.stage,
        error_class=error_class,
    )


def original_from_dead_letter(value: bytes) -> RawDispatch:
    """The raw record a dead letter holds, ready to be produced to ``wire.raw`` again.

    Raises ``ValueError`` when the dead letter does not hold the bytes (a large dispatch:
    see ``original_ref_from_dead_letter`` and fetch them from ``wire.raw``).
    """
    ref = original_ref_from_dead_letter(value)
    if ref.value is None:
        raise ValueError(f"the dead letter of {ref.where()} does not hold the original bytes")
    return RawDispatch(value=ref.value, headers=ref.headers, key=ref.key)


def original_ref_from_dead_letter(value: bytes) -> RawRef:
    """What a dead letter says of its original: coordinates, sha256, headers, and the bytes if held."""
    envelope = orjson.loads(value)
    original, source = envelope["original"], envelope["source"]
    headers: list[tuple[str, bytes]] = []
    for h in original["headers"]:
        data = base64.b64decode(h["value"]) if h["encoding"] == "base64" else h["value"].encode("utf-8")
        headers.append((h["name"], data))
    key = base64.b64decode(original["key"]) if original.get("key") else None
    provenance = None
    if source.get("topic") is not None and source.get("partition") is not None and source.get("offset") is not None:
        provenance = Provenance(source["topic"], source["partition"], source["offset"], source.get("timestamp_ms"))
    raw_value = original.get("value")
    return RawRef(
        sha256=original["sha256"],
        size=original["size"],
        headers=tuple(headers),
        key=key,
        provenance=provenance,
        input=source.get("input"),
        value=base64.b64decode(raw_value) if raw_value is not None else None,
    )


def duplicate(
    ref: RawRef, part: int, parts: int, story: Mapping[str, Any], *, agency: str | None, fmt: str | None
) -> Duplicate:
    """The ``wire.duplicates`` record of an item that is not published: the story verdict
    (``story``: event, uri, version, duplicateOf, reason, ...) and where the item came from."""
    uri = str(story["uri"])
    value = {
        **story,
        "dispatch_id": ref.dispatch_id,
        "source": {
            "topic": ref.provenance.topic if ref.provenance else None,
            "partition": ref.provenance.partition if ref.provenance else None,
            "offset": ref.provenance.offset if ref.provenance else None,
            "timestamp_ms": ref.provenance.timestamp_ms if ref.provenance else None,
            "input": ref.input,
            "part": part,
            "parts": parts,
        },
        "pipeline": PIPELINE,
    }
    headers = build_headers(
        {
            "content-type": "application/json",
            "ce_specversion": SPEC_VERSION,
            "ce_id": event_id("duplicate", ref, part),
            "ce_source": f"/wirefeed/{agency or 'unknown'}",
            "ce_type": DUPLICATE_TYPE,
            "ce_time": _now_or_raw_time(ref),
            "ce_subject": uri,
            **provenance_headers(ref, part, parts),
            "wf_format": fmt,
            "wf_agency": agency,
        }
    )
    return Duplicate(
        key=uri.encode("utf-8"), value=orjson.dumps(value), headers=headers, raw=ref, part=part, parts=parts
    )
