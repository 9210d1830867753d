"""Normalise stage: a cleaned and enriched item becomes one IPTC ninjs 3.1 document.

The document validates, unchanged, against the official schema
(``schemas/ninjs/ninjs-schema_3.1.json``). What ninjs cannot hold (raw coordinates,
translation credit, date precision, detected language...) travels in the record's
headers, built by ``pipeline.stages.flow``.

Timestamps are published in UTC ("2022-01-13T09:30:00Z"); the offset the source gave,
the zone we assumed and the precision are kept in the ``wf_dates`` header. A date without a
time is not an instant: it stays local midnight with its offset ("2022-01-13T00:00:00+03:00",
so the date reads as printed) and ``wf_dates`` marks it ``"precision": "day"``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pipeline.records import Association, Block, Enrichment, Entity, ParsedItem, Rendition, Subject, When

NINJS_VERSION = "3.1"
NINJS_SCHEMA_URI = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"

_WORD = re.compile(r"\w+(?:[’'\-]\w+)*", re.UNICODE)


def story_uri(item: ParsedItem) -> str:
    """The article's ``uri``: the story's identity (``pipeline.stories.identity``), shared by
    every version of the story, and by ingest's ``wire.raw`` key."""
    from pipeline.stories.identity import story_uri as identity_uri

    return identity_uri(item)


def published(when: When) -> str:
    """The ninjs value: UTC for timestamps, local midnight with offset for bare dates."""
    return iso(when) if when.precision == "day" else utc(when)


def iso(when: When) -> str:
    """ISO-8601 with the source's own offset ("2022-01-13T00:00:00+03:00")."""
    value = when.value
    if value.tzinfo is None:  # guard: records promise aware datetimes
        value = value.replace(tzinfo=UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def utc(when: When) -> str:
    value = when.value if when.value.tzinfo else when.value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: silent reading speed, words per minute (the usual estimate for news text)
READING_WPM = 230


def reading_seconds(doc: dict[str, Any]) -> int | None:
    """Estimated reading time of the plain-text body, in whole seconds."""
    for body in doc.get("bodies", ()):
        if body.get("contentType") == "text/plain" and body.get("wordCount"):
            return max(1, round(body["wordCount"] * 60 / READING_WPM))
    return None


def service_language(agency: str | None) -> str | None:
    """The language of an agency whose profile lists exactly one (PA, AAP, Ritzau...)."""
    if not agency:
        return None
    from pipeline.profiles import get_profile

    languages = get_profile(agency).languages
    return languages[0] if len(languages) == 1 else None


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def plain_body(blocks: Iterable[Block]) -> str:
    return "\n\n".join(b.text for b in blocks if b.text)


def html_body(blocks: Iterable[Block]) -> str:
    """The body as minimal, safe HTML: every character escaped, one element per block."""
    parts: list[str] = []
    in_list = False
    for block in blocks:
        text = html.escape(block.text, quote=False)
        if block.kind == "li":
            if not in_list:
                parts.append("<ul>")
                in_list = True
            parts.append(f"<li>{text}</li>")
            continue
        if in_list:
            parts.append("</ul>")
            in_list = False
        if block.kind == "h":
            parts.append(f"<h2>{text}</h2>")
        elif block.kind == "quote":
            parts.append(f"<blockquote><p>{text}</p></blockquote>")
        elif block.kind == "pre":
            parts.append(f"<pre>{text}</pre>")
        else:
            parts.append(f"<p>{text}</p>")
    if in_list:
        parts.append("</ul>")
    return "".join(parts)


def _drop_empty(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, "", [], {})}


def _entity(entity: Entity, with_geo: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"name": entity.name, "rel": entity.rel, "uri": entity.uri, "literal": entity.literal}
    if with_geo and entity.latitude is not None and entity.longitude is not None:
        out["geoJSON"] = {"type": "Point", "coordinates": [round(entity.longitude, 5), round(entity.latitude, 5)]}
    return _drop_empty(out)


def _subject(subject: Subject) -> dict[str, Any]:
    return _drop_empty(
        {
            "name": subject.name,
            "rel": subject.rel,
            "uri": subject.uri,
            "literal": subject.code,
            "creator": subject.creator,
            "confidence": subject.confidence,
        }
    )


def _rendition(rendition: Rendition) -> dict[str, Any]:
    return _drop_empty(
        {
            "name": rendition.name,
            "href": rendition.href,
            "contentType": rendition.content_type,
            "width": rendition.width,
            "height": rendition.height,
            "sizeInBytes": rendition.size_bytes,
            "duration": rendition.duration,
        }
    )


def _association(assoc: Association, owner_uri: str, index: int) -> dict[str, Any]:
    uri = assoc.uri or f"{owner_uri}#{assoc.type}-{index}"
    out: dict[str, Any] = {"name": assoc.name, "uri": uri, "type": assoc.type, "rel": "illustration"}
    if assoc.headline:
        out["headlines"] = [{"role": "main", "value": assoc.headline}]
    if assoc.caption:
        out["descriptions"] = [{"role": "caption", "value": assoc.caption}]
    if assoc.credit:
        out["by"] = assoc.credit
    if assoc.renditions:
        out["renditions"] = [_rendition(r) for r in assoc.renditions]
    return out


def _same(a: Entity, b: Entity) -> bool:
    if a.uri and a.uri == b.uri:
        return True
    if a.name.casefold() == b.name.casefold() or (a.literal and b.literal and a.literal == b.literal):
        return True
    # a source-coded country ("CHL", "Chile") and the country enrichment resolved
    return bool(a.country and a.country == b.country and a.feature == b.feature == "country")


