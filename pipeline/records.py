"""The typed records passed between stages.

Shape of the data between the steps (one raw record may carry several items, e.g. a
NewsML-G2 newsMessage; each item becomes its own article):

    RawDispatch                bytes + Kafka headers + where it was read (Provenance)
      -- parse -->  ParsedItem            format-neutral item, fields as the source gives them
      -- clean -->  ParsedItem            same type: boilerplate out, metadata pulled out of text
      (the internal topics carry a CleanedDispatch: the item + a RawRef to the raw record)
      -- enrich --> Enrichment            language, people, organisations, places, subjects
      -- normalise --> Article | DeadLetter   key, headers, value bytes, and the RawRef

Stages return typed results (``CleanedDispatch``, ``Article``, ``DeadLetter``) and never
name a topic; the agents map each result to its topic (``TopicNames.outcome``), which
gives the ``Outcome`` (topic, key, value, headers) they publish.

Records are frozen dataclasses; stages return new ones (``dataclasses.replace``).
``to_jsonable`` / ``from_jsonable`` convert them for the internal topic, driven by the
type hints, so a field added here is carried through Kafka without more code.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import types
import typing
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from typing import Any, TypeVar

import orjson

# Kafka headers as they arrive: an ordered list of (name, bytes); names may repeat.
Headers = tuple[tuple[str, bytes], ...]


def header_value(headers: Headers, name: str) -> str | None:
    """The last value of header ``name`` (case-insensitive), decoded as UTF-8, or None."""
    wanted = name.lower()
    found: bytes | None = None
    for key, value in headers:
        if key.lower() == wanted:
            found = value
    if found is None:
        return None
    return found.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a raw record was read: the coordinates every outcome points back to."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(frozen=True)
class RawDispatch:
    """One record of ``wire.raw``: the bytes exactly as received, and their headers."""

    value: bytes
    headers: Headers = ()
    key: bytes | None = None
    provenance: Provenance | None = None
    #: where the bytes came from outside Kafka (``wirefeed process``): "reut2-000.sgm#17"
    input: str | None = None

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.value).hexdigest()

    @property
    def dispatch_id(self) -> str:
        """Content address of the raw bytes: the same bytes always get the same id."""
        return self.sha256[:24]

    def where(self) -> str:
        """``topic[partition]@offset`` (or the input name) and the dispatch id, for logs."""
        place = str(self.provenance) if self.provenance else (self.input or "-")
        return f"{place} {self.dispatch_id}"

    def ref(self, inline_max: int | None = None) -> RawRef:
        """A reference to this record; its bytes go along only up to ``inline_max`` (None: always)."""
        keep = inline_max is None or len(self.value) <= inline_max
        return RawRef(
            sha256=self.sha256,
            size=len(self.value),
            headers=self.headers,
            key=self.key,
            provenance=self.provenance,
            input=self.input,
            value=self.value if keep else None,
        )


@dataclass(frozen=True)
class RawRef:
    """The raw record an item came from: where it is, what it was, and its bytes when small.

    Records after the first stage carry this instead of the raw bytes: the coordinates
    (``provenance``) find the original in ``wire.raw``, ``sha256`` proves it is the same,
    the headers say where it came from. ``value`` holds the bytes only when they are
    small (``WIREFEED_RAW_INLINE_MAX``), so that a failure in a later stage can still put
    the original into its dead letter; a large one is fetched back from ``wire.raw`` by
    its coordinates (``wirefeed redrive``).
    """

    sha256: str
    size: int
    headers: Headers = ()
    key: bytes | None = None
    provenance: Provenance | None = None
    input: str | None = None
    value: bytes | None = None

    @property
    def dispatch_id(self) -> str:
        return self.sha256[:24]

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def where(self) -> str:
        place = str(self.provenance) if self.provenance else (self.input or "-")
        return f"{place} {self.dispatch_id}"


# --------------------------------------------------------------------------- item parts


@dataclass(frozen=True, slots=True)
class Block:
    """One body block. ``kind``: "p" paragraph, "h" subheading, "quote", "li", "pre"."""

    text: str
    kind: str = "p"


@dataclass(frozen=True, slots=True)
class When:
    """A timestamp as the source gives it. ``value`` is timezone-aware.

    ``precision`` is "second" or "day" (a date without a time: ``value`` is then local
    midnight in the zone the source implies). ``zone`` names the IANA zone used when the
    source gave no offset ("" when the source carried its own offset); ``original`` is the
    text as printed.
    """

    value: datetime
    precision: str = "second"
    zone: str = ""
    original: str = ""


@dataclass(frozen=True, slots=True)
class Dateline:
    """A dateline as printed ("MOSCOW, Jan 13 (Reuters) -", "AA / Moscou")."""

    raw: str
    place: str | None = None
    agency: str | None = None
    date_text: str | None = None
    region: str | None = None  # state/country printed after the place ("Okla.", "Colombia")


@dataclass(frozen=True, slots=True)
class Party:
    """A person or organisation credited on the item (author, translator, editor, source)."""

    name: str
    role: str | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """A concept the source (or enrichment) attaches: IPTC subject code, media topic, genre."""

    name: str | None = None
    uri: str | None = None
    code: str | None = None
    scheme: str | None = None
    rel: str | None = None
    confidence: int | None = None  # 0..100, ninjs convention
    creator: str | None = None


@dataclass(frozen=True, slots=True)
class Rendition:
    name: str
    href: str | None = None
    content_type: str | None = None
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    duration: float | None = None


@dataclass(frozen=True, slots=True)
class Association:
    """A related object: usually a photo with its caption."""

    name: str
    type: str = "picture"
    uri: str | None = None
    headline: str | None = None
    caption: str | None = None
    credit: str | None = None
    renditions: tuple[Rendition, ...] = ()


@dataclass(frozen=True, slots=True)
class Translation:
    """A translation credit: "* Traduit de l'anglais par Alex ..." -> en, Alex ..."""

    raw: str
    source_language: str | None = None
    translator: str | None = None


@dataclass(frozen=True, slots=True)
class Removed:
    """A piece of text the cleaning took out, and why (kept for audits and evaluation)."""

    text: str
    reason: str  # "section-label", "repeated-headline", "boilerplate", "share-widget", ...


@dataclass(frozen=True, slots=True)
class Entity:
    """A person, organisation, place or event the item is about or mentions.

    ``rel``: "dateline", "about" or "mentioned" when enrichment found it in the text;
    "subject" (coded as a subject by the source), "located" (where the source says it was
    filed) for source-coded entities. ``uri`` is an identifier (GeoNames for places).
    ``country`` is the ISO 3166-1 alpha-2 code for places.
    """

    name: str
    kind: str  # "person", "organisation", "place"
    rel: str = "mentioned"
    uri: str | None = None
    literal: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    feature: str | None = None  # "country", "region", "city"
    mentions: int = 1
    confidence: int | None = None  # 0..100


@dataclass(frozen=True, slots=True)
class ParsedItem:
    """A news item in format-neutral form; the parser fills what its format carries.

    Text fields hold plain text (no markup); ``body`` holds the article blocks in order.
    """

    format: str  # registry name of the parser that read it
    type: str = "text"  # ninjs type: text, picture, video, audio, graphic, composite
    guid: str | None = None  # the source's own identifier, if any
    version: str | None = None
    agency: str | None = None  # agency id, as in pipeline/profiles ("aa", "reuters")
    language: str | None = None  # as declared by the source (BCP-47)
    headline: str | None = None
    subheadlines: tuple[str, ...] = ()
    summary: str | None = None  # standfirst / abstract / lead summary
    body: tuple[Block, ...] = ()
    byline: str | None = None
    dateline: Dateline | None = None
    first_created: When | None = None
    version_created: When | None = None
    content_created: When | None = None
    embargoed_until: When | None = None
    pub_status: str = "usable"
    urgency: int | None = None
    slugline: str | None = None
    ed_note: str | None = None
    section: str | None = None  # section label as printed ("Monde", "Dünya")
    keywords: tuple[str, ...] = ()
    subjects: tuple[Subject, ...] = ()
    genres: tuple[Subject, ...] = ()
    copyright_holder: str | None = None
    copyright_notice: str | None = None
    usage_terms: str | None = None
    associations: tuple[Association, ...] = ()
    renditions: tuple[Rendition, ...] = ()  # the item's own files (picture/video/audio items)
    translation: Translation | None = None
    contributors: tuple[Party, ...] = ()  # reporting by / editing by / translator
    info_sources: tuple[Party, ...] = ()
    url: str | None = None  # canonical web address, when the source has one
    #: people, organisations, places and events the source itself codes (NewsML-G2 subject
    #: qcodes, NITF <person>/<org>/<location>); enrichment adds what the text says
    entities: tuple[Entity, ...] = ()
    removed: tuple[Removed, ...] = ()
    #: format-specific values with no home above, as strings (kept for golden tests/debug)
    extra: tuple[tuple[str, str], ...] = ()

    def body_text(self) -> str:
        """The body as plain text, blocks separated by blank lines."""
        return "\n\n".join(block.text for block in self.body)


@dataclass(frozen=True, slots=True)
class Quote:
    text: str
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class DateMention:
    """A relative or partial date in the text resolved against the dispatch date."""

    text: str  # as written: "jeudi", "on Thursday", "le 2 janvier"
    date: str  # ISO-8601 date it resolves to: "2022-01-13"
    precision: str = "day"


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the enrich stage adds to a cleaned item."""

    language: str | None = None  # the language the article is published as
    language_detected: str | None = None
    language_confidence: float | None = None
    people: tuple[Entity, ...] = ()
    organisations: tuple[Entity, ...] = ()
    places: tuple[Entity, ...] = ()
    subjects: tuple[Subject, ...] = ()
    quotes: tuple[Quote, ...] = ()
    dates: tuple[DateMention, ...] = ()
    #: component -> seconds spent, for the benchmark (not published)
    timings: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class TextPrint:
    """The story fingerprint of an item's text (``pipeline.stories.fingerprint``), as the
    internal records carry it: computed by the parse-clean stage process, so that the
    worker's event loop, where the story desk judges, does not compute it."""

    exact: str  # 32 hex digits of the normalised text's sha256
    signature: bytes  # the compact MinHash signature (b"": too short to shingle)
    facts: tuple[int, ...]  # the 32-bit hashes of the figures and names stated, ascending
    words: int
    day: int = 0  # the day the story is dated, days since 1970-01-01 (0: unknown)


