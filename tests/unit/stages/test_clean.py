"""The clean stage on items of every format, with invented text in several languages.

Items are built the way each parser hands them over (web text, NITF, Reuters SGML,
HTML, NewsML); the agency furniture in them follows the real agencies' conventions.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.parsers.webtext import WebTextParser
from pipeline.profiles import get_profile, match_dateline
from pipeline.records import Association, Block, Dateline, ParsedItem, Party, Removed, Translation, When
from pipeline.sources import iter_dispatches
from pipeline.stages.clean import clean, needed_chars, normalise_text, split_flattened, typographic_quotes, unglue
from pipeline.stages.flow import parse_dispatch
from tests.unit.parsers.test_webtext import (
    AR_FLAT,
    EN_PAGE,
    ES_CAPTION_PAGE,
    ES_PAGE,
    FR_PAGE,
    TR_PAGE,
    TR_WRAPPED,
)


def blocks(*texts: str) -> tuple[Block, ...]:
    return tuple(Block(t) for t in texts)


def webtext(text: str, headers: tuple[tuple[str, bytes], ...] = ()) -> ParsedItem:
    return WebTextParser().parse(text.encode("utf-8"), headers)[0]


def reasons(item: ParsedItem) -> list[str]:
    return [r.reason for r in item.removed]


# ------------------------------------------------------------------ web pages, end to end


def test_french_page_metadata_and_body() -> None:
    """The French page: translation credit to metadata, notice and widgets out, source credited."""
    item = clean(webtext(FR_PAGE))
    assert [b.text[:22] for b in item.body] == [
        "Le festival internatio",
        "Douze équipes venues d",
        "Les organisateurs ont ",
    ]
    assert item.translation == Translation("* Traduit de l'anglais par Paul Martin", "en", "Paul Martin")
    assert item.contributors == (Party("Paul Martin", "translator"),)
    assert item.info_sources == (Party("Anadolu Agency", "source", "https://www.aa.com.tr"),)
    assert reasons(item)[-4:] == ["translation-credit", "subscription-notice", "read-also", "share-widget"]


def test_english_page_writer_credit_and_notice() -> None:
    """The form "*Writing by" becomes a writer contributor; the English notice is removed."""
    item = clean(webtext(EN_PAGE))
    assert item.contributors == (Party("Jane Roe", "writer"),)
    assert [b.text[:12] for b in item.body] == ["The ferry li", "Operators sa"]
    assert reasons(item)[-2:] == ["contributors", "subscription-notice"]


def test_spanish_page_translation_credit() -> None:
    """The form "*Traducido del inglés por" gives source language and translator."""
    item = clean(webtext(ES_PAGE))
    assert item.translation == Translation("*Traducido del inglés por Carlos Ruiz", "en", "Carlos Ruiz")
    assert len(item.body) == 2


def test_turkish_page_tags_become_keywords() -> None:
    """Short lines after a tags label are keywords; notices, credit and share label go."""
    item = clean(webtext(TR_PAGE))
    assert item.keywords == ("Bursa", "teleferik")
    assert [b.text[:16] for b in item.body] == ["Bursa'da yapımı ", "Belediye yetkili", "Hat, kış ayların"]
    assert item.associations == (Association(name="picture-1", type="picture", credit="Murat Ekinci/AA"),)
    assert reasons(item)[-7:] == [
        "photo-credit",
        "subscription-notice",
        "subscription-notice",
        "tags",
        "tag",
        "tag",
        "share-widget",
    ]


def test_read_also_list_at_the_end_is_removed() -> None:
    """Related-article titles after a "read also" label at the end are removed as links."""
    item = clean(webtext(ES_CAPTION_PAGE))
    assert [b.text[:20] for b in item.body] == ["El corredor verde un", "La alcaldía prevé pl"]
    assert item.removed[-4:] == (
        Removed("Lea también", "read-also"),
        Removed("Medellín amplía su red de ciclovías", "related-link"),
        Removed("Cali abre un nuevo parque lineal", "related-link"),
        Removed("Bu haberi paylaşın", "share-widget"),
    )
    assert item.keywords == ()


def test_read_also_label_in_the_middle_keeps_what_follows() -> None:
    """A "read also" label followed by more article text takes nothing but itself."""
    item = ParsedItem(
        format="html",
        body=blocks("The market opened early.", "Read also", "Prices", "Prices rose by a third over the week."),
    )
    out = clean(item)
    assert [b.text for b in out.body] == ["The market opened early.", "Prices", "Prices rose by a third over the week."]
    assert out.removed == (Removed("Read also", "read-also"),)


def test_wrapped_reprint_dateline_stripped_from_lead() -> None:
    """The form "ANKARA (A.A) -" at the start of the lead becomes the dateline."""
    item = clean(webtext(TR_WRAPPED))
    assert item.dateline == Dateline("ANKARA (A.A) -", "ANKARA", "A.A", None)
    assert item.body[0].text.startswith("Kentte yeni açılan")
    assert Removed("ANKARA (A.A) -", "dateline") in item.removed


def test_arabic_dateline_gives_place_and_reporter() -> None:
    """The form "City/ Reporter/ الأناضول" gives the dateline place and, with no byline, the byline."""
    item = clean(webtext(AR_FLAT))
    assert item.dateline == Dateline("إسطنبول/ أحمد يلماز/ الأناضول", "إسطنبول", "الأناضول", None)
    assert item.byline == "أحمد يلماز"
    assert item.body[0].text.startswith("افتتح معرض")


def test_glued_dateline_of_a_flattened_turkish_scrape() -> None:
    """A city glued to the lead by a scraper is the dateline when the agency is known."""
    text = "Trabzon Sahil yolunda başlayan bisiklet yolu çalışmaları yaz sonunda tamamlanacak."
    item = clean(webtext(text, (("wf_agency", b"aa"),)))
    assert item.dateline == Dateline("Trabzon", "Trabzon", None, None)
    assert item.body[0].text.startswith("Sahil yolunda")


def test_glued_dateline_needs_a_profile_that_expects_it() -> None:
    """Without an agency profile that glues datelines, a leading city stays in the lead."""
    text = "Trabzon Sahil yolunda başlayan bisiklet yolu çalışmaları yaz sonunda tamamlanacak."
    item = clean(webtext(text))
    assert item.dateline is None
    assert item.body[0].text == text


def test_flattened_scrape_chrome_removed_inline() -> None:
    """Tweet chrome, leaked CSS, carousel arrows and glued photo credits come out of the text."""
    text = (
        "Kars .gallery-box { max-width: 100%; margin: auto;} .gallery-btn:hover {color: #fff;} ❮ ❯ "
        "Göl kıyısında kış festivali başladı. Belediye bir paylaşım yaptı. Festival başladı… "
        "pic.twitter.com/AbC123xyz — Kars Belediyesi (@karsbel) February 3, 2026 "
        "Ziyaretçiler kızak yarışlarını izledi. Fotoğraf: Ali Demir/AA Etkinlik pazar günü sona erecek."
    )
    item = clean(webtext(text, (("wf_agency", b"aa"),)))
    assert item.dateline is not None and item.dateline.place == "Kars"
    assert item.body[0].text == (
        "Göl kıyısında kış festivali başladı. Belediye bir paylaşım yaptı. Festival başladı… "
        "Ziyaretçiler kızak yarışlarını izledi. Etkinlik pazar günü sona erecek."
    )
    assert item.associations == (Association(name="picture-1", type="picture", credit="Ali Demir/AA"),)
    assert sorted(set(reasons(item))) == ["css", "dateline", "embedded-tweet", "photo-credit", "widget"]


# ------------------------------------------------------------------ items from other parsers


def test_reuters_wire_item_dateline_and_credits() -> None:
    """A Reuters story: dateline off the lead, credit line to contributors, nothing else lost."""
    item = ParsedItem(
        format="nitf",
        agency="reuters",
        headline="Harbour authority raises fees",
        body=blocks(
            "OSLO, March 3 (Reuters) - The harbour authority raised its fees on Tuesday.",
            "The new rates apply from April.",
            "(Reporting by Kari Nordmann in Oslo; Additional reporting by Ola Hansen; Editing by Jane Roe)",
        ),
    )
    out = clean(item)
    assert out.dateline == Dateline("OSLO, March 3 (Reuters) -", "OSLO", "Reuters", "March 3")
    assert [b.text for b in out.body] == [
        "The harbour authority raised its fees on Tuesday.",
        "The new rates apply from April.",
    ]
    assert out.contributors == (
        Party("Kari Nordmann", "reporter"),
        Party("Ola Hansen", "reporter"),
        Party("Jane Roe", "editor"),
    )
    assert out.info_sources == (Party("Reuters", "source", "https://www.reuters.com"),)


def test_reuters_sign_off_at_the_end_of_the_body() -> None:
    """The Reuters-21578 " Reuter" sign-off goes, whether on its own line or ending the text."""
    own_line = ParsedItem(format="reuters-sgml", agency="reuters", body=blocks("Cocoa prices rose 3 pct.", "Reuter"))
    glued = ParsedItem(format="reuters-sgml", agency="reuters", body=(Block("Cocoa prices rose 3 pct.\n Reuter"),))
    for item in (own_line, glued):
        out = clean(item)
        assert [b.text for b in out.body] == ["Cocoa prices rose 3 pct."]
        assert reasons(out) == ["sign-off"]


def test_reuters_21578_dateline_given_raw_gets_its_parts() -> None:
    """A dateline the parser set as raw text only gets its place and date from the patterns."""
    item = ParsedItem(
        format="reuters-sgml",
        agency="reuters",
        dateline=Dateline("    SALVADOR, Feb 26 - "),
        body=blocks("Showers continued in the growing zone."),
    )
    out = clean(item)
    assert out.dateline == Dateline("    SALVADOR, Feb 26 - ", "SALVADOR", None, "Feb 26")
    assert out.body == item.body


def test_dateline_field_without_a_place_gives_way_to_the_printed_one() -> None:
    """A dateline field holding only a timestamp is replaced by the dateline printed in the lead."""
    item = ParsedItem(
        format="newsml-g2",
        agency="reuters",
        dateline=Dateline("2026-03-03 10:00:00 GMT", date_text="2026-03-03 10:00:00 GMT"),
        body=blocks("OSLO (Reuters) - Fees rose.", "More text."),
    )
    out = clean(item)
    assert out.dateline == Dateline("OSLO (Reuters) -", "OSLO", "Reuters", "2026-03-03 10:00:00 GMT")
    assert out.body[0].text == "Fees rose."


def test_dateline_with_a_region_matches_the_printed_place() -> None:
    """The parser's "TULSA, Okla." and the lead's "TULSA, Okla. (AP) _" are the same dateline."""
    item = ParsedItem(
        format="anpa1312",
        agency="ap",
        dateline=Dateline("TULSA, Okla.", "TULSA, Okla."),
        body=blocks("TULSA, Okla. (AP) _ The storm passed.", "More text."),
    )
    out = clean(item)
    assert out.body[0].text == "The storm passed."
    assert out.dateline == Dateline("TULSA, Okla.", "TULSA", "AP", None, "Okla.")


def test_capitals_dateline_place_is_kept_as_printed() -> None:
    """A place the parser gave in capitals stays in capitals; the printed date is read from the raw."""
    item = ParsedItem(
        format="reuters-sgml", agency="reuters", dateline=Dateline("OSLO, Mar 3 -", "OSLO"), body=blocks("T.")
    )
    assert clean(item).dateline == Dateline("OSLO, Mar 3 -", "OSLO", None, "Mar 3")


def test_dateline_already_set_is_stripped_from_the_lead_once() -> None:
    """A NITF dateline repeated at the start of the lead is removed, the parser's value kept."""
    item = ParsedItem(
        format="nitf",
        agency="afp",
        dateline=Dateline("LYON", "Lyon", None, None),
        body=blocks("LYON (AFP) - Le tramway roulera la nuit dès juin.", "Lyon compte 5 lignes."),
    )
    out = clean(item)
    assert out.dateline == Dateline("LYON", "Lyon", "AFP", None)
    assert out.body[0].text == "Le tramway roulera la nuit dès juin."
    assert clean(out) == out


