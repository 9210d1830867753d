"""The dateline grammar: every agency's shapes from one grammar and data (invented text)."""

from __future__ import annotations

import random

import pytest

from pipeline import dateline
from pipeline.profiles import get_profile, match_dateline
from pipeline.records import Block, ParsedItem
from pipeline.stages.clean import clean

GENERIC = get_profile(None)


@pytest.mark.parametrize(
    ("text", "place", "region", "agency", "date", "rest"),
    [
        ("KAZAN, October 5. /TASS/. The new bridge opened.", "KAZAN", None, "TASS", "October 5", "The"),
        ("WUHAN, Dec. 26 (Xinhua) -- The bridge opened.", "WUHAN", None, "Xinhua", "Dec. 26", "The"),
        ("NOVI SAD, Serbia (AP) — The bridge opened.", "NOVI SAD", "Serbia", "AP", None, "The"),
        ("Toledo, 15 ene (EFE).- El puente abrió.", "Toledo", None, "EFE", "15 ene", "El"),
        ("(ANSA) - TORINO, 15 AGO - Il ponte è aperto.", "TORINO", None, "ANSA", "15 AGO", "Il"),
        ("İZMİR (AA) - Köprü açıldı.", "İZMİR", None, "AA", None, "Köprü"),
        ("Bremen (dpa/lni). Die Brücke ist offen.", "Bremen", None, "dpa/lni", None, "Die"),
        ("03.04.2024, Kraków (PAP) – Most otwarto.", "Kraków", None, "PAP", "03.04.2024", "Most"),
        ("ASTANA. KAZINFORM The bridge opened on Monday.", "ASTANA", None, "KAZINFORM", None, "The"),
        ("Казань. 5 октября. INTERFAX.RU - Мост открыт.", "Казань", None, "INTERFAX.RU", "5 октября", "Мост"),
        ("SPLIT, 3. listopada (Hina) - Most je otvoren.", "SPLIT", None, "Hina", "3. listopada", "Most"),
        ("Surabaya, 4/3 (Antara) - Jembatan dibuka.", "Surabaya", None, "Antara", "4/3", "Jembatan"),
        ("Medan (Antara Sumut) - Jembatan dibuka.", "Medan", None, "Antara Sumut", None, "Jembatan"),
        ("GRANADA, 12 de marzo (apro).- El puente abrió.", "GRANADA", None, "apro", "12 de marzo", "El"),
        ("MADRID, Sept 28 (Reuters) – The bridge opened.", "MADRID", None, "Reuters", "Sept 28", "The"),
        ("LONDON, March 3 - Shares rose.", "LONDON", None, None, "March 3", "Shares"),
        ("(Bernama) – The bridge opened.", None, None, "Bernama", None, "The"),
        ("نابلس- قنا- الأناضول- افتتح الجسر", "نابلس", None, "الأناضول", None, "افتتح"),
        ("LUGO (GALICIA), 2 (EUROPA PRESS) El puente abrió.", "LUGO", "GALICIA", "EUROPA PRESS", "2", "El"),
    ],
    ids=[
        "tass", "xinhua", "ap-region", "efe", "ansa", "aa-wire", "dpa-desk", "pap-date-first",
        "kazinform", "interfax-ru", "hina-hr-month", "antara-figures", "antara-bureau", "apro-de",
        "reuters-sept", "reuters-1987", "bernama-no-place", "arabic-chain", "europa-press-day",
    ],
)  # fmt: skip
def test_agency_shapes_in_their_languages(
    text: str, place: str | None, region: str | None, agency: str | None, date: str | None, rest: str
) -> None:
    """Place, region, agency and date come out as printed, and the lead after them is intact."""
    found = match_dateline(text, GENERIC)
    assert found is not None
    assert (found.place, found.region, found.agency, found.date_text) == (place, region, agency, date)
    assert text[found.end :].startswith(rest)


