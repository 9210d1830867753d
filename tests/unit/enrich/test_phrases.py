"""The Aho-Corasick name matcher: word boundaries, casing rules, longest match."""

from __future__ import annotations

from pipeline.enrich.phrases import PhraseMatcher, is_acronym
from pipeline.enrich.text import make_text


def matcher(*pairs: tuple[str, str]) -> PhraseMatcher[str]:
    built: PhraseMatcher[str] = PhraseMatcher()
    for form, payload in pairs:
        built.add(form, payload)
    built.build()
    return built


def found(
    m: PhraseMatcher[str], text: str, stopwords: frozenset[str] = frozenset()
) -> list[tuple[str, tuple[str, ...]]]:
    return [(h.literal, h.payloads) for h in m.find(make_text([("lead", text)]), stopwords)]


def test_names_match_on_word_boundaries_only() -> None:
    """The name "Van" matches in "Van'da" and "Van," but not inside "Vanadium" or "Caravan"."""
    m = matcher(("Van", "van-city"))
    assert found(m, "Van'da bir toplantı yapıldı, Van ve Caravan ile Vanadium değil.") == [
        ("Van", ("van-city",)),
        ("Van", ("van-city",)),
    ]


def test_lower_case_words_are_not_names() -> None:
    """A cased name must be written with a capital: "nice weather" is not the city."""
    m = matcher(("Nice", "nice-city"))
    assert found(m, "Une journée à Nice, puis du temps nice ailleurs.") == [("Nice", ("nice-city",))]


def test_acronyms_match_only_as_written() -> None:
    """The acronym "BM" is the UN in Turkish; "bm" or "Bm" is not."""
    m = matcher(("BM", "un"))
    assert found(m, "BM toplantısı; bm değil; Bm değil.") == [("BM", ("un",))]


def test_stop_words_at_sentence_start_are_not_names() -> None:
    """A stop word with a capital at a sentence start is the word, mid-sentence the name."""
    m = matcher(("Split", "split-city"))
    text = "Split the bill. The ferry sails to Split tonight."
    assert found(m, text, frozenset({"split"})) == [("Split", ("split-city",))]
    hits = m.find(make_text([("lead", text)]), frozenset({"split"}))
    assert hits[0].start == text.index("to Split") + 3


def test_longest_match_wins_over_a_contained_name() -> None:
    """The name "Fédération de Russie" is one hit, not also "Russie"."""
    m = matcher(("Russie", "ru"), ("Fédération de Russie", "ru-long"))
    assert found(m, "La Fédération de Russie et la Russie.") == [
        ("Fédération de Russie", ("ru-long",)),
        ("Russie", ("ru",)),
    ]


def test_accents_apostrophes_and_case_are_folded() -> None:
    """The text "L’Arménie" (typographic apostrophe, capital article) matches "Arménie"."""
    m = matcher(("Arménie", "am"))
    assert found(m, "L’Arménie et l'Armenie.") == [("Arménie", ("am",)), ("Armenie", ("am",))]


def test_arabic_proclitic_may_be_glued_to_a_name() -> None:
    """The word "وموسكو" (and Moscow) matches "موسكو"; words that only contain it do not."""
    m = matcher(("موسكو", "moscow"))
    assert found(m, "زار وموسكو ثم بموسكو وأيضا كموسكوف") == [("موسكو", ("moscow",)), ("موسكو", ("moscow",))]
    assert found(m, "الوموسكو") == []


def test_is_acronym() -> None:
    """Short all-capital forms with dots or digits are acronyms; words and names are not."""
    assert [is_acronym(f) for f in ["OTSC", "U.S.", "DSÖ", "G20", "EE.UU.", "Moscou", "NATO members", "A"]] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
    ]


def test_lookup_after_build_uses_the_automaton() -> None:
    """Exact (folded) lookups keep working once the key dictionary is dropped."""
    m = matcher(("Moskova", "moscow"), ("Moscou", "moscow"))
    assert [e.payload for e in m.lookup("MOSKOVA")] == ["moscow"]
    assert m.lookup("Moskau") == ()
    assert "moscou" in m


def test_a_built_matcher_keeps_every_entry_through_pickling() -> None:
    """Entries (payloads of any type, forms, acronym and casing flags) come back as added,
    from lookups and from hits, once built and once read back from a pickle."""
    import pickle

    from pipeline.enrich.phrases import Entry

    for payloads in ((1, 2, 40_000), ("ru", "us", "tr"), (("un", None), ("nato", "en"), ("otsc", None))):
        m: PhraseMatcher[object] = PhraseMatcher()
        m.add("Moscou", payloads[0])
        m.add("MOSCOU", payloads[1])  # an acronym-shaped form of the same key
        m.add("U.S.", payloads[2])
        m.add("Ankara", payloads[2])
        m.build()
        for matcher in (m, pickle.loads(pickle.dumps(m))):
            assert matcher.lookup("moscou") == (
                Entry(payloads[0], "Moscou", False, True),
                Entry(payloads[1], "MOSCOU", True, True),
            )
            assert len(matcher) == 3
            hits = matcher.find(make_text([("lead", "From Moscou to Ankara, the U.S. envoy")]))
            assert [(h.literal, h.start, h.end, h.payloads) for h in hits] == [
                ("Moscou", 5, 11, (payloads[0],)),
                ("Ankara", 15, 21, (payloads[2],)),
                ("U.S.", 27, 31, (payloads[2],)),
            ]
