"""Which agency an XML item comes from, and its home time zone, from ``data/agencies.json``.

Wire XML names its producer in many places and spellings: a provider qcode
(``nprov:dpa``), a literal (``reuters.com``), a guid (``tag:ap.org,2011:...``), a
NewsML 1.2 ``ProviderId``, an NITF ``doc-id`` (``AAP.115314987``) or copyright holder.
Parsers pass those strings, most reliable first; the first one the table recognises
decides. Adding an agency or a spelling is a data change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

#: zone applied to offset-less timestamps of items whose agency is unknown
DEFAULT_ZONE = "UTC"


@dataclass(frozen=True, slots=True)
class Agency:
    id: str
    names: tuple[str, ...]  # case-folded
    domains: tuple[re.Pattern[str], ...]
    schemes: tuple[str, ...]  # case-folded
    zone: str


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


@cache
def agencies() -> tuple[Agency, ...]:
    """The agency table, loaded once per process."""
    data = json.loads((DATA / "agencies.json").read_text(encoding="utf-8"))
    table = []
    for entry in data["agencies"]:
        table.append(
            Agency(
                id=entry["id"],
                names=tuple(_fold(n) for n in entry.get("names", ())),
                # A domain counts when not glued to a longer host name ("wrap.org" is not "ap.org").
                domains=tuple(
                    re.compile(r"(?<![a-z0-9-])" + re.escape(d.casefold()) + r"(?![a-z0-9-])")
                    for d in entry.get("domains", ())
                ),
                schemes=tuple(s.casefold() for s in entry.get("schemes", ())),
                zone=entry.get("zone", DEFAULT_ZONE),
            )
        )
    return tuple(table)


def _name_matches(name: str, text: str) -> bool:
    if text == name:
        return True
    return text.startswith(name) and not text[len(name)].isalnum()


def _matches(agency: Agency, text: str) -> bool:
    scheme, sep, code = text.partition(":")
    if sep and " " not in scheme and (scheme in agency.schemes or code in agency.names):
        return True
    if any(_name_matches(name, text) for name in agency.names):
        return True
    return any(pattern.search(text) for pattern in agency.domains)


def agency_of(candidates: Iterable[str | None]) -> str | None:
    """The id of the first candidate string that names a known agency, or None."""
    table = agencies()
    for candidate in candidates:
        if not candidate:
            continue
        text = _fold(candidate)
        if not text:
            continue
        for agency in table:
            if _matches(agency, text):
                return agency.id
    return None


def home_zone(agency_id: str | None) -> str:
    """The IANA time zone of an agency (UTC when unknown)."""
    for agency in agencies():
        if agency.id == agency_id:
            return agency.zone
    return DEFAULT_ZONE
