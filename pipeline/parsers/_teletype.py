"""Helpers shared by the teletype-era wire parsers: IPTC 7901, ANPA-1312 and Reuters-21578.

These formats come from the same world: 7/8-bit text with control-byte framing, Latin-1
by convention, ANPA header lines (Reuters-21578 kept AP-style ANPA headers in its
``<UNKNOWN>`` element), dates printed without a year or without a zone, and lines typed
by hand (month names with typos). What they share lives here; what an agency adds lives
in the data files of ``pipeline/parsers/data/`` (loaded once per process).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.decoding import DecodedText, decode_text
from pipeline.errors import DecodeError
from pipeline.records import Headers, header_value

DATA_DIR = Path(__file__).resolve().parent / "data"

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# C0 controls (and DEL) other than tab and newline: framing and line noise, never text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@cache
def load_data(name: str) -> Mapping[str, Any]:
    """The TOML data file ``pipeline/parsers/data/<name>.toml`` (read once per process)."""
    with (DATA_DIR / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def compiled(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """A data-file regular expression, compiled once (case-insensitive unless told)."""
    return re.compile(pattern, flags)


# ----------------------------------------------------------------------------- text


def decode_wire(raw: bytes, declared: str | None) -> DecodedText:
    """Bytes of a framed teletype dispatch as text.

    ``decode_text`` first (BOM, declared charset, UTF-8, cp1252, mojibake repair). It
    refuses bytes dense in control codes as binary; teletype tables legitimately are (ANPA
    agate rows start with BS and use DLE as a fixed space), so once the framing has shown
    the format, such bytes are read as the single-byte text they are. NUL bytes are still
    refused: no teletype format sends them.
    """
    try:
        return decode_text(raw, declared)
    except DecodeError:
        if b"\x00" in raw:
            raise
    return DecodedText(_single_byte(raw), "cp1252", repaired=False)


@cache
def _cp1252_table() -> dict[int, str]:
    # cp1252 for 0x80-0x9F where it defines a character, Latin-1 elsewhere: nothing lost.
    table: dict[int, str] = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return table


def _single_byte(raw: bytes) -> str:
    return raw.decode("latin-1").translate(_cp1252_table())


def collapse(text: str) -> str:
    """Runs of blanks as one space, no control characters, stripped."""
    if text.isprintable() and "  " not in text:
        # the common case, without a regex: printable text holds no control character and
        # no blank but the space (tabs, no-break and other wide spaces are not printable)
        return text.strip()
    return _SPACES.sub(" ", _CONTROLS.sub(" ", text)).strip()


def strip_controls(text: str) -> str:
    """``text`` without C0 control characters other than tab and newline."""
    if text.isprintable():  # no control character at all (the common case: one C call)
        return text
    return _CONTROLS.sub("", text)


def apply_codes(text: str, codes: Mapping[str, str]) -> str:
    """Replace each key of ``codes`` by its value, longest keys first."""
    for key in sorted(codes, key=len, reverse=True):
        text = text.replace(key, codes[key])
    return text


def split_names(text: str) -> list[str]:
    """Person names in a credit line: "A in Vienna, B and C, +49 30 ..., <x@y>" -> [A, B, C].

    Parts holding digits or an address, and parts that are organisations ("The San Diego
    Union-Tribune"), are not names; " in <place>" or " (<place>)" after a name is dropped.
    """
    names: list[str] = []
    for part in re.split(r",|;|\band\b|&", text):
        part = collapse(part)
        part = re.sub(r"\s+in\s+[A-Z][\w .'-]*$", "", part)
        part = re.sub(r"\s*\([^()]*\)$", "", part)
        if not part or re.search(r"[\d@<>:/]", part) or part.lower().startswith("the "):
            continue
        if len(part.split()) > 5:
            continue
        names.append(part)
    return names


# ----------------------------------------------------------------------------- dates


@cache
def _months() -> dict[str, int]:
    table: dict[str, int] = {}
    for names in load_data("teletype")["months"].values():
        for name, number in names.items():
            table.setdefault(name.lower(), int(number))
    return table


@cache
def _full_month_names() -> tuple[tuple[str, int], ...]:
    return tuple((name, number) for name, number in _months().items() if len(name) >= 4)


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (a transposition counts as one edit)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


@cache
def month_number(token: str) -> int | None:
    """The month a printed token names ("Feb", "MARCH", "Okt", "ABR"), or None.

    A token that is no month name may still be one typo away from exactly one month
    (Reuters-21578 prints "Narch", "Macrh", "Jne", "Apri"); that month is returned.
    """
    word = token.strip().rstrip(".").lower()
    if not word.isalpha() or len(word) < 3:
        return None
    exact = _months().get(word)
    if exact is not None:
        return exact
    prefixed = {number for name, number in _full_month_names() if name.startswith(word)}
    if len(prefixed) == 1:
        return prefixed.pop()
    close = {number for name, number in _full_month_names() if _edit_distance(word, name) == 1}
    return close.pop() if len(close) == 1 else None


def day_number(token: str) -> int | None:
    """A printed day of the month ("7", "2O", "l"), letters typed for digits read as digits."""
    digits = token.strip().translate(str.maketrans("lIOo", "1100"))
    if not digits.isdigit():
        return None
    value = int(digits)
    return value if 1 <= value <= 31 else None


def nearest_date(month: int, day: int, reference: date) -> date | None:
    """The date with this month and day closest to ``reference`` (the year is not printed).

    "Dec 31" near 2 January is last year's; "March 24" on a story stamped 17 March is
    this year's (a typo, not a date a year old).
    """
    best: date | None = None
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((candidate - reference).days) < abs((best - reference).days):
            best = candidate
    return best


def received_at(headers: Headers) -> datetime | None:
    """When the feed delivered the dispatch (``wf_received_at`` header), as an aware datetime."""
    value = header_value(headers, "wf_received_at")
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def agency_header(headers: Headers) -> str | None:
    """The ``wf_agency`` header (an explicit agency id overrides detection), lower-cased."""
    value = header_value(headers, "wf_agency")
    return value.strip().lower() if value and value.strip() else None


# ----------------------------------------------------------------------------- ANPA header


@dataclass(frozen=True, slots=True)
class AnpaHeading:
    """The two ANPA-1312 header lines: message number, selector, priority, category, keyword."""

    number: str
    selector: str
    priority: str | None = None
    category: str | None = None
    codes: str = ""
    keyword: str | None = None
    version: str | None = None
    month: int | None = None
    day: int | None = None
    words: int | None = None

    def extra(self, prefix: str) -> list[tuple[str, str]]:
        """The heading's fields as ``ParsedItem.extra`` pairs."""
        pairs = [(f"{prefix}:number", self.number), (f"{prefix}:selector", self.selector)]
        if self.keyword:
            pairs.append((f"{prefix}:keyword", self.keyword))
        if self.version:
            pairs.append((f"{prefix}:version", self.version))
        if self.words is not None:
            pairs.append((f"{prefix}:word_count", str(self.words)))
        if self.month and self.day:
            pairs.append((f"{prefix}:date", f"{self.month:02d}-{self.day:02d}"))
        return pairs


def parse_anpa_heading(text: str) -> AnpaHeading | None:
    """The ANPA header lines at the start of ``text`` (SYN SYN SOH ...), or None."""
    fmt = load_data("anpa1312")["format"]
    lines = text.lstrip(" \r\n").split("\n", 2)
    first = compiled(fmt["preamble"], 0).match(lines[0].rstrip("\r"))
    if not first:
        return None
    heading = AnpaHeading(number=first["number"], selector=first["selector"].strip())
    if len(lines) < 2:
        return heading
    second = compiled(fmt["heading"], 0).match(lines[1].rstrip("\r"))
    if not second:
        return heading
    return AnpaHeading(
        number=heading.number,
        selector=heading.selector,
        priority=second["priority"],
        category=second["category"],
        codes=second["codes"] or "",
        keyword=second["keyword"],
        version=(second["version"] or "").strip() or None,
        month=int(second["month"]),
        day=int(second["day"]),
        words=int(second["words"]) if second["words"] else None,
    )


def anpa_urgency(priority: str | None) -> int | None:
    """ninjs urgency for an ANPA priority letter ("f" flash -> 1, "r" routine -> 4)."""
    if not priority:
        return None
    value = load_data("anpa1312")["format"]["priorities"].get(priority.lower())
    return int(value) if value is not None else None


def anpa_category_name(category: str | None) -> str | None:
    """The documented name of an ANPA category letter, if we know it."""
    if not category:
        return None
    name = load_data("anpa1312")["format"]["categories"].get(category.lower())
    return str(name) if name else None


def first_match(patterns: Sequence[str], text: str) -> bool:
    """True when any of the data-file ``patterns`` is found in ``text``."""
    return any(compiled(p).search(text) for p in patterns)
