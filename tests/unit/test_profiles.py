"""Agency profiles: loading, agency detection, and the dateline / byline helpers.

Every dateline below is a shape an agency prints, followed by invented text.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline import dateline
from pipeline.profiles import (
    _build,
    all_profiles,
    detect_agency,
    display_place,
    get_profile,
    looks_like_name,
    match_byline,
    match_dateline,
)
from pipeline.records import When

AGENCIES = ("aa", "afp", "ansa", "ap", "dpa", "efe", "reuters", "tass", "xinhua")
#: agencies the corpus shows beyond the required ones
MORE_AGENCIES = ("aap", "cp", "pa", "ritzau", "belga", "apa", "lusa", "stt", "ntb", "tt", "ana", "businessdesk")


def test_every_required_agency_has_a_profile() -> None:
    """aa, afp, reuters, ap, dpa, efe, ansa, tass and xinhua are all loaded from data."""
    ids = [p.id for p in all_profiles()]
    assert ids == sorted(ids)
    assert set(AGENCIES) <= set(ids)
    assert "generic" not in ids


@pytest.mark.parametrize("agency", AGENCIES + MORE_AGENCIES)
def test_profile_has_identity_zone_and_datelines(agency: str) -> None:
    """Each profile names the agency, its web address, a real time zone, and the names its
    datelines print, which the dateline grammar reads as this agency's."""
    profile = get_profile(agency)
    assert profile.id == agency
    assert profile.name and profile.uri and profile.uri.startswith("https://")
    assert profile.tz.key == profile.home_timezone != "UTC"
    assert profile.aliases
    assert all(dateline.agency_names()[alias.strip(".").casefold()] == agency for alias in profile.aliases)
    assert profile.patterns("signature")


def test_unknown_or_missing_agency_falls_back_to_generic() -> None:
    """None and unknown ids give the generic profile, which credits no agency."""
    assert get_profile(None).id == "generic"
    assert get_profile("nosuchagency").is_generic
    assert get_profile("AA").id == "aa"
    assert get_profile(None).name == ""


def test_profiles_are_loaded_once() -> None:
    """The loader caches: the same profile object comes back every time."""
    assert get_profile("aa") is get_profile("aa")
    assert all_profiles() == all_profiles()


def test_agency_patterns_come_before_generic_ones() -> None:
    """A profile's patterns of a kind are its own first, then the generic profile's."""
    patterns = get_profile("aa").patterns("byline")
    owners = [p.profile for p in patterns]
    assert owners[0] == "aa"
    assert owners[-1] == "generic"
    assert owners == sorted(owners, key=lambda o: o == "generic")


def test_patterns_are_filtered_by_language() -> None:
    """Language-specific patterns apply to their language only; neutral ones to all."""
    fr = get_profile("aa").patterns("boilerplate", "fr")
    en = get_profile("aa").patterns("boilerplate", "en")
    assert any(p.name == "subscription-notice-fr" for p in fr)
    assert not any(p.name == "subscription-notice-fr" for p in en)
    assert any(p.name == "subscription-notice-has" for p in en)
    assert len(get_profile("aa").patterns("boilerplate")) > len(fr)


def test_bad_pattern_in_data_is_refused() -> None:
    """A profile file with a broken regex or an unknown key fails loudly at load time."""
    with pytest.raises(ValueError, match="bad dateline pattern"):
        _build({"id": "x", "dateline": [{"pattern": "(unclosed"}]}, "x.toml", None)
    with pytest.raises(ValueError, match="unknown keys"):
        _build({"id": "x", "boilerplate": [{"pattern": "a", "colour": "red"}]}, "x.toml", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ISTANBUL (AA) - Yeni bir köprü bugün trafiğe açıldı.", "aa"),
        ("AA / Lyon\n\nLe festival a ouvert ses portes.", "aa"),
        ("مرسين/ الأناضول\nافتتح مهرجان جديد", "aa"),
        ("LYON (AFP) - Le festival a ouvert ses portes.", "afp"),
        ("OSLO, March 3 (Reuters) - Shares rose on Tuesday.", "reuters"),
        ("DENVER (AP) — A new bridge opened on Tuesday.", "ap"),
        ("Bremen (dpa) - Eine neue Brücke wurde eröffnet.", "dpa"),
        ("Sevilla (EFE).- Un nuevo puente fue inaugurado.", "efe"),
        ("(ANSA) - TORINO, 3 MAR - Un nuovo ponte è stato aperto.", "ansa"),
        ("KAZAN, March 3. /TASS/. A new bridge opened.", "tass"),
        ("WUHAN, March 3 (Xinhua) -- A new bridge opened.", "xinhua"),
    ],
    ids=AGENCIES[:1] * 3 + ("afp", "reuters", "ap", "dpa", "efe", "ansa", "tass", "xinhua"),
)
def test_detect_agency_from_text_signatures(text: str, expected: str) -> None:
    """The agency's own dateline identifies it."""
    assert detect_agency(text) == expected


