"""Unit tests of the HTML article-page parser, on invented pages with realistic chrome."""

from __future__ import annotations

import dataclasses
import gzip
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import DecodeError, EmptyDispatchError, ParseError
from pipeline.parsers.base import load_all, registry
from pipeline.parsers.html import (
    HTMLParser,
    gunzip,
    html_fragment_blocks,
    parse_iso,
    parse_page,
    parse_printed_date,
    site_data,
    split_credit,
    split_names,
)
from pipeline.records import Block, Dateline, Party

FIXTURES = Path(__file__).parent / "fixtures" / "html"
PARSER = HTMLParser()


def parse_fixture(name: str) -> tuple:
    items = PARSER.parse((FIXTURES / name).read_bytes(), ())
    assert len(items) == 1
    return items[0], items


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"<!DOCTYPE html><html><body><p>x</p></body></html>", True),
        (b"\xef\xbb\xbf  <html lang='en'><head></head></html>", True),
        (b"<!-- saved page --><HTML><BODY>text</BODY></HTML>", True),
        (b"<body><p>fragment</p></body>", True),
        (b'<?xml version="1.0"?><nitf><head/><body><body.content/></body></nitf>', False),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', False),
        (b"ANKARA (AA) - plain text with <b>tags</b>", False),
        (b"", False),
        (b"\x1f\x8b\x08\x00garbage", False),
    ],
    ids=["doctype", "bom-html", "comment-first", "body-fragment", "nitf", "rss", "plain-text", "empty", "bad-gzip"],
)
def test_can_parse_sniffs_html_only(raw: bytes, expected: bool) -> None:
    """can_parse recognises HTML documents (also gzip-compressed) and nothing else, without raising."""
    assert PARSER.can_parse(raw, ()) is expected


def test_can_parse_sees_through_gzip() -> None:
    """A gzip-compressed page is recognised from its inflated first bytes."""
    raw = gzip.compress((FIXTURES / "ap_page_en.html").read_bytes())
    assert PARSER.can_parse(raw, ())


def test_registry_picks_html_by_content_type() -> None:
    """The registry routes text/html to this parser."""
    load_all()
    raw = (FIXTURES / "generic_page_fr.html").read_bytes()
    assert registry.detect(raw, (("content-type", b"text/html; charset=utf-8"),)).name == "html"


# --------------------------------------------------------------------------- a known agency site


def test_aa_page_metadata() -> None:
    """AA page: headline, standfirst, byline, day-precision date in Istanbul time, dateline, section."""
    item, _ = parse_fixture("aa_page_tr.html")
    assert item.format == "html"
    assert item.agency == "aa"
    assert item.language == "tr"  # from the /tr/ path: the page has no lang attribute
    assert item.headline == "Kuzey Vadisi'nde yeni rüzgar santrali açıldı"
    assert item.summary == (
        "Enerji Bakanlığı, Kuzey Vadisi'nde kurulan 40 türbinli rüzgar santralinin bugün üretime başladığını duyurdu."
    )
    assert item.byline == "Deniz Örnekoğlu"
    assert item.contributors == (Party("Deniz Örnekoğlu", "author"),)
    assert item.first_created is not None
    assert item.first_created.value == datetime(2031, 3, 7, tzinfo=ZoneInfo("Europe/Istanbul"))
    assert (item.first_created.precision, item.first_created.zone) == ("day", "Europe/Istanbul")
    assert item.dateline == Dateline(raw="Ankara", place="Ankara")
    assert item.section == "Ekonomi"
    assert item.keywords == ("rüzgar santrali", "Kuzey Vadisi", "yenilenebilir enerji")
    assert item.url == "https://www.aa.com.tr/tr/ekonomi/kuzey-vadisinde-yeni-ruzgar-santrali-acildi/1000001"


def test_aa_page_body_without_chrome() -> None:
    """AA body: paragraphs and subheading in order; subscription notice, tags and share box removed."""
    item, _ = parse_fixture("aa_page_tr.html")
    assert item.body == (
        Block("Bakanlıktan yapılan yazılı açıklamaya göre, santral yıllık 310 milyon kilovatsaat elektrik üretecek."),
        Block("Açıklamada, santralin yaklaşık 120 bin hanenin yıllık tüketimini karşılayacağı belirtildi."),
        Block('"Bölge ekonomisine katkı sağlayacak"', "h"),
        Block("Proje sorumlusu Ece Kaynakçı, inşaat sürecinde 600 kişinin istihdam edildiğini ifade etti."),
    )
    removed = " ".join(r.text for r in item.removed)
    assert "AA Haber Akış Sistemi" in removed
    assert "Bu haberi paylaşın" in removed


