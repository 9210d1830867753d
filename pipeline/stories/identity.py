"""Story identity: the ``uri`` every version of a story shares, from the source's own names.

One function, ``story_identity``, used by ingest (the ``wire.raw`` key), by the parse
stage (the story id of the internal topics) and by normalise (the article ``uri``), so
the three always agree. It is deterministic and reads only the parsed item.

What identifies a story, in order (facts per format and agency in ``data/identity.toml``):

1. **the source's id** (``basis="guid"``): NewsML-G2 guid, NewsML 1.2 PublicIdentifier
   *without* its RevisionId, NITF doc-id, ninjs uri, RSS guid, Ritzau NewsID. A guid
   that is a URI is kept as the uri; anything else is put under
   ``urn:wirefeed:<agency>:``. An agency's convention of appending the version to the
   id (dpa's NITF ``...:1560755878000``) is cut off, as data.
2. **the page** (``basis="url"``): a web item's address; the site's own id in the path
   when it has one (an edited headline changes the words of the address, not the id),
   else the address with scheme, ``www.``, tracking parameters and fragment folded.
3. **the slug family** (``basis="slug"``): sources without ids -- ANPA-1312, IPTC 7901,
   Reuters-21578 -- name a story by its keyword or slug and write the version into it
   ("BC-US--Ethanol-Losing Grassland, 1st Ld-Writethru", "UPDATE 2-...",
   "CORRECTED - ..."). The family is the keyword without the version words, folded,
   within one day of the item's date (a "Top Headlines" keyword is a new story daily).
4. **the content** (``basis="content"``): agency, headline and body hashed; a re-send
   with other wording is then a new uri, found by the duplicate index instead.

The version is the source's (G2 ``version``, NewsML 1.2 RevisionId, ninjs/NITF
version), else the one the version words give ("2nd Ld" -> 3, "UPDATE 1" -> 2), else
None (numbered in arrival order by ``versions.decide``). A version that is not a small
ordinal (Reuters' opaque G2 version numbers) is kept as ``label`` only.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from pipeline.records import ParsedItem

#: a source version above this is an opaque number (a transmission id), not an ordinal
MAX_ORDINAL = 100_000

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_FOLD = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class StoryId:
    """Who a story is: its uri, how that was found, and the version the item says it is."""

    uri: str
    basis: str  # "guid" | "url" | "slug" | "content"
    #: the version as an ordinal (1, 2, 3 ...) when the source gives one
    version: int | None = None
    #: the version as the source wrote it ("5", "1stLd-Writethru", "UPDATE 2", "978556838")
    label: str | None = None
    #: the family name a slug-identified story was grouped by (folded), for logs and tests
    family: str | None = None

    @property
    def from_source(self) -> bool:
        """True when the source itself named the story (not a content address)."""
        return self.basis != "content"


@cache
def _data() -> dict[str, Any]:
    text = resources.files("pipeline.stories").joinpath("data/identity.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def _patterns(*path: str) -> tuple[re.Pattern[str], ...]:
    node: Any = _data()
    for part in path:
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    return tuple(re.compile(p, re.IGNORECASE) for p in (node or ()))


@cache
def _version_rules() -> tuple[tuple[re.Pattern[str], str | None, str, bool], ...]:
    return tuple(
        (
            re.compile(r["pattern"], 0 if r.get("case") else re.IGNORECASE),
            r.get("ordinal"),
            str(r.get("kind", "update")),
            bool(r.get("case")),
        )
        for r in _data().get("versions", ())
    )


def mostly_capitals(text: str) -> bool:
    """A line printed in capitals (Reuters-21578 titles, teletype headlines)."""
    letters = "".join(filter(str.isalpha, text))
    return len(letters) >= 8 and sum(map(str.isupper, letters)) > 0.8 * len(letters)


_DASH_LEAD = re.compile(r"^\s*(\(?[^-–—:()]{1,40}?\)?)\s*(?:-+|–|—|:)\s*")
_PARENS = re.compile(r"\(([^()]{1,60})\)")


def _short(text: str, words: int) -> bool:
    return 0 < len(text.split()) <= words


@lru_cache(maxsize=4096)
def marker_zones(text: str) -> tuple[str, ...]:
    """Where a wire writes its markers in a line: the whole line, or -- in a line printed in
    capitals, where every word is upper case -- only a short lead before a dash ("RPT - ..."),
    short parentheses ("(CORRECTED)") and a short tail after the last comma ("..., KILL").

    Pure, and asked for the same few lines of an item by every advisory and version rule
    (20 times per item on Reuters-21578): remembered for the last few thousand lines."""
    if not mostly_capitals(text):
        return (text,)
    zones = [m.group(1) for m in _PARENS.finditer(text) if _short(m.group(1), 4)]
    lead = _DASH_LEAD.match(text)
    if lead and _short(lead.group(1), 3):
        zones.append(lead.group(1))
    if "," in text and _short(text.rsplit(",", 1)[1], 2):
        zones.append(text.rsplit(",", 1)[1])
    return tuple(zones)


def fold(text: str) -> str:
    """Lower case, accents kept, every run of punctuation and spaces one hyphen."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _FOLD.sub("-", text).strip("-")


