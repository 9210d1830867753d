"""What an item says about its story: kill, withdrawal, correction, update, repeat, embargo.

Every format has its way of saying it, and the parsers surface each as it is (stateless):
``pub_status`` (G2 ``stat:canceled``/``stat:withheld``, ninjs ``pubStatus``, NITF
``management-status``, NewsML 1.2 ``Status``, Ritzau's ``Annuleret``), NewsML-G2 and
ninjs signals (``("signal", "sig:correction")`` in ``extra``), ANPA-1312 version lines
("Kill", "1st Ld-Writethru", in ``extra``), keyword lines, sluglines and headlines
("CORRECTED-...", "UPDATE 2-...", "KILL - ..."), editor's notes ("Eds: kill the story",
"Berichtigung: ...", "adds comments ...") and, for advisories sent as a story of their
own, the first block of the body. The wording is data (``data/signals.toml``), in
every language we know it in.

A kill is read only where an advisory is written (head, editor's note, first block),
never from the story's text, and a word in capitals counts in a headline printed all in
capitals only where a wire puts its markers (before a dash at the start, in
parentheses, after the last comma): "THREE KILLED IN ..." is news, "KILL - ..." is not.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from pipeline.records import ParsedItem
from pipeline.stories.identity import marker_zones, version_fields, version_words

#: kinds, strongest first: a kill outranks a correction in the same item
KINDS = ("kill", "withdrawal", "withheld", "correction", "update", "repeat")
#: kinds that end a story's publication
ENDS = frozenset({"kill", "withdrawal"})


@dataclass(frozen=True, slots=True)
class Signals:
    """What the item says about its story. ``kinds`` in order of strength."""

    kinds: tuple[str, ...] = ()
    #: why, for the kill event and the logs ("pubStatus canceled", "head: KILL")
    reasons: tuple[str, ...] = ()
    #: the version ordinal the version words give ("2nd Ld" -> 3), when they give one
    ordinal: int | None = None
    #: embargo end (UTC, epoch ms) when the item carries one
    embargo_ms: int | None = None

    @property
    def kind(self) -> str | None:
        """The strongest kind, or None for a plain story."""
        return self.kinds[0] if self.kinds else None

    @property
    def ends_story(self) -> bool:
        return any(k in ENDS for k in self.kinds)

    @property
    def withheld(self) -> bool:
        return "withheld" in self.kinds

    def embargoed_at(self, now_ms: int) -> bool:
        """True while the embargo has not lifted at ``now_ms``."""
        return self.embargo_ms is not None and self.embargo_ms > now_ms


@dataclass(frozen=True, slots=True)
class _Advisory:
    kind: str
    where: frozenset[str]
    rx: re.Pattern[str]
    case: bool
    #: the same pattern ignoring case, for version lines (nothing but markers is written there)
    any_case: re.Pattern[str]


@cache
def _data() -> dict[str, Any]:
    text = resources.files("pipeline.stories").joinpath("data/signals.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def _advisories() -> tuple[_Advisory, ...]:
    out = []
    for entry in _data().get("advisories", ()):
        case = bool(entry.get("case", False))
        flags = re.MULTILINE if case else re.IGNORECASE | re.MULTILINE
        where = frozenset(entry["where"]) | ({"version"} if "head" in entry["where"] else set())
        out.append(
            _Advisory(
                str(entry["kind"]),
                where,
                re.compile(entry["pattern"], flags),
                case,
                re.compile(entry["pattern"], re.IGNORECASE | re.MULTILINE),
            )
        )
    return tuple(out)


def _extras(item: ParsedItem, *names: str) -> list[str]:
    return [v for k, v in item.extra if k in names and v]


def _fields(item: ParsedItem) -> dict[str, list[str]]:
    head = [*_extras(item, "anpa1312:keyword_line", "iptc7901:heading"), item.slugline or "", item.headline or ""]
    lead = next((b.text for b in item.body if b.text), "")
    return {
        "version": _extras(item, "anpa1312:version", "anpa1312:take"),
        "head": [h for h in head if h],
        "note": [item.ed_note] if item.ed_note else [],
        "lead": [lead[:300]] if lead else [],
    }


def _advisory_hits(item: ParsedItem) -> Iterable[tuple[str, str]]:
    fields = _fields(item)
    for advisory in _advisories():
        for where in sorted(advisory.where):
            for text in fields.get(where, ()):
                if where == "version":
                    hit = bool(advisory.any_case.search(text))
                else:
                    hit = any(advisory.rx.search(t) for t in (marker_zones(text) if advisory.case else (text,)))
                if hit:
                    yield advisory.kind, f"{where}: {advisory.rx.pattern[:40]}"
                    break


def _epoch_ms(value: datetime) -> int:
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def read_signals(item: ParsedItem) -> Signals:
    """Every signal the item carries, strongest first. Pure."""
    found: dict[str, str] = {}
    status = _data()["pub_status"].get((item.pub_status or "").casefold())
    if status:
        found.setdefault(status, f"pubStatus {item.pub_status}")
    codes: dict[str, str] = _data()["codes"]
    for qcode in _extras(item, "signal"):
        kind = codes.get(qcode.casefold())
        if kind:
            found.setdefault(kind, f"signal {qcode}")
    for kind, reason in _advisory_hits(item):
        found.setdefault(kind, reason)
    number, word_kind, words = version_words(*version_fields(item))
    if word_kind and word_kind not in found:
        found[word_kind] = f"version words {words!r}"
    kinds = tuple(k for k in KINDS if k in found)
    embargo = _epoch_ms(item.embargoed_until.value) if item.embargoed_until else None
    return Signals(kinds=kinds, reasons=tuple(found[k] for k in kinds), ordinal=number, embargo_ms=embargo)