@pytest.mark.parametrize(
    ("agency", "last", "reason"),
    [
        ("afp", "abc-def/xyz", "sign-off"),
        ("xinhua", "Enditem", "sign-off"),
        ("efe", "EFE mmr/abc", "sign-off"),
        ("dpa", "dpa ab cd", "sign-off"),
        ("ap", "___", "separator"),
    ],
)
def test_agency_sign_offs_are_removed(agency: str, last: str, reason: str) -> None:
    """Each agency's closing marks leave the body and are recorded."""
    item = ParsedItem(format="nitf", agency=agency, body=blocks("The bridge reopened on Monday.", last))
    out = clean(item)
    assert [b.text for b in out.body] == ["The bridge reopened on Monday."]
    assert out.removed == (Removed(last, reason),)


def test_sign_off_only_at_the_end() -> None:
    """A line like a sign-off in the middle of the text is left alone (it may be content)."""
    item = ParsedItem(
        format="nitf", agency="xinhua", body=blocks("One.", "Enditem", "Two.", "Three.", "Four.", "Five.")
    )
    assert [b.text for b in clean(item).body] == ["One.", "Enditem", "Two.", "Three.", "Four.", "Five."]


def test_ap_contributor_line() -> None:
    """The form "Associated Press writer X in Y contributed to this report." credits X."""
    item = ParsedItem(
        format="html",
        agency="ap",
        body=blocks(
            "DENVER (AP) — The city opened a new library on Monday.",
            "Associated Press writers Ana Ruiz in Boulder and Tom Lee contributed to this report from Denver.",
        ),
    )
    out = clean(item)
    assert out.contributors == (Party("Ana Ruiz", "contributor"), Party("Tom Lee", "contributor"))
    assert [b.text for b in out.body] == ["The city opened a new library on Monday."]


