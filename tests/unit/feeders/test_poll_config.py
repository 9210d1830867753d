"""The feeds file, header secrets from the environment, and the backoff arithmetic."""

from __future__ import annotations

import random
from email.utils import formatdate
from pathlib import Path
from time import time

import pytest

from pipeline.feeders.poll import (
    FeedsError,
    backoff_delay,
    feed_from_url,
    load_feeds,
    parse_header_options,
    retry_after,
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_feeds_file_with_defaults_and_secrets(tmp_path: Path) -> None:
    """Defaults apply to every feed, a feed overrides them, ${VAR} in headers comes from the environment."""
    path = _write(
        tmp_path,
        """
[defaults]
interval = 30
timeout = 5

[[feed]]
name = "aa-en"
url = "https://feeds.example/aa/en"
agency = "aa"
headers = { Authorization = "Bearer ${AA_TOKEN}", "X-Client" = "wirefeed" }

[[feed]]
url = "https://api.example/v1/items"
interval = 300
updates = "content"
""",
    )
    first, second = load_feeds(path, env={"AA_TOKEN": "s3cret"})
    assert (first.name, first.interval, first.timeout, first.agency) == ("aa-en", 30, 5, "aa")
    assert first.headers == (("Authorization", "Bearer s3cret"), ("X-Client", "wirefeed"))
    assert (second.name, second.interval, second.updates, second.scope) == (
        "https://api.example/v1/items", 300, "content", "poll:https://api.example/v1/items",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[feed]]\nname = "a"\nurl = "https://x"\nheaders = { A = "${MISSING}" }',
            "needs the environment variable MISSING",
        ),
        ('[[feed]]\nname = "a"\nurl = "ftp://x"', "url must be http:// or https://"),
        ('[[feed]]\nname = "a"\nurl = "https://x"\nintervall = 3', "unknown key(s) intervall"),
        ('[[feed]]\nname = "a"\nurl = "https://x"\nupdates = "always"', "updates must be one of"),
        ('[[feed]]\nname = "a"\nurl = "https://x"\ninterval = "1m"', "interval must be a number of seconds"),
        ('[[feed]]\nname = "a"\nurl = "https://x"\n[[feed]]\nname = "a"\nurl = "https://y"', "repeated: a"),
        ('[[feed]]\nname = "a"\nurl = "https://x"\nagency = "Reuters Ltd"', "agency must be an agency id"),
        ('[[feed]]\nname = "a"', "feed a: no url"),
        ("[feeds]\nx = 1", "unknown table(s) feeds"),
        ("[[feed]\n", "feeds.toml"),
    ],
    ids=[
        "missing-variable",
        "not-http",
        "unknown-key",
        "bad-updates",
        "interval-text",
        "duplicate",
        "agency",
        "no-url",
        "table",
        "toml",
    ],
)
def test_feeds_file_errors_say_where_and_why(tmp_path: Path, text: str, message: str) -> None:
    """Each mistake is a FeedsError naming the file, the feed and what is wrong."""
    with pytest.raises(FeedsError) as caught:
        load_feeds(_write(tmp_path, text), env={})
    assert message in str(caught.value) and "feeds.toml" in str(caught.value)


def test_header_options_expand_the_environment() -> None:
    """--header 'Name: value' with ${VAR}; a value may hold colons."""
    headers = parse_header_options(["Authorization: Basic ${CRED}", "X-Url: https://a:b"], {"CRED": "dXNlcg=="})
    assert headers == (("Authorization", "Basic dXNlcg=="), ("X-Url", "https://a:b"))
    with pytest.raises(FeedsError, match="expected 'Name: value'"):
        parse_header_options(["no colon"], {})
    assert feed_from_url("https://x.example/f", headers=headers).headers == headers


def test_backoff_is_exponential_with_full_jitter_under_a_cap() -> None:
    """Delays stay within [0, min(cap, base * 2^attempt)] and are spread over that range."""
    rng = random.Random(3)
    for attempt in range(8):
        bound = min(10.0, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, 0.5, 10.0, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > 0.8 * bound and min(delays) < 0.2 * bound


def test_retry_after_reads_seconds_and_dates_within_the_cap() -> None:
    """Retry-After: delta seconds or an HTTP date; never more than the cap; garbage is ignored."""
    assert retry_after("7", 60) == 7
    assert retry_after("700", 60) == 60
    assert 25 <= (retry_after(formatdate(time() + 30, usegmt=True), 60) or 0) <= 30
    assert retry_after("soon", 60) is None and retry_after(None, 60) is None