def test_ap_page_authors_skip_job_titles() -> None:
    """JSON-LD authors are used, and a job title listed as an author is dropped."""
    item, _ = parse_fixture("ap_page_en.html")
    assert item.agency == "ap"
    assert item.byline == "JORDAN EXAMPLE, SAM PLACEHOLDER"
    assert [p.name for p in item.contributors] == ["JORDAN EXAMPLE", "SAM PLACEHOLDER"]


def test_ap_page_dates_keep_utc() -> None:
    """Dates come from JSON-LD with their own offset (zone left empty)."""
    item, _ = parse_fixture("ap_page_en.html")
    assert item.first_created is not None and item.version_created is not None
    assert item.first_created.value == datetime(2031, 10, 15, 14, 2, 11, tzinfo=UTC)
    assert item.first_created.zone == ""
    assert item.version_created.value == datetime(2031, 10, 15, 16, 40, tzinfo=UTC)
    assert item.section == "Climate"
    assert item.keywords == ("Climate", "Maine")


def test_ap_page_body_and_caption() -> None:
    """AP body: ads, related box, widget and separator out; trailer kept; lead caption with credit."""
    item, _ = parse_fixture("ap_page_en.html")
    assert [b.text for b in item.body] == [
        "PORT EXAMPLE, Maine (AP) — Residents of a small harbor town voted overwhelmingly on Wednesday to rebuild "
        "a seawall that failed during last month’s storm.",
        "The measure passed 812 to 97, the town clerk said.",
        "Cost and timeline",
        "Engineers estimate the work will take two years and cost about $14 million, most of it covered by a "
        "state grant.",
        "“We can’t afford to wait for the next storm,” said Pat Doe, who chairs the select board.",
        "Associated Press writer Lee Sample contributed from Boston.",
    ]
    assert [b.kind for b in item.body] == ["p", "p", "h", "p", "p", "p"]
    assert len(item.associations) == 1
    photo = item.associations[0]
    assert (
        photo.caption == "Workers stack sandbags along the harbor wall in Port Example, Maine, Tuesday, Oct. 14, 2031."
    )
    assert photo.credit == "AP Photo/Riley Sample"
    assert photo.uri == "https://dims.apnews.com/dims4/default/example/lead.jpg"
    assert {r.reason for r in item.removed} == {"page-chrome", "boilerplate"}


# --------------------------------------------------------------------------- unknown site: generic fallback


def test_generic_page_finds_article_cluster() -> None:
    """Unknown site: the paragraph cluster next to the <h1> is the body; all chrome is left out."""
    item, _ = parse_fixture("generic_page_fr.html")
    assert item.agency is None
    assert ("html.body_source", "density") in item.extra
    assert item.headline == "Le festival des lanternes bat son record de fréquentation"
    assert item.language == "fr"
    assert item.byline == "Camille Exemple"
    assert [b.text for b in item.body] == [
        "Plus de 48 000 visiteurs se sont pressés ce week-end dans les jardins de Valombre pour la neuvième "
        "édition du festival des lanternes, selon les organisateurs.",
        "Les artisans ont installé cette année près de 2 500 lanternes en papier, fabriquées pendant six mois "
        "dans des ateliers ouverts au public.",
        "« Nous ne pensions pas accueillir autant de familles », a confié la directrice du festival, Inès Modèle, "
        "en remerciant les bénévoles.",
        "Une édition prolongée",
        "Face à l'affluence, la mairie a annoncé que les jardins resteraient ouverts jusqu'à minuit pendant une "
        "semaine supplémentaire.",
    ]


def test_generic_page_naive_date_is_utc_and_says_so() -> None:
    """A date without offset on a site with no known zone is read as UTC, and the zone says so."""
    item, _ = parse_fixture("generic_page_fr.html")
    assert item.first_created is not None
    assert item.first_created.value == datetime(2031, 6, 2, 18, 30, tzinfo=UTC)
    assert item.first_created.zone == "UTC"


def test_site_selectors_are_data() -> None:
    """Without the AA site entry the same page still yields its article by the generic route."""
    data = dataclasses.replace(site_data(), sites=())
    item = parse_page((FIXTURES / "aa_page_tr.html").read_text(encoding="utf-8"), data=data)
    # no site entry: the agency comes from the agency table (the page's host aa.com.tr)
    assert item.agency == "aa"
    assert ("html.site", "generic") in item.extra
    assert ("html.body_source", "density") in item.extra
    texts = [b.text for b in item.body]
    assert texts[0].startswith("Bakanlıktan yapılan yazılı açıklamaya")
    assert not any("AA Haber Akış Sistemi" in t for t in texts)