@pytest.mark.parametrize(
    ("text", "place", "agency", "reporter"),
    [
        ("AA - Konya - Ayşe Demir", "Konya", "AA", "Ayşe Demir"),
        ("AA / Lyon", "Lyon", "AA", None),
        ("Bursa / AA", "Bursa", "AA", None),
        ("نابلس/ سامي نور/ الأناضول", "نابلس", "الأناضول", "سامي نور"),
    ],
)
def test_dateline_lines(text: str, place: str, agency: str, reporter: str | None) -> None:
    """A dateline that is a line of its own names place, agency and the reporter."""
    found = match_dateline(text, GENERIC)
    assert found is not None
    assert (found.place, found.agency, found.reporter) == (place, agency, reporter)


@pytest.mark.parametrize(
    "text",
    [
        "Acme Corp (ACME) - shares fell on Monday.",
        "Apple Inc (AAPL) - The company said on Monday it would open a plant.",
        "UPDATE - The ferry sailed on time.",
        "BREAKING NEWS - The ferry sailed on time.",
        "Gaza - Israeli strikes kill 20",
        "The minister said (AP) - nothing more.",
        "Said the minister. - Later",
    ],
)
def test_what_is_no_dateline(text: str) -> None:
    """Tickers, wire labels, a headline with a dash, prose: no dateline, nothing eaten."""
    assert match_dateline(text, GENERIC, modes=("line", "prefix")) is None


def test_weak_shapes_only_at_the_start_of_a_lead() -> None:
    """ "Brno - ..." and an unknown place in capitals need a lead sentence after them."""
    lead = "Brno - The city council approved the new bridge over the river on Tuesday evening."
    assert match_dateline(lead, GENERIC, modes=("line", "prefix")) is None
    found = match_dateline(lead, GENERIC, modes=("line", "prefix", "lead"))
    assert found is not None and found.place == "Brno"
    unknown = "KAMPUNG BARU – The council approved the new bridge over the river on Tuesday."
    found = match_dateline(unknown, GENERIC, modes=("line", "prefix", "lead"))
    assert found is not None and found.place == "KAMPUNG BARU"
    assert match_dateline("KAMPUNG BARU – The end.", GENERIC, modes=("lead",)) is None


def test_a_place_alone_must_be_known_and_in_capitals() -> None:
    """A line "ANKARA" is a dateline; "Jakarta Raya" in title case or an unknown word is not."""
    assert match_dateline("ANKARA", GENERIC) is not None
    assert match_dateline("Jakarta Raya", GENERIC) is None
    assert match_dateline("ZORBLAX", GENERIC) is None


@pytest.mark.parametrize(
    ("text", "place", "agency", "kept"),
    [
        ('Bakan "Köprü açıldı" dedi. - İZMİR', "İZMİR", None, 'Bakan "Köprü açıldı" dedi.'),
        ("Bakan köprünün açıldığını söyledi.\nKONYA-BHA", "KONYA", "BHA", "Bakan köprünün açıldığını söyledi."),
    ],
)
def test_datelines_closing_a_text(text: str, place: str, agency: str | None, kept: str) -> None:
    """Some sites print the dateline last: found, and the text before it kept."""
    found = match_dateline(text, GENERIC, modes=("suffix",))
    assert found is not None
    assert (found.place, found.agency) == (place, agency)
    assert text[: found.end].rstrip(" -–—\n") == kept


def test_agency_names_come_from_data_and_profiles() -> None:
    """Agencies without a profile are known, in their scripts; profile aliases join them."""
    names = dateline.agency_names()
    assert names["bernama"] == "bernama"
    assert names["ТАСС".casefold()] == "tass"
    assert names["الأناضول"] == "aa"
    assert dateline.known_agency("dpa/lno") and dateline.known_agency("Antara Bali")
    assert not dateline.known_agency("ACME")