def test_detect_agency_header_wins_over_text() -> None:
    """A wf_agency header names the agency whatever the text says."""
    assert detect_agency("LYON (AFP) - Le festival a ouvert.", (("wf_agency", b"Reuters"),)) == "reuters"


def test_detect_agency_needs_more_than_a_passing_mention() -> None:
    """Text that only mentions an agency, or none, is not attributed."""
    assert detect_agency("The minister told Reuters the plan was ready.") is None
    assert detect_agency("A quiet day at the harbour, with light winds.") is None


@pytest.mark.parametrize(
    ("agency", "text", "raw", "place", "printed_agency", "date", "rest"),
    [
        ("aa", "AA / Lyon", "AA / Lyon", "Lyon", "AA", None, ""),
        ("aa", "ANKARA (A.A) - Yeni köprü açıldı.", "ANKARA (A.A) -", "ANKARA", "A.A", None, "Yeni"),
        ("aa", "أنقرة / الأناضول افتتح جسر جديد", "أنقرة / الأناضول", "أنقرة", "الأناضول", None, "افتتح"),
        (
            "reuters",
            "OSLO, Jan 13 (Reuters) - Shares rose.",
            "OSLO, Jan 13 (Reuters) -",
            "OSLO",
            "Reuters",
            "Jan 13",
            "Shares",
        ),
        ("ansa", "(ANSA) - TORINO, 15 AGO - Il ponte.", "(ANSA) - TORINO, 15 AGO -", "TORINO", "ANSA", "15 AGO", "Il"),
        ("efe", "Sevilla (EFE).- El puente.", "Sevilla (EFE).-", "Sevilla", "EFE", None, "El"),
        (
            "xinhua",
            "WUHAN, Dec. 26 (Xinhua) -- The bridge.",
            "WUHAN, Dec. 26 (Xinhua) --",
            "WUHAN",
            "Xinhua",
            "Dec. 26",
            "The",
        ),
        ("dpa", "Bremen (dpa) - Die Brücke.", "Bremen (dpa) -", "Bremen", "dpa", None, "Die"),
        ("afp", "LYON (AFP) - Le pont.", "LYON (AFP) -", "LYON", "AFP", None, "Le"),
        ("ap", "DENVER, Colo. (AP) — The bridge.", "DENVER, Colo. (AP) —", "DENVER", "AP", None, "The"),
        ("tass", "KAZAN, March 3. /TASS/. The bridge.", "KAZAN, March 3. /TASS/.", "KAZAN", "TASS", "March 3", "The"),
        (None, "SALVADOR, Feb 26 - Rain fell.", "SALVADOR, Feb 26 -", "SALVADOR", None, "Feb 26", "Rain"),
        (None, "Görlitz (dpa) - Die Brücke.", "Görlitz (dpa) -", "Görlitz", "dpa", None, "Die"),
        ("aap", "HOBART, Mar 3 AAP - The ferry.", "HOBART, Mar 3 AAP -", "HOBART", "AAP", "Mar 3", "The"),
        (None, "BUSAN, Nov 26 AFP - The port.", "BUSAN, Nov 26 AFP -", "BUSAN", "AFP", "Nov 26", "The"),
        (None, "HALIFAX - A ferry sailed.", "HALIFAX -", "HALIFAX", None, None, "A ferry"),
        ("ap", "TULSA, Okla. (AP) _ The storm.", "TULSA, Okla. (AP) _", "TULSA", "AP", None, "The"),
        (
            "ansa",
            "(ANSA) - Turin, March 3 - The bridge.",
            "(ANSA) - Turin, March 3 -",
            "Turin",
            "ANSA",
            "March 3",
            "The",
        ),
        ("ritzau", "Aarhus /ritzau/: En bro.", "Aarhus /ritzau/:", "Aarhus", "ritzau", None, "En"),
        (
            "efe",
            "Cuenca (Ecuador), 3 mar (EFE).- El puente.",
            "Cuenca (Ecuador), 3 mar (EFE).-",
            "Cuenca",
            "EFE",
            "3 mar",
            "El",
        ),
        (None, "Mar 3 (Opta) - Results.", "Mar 3 (Opta) -", None, "Opta", "Mar 3", "Results"),
    ],
    ids=[
        "aa-web",
        "aa-wire",
        "aa-arabic",
        "reuters",
        "ansa",
        "efe",
        "xinhua",
        "dpa",
        "afp",
        "ap",
        "tass",
        "caps-date",
        "generic-agency",
        "aap",
        "caps-date-agency",
        "caps-dash",
        "ap-anpa-underscore",
        "ansa-english",
        "ritzau",
        "efe-province",
        "date-source-no-place",
    ],
)
def test_dateline_shapes(
    agency: str | None, text: str, raw: str, place: str, printed_agency: str | None, date: str | None, rest: str
) -> None:
    """Each agency's dateline gives its place and agency as printed, and the date text."""
    found = match_dateline(text, get_profile(agency), modes=("line", "prefix"))
    assert found is not None
    assert (found.raw, found.place, found.agency, found.date_text) == (raw, place, printed_agency, date)
    assert text[found.end :].startswith(rest)


