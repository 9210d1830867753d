"""The generic page layout: furniture shapes, prose classes, the article's span, titles.

Every line below is invented (invented people, events and sites), in the shapes site
templates print them.
"""

from __future__ import annotations

import pytest

from pipeline.parsers import _page
from pipeline.parsers._page import (
    BAD,
    GOOD,
    NEAR,
    SHORT,
    chrome_reason,
    classify,
    page_stoplist,
    repeats,
    strip_title_suffix,
    title_like,
    trim,
)

EN_STOP = page_stoplist(["The minister said that the council would meet on the matter and that it was not over."])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("14:05 03. 11. 2024. Example/Wire", "date-line"),
        ("March 3, 2025 - 9:15 AM", "date-line"),
        ("Martes, 4 de marzo 2025, 10:20", "date-line"),
        ("17 Şubat 2024 Cumartesi", "date-line"),
        ("EXAMPLE NEWS - 3 hours ago - 11:00 | All, Sports, World", "date-line"),
        ("Publié le 2024-05-02 à 08:10 | example.org", "date-line"),
        ("Jane Roe, John Doe | 02.05.2024 - Mise À Jour : 03.05.2024", "date-line"),
        ("Source: Example Wire", "label"),
        ("Editor : Jane Roe", "label"),
        ("Kaynak: (ÖRNEK)", "label"),
        ("Güncelleme:", "label"),
        ("By", "label"),
        ("Follow us:", "widget"),
        ("twitter sharing button Twitter", "widget"),
        ("Leave a Comment", "widget"),
        ("This site uses cookies to improve your experience.", "widget"),
        ("Sports A- A A+", "widget"),
        ("Twitter: @example_news", "link"),
        ("example-news.com", "link"),
        ("https://example.org/story/123", "link"),
        ("(Example Daily/Wire)", "credit"),
        ("(Photo: Jane Roe)", "credit"),
        ("(wire) ab cd", "sign-off"),
        ("(end) xy", "sign-off"),
        ("ABC/1234567", "sign-off"),
        ("121530 GMT may 97", "filing-stamp"),
        ("----------", "separator"),
        ("A girl waves a flag in the square on Monday. (Jane Roe/Wire via Example Images)", "caption"),
    ],
)
def test_furniture_shapes(line: str, reason: str) -> None:
    """Lines of site templates are recognised by their shape, in any language."""
    assert chrome_reason(line, EN_STOP) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Police arrived at the scene at 10:30.",
        "The meeting ends on May 5.",
        "The council's spokesman, Jane Roe:",
        "Goals: Smith 12, Jones 45 (pen), Brown 80",
        "She said the new line would open in 2026 and carry 5,000 passengers a day.",
        "Source of the dispute is the 1998 treaty, which both sides signed.",
        "(This story has been corrected to show the bridge opened on Monday.)",
    ],
)
def test_article_lines_have_no_furniture_shape(line: str) -> None:
    """Sentences with dates and times, speakers' names, results lines are not furniture."""
    assert chrome_reason(line, EN_STOP) is None


PAGE = [
    "Home Sports World",  # 0 short
    "Harbour town opens a new ferry line to the islands",  # 1 title
    "14:05 03. 11. 2024. Example/Wire",  # 2 date line
    "The town council opened a new ferry line on Monday, linking the harbour with three islands.",  # 3 lead
    "The boats will run every two hours during the summer season, the council said in a statement.",  # 4
    "New timetable",  # 5 subheading
    "Tickets can be bought at the harbour office or on board, and children under six travel for free.",  # 6
    "It is a good day.",  # 7 short sentence
    "Share:",  # 8
    "Most read",  # 9
    "Mayor opens the new bridge",  # 10
]