def _item(*paragraphs: str) -> ParsedItem:
    return ParsedItem(format="webtext", body=tuple(Block(p) for p in paragraphs))


def test_clean_takes_the_dateline_below_header_lines() -> None:
    """Stamps and credits above the lead stay for the chrome rules; the dateline is found."""
    item = clean(
        _item(
            "Source: Example Wire",
            "2024-03-05 10:00:00",
            "TRABZON, March 5 (Xinhua) -- The new bridge over the river opened to traffic on Tuesday.",
            "It took three years to build.",
        )
    )
    assert item.dateline is not None and (item.dateline.place, item.dateline.agency) == ("TRABZON", "Xinhua")
    assert item.body[2].text.startswith("The new bridge")


def test_clean_takes_a_weak_dateline_opening_the_lead_only() -> None:
    """A "PLACE -" lead below a credit line gives the place; the same in a title does not."""
    item = clean(_item("10:15 05.03.2024 Example", "TUZLA - The new bridge over the river opened to traffic today."))
    assert item.dateline is not None and item.dateline.place == "TUZLA"
    titled = clean(_item("Tuzla - bridge opens", "The new bridge over the river opened to traffic today."))
    assert titled.dateline is None


def test_clean_takes_a_closing_dateline() -> None:
    """A dateline printed after the last sentence is taken out of the body."""
    item = clean(_item("Köprü bugün trafiğe açıldı.", 'Bakan "Köprü açıldı" dedi. - İZMİR'))
    assert item.dateline is not None and item.dateline.place == "İZMİR"
    assert item.body[-1].text == 'Bakan "Köprü açıldı" dedi.'


def test_clean_reads_the_dateline_of_a_lead_printed_as_standfirst() -> None:
    """A page that printed its lead as the standfirst: the dateline there is the story's."""
    item = ParsedItem(
        format="webtext",
        summary="TRABZON, March 5 (Xinhua) -- The new bridge over the river opened to traffic on Tuesday.",
        body=(Block("It took three years to build, the mayor said on Tuesday."),),
    )
    cleaned = clean(item)
    assert cleaned.dateline is not None and (cleaned.dateline.place, cleaned.dateline.agency) == ("TRABZON", "Xinhua")
    assert clean(cleaned) == cleaned


@pytest.mark.parametrize(
    ("text", "place", "agency", "rest"),
    [
        (
            "EXAMPLENEWS.COM, JAKARTA - Presiden membuka jembatan baru di pelabuhan.",
            "JAKARTA",
            "EXAMPLENEWS.COM",
            "Presiden",
        ),
        (
            "SURABAYA, Example.co.id - Wali kota membuka jembatan baru di pelabuhan.",
            "SURABAYA",
            "Example.co.id",
            "Wali",
        ),
    ],
)
def test_a_news_site_naming_itself_beside_the_place(text: str, place: str, agency: str, rest: str) -> None:
    """ "OUTLET.COM, PLACE -" and "PLACE, Outlet.com -": the site's address is its name, the place is the dateline's."""
    found = match_dateline(text, GENERIC, modes=("line", "prefix", "lead"))
    assert found is not None and (found.place, found.agency) == (place, agency)
    assert text[found.end :].startswith(rest)


def test_a_credit_line_ending_with_the_place() -> None:
    """ "AGENCY | OUTLET | PLACE": credits naming an agency, then a known place."""
    found = match_dateline("COLPRENSA | EXAMPLE DAILY | CALI", GENERIC, modes=("line",))
    assert found is not None and (found.place, found.agency) == ("CALI", "COLPRENSA")
    assert match_dateline("SPORTS | EXAMPLE DAILY | CALI", GENERIC, modes=("line",)) is None


