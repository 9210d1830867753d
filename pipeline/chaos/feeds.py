"""Dispatches for the chaos run, generated in the real wire formats with invented text.

Every dispatch has a unique id (``<feed>#<seq>``: the feed and its sequence number, as
a wire service numbers its messages) and knows what it should become:

* ``article``: a well-formed story in one of the formats we read -- NewsML-G2 (several
  versions of one guid, sent in version order, and two-item newsMessages), NITF, ninjs,
  RSS, IPTC 7901, ANPA-1312 and agency web text. The text is made up here from word
  lists; nothing is copied from any agency.
* ``poison``: bytes no parser can turn into an article (random binary, broken XML,
  empty records, JSON that is no news format): each must become a dead letter.
* ``oversized``: a valid story over the size limit: it must become a dead letter that
  says so (or be refused at ingest), never block its partition.
* ``corpus``: real Reuters-21578 dispatches read from the corpus at run time (never
  copied); article or dead letter, but an outcome either way.

The generator is deterministic for a seed, so a failing run can be repeated.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import orjson

from pipeline.records import Headers
from pipeline.sources import SourceDispatch

#: what a dispatch must end as
ARTICLE, DEADLETTER, ANY = "article", "deadletter", "any"


@dataclass(frozen=True, slots=True)
class ChaosDispatch(SourceDispatch):
    """A generated dispatch: a ``SourceDispatch`` (so ingest treats it like a file's) that
    knows its feed, its sequence number in the feed, and what it must become."""

    feed: str = ""
    seq: int = 0
    kind: str = "article"  # article | poison | oversized | corpus
    fmt: str = ""  # the format we wrote (or the kind of poison)
    expect: str = ARTICLE
    #: outcome records expected (items in the dispatch); None when we cannot know (corpus)
    parts: int | None = 1
    #: story identity and version, for dispatches that are versions of one story
    story: str | None = None
    version: int | None = None
    extra_headers: tuple[tuple[str, bytes], ...] = field(default=())

    @property
    def id(self) -> str:
        return self.input

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.value).hexdigest()

    def headers(
        self, *, source: str | None = None, agency: str | None = None, received_at: datetime | None = None
    ) -> Headers:
        # the feed is the source unless the caller says otherwise; the id and sequence number
        # travel as headers so that a dead letter's original headers name the dispatch
        base = SourceDispatch.headers(self, source=source or self.feed, agency=agency, received_at=received_at)
        return (
            *base,
            ("wf_chaos_id", self.input.encode()),
            ("wf_chaos_seq", str(self.seq).encode()),
            *self.extra_headers,
        )


# ----------------------------------------------------------------------------- invented text

_TOWNS = (
    "Calderbrook", "Westmere", "Hollinsford", "Tarrow Bay", "Pellingham", "Ostenvale", "Marrowick",
    "Brisden", "Kelvenmoor", "Saltrith", "Ambleford", "Dunmarrow", "Larkhaven", "Fennick", "Corrowdale",
)  # fmt: skip
_BODIES = (
    "city council", "port authority", "regional rail operator", "water board", "chamber of commerce",
    "district hospital", "teachers' union", "farmers' cooperative", "transport ministry", "fire service",
    "university", "energy regulator", "fishing association", "tourism office", "football club",
)  # fmt: skip
_ACTIONS = (
    ("approved", "a plan to rebuild the old harbour wall"),
    ("postponed", "the opening of a new bus depot"),
    ("announced", "a study of flood defences along the river"),
    ("reported", "a rise in visitor numbers over the winter"),
    ("rejected", "a proposal to close two rural branch lines"),
    ("confirmed", "the purchase of twelve electric ferries"),
    ("published", "figures showing lower water consumption"),
    ("launched", "a consultation on night-time parking charges"),
    ("completed", "repairs to the main road bridge"),
    ("opened", "a second terminal at the regional airport"),
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FIRST = ("Mara", "Tobias", "Ines", "Joran", "Elif", "Piotr", "Saoirse", "Anouk", "Delphine", "Rasmus")
_LAST = ("Quillfeather", "Brennholt", "Vasquez-Orme", "Lindqvar", "Achterberg", "Okonkwo-Hale", "Tremaine")
_DETAILS = (
    "The work is expected to take {n} months and cost about {m} million euros, officials said.",
    "About {n} residents attended a public meeting on the plan on {day} evening.",
    "Opposition members said the decision came {n} years too late.",
    "The {body} said it would publish a detailed timetable within {n} weeks.",
    "Local businesses welcomed the move, saying it could bring {n} new jobs to the area.",
    "A spokesperson for the {body} declined to give further details before the vote in {town}.",
    "Similar projects in {town} and {town2} had run {n} percent over budget, a report found.",
    "Traffic on the coast road was expected to be lighter than usual until {day}.",
)
_FR = (
    "Le conseil municipal de {town} a approuvé {day} un plan de {m} millions d'euros pour rénover le port.",
    "Les travaux devraient durer {n} mois, selon un porte-parole de la mairie.",
    "Quelque {n} habitants ont assisté à une réunion publique consacrée au projet.",
    "L'opposition a dénoncé un calendrier trop serré et demandé une nouvelle consultation.",
)
_DE = (
    "Der Stadtrat von {town} hat am {day} einen Plan zur Erneuerung des Hafens gebilligt.",
    "Die Arbeiten sollen rund {n} Monate dauern und etwa {m} Millionen Euro kosten.",
    "Etwa {n} Anwohner kamen zu einer Bürgerversammlung über das Vorhaben.",
    "Die Opposition kritisierte den Zeitplan als zu knapp.",
)
_DE_DAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
_FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass
class Story:
    """The invented facts of one story, rendered into any format."""

    town: str
    body: str
    verb: str
    what: str
    day: str
    reporter: str
    language: str
    headline: str
    summary: str
    paragraphs: list[str]
    when: datetime


def _story(rng: random.Random, when: datetime, tag: str, language: str = "en", paragraphs: int = 4) -> Story:
    town, town2 = rng.sample(_TOWNS, 2)
    body = rng.choice(_BODIES)
    verb, what = rng.choice(_ACTIONS)
    reporter = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    n, m = rng.randint(2, 900), rng.randint(2, 95)
    if language == "fr":
        day = rng.choice(_FR_DAYS)
        lines = [s.format(town=town, day=day, n=n, m=m) for s in _FR]
        headline = f"{town} : le conseil approuve la rénovation du port ({tag})"
        summary = f"Un plan de {m} millions d'euros a été adopté {day}."
    elif language == "de":
        day = rng.choice(_DE_DAYS)
        lines = [s.format(town=town, day=day, n=n, m=m) for s in _DE]
        headline = f"{town}: Stadtrat billigt Erneuerung des Hafens ({tag})"
        summary = f"Der Plan kostet rund {m} Millionen Euro."
    else:
        day = rng.choice(_WEEKDAYS)
        first = f"The {body} of {town} {verb} {what} on {day}, {reporter.split()[0]} {n % 7 + 2} sources said."
        details = rng.sample(_DETAILS, min(paragraphs - 1, len(_DETAILS)))
        lines = [first] + [
            d.format(n=rng.randint(2, 400), m=rng.randint(2, 95), day=day, body=body, town=town, town2=town2)
            for d in details
        ]
        headline = f"{town} {body} {verb} {what.split(' ', 1)[1]} ({tag})"
        summary = f"The decision in {town} follows {rng.randint(2, 30)} months of debate."
    # a number only this dispatch carries: no two stories have the same text
    lines.append(f"{'Ref.' if language != 'de' else 'Az.'} {tag}-{rng.randint(10_000, 99_999)}.")
    return Story(town, body, verb, what, day, reporter, language, headline, summary, lines, when)


# ----------------------------------------------------------------------------- the formats


def newsml_g2(s: Story, guid: str, version: int, provider: str = "chaoswire.example") -> bytes:
    paras = "\n".join(f"          <p>{escape(p)}</p>" for p in s.paragraphs)
    stamp = s.when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="{guid}" version="{version}"
    standard="NewsML-G2" standardversion="2.35" conformance="power" xml:lang="{s.language}">
  <catalogRef href="http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_38.xml"/>
  <itemMeta>
    <itemClass qcode="ninat:text"/>
    <provider literal="{provider}"/>
    <versionCreated>{stamp}</versionCreated>
    <pubStatus qcode="stat:usable"/>
  </itemMeta>
  <contentMeta>
    <contentCreated>{stamp}</contentCreated>
    <urgency>{3 + version % 3}</urgency>
    <language tag="{s.language}"/>
    <headline>{escape(s.headline)}</headline>
    <description role="drol:summary">{escape(s.summary)}</description>
    <by>By {escape(s.reporter)}</by>
  </contentMeta>
  <contentSet>
    <inlineXML contenttype="application/xhtml+xml">
      <html xmlns="http://www.w3.org/1999/xhtml">
        <head><title>{escape(s.headline)}</title></head>
        <body>
{paras}
        </body>
      </html>
    </inlineXML>
  </contentSet>
</newsItem>
""".encode()


def newsml_g2_message(stories: Sequence[tuple[Story, str]]) -> bytes:
    """A newsMessage with one newsItem per story (each becomes its own article)."""
    items = []
    for s, guid in stories:
        item = newsml_g2(s, guid, 1).decode().split("\n", 1)[1]  # without the XML declaration
        items.append(item.replace('<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" ', "<newsItem "))
    stamp = stories[0][0].when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/">\n'
        f"  <header><sent>{stamp}</sent></header>\n  <itemSet>\n" + "".join(items) + "  </itemSet>\n</newsMessage>\n"
    ).encode()