@dataclass(frozen=True)
class CleanedDispatch:
    """The record on the internal topics: ``wire.parsed`` (keyed by ``source``) and
    ``wire.cleaned`` (keyed by ``story_id``).

    It carries a reference to the raw record it came from (coordinates, sha256, headers,
    and the bytes when small), so that a failure in a later stage can still dead-letter it.
    """

    story_id: str
    item: ParsedItem
    raw: RawRef
    part: int = 1  # which item of the raw record (1-based)
    parts: int = 1  # how many items the raw record carried
    source: str = ""  # learned-boilerplate shard of the item's source ("" = none: not learned from)
    #: the story fingerprint of ``item`` (None: not computed -- the story desk computes it);
    #: whatever changes ``item`` drops it
    fingerprint: TextPrint | None = None

    @property
    def dispatch_id(self) -> str:
        return self.raw.dispatch_id


@dataclass(frozen=True)
class Article:
    """A stage result: the ``wire.articles`` record of one item (ninjs value, CloudEvents headers)."""

    key: bytes
    value: bytes
    headers: Headers
    raw: RawRef
    part: int = 1
    parts: int = 1

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


@dataclass(frozen=True)
class DeadLetter:
    """A stage result: the ``wire.deadletter`` record of a dispatch (or item) that failed."""

    key: bytes
    value: bytes
    headers: Headers
    raw: RawRef
    part: int = 1
    parts: int = 1
    stage: str = ""
    error_class: str = ""

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


