"""What an element or key name means, and its value read as that field: for the generic parsers.

A feed dialect nobody wrote a parser for still names its fields: ``headline``,
``HeadLine``, ``head_line``, ``Titel``, ``hl1``; ``body``, ``bodyXhtml``, ``article_html``,
``ContentText``; ``firstCreated``, ``CreatedDateTime``, ``pubDate``. The generic XML and
JSON parsers ask this module which field a name is (``classify``), how much to trust
that (the rank: an exact, listed name before a name read from its words), and read the
value as that field (dates, language tags, identifiers, versions). The vocabulary is data
(``data/generic_fields.json``), in several languages and conventions; nothing here
knows a particular agency.

Name folding: lower case, letters and digits only. Word splitting (for names that are
not listed): camelCase, snake_case, kebab-case, dotted names; the last word decides the
field ("DirectoryText" is text, so body; "HeadlineService" is a service, so nothing),
the other words which date a date-like name is ("UpdatedDateTime": version created).
"""

from __future__ import annotations

import email.utils
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel import Locale

from pipeline.parsers._dates import parse_when
from pipeline.records import When

DATA = Path(__file__).resolve().parent / "data"

#: rank of a name read from its words (listed names rank by their position, below this)
TOKEN_RANK = 1000
#: fields a value is read for
FIELDS = (
    "headline",
    "subheadline",
    "kicker",
    "summary",
    "body",
    "byline",
    "dateline",
    "guid",
    "version",
    "first_created",
    "version_created",
    "content_created",
    "embargoed",
    "language",
    "urgency",
    "slugline",
    "keywords",
    "copyright",
    "credit",
)
#: years outside this range are placeholders ("0001-01-01"), not dates
MIN_YEAR, MAX_YEAR = 1800, 2200
DATE_FIELDS = frozenset({"first_created", "version_created", "content_created", "embargoed"})

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[^\W\d_A-Za-z]+|\d+")
_LANGUAGE_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z0-9]{1,8}))*$")
_GUID_VALUE = re.compile(r"^\S{1,300}$")
_VERSION_VALUE = re.compile(r"^[0-9A-Za-z.\-:]{1,24}$")


@dataclass(frozen=True)
class Vocabulary:
    names: dict[str, tuple[str, int]]  # folded name -> (field, rank)
    tokens: dict[str, str]  # last word -> field ("date" for date-like words)
    date_kinds: dict[str, str]  # word -> date field
    guid_words: frozenset[str]
    not_guid_words: frozenset[str]
    skip: frozenset[str]
    item_lists: frozenset[str]
    media: frozenset[str]
    media_types: frozenset[str]
    value_attributes: tuple[str, ...]


