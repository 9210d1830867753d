"""Files, directories, archives and multi-dispatch files become one dispatch each, bytes intact."""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from pipeline.sources import iter_dispatches

REUTERS_TWO = (
    b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n'
    b'<REUTERS NEWID="1">\n<TEXT><TITLE>FIRST</TITLE><BODY>One.\n Reuter\n&#3;</BODY></TEXT>\n</REUTERS>\n'
    b'<REUTERS NEWID="2">\n<TEXT TYPE="BRIEF"><TITLE>SECOND</TITLE></TEXT>\n</REUTERS>\n'
)


def test_sgm_files_split_into_reuters_elements(tmp_path: Path) -> None:
    """Each <REUTERS> element is a dispatch named file#position, its bytes exactly as in the file."""
    path = tmp_path / "reut2-999.sgm"
    path.write_bytes(REUTERS_TWO)
    found = list(iter_dispatches([str(path)]))
    assert [d.input for d in found] == [f"{path}#1", f"{path}#2"]
    assert found[0].value.startswith(b'<REUTERS NEWID="1">') and found[0].value.endswith(b"</REUTERS>")
    assert found[1].value in REUTERS_TWO
    assert {d.content_type for d in found} == {"application/sgml"}


def test_ndjson_splits_per_line(tmp_path: Path) -> None:
    """Blank lines are skipped; each JSON line is one dispatch."""
    path = tmp_path / "feed.ndjson"
    path.write_bytes(b'{"uri": "a"}\n\n{"uri": "b"}\n')
    assert [(d.input.rsplit("#")[1], d.value) for d in iter_dispatches([str(path)])] == [
        ("1", b'{"uri": "a"}'),
        ("2", b'{"uri": "b"}'),
    ]


def test_directories_are_walked_in_order_skipping_hidden_and_excluded(tmp_path: Path) -> None:
    """Sorted, recursive, hidden files out, --exclude globs honoured."""
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.xml").write_bytes(b"<x/>")
    (tmp_path / "a.txt").write_bytes(b"text")
    (tmp_path / ".hidden").write_bytes(b"no")
    (tmp_path / "MANIFEST.md").write_bytes(b"no")
    found = list(iter_dispatches([str(tmp_path)], exclude=["MANIFEST.*"]))
    assert [Path(d.input).name for d in found] == ["a.txt", "2.xml"]
    assert [d.content_type for d in found] == ["text/plain", "application/xml"]


def test_archives_are_opened_whatever_their_name(tmp_path: Path) -> None:
    """tar (even named .tar.xz while uncompressed), tar.gz, zip and single .gz files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("dir/one.xml", b"<a/>"), ("dir/two.txt", b"two")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (tmp_path / "plain.tar.xz").write_bytes(buf.getvalue())
    (tmp_path / "packed.tar.gz").write_bytes(gzip.compress(buf.getvalue()))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("z/page.html", b"<html></html>")
        zf.writestr("z/feed.ndjson", b"{}\n{}\n")
    (tmp_path / "bundle.zip").write_bytes(zbuf.getvalue())
    (tmp_path / "page.html.gz").write_bytes(gzip.compress(b"<html>gz</html>"))
    found = {d.input.replace(str(tmp_path) + "/", ""): d for d in iter_dispatches([str(tmp_path)])}
    assert sorted(found) == [
        "bundle.zip:z/feed.ndjson#1",
        "bundle.zip:z/feed.ndjson#2",
        "bundle.zip:z/page.html",
        "packed.tar.gz:dir/one.xml",
        "packed.tar.gz:dir/two.txt",
        "page.html",
        "plain.tar.xz:dir/one.xml",
        "plain.tar.xz:dir/two.txt",
    ]
    assert found["page.html"].value == b"<html>gz</html>" and found["page.html"].content_type == "text/html"
    assert found["packed.tar.gz:dir/one.xml"].value == b"<a/>"


def test_stdin_is_one_dispatch_unless_it_is_reuters_sgml() -> None:
    """`-` reads standard input; SGML on stdin is split like a .sgm file."""
    assert [d.value for d in iter_dispatches(["-"], stdin=io.BytesIO(b"plain"))] == [b"plain"]
    assert len(list(iter_dispatches(["-"], stdin=io.BytesIO(REUTERS_TWO)))) == 2


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    """A typo in a path fails with the path in the message."""
    with pytest.raises(FileNotFoundError, match=r"nope\.xml"):
        list(iter_dispatches([str(tmp_path / "nope.xml")]))


def test_headers_carry_source_agency_and_time(tmp_path: Path) -> None:
    """Ingest headers follow schemas/wire.raw/headers.v1.json."""
    from pipeline.schemas import errors, headers_as_object

    path = tmp_path / "a.txt"
    path.write_bytes(b"x")
    dispatch = next(iter_dispatches([str(path)]))
    headers = headers_as_object(dispatch.headers(source="aa-fr-feed", agency="aa"))
    assert headers["wf_source"] == "aa-fr-feed" and headers["wf_input"] == str(path)
    assert headers["wf_agency"] == "aa" and headers["content-type"] == "text/plain"
    assert headers["wf_received_at"].endswith("Z")
    assert errors("wire.raw", "headers", headers) == []


def test_csv_exports_become_one_json_record_per_row(tmp_path: Path) -> None:
    """A scrape export with a header row: each row is a JSON object, quoted newlines intact."""
    import json

    path = tmp_path / "scrape.csv"
    path.write_text('Link,Content\nhttps://x.invalid/1,"first\nline"\nhttps://x.invalid/2,second\n', encoding="utf-8")
    found = list(iter_dispatches([str(path)]))
    assert [d.input.rsplit("#")[1] for d in found] == ["1", "2"]
    assert json.loads(found[0].value) == {"Link": "https://x.invalid/1", "Content": "first\nline"}
    assert found[0].content_type == "application/json"