def merge_entities(coded: Iterable[Entity], found: Iterable[Entity]) -> list[Entity]:
    """The source's own entities, then what enrichment found; one entry per entity.

    When both name the same entity, enrichment's entry (with its identifier and
    coordinates) is kept, in the source's position.
    """
    found = list(found)
    used: set[int] = set()
    out: list[Entity] = []
    for entity in coded:
        match = next((i for i, f in enumerate(found) if i not in used and _same(entity, f)), None)
        if match is None:
            out.append(entity)
        else:
            used.add(match)
            out.append(found[match])
    out += [f for i, f in enumerate(found) if i not in used]
    unique: list[Entity] = []
    for entity in out:
        if not any(_same(entity, kept) and entity.rel == kept.rel for kept in unique):
            unique.append(entity)
    return unique


def _unique(items: Iterable[dict[str, Any]], key: str = "uri") -> list[dict[str, Any]]:
    seen: set[Any] = set()
    out = []
    for item in items:
        mark = item.get(key) or (item.get("name"), item.get("rel"))
        if mark in seen:
            continue
        seen.add(mark)
        out.append(item)
    return out


def to_ninjs(item: ParsedItem, enrichment: Enrichment, uri: str) -> dict[str, Any]:
    """The ninjs 3.1 document of an item. Pure; key order is stable for readable output."""
    doc: dict[str, Any] = {
        "uri": uri,
        "type": item.type,
        "representationType": "full",
        "standard": {"name": "ninjs", "version": NINJS_VERSION, "schema": NINJS_SCHEMA_URI},
        "version": item.version,
        "firstCreated": published(item.first_created) if item.first_created else None,
        "versionCreated": published(item.version_created) if item.version_created else None,
        "contentCreated": published(item.content_created) if item.content_created else None,
        "embargoedUntil": published(item.embargoed_until) if item.embargoed_until else None,
        "pubStatus": item.pub_status if item.pub_status in ("usable", "withheld", "canceled") else "usable",
        "urgency": item.urgency if item.urgency and 1 <= item.urgency <= 9 else None,
        "language": enrichment.language or item.language,
        "slugline": item.slugline,
        "by": item.byline,
        "located": item.dateline.place if item.dateline and item.dateline.place else None,
        "copyrightHolder": item.copyright_holder,
        "copyrightNotice": item.copyright_notice,
        "usageTerms": item.usage_terms,
        "edNote": item.ed_note,
    }
    headlines = []
    if item.headline:
        headlines.append({"role": "main", "value": item.headline})
    headlines += [{"role": "sub", "value": sub} for sub in item.subheadlines if sub]
    doc["headlines"] = headlines
    if item.summary:
        doc["descriptions"] = [{"role": "summary", "value": item.summary}]
    blocks = [b for b in item.body if b.text]
    if blocks:
        text = plain_body(blocks)
        counts = {"charCount": len(text), "wordCount": count_words(text)}
        doc["bodies"] = [
            {"role": "main", "contentType": "text/plain", **counts, "value": text},
            {"role": "main", "contentType": "text/html", **counts, "value": html_body(blocks)},
        ]
    coded = {
        kind: [e for e in item.entities if e.kind == kind] for kind in ("person", "organisation", "place", "event")
    }
    doc["people"] = [_entity(e) for e in merge_entities(coded["person"], enrichment.people)]
    doc["organisations"] = [_entity(e) for e in merge_entities(coded["organisation"], enrichment.organisations)]
    doc["places"] = [_entity(e, with_geo=True) for e in merge_entities(coded["place"], enrichment.places)]
    doc["events"] = _unique(_entity(e) for e in coded["event"])
    subjects = [_subject(s) for s in (*item.subjects, *enrichment.subjects)]
    subjects += [{"name": kw, "rel": "keyword"} for kw in item.keywords if kw]
    doc["subjects"] = _unique(subjects)
    doc["genres"] = [_drop_empty({"name": g.name, "uri": g.uri, "literal": g.code}) for g in item.genres]
    sources = [_drop_empty({"name": p.name, "role": p.role, "uri": p.uri}) for p in item.info_sources]
    sources += [_drop_empty({"name": p.name, "role": p.role, "uri": p.uri}) for p in item.contributors]
    doc["infoSources"] = _unique(sources, key="name")
    doc["associations"] = [_association(a, uri, i) for i, a in enumerate(item.associations, start=1)]
    doc["renditions"] = [_rendition(r) for r in item.renditions]
    alt_ids = []
    if item.guid and item.guid != uri:
        alt_ids.append({"role": "guid", "value": item.guid})
    if item.url:
        alt_ids.append({"role": "url", "value": item.url})
    doc["altIds"] = alt_ids
    return _drop_empty(doc)


def dates_header(item: ParsedItem) -> dict[str, dict[str, str]]:
    """ninjs date field -> {utc, local, zone, precision, original}: what ninjs cannot say."""
    out: dict[str, dict[str, str]] = {}
    for name, when in (
        ("firstCreated", item.first_created),
        ("versionCreated", item.version_created),
        ("contentCreated", item.content_created),
        ("embargoedUntil", item.embargoed_until),
    ):
        if when is not None:
            out[name] = _drop_empty(
                {
                    "utc": utc(when),
                    "local": iso(when),
                    "zone": when.zone,
                    "precision": when.precision,
                    "original": when.original,
                }
            )
    return out


def event_time(item: ParsedItem, fallback: datetime) -> str:
    """CloudEvents ``time``: when the item was (last) created, else ``fallback``."""
    for when in (item.version_created, item.first_created, item.content_created):
        if when is not None:
            return utc(when)
    value = fallback if fallback.tzinfo else fallback.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