def test_arabic_dateline_names_the_reporter() -> None:
    """The form "City/ Reporter/ الأناضول-" gives the reporter as well as the place."""
    found = match_dateline("رام الله/ سامي نور/ الأناضول- قال مسؤول", get_profile("aa"))
    assert found is not None
    assert (found.place, found.reporter, found.agency) == ("رام الله", "سامي نور", "الأناضول")


def test_caps_dash_dateline_needs_a_known_place() -> None:
    """ "UPDATE - ..." is a label in capitals, not a place."""
    assert match_dateline("UPDATE - The ferry sailed.", get_profile(None)) is None


def test_generic_dateline_needs_a_sentence_after_it() -> None:
    """A company and its ticker ("Acme Corp (ACME) - shares fell") is not a dateline."""
    assert match_dateline("Acme Corp (ACME) - shares fell on Monday.", get_profile(None)) is None


@pytest.mark.parametrize(
    ("text", "place", "rest"),
    [
        ("Ankara Bakanlıktan yapılan açıklamaya göre", "Ankara", "Bakanlıktan"),
        ('İzmir "Yeni liman" projesi başladı.', "İzmir", '"Yeni'),
        ("Kocaeli 3 fabrika yeniden açıldı.", "Kocaeli", "3"),
        ("New York The city council met.", "New York", "The"),
    ],
)
def test_glued_place_is_a_known_place_before_a_sentence(text: str, place: str, rest: str) -> None:
    """A scraper-glued city is taken when the gazetteer (or the profile) knows it."""
    found = match_dateline(text, get_profile("aa"), modes=("glued",))
    assert found is not None
    assert found.place == place
    assert text[found.end :].startswith(rest)


@pytest.mark.parametrize(
    "text",
    ["Milli Savunma Bakanlığı açıklama yaptı.", "Ankara için yeni bir plan hazırlandı.", "Le président a parlé."],
)
def test_glued_place_refuses_ordinary_words(text: str) -> None:
    """Words that are no place, or a place followed by a lowercase word, are not datelines."""
    assert match_dateline(text, get_profile("aa"), modes=("glued",)) is None


