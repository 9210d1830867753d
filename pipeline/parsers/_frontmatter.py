"""Markdown scrapes: front matter read as metadata, Markdown syntax read as text.

Sites built with Hugo, Jekyll, Eleventy or Gatsby keep each article as a Markdown file
that opens with its metadata between two delimiter lines, and scrapers that save pages as
Markdown do the same:

    ---                              +++
    title: "A ferry line opens"      title = "A ferry line opens"
    date: 2024-11-03T09:00:00+01:00  date = 2024-11-03
    tags: [harbour, ferry]           tags = ["harbour", "ferry"]
    author: Jane Roe                 +++
    ---

YAML (``---``) is read with PyYAML's safe loader, TOML (``+++``) with ``tomllib``; both
only build plain values (no objects, no includes). The block is metadata, never body:
title, dates, tags, categories, author, description and language go to their fields;
other keys are recorded as removed ("front-matter").

The Markdown that follows is turned into the plain text the web-text parser reads: ATX
headings (``## Title``) lose their marks, links keep their text, images and HTML comments
go (an image's alt text becomes a caption), emphasis marks go, rules become blank lines.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

log = logging.getLogger(__name__)

#: the front matter is at most this long (a block that runs on is no front matter)
MAX_FRONT_MATTER = 20_000

_OPENING = re.compile(r"\A\ufeff?[ \t]*(?P<mark>---|\+\+\+)[ \t]*\r?\n")
# ATX headings, setext underlines, rules, list and quote marks
_HEADING = re.compile(r"^(?P<marks>#{1,6})[ \t]+(?P<text>.*?)[ \t]*#*[ \t]*$", re.M)
_RULE = re.compile(r"^[ \t]*(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$", re.M)
_SETEXT = re.compile(r"^[ \t]*(?:=+|-+)[ \t]*$", re.M)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.M)
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]*)(?:\s+\"[^\"]*\")?\)")
_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_DEFINITION = re.compile(r"^[ \t]*\[[^\]]+\]:\s+\S+.*$", re.M)
# emphasis: "**x**", "*x*", "~~x~~"; with underscores only around words ("_x_", not snake_case)
_EMPHASIS = re.compile(r"(\*\*|\*|~~)(?=\S)(.+?)(?<=\S)\1|(?<![\w_])(__|_)(?=\S)(.+?)(?<=\S)\3(?![\w_])")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CODE_FENCE = re.compile(r"^[ \t]*(?:```|~~~).*$", re.M)
# at least this many of these marks make a text Markdown
_SIGNALS = (_HEADING, _LINK, _IMAGE, _EMPHASIS, _REF_DEFINITION)
MARKDOWN_SIGNALS = 2


@dataclass
class FrontMatter:
    """What a front-matter block says about the article."""

    title: str | None = None
    created: str | None = None  # as printed (ISO 8601, a date or a datetime)
    modified: str | None = None
    author: str | None = None
    summary: str | None = None
    section: str | None = None
    language: str | None = None
    keywords: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # "key: value" of the keys we have no field for
    raw: str = ""


# front-matter keys (case-folded) -> field; the first key present wins
_KEYS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name"),
    "created": ("date", "publishdate", "published", "pubdate", "date_published", "datepublished", "created"),
    "modified": ("lastmod", "updated", "modified", "date_modified", "datemodified", "last_modified"),
    "author": ("author", "authors", "byline", "creator", "writer"),
    "summary": ("description", "summary", "subtitle", "excerpt", "lead", "teaser"),
    "section": ("section", "category", "categories"),
    "language": ("lang", "language", "locale"),
}
_KEYWORD_KEYS = ("tags", "keywords", "categories", "category", "topics", "series")


def split_front_matter(text: str) -> tuple[FrontMatter | None, str]:
    """(the front matter, the text after it), or (None, text) when the text opens with none."""
    m = _OPENING.match(text)
    if not m:
        return None, text
    mark = m.group("mark")
    closing = re.compile(rf"^[ \t]*{re.escape(mark)}[ \t]*$", re.M)
    end = closing.search(text, m.end())
    if end is None or end.start() - m.end() > MAX_FRONT_MATTER:
        return None, text
    block = text[m.end() : end.start()]
    data = _load(block, mark)
    if data is None:
        return None, text
    return _front_matter(data, block), text[end.end() :].lstrip("\r\n")


def _load(block: str, mark: str) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(block) if mark == "+++" else yaml.safe_load(block)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        log.debug("front matter not read (%s): %s", mark, exc)
        return None
    return data if isinstance(data, dict) and data else None


def _text(value: Any) -> str | None:
    """A scalar as text (dates as ISO 8601); lists and tables give their names or items."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        items = [t for t in (_text(v) for v in value) if t]
        return ", ".join(items) or None
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("title"))
    text = str(value).strip()
    return text or None


def _printed(value: Any) -> str:
    """A value as the front matter prints it ("false", "10", "a, b")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _text(value) or ""


def _items(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for t in (_text(v) for v in value) if t]
    text = _text(value)
    return [part.strip() for part in text.split(",") if part.strip()] if text else []


def _front_matter(data: dict[str, Any], block: str) -> FrontMatter:
    folded = {str(k).casefold(): v for k, v in data.items()}
    out = FrontMatter(raw=block)
    used: set[str] = set()
    for name, keys in _KEYS.items():
        for key in keys:
            if key in folded and (value := _text(folded[key])):
                if name == "section":
                    value = _items(folded[key])[0]
                setattr(out, name, value)
                used.add(key)
                break
    for key in _KEYWORD_KEYS:
        if key in folded:
            out.keywords.extend(k for k in _items(folded[key]) if k not in out.keywords)
            used.add(key)
    out.other = [f"{key}: {_printed(value)}" for key, value in data.items() if str(key).casefold() not in used]
    return out


def looks_like_markdown(text: str) -> bool:
    """Markdown marks in the text: headings, links, images, emphasis, reference definitions."""
    return sum(1 for pattern in _SIGNALS if pattern.search(text)) >= MARKDOWN_SIGNALS


@dataclass
class PlainText:
    """Markdown read as plain text: the text, the images' alt texts, what went."""

    text: str
    captions: list[str] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (text, reason)


def markdown_to_text(text: str) -> PlainText:
    """The plain text a page shows for Markdown ``text`` (see the module docstring)."""
    out = PlainText("")
    for comment in _HTML_COMMENT.findall(text):
        out.removed.append((comment.strip(), "markup"))
    text = _HTML_COMMENT.sub("", text)
    for definition in _REF_DEFINITION.findall(text):
        out.removed.append((definition.strip(), "link"))
    text = _REF_DEFINITION.sub("", text)

    def image(m: re.Match[str]) -> str:
        if m.group("alt").strip():
            out.captions.append(m.group("alt").strip())
        out.removed.append((m.group().strip(), "image"))
        return ""

    text = _IMAGE.sub(image, text)
    text = _LINK.sub(lambda m: m.group("text"), text)
    text = _CODE_FENCE.sub("", text)
    text = _RULE.sub("", text)
    text = _SETEXT.sub("", text)
    # a heading is a paragraph of its own
    text = _HEADING.sub(lambda m: f"\n{m.group('text')}\n", text)
    text = _QUOTE.sub("", text)
    for _ in range(2):  # nested emphasis ("***x***")
        text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(4), text)
    out.text = text
    return out


__all__ = ["FrontMatter", "PlainText", "looks_like_markdown", "markdown_to_text", "split_front_matter"]
