"""The web-text parser: sniffing, header-zone segmentation, re-flowing wrapped text.

The pages below are invented (invented events and people, real places), written in the
shape Anadolu Agency pages take when scraped to text, in French, English, Spanish,
Turkish and Arabic.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import DecodeError, EmptyDispatchError
from pipeline.parsers.base import load_all
from pipeline.parsers.webtext import WebTextParser, segment
from pipeline.records import Association, Dateline, Removed, When
from pipeline.stages.clean import clean

PARSER = WebTextParser()

FR_PAGE = """Monde

Un festival de cerfs-volants réunit des équipes de douze pays à Lyon

- Les organisateurs attendent quarante mille visiteurs sur trois jours

Camille Garnier   | 05.03.2026
Un festival de cerfs-volants réunit des équipes de douze pays à Lyon

Parc de la Tête d'Or

AA / Lyon

Le festival international de cerfs-volants s'est ouvert jeudi au parc de la Tête d'Or.

Douze équipes venues de trois continents présentent leurs créations jusqu'à samedi.

Les organisateurs ont prévu des ateliers pour les enfants chaque après-midi.


* Traduit de l'anglais par Paul Martin

Seulement une partie des dépêches de l'agence paraît sur ce site ; le service complet (HAS) est réservé aux abonnés.
A Lire\u00a0Aussi
Bu haberi paylaşın
"""

EN_PAGE = """World

Ferry service between two Aegean islands resumes after winter break

- Operators add an evening crossing for the summer season
- Tickets go on sale online next week

Deniz Aydın  | 12.04.2026
Ferry service between two Aegean islands resumes after winter break

IZMIR

The ferry link between the two islands resumed on Sunday after a four-month winter pause.

Operators said an evening crossing would be added from June.

*Writing by Jane Roe

Anadolu Agency website contains only a portion of the news its subscribers receive on the wire (HAS).
"""

ES_PAGE = """Mundo

Una feria del libro en Valparaíso bate su récord de visitantes

María Soto   | 20.11.2026
Una feria del libro en Valparaíso bate su récord de visitantes

Puerto de Valparaíso

AA / Valparaíso

La feria del libro cerró el domingo con más visitantes que en cualquier edición anterior.

Los organizadores anunciaron que la próxima edición durará una semana.

*Traducido del inglés por Carlos Ruiz
"""

# Turkish page: the standfirst is a sentence without a bullet, the byline carries an update
# date, the city stands alone on a line; tags follow an "İlgili konular" label.
TR_PAGE = """Ekonomi

Bursa'da yeni teleferik hattı yaz sezonunda hizmete girecek

Hattın tamamlanmasıyla kent merkezinden zirveye ulaşım süresi 20 dakikaya inecek.

Elif Şahin Korkmaz  | 02.05.2026 - Güncelleme : 03.05.2026
Bursa

Bursa'da yapımı süren yeni teleferik hattının haziran sonunda hizmete girmesi planlanıyor.

Belediye yetkilileri, hattın saatte bin 200 yolcu taşıyacağını bildirdi.

Fotoğraf : Murat Ekinci/AA

Hat, kış aylarında kayak merkezine ulaşımı da kolaylaştıracak.

AA Haber Akış Sistemi (HAS) ile abonelere iletilen haberlerin yalnızca bir bölümü bu sitede yer alır.
Abone olmak için bizimle iletişime geçebilirsiniz.
İlgili konular
Bursa
teleferik
Bu haberi paylaşın
"""

# Spanish page whose photo caption repeats the title with the photographer, and whose
# caption is a place name printed just above the dateline line.
ES_CAPTION_PAGE = """Américas

Bogotá inaugura un corredor verde de doce kilómetros

Lucía Herrera Gómez  | 09.06.2026
Bogotá inaugura un corredor verde de doce kilómetros Lucía Herrera Gómez - AA

Bogotá

BOGOTÁ, Colombia

El corredor verde une el centro de la ciudad con el parque Simón Bolívar.

La alcaldía prevé plantar tres mil árboles a lo largo del recorrido.