def test_classes_and_span_of_a_page() -> None:
    """Prose is GOOD, a short sentence NEAR, a subheading SHORT, furniture BAD; the lead and the last prose line."""
    page = classify(PAGE)
    assert [page.kinds[i] for i in (2, 3, 4, 5, 6, 7, 8)] == [BAD, GOOD, GOOD, SHORT, GOOD, NEAR, BAD]
    assert page.kinds[1] in (SHORT, NEAR) and page.kinds[10] == SHORT  # a long title reads as text
    assert (page.lead(), page.last()) == (3, 7)  # a closing sentence ends the text
    # the subheading sits between prose; the tail's short lines between furniture and the page's end
    assert page.neighbour(5, -1) == GOOD and page.neighbour(5, +1) == GOOD
    assert page.neighbour(9, -1) == BAD and page.neighbour(9, +1) == BAD


def test_standfirst_is_not_the_lead() -> None:
    """Prose followed by furniture (a standfirst above a byline) does not start the article."""
    lines = [
        "Harbour town opens a new ferry line to the islands",
        "The new line links the harbour with three islands and runs every two hours in summer.",
        "Jane Roe | 03.11.2024",
        "The town council opened a new ferry line on Monday, linking the harbour with three islands.",
        "The boats will run every two hours during the summer season, the council said.",
    ]
    assert classify(lines).lead() == 3


def test_function_word_density_is_judged_against_the_page() -> None:
    """Turkish prose has fewer function words than English: the page's own level decides."""
    lines = [
        "Belediye meclisi pazartesi günü limanı üç adaya bağlayan yeni bir feribot hattını açtı.",
        "Tekneler yaz sezonu boyunca her iki saatte bir sefer yapacak, belediye yazılı açıklamada bildirdi.",
        "Son dakika haberleri",
    ]
    page = classify(lines)
    assert page.kinds == [GOOD, GOOD, SHORT]


def test_repeats_find_copies_and_longer_printings() -> None:
    """A line printed again, or a lead printed again with a marker glued to it, repeats the first."""
    lead = "The town council opened a new ferry line on Monday, linking the harbour with three islands."
    lines = ["Title of the story here", lead, "Title of the story here", lead + "#X#", "short", "short"]
    assert repeats(lines) == [None, None, 0, 1, None, None]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Harbour town opens a ferry line | Example Daily", "Harbour town opens a ferry line"),
        ("Harbour town opens a ferry line - example.com", "Harbour town opens a ferry line"),
        ("Limanda yeni feribot hattı açıldı - Son Dakika", "Limanda yeni feribot hattı açıldı"),
        ("Limanda yeni feribot hattı açıldı - Örnek Haber", "Limanda yeni feribot hattı açıldı"),
        ("Trade talks resume - Ministers meet in Geneva", "Trade talks resume - Ministers meet in Geneva"),
        ("Mayor and council - a long feud", "Mayor and council - a long feud"),
    ],
)
def test_site_name_after_a_title_goes(title: str, expected: str) -> None:
    """A site name after " | " or a dash goes; a title's own second part stays."""
    assert strip_title_suffix(title) == expected


def test_title_shape() -> None:
    """A title is a few words without a final full stop, not starting lower-case."""
    assert title_like("Harbour town opens a new ferry line")
    assert title_like("Why did the ferry stop?")
    assert not title_like("The boats will run every two hours.")
    assert not title_like("Sports")
    assert not title_like("continued from page one of the story")


def test_calendar_words_file_is_current() -> None:
    """data/calendar_words.txt is what babel's CLDR data gives (regenerate with _page.calendar_words())."""
    path = _page.DATA / "calendar_words.txt"
    assert path.read_text(encoding="utf-8").split() == _page.calendar_words()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("— Jane Roe (@janeroe) 4 Mayıs 2024", "embedded-post"),
        ("Read also: Mayor opens the new bridge", "related-link"),
        ("Baca juga : Wali kota meresmikan jembatan baru", "related-link"),
        ("X12 Full Story", "widget"),
        (
            "https://example.org/p/1 This post can't be displayed because cookies are off. Manage your settings",
            "widget",
        ),
        ("Tag Archives: Harbour", "label"),
        (
            "Browse our archive Read the old charter of the harbour board of the town (1923) "
            "Read the old charter of the harbour board of the town (1923)",
            "ticker",
        ),
    ],
)
def test_more_furniture_shapes(line: str, reason: str) -> None:
    """Embedded posts' signatures, read-also lines, story links, tickers, listing labels."""
    assert chrome_reason(line, EN_STOP) == reason