@dataclass(frozen=True)
class Duplicate:
    """A stage result: the ``wire.duplicates`` record of an item that is not published -- a copy
    of a story published under another uri, a re-send, or an older version of its story."""

    key: bytes
    value: bytes
    headers: Headers
    raw: RawRef
    part: int = 1
    parts: int = 1

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


#: what a stage hands back for publication (the agents map each kind to its topic)
Result = Article | DeadLetter


@dataclass(frozen=True)
class Outcome:
    """A record ready to publish on a named topic, and the raw record it stems from."""

    topic: str
    key: bytes | None
    value: bytes | None  # None: a tombstone (compacted topics)
    headers: Headers = ()
    #: the raw record (and item) this is an outcome of: a dead letter can replace it
    source: RawRef | None = None
    part: int = 1
    parts: int = 1

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


# --------------------------------------------------------------------------- (de)serialise
# Bytes travel as base64 strings, datetimes as ISO-8601, tuples as lists; the reverse is
# driven by the dataclass type hints.

T = TypeVar("T")


_PLAIN = (str, int, float, bool)


def to_jsonable(obj: Any) -> Any:
    """A dataclass (or anything inside one) as JSON-ready Python values."""
    # Every internal record goes through here twice per hop: the plain values (most of
    # them) return at once, a dataclass's field names are looked up once per class.
    if obj is None or type(obj) in _PLAIN:
        return obj
    names = _field_names(typing.cast(Any, type(obj)))
    if names is not None:
        return {name: to_jsonable(getattr(obj, name)) for name in names}
    if isinstance(obj, bytes):
        return base64.b64encode(obj).decode("ascii")
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, (tuple, list)):
        return [to_jsonable(x) for x in obj]
    return obj


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of a dataclass, None for any other class."""
    if not dataclasses.is_dataclass(cls):
        return None
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _bytes_as_text(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return base64.b64encode(obj).decode("ascii")
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def dumps(obj: Any) -> bytes:
    """``orjson.dumps(to_jsonable(obj))``, in one pass: orjson walks the dataclasses itself
    (their fields in order; datetimes as ISO-8601, tuples as lists) and only bytes come back
    here. Five times faster than building the dicts first; the bytes are the same (a unit
    test compares them)."""
    return orjson.dumps(obj, default=_bytes_as_text)


def from_jsonable(cls: type[T], data: Any) -> T:
    """Rebuild ``cls`` from ``to_jsonable`` output; raises TypeError/ValueError on bad data."""
    return typing.cast(T, _converter(typing.cast(Any, cls))(data))


Converter = typing.Callable[[Any], Any]


@cache
def _converter(tp: Any) -> Converter:
    """The function that rebuilds a value of type ``tp``, made once per type (the type's
    hints are read here, not for every record)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = _converter(next(a for a in typing.get_args(tp) if a is not type(None)))
        return lambda data: None if data is None else inner(data)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])

            def repeated(data: Any) -> Any:
                _expect_list(tp, data)
                return tuple(item(x) for x in data)

            return repeated
        return _fixed_builder(tp, args)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_converter(tp)
    if tp is bytes:
        return lambda data: base64.b64decode(data, validate=True)
    if tp is datetime:
        return datetime.fromisoformat
    if tp is float:
        return lambda data: float(data) if isinstance(data, int) else _checked(float, data)
    if tp in (str, int, bool):
        return lambda data: _checked(tp, data)
    return lambda data: data