def test_html_byline_with_date_resolves_content_created() -> None:
    """A byline field still carrying "| date" is split; the date is local to the agency."""
    item = ParsedItem(format="html", agency="aa", byline="Deniz Aydın | 12.04.2026", body=blocks("Text."))
    out = clean(item)
    assert out.byline == "Deniz Aydın"
    assert out.content_created == When(
        datetime(2026, 4, 12, tzinfo=ZoneInfo("Europe/Istanbul")), "day", "Europe/Istanbul", "12.04.2026"
    )


def test_existing_content_created_is_kept() -> None:
    """A date the source gave in its own field wins over a byline date."""
    own = When(datetime(2026, 4, 12, 9, 30, tzinfo=ZoneInfo("UTC")), "second", "", "2026-04-12T09:30:00Z")
    item = ParsedItem(
        format="html", agency="aa", byline="Deniz Aydın | 11.04.2026", content_created=own, body=blocks("T.")
    )
    out = clean(item)
    assert out.content_created == own
    assert out.byline == "Deniz Aydın"


def test_by_line_in_the_body_becomes_the_byline() -> None:
    """A "By ..." first paragraph is a byline."""
    item = ParsedItem(format="html", body=blocks("By Jane Roe", "The council met on Monday."))
    out = clean(item)
    assert out.byline == "Jane Roe"
    assert [b.text for b in out.body] == ["The council met on Monday."]


@pytest.mark.parametrize(
    ("agency", "last", "reason"),
    [
        ("aap", "AAP xyz", "sign-off"),
        ("afp", "AFP ab", "sign-off"),
        ("pa", "ends", "sign-off"),
        ("ritzau", "/ritzau/", "sign-off"),
        ("cp", "This report by The Canadian Press was first published March 3, 2026.", "publication-note"),
        ("ap", "Follow Jane Roe on X at https://x.example/janeroe", "promo"),
    ],
)
def test_more_agency_closings(agency: str, last: str, reason: str) -> None:
    """Closing marks of the other agencies in the corpus leave the body."""
    item = ParsedItem(format="nitf", agency=agency, body=blocks("The bridge reopened on Monday.", last))
    assert clean(item).removed == (Removed(last, reason),)


def test_role_is_dropped_from_a_byline_field() -> None:
    """ "By Sam Roe, Press Association Political Correspondent" is the byline Sam Roe."""
    item = ParsedItem(format="nitf", byline="By Sam Roe, Press Association Political Correspondent", body=blocks("T."))
    assert clean(item).byline == "Sam Roe"


def test_starred_disclaimer_is_an_editors_note() -> None:
    """A "*** ... ***" line is an editor's note."""
    item = ParsedItem(format="newsml-g2", body=blocks("*** NOTE: MACHINE TRANSLATION ***", "The text."))
    out = clean(item)
    assert out.ed_note == "NOTE: MACHINE TRANSLATION"
    assert [b.text for b in out.body] == ["The text."]


def test_editor_and_correction_notes() -> None:
    """Editor's notes and correction notes go to ed_note."""
    item = ParsedItem(
        format="nitf",
        body=blocks(
            "(Corrects spelling of the harbour's name in paragraph 2)",
            "The harbour reopened.",
            "EDITOR'S NOTE: This story contains figures from the port authority.",
        ),
    )
    out = clean(item)
    assert out.ed_note == (
        "Corrects spelling of the harbour's name in paragraph 2\nThis story contains figures from the port authority."
    )
    assert [b.text for b in out.body] == ["The harbour reopened."]


def test_repeated_headline_and_section_label_in_an_html_body() -> None:
    """A body that starts with the section label and repeats the headline loses both."""
    item = ParsedItem(
        format="html",
        agency="aa",
        headline="Ferry service resumes",
        body=blocks("World", "Ferry service resumes", "The ferry resumed on Sunday."),
    )
    out = clean(item)
    assert out.section == "World"
    assert [b.text for b in out.body] == ["The ferry resumed on Sunday."]
    assert reasons(out) == ["section-label", "repeated-headline"]


@pytest.mark.parametrize(
    ("language", "line", "source", "translator"),
    [
        ("en", "Translated from Turkish by Ayşe Kaya", "tr", "Ayşe Kaya"),
        ("fr", "* Traduit du turc par Léa Morel", "tr", "Léa Morel"),
        ("es", "*Traducido del francés por Ana Gil", "fr", "Ana Gil"),
        ("tr", "* İngilizceden çeviren: Mert Acar", "en", "Mert Acar"),
        ("de", "Aus dem Englischen übersetzt von Jan Weber", "en", "Jan Weber"),
    ],
)
def test_translation_credits_per_language(language: str, line: str, source: str, translator: str) -> None:
    """Translation credits in each language give the source language and translator."""
    item = ParsedItem(format="nitf", language=language, body=blocks("The text.", line))
    out = clean(item)
    assert out.translation == Translation(line, source, translator)
    assert out.contributors == (Party(translator, "translator"),)
    assert [b.text for b in out.body] == ["The text."]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Share this article", "share-widget"),
        ("Facebook Twitter WhatsApp", "share-widget"),
        ("Lea también:", "read-also"),
        ("İlgili Haberler", "read-also"),
        ("اقرأ أيضا", "read-also"),
        ("© 2026 Example News. All rights reserved.", "copyright"),
        ("#harbour #ferry", "hashtags"),
        ("Advertisement", "advertisement"),
        ("12.04.2026", "date-line"),
    ],
)
def test_generic_boilerplate_lines(line: str, reason: str) -> None:
    """Widgets, labels and notices are removed for any agency, with their reason."""
    item = ParsedItem(format="html", body=blocks("The ferry resumed on Sunday.", line, "It runs twice a day."))
    out = clean(item)
    assert [b.text for b in out.body] == ["The ferry resumed on Sunday.", "It runs twice a day."]
    assert out.removed == (Removed(line, reason),)


def test_copyright_line_fills_the_copyright_notice() -> None:
    """A removed copyright line becomes the notice when the source gave none."""
    item = ParsedItem(format="html", body=blocks("Text here.", "© 2026 Example News. All rights reserved."))
    assert clean(item).copyright_notice == "© 2026 Example News. All rights reserved."


def test_photo_credit_line_attaches_to_the_caption_before_it() -> None:
    """The form "Photo: X/AFP" after a caption-only picture credits that picture."""
    item = ParsedItem(
        format="html",
        associations=(Association(name="picture-1", caption="The new bridge at dusk"),),
        body=blocks("Photo: Jean Roux/AFP", "The bridge opened."),
    )
    out = clean(item)
    assert out.associations == (
        Association(name="picture-1", caption="The new bridge at dusk", credit="Jean Roux/AFP"),
    )


# ------------------------------------------------------------------ hygiene