def test_read_verbs_need_a_title_after_the_colon() -> None:
    """ "Read the report: it says ..." is a sentence, not a link to another story."""
    assert chrome_reason("Read the report carefully: it says the council will meet.", EN_STOP) is None


def test_prose_repeating_a_phrase_is_not_a_ticker() -> None:
    """A speech that repeats itself ends as a sentence: it is text."""
    line = (
        "We will build the bridge for our children and our towns, and we will build the bridge for our children "
        "and our towns even if it takes ten years."
    )
    assert chrome_reason(line, EN_STOP) is None


def test_furniture_of_the_text_does_not_move_the_lead() -> None:
    """A widget between two paragraphs (an embedded post) does not make the first a standfirst."""
    lines = [
        "The town council opened a new ferry line on Monday, linking the harbour with three islands.",
        "Follow us on Twitter",
        "The boats will run every two hours during the summer season, the council said in a statement.",
    ]
    assert classify(lines).lead() == 0


def test_split_credit() -> None:
    """A prose line closed by a picture credit: the text and the credit apart."""
    text = "Children play on the new quay on Monday. (Jane Roe - Example Photo)"
    assert _page.split_credit(text) == ("Children play on the new quay on Monday.", "(Jane Roe - Example Photo)")
    assert _page.split_credit("He met the minister (of finance).") is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("Follow Example Daily on Facebook | Twitter | Android | iPhone", "widget"),
        ("Pratite nas putem Android i iOS aplikacije", "widget"),
        ("18:57World - Earthquake shakes the coast", "ticker"),
        ("SundayNovember 3, 2024", "date-line"),
        ("Dernière mise à jour à 08h31 le 23/03", "date-line"),
        ("Home > News > Harbour", "breadcrumb"),
        ("Français>>International", "breadcrumb"),
        ("Portville Cloudy 28℃~16℃ City Forecast", "widget"),
        ("News English Français Türkçe Español", "language-menu"),
        ("Jane Roe (L) opens the bridge on Monday in this photo provided by the council. (Example)", "caption"),
        ("Photo by Jane Roe", "credit"),
    ],
)
def test_widgets_menus_and_captions(line: str, reason: str) -> None:
    """Platform rows, timed list items, glued dates, breadcrumbs, weather, edition menus, captions."""
    assert chrome_reason(line, EN_STOP) == reason


@pytest.mark.parametrize(
    "line",
    [
        "The minister met the press on Monday at the ministry in the capital. (AFP)",
        "At 18:57 the first boat left the harbour, the operator said.",
        "The app is available for Android and iOS, the company said.",
    ],
)
def test_signed_text_and_timed_sentences_are_text(line: str) -> None:
    """An agency's sign-off, a sentence with a time, a sentence naming platforms: no furniture shape."""
    assert chrome_reason(line, EN_STOP) is None


def test_comments_label() -> None:
    """The label opening readers' comments, in any of the listed languages."""
    assert _page.comments_label("1 comment:")
    assert _page.comments_label("Yorumlar (3)")
    assert not _page.comments_label("The minister did not comment on the report on Monday evening.")


def test_trim_keeps_text_and_its_closing_lines() -> None:
    """Around a body found by other means: furniture above and after the text goes, closing sentences stay."""
    texts = [
        "Share on Facebook | Twitter",
        "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.",
        "Cost and timeline",
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.",
        "Example Wire writer Jane Roe contributed from Portville.",
        "Comments are the personal opinions of their authors.",
        "Mayor opens the new bridge",
    ]
    assert trim(texts) == {0: "widget", 5: "page-chrome", 6: "other-title"}
    assert trim(texts, kept=[True]) == {5: "page-chrome", 6: "other-title"}


