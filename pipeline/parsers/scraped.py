"""Web-scrape records: one JSON object per scraped page, its text read like the seed.

Scrapers store what they fetched as records, not as wire formats: a line of a JSONL dump
(``{"url": ..., "lang": ..., "excerpt": ...}``) or a row of a CSV export
(``{"Link": ..., "Content": ...}``). The text in such a record is the same web-scraped
agency text the ``webtext`` parser reads, so this parser takes the record apart and hands
the text over, adding what the record knows besides: the page's address (the item's
``url`` and ``guid``), its language and title, and the agency the address names
(``data/agencies.json``) when the dispatch does not say. Which keys hold what is data
(``data/scraped_records.json``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import orjson

from pipeline.decoding import decode_text
from pipeline.errors import ParseError
from pipeline.parsers._agencies import agency_of
from pipeline.parsers.base import Parser, declared_charset, registry
from pipeline.parsers.html import site_data
from pipeline.records import Headers, ParsedItem, header_value

NAME = "scraped-record"
DATA = Path(__file__).resolve().parent / "data"
#: largest record read (a scraped page's text is tens of KB)
MAX_BYTES = 5 * 1024 * 1024


@cache
def _keys() -> dict[str, tuple[str, ...]]:
    data = json.loads((DATA / "scraped_records.json").read_text(encoding="utf-8"))
    return {name: tuple(k.casefold() for k in data[name]) for name in data if name.endswith("_keys")}


@cache
def _sniff() -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    keys = _keys()

    def pattern(names: tuple[str, ...]) -> re.Pattern[bytes]:
        alternatives = "|".join(re.escape(n) for n in names)
        return re.compile(rf'"(?:{alternatives})"\s*:'.encode(), re.I)

    return pattern(keys["url_keys"]), pattern(keys["text_keys"])


def _language_of(url: str) -> str | None:
    """The language a known site's address names ("aa.com.tr/tr/..." -> "tr"), from the site data."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    site = site_data().site_for(parts.hostname, None)
    if site is None or site.language_from_path is None:
        return None
    found = site.language_from_path.match(parts.path)
    return found["lang"] if found else None


def _first(record: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    folded = {str(k).casefold(): v for k, v in record.items()}
    for name in names:
        value = folded.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


@registry.register
class ScrapedRecordParser(Parser):
    """A JSON object holding one scraped page's address and text."""

    name: ClassVar[str] = NAME
    content_types: ClassVar[tuple[str, ...]] = ("application/json",)
    # after ninjs (40): a ninjs document is never read as a scrape record
    priority: ClassVar[int] = 45

    def can_parse(self, raw: bytes, headers: Headers) -> bool:
        head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"{"):
            return False
        url_key, text_key = _sniff()
        return bool(url_key.search(head)) and bool(text_key.search(raw[:MAX_BYTES]))

    def parse(self, raw: bytes, headers: Headers) -> Sequence[ParsedItem]:
        if len(raw) > MAX_BYTES:
            raise ParseError(f"scrape record of {len(raw)} bytes exceeds the {MAX_BYTES}-byte limit", format=NAME)
        try:
            record = orjson.loads(decode_text(raw, declared_charset(headers)).text)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"malformed JSON: {exc}", format=NAME) from None
        if not isinstance(record, dict):
            raise ParseError(f"a scrape record is a JSON object, not {type(record).__name__}", format=NAME)
        keys = _keys()
        text = _first(record, keys["text_keys"])
        url = _first(record, keys["url_keys"])
        if text is None:
            raise ParseError("scrape record holds no text field", format=NAME)
        language = _first(record, keys["language_keys"]) or (_language_of(url) if url else None)
        # the text goes to the web-text parser with what the record says about it
        inner: list[tuple[str, bytes]] = [(k, v) for k, v in headers if k.lower() not in ("content-type",)]
        inner.append(("content-type", b"text/plain; charset=utf-8"))
        if language and not header_value(headers, "content-language"):
            inner.append(("content-language", language.encode("utf-8")))
        agency = agency_of([url]) if url else None
        if agency and not header_value(headers, "wf_agency"):
            inner.append(("wf_agency", agency.encode("utf-8")))
        items = registry.get("webtext").parse(text.encode("utf-8"), tuple(inner))
        title = _first(record, keys["title_keys"])
        return [
            dataclasses.replace(
                item,
                format=NAME,
                guid=item.guid or url,
                url=item.url or url,
                headline=item.headline or title,
                extra=(*item.extra, ("scraped.url", url or "")),
            )
            for item in items
        ]
