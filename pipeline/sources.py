"""Dispatches from files: what ``wirefeed ingest`` produces and ``wirefeed process`` reads.

Accepts files, directories (recursively, in name order, hidden files skipped), archives
(.tar, .tar.gz/.tgz, .tar.xz, .tar.bz2 — also a tar under another name — .zip, and .gz
for a single file) and standard input. Multi-dispatch files are split into one dispatch
each, keeping each one's bytes exactly:
- Reuters-21578 ``.sgm``: one per ``<REUTERS>`` element ("reut2-000.sgm#17" is the 17th);
- ``.ndjson`` / ``.jsonl``: one per non-empty line;
- ``.csv`` with a header row (scrape exports such as "Link,Content"): one JSON object per
  row, read by the ``scraped-record`` parser.
Everything else is one dispatch per file; a NewsML-G2 newsMessage stays one dispatch
(its parser returns one item per newsItem).
"""

from __future__ import annotations

import csv
import fnmatch
import gzip
import io
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from pipeline.records import Headers, RawDispatch

_REUTERS = re.compile(rb"<REUTERS\b.*?</REUTERS>", re.S)

#: media type by file extension; files not listed get no content-type (parsers sniff)
MEDIA_TYPES = {
    ".xml": "application/xml",
    ".nitf": "application/xml",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".json": "application/json",
    ".ndjson": "application/json",
    ".jsonl": "application/json",
    ".sgm": "application/sgml",
    ".csv": "text/csv",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
}


@dataclass(frozen=True, slots=True)
class SourceDispatch:
    """One dispatch read from a file: its bytes and where it came from."""

    value: bytes
    input: str  # "reut2-000.sgm#17", "sample.tar:dir/item.xml"
    content_type: str | None = None
    #: further wire.raw headers of this dispatch (the feeders' ``wf_ingest_id``)
    extra: Headers = ()

    def headers(
        self, *, source: str | None = None, agency: str | None = None, received_at: datetime | None = None
    ) -> Headers:
        """The ``wire.raw`` headers ingest sends with it (schemas/wire.raw/headers.v1.json)."""
        moment = (received_at or datetime.now(tz=UTC)).astimezone(UTC)
        pairs: list[tuple[str, bytes]] = []
        if self.content_type:
            pairs.append(("content-type", self.content_type.encode()))
        if agency:
            pairs.append(("wf_agency", agency.encode()))
        pairs.append(("wf_received_at", moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3].encode() + b"Z"))
        pairs.append(("wf_source", (source or self.input).encode("utf-8", errors="replace")))
        pairs.append(("wf_input", self.input.encode("utf-8", errors="replace")))
        pairs.extend(self.extra)
        return tuple(pairs)

    def raw(self, **header_options: object) -> RawDispatch:
        """As a RawDispatch outside Kafka (``wirefeed process``)."""
        return RawDispatch(value=self.value, headers=self.headers(**header_options), input=self.input)  # type: ignore[arg-type]


def media_type(name: str) -> str | None:
    lower = name.lower()
    for ext, mtype in MEDIA_TYPES.items():
        if lower.endswith(ext):
            return mtype
    return None


def split(name: str, data: bytes) -> Iterator[SourceDispatch]:
    """The dispatches inside one file's bytes (``name`` decides how to split)."""
    lower = name.lower()
    if lower.endswith(".sgm") or (lower in ("-", "<stdin>") and b"<REUTERS" in data[:4096]):
        for number, match in enumerate(_REUTERS.finditer(data), start=1):
            yield SourceDispatch(match.group(0), f"{name}#{number}", "application/sgml")
        return
    if lower.endswith(".csv"):
        yield from _csv_rows(name, data)
        return
    if lower.endswith((".ndjson", ".jsonl")):
        number = 0
        for line in data.splitlines():
            if line.strip():
                number += 1
                yield SourceDispatch(line.strip(), f"{name}#{number}", "application/json")
        return
    yield SourceDispatch(data, name, media_type(name))


def _csv_rows(name: str, data: bytes) -> Iterator[SourceDispatch]:
    # The row becomes a JSON object keyed by the header: the bytes of one row are not a
    # dispatch on their own (quoted fields span lines), the record is.
    text = data.decode("utf-8-sig", errors="replace")
    csv.field_size_limit(sys.maxsize)
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=1):
        record = {k: v for k, v in row.items() if k is not None}
        yield SourceDispatch(orjson.dumps(record), f"{name}#{number}", "application/json")


def _archive_members(name: str, data: bytes) -> Iterator[tuple[str, bytes]] | None:
    """(member name, bytes) of an archive, or None when ``data`` is not an archive."""
    if data[:4] == b"PK\x03\x04":
        zf = zipfile.ZipFile(io.BytesIO(data))
        return (
            (f"{name}:{info.filename}", zf.read(info))
            for info in sorted(zf.infolist(), key=lambda i: i.filename)
            if not info.is_dir()
        )
    if data[:2] == b"\x1f\x8b":
        inner = gzip.decompress(data)
        if _is_tar(inner):
            return _tar_members(name, inner)  # keep "x.tar.gz:member" naming
        stem = name[:-3] if name.lower().endswith(".gz") else name
        return iter([(stem, inner)])
    if _is_tar(data) or (data[:3] in (b"BZh", b"\xfd7z") and ".tar" in name.lower()):
        return _tar_members(name, data)
    return None


def _is_tar(data: bytes) -> bool:
    return len(data) > 512 and data[257:262] == b"ustar"


def _tar_members(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
        for member in members:
            handle = tar.extractfile(member)
            if handle is not None:
                yield f"{name}:{member.name}", handle.read()


def from_bytes(name: str, data: bytes, depth: int = 0) -> Iterator[SourceDispatch]:
    """The dispatches of one file's bytes: archive members unpacked, then ``split``.

    Also what the feeders use for a file from a drop folder or an archive from a URL."""
    members = _archive_members(name, data) if depth < 4 else None
    if members is None:
        yield from split(name, data)
        return
    for member_name, member_data in members:
        if Path(member_name.rsplit(":", 1)[-1]).name.startswith("."):
            continue
        yield from from_bytes(member_name, member_data, depth + 1)


def _walk(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if not child.name.startswith("."):
                yield from _walk(child)
    else:
        yield path


def iter_dispatches(
    paths: Sequence[str],
    *,
    stdin: BinaryIO | None = None,
    exclude: Iterable[str] = (),
) -> Iterator[SourceDispatch]:
    """Every dispatch under ``paths`` ("-" = standard input), in a stable order."""
    patterns = list(exclude)
    for arg in paths:
        if arg == "-":
            stream = stdin or sys.stdin.buffer
            yield from from_bytes("<stdin>", stream.read())
            continue
        root = Path(arg)
        if not root.exists():
            raise FileNotFoundError(f"no such file or directory: {arg}")
        for path in _walk(root):
            if any(fnmatch.fnmatch(path.name, p) for p in patterns):
                continue
            yield from from_bytes(str(path), path.read_bytes())
