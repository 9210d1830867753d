"""Organisations: a multilingual gazetteer of international bodies and news agencies, plus
the ORG entities of the NER model where the language has one.

The gazetteer (``data/organisations.toml``) gives every alias in every language one stable
id and canonical name — "OTSC" (fr), "CSTO" (en) and "KGAÖ" (tr) are one organisation — and
a Wikidata URI where one is known. Acronyms listed under a language are matched only in
texts of that language ("AB" is the EU in Turkish, a company suffix in Swedish); full names
and ``any`` forms are matched everywhere.

Model ORG spans are kept when they are not a gazetteer organisation already (they are then
merged into it), not a place, not a person, and look like a name (capitalised, not a
single stop word, not a fragment).
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pipeline.enrich.ner import Span
from pipeline.enrich.phrases import PhraseMatcher, is_acronym, letter_count
from pipeline.enrich.text import Text, fold
from pipeline.records import Entity

WIKIDATA_URI = "http://www.wikidata.org/entity/{}"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    wikidata: str | None = None

    @property
    def uri(self) -> str | None:
        return WIKIDATA_URI.format(self.wikidata) if self.wikidata else None


# payload: (organisation id, language the alias is restricted to, or None)
_Payload = tuple[str, str | None]


@dataclass(frozen=True)
class OrganisationGazetteer:
    organisations: dict[str, Organisation]
    matcher: PhraseMatcher[_Payload]


def build() -> OrganisationGazetteer:
    with (resources.files("pipeline.enrich") / "data" / "organisations.toml").open("rb") as handle:
        data = tomllib.load(handle)
    organisations: dict[str, Organisation] = {}
    matcher: PhraseMatcher[_Payload] = PhraseMatcher()
    for org_id, row in data.items():
        organisations[org_id] = Organisation(org_id, row["name"], row.get("wikidata"))
        for lang, forms in row.get("aliases", {}).items():
            for form in forms:
                restricted = lang if lang != "any" and is_acronym(form) else None
                matcher.add(form, (org_id, restricted))
    matcher.build()
    return OrganisationGazetteer(organisations, matcher)


_lock = threading.Lock()


@cache
def _load() -> OrganisationGazetteer:
    return build()


def load() -> OrganisationGazetteer:
    """The process-wide organisation gazetteer, built on first use."""
    with _lock:
        return _load()


@dataclass(frozen=True, slots=True)
class OrgHit:
    start: int
    end: int
    org_id: str
    literal: str


def gazetteer_hits(text: Text, language: str | None, stopwords: frozenset[str] = frozenset()) -> list[OrgHit]:
    """Gazetteer organisations named in ``text`` (acronyms only in their own language)."""
    lang = (language or "").split("-")[0].lower()
    gazetteer = load()
    out: list[OrgHit] = []
    for hit in gazetteer.matcher.find(text, stopwords):
        ids = [org for org, only in hit.payloads if only is None or only == lang]
        if ids:
            out.append(OrgHit(hit.start, hit.end, ids[0], hit.literal))
    return out


def _overlaps(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


# Leading articles a model includes in an ORG span ("The U.S. Agriculture Department").
_ARTICLES = re.compile(r"^(?:the|l[ae']|les|el|los|las|der|die|das)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?$")
# Company-form suffixes: "Standard Oil Co" and "Standard Oil" are one organisation.
_LEGAL_FORMS = frozenset(
    "inc corp corporation co company ltd limited plc llc lp sa ag nv bv gmbh spa srl as ab oyj asa".split()  # noqa: SIM905
)


def clean_org(literal: str) -> str:
    """A model ORG span without a leading article, a possessive or surrounding punctuation."""
    name = " ".join(literal.split()).strip(" .,;:'\"«»“”()")
    name = _ARTICLES.sub("", name)
    words = _POSSESSIVE.sub("", name).strip(" .,;:").split()
    while len(words) > 1 and words[-1].islower():
        words.pop()  # "Stephens Inc and": the span ran into the sentence
    return " ".join(words)


def org_key(name: str) -> str:
    """Folded name without company-form suffixes, to merge "X Co" with "X"."""
    words = [w.strip(".,") for w in fold(name).split()]
    while len(words) > 1 and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def _looks_like_name(literal: str, stopwords: frozenset[str]) -> bool:
    words = literal.split()
    if not words or letter_count(literal) < 2 or "\n" in literal or len(words) > 8:
        return False
    if not literal[:1].isupper():
        return False
    if "/" in literal or (any(c.isdigit() for c in literal) and letter_count(literal) < 4):
        return False  # "Dlrs/Bu-Sorghum", "BAA-3": units, ratings, tickers
    if len(words) == 1 and literal.isupper() and letter_count(literal) <= 3:
        return False  # "III", "CWT": tickers and abbreviations, not names
    return not (len(words) == 1 and fold(literal) in stopwords)


def find_organisations(
    text: Text,
    spans: Sequence[Span],
    language: str | None,
    *,
    places: Sequence[tuple[int, int]] = (),
    people: Sequence[tuple[int, int]] = (),
    place_names: frozenset[str] = frozenset(),
    stopwords: frozenset[str] = frozenset(),
    hits: Sequence[OrgHit] | None = None,
) -> tuple[Entity, ...]:
    """Organisations of the item, most mentioned first.

    ``places`` and ``people``: spans already taken by gazetteer places and people;
    ``place_names``: folded names the place gazetteer knows (a model ORG "Kazakhstan" is a place);
    ``hits``: ``gazetteer_hits(text, language, stopwords)`` when the caller has them already.
    """
    gazetteer = load()
    if hits is None:
        hits = gazetteer_hits(text, language, stopwords)
    counts: dict[str, list[OrgHit]] = {}
    for hit in hits:
        counts.setdefault(hit.org_id, []).append(hit)
    taken = [(h.start, h.end) for h in hits]

    model_orgs: dict[str, list[Span]] = {}
    for span in spans:
        if span.kind != "organisation":
            continue
        if _overlaps(span.start, span.end, taken):
            continue  # the gazetteer has it (or part of it) under its canonical name
        literal = clean_org(span.text)
        if not _looks_like_name(literal, stopwords):
            continue
        if fold(literal) in place_names or _overlaps(span.start, span.end, people):
            continue
        if any(s <= span.start and span.end <= e for s, e in places):
            continue
        model_orgs.setdefault(org_key(literal), []).append(span)
    # "Standard Oil" and "Standard Oil Co" fold to one key; "BP North America" and
    # "BP North America Inc" too. A key that starts another, longer one joins it.
    for key in sorted(model_orgs, key=len):
        longer = [k for k in model_orgs if k != key and k.startswith(key + " ")]
        if len(longer) == 1:
            model_orgs[longer[0]] = model_orgs.pop(key) + model_orgs[longer[0]]

    entities: list[tuple[int, int, Entity]] = []
    for org_id, org_hits in counts.items():
        org = gazetteer.organisations[org_id]
        entity = Entity(
            name=org.name,
            kind="organisation",
            uri=org.uri,
            literal=org_id,  # our stable id ("csto"); the uri is Wikidata's, where known
            mentions=len(org_hits),
            confidence=95,
        )
        entities.append((-len(org_hits), org_hits[0].start, entity))
    for found in model_orgs.values():
        found.sort(key=lambda s: s.start)
        literal = max((clean_org(s.text) for s in found), key=len)
        entity = Entity(name=literal, kind="organisation", literal=literal, mentions=len(found), confidence=50)
        entities.append((-len(found), found[0].start, entity))
    entities.sort(key=lambda e: (e[0], e[1]))
    return tuple(e for _, _, e in entities)