def test_unicode_and_whitespace_normalised() -> None:
    """NFC, no-break spaces, zero-width marks and soft hyphens are normalised."""
    item = ParsedItem(
        format="html",
        headline="  Cafe\u0301   reopens\u00a0today ",
        summary="-  Owners   expect\u200b crowds",
        body=(Block("The cafe\u0301 re\u00adopened\u00a0on  Monday.\n\n\nIt has a new menu."),),
    )
    out = clean(item)
    assert out.headline == "Café reopens today"
    assert out.summary == "Owners expect crowds"
    assert [b.text for b in out.body] == ["The café reopened on Monday.", "It has a new menu."]


def test_mojibake_repaired() -> None:
    """UTF-8 read as cp1252 upstream ("CafÃ©") is repaired."""
    out = clean(ParsedItem(format="nitf", body=blocks("The CafÃ© de la Gare reopened on Monday.")))
    assert out.body[0].text == "The Café de la Gare reopened on Monday."


def test_line_breaks_in_a_paragraph_are_reflowed() -> None:
    """Wrapped lines are joined; a word hyphenated at a break is rejoined."""
    text = "The harbour authority said the ter-\nminal would reopen\nin the spring."
    assert normalise_text(text) == "The harbour authority said the terminal would reopen in the spring."
    assert normalise_text("the North-\nSouth link") == "the North-South link"


def test_preformatted_blocks_are_kept_as_they_are() -> None:
    """Tables ("pre" blocks) keep their line breaks and spacing."""
    table = "Team     P  W\nLyon     3  2\nNantes   3  1"
    out = clean(ParsedItem(format="anpa1312", body=(Block("Results:"), Block(table, "pre"))))
    assert out.body[1] == Block(table, "pre")


def test_generic_items_get_no_info_source() -> None:
    """An item of unknown agency is credited to no agency."""
    out = clean(ParsedItem(format="html", body=blocks("A quiet day at the harbour.")))
    assert out.agency is None
    assert out.info_sources == ()


def test_info_source_added_once() -> None:
    """An agency already credited as a source is not credited twice."""
    source = Party("Anadolu Agency", "source", "https://www.aa.com.tr")
    out = clean(ParsedItem(format="html", agency="aa", info_sources=(source,), body=blocks("Text.")))
    assert out.info_sources == (source,)


# ------------------------------------------------------------------ purity


ITEMS = {
    "fr-page": lambda: webtext(FR_PAGE),
    "en-page": lambda: webtext(EN_PAGE),
    "es-page": lambda: webtext(ES_PAGE),
    "tr-wrapped": lambda: webtext(TR_WRAPPED),
    "tr-page": lambda: webtext(TR_PAGE),
    "es-caption-page": lambda: webtext(ES_CAPTION_PAGE),
    "ar-flat": lambda: webtext(AR_FLAT),
    "tr-glued": lambda: webtext("Ankara Ankara Büyükşehir Belediyesi yeni hatları açtı.", (("wf_agency", b"aa"),)),
    "reuters": lambda: ParsedItem(
        format="nitf",
        agency="reuters",
        body=blocks("OSLO, March 3 (Reuters) - Fees rose.", "(Reporting by Kari Nordmann)", "Reuter"),
    ),
}


@pytest.mark.parametrize("name", list(ITEMS))
def test_clean_is_idempotent(name: str) -> None:
    """Cleaning a cleaned item changes nothing."""
    once = clean(ITEMS[name]())
    assert clean(once) == once


def test_glued_city_repeated_in_the_lead_is_stripped_once() -> None:
    """In "Ankara Ankara Büyükşehir ..." the dateline goes and the lead's own "Ankara" stays."""
    out = clean(ITEMS["tr-glued"]())
    assert out.body[0].text == "Ankara Büyükşehir Belediyesi yeni hatları açtı."
    assert out.dateline == Dateline("Ankara", "Ankara", None, None)


def test_clean_does_not_mutate_its_input() -> None:
    """The stage returns a new item; the input is unchanged."""
    item = webtext(FR_PAGE)
    before = repr(item)
    clean(item)
    assert repr(item) == before


# ------------------------------------------------------------------ text normalisation

MOJIBAKE = {
    "fr": "Le café de la gare a rouvert après les travaux.",
    "tr": "İstanbul'da yeni köprü açıldı ve trafiğe girdi.",
    "de": "Die Brücke über die Mündung öffnet im März.",
    "es": "El niño visitó la exposición del señor García.",
    "ru": "Новый мост через реку открыли в пятницу.",
    "ar": "افتتح جسر جديد في المدينة يوم الجمعة.",
}


# cp1252 cannot even misread Cyrillic or Arabic UTF-8 (undefined bytes); latin-1 can
MISREAD = [(lang, "latin-1") for lang in MOJIBAKE] + [(lang, "cp1252") for lang in ("fr", "tr", "de", "es")]


@pytest.mark.parametrize(("language", "codec"), MISREAD)
def test_mojibake_repaired_in_every_script(language: str, codec: str) -> None:
    """UTF-8 read upstream as cp1252 or latin-1 is repaired, whatever the script."""
    text = MOJIBAKE[language]
    garbled = text.encode("utf-8").decode(codec)
    assert garbled != text
    out = clean(ParsedItem(format="nitf", language=language, headline=garbled, body=blocks("1.")))
    assert out.headline == text
    out = clean(ParsedItem(format="nitf", language=language, body=blocks(garbled)))
    assert out.body[0].text == text


@pytest.mark.parametrize(
    "text", ["Ça coûte 5 € à Paris.", "Âge moyen : 42 ans.", "Ñandú en Córdoba.", "Æsop met Ørsted."]
)
def test_correct_accents_are_not_repaired(text: str) -> None:
    """Text that only looks unusual (capitals with accents, the euro sign) is left as it is."""
    assert normalise_text(text) == text


def test_decomposed_accents_are_composed() -> None:
    """NFC: a letter and a combining accent become one character, in every field."""
    out = clean(ParsedItem(format="html", headline="Sa\u0303o Paulo", body=blocks("Sa\u0303o Paulo e\u0301lit.")))
    assert out.headline == "São Paulo"
    assert out.body[0].text == "São Paulo élit."


@pytest.mark.parametrize(
    ("language", "printed", "shown"),
    [
        (
            "en",
            'The mayor said "the bridge opens on Monday" and left.',
            "The mayor said “the bridge opens on Monday” and left.",
        ),
        ("fr", 'Le maire a déclaré "le pont ouvre lundi".', "Le maire a déclaré «\u00a0le pont ouvre lundi\u00a0»."),
        (
            "de",
            'Der Bürgermeister sagte: "Die Brücke öffnet am Montag."',
            "Der Bürgermeister sagte: „Die Brücke öffnet am Montag.“",
        ),
        ("es", 'El alcalde dijo que "el puente abre el lunes".', "El alcalde dijo que «el puente abre el lunes»."),
        ("tr", 'Vali, "Köprü pazartesi açılıyor" dedi.', "Vali, “Köprü pazartesi açılıyor” dedi."),
        ("tr", '"Kuzey Köprüsü"nün açılışı yapıldı.', "“Kuzey Köprüsü”nün açılışı yapıldı."),
        (
            "en-GB",
            '"We are ready," she said. "The ferry sails at nine."',
            "“We are ready,” she said. “The ferry sails at nine.”",
        ),
    ],
)
def test_straight_quotes_become_the_languages_quotes(language: str, printed: str, shown: str) -> None:
    """Straight double quotes are printed as the language prints them; cleaning again changes nothing."""
    out = clean(ParsedItem(format="nitf", language=language, headline=printed, body=blocks("One.", f"{printed} Two.")))
    assert out.body[1].text == f"{shown} Two."
    assert out.headline == shown
    assert clean(out) == out