_MISSING = object()


def _dataclass_converter(cls: type) -> Converter:
    # The builder is generated code, one line per field (a record's ~300 values went
    # through a converter call each: 270 us per Reuters item, now ~60). It is made on
    # first use: a dataclass may refer to itself (or to one being built).
    made: list[Converter] = []

    def build(data: Any) -> Any:
        if not made:
            made.append(_generated_builder(cls))
        return made[0](data)

    return build


def _field_code(hint: Any, name: str, env: dict[str, Any]) -> str:
    """An expression converting ``v`` (the field's JSON value) to ``hint``, for the builder."""
    origin = typing.get_origin(hint)
    optional = False
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            optional, hint = True, args[0]
            origin = typing.get_origin(hint)
    if hint in (str, int, bool):
        env[f"_t_{name}"] = hint
        plain = f"v if type(v) is _t_{name} else _checked(_t_{name}, v)"
    elif origin is tuple and typing.get_args(hint)[-1] is Ellipsis and typing.get_args(hint)[0] is str:
        env[f"_c_{name}"] = _converter(hint)
        # a list of strings as it comes (checked in one pass), else the checking converter
        plain = f"tuple(v) if type(v) is list and all(type(x) is str for x in v) else _c_{name}(v)"
    elif origin is tuple and typing.get_args(hint)[-1] is Ellipsis:
        env[f"_i_{name}"] = _converter(typing.get_args(hint)[0])
        env[f"_c_{name}"] = _converter(hint)
        plain = f"tuple([_i_{name}(x) for x in v]) if type(v) is list else _c_{name}(v)"
    else:
        env[f"_c_{name}"] = _converter(hint)
        plain = f"_c_{name}(v)"
    return f"None if v is None else ({plain})" if optional else plain