# ----------------------------------------------------------------------------- versions


def ordinal(value: str | None) -> int | None:
    """A source version as an ordinal: "5" -> 5; "0" -> 1 (AP's first); opaque numbers -> None."""
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit():
        return None
    number = int(text)
    if number > MAX_ORDINAL:
        return None
    return max(number, 1)


def version_words(*texts: str | None) -> tuple[int | None, str | None, str | None]:
    """(ordinal, kind, words) the version words of keyword/slug/headline fields say, or Nones.

    "1st Ld-Writethru" -> (2, "update", "1st Ld"); "UPDATE 2-..." -> (3, "update", ...);
    "CORRECTED-..." -> (None, "correction", ...). Markers in capitals count in a line
    printed in capitals only where a wire writes them (``marker_zones``).
    """
    best: tuple[int | None, str | None, str | None] = (None, None, None)
    fields = [t for t in texts if t]
    if not fields:
        return best
    for rx, rule, kind, case in _version_rules():
        found = None
        for text in fields:
            for zone in marker_zones(text) if case else [text]:
                found = found or rx.search(zone)
        if not found:
            continue
        number = None
        if rule and "n" in found.groupdict() and found["n"]:
            number = int(found["n"]) + (1 if rule == "n+1" else 0)
        if number is not None and best[0] is None:
            best = (number, kind, found.group(0).strip())
        elif best[1] is None:
            best = (best[0], kind, found.group(0).strip())
    return best


# ----------------------------------------------------------------------------- guids


def _extra(item: ParsedItem, name: str) -> str | None:
    for key, value in item.extra:
        if key == name and value:
            return value
    return None


def split_revision(guid: str) -> tuple[str, str | None]:
    """(the story's id, the revision) of a guid that carries its revision (NewsML 1.2 URN)."""
    for rx in _patterns("guid", "revision_suffixes"):
        found = rx.match(guid)
        if found:
            return found["story"], found["version"]
    return guid, None


def _agency_rules(agency: str | None) -> Mapping[str, Any]:
    agencies: Mapping[str, Any] = _data().get("agencies", {})
    return agencies.get(agency or "", {}) if agency else {}


def _guid_identity(item: ParsedItem, guid: str) -> StoryId:
    agency = item.agency or "unknown"
    story, revision = split_revision(guid)
    for pattern in _agency_rules(item.agency).get("guid_version_suffixes", ()):
        found = re.search(pattern, story)
        if found:
            revision = revision or found["version"]
            story = story[: found.start()]
            break
    label = item.version or revision
    version = ordinal(item.version) or ordinal(revision)
    if version is None:
        version = version_words(*version_fields(item))[0]
    uri = story if _is_uri(story) else f"urn:wirefeed:{quote(agency, safe='')}:{quote(story, safe='')}"
    return StoryId(uri=uri, basis="guid", version=version, label=label)


def _is_uri(value: str) -> bool:
    if not _SCHEME.match(value):
        return False
    scheme = value.split(":", 1)[0].lower()
    return scheme in set(_data()["guid"]["uri_schemes"])


def _dispatch_scoped(guid: str) -> bool:
    return any(rx.search(guid) for rx in _patterns("guid", "dispatch_scoped"))


# ----------------------------------------------------------------------------- pages


def is_web_address(value: str | None) -> bool:
    return bool(value) and str(value).lower().startswith(("http://", "https://"))