@pytest.mark.parametrize(
    "text",
    [
        "It's the town's “new” bridge, l'ouvrage d'art.",  # typographic already; apostrophes
        'The pipe is 12" wide and the beam 8" long.',  # inch marks
        'He said"no"to the plan.',  # glued on both sides: unclear
    ],
)
def test_quotes_left_alone_when_typographic_or_unclear(text: str) -> None:
    """Typographic quotes, apostrophes and straight quotes whose role is unclear are not changed."""
    assert typographic_quotes(text, ("“", "”")) == text


def test_quotes_of_an_unknown_language_are_left_alone() -> None:
    """Without a language there is no convention to apply."""
    out = clean(ParsedItem(format="html", body=blocks('The mayor said "yes".')))
    assert out.body[0].text == 'The mayor said "yes".'


def test_french_guillemets_get_no_break_spaces() -> None:
    """French guillemets the source printed with plain spaces, or none, get no-break spaces inside."""
    out = clean(ParsedItem(format="nitf", language="fr", body=blocks("Il a dit « oui » puis «non».")))
    assert out.body[0].text == "Il a dit «\u00a0oui\u00a0» puis «\u00a0non\u00a0»."
    assert clean(out) == out


def test_quotation_running_into_the_next_paragraph() -> None:
    """An opening quote left open at a paragraph's end (the next paragraph continues it) is converted."""
    out = clean(
        ParsedItem(format="nitf", language="en", body=blocks('"We will rebuild the pier.', '"It will take a year."'))
    )
    assert [b.text for b in out.body] == ["“We will rebuild the pier.", "“It will take a year.”"]


@pytest.mark.parametrize(
    ("wrapped", "joined"),
    [
        ("The inter-\nnational ferry resumed.", "The international ferry resumed."),
        ("Der Schiffs-\nverkehr ruht.", "Der Schiffsverkehr ruht."),
        ("Vali görüş-\nmede konuştu.", "Vali görüşmede konuştu."),
        ("the North-\nSouth link", "the North-South link"),
        ("a long-term plan: the long-\nterm budget", "a long-term plan: the long-term budget"),
        ("the 2026-\n2027 season", "the 2026-\n2027 season".replace("\n", " ")),
    ],
)
def test_hyphenation_at_line_breaks(wrapped: str, joined: str) -> None:
    """A word split at a line break is one again; a compound printed with its hyphen elsewhere keeps it."""
    out = clean(ParsedItem(format="iptc7901", body=(Block(wrapped),)))
    assert out.body[0].text == joined


def test_hyphen_kept_when_the_item_prints_the_compound_elsewhere() -> None:
    """The evidence may be in another paragraph of the same item."""
    item = ParsedItem(format="anpa1312", body=blocks("A well-known harbour.", "The well-\nknown pier reopened."))
    assert clean(item).body[1].text == "The well-known pier reopened."


@pytest.mark.parametrize(
    ("glued", "apart"),
    [
        ("The council met on Monday.The mayor spoke first.", "The council met on Monday. The mayor spoke first."),
        ("Vali açıklama yaptı.Bakan da konuştu.", "Vali açıklama yaptı. Bakan da konuştu."),
        ('He said it was over."Next year we build."', 'He said it was over." Next year we build."'),
        ("Le maire a parlé!Les élus ont applaudi.", "Le maire a parlé! Les élus ont applaudi."),
    ],
)
def test_sentences_glued_at_a_lost_line_break_are_set_apart(glued: str, apart: str) -> None:
    """A sentence end followed with no space by a capitalised word gets its space back."""
    assert unglue(glued) == apart


@pytest.mark.parametrize(
    "text",
    [
        "the U.S.Army base",
        "see aa.com.tr/en for more",
        "St.Louis and Mt.Vernon",
        "version 2.Final",
        "write to x@news.Example",
    ],
)
def test_abbreviations_domains_and_initials_stay_glued(text: str) -> None:
    """Initials, abbreviations, numbers, domains and addresses are not split."""
    assert unglue(text) == text


FLAT = (
    "Belediye Başkanı Ayşe Demir, yeni iskelenin haziran ayında açılacağını söyledi. "
    'Demir, "İskele tamamlandığında günde 40 sefer yapılacak. Yolcular beklemeden geçecek." dedi. '
    "Prof. Dr. Kemal Aksoy da projenin kıyı ekosistemine zarar vermeyeceğini belirtti. "
    "Çalışmalar 14. haftasında sürüyor ve 120 işçi görev yapıyor. "
    "İskelenin maliyeti 85 milyon lira olarak açıklandı. "
    "Yetkililer, kış aylarında da seferlerin aksamayacağını ifade etti. "
    "Liman idaresi, yeni hattın balıkçı teknelerini etkilemeyeceğini duyurdu. "
    "Açılış törenine bakanların da katılması bekleniyor. "
    "Vatandaşlar ise iskelenin otopark sorununu çözmesini umuyor. "
    "Bölgedeki esnaf, yeni hattın turizmi canlandıracağını düşünüyor."
)


def test_flattened_text_is_cut_into_paragraphs_of_whole_sentences() -> None:
    """One long block that lost its paragraph breaks is re-built from whole sentences, no text lost."""
    out = clean(ParsedItem(format="webtext", language="tr", body=(Block(FLAT),)))
    paragraphs = [b.text for b in out.body]
    # each closes at the first sentence end past 250 characters: never inside the
    # quotation, never after "Prof." / "Dr." or the ordinal "14."
    assert [p[:24] for p in paragraphs] == [
        "Belediye Başkanı Ayşe De",
        "Çalışmalar 14. haftasınd",
        "Açılış törenine bakanlar",
    ]
    assert " ".join(paragraphs) == typographic_quotes(FLAT, ("“", "”"))
    assert clean(out) == out


@pytest.mark.parametrize(
    ("fmt", "texts"),
    [
        ("webtext", ("Kısa giriş.", FLAT, "Bir paragraf daha.", "Son paragraf.")),  # paragraphs kept
        ("nitf", (FLAT,)),  # markup marks its paragraphs, a long one included
        ("html", (FLAT, "Son paragraf.")),
    ],
)
def test_paragraphs_the_source_marked_are_not_cut(fmt: str, texts: tuple[str, ...]) -> None:
    """Only plain text that lost its breaks is re-built; a body with its paragraphs keeps them, however long."""
    out = clean(ParsedItem(format=fmt, body=blocks(*texts)))
    assert [b.text for b in out.body] == list(texts)