Lea también
Medellín amplía su red de ciclovías
Cali abre un nuevo parque lineal
Bu haberi paylaşın
"""

# Hard-wrapped reprint, dateline in the lead, dash subheadings.
TR_WRAPPED = """ANKARA (A.A) - Kentte yeni açılan bilim müzesi ilk haftasında binlerce
ziyaretçiyi ağırladı ve müze yönetimi ziyaret saatlerini uzatma kararı
aldı. Müzede çocuklar için hazırlanan atölyeler büyük ilgi gördü.
Müze müdürü, hafta sonları için ek rehberli turlar düzenleneceğini ve okul
gruplarının randevu sistemiyle kabul edileceğini açıkladı.
-Yeni salonlar-
Gelecek yıl iki yeni sergi salonunun açılması planlanıyor. Salonlarda gök-
bilim ve deniz canlıları üzerine etkileşimli düzenekler yer alacak ve
ziyaretçiler deneyleri kendileri yapabilecek.
"""

AR_FLAT = "إسطنبول/ أحمد يلماز/ الأناضول افتتح معرض جديد للكتاب في المدينة يوم الأحد بمشاركة مئة دار نشر."


def parse_one(text: str | bytes, headers: tuple[tuple[str, bytes], ...] = ()):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    items = PARSER.parse(raw, headers)
    assert len(items) == 1
    return items[0]


# ------------------------------------------------------------------ sniffing


@pytest.mark.parametrize(
    "raw",
    [FR_PAGE.encode(), TR_WRAPPED.encode(), AR_FLAT.encode(), b"Plain words in a line of text."],
    ids=["fr-page", "tr-wrapped", "ar-flat", "plain"],
)
def test_can_parse_plain_text(raw: bytes) -> None:
    """Decodable text with a few words is claimed."""
    assert PARSER.can_parse(raw, ())


@pytest.mark.parametrize(
    "raw",
    [
        b'<?xml version="1.0"?><nitf><body/></nitf>',
        b"<!DOCTYPE html><html><body><p>Hello there world</p></body></html>",
        b'  {"headline": "Hello there world", "body_text": "x"}',
        b'[{"uri": "a"}]',
        b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n<REUTERS NEWID="1"><TEXT>Some words here</TEXT></REUTERS>',
        b"\x01\x02ZCZC dpa0001 4 pl 123 dpa\r\nSome words of a wire story\r\n\x03\x04",
        b"\x16\x16\x01a0001 r AM-Story 0123\x02Some words of a wire story\x03",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
        bytes(range(256)) * 4,
        b"",
        b"two words",
    ],
    ids=[
        "xml",
        "html",
        "json-object",
        "json-array",
        "sgml",
        "iptc7901",
        "anpa",
        "gzip",
        "binary",
        "empty",
        "too-short",
    ],
)
def test_can_parse_refuses_other_formats(raw: bytes) -> None:
    """Markup, JSON, teletype framing, archives, binary and near-empty bytes are not web text."""
    assert not PARSER.can_parse(raw, ())


def test_registered_as_the_plain_text_fallback() -> None:
    """The registry knows the parser as "webtext", tried after every specific format."""
    registry = load_all()
    parser = registry.get("webtext")
    assert isinstance(parser, WebTextParser)
    assert parser.priority == 900 == max(registry.get(n).priority for n in registry.names())
    assert registry.detect(FR_PAGE.encode(), (("content-type", b"text/plain; charset=utf-8"),)) is parser


# ------------------------------------------------------------------ the header zone


def test_french_page_header_zone() -> None:
    """Section, headline, standfirst, byline | date, caption and dateline line are separated."""
    item = parse_one(FR_PAGE)
    assert item.format == "webtext"
    assert item.agency == "aa"
    assert item.section == "Monde"
    assert item.headline == "Un festival de cerfs-volants réunit des équipes de douze pays à Lyon"
    assert item.summary == "Les organisateurs attendent quarante mille visiteurs sur trois jours"
    assert item.byline == "Camille Garnier"
    assert item.content_created == When(
        datetime(2026, 3, 5, tzinfo=ZoneInfo("Europe/Istanbul")), "day", "Europe/Istanbul", "05.03.2026"
    )
    assert item.dateline == Dateline("AA / Lyon", "Lyon", "AA", None)
    assert item.associations == (Association(name="picture-1", type="picture", caption="Parc de la Tête d'Or"),)
    assert [r.reason for r in item.removed] == ["section-label", "byline", "repeated-headline", "caption", "dateline"]
    assert item.body[0].text.startswith("Le festival international")
    assert ("language_hint", "fr") in item.extra
    # the body's furniture is the clean stage's job: it is still there after parsing
    assert item.body[-1].text == "Bu haberi paylaşın"


def test_english_page_caps_dateline_and_two_standfirst_lines() -> None:
    """An all-capitals city line is the dateline; several "- " lines make the summary."""
    item = parse_one(EN_PAGE)
    assert item.section == "World"
    assert (
        item.summary == "Operators add an evening crossing for the summer season\nTickets go on sale online next week"
    )
    assert item.byline == "Deniz Aydın"
    assert item.dateline == Dateline("IZMIR", "IZMIR", None, None)
    assert item.body[0].text.startswith("The ferry link")
    assert ("language_hint", "en") in item.extra


def test_spanish_page_with_caption_and_dateline() -> None:
    """The same shape in Spanish: the caption before "AA / City" becomes a picture."""
    item = parse_one(ES_PAGE)
    assert (item.section, item.byline) == ("Mundo", "María Soto")
    assert item.dateline == Dateline("AA / Valparaíso", "Valparaíso", "AA", None)
    assert [a.caption for a in item.associations] == ["Puerto de Valparaíso"]
    assert [b.text[:20] for b in item.body] == ["La feria del libro c", "Los organizadores an", "*Traducido del inglé"]


def test_turkish_page_sentence_standfirst_update_date_and_city_line() -> None:
    """A standfirst sentence above the byline, an update date and a bare city line are read."""
    item = parse_one(TR_PAGE)
    assert item.headline == "Bursa'da yeni teleferik hattı yaz sezonunda hizmete girecek"
    assert item.summary == "Hattın tamamlanmasıyla kent merkezinden zirveye ulaşım süresi 20 dakikaya inecek."
    assert item.byline == "Elif Şahin Korkmaz"
    assert item.content_created is not None and item.content_created.original == "02.05.2026"
    assert item.version_created == When(
        datetime(2026, 5, 3, tzinfo=ZoneInfo("Europe/Istanbul")), "day", "Europe/Istanbul", "03.05.2026"
    )
    assert item.dateline == Dateline("Bursa", "Bursa", None, None)
    assert item.body[0].text.startswith("Bursa'da yapımı süren")
    assert ("language_hint", "tr") in item.extra


def test_caption_repeating_the_title_and_place_caption_before_the_dateline() -> None:
    """A title + "Name - AA" line is a credited caption; a place line above the dateline is a caption."""
    item = parse_one(ES_CAPTION_PAGE)
    assert item.associations == (
        Association(
            name="picture-1",
            caption="Bogotá inaugura un corredor verde de doce kilómetros",
            credit="Lucía Herrera Gómez - AA",
        ),
        Association(name="picture-2", caption="Bogotá"),
    )
    assert item.dateline == Dateline("BOGOTÁ, Colombia", "BOGOTÁ", None, None, "Colombia")
    assert item.body[0].text.startswith("El corredor verde")


def test_short_lines_between_title_and_lead_are_header_not_body() -> None:
    """A short line under the title is header furniture (recorded), a caption only when a dateline follows."""
    text = "Dünya\n\nKış festivali kapılarını açtı\n\nKar heykelleri\n\nFestival bugün başladı, pazar bitecek.\n"
    item = parse_one(text, (("wf_agency", b"aa"),))
    assert item.headline == "Kış festivali kapılarını açtı"
    assert item.associations == ()
    assert [b.text for b in item.body] == ["Festival bugün başladı, pazar bitecek."]
    assert Removed("Kar heykelleri", "other-title") in item.removed


def test_single_paragraph_has_no_headline() -> None:
    """A flattened one-paragraph scrape has no title line: the text is all body."""
    item = parse_one(AR_FLAT)
    assert item.headline is None
    assert item.agency == "aa"
    assert [b.text for b in item.body] == [AR_FLAT]


def test_sentence_first_line_is_not_a_headline() -> None:
    """A first line that ends with a full stop is the lead, not a title."""
    item = parse_one("The council met on Monday.\n\nIt approved the budget.\n")
    assert item.headline is None
    assert len(item.body) == 2


def test_unknown_agency_still_finds_a_known_section_label() -> None:
    """Without an agency, section labels of every profile are recognised above a title."""
    item = parse_one("Economía\n\nEl puerto amplía su terminal de contenedores\n\nLas obras comenzarán en mayo.\n")
    assert item.agency is None
    assert item.section == "Economía"
    assert item.headline == "El puerto amplía su terminal de contenedores"


@pytest.mark.parametrize(
    ("label", "hint"),
    [
        ("Sport", None),  # French, German and Bosnian editions all print it
        ("Ekonomi", "tr"),  # Turkish and Indonesian: AA's first language decides
        ("Dunia", "id"),
        ("Svijet", None),  # the Balkan edition is "bs" and "ba" alike
    ],
)
def test_section_label_names_a_language_only_when_it_is_clear(label: str, hint: str | None) -> None:
    """A label shared by several editions gives no language hint (quotes and patterns depend on it)."""
    page = f"{label}\n\nA bridge over the river opens to traffic\n\nThe bridge opened on Monday.\n"
    item = parse_one(page, (("wf_agency", b"aa"),))
    assert item.section == label
    assert [v for k, v in item.extra if k == "language_hint"] == ([hint] if hint else [])


# ------------------------------------------------------------------ wrapped text


def test_hard_wrapped_text_is_reflowed_into_paragraphs() -> None:
    """Fixed-width lines are joined; short lines and dash subheadings end paragraphs."""
    units = segment(TR_WRAPPED)
    assert [(u[:14], u[-14:]) for u in units] == [
        ("ANKARA (A.A) -", "ük ilgi gördü."),
        ("Müze müdürü, h", "ğini açıkladı."),
        ("-Yeni salonlar", "Yeni salonlar-"),
        ("Gelecek yıl ik", "i yapabilecek."),
    ]
    # "gök-" + "bilim" across a line break is one word again
    assert "Salonlarda gökbilim ve" in units[-1]


def test_wrapped_text_subheading_becomes_a_heading_block() -> None:
    """Dash-framed "-Title-" lines in a reflowed text are subheadings."""
    item = parse_one(TR_WRAPPED)
    kinds = [(b.kind, b.text[:14]) for b in item.body]
    assert ("h", "Yeni salonlar") in kinds
    assert item.body[0].text.startswith("ANKARA (A.A) -")  # the lead's dateline is left to clean


def test_unwrapped_lines_are_not_joined() -> None:
    """Lines of different lengths (a page's header) stay separate units."""
    units = segment("Deniz Aydın | 12.04.2026\nA title that is rather long and spans many words of text\n")
    assert units == ["Deniz Aydın | 12.04.2026", "A title that is rather long and spans many words of text"]


# ------------------------------------------------------------------ headers, encodings, errors


def test_headers_set_agency_and_language() -> None:
    """wf_agency and content-language headers are honoured."""
    item = parse_one(
        "A quiet day at the harbour.\n\nBoats stayed in port.\n", (("wf_agency", b"AFP"), ("content-language", b"EN"))
    )
    assert item.agency == "afp"
    assert item.language == "en"


def test_cp1252_text_is_decoded() -> None:
    """Latin text in a single-byte code page decodes (through the decode stage)."""
    item = parse_one("Le marché de Noël ouvre ses portes à Colmar ce vendredi.".encode("cp1252"))
    assert item.body[0].text == "Le marché de Noël ouvre ses portes à Colmar ce vendredi."
    assert ("encoding", "cp1252") in item.extra


def test_whitespace_only_text_is_an_empty_dispatch() -> None:
    """Nothing but whitespace raises EmptyDispatchError with a reason."""
    with pytest.raises(EmptyDispatchError, match="whitespace"):
        PARSER.parse(b" \n\t\n \xc2\xa0\n", ())


def test_binary_bytes_are_a_decode_error() -> None:
    """Bytes that are not text raise DecodeError, not a crash."""
    with pytest.raises(DecodeError):
        PARSER.parse(b"\x00\x01\x02binary\x00" * 20, ())


def test_removed_records_are_in_reading_order() -> None:
    """What the header zone took out is recorded as printed, in order."""
    item = parse_one(ES_PAGE)
    assert item.removed[:3] == (
        Removed("Mundo", "section-label"),
        Removed("María Soto | 20.11.2026", "byline"),
        Removed("Una feria del libro en Valparaíso bate su récord de visitantes", "repeated-headline"),
    )


# ------------------------------------------------------------------ the generic page layout

# A site no profile describes: crawler stamp, menu, title with the site's name, the title
# again, a date line, labelled fields, the text with a subheading and a desk sign-off, then
# a comment widget, most-read titles and a copyright line.
SITE_PAGE = """date 2024-11-03 Home Sports World

Harbour town opens a new ferry line to the islands | Example Daily

Harbour town opens a new ferry line to the islands

14:05 03. 11. 2024. Example Wire

Source: Example Wire
Editor: Jane Roe

The town council opened a new ferry line on Monday, linking the harbour with three small islands.

The boats will run every two hours during the summer season, the council said in a statement.

New timetable

Tickets can be bought at the harbour office or on board, and children under six travel for free. (JR)

Leave a Comment

Most read
Mayor opens the new bridge
Mayor opens the new bridge
Schools close early for the summer
Copyright © 2024 Example Daily. All rights reserved.
"""


def test_generic_layout_of_an_unknown_site() -> None:
    """Title without the site's name; every text line kept; every furniture line recorded with a reason."""
    item = parse_one(SITE_PAGE)
    assert item.headline == "Harbour town opens a new ferry line to the islands"
    assert [(b.kind, b.text[:24]) for b in item.body] == [
        ("p", "The town council opened "),
        ("p", "The boats will run every"),
        ("h", "New timetable"),
        ("p", "Tickets can be bought at"),
        ("p", "Copyright © 2024 Example"),  # the profile's furniture: the clean stage takes it out
    ]
    assert [b.text[:24] for b in clean(item).body][-1] == "Tickets can be bought at"
    assert item.body[-2].text.endswith("travel for free.")
    reasons = {r.text: r.reason for r in item.removed}
    assert reasons["date 2024-11-03"] == "date-stamp"
    assert reasons["14:05 03. 11. 2024. Example Wire"] == "date-line"
    assert reasons["Source: Example Wire"] == reasons["Editor: Jane Roe"] == "label"
    assert reasons["(JR)"] == "sign-off"
    assert reasons["Leave a Comment"] == "widget"
    assert reasons["Schools close early for the summer"] == "other-title"
    # the document's title (with the site's name) is the title printed again
    assert reasons["Harbour town opens a new ferry line to the islands | Example Daily"] == "repeated-headline"
    printed = [u for u in segment(SITE_PAGE)]
    accounted = {b.text for b in item.body} | set(reasons) | {item.headline}
    assert all(any(part in u or u in part for part in accounted) for u in printed)


def test_article_lines_are_never_dropped_for_their_shape() -> None:
    """A short closing sentence, a list inside the text and a paragraph cut by the scraper all stay."""
    page = (
        "Council approves the harbour budget for next year\n\n"
        "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
        "The budget covers three projects:\n\n"
        "New quay\n\n"
        "Ferry terminal\n\n"
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n\n"
        "It passed by nine votes to two.\n\n"
        "Work on the quay is expected to start in the spring and to last until the end of the following"
    )
    item = parse_one(page)
    assert item.headline == "Council approves the harbour budget for next year"
    assert [b.text for b in item.body][1:4] == ["The budget covers three projects:", "New quay", "Ferry terminal"]
    assert item.body[-2].text == "It passed by nine votes to two."
    assert item.body[-1].text.startswith("Work on the quay")
    assert item.removed == ()


def test_cyrillic_and_arabic_utf8_text_is_text() -> None:
    """UTF-8 text in scripts whose bytes look binary to a single-byte code page is read."""
    for text in ("Совет утвердил бюджет порта на следующий год.", "وافق المجلس على ميزانية الميناء للعام المقبل."):
        raw = text.encode("utf-8")
        assert PARSER.can_parse(raw, ())
        assert parse_one(raw).body[0].text == text


def test_a_lone_angle_bracket_line_is_not_markup() -> None:
    """A stray "<" from a scraped arrow does not make the text markup."""
    raw = b"<\n\nThe council approved the harbour budget on Tuesday."
    assert PARSER.can_parse(raw, ())
    assert not PARSER.can_parse(b"<p>The council approved the budget.</p>", ())


def test_digest_title_keeps_its_date_and_items_are_text() -> None:
    """A digest's title carries its date; its list of items is the text, its menu is not."""
    page = (
        "Harbour Daily Digest | 3 November 2024\n\n"
        "Home\nNews\nSports\nWeather\nContact\n\n"
        "• [01] COUNCIL APPROVES THE HARBOUR BUDGET FOR NEXT YEAR\n"
        "• [02] NEW FERRY LINE TO THE ISLANDS OPENS ON MONDAY\n"
        "• [03] SCHOOLS CLOSE EARLY FOR THE SUMMER HOLIDAYS\n"
    )
    item = parse_one(page)
    assert item.headline == "Harbour Daily Digest | 3 November 2024"
    assert [b.text[:8] for b in item.body] == ["• [01] C", "• [02] N", "• [03] S"]
    assert {r.text for r in item.removed} >= {"Home", "Weather", "Contact"}


def test_photo_page_keeps_its_caption_text_without_the_credit() -> None:
    """A photo page's text is its caption: the credit at its end goes, the text stays."""
    page = (
        "Families wait for flour at a distribution point in the north of the city on Monday.\n\n"
        "Volunteers handed out bags of flour to several hundred families, the organisers said.\n\n"
        "Many families had waited since the early morning at the distribution point near the port. "
        "(Jane Roe - Example Photo)\n"
    )
    item = parse_one(page)
    assert item.body[-1].text.endswith("near the port.")
    assert Removed("(Jane Roe - Example Photo)", "photo-credit") in item.removed


def test_related_items_after_a_profile_label_go_to_clean_and_notices_go_here() -> None:
    """Titles after a "read also" label stay for clean's list; a paywall notice among them goes here."""
    page = (
        "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n\n"
        "Read also\n\n"
        "Mayor opens the new bridge\n\n"
        "This feature is for subscribers only.\n"
    )
    parsed = parse_one(page)
    assert [b.text for b in parsed.body][-2:] == ["Read also", "Mayor opens the new bridge"]
    assert Removed("This feature is for subscribers only.", "widget") in parsed.removed
    assert [b.text[:12] for b in clean(parsed).body] == ["The council ", "The money fo"]


def test_a_page_the_layout_cannot_read_still_gives_its_text() -> None:
    """When nothing reads as text, the longer lines are kept: a page with words always has an article."""
    item = parse_one("Harbour — ferry — islands — timetable — tickets — summer — boats — council — quay\n")
    assert item.body


def test_readers_comments_end_the_text() -> None:
    """After the comments' label, a reader's prose is not the article."""
    page = (
        "Council approves the harbour budget\n\n"
        "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n\n"
        "2 comments:\n\n"
        "Anonymous said...\n\n"
        "I think the council should have spent the money on the schools instead of the harbour, honestly.\n"
    )
    item = parse_one(page)
    assert [b.text[:12] for b in item.body] == ["The council ", "The money fo"]


def test_numbered_list_starting_above_the_text_is_text() -> None:
    """An advisory's first numbered item above its text belongs to the text when item 2 follows."""
    page = (
        "Harbour Daily Advisory | 3 November 2024\n\n"
        "1- Council approves the harbour budget\n\n"
        "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
        "2- New ferry line opens on Monday\n\n"
        "The boats will run every two hours during the summer season, the council said in a statement.\n"
    )
    item = parse_one(page)
    assert item.headline == "Harbour Daily Advisory | 3 November 2024"
    assert item.body[0].text == "1- Council approves the harbour budget"


def test_summary_line_glued_from_other_lines_is_furniture() -> None:
    """A line made of the site's title, the article's title and its lead is a repeat, not the lead."""
    page = (
        "Harbour Bulletin - Example News\n\n"
        "Harbour Bulletin - Example News Council approves the harbour budget after a long debate "
        "The council approved the harbour budget on Tuesday.\n\n"
        "Council approves the harbour budget after a long debate\n\n"
        "The council approved the harbour budget on Tuesday. The debate lasted most of the day and ended late.\n\n"
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n"
    )
    item = parse_one(page)
    assert item.headline == "Council approves the harbour budget after a long debate"
    assert item.body[0].text.startswith("The council approved the harbour budget on Tuesday. The debate")


def test_fields_glued_before_the_text_go() -> None:
    """ "WIRE | Published: <date> | Updated: <date> Text": the fields go, the text stays."""
    page = (
        "Council approves the harbour budget\n\n"
        "EXAMPLE WIRE | Published: June 17, 2024 15:31:26 | Updated: June 18, 2024 16:48:18 The council approved "
        "the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n"
    )
    item = parse_one(page)
    assert item.body[0].text.startswith("The council approved")
    assert item.removed[0].reason == "date-line"


# ------------------------------------------------------------------ Markdown scrapes

HUGO_YAML = """---
title: "Harbour town opens a new ferry line"
date: 2024-11-03T09:00:00+01:00
lastmod: 2024-11-04
draft: false
author: Jane Roe
tags: [harbour, ferry]
categories:
  - Local
description: The line links the harbour with three islands.
---

# Harbour town opens a new ferry line

![A ferry at the quay](/img/ferry.jpg)

The town council opened a **new ferry line** on Monday, linking the harbour with [three islands](https://example.org/islands).

## Timetable

The boats will run every two hours during the summer season, the council said in a statement.
"""

JEKYLL_TOML = """+++
title = "Council approves the harbour budget"
date = 2024-11-05
tags = ["budget"]
+++

The council approved the harbour budget on Tuesday after a debate that lasted most of the day.

The money for the ferry terminal will come from the regional fund, the mayor told reporters.
"""


def test_yaml_front_matter_is_metadata_and_markdown_is_text() -> None:
    """Title, dates, author, tags, section and description come from the front matter; no mark reaches the body."""
    item = parse_one(HUGO_YAML)
    assert item.headline == "Harbour town opens a new ferry line"
    assert item.byline == "Jane Roe"
    assert item.first_created is not None and item.first_created.value.isoformat() == "2024-11-03T09:00:00+01:00"
    assert item.version_created is not None and item.version_created.original == "2024-11-04"
    assert item.keywords == ("harbour", "ferry", "Local")
    assert item.section == "Local"
    assert item.summary == "The line links the harbour with three islands."
    assert [b.text for b in item.body] == [
        "The town council opened a new ferry line on Monday, linking the harbour with three islands.",
        "Timetable",
        "The boats will run every two hours during the summer season, the council said in a statement.",
    ]
    assert item.body[1].kind == "h"
    assert [a.caption for a in item.associations] == ["A ferry at the quay"]
    assert Removed("draft: false", "front-matter") in item.removed
    text = " ".join(b.text for b in item.body)
    assert not any(mark in text for mark in ("---", "**", "](", "# ", "title:"))


def test_toml_front_matter() -> None:
    """TOML front matter between +++ lines."""
    item = parse_one(JEKYLL_TOML)
    assert item.headline == "Council approves the harbour budget"
    assert item.first_created is not None and item.first_created.original == "2024-11-05"
    assert item.keywords == ("budget",)
    assert len(item.body) == 2


def test_a_dashed_line_that_opens_no_front_matter_is_text() -> None:
    """A text starting with a rule but holding no metadata block is read as text."""
    item = parse_one("---\nThe council approved the harbour budget on Tuesday after a long debate.\n")
    assert item.body[-1].text == "The council approved the harbour budget on Tuesday after a long debate."


def test_double_spaced_wrapped_text_is_reflowed() -> None:
    """Wrapped lines each followed by a blank line, going on in lower case, are one paragraph again."""
    text = (
        "Harbour council approves new ferry line\n\n"
        "PORTVILLE, Nov. 3 (Example) -- The harbour council approved\n\n"
        "on Monday a new ferry line that will link the town with three\n\n"
        "islands from the start of the summer season next year.\n\n"
        "The boats will run every two hours, the council said in a\n\n"
        "statement issued after the vote in the town hall on Monday.\n"
    )
    units = segment(text)
    assert units[1] == (
        "PORTVILLE, Nov. 3 (Example) -- The harbour council approved on Monday a new ferry line that will link "
        "the town with three islands from the start of the summer season next year."
    )
    assert units[2].startswith("The boats will run every two hours, the council said in a statement")


def test_times_listed_in_an_agenda_stay() -> None:
    """An advisory's "- At 14:00" lines between its items are text, not date furniture."""
    page = (
        "Harbour Daily Agenda for Monday\n\n"
        "The harbour council meets to vote on the budget for the new ferry terminal and the quay.\n\n"
        "- At 14:00 hours\n\n"
        "The mayor presents the summer timetable of the ferry line to the islands at the town hall.\n"
    )
    item = parse_one(page)
    assert [b.text for b in item.body][1] == "- At 14:00 hours"


def test_short_kicker_title_right_above_the_text() -> None:
    """Among short header lines, a "Kicker: Subject" line right above the text is the title; a label is not."""
    lead = "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
    rest = "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n"
    assert parse_one(f"News Archive\n\nExclusive: Budget\n\n{lead}{rest}").headline == "Exclusive: Budget"
    assert parse_one(f"Exclusive: Budget\n\nNews Archive\n\n{lead}{rest}").headline is None


def test_chinese_page_without_spaces_or_stop_list() -> None:
    """Chinese is read by characters and punctuation: title, text and furniture are told apart."""
    page = (
        "国际新闻\n\n"
        "港口城市开通通往三个岛屿的新渡轮航线\n\n"
        "2024年11月03日 14:05 来源：示例通讯社\n\n"
        "市议会周一开通了一条新的渡轮航线，将港口与三个岛屿连接起来。议会在一份声明中说，夏季期间渡轮每两个小时运行一班。\n\n"
        "市长表示，渡轮码头的资金将来自地区基金，预计明年春天动工，工程将持续到次年年底。\n\n"
        "相关新闻\n"
    )
    item = parse_one(page)
    assert item.headline == "港口城市开通通往三个岛屿的新渡轮航线"
    assert [b.text[:6] for b in item.body] == ["市议会周一开", "市长表示，渡"]
    assert Removed("2024年11月03日 14:05 来源：示例通讯社", "date-line") in item.removed


def test_aggregator_credit_before_the_lead_goes() -> None:
    """ "(FEED - Example News Agency (ENA)) PORTVILLE, Nov 3 (ENA) -- ...": the credit goes, the dateline is read."""
    item = clean(
        parse_one(
            "( FEED - Example News Agency (ENA)) PORTVILLE, Nov 3 (ENA) -- The council approved the harbour "
            "budget on Tuesday after a debate that lasted most of the day.\n"
        )
    )
    assert item.body[0].text.startswith("The council approved")
    assert item.dateline is not None and item.dateline.place == "PORTVILLE"
    assert Removed("( FEED - Example News Agency (ENA))", "credit") in item.removed


def test_agency_caption_above_the_text_goes_with_its_credit() -> None:
    """A dated sentence signed "(Agency)" above more text is a picture's caption, not the text."""
    page = (
        "Harbour News Digest: Aug. 28, 2024\n\n"
        "Dancers perform at the opening of the harbour festival in Portville on Aug. 24, 2024. (Kyodo) ==Kyodo\n\n"
        "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n"
    )
    item = parse_one(page)
    assert [b.text[:14] for b in item.body] == ["The council ap", "The money for "]
    assert [(a.caption, a.credit) for a in item.associations] == [
        ("Dancers perform at the opening of the harbour festival in Portville on Aug. 24, 2024.", "(Kyodo) ==Kyodo")
    ]


def test_a_caption_credited_inside_the_text_goes_but_one_closing_a_photo_page_stays() -> None:
    """A credited caption with text after it goes whole; the last paragraph's credit alone goes."""
    page = (
        "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
        "Children play on the new quay in the old harbour of the town on Monday. (Jane Roe/Example Images)\n\n"
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n"
    )
    item = parse_one(page)
    assert [b.text[:14] for b in item.body] == ["The council ap", "The money for "]
    assert [a.credit for a in item.associations] == ["(Jane Roe/Example Images)"]


def test_a_long_line_restating_the_text_between_paragraphs_is_a_caption() -> None:
    """A line that is no sentence and whose words the text prints all is a caption; a new fact is kept."""
    text = (
        "The mayor of Portville, Jane Roe, said on Monday that the new ferry line would open in the spring.\n\n"
        "{middle}\n\n"
        "Roe said the ferry would run every two hours to the islands and that the harbour would grow.\n"
    )
    restating = "Mayor of Portville Jane Roe said the new ferry line to the islands would run every two hours"
    item = parse_one(text.format(middle=restating))
    assert Removed(restating, "caption") in item.removed
    assert len(item.body) == 2
    new_facts = "Tickets for the ferry line will cost five euros and children under six travel for free"
    item = parse_one(text.format(middle=new_facts))
    assert [b.text for b in item.body][1] == new_facts


def test_a_digest_takes_its_first_story_dateline_below_the_contents() -> None:
    """A contents list, then the first story: its complete dateline (place, date, agency) is the digest's."""
    page = (
        "HARBOUR WIRE DAILY FILE, 04-03-2031\n\n"
        "CONTENTS\n\n"
        "• [01] COUNCIL APPROVES THE HARBOUR BUDGET\n"
        "• [02] NEW FERRY LINE TO THE ISLANDS\n"
        "• [03] SCHOOLS CLOSE EARLY FOR THE SUMMER\n\n"
        "Varna, March 3 (BTA) - The council approved the harbour budget on Tuesday after a long debate\n"
    )
    item = parse_one(page)
    assert item.dateline is not None and (item.dateline.place, item.dateline.agency) == ("Varna", "BTA")
    article = parse_one(
        "Harbour town opens a new ferry line to the islands\n\n"
        "The town council opened a new ferry line on Monday, linking the harbour with three islands.\n\n"
        "Varna, March 3 (BTA) - The council of the neighbouring town approved its own budget on Tuesday.\n"
    )
    assert article.dateline is None


def test_a_dated_file_title_beats_the_site_masthead() -> None:
    """Of two title lines printed once, the one naming its issue's date is the page's title, not the masthead."""
    page = (
        "Harbour Archive - Regional Resources Network Compact version\n\n"
        "Home\n\nNews\n\nDocuments\n\n"
        "Harbour Wire: News in English, 31-03-04\n\n"
        "CONTENTS\n\n"
        "• [01] COUNCIL APPROVES THE HARBOUR BUDGET\n"
        "• [02] NEW FERRY LINE TO THE ISLANDS\n"
        "• [03] SCHOOLS CLOSE EARLY FOR THE SUMMER\n\n"
        "• [01] COUNCIL APPROVES THE HARBOUR BUDGET\n\n"
        "The town council approved the harbour budget on Tuesday after a debate that lasted most of the day.\n\n"
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.\n"
    )
    assert parse_one(page).headline == "Harbour Wire: News in English, 31-03-04"
