"""Stories: one coherent stream out of re-sends, versions, corrections, kills and copies.

Agencies re-send, update, correct and kill stories, and several agencies (in several
languages) report the same event. This package decides, as pure functions over small
typed records, what each item is to the stream:

    identity.story_identity(item)    -> StoryId        the story's uri, its version as the
                                                         source numbers it, how it was found
    signals.read_signals(item)       -> Signals        kill / withdrawal / correction /
                                                         update / repeat, withheld, embargo
    fingerprint.fingerprint(item)    -> Fingerprint    exact text hash, MinHash, facts
    versions.decide(state, incoming) -> Decision       new, version, stale, duplicate, kill
    dedup.DuplicateIndex                               exact + near duplicates over a
                                                         key-value store (a Faust table)
    clusters.ClusterIndex                              the event a story reports, across
                                                         agencies and languages

Parsers stay stateless: they surface what the source says (guid, version, pubStatus,
signals, version lines, editor's notes); everything that needs memory of earlier items
is a decision over a state passed in. The state is designed to live in Faust tables
(see ``dedup`` and ``versions`` for keys, sizes and expiry); ``wirefeed process`` and the
tests keep it in dicts.
"""
