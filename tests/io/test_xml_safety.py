"""Hostile XML is refused quickly with a ReadError, through both readers."""

from __future__ import annotations

import random
import time

import pytest

from runback.errors import NotAnActivityError, ReadError
from runback.io._xml import MAX_DEPTH, parse_xml
from runback.io.gpx import read_gpx
from runback.io.tcx import read_tcx

READERS = [
    pytest.param(read_gpx, "gpx", id="gpx"),
    pytest.param(read_tcx, "TrainingCenterDatabase", id="tcx"),
]

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE {root} [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<{root}><name>&lol9;</name></{root}>"""


@pytest.fixture
def secret(tmp_path):
    """A real local file whose content must never leak into a parse."""
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-CONTENT-4711")
    return path


def timed(call):
    t0 = time.perf_counter()
    try:
        call()
    finally:
        elapsed = time.perf_counter() - t0
        assert elapsed < 1.0, f"took {elapsed:.2f} s"


@pytest.mark.parametrize("reader, root", READERS)
def test_billion_laughs_is_refused(reader, root):
    data = BILLION_LAUGHS.format(root=root).encode()
    with pytest.raises(ReadError, match="bomb.xml: XML with entity declarations") as err:
        timed(lambda: reader(data, name="bomb.xml"))
    assert not isinstance(err.value, NotAnActivityError)


@pytest.mark.parametrize("reader, root", READERS)
@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "{uri}">]>',
    '<!DOCTYPE {root} [<!ENTITY % xxe SYSTEM "{uri}"> %xxe;]>',
], ids=["general", "parameter"])
def test_external_entity_never_reads_the_local_file(reader, root, doctype, secret):
    data = ('<?xml version="1.0"?>' + doctype.format(root=root, uri=secret.as_uri())
            + f"<{root}><name>&xxe;</name></{root}>").encode()
    with pytest.raises(ReadError) as err:
        timed(lambda: reader(data, name="xxe.xml"))
    assert "TOP-SECRET" not in str(err.value)
    assert "xxe.xml" in str(err.value)


@pytest.mark.parametrize("reader, root", READERS)
def test_external_dtd_is_never_fetched(reader, root, secret):
    body = ('<trk><name>n</name><trkseg><trkpt lat="49" lon="7">'
            "<time>2021-01-01T10:00:00Z</time></trkpt></trkseg></trk>") if root == "gpx" else ""
    data = (f'<?xml version="1.0"?><!DOCTYPE {root} SYSTEM "{secret.as_uri()}">'
            f"<{root}>{body}</{root}>").encode()
    try:
        out = reader(data, name="dtd.xml")
    except ReadError as e:
        assert "TOP-SECRET" not in str(e)
    else:
        frames = [out.activities, out.samples, out.laps]
        assert not any("TOP-SECRET" in f.to_csv() for f in frames)


@pytest.mark.parametrize("reader, root", READERS)
def test_absurd_nesting_is_refused(reader, root):
    depth = 200_000
    data = f"<{root}>".encode() + b"<a>" * depth + b"</a>" * depth + f"</{root}>".encode()
    with pytest.raises(ReadError, match=f"nested deeper than {MAX_DEPTH}"):
        timed(lambda: reader(data, name="deep.xml"))


def test_nesting_at_the_limit_is_accepted():
    data = b"<a>" * MAX_DEPTH + b"</a>" * MAX_DEPTH
    assert parse_xml(data, "ok.xml").tag == "a"
    with pytest.raises(ReadError, match="nested deeper"):
        parse_xml(b"<a>" + data + b"</a>", "deep.xml")


@pytest.mark.parametrize("reader, root", READERS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_garbage_bytes_are_not_xml(reader, root, seed):
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(4096))
    data = data.lstrip(b" \t\r\n<\xef\xff\xfe")  # not starting like XML or a byte-order mark
    with pytest.raises(ReadError, match="junk.bin: not XML") as err:
        timed(lambda: reader(data, name="junk.bin"))
    assert not isinstance(err.value, NotAnActivityError)


@pytest.mark.parametrize("reader, root", READERS)
def test_empty_and_truncated_files_are_read_errors(reader, root):
    with pytest.raises(ReadError, match="empty.xml: not XML"):
        reader(b"", name="empty.xml")
    truncated = f'<?xml version="1.0"?><{root}><trk><name>cut'.encode()
    with pytest.raises(ReadError, match=r"cut.xml: malformed XML.*line 1") as err:
        reader(truncated, name="cut.xml")
    assert not isinstance(err.value, NotAnActivityError)


def test_undeclared_prefix_is_repaired_and_namespaces_are_stripped():
    data = (b'<gpx xmlns="http://www.topografix.com/GPX/1/1"><extensions>'
            b"<gpxtpx:TrackPointExtension><gpxtpx:hr>140</gpxtpx:hr>"
            b"</gpxtpx:TrackPointExtension></extensions></gpx>")
    root = parse_xml(data, "p.gpx")
    assert [el.tag for el in root.iter()] == ["gpx", "extensions", "TrackPointExtension", "hr"]
