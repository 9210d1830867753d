"""Subjects: IPTC Media Topics from source codes, section labels and keywords."""

from __future__ import annotations

import pytest

from pipeline.enrich.subjects import find_subjects, load
from pipeline.enrich.text import make_text
from pipeline.records import Subject

NEUTRAL = make_text([("lead", "Rien de particulier.")])


def codes(subjects: tuple[Subject, ...]) -> list[tuple[str | None, int | None]]:
    return [(s.code, s.confidence) for s in subjects]


def test_section_label_is_politics_evidence() -> None:
    """The "Monde" section alone gives politics at 50, with the media topic URI."""
    (politics,) = find_subjects(NEUTRAL, "fr", section="Monde")
    assert (politics.code, politics.confidence, politics.scheme) == ("11000000", 50, "medtop")
    assert politics.uri == "http://cv.iptc.org/newscodes/mediatopic/11000000"
    assert politics.name == "politics"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        (Subject(code="15000000", scheme="subj"), "15000000"),
        (Subject(code="15054000", scheme="iptc:subjectcode"), "15000000"),
        (Subject(uri="http://cv.iptc.org/newscodes/subjectcode/04006000"), "04000000"),
        (Subject(code="20000638", scheme="medtop"), "11000000"),
        (Subject(code="cocoa", scheme="reuters21578:topics"), "04000000"),
        (Subject(code="s", scheme="anpa1312:category"), "15000000"),
    ],
    ids=["subj-top", "subj-deep", "subj-uri", "medtop-second-level", "reuters-topic", "anpa-category"],
)
def test_source_codes_map_to_media_topics(subject: Subject, expected: str) -> None:
    """IPTC subject codes by branch, media topics as they are, other schemes via the table."""
    found = find_subjects(NEUTRAL, "en", source_subjects=[subject])
    assert found[0].code == expected


def test_unknown_source_schemes_are_ignored() -> None:
    """A scheme with no mapping gives no evidence."""
    assert find_subjects(NEUTRAL, "en", source_subjects=[Subject(code="x1", scheme="nowhere")]) == ()


@pytest.mark.parametrize(
    ("language", "headline", "lead", "expected"),
    [
        (
            "tr",
            "Hayali kulüp şampiyonluk maçını kazandı",
            "Süper Lig'in hayali takımı, teknik direktör Deniz Aras yönetiminde turnuva finalinde rakibini yendi.",
            "15000000",
        ),
        (
            "es",
            "Un terremoto inventado sacude una isla imaginaria",
            "El sismo, de magnitud 6, obligó a evacuar a los vecinos; los equipos de rescate buscan víctimas.",
            "03000000",
        ),
        (
            "en",
            "Invented bakery chain reports record profit",
            "The company said revenue rose and it will pay a higher dividend to shareholders.",
            "04000000",
        ),
        (
            "ar",
            "وزير خارجية خيالي يلتقي نظيره في قمة",
            "بحث الوزير مع نظيره العلاقات الثنائية والتحالف بين البلدين.",
            "11000000",
        ),
    ],
    ids=["tr-sport", "es-disaster", "en-economy", "ar-politics"],
)
def test_keywords_give_the_main_topic(language: str, headline: str, lead: str, expected: str) -> None:
    """Per-language keywords in the headline and lead point at the right top-level topic."""
    text = make_text([("headline", headline), ("lead", lead)])
    found = find_subjects(text, language)
    assert found and found[0].code == expected
    assert all(s.confidence is not None and 50 <= s.confidence <= 99 for s in found)


def test_second_level_topics_follow_their_parent() -> None:
    """International-relations words give 20000638 right after politics (11000000)."""
    text = make_text(
        [
            ("headline", "Le ministre inventé reçoit son homologue"),
            ("lead", "Les deux ministres ont évoqué un traité bilatéral et leur partenariat stratégique."),
        ]
    )
    assert [c for c, _ in codes(find_subjects(text, "fr"))][:2] == ["11000000", "20000638"]


def test_every_evidence_code_is_in_the_vocabulary() -> None:
    """The shipped vocabulary has a parent for each second-level topic and English names."""
    evidence = load()
    assert len([t for t in evidence.topics.values() if t.parent is None]) == 17
    for topic in evidence.topics.values():
        assert topic.names["en"]
        assert topic.parent is None or topic.parent in evidence.topics


@pytest.mark.parametrize("language", ["en", "fr", "de", "tr"])
def test_keyword_index_finds_what_a_scan_per_keyword_finds(language: str) -> None:
    """The openings' index gives each keyword the matches a scan of the whole text finds."""
    from pipeline.enrich import subjects

    evidence = load()
    keywords = subjects._read("subject_evidence.toml")["keywords"]
    words = [w for per_language in keywords.values() for w in per_language.get(language, ())]
    # every keyword as written, with an ending, glued to a word before it, and in capitals
    plain = [w.rstrip("*") for w in words]
    text = (
        " ".join(plain)
        + " "
        + ", ".join(w + "es" for w in plain)
        + " x"
        + "x".join(plain)
        + " "
        + " ".join(plain).upper()
    )
    folded = make_text([("body", text)]).folded
    positions = subjects._positions(evidence.index[language], folded)
    for n, (_, pattern) in enumerate(evidence.keywords[language]):
        scanned = [m.span() for m in subjects._hits(pattern, folded)]
        assert scanned  # the text opens every keyword
        assert [m.span() for m in subjects._hits_at(pattern, folded, positions.get(n, []))] == scanned