def test_byline_with_date_resolves_in_home_zone() -> None:
    """The form "Name | dd.mm.yyyy" gives the name and a day-precision date in the agency's zone."""
    found = match_byline("Deniz Aydın   | 05.03.2026", get_profile("aa"))
    assert found is not None
    assert found.name == "Deniz Aydın"
    assert found.when == When(
        datetime(2026, 3, 5, tzinfo=ZoneInfo("Europe/Istanbul")), "day", "Europe/Istanbul", "05.03.2026"
    )


def test_byline_with_time_has_second_precision() -> None:
    """A printed time makes the date precise to the second."""
    found = match_byline("Jane Roe | 05.03.2026 14:30", get_profile("aa"))
    assert found is not None and found.when is not None
    assert found.when.precision == "second"
    assert found.when.value == datetime(2026, 3, 5, 14, 30, tzinfo=ZoneInfo("Europe/Istanbul"))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("By Jane Roe", "Jane Roe"),
        ("Par Marie de la Tour", "Marie de la Tour"),
        ("BY JOHN ROE and Ana Ruiz", "JOHN ROE and Ana Ruiz"),
        ("By Sam Roe, Press Association Political Correspondent", "Sam Roe"),
        ("By Ana Ruiz, The Harbour Times", "Ana Ruiz"),
    ],
)
def test_by_prefix_bylines(text: str, name: str) -> None:
    """Bylines with "By / Par / Por" give the name without the prefix."""
    found = match_byline(text, get_profile(None))
    assert found is not None and found.name == name


def test_sentence_starting_with_by_is_no_byline() -> None:
    """A sentence like "By contrast, ..." is prose, not a byline."""
    assert match_byline("By contrast, prices rose.", get_profile(None)) is None
    assert not looks_like_name("contrast prices rose")


@pytest.mark.parametrize(
    ("printed", "language", "shown"),
    [
        ("MOSCOW", None, "Moscow"),
        ("İSTANBUL", None, "İstanbul"),
        ("DİYARBAKIR", "tr", "Diyarbakır"),
        ("SAINT-ÉTIENNE", None, "Saint-Étienne"),
        ("Moscou", None, "Moscou"),
        ("أنقرة", None, "أنقرة"),
    ],
)
def test_display_place_title_cases_capitals_only(printed: str, language: str | None, shown: str) -> None:
    """All-capital places are title-cased (Turkish dotted İ kept); others are left as printed."""
    assert display_place(printed, language) == shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NAMUR 26/02 (BELGA) – Le pont a rouvert samedi.", "belga"),
        ("Linz (APA) - Die neue Brücke ist eröffnet.", "apa"),
        ("Braga, 3 mar (Lusa) - A nova ponte abriu hoje.", "lusa"),
        ("TAMPERE (STT) - Uusi silta avattiin liikenteelle.", "stt"),
        ("Bergen (NTB): Den nye brua ble åpnet i dag.", "ntb"),
        ("Uppsala (TT) Den nya bron öppnades i dag.", "tt"),
        ("PATRAS (ANA-MPA) - A new bridge opened on Monday.", "ana"),
        ("(BusinessDesk) - The port company lifted its dividend.", "businessdesk"),
    ],
    ids=["belga", "apa", "lusa", "stt", "ntb", "tt", "ana", "businessdesk"],
)
def test_detect_the_other_agencies_of_corpus_and_samples(text: str, expected: str) -> None:
    """Agencies seen in the corpus and the samples beyond the required ones are recognised by their dateline."""
    assert detect_agency(text) == expected


