"""The enrich stage end to end on invented items in French, English and Turkish."""

from __future__ import annotations

from dataclasses import replace

from pipeline.enrich.config import EnrichConfig
from pipeline.records import Block, Dateline, ParsedItem, Party, Subject, Translation
from pipeline.stages.enrich import build_enricher, enrich, enrich_batch, warm_up

FR_ITEM = ParsedItem(
    format="webtext",
    agency="aa",
    section="Monde",
    headline="Le président inventé Arvid Kallas reçoit à Moscou son homologue Lio Varga",
    summary="Les deux dirigeants ont évoqué un traité imaginaire sur les cerfs-volants",
    byline="Nora Quist",
    dateline=Dateline(raw="AA / Moscou", place="Moscou", agency="AA"),
    translation=Translation(raw="* Traduit de l'anglais par Ilse Brann", source_language="en", translator="Ilse Brann"),
    body=(
        Block(
            "Le président Arvid Kallas a reçu jeudi son homologue Lio Varga pour un entretien sur un traité imaginaire."
        ),
        Block(
            "Selon le communiqué, Arvid Kallas et Lio Varga ont salué "
            "« une coopération exemplaire entre nos deux pays »."
        ),
        Block("Les délégations se retrouveront ensuite à Almaty, au Kazakhstan, sous l'égide de l'ONU."),
    ),
)


def test_warm_up_is_idempotent() -> None:
    """warm_up loads everything and can be called again at no cost."""
    warm_up()
    warm_up()


def test_french_item_gets_language_people_places_organisations_subjects_quotes() -> None:
    """All components on one invented French dispatch shaped like an AA page."""
    result = enrich(FR_ITEM)
    assert (result.language, result.language_detected) == ("fr", "fr")
    assert [p.name for p in result.people] == ["Arvid Kallas", "Lio Varga"]
    assert [(p.name, p.rel, p.uri) for p in result.places] == [
        ("Moscou", "dateline", "https://sws.geonames.org/524901/"),
        ("Russie", "dateline", "https://sws.geonames.org/2017370/"),
        ("Almaty", "mentioned", "https://sws.geonames.org/1526384/"),
        ("Kazakhstan", "mentioned", "https://sws.geonames.org/1522867/"),
    ]
    assert [(o.name, o.literal, o.uri) for o in result.organisations] == [
        ("United Nations", "un", "http://www.wikidata.org/entity/Q1065")
    ]
    assert result.subjects[0].code == "11000000"
    assert [(q.text, q.speaker) for q in result.quotes] == [("une coopération exemplaire entre nos deux pays", None)]
    assert [name for name, _ in result.timings] == [
        "text",
        "language",
        "ner",
        "places",
        "organisations",
        "people",
        "subjects",
        "dates",
        "quotes",
        "total",
    ]
    assert all(seconds >= 0 for _, seconds in result.timings)


def test_credits_are_not_people_mentioned() -> None:
    """The author and the translator, even when named in the body, are not mentioned people."""
    item = ParsedItem(
        format="webtext",
        headline="Un festival inventé",
        byline="Nora Quist",
        contributors=(Party("Ilse Brann", role="translator"),),
        body=(Block("Nora Quist et Ilse Brann ont assisté au festival avec Arvid Kallas."),),
    )
    assert [p.name for p in enrich(item).people] == ["Arvid Kallas"]


def test_english_item_with_declared_language_and_source_subjects() -> None:
    """An English wire item: US dateline with state, source subject codes mapped to topics."""
    item = ParsedItem(
        format="nitf",
        language="en",
        headline="Invented tractor maker opens plant in Moscow, Idaho",
        dateline=Dateline(raw="MOSCOW, Idaho, June 3 -", place="MOSCOW", region="Idaho"),
        subjects=(Subject(code="04000000", scheme="subj"),),
        body=(
            Block(
                "Harlow Tractor Co said on Tuesday it would hire 200 workers at the new plant, "
                "chief executive Dana Pell said."
            ),
        ),
    )
    result = enrich(item)
    assert result.language == "en"
    assert [(p.name, p.rel, p.country) for p in result.places] == [
        ("Moscow", "dateline", "US"),
        ("United States", "dateline", "US"),
        ("Idaho", "about", "US"),
    ]  # "Moscow" as the gazetteer spells the all-caps dateline MOSCOW
    assert result.places[0].uri == "https://sws.geonames.org/5601538/"
    assert [p.name for p in result.people] == ["Dana Pell"]
    assert result.subjects[0].code == "04000000"


def test_turkish_item_without_a_model_uses_the_gazetteers() -> None:
    """No Turkish NER model: no people, but places and organisations from the gazetteers."""
    item = ParsedItem(
        format="webtext",
        headline="Hayali bir heyet Ankara'da BM temsilcileriyle görüştü",
        body=(Block("Heyet daha sonra Moskova'ya geçerek Rusya'daki hayali fuara katıldı."),),
    )
    result = enrich(item)
    assert (result.language, result.people) == ("tr", ())
    # The headline city is what the story is about, and so is its country (listed for it,
    # with no mention of its own); a single mention in the lead is not. Names read in
    # Turkish: Moskova, Rusya, Türkiye.
    assert [(p.name, p.rel, p.mentions) for p in result.places] == [
        ("Ankara", "about", 1),
        ("Türkiye", "about", 0),
        ("Moskova", "mentioned", 1),
        ("Rusya", "mentioned", 1),
    ]
    assert [o.name for o in result.organisations] == ["United Nations"]


def test_empty_item_enriches_to_nothing() -> None:
    """An item without text yields an empty enrichment, not an error."""
    result = enrich(ParsedItem(format="webtext"))
    assert (result.language, result.people, result.places, result.organisations, result.subjects) == (
        None,
        (),
        (),
        (),
        (),
    )


def test_a_batch_gives_what_single_calls_give() -> None:
    """enrich_batch over items in several languages equals enrich on each, timings aside."""
    items = [FR_ITEM, ParsedItem(format="webtext", headline="Hayali heyet Ankara'da"), FR_ITEM]
    batch = enrich_batch(items)
    singles = [enrich(item) for item in items]
    assert [replace(e, timings=()) for e in batch] == [replace(e, timings=()) for e in singles]
    assert all(dict(e.timings)["ner"] >= 0 for e in batch)


def test_a_config_without_models_runs_on_gazetteers_only() -> None:
    """spacy_models=(): no people (they need NER), the same places and organisations."""
    plain = build_enricher(EnrichConfig(spacy_models=()))
    assert plain is build_enricher(EnrichConfig(spacy_models=()))  # one enricher per config
    result = plain(FR_ITEM)
    assert result.people == ()
    assert [p.uri for p in result.places] == [p.uri for p in enrich(FR_ITEM).places]
    assert [o.name for o in result.organisations] == ["United Nations"]
    assert plain.places(FR_ITEM) == result.places