def test_split_flattened_keeps_short_text_whole() -> None:
    """Text shorter than a flattened page is one paragraph."""
    assert split_flattened("Kısa bir metin. İkinci cümle.") == ["Kısa bir metin. İkinci cümle."]


# ------------------------------------------------------------------ datelines, every format


def test_efe_dateline_gives_place_region_and_printed_date() -> None:
    """ "Cartagena de Indias (Colombia), 14 abr (EFE).-" : place, region, printed date; the field's timestamp yields."""
    item = ParsedItem(
        format="nitf",
        agency="efe",
        dateline=Dateline("20260414T163500+0000", date_text="20260414T163500+0000"),
        body=blocks("Cartagena de Indias (Colombia), 14 abr (EFE).- El muelle nuevo abrió el martes.", "Más texto."),
    )
    out = clean(item)
    assert out.dateline == Dateline(
        "Cartagena de Indias (Colombia), 14 abr (EFE).-", "Cartagena de Indias", "EFE", "14 abr", "Colombia"
    )
    assert out.body[0].text == "El muelle nuevo abrió el martes."


@pytest.mark.parametrize(
    ("lead", "dateline", "agency"),
    [
        ("PERTH, Feb 10 AAP - The beach reopened.", Dateline("PERTH, Feb 10 AAP -", "PERTH", "AAP", "Feb 10"), "aap"),
        (
            "NAMUR 26/02 (BELGA) – Le pont a rouvert.",
            Dateline("NAMUR 26/02 (BELGA) –", "NAMUR", "BELGA", "26/02"),
            "belga",
        ),
        ("Graz (APA) - Die Brücke ist offen.", Dateline("Graz (APA) -", "Graz", "APA", None), "apa"),
        ("Porto, 3 mar (Lusa) - A ponte reabriu.", Dateline("Porto, 3 mar (Lusa) -", "Porto", "Lusa", "3 mar"), "lusa"),
        ("FARGO, N.D. (AP) — The road reopened.", Dateline("FARGO, N.D. (AP) —", "FARGO", "AP", None, "N.D."), "ap"),
    ],
    ids=["ninjs-aap", "ninjs-belga", "atom-apa", "lusa", "html-ap-region"],
)
def test_dateline_of_a_json_or_feed_body_goes_to_the_dateline(lead: str, dateline: Dateline, agency: str) -> None:
    """Bodies of ninjs, feeds and pages lose their printed dateline to ``dateline``; the agency is recognised."""
    out = clean(ParsedItem(format="ninjs", body=blocks(lead, "More text.")))
    assert out.dateline == dateline
    assert out.agency == agency
    assert Removed(dateline.raw, "dateline") in out.removed


def test_region_inside_a_parsers_place_is_split_off() -> None:
    """A place field "OAKLAND, N.J." (Reuters-21578) becomes place "OAKLAND" and region "N.J."; raw stays printed."""
    printed = "    OAKLAND , N.J., March 2 - "
    item = ParsedItem(
        format="reuters21578",
        agency="reuters",
        dateline=Dateline(printed, "OAKLAND, N.J.", None, "March 2"),
        body=blocks("The company said it would appeal."),
    )
    assert clean(item).dateline == Dateline(printed, "OAKLAND", None, "March 2", "N.J.")


def test_desk_initials_in_the_byline_field_are_no_author() -> None:
    """An EFE byline field holding the desk's initials leaves ``by`` empty and is recorded."""
    out = clean(ParsedItem(format="nitf", agency="efe", byline="abc/def/ghi", body=blocks("Texto.")))
    assert out.byline is None
    assert out.removed == (Removed("abc/def/ghi", "desk-initials"),)
    kept = clean(ParsedItem(format="nitf", agency="efe", byline="Ana Gil", body=blocks("Texto.")))
    assert kept.byline == "Ana Gil"


def test_ap_reported_from_line_at_the_end_credits_contributors() -> None:
    """ "Roe reported from Paris. AP writer X contributed." ending the story is a credit line."""
    last = (
        "Roe reported from Boston and Lee-Park from Denver. Associated Press writers Ana Ruiz in Austin, "
        "Texas, and Tom Hale in Miami contributed to this report."
    )
    out = clean(ParsedItem(format="html", agency="ap", body=blocks("The bridge reopened.", last)))
    assert [b.text for b in out.body] == ["The bridge reopened."]
    assert out.contributors == (Party("Ana Ruiz", "contributor"), Party("Tom Hale", "contributor"))
    news = clean(ParsedItem(format="html", agency="ap", body=blocks("The network reported from Kyiv.", "More.")))
    assert len(news.body) == 2


# ------------------------------------------------------------------ AA furniture in every edition