# --------------------------------------------------------------------------- bytes


def test_gzip_bytes_parse_like_plain_bytes() -> None:
    """gzip-compressed page bytes give the same item as the plain page."""
    plain = (FIXTURES / "ap_page_en.html").read_bytes()
    assert PARSER.parse(gzip.compress(plain), ()) == PARSER.parse(plain, ())


def test_corrupt_gzip_is_a_parse_error() -> None:
    """Truncated gzip bytes raise ParseError with a reason, not a zlib error."""
    raw = gzip.compress((FIXTURES / "ap_page_en.html").read_bytes())[:200]
    with pytest.raises(ParseError, match="gzip"):
        PARSER.parse(raw, ())


def test_gzip_bomb_is_refused() -> None:
    """Inflating beyond the limit is refused."""
    with pytest.raises(ParseError, match="limit"):
        gunzip(gzip.compress(b"<p>" + b"a" * 5000), limit=1000)


def test_declared_cp1252_page_is_decoded() -> None:
    """A page in windows-1252 (declared in <meta>) decodes its accented letters right."""
    raw = (
        b'<html><head><meta charset="windows-1252"><title>Caf\xe9 ferm\xe9</title></head>'
        b"<body><article><h1>Caf\xe9 ferm\xe9</h1><p>Le caf\xe9 du port a ferm\xe9 ses portes apr\xe8s "
        b"quarante ans, a annonc\xe9 son propri\xe9taire \x96 sans successeur.</p></article></body></html>"
    )
    item = PARSER.parse(raw, ())[0]
    assert item.headline == "Café fermé"
    assert item.body[0].text.endswith("propriétaire – sans successeur.")


def test_binary_bytes_are_a_decode_error() -> None:
    """Bytes that are not text end as DecodeError."""
    with pytest.raises(DecodeError):
        PARSER.parse(b"<html>\x00\x01\x02\x00" + bytes(range(256)) * 4, ())


def test_page_without_article_is_empty() -> None:
    """A page with neither headline nor text is an EmptyDispatchError."""
    with pytest.raises(EmptyDispatchError):
        PARSER.parse(b"<html><head></head><body><nav><a href='/'>Home</a></nav></body></html>", ())


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "zone", "expected", "precision"),
    [
        ("April 25, 2031 2:26 PM GMT+2", None, datetime(2031, 4, 25, 12, 26, tzinfo=UTC), "second"),
        ("March 7, 2031 7:55 AM UTC", None, datetime(2031, 3, 7, 7, 55, tzinfo=UTC), "second"),
        ("20 Nisan 2031", "Europe/Istanbul", datetime(2031, 4, 20, tzinfo=ZoneInfo("Europe/Istanbul")), "day"),
        (
            "Veröffentlicht am 13. Mai 2031 um 15:44",
            "Europe/Paris",
            datetime(2031, 5, 13, 15, 44, tzinfo=ZoneInfo("Europe/Paris")),
            "second",
        ),
        (
            "07.03.2031 - Güncelleme : 08.03.2031",
            "Europe/Istanbul",
            datetime(2031, 3, 7, tzinfo=ZoneInfo("Europe/Istanbul")),
            "day",
        ),
    ],
    ids=["en-gmt-offset", "en-utc", "tr-month-name", "de-um", "tr-numeric"],
)
def test_printed_dates(text: str, zone: str | None, expected: datetime, precision: str) -> None:
    """Dates as pages print them, in several languages, with or without a zone."""
    when = parse_printed_date(text, zone, site_data())
    assert when is not None
    assert when.value == expected
    assert when.precision == precision