def test_notice_phrases_mark_long_lines() -> None:
    """A disclaimer is furniture however long; a sentence about a disclaimer-free topic is not."""
    line = (
        "The views expressed in this text are the author's own and do not necessarily reflect the editorial "
        "policy of the site, which accepts no responsibility for them."
    )
    assert chrome_reason(line, EN_STOP) == "notice"
    assert chrome_reason("Follow Example.com on Android and iOS apps and on Facebook.", EN_STOP) == "widget"


def test_teasers_after_the_article_are_not_its_text() -> None:
    """Other stories' leads cut by the site ("..") after the article end it; a page of teasers only is a listing."""
    article = [
        "The council approved the harbour budget on Tuesday after a debate that lasted most of the day.",
        "The money for the ferry terminal will come from the regional fund, the mayor told reporters.",
    ]
    teasers = [
        "Schools in the north of the region will close early for the summer because of the heat, the office said..",
        "A new bridge over the river opened to traffic on Monday after two years of work on its foundations and..",
    ]
    assert classify([*article, *teasers]).last() == 1
    assert trim([*article, *teasers]) == {2: "page-chrome", 3: "page-chrome"}
    assert classify(teasers).last() == 1  # a listing: its teasers are its text


@pytest.mark.parametrize(
    "line",
    [
        "Photo by Jane Roe",
        "Foto: Ana Horvat/Example Wire",
        "Fotoğraf: Ayşe Yılmaz/AA",
        "Фото: Иван Петров",
        "Photo credit: Jane Roe / Example Images",
        "(Foto von Hans Muster)",
        "صورة: أحمد علي",
        "Image 3 of 12",
        "FOTO: example.com",
    ],
)
def test_picture_credit_lines_in_many_languages(line: str) -> None:
    """A picture word of any language, a joiner and a name: a credit line."""
    assert chrome_reason(line, EN_STOP) == "credit"


@pytest.mark.parametrize(
    "line",
    ["Video shows the blast", "Photos of the day", "Picture this and that"],
)
def test_picture_words_without_a_credited_name_are_no_credit(line: str) -> None:
    """A picture word without a joiner and a capitalised name is no credit."""
    assert not _page.credit_line(line)


def test_split_glued_credit() -> None:
    """A credit after a text's last sentence comes apart from the text; a sentence about a photo does not."""
    assert _page.split_glued_credit("The boats left at noon. Photo by Jane Roe") == (
        "The boats left at noon.",
        "Photo by Jane Roe",
        "Jane Roe",
    )
    assert _page.split_glued_credit("Tekne öğlen kalktı. Fotoğraf: Ayşe Yılmaz/AA") == (
        "Tekne öğlen kalktı.",
        "Fotoğraf: Ayşe Yılmaz/AA",
        "Ayşe Yılmaz/AA",
    )
    assert _page.split_glued_credit("She said the photo by the river was taken at noon.") is None
    assert _page.split_glued_credit("The boats left. Photo: the harbour at noon") is None


def test_agency_signed_caption_needs_a_full_date() -> None:
    """ "... on Aug. 24, 2024. (AFP)" is a caption in the agencies' style; text signed "(AFP)" is not."""
    caption = "Dancers perform at the harbour festival in Portville on Aug. 24, 2024. (AFP)"
    assert _page.agency_signed_caption(caption) == "(AFP)"
    assert _page.agency_signed_caption("The minister met the press on Monday in the capital. (AFP)") is None
    assert _page.agency_signed_caption("Dancers perform in Portville on Aug. 24, 2024. (Jane Roe)") is None
    assert _page.dated_with_year("Le festival s'est ouvert le 24 août 2024 à Portville.")
    assert not _page.dated_with_year("The festival opened in 2024 with 3,000 visitors.")