def test_turkish_place_in_capitals_with_its_case_ending_opens_the_lead() -> None:
    """ "İZMİR'de ..." names the dateline and stays in the sentence; "NATO'nun ..." is no place."""
    lead = "İZMİR'de bir binanın bodrum katında çıkan yangında iki kişi yaralandı."
    found = match_dateline(lead, GENERIC, modes=("line", "prefix", "lead"))
    assert found is not None and found.place == "İZMİR" and found.end == 0
    assert (
        match_dateline("NATO'nun zirvesi bugün Brüksel'de başladı ve yarın sona erecek.", GENERIC, modes=("lead",))
        is None
    )
    item = clean(ParsedItem(format="webtext", body=(Block(lead),)))
    assert item.dateline is not None and item.dateline.place == "İZMİR"
    assert item.body[0].text == lead
    assert "dateline" not in [r.reason for r in item.removed]
    assert clean(item) == item


def test_an_agency_name_is_no_place() -> None:
    """ "BTA - BULGARIAN TELEGRAPH AGENCY" is the agency twice, not a dateline place."""
    assert match_dateline("BTA - BULGARIAN TELEGRAPH AGENCY", GENERIC, modes=("line",)) is None


def test_months_file_is_current() -> None:
    """data/months.txt is what babel's CLDR data gives for grammar.toml's locales (regenerate
    with dateline.month_names())."""
    from importlib import resources

    text = resources.files("pipeline.dateline").joinpath("data", dateline.MONTHS_FILE).read_text(encoding="utf-8")
    assert text.split("\n")[:-1] == dateline.month_names()


def _seeded_lines(count: int) -> list[str]:
    """Strings of dateline pieces (places, agencies, dates, separators, words), seeded."""
    pieces = [
        "PARIS", "Paris", "NOVI SAD", "Ankara", "AA", "(Reuters)", "Reuters", "/", " / ", "-", " - ", " — ", ",",
        ", ", "(", ")", "15", "March 3", "Dec. 26", "1986/87", "dpa", "(AFP)", "/TASS/", "Xinhua", " ", "  ", ".",
        ". ", "the", "said", "de", "la", "İZMİR", "نابلس", "الأناضول", "KAZINFORM", "INTERFAX.RU", "12.12.2018",
        "Example.com", "|", "'da", "’", "\n", "5", "Corp", "(ACME)", "UPDATE", "NOVI SAD, March 2 -", ", Feb 26 - ",
    ]  # fmt: skip
    rnd = random.Random(1987)
    return ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 12))) for _ in range(count)]


def test_a_shape_is_tried_only_where_its_need_is_found() -> None:
    """Every text a shape matches holds what the shape needs (its cheap test before the
    full pattern), on 30,000 seeded strings of dateline pieces."""
    texts = _seeded_lines(30_000)
    for production in dateline._productions():
        if production.needs is None:
            continue
        for text in texts:
            stripped = text.rstrip()
            if production.mode == "suffix":
                found = production.regex.search(stripped, max(0, len(stripped) - dateline.WINDOW))
                window = stripped[-dateline.WINDOW :]
            elif production.mode == "line":
                found = (
                    production.regex.match(stripped, 0, dateline.WINDOW) if len(stripped) <= dateline.WINDOW else None
                )
                window = stripped
            else:
                found = production.regex.match(text, 0, dateline.WINDOW)
                window = text[: dateline.WINDOW]
            if found:
                assert production.needs.search(window), (production.name, text)


@pytest.mark.parametrize("modes", [("line", "prefix"), ("line", "prefix", "lead")], ids=["prefix", "lead"])
def test_a_caller_wanting_the_agency_gets_the_same_datelines(modes: tuple[str, ...]) -> None:
    """``named_agency`` leaves out the shapes naming none: the same datelines naming one (10,000 strings)."""
    for text in _seeded_lines(10_000):
        for profile in (GENERIC, get_profile("reuters"), get_profile("aa")):
            every = dateline.find(text, profile, modes)
            named = dateline.find(text, profile, modes, named_agency=True)
            assert (named if named and named.agency else None) == (every if every and every.agency else None), text