def nitf(s: Story, doc_id: str) -> bytes:
    paras = "\n".join(f"      <p>{escape(p)}</p>" for p in s.paragraphs)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<nitf version="-//IPTC//DTD NITF 3.1//EN">
  <head>
    <title>{escape(s.headline)}</title>
    <docdata management-status="usable">
      <doc-id id-string="{doc_id}"/>
      <urgency ed-urg="4"/>
      <date.issue norm="{s.when.strftime("%Y%m%dT%H%M%S+0000")}"/>
      <doc.copyright holder="Chaos Wire" year="{s.when.year}"/>
    </docdata>
  </head>
  <body>
    <body.head>
      <hedline><hl1>{escape(s.headline)}</hl1></hedline>
      <byline>By {escape(s.reporter)}</byline>
      <abstract><p>{escape(s.summary)}</p></abstract>
    </body.head>
    <body.content>
{paras}
    </body.content>
  </body>
</nitf>
""".encode()


def ninjs(s: Story, uri: str) -> bytes:
    stamp = s.when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    doc = {
        "uri": uri,
        "type": "text",
        "version": "1",
        "firstCreated": stamp,
        "versionCreated": stamp,
        "pubStatus": "usable",
        "language": s.language,
        "by": s.reporter,
        "headlines": [{"role": "main", "value": s.headline}],
        "descriptions": [{"role": "summary", "contentType": "text/plain", "value": s.summary}],
        "bodies": [
            {"role": "main", "contentType": "text/html", "value": "".join(f"<p>{escape(p)}</p>" for p in s.paragraphs)}
        ],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def rss(s: Story, guid: str, feed_title: str) -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in s.paragraphs)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>{escape(feed_title)}</title>
    <link>https://chaoswire.example/{s.language}/</link>
    <description>Invented stories for the wirefeed chaos test</description>
    <language>{s.language}</language>
    <item>
      <title>{escape(s.headline)}</title>
      <link>https://chaoswire.example/{s.language}/{guid}</link>
      <guid isPermaLink="false">{guid}</guid>
      <pubDate>{s.when.strftime("%a, %d %b %Y %H:%M:%S +0000")}</pubDate>
      <dc:creator>{escape(s.reporter)}</dc:creator>
      <description><![CDATA[{s.summary}]]></description>
      <content:encoded><![CDATA[{body}]]></content:encoded>
    </item>
  </channel>
</rss>
""".encode()