@pytest.mark.parametrize(
    ("agency", "text", "raw", "place", "printed_agency", "date", "rest"),
    [
        ("belga", "NAMUR 26/02 (BELGA) – Le pont.", "NAMUR 26/02 (BELGA) –", "NAMUR", "BELGA", "26/02", "Le"),
        ("belga", "BRUSSEL 3/3 (BELGA) = De brug.", "BRUSSEL 3/3 (BELGA) =", "BRUSSEL", "BELGA", "3/3", "De"),
        ("apa", "Wien (APA/dpa) - Die Brücke.", "Wien (APA/dpa) -", "Wien", "APA/dpa", None, "Die"),
        ("lusa", "Braga, 3 mar (Lusa) - A ponte.", "Braga, 3 mar (Lusa) -", "Braga", "Lusa", "3 mar", "A"),
        ("ntb", "Bergen (NTB): Brua.", "Bergen (NTB):", "Bergen", "NTB", None, "Brua"),
        ("stt", "TAMPERE (STT-AFP) - Silta.", "TAMPERE (STT-AFP) -", "TAMPERE", "STT-AFP", None, "Silta"),
        ("tt", "Uppsala (TT) Bron öppnades.", "Uppsala (TT)", "Uppsala", "TT", None, "Bron"),
        ("ana", "PATRAS (ANA-MPA) - The bridge.", "PATRAS (ANA-MPA) -", "PATRAS", "ANA-MPA", None, "The"),
        ("businessdesk", "(BusinessDesk) - The port.", "(BusinessDesk) -", None, "BusinessDesk", None, "The"),
    ],
    ids=["belga-fr", "belga-nl", "apa-shared", "lusa", "ntb", "stt-afp", "tt", "ana", "businessdesk"],
)
def test_dateline_shapes_of_the_other_agencies(
    agency: str, text: str, raw: str, place: str | None, printed_agency: str, date: str | None, rest: str
) -> None:
    """Belga, APA, Lusa, NTB, STT, TT, ANA-MPA and BusinessDesk datelines give their parts as printed."""
    found = match_dateline(text, get_profile(agency))
    assert found is not None
    assert (found.raw, found.place, found.agency, found.date_text) == (raw, place, printed_agency, date)
    assert text[found.end :].startswith(rest)


@pytest.mark.parametrize(
    ("agency", "text", "place", "region"),
    [
        ("ap", "FARGO, N.D. (AP) — The road.", "FARGO", "N.D."),
        ("efe", "Cuenca (Ecuador), 3 mar (EFE).- El puente.", "Cuenca", "Ecuador"),
        ("aa", "GIRESUN, Türkiye", "GIRESUN", "Türkiye"),
        ("reuters", "PORTLAND, Ore., March 3 (Reuters) - Rain.", "PORTLAND", "Ore."),
        (None, "SALVADOR, Feb 26 - Rain fell.", "SALVADOR", None),
    ],
)
def test_dateline_region_printed_after_the_place(agency: str | None, text: str, place: str, region: str | None) -> None:
    """The state or country printed after the place is the region; the place stays as printed."""
    found = match_dateline(text, get_profile(agency), modes=("line", "prefix"))
    assert found is not None
    assert (found.place, found.region) == (place, region)


@pytest.mark.parametrize(
    ("language", "marks"),
    [
        ("en", ("“", "”")),
        ("en-AU", ("“", "”")),
        ("fr-BE", ("«\u00a0", "\u00a0»")),
        ("de", ("„", "“")),
        ("es", ("«", "»")),
        ("tr", ("“", "”")),
        ("xx", None),
        (None, None),
    ],
)
def test_quote_marks_per_language(language: str | None, marks: tuple[str, str] | None) -> None:
    """Each language's double quotation marks come from data (generic.toml), inherited by every agency."""
    assert get_profile("aa").quotes(language) == marks
    assert get_profile(None).quotes(language) == marks


def test_abbreviations_per_language() -> None:
    """Abbreviations of a language add to those of every language, case-folded, without the stop."""
    turkish = get_profile("aa").abbreviations_for("tr")
    assert {"doç", "dr", "prof", "gen"} <= turkish
    assert "mme" not in turkish
    assert "mme" in get_profile("aa").abbreviations_for(None)


@pytest.mark.parametrize(
    ("line", "is_navigation"),
    [
        ("Home | World | Economy | Sports", True),
        ("Accueil Monde Afrique Économie", True),
        ("Ana Sayfa · Gündem · Dünya", True),
        ("World Economy", False),  # two labels are not a menu yet
        ("World leaders met on the economy.", False),
    ],
)
def test_navigation_bar_is_a_row_of_menu_labels(line: str, is_navigation: bool) -> None:
    """A line of three or more of the site's menu labels (sections included) is navigation."""
    hits = [
        p for p in get_profile("aa").patterns("boilerplate") if p.reason == "navigation" and p.regex.fullmatch(line)
    ]
    assert bool(hits) is is_navigation
