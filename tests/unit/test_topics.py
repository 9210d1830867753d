"""Topic settings and the partition check a worker makes at start."""

from __future__ import annotations

from pipeline.settings import Settings
from pipeline.topics import SIZE_MARGIN, TopicNames, changelog_topic, partition_problems, topic_configs


def test_every_topic_is_created_with_the_size_limit_replicas_and_retention() -> None:
    settings = Settings(topic_prefix="p.", max_message_bytes=1_000_000, replication=3, min_insync_replicas=2)
    configs = topic_configs(settings)
    names = TopicNames.with_prefix("p.")
    assert set(configs) == set(names.all())
    for config in configs.values():
        assert config["max.message.bytes"] == str(1_000_000 + SIZE_MARGIN)
        assert config["min.insync.replicas"] == "2"
    assert int(configs[names.articles]["retention.ms"]) > int(configs[names.raw]["retention.ms"])
    # one replica: no more in sync than there are
    assert topic_configs(Settings(replication=1))["wire.raw"]["min.insync.replicas"] == "1"


def test_a_changelog_with_another_partition_count_than_its_topic_is_an_error() -> None:
    """Adding partitions to wire.parsed (or a changed WIREFEED_PARTITIONS) would split the table's state."""
    settings = Settings(app_id="app", partitions=4)
    changelog = changelog_topic(settings, "boilerplate")
    assert changelog == "app-boilerplate-changelog"
    assert partition_problems(settings, {}) == []  # nothing exists yet: created as configured
    assert partition_problems(settings, {"wire.raw": 8, "wire.parsed": 4, changelog: 4}) == []
    (problem,) = partition_problems(settings, {"wire.parsed": 8, changelog: 8})
    assert "WIREFEED_PARTITIONS=8" in problem
    problems = partition_problems(settings, {"wire.parsed": 4, changelog: 6})
    assert len(problems) == 1 and changelog in problems[0]
    # the idle-feed watch's table and wire.sources, alike
    sources_log = changelog_topic(settings, "sources")
    assert partition_problems(settings, {"wire.sources": 4, sources_log: 4}) == []
    (problem,) = partition_problems(settings, {"wire.sources": 4, sources_log: 2})
    assert sources_log in problem and "wire.sources 4" in problem