def iptc7901(s: Story, number: int) -> bytes:
    """IPTC 7901 frame: SOH heading, keywords, STX headline and text, ETX time stamp, EOT."""
    lines = "\r\n\r\n".join(_wrap("   " + p) for p in s.paragraphs)
    words = sum(len(p.split()) for p in s.paragraphs)
    text = (
        f"\x01chw{number % 10000:04d} 4 vm {words}  chw {number % 10000:04d}\r\n\r\n"
        f"{s.town}/{s.body.split()[0].capitalize()}/\r\n"
        f"\x02{s.headline} =\r\n\r\n{lines}\r\n\r\nchw xx yy\r\n\r\n"
        f"\x03{s.when.strftime('%d%H%M')} GMT {s.when.strftime('%b %y')}\r\n\x04"
    )
    return text.encode("latin-1", errors="replace")


def anpa1312(s: Story, number: int) -> bytes:
    """ANPA-1312 frame (AP's): SYN SYN SOH number, keyword line, STX header, tab paragraphs, ETX."""
    slug = f"BC-XX--{s.town.replace(' ', '')}-{s.body.split()[0].capitalize()}"
    words = sum(len(p.split()) for p in s.paragraphs)
    first = s.paragraphs[0]
    paras = [f"\t   {s.town.upper()} (AP) _ {first} "] + [f"\t   {p} " for p in s.paragraphs[1:]]
    body = "\r\n".join(paras)
    return (
        f"\x16\x16\x01a{number % 10000:04d}\x1f-----\n"
        f"r a\x13\x11 {slug}   {s.when.strftime('%m-%d')} {words:04d}\r\n"
        f"\x02\x02{slug},{words:04d}< \r\n"
        f"^{s.headline}< \r\n"
        f"^By {s.reporter.upper()}= \r\n^Associated Press= \r\n"
        f"{body}\r\n\r\n\t   \x03AP-WF-{s.when.strftime('%m-%d-%y %H%M')}GMT<\r\n"
    ).encode("latin-1", errors="replace")