def canonical_url(url: str) -> str:
    """The address folded: https, no "www.", no tracking parameters, fragment or trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    drop = _patterns("url", "drop_params")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not any(rx.search(k) for rx in drop)]
    path = parts.path.rstrip("/") or "/"
    tail = f"?{urlencode(sorted(query))}" if query else ""
    return f"https://{host}{path}{tail}"


def page_id(url: str) -> str | None:
    """The site's own id of a page, from its address ("/gundem/<words>/3126809" -> "3126809")."""
    parts = urlsplit(url.strip())
    targets = [parts.path, f"{parts.path}?{parts.query}"] if parts.query else [parts.path]
    for target in targets:
        for rx in _patterns("url", "ids"):
            found = rx.search(target)
            if found:
                return found["id"].lower()
    return None


def _url_identity(item: ParsedItem, url: str) -> StoryId:
    host = (urlsplit(url.strip()).hostname or "").lower().removeprefix("www.")
    found = page_id(url)
    uri = f"urn:wirefeed:web:{host}:{found}" if found and host else canonical_url(url)
    version = ordinal(item.version)
    return StoryId(uri=uri, basis="url", version=version, label=item.version)


# ----------------------------------------------------------------------------- slugs


def version_fields(item: ParsedItem) -> list[str]:
    """The fields version words are written in (ANPA version line, keyword line, slug, headline)."""
    parts = [
        _extra(item, "anpa1312:version"),
        _extra(item, "anpa1312:keyword_line"),
        _extra(item, "anpa1312:take"),
        item.slugline,
        item.headline,
    ]
    return [p for p in parts if p]


def family_name(text: str) -> str:
    """A keyword or headline without its version words, folded ("UPDATE 2-Oil rises" -> "oil-rises")."""
    value = text
    for _ in range(3):  # version words may be stacked: "(RPT) CORRECTED - ..."
        before = value
        for rx in _patterns("slug", "strip"):
            value = rx.sub("", value)
        if value == before:
            break
    return fold(value)


def _story_day(item: ParsedItem) -> str | None:
    """The date the story was first filed, in the agency's home time zone."""
    when = item.first_created or item.version_created or item.content_created
    if when is None:
        return None
    from pipeline.profiles import get_profile

    value = when.value if when.value.tzinfo else when.value.replace(tzinfo=UTC)
    return value.astimezone(get_profile(item.agency).tz).date().isoformat()


def _slug_fields(agency: str | None) -> Sequence[str]:
    agencies: Mapping[str, Any] = _data()["slug"]["agencies"]
    table = agencies.get(agency or "", agencies["default"])
    return tuple(table.get("fields", ()))


def _slug_identity(item: ParsedItem) -> StoryId | None:
    day = _story_day(item)
    if day is None:
        return None  # no day to scope a family by: a recurring keyword would merge stories
    for name in _slug_fields(item.agency):
        value = getattr(item, name, None) if name in ("slugline", "headline") else _extra(item, name)
        if not value:
            continue
        family = family_name(str(value))
        if len(family) < 3:
            continue
        version, _kind, words = version_words(*version_fields(item))
        agency = quote(item.agency or "unknown", safe="")
        digest = hashlib.sha256(f"{item.agency}\x00{family}\x00{day}".encode()).hexdigest()[:16]
        return StoryId(
            uri=f"urn:wirefeed:{agency}:story:{day}:{digest}",
            basis="slug",
            version=version,
            label=words,
            family=family,
        )
    return None


# ----------------------------------------------------------------------------- content


def content_uri(item: ParsedItem) -> str:
    """A content address: agency, headline and body (a re-send with other bytes, same words, meets it)."""
    agency = item.agency or "unknown"
    digest = hashlib.sha256()
    for part in (agency, item.headline or "", item.body_text()):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return f"urn:wirefeed:{quote(agency, safe='')}:{digest.hexdigest()[:24]}"


def story_identity(item: ParsedItem) -> StoryId:
    """The story this item belongs to, and the version it says it is. Pure and deterministic."""
    guid = (item.guid or "").strip()
    page = item.format in set(_data()["url"]["formats"])
    if guid and not _dispatch_scoped(guid):
        if page and is_web_address(guid):
            return _url_identity(item, guid)
        return _guid_identity(item, guid)
    if page and is_web_address(item.url):
        return _url_identity(item, str(item.url))
    found = _slug_identity(item)
    if found is not None:
        return found
    return StoryId(uri=content_uri(item), basis="content", version=version_words(*version_fields(item))[0])


def story_uri(item: ParsedItem) -> str:
    """The article ``uri`` of an item (``story_identity(item).uri``)."""
    return story_identity(item).uri