AA_FURNITURE = [
    # share widgets
    ("tr", "Bu haberi paylaşın", "share-widget"),
    ("en", "Share this news", "share-widget"),
    ("fr", "Partager cette actualité", "share-widget"),
    ("es", "Comparte esta noticia", "share-widget"),
    ("ar", "شارك هذا الخبر", "share-widget"),
    ("ru", "Поделиться этой новостью", "share-widget"),
    ("bs", "Podijeli ovu vijest", "share-widget"),
    ("mk", "Сподели ја веста", "share-widget"),
    ("id", "Bagikan berita ini", "share-widget"),
    ("fa", "این خبر را به اشتراک بگذارید", "share-widget"),
    ("ku", "Vê nûçeyê parve bike", "share-widget"),
    ("de", "Diese Nachricht teilen", "share-widget"),
    # "read also" / related links
    ("tr", "İlgili Haberler", "read-also"),
    ("en", "Related news", "read-also"),
    ("fr", "À lire aussi", "read-also"),
    ("es", "Noticias relacionadas", "read-also"),
    ("ar", "أخبار ذات صلة", "read-also"),
    ("ru", "Читайте также", "read-also"),
    ("bs", "Povezane vijesti", "read-also"),
    ("mk", "Поврзани вести", "read-also"),
    ("id", "Baca juga", "read-also"),
    ("fa", "اخبار مرتبط", "read-also"),
    ("ku", "Nûçeyên têkildar", "read-also"),
    ("de", "Lesen Sie auch", "read-also"),
    ("en", "Read also: Ferry fares to rise in spring", "related-link"),
    ("id", "Baca juga: Jembatan baru dibuka di Medan", "related-link"),
    # tag-list labels
    ("tr", "İlgili konular", "tags"),
    ("en", "Related topics", "tags"),
    ("fr", "Sujets liés", "tags"),
    ("es", "Temas relacionados", "tags"),
    ("ru", "Похожие темы", "tags"),
    ("bs", "Povezane teme", "tags"),
    ("mk", "Поврзани теми", "tags"),
    ("id", "Topik terkait", "tags"),
    ("fa", "موضوعات مرتبط", "tags"),
    ("ku", "Mijarên têkildar", "tags"),
    ("de", "Verwandte Themen", "tags"),
    ("ar", "الكلمات المفتاحية", "tags"),
    # the subscription notice (own wording) and "contact us to subscribe"
    ("en", "The Anadolu Agency website carries only some of the stories sent to subscribers.", "subscription-notice"),
    (
        "fr",
        "Le site de l'Agence Anadolu présente uniquement une sélection des dépêches des abonnés.",
        "subscription-notice",
    ),
    (
        "es",
        "La web de la Agencia Anadolu publica solo una parte de las noticias para suscriptores.",
        "subscription-notice",
    ),
    (
        "tr",
        "Anadolu Ajansı internet sitesinde abonelere sunulan haberlerin yalnızca bir bölümü yer alır.",
        "subscription-notice",
    ),
    ("bs", "Web stranica Anadolu Agency donosi samo dio vijesti namijenjenih pretplatnicima.", "subscription-notice"),
    ("de", "Die Website der Anadolu Agentur zeigt nur einen Teil der Meldungen für Abonnenten.", "subscription-notice"),
    ("ru", "Сайт агентства Анадолу показывает лишь часть новостей для подписчиков.", "subscription-notice"),
    ("id", "Situs Anadolu Agency hanya memuat sebagian berita untuk pelanggan.", "subscription-notice"),
    ("mk", "Веб-страницата на Анадолу објавува само дел од вестите за претплатниците.", "subscription-notice"),
    ("fa", "وب‌سایت آناتولی فقط بخشی از اخبار مشترکان را منتشر می‌کند.", "subscription-notice"),
    ("ar", "ينشر موقع الأناضول فقط جزءا من الأخبار المقدمة للمشتركين.", "subscription-notice"),
    ("ku", "Malpera Ajansa Anadolu tenê beşek ji nûçeyên aboneyan diweşîne.", "subscription-notice"),
    ("en", "Stories on the AA News Broadcasting System (HAS) go to subscribers in full.", "subscription-notice"),
    ("ar", "للاشتراك يرجى التواصل معنا.", "subscription-notice"),
    ("ru", "Для оформления подписки свяжитесь с нами.", "subscription-notice"),
    ("bs", "Za pretplatu nas kontaktirajte.", "subscription-notice"),
    ("mk", "За претплата контактирајте не.", "subscription-notice"),
    ("id", "Silakan hubungi kami untuk berlangganan.", "subscription-notice"),
    ("fa", "برای اشتراک با ما تماس بگیرید.", "subscription-notice"),
    ("ku", "Ji bo abonetiyê bi me re têkilî daynin.", "subscription-notice"),
    ("de", "Für ein Abonnement kontaktieren Sie uns.", "subscription-notice"),
    # copyright, navigation, tickers, comment policies, hashtags
    ("tr", "© 2026 Anadolu Ajansı. Her hakkı saklıdır.", "copyright"),
    ("en", "Copyright Anadolu Agency 2026", "copyright"),
    ("tr", "Ana Sayfa | Gündem | Dünya | Ekonomi", "navigation"),
    ("en", "Home World Economy Sports", "navigation"),
    ("bs", "Početna Svijet Balkan Ekonomija", "navigation"),
    ("id", "Beranda · Dunia · Ekonomi · Olahraga", "navigation"),
    ("tr", "SON DAKİKA", "ticker"),
    ("en", "BREAKING | Ferry services suspended on the Bosphorus", "ticker"),
    ("ar", "عاجل", "ticker"),
    ("en", "Comments are moderated according to our community guidelines.", "comment-policy"),
    ("tr", "Yorumlarınız editör onayından sonra yayımlanır; hakaret içeren yorumlar onaylanmaz.", "comment-policy"),
    ("de", "Kommentare werden moderiert.", "comment-policy"),
    ("tr", "#Trabzon #kar", "hashtags"),
]


@pytest.mark.parametrize(
    ("language", "line", "reason"), AA_FURNITURE, ids=[f"{x[0]}-{x[2]}-{n}" for n, x in enumerate(AA_FURNITURE)]
)
def test_aa_furniture_removed_in_every_edition(language: str, line: str, reason: str) -> None:
    """The site's fixed labels and notices leave an AA body, in each language AA publishes in."""
    item = ParsedItem(
        format="webtext", agency="aa", language=language, body=blocks("Birinci paragraf.", line, "Son paragraf.")
    )
    out = clean(item)
    assert [b.text for b in out.body] == ["Birinci paragraf.", "Son paragraf."]
    assert out.removed == (Removed(line, reason),)


@pytest.mark.parametrize(
    "line",
    [
        "Investors share the view that rates will fall.",
        "Doğu Anadolu'da yalnızca 300 abone elektriksiz kaldı.",
        "Home sales rose in the world economy, sports clubs said.",
        "The minister read also the second report.",
        "Breaking the record took her four years.",
    ],
)
def test_sentences_that_look_like_labels_stay(line: str) -> None:
    """Prose with a label's words in it is news, not furniture."""
    item = ParsedItem(format="webtext", agency="aa", body=blocks("First.", line, "Last."))
    assert [b.text for b in clean(item).body] == ["First.", line, "Last."]


def test_hashtags_injected_after_the_last_sentence_are_removed() -> None:
    """Hashtags glued after a paragraph's last sentence go; a hashtag inside a sentence stays."""
    item = ParsedItem(
        format="webtext",
        agency="aa",
        body=blocks("Seferler yeniden başladı. #İstanbul #vapur", "Kampanya #SahilTemiz etiketiyle sürüyor."),
    )
    out = clean(item)
    assert [b.text for b in out.body] == ["Seferler yeniden başladı.", "Kampanya #SahilTemiz etiketiyle sürüyor."]
    assert out.removed == (Removed("#İstanbul #vapur", "hashtags"),)


# ------------------------------------------------------------------ the sample firehose

SAMPLES = Path(__file__).resolve().parents[3] / "samples" / "firehose"
MANIFEST = [m for m in json.loads((SAMPLES / "MANIFEST.json").read_text(encoding="utf-8")) if m["expect"] == "article"]


@pytest.mark.parametrize("entry", MANIFEST, ids=[m["file"] for m in MANIFEST])
def test_sample_dispatch_cleans_to_its_manifest(entry: dict) -> None:
    """Parse + clean of every sample article gives the manifest's headline, dateline place, byline and body."""
    source = next(iter_dispatches([str(SAMPLES / entry["file"])]))
    items = [clean(item) for item in parse_dispatch(source.raw())]
    assert len(items) == entry["items"]
    item = items[0]
    assert item.agency == entry["agency"]
    assert item.headline == entry["headline"]
    assert (item.dateline.place if item.dateline else None) == entry["dateline_place"]
    if item.type == "text":  # a picture's byline is its creator, from the item's metadata
        assert item.byline == entry["byline"]
    if "body_paragraphs" in entry:
        assert len(item.body) == entry["body_paragraphs"]
        assert item.body[0].text.startswith(entry["body_starts"])
        assert item.body[-1].text.endswith(entry["body_ends"])
    if item.body:
        # nothing of the furniture the manifest notes is left at either end
        assert not match_dateline(item.body[0].text, get_profile(item.agency))
        assert item.body[-1].text not in ("ENDS", "ends")
    assert clean(item) == item