@lru_cache(maxsize=8192)
def fold_name(name: str) -> str:
    """ "head_Line" -> "headline", "body.content" -> "bodycontent" (letters and digits only)."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


def words(name: str) -> list[str]:
    """The words of a name, lower case: "CreatedDateTime" -> ["created", "date", "time"]."""
    return [w.casefold() for w in _WORDS.findall(name)]


@cache
def vocabulary() -> Vocabulary:
    """The vocabulary of ``data/generic_fields.json``, loaded once."""
    data = json.loads((DATA / "generic_fields.json").read_text(encoding="utf-8"))
    names: dict[str, tuple[str, int]] = {}
    for field, listed in data["names"].items():
        for rank, name in enumerate(listed):
            names.setdefault(fold_name(name), (field, rank))
    tokens = {fold_name(word): field for field, listed in data["tokens"].items() for word in listed}
    kinds = {fold_name(word): field for field, listed in data["date_kinds"].items() for word in listed}
    return Vocabulary(
        names=names,
        tokens=tokens,
        date_kinds=kinds,
        guid_words=frozenset(data["guid_words"]),
        not_guid_words=frozenset(data["not_guid_words"]),
        skip=frozenset(fold_name(n) for n in data["skip"]),
        item_lists=frozenset(fold_name(n) for n in data["item_lists"]),
        media=frozenset(fold_name(n) for n in data["media"]),
        media_types=frozenset(data["media_types"]),
        value_attributes=tuple(fold_name(n) for n in data["value_attributes"]),
    )


@lru_cache(maxsize=8192)
def classify(name: str) -> tuple[str, int] | None:
    """(field, rank) of an element or key name, or None when the name says nothing we read."""
    vocab = vocabulary()
    folded = fold_name(name)
    if folded in vocab.names:
        return vocab.names[folded]
    parts = [w for w in words(name) if not w.isdigit()]
    if not parts:
        return None
    field = vocab.tokens.get(parts[-1])
    if field is None and "date" in parts[:-1]:
        field = "date"  # "date_publication", "date_of_issue": a date, of the kind its words say
    if field is None:
        return None
    others = set(parts[:-1])
    if field == "date":
        kinds = [vocab.date_kinds[w] for w in parts if w in vocab.date_kinds]
        # a bare "...Date"/"...Time" of no known kind is the weakest date
        return (kinds[0], TOKEN_RANK) if kinds else ("first_created", TOKEN_RANK + 100)
    if field == "guid":
        if others & vocab.not_guid_words:
            return None
        return "guid", TOKEN_RANK + (0 if others & vocab.guid_words else 50)
    return field, TOKEN_RANK


@lru_cache(maxsize=8192)
def skipped(name: str) -> bool:
    """Whether content under this name is never the article (notes, links, media, codes)."""
    return fold_name(name) in vocabulary().skip


def item_list(name: str) -> bool:
    """Whether a list under this name is a list of articles (items, entries, stories...)."""
    return fold_name(name) in vocabulary().item_lists


# --------------------------------------------------------------------------- values


def clean_line(value: str) -> str:
    return " ".join(value.split())


def when(value: Any, zone: str | None) -> When | None:
    """A date-time as feeds print it: ISO 8601 (any variant), RFC 2822, or epoch (s or ms)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
        if 1e12 <= seconds < 1e14:  # milliseconds
            seconds /= 1000
        if not 1e8 <= seconds < 1e10:
            return None
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        return When(moment, "second", "", str(value))
    if not isinstance(value, str):
        return None
    text = clean_line(value)
    if not text or len(text) > 64:
        return None
    found = parse_when(text, zone)
    if found is None:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if parsed.tzinfo is None:
            return None
        found = When(parsed, "second", "", text)
    # "0001-01-01T00:00:00" and "9999-12-31" are placeholders for "no date", not dates
    return found if MIN_YEAR <= found.value.year <= MAX_YEAR else None


@cache
def _languages() -> frozenset[str]:
    return frozenset(str(code).casefold() for code in Locale("en").languages)


def language_tag(value: Any) -> str | None:
    """A BCP-47-like language tag ("de", "fi-FI", "en_US"); None for anything else ("1", "true")."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _LANGUAGE_TAG.match(text)
    if not match:
        return None
    primary = str(match.group(1)).casefold()
    if len(primary) == 2 and primary not in _languages():
        return None
    return "-".join([primary, *text.replace("_", "-").split("-")[1:]])


def guid_value(value: Any) -> str | None:
    """An identifier: a string without spaces (or a number)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _GUID_VALUE.match(value.strip()):
        return value.strip()
    return None


def version_value(value: Any) -> str | None:
    """A version: a number or a short token ("2", "1.3")."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _VERSION_VALUE.match(value.strip()):
        return value.strip()
    return None


def urgency_value(value: Any) -> int | None:
    """An urgency or priority from 1 to 9."""
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if 1 <= number <= 9 else None


def headline_value(text: str) -> str | None:
    """A headline: one line of text with letters, not a flag or a number alone."""
    line = clean_line(text)
    if not line or len(line) > 400 or not any(ch.isalpha() for ch in line):
        return None
    if line.casefold() in ("true", "false", "null", "none"):
        return None
    return line


__all__ = [
    "DATE_FIELDS",
    "FIELDS",
    "TOKEN_RANK",
    "classify",
    "clean_line",
    "fold_name",
    "guid_value",
    "headline_value",
    "item_list",
    "language_tag",
    "skipped",
    "urgency_value",
    "version_value",
    "vocabulary",
    "when",
    "words",
]