def _generated_builder(cls: type) -> Converter:
    hints = _hints(cls)
    env: dict[str, Any] = {"_cls": cls, "_MISSING": _MISSING, "_checked": _checked}
    fields = dataclasses.fields(cls)
    # Every field present (what ``dumps`` writes): the values go to the constructor in the
    # fields' order, without a keyword dict; a field missing (an older record) takes the
    # path below, which leaves it to its default.
    lines = [
        "def build(data):",
        f"    if type(data) is dict and len(data) == {len(fields)}:",
        "        try:",
    ]
    for n, f in enumerate(fields):
        lines.append(f"            v = data[{f.name!r}]")
        lines.append(f"            a{n} = {_field_code(hints[f.name], f.name, env)}")
    lines += [
        "        except KeyError:",
        "            pass",
        "        else:",
        f"            return _cls({''.join(f'a{n}, ' for n in range(len(fields)))})",
        "    if not isinstance(data, dict):",
        f"        raise TypeError('expected an object for {cls.__name__}, got ' + type(data).__name__)",
        "    kw = {}",
        "    get = data.get",
    ]
    for f in fields:
        lines.append(f"    v = get({f.name!r}, _MISSING)")
        lines.append("    if v is not _MISSING:")
        lines.append(f"        kw[{f.name!r}] = {_field_code(hints[f.name], f.name, env)}")
    lines.append("    return _cls(**kw)")
    exec("\n".join(lines), env)  # code made here from the dataclass's own fields
    return typing.cast(Converter, env["build"])


def _fixed_builder(tp: Any, args: tuple[Any, ...]) -> Converter:
    """The converter of a fixed tuple (``tuple[str, bytes]``: a header), generated as the
    dataclass builders are: every record's headers and extras went through a generic
    converter call per element (a zip and a generator per pair)."""
    if not args:
        return lambda data: _expect_empty(tp, data)
    env: dict[str, Any] = {"_tp": tp, "_expect_list": _expect_list, "_checked": _checked}
    parts = []
    for i, arg in enumerate(args):
        if arg in (str, int, bool):
            env[f"_t{i}"] = arg
            parts.append(f"x{i} if type(x{i}) is _t{i} else _checked(_t{i}, x{i})")
        else:
            env[f"_c{i}"] = _converter(arg)
            parts.append(f"_c{i}(x{i})")
    names = "".join(f"x{i}, " for i in range(len(args)))
    lines = [
        "def fixed(data):",
        "    _expect_list(_tp, data)",
        # a list of another length raises ValueError, as zip(strict=True) did
        f"    {names}= data",
        f"    return ({''.join(f'{part}, ' for part in parts)})",
    ]
    exec("\n".join(lines), env)  # code made here from the tuple type's own arguments
    return typing.cast(Converter, env["fixed"])


def _expect_empty(tp: Any, data: Any) -> tuple[()]:
    _expect_list(tp, data)
    if data:
        raise ValueError(f"expected an empty list, got {len(data)} values")
    return ()


def _expect_list(tp: Any, data: Any) -> None:
    if not isinstance(data, list):
        raise TypeError(f"expected a list for {tp}, got {type(data).__name__}")


def _checked(tp: type, data: Any) -> Any:
    if not isinstance(data, tp):
        raise TypeError(f"expected {tp.__name__}, got {type(data).__name__}")
    return data


__all__ = [
    "Article",
    "Association",
    "Block",
    "CleanedDispatch",
    "DateMention",
    "Dateline",
    "DeadLetter",
    "Duplicate",
    "Enrichment",
    "Entity",
    "Headers",
    "Outcome",
    "ParsedItem",
    "Party",
    "Provenance",
    "Quote",
    "RawDispatch",
    "RawRef",
    "Removed",
    "Rendition",
    "Result",
    "Subject",
    "Translation",
    "When",
    "dumps",
    "from_jsonable",
    "header_value",
    "to_jsonable",
]
