"""The enrich stage end to end on invented items in French, English and Turkish."""

from __future__ import annotations

from pipeline.records import Block, Dateline, ParsedItem, Party, Subject, Translation
from pipeline.stages.enrich import enrich, warm_up

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
        ("Moscow", "dateline", "https://sws.geonames.org/524901/"),
        ("Russia", "dateline", "https://sws.geonames.org/2017370/"),
        ("Almaty", "mentioned", "https://sws.geonames.org/1526384/"),
        ("Kazakhstan", "mentioned", "https://sws.geonames.org/1522867/"),
    ]
    assert [(o.name, o.literal, o.uri) for o in result.organisations] == [
        ("United Nations", "ONU", "http://www.wikidata.org/entity/Q1065")
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
    ]
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
    # Headline and lead (the only paragraph): every place is central; the country of a
    # central city, listed for it, has no mention of its own and comes last.
    assert [(p.name, p.rel, p.mentions) for p in result.places] == [
        ("Ankara", "about", 1),
        ("Moscow", "about", 1),
        ("Russia", "about", 1),
        ("Turkey", "about", 0),
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