def test_an_alert_whose_body_is_its_headline_keeps_its_body() -> None:
    """A one-line alert is not emptied by the repeated-headline rule; longer bodies still lose the repeat."""
    from pipeline.records import Block, ParsedItem
    from pipeline.stages.clean import clean

    alert = ParsedItem(
        format="anpa1312",
        headline="Quake of magnitude 6.1 shakes coastal town",
        body=(Block("Quake of magnitude 6.1 shakes coastal town"),),
    )
    assert [b.text for b in clean(alert).body] == ["Quake of magnitude 6.1 shakes coastal town"]
    story = ParsedItem(
        format="anpa1312",
        headline="Quake of magnitude 6.1 shakes coastal town",
        body=(
            Block("Quake of magnitude 6.1 shakes coastal town"),
            Block("No damage was reported in the first hours after the tremor."),
        ),
    )
    assert [b.text for b in clean(story).body] == ["No damage was reported in the first hours after the tremor."]


def test_picture_credit_glued_after_the_last_sentence_goes() -> None:
    """ "... at noon. Photo by Jane Roe": the credit becomes the picture's, the text keeps its sentences."""
    item = clean(
        ParsedItem(
            format="webtext",
            body=blocks("Fishermen unload the morning catch at the harbour of Portville on Monday. Photo by Jane Roe"),
        )
    )
    assert [b.text for b in item.body] == ["Fishermen unload the morning catch at the harbour of Portville on Monday."]
    assert Removed("Photo by Jane Roe", "photo-credit") in item.removed
    assert [a.credit for a in item.associations] == ["Jane Roe"]


@pytest.mark.parametrize("label", ["Lire aussi :", "Read also", "Leggi anche", "Ayrıca bakınız"])
def test_another_story_after_a_read_also_label_is_cut(label: str) -> None:
    """A related story's text under a "read also" label, with its own dateline, is not the article's."""
    item = clean(
        ParsedItem(
            format="webtext",
            body=blocks(
                "PORTVILLE, 12 janvier (Xinhua) -- Le conseil municipal a approuvé mardi le budget du port.",
                "Le maire a annoncé que le terminal des ferries ouvrirait au printemps.",
                label,
                "PORTVILLE, 11 janvier (Xinhua) -- Les pêcheurs du port ont manifesté lundi devant la mairie.",
                "Ils demandent une baisse des taxes.",
            ),
        )
    )
    assert [b.text[:12] for b in item.body] == ["Le conseil m", "Le maire a a"]
    assert [r.reason for r in item.removed][-3:] == ["other-story", "other-story", "dateline"]


def test_a_read_also_label_before_a_title_only_takes_the_list() -> None:
    """Without a dateline after it, a "read also" label opens a list of titles, not another story."""
    item = clean(
        ParsedItem(
            format="webtext",
            body=blocks(
                "The council approved the harbour budget on Tuesday after a long debate.",
                "The mayor said the ferry terminal would open in the spring.",
                "Read also",
                "Mayor opens the new bridge",
            ),
        )
    )
    assert [b.text[:12] for b in item.body] == ["The council ", "The mayor sa"]
    assert "other-story" not in reasons(item)


@pytest.mark.parametrize(
    ("intro", "credit"),
    [
        ("The following is the latest list of selected news summaries by Kyodo News.", "kyodo"),
        ("The following is the third summary of major stories moved by Yonhap News Agency on Tuesday.", "yonhap"),
    ],
)
def test_an_agency_digest_opening_formula_goes(intro: str, credit: str) -> None:
    """A digest's fixed opening line is the agency's standard wording (its profile): the line goes."""
    item = clean(
        webtext(
            "Harbour News Summary\n\n"
            f"{intro}\n\n"
            "Council approves the harbour budget\n\n"
            "PORTVILLE -- The council approved the harbour budget on Tuesday after a debate of several hours.\n\n"
            "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n"
        )
    )
    assert item.agency == credit
    assert Removed(intro, "digest-intro") in item.removed
    assert all(intro not in b.text for b in item.body)


def test_aa_notice_in_its_own_words_names_the_agency() -> None:
    """AA's notice that its site carries part of the wire, cut short in any edition, identifies AA and goes."""
    notice = "На сайте агентства «Анадолу» публикуется лишь часть новостей ленты,"
    item = clean(
        webtext(
            "Совет одобрил бюджет порта\n\n"
            "Городской совет во вторник одобрил бюджет порта после долгих обсуждений, сообщил мэр.\n\n"
            "По словам мэра, деньги на паромный терминал поступят из регионального фонда.\n\n"
            f"{notice}\n"
        )
    )
    assert item.agency == "aa"
    assert Removed(notice, "subscription-notice") in item.removed


LINES = [
    "Share this article",
    "(Reporting by Jane Roe; Editing by John Doe)",
    "© 2024 Reuters. All rights reserved.",
    "Photo: AFP",
    "Translated from French by Jean Dupont.",
    "EDITOR'S NOTE: this story has been updated",
    "#news #world",
    "The minister said on Tuesday the talks would resume next week.",
    "ANKARA",
    "Facebook Twitter WhatsApp",
]


@pytest.mark.parametrize("language", [None, "en", "fr", "tr", "ar"])
def test_line_screen_matches_every_line_a_line_rule_matches(language: str | None) -> None:
    """The joined screen of the line rules fullmatches a line whenever one of their patterns does."""
    from pipeline.profiles import all_profiles, get_profile
    from pipeline.stages.clean import _LINE_RULES, _line_screen

    for profile in (*all_profiles(), get_profile("generic")):
        screen = _line_screen(profile, language)
        assert screen is not None
        patterns = [
            p for kind, mode in _LINE_RULES for p in profile.patterns(kind, language) if mode is None or p.mode == mode
        ]
        for line in LINES:
            assert bool(screen.fullmatch(line)) == any(p.regex.fullmatch(line) for p in patterns), (profile.id, line)


@pytest.mark.parametrize(
    ("pattern", "chars"),
    [
        (r"(?:pic\.twitter\.com/\w+\s*)?[—–] ?x", {"—", "–"}),  # the optional part proves nothing
        (r"#\w+|@\w+", {"#", "@"}),  # one per branch
        (r"(?i:share)\s*:", {":"}),  # case-insensitive letters are not one character
        (r"(?:ab)?c*", None),  # nothing a match must hold
        (r"(?<=\{)x+", {"x"}),  # a lookbehind is not part of the match
    ],
    ids=["optional", "branches", "ignore-case", "nothing", "lookbehind"],
)
def test_needed_chars_are_what_every_match_holds(pattern: str, chars: set[str] | None) -> None:
    """needed_chars gives a set one of whose characters every match of the pattern holds."""
    found = needed_chars(re.compile(pattern))
    assert (set(found) if found is not None else None) == chars
