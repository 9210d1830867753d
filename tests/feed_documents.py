"""Invented feed documents for the feeder tests (unit and integration): RSS 2.0 and Atom."""

from __future__ import annotations


def rss(items: list[tuple[str, str]], *, language: str = "en") -> bytes:
    """An RSS 2.0 feed of (guid, title) items, each with an invented two-sentence body."""
    entries = "".join(
        f'<item><guid isPermaLink="false">{guid}</guid><title>{title}</title>'
        f"<link>https://news.example.org/{guid}</link>"
        f"<pubDate>Mon, 02 Mar 2026 10:{n % 60:02d}:00 +0000</pubDate>"
        f"<description>{title}. The council met on Monday to discuss item {guid} of the plan; "
        f"members agreed to publish the figures next week.</description></item>"
        for n, (guid, title) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Example wire</title>'
        f"<link>https://news.example.org/</link><language>{language}</language>{entries}</channel></rss>"
    ).encode()


def atom(entries: list[tuple[str, str, str]]) -> bytes:
    """An Atom feed of (id, updated, title) entries."""
    body = "".join(
        f"<entry><id>{ident}</id><updated>{updated}</updated><title>{title}</title>"
        f'<link href="https://news.example.org/{ident}"/>'
        f'<content type="html">&lt;p&gt;{title}. The harbour reopened at noon after the storm; '
        f"ferries resumed their timetable.&lt;/p&gt;</content></entry>"
        for ident, updated, title in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        "<title>Example Atom</title><id>urn:example:feed</id><updated>2026-03-02T10:00:00Z</updated>"
        f"{body}</feed>"
    ).encode()