def test_iso_dates_with_long_fractions_and_no_zone() -> None:
    """ISO dates: 7-digit fractions are read; a missing offset takes the site zone."""
    when = parse_iso("2031-04-20T14:09:42.4930000", "Europe/Istanbul")
    assert when is not None
    assert when.value == datetime(2031, 4, 20, 14, 9, 42, 493000, tzinfo=ZoneInfo("Europe/Istanbul"))
    assert when.zone == "Europe/Istanbul"
    assert parse_iso("not a date", None) is None


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By JORDAN EXAMPLE, SAM PLACEHOLDER and LEE SAMPLE", ["JORDAN EXAMPLE", "SAM PLACEHOLDER", "LEE SAMPLE"]),
        ("Von Kim Muster und Alex Beispiel", ["Kim Muster", "Alex Beispiel"]),
        ("Deniz Örnekoğlu  |", ["Deniz Örnekoğlu"]),
        ("By RILEY SAMPLE and AP Technology Writer", ["RILEY SAMPLE"]),
    ],
    ids=["en-and", "de-und", "aa-pipe", "job-title"],
)
def test_split_names(byline: str, names: list[str]) -> None:
    """Bylines split into names; prefixes, separators and job titles dropped."""
    assert split_names(byline, site_data()) == names


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Boats in the harbour (AFP / KIM SAMPLE)", ("Boats in the harbour", "AFP / KIM SAMPLE")),
        ("Fotoğraf : Deniz Örnek/AA", (None, "Deniz Örnek/AA")),
        ("A quiet street. (AP Photo/Lee Sample)", ("A quiet street.", "AP Photo/Lee Sample")),
        ("No credit here", ("No credit here", None)),
    ],
    ids=["afp-paren", "aa-foto", "ap-paren", "none"],
)
def test_split_credit(caption: str, expected: tuple[str | None, str | None]) -> None:
    """Photo credits are cut out of captions."""
    assert split_credit(caption, site_data()) == expected


def test_fragment_blocks_keep_order_and_kinds() -> None:
    """An HTML fragment becomes blocks in order, with kinds; <br><br> splits paragraphs."""
    blocks = html_fragment_blocks(
        "<p>One <a href='#'>link</a> here.</p><h3>Sub</h3><ul><li>A</li><li>B</li></ul>"
        "<blockquote><p>Quoted</p></blockquote><div>First<br><br>Second<br>line</div><script>x()</script>"
    )
    assert blocks == (
        Block("One link here."),
        Block("Sub", "h"),
        Block("A", "li"),
        Block("B", "li"),
        Block("Quoted", "quote"),
        Block("First"),
        Block("Second line"),
    )


def test_fragment_plain_text_splits_on_blank_lines() -> None:
    """Text without tags is split into paragraphs on blank lines, entities decoded."""
    assert html_fragment_blocks("One &amp; two.\n\nThree.") == (Block("One & two."), Block("Three."))


def test_publisher_names_the_agency_on_an_unknown_host() -> None:
    """A page on a host without site data still gets the agency its JSON-LD publisher names."""
    page = (
        "<html><head><title>Harbour fog delays ferries</title>"
        '<link rel="canonical" href="https://news.example/story/fog">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Harbour fog delays ferries",'
        ' "publisher": {"@type": "Organization", "name": "The Associated Press"}}</script></head>'
        "<body><article><h1>Harbour fog delays ferries</h1>"
        "<p>Thick fog kept the morning ferries in port on Tuesday, the harbour office said.</p>"
        "<p>Sailings resumed at noon once the fog lifted over the bay.</p></article></body></html>"
    )
    item = parse_page(page)
    assert (item.agency, item.headline) == ("ap", "Harbour fog delays ferries")
    assert ("html.site", "generic") in item.extra


# A portal page: the site's own og:title, the article's title in a <header> apart from the
# article, a stream of other stories' teasers holding more text than the article, and a
# whole-page wrapper whose class names a modal.
PORTAL_PAGE = (
    "<!DOCTYPE html><html class='app modal-open'><head>"
    "<title>Harbour town opens a new ferry line - Example Portal</title>"
    "<meta property='og:title' content='Example Portal - Latest News &amp; Headlines'>"
    "</head><body><div class='page modal-ready'>"
    "<header class='story-header'><h1>Harbour town opens a new ferry line</h1></header>"
    "<div class='story'><article><div class='story-text'>"
    + "".join(
        f"<p>The town council opened a new ferry line on Monday, and paragraph {n} of the story tells more "
        "about the boats, the timetable and the islands they serve.</p>"
        for n in range(4)
    )
    + "</div></article></div><div class='stream'>"
    + "".join(
        f"<div class='teaser'><p>Teaser {n}: a story about another town, its council, its budget and "
        "its plans for the coming year, with many words to make it long.</p></div>"
        for n in range(12)
    )
    + "</div></div></body></html>"
)


def test_portal_page_article_follows_its_title() -> None:
    """The cluster right after the title is the article; the <h1> agreeing with <title> beats the site's og:title."""
    item = parse_page(PORTAL_PAGE)
    assert item.headline == "Harbour town opens a new ferry line"
    assert len(item.body) == 4
    assert all(b.text.startswith("The town council opened") for b in item.body)