def webtext(s: Story) -> bytes:
    """A news page as scraped text (section, headline, '- ' standfirst, byline | date, dateline)."""
    paras = "\n\n".join(s.paragraphs)
    return (
        f"Regions\n\n{s.headline}\n\n- {s.summary}\n\n"
        f"{s.reporter}   | {s.when.strftime('%d.%m.%Y')} - Update : {s.when.strftime('%d.%m.%Y')}\n"
        f"{s.headline}\n\n{s.town.upper()}\n\n{paras}\n\nRead also\nShare this\n"
    ).encode()


def _wrap(text: str, width: int = 69) -> str:
    out, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "\r\n".join(out)


# ----------------------------------------------------------------------------- poison


def poison(kind: str, rng: random.Random, tag: str) -> tuple[bytes, str | None]:
    """Bytes that must become a dead letter, and the content type they are sent with."""
    if kind == "binary":
        return rng.randbytes(rng.randint(200, 6000)) + b"\x00\x00", None
    if kind == "broken-xml":
        doc = nitf(_story(rng, datetime(2026, 1, 1, tzinfo=UTC), tag), tag).decode()
        cut = doc.index("<body.content>") + len("<body.content>")
        return (doc[:cut] + f"\n<p>Unclosed paragraph {tag}\n</body>\n").encode(), "application/xml"
    if kind == "empty":
        return b"", None
    if kind == "not-news-json":
        return orjson.dumps({"sensor": tag, "readings": [rng.random() for _ in range(5)]}), "application/json"
    raise ValueError(kind)


POISON_KINDS = ("binary", "broken-xml", "empty", "not-news-json")


def oversized(rng: random.Random, tag: str, size: int, when: datetime) -> bytes:
    """A valid NITF story of at least ``size`` bytes (many paragraphs): too big to carry."""
    s = _story(rng, when, tag)
    base = list(s.paragraphs)
    n = 0
    total = 0
    while total < size:
        n += 1
        sentence = f"{base[n % len(base)]} (paragraph {n})"
        s.paragraphs.append(sentence)
        total += len(sentence) + 16
    return nitf(s, tag)


# ----------------------------------------------------------------------------- the mix

#: (format, weight) of the article mix; g2 stories come as several versions of one guid
ARTICLE_FORMATS = (
    ("newsml-g2", 4),
    ("newsml-g2-message", 1),
    ("nitf", 2),
    ("ninjs", 2),
    ("rss", 2),
    ("iptc7901", 1),
    ("anpa1312", 1),
    ("webtext", 2),
)
FEEDS_PER_FORMAT = 3


@dataclass(frozen=True)
class Mix:
    """How many of each kind a run sends."""

    dispatches: int = 5000
    poison: int = 40
    oversized: int = 3
    oversize_bytes: int = 1_100_000
    reuters: int = 0  # real Reuters-21578 dispatches from the corpus, mixed in
    seed: int = 1


def generate(mix: Mix, corpus: Path | None = None) -> list[ChaosDispatch]:
    """``mix.dispatches`` dispatches in total, in the order they are sent.

    The versions of a G2 story are spread out (other dispatches come between them) but
    always sent in increasing version order: the pipeline must publish them in that order.
    """
    rng = random.Random(mix.seed)
    start = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)
    seqs: dict[str, int] = {}
    out: list[ChaosDispatch] = []
    pending_versions: list[tuple[int, str, str, Story, int, int]] = []  # (due index, feed, guid, story, v, last)

    def next_seq(feed: str) -> int:
        seqs[feed] = seqs.get(feed, 0) + 1
        return seqs[feed]

    def add(feed: str, value: bytes, ctype: str | None, kind: str, fmt: str, expect: str, **kw: Any) -> None:
        seq = next_seq(feed)
        out.append(
            ChaosDispatch(
                value=value,
                input=f"{feed}#{seq:05d}",
                content_type=ctype,
                feed=feed,
                seq=seq,
                kind=kind,
                fmt=fmt,
                expect=expect,
                **kw,
            )
        )

    reuters = list(reuters_dispatches(corpus, mix.reuters)) if mix.reuters else []
    reuters.reverse()  # popped from the end: sent in corpus order
    specials = ["poison"] * mix.poison + ["oversized"] * mix.oversized + ["reuters"] * len(reuters)
    generated = mix.dispatches - len(specials)
    if generated < 0:
        raise ValueError("more poison, oversized and corpus records than dispatches")
    kinds = ["article"] * generated + specials
    rng.shuffle(kinds)
    names = [f for f, _ in ARTICLE_FORMATS]
    weights = [w for _, w in ARTICLE_FORMATS]
    story_no = 0
    for index, kind in enumerate(kinds):
        when = start + timedelta(seconds=7 * index)
        due = [p for p in pending_versions if p[0] <= index]
        if due and kind == "article":
            # the next version of a story sent earlier
            item = due[0]
            pending_versions.remove(item)
            _, feed, guid, s, version, last = item
            s2 = _story(rng, when, f"{guid.rsplit(':', 1)[-1]}v{version}", s.language)
            s2.town, s2.headline = s.town, f"{s.headline.rsplit(' (', 1)[0]} (v{version})"
            add(
                feed,
                newsml_g2(s2, guid, version),
                "application/xml",
                "article",
                "newsml-g2",
                ARTICLE,
                story=guid,
                version=version,
            )
            if version < last:
                pending_versions.append((index + rng.randint(5, 120), feed, guid, s, version + 1, last))
            continue
        if kind == "poison":
            pkind = POISON_KINDS[rng.randrange(len(POISON_KINDS))]
            tag = f"p{index}"
            value, ctype = poison(pkind, rng, tag)
            add(f"chaos-poison-{rng.randrange(2)}", value, ctype, "poison", pkind, DEADLETTER)
            continue
        if kind == "oversized":
            tag = f"chaos-big-{index}"
            value = oversized(rng, tag, mix.oversize_bytes, when)
            add("chaos-nitf-big", value, "application/xml", "oversized", "nitf", DEADLETTER)
            continue
        if kind == "reuters":
            sd = reuters.pop()
            feed = "chaos-reuters21578"
            seq = next_seq(feed)
            out.append(
                ChaosDispatch(
                    value=sd.value,
                    input=f"{feed}#{seq:05d}",
                    content_type=sd.content_type,
                    feed=feed,
                    seq=seq,
                    kind="corpus",
                    fmt="reuters-sgml",
                    expect=ANY,
                    parts=None,
                    extra_headers=(("wf_chaos_origin", sd.input.rsplit("/", 1)[-1].encode()),),
                )
            )
            continue
        fmt = rng.choices(names, weights)[0]
        story_no += 1
        feed = f"chaos-{fmt}-{rng.randrange(FEEDS_PER_FORMAT)}"
        language = rng.choices(("en", "fr", "de"), (6, 2, 1))[0] if fmt in ("newsml-g2", "ninjs", "rss") else "en"
        tag = f"{feed}-{story_no}"
        s = _story(rng, when, tag, language)
        if fmt == "newsml-g2":
            guid = f"urn:chaoswire:{mix.seed}:{story_no}"
            versions = rng.choices((1, 2, 3, 4), (3, 3, 2, 1))[0]
            add(feed, newsml_g2(s, guid, 1), "application/xml", "article", fmt, ARTICLE, story=guid, version=1)
            if versions > 1:
                pending_versions.append((index + rng.randint(5, 120), feed, guid, s, 2, versions))
        elif fmt == "newsml-g2-message":
            second = _story(rng, when, f"{tag}b", language)
            value = newsml_g2_message(
                [(s, f"urn:chaoswire:{mix.seed}:{story_no}a"), (second, f"urn:chaoswire:{mix.seed}:{story_no}b")]
            )
            add(feed, value, "application/xml", "article", fmt, ARTICLE, parts=2)
        elif fmt == "nitf":
            add(feed, nitf(s, tag), "application/xml", "article", fmt, ARTICLE)
        elif fmt == "ninjs":
            add(
                feed,
                ninjs(s, f"urn:chaoswire:ninjs:{mix.seed}:{story_no}"),
                "application/json",
                "article",
                fmt,
                ARTICLE,
            )
        elif fmt == "rss":
            add(
                feed,
                rss(s, f"chaoswire:{mix.seed}:{story_no}", f"Chaos Wire {feed}"),
                "application/rss+xml",
                "article",
                fmt,
                ARTICLE,
            )
        elif fmt == "iptc7901":
            add(feed, iptc7901(s, story_no), None, "article", fmt, ARTICLE)
        elif fmt == "anpa1312":
            add(feed, anpa1312(s, story_no), None, "article", fmt, ARTICLE)
        else:
            add(feed, webtext(s), "text/plain; charset=utf-8", "article", fmt, ARTICLE)
    # versions still pending when the run ends are simply not sent: a story may stop at any version
    return out


_REUTERS = re.compile(rb"<REUTERS\b.*?</REUTERS>", re.S)


def reuters_dispatches(corpus: Path | None, count: int) -> Iterator[SourceDispatch]:
    """``count`` Reuters-21578 dispatches read from the corpus now (files in name order)."""
    from pipeline.sources import iter_dispatches

    if corpus is None or not corpus.is_dir():
        raise FileNotFoundError(f"Reuters-21578 not found under {corpus}")
    files = sorted(corpus.glob("reut2-*.sgm"))
    if not files:
        raise FileNotFoundError(f"no reut2-*.sgm under {corpus}")
    for taken, dispatch in enumerate(iter_dispatches([str(f) for f in files]), start=1):
        yield dispatch
        if taken >= count:
            return
