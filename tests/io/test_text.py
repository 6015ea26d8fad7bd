"""One text-decoding rule for the activity logs and the pain diary."""

from __future__ import annotations

import datetime as dt

import pytest

from runback.errors import DiaryError, ReadError
from runback.io.activity_csv import read_activity_csv
from runback.io.diary import append_entry, read_diary
from runback.io.text import BINARY, TextDecodeError, decode_text

TEXT = "date,pain,notes\n2025-03-04,3,Rücken steif – Bergläufe\n"


@pytest.mark.parametrize(("data", "encoding"), [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8"),        # the byte order mark is dropped
    (TEXT.encode("utf-16"), "utf-16"),
    (TEXT.encode("utf-16-be"), None),                 # no byte order mark: NUL bytes
    (TEXT.encode("cp1252"), "cp1252"),
])
def test_each_encoding_gives_the_same_text(data, encoding):
    if encoding is None:
        with pytest.raises(TextDecodeError, match="binary"):
            decode_text(data, refuse_binary=True)
        return
    assert decode_text(data) == decode_text(data, refuse_binary=True) == (TEXT, encoding)


def test_bytes_no_code_page_names_are_latin1():
    data = b"Pause " + b"\x81\x8d"                      # undefined in Windows-1252
    assert decode_text(data) == ("Pause \x81\x8d", "latin-1")


def test_broken_utf16_and_binary_say_where_and_why():
    with pytest.raises(TextDecodeError) as e:
        decode_text(b"\xff\xfe" + "date".encode("utf-16-le") + b"\x00")
    assert "not valid UTF-16" in e.value.reason and e.value.offset == 10   # the odd last byte
    with pytest.raises(TextDecodeError) as e:
        decode_text(b"PK\x03\x04\x00\x00", refuse_binary=True)
    assert e.value.reason == BINARY and e.value.offset is None
    assert decode_text(b"a,\x00b") == ("a,\x00b", "utf-8")   # a stray NUL, when allowed


def test_each_reader_reports_what_it_cannot_read_naming_the_file():
    with pytest.raises(ReadError, match=r"^log\.csv: not a text file \(binary data\): expected"):
        read_activity_csv(b"\x00\x01", name="log.csv")
    broken = b"\xff\xfe" + "date,pain\n".encode("utf-16-le") + b"\x00"
    with pytest.raises(DiaryError, match=r"^pain\.csv: the diary is not valid UTF-16 text .*"
                                         r"\(byte 22\)$"):
        read_diary(broken, name="pain.csv")


def test_a_utf16_diary_is_read_and_appended_in_utf16(tmp_path):
    path = tmp_path / "pain_diary.csv"
    path.write_bytes("date,pain,notes\n2025-03-04,3,Rücken steif\n".encode("utf-16"))
    today = dt.date(2025, 3, 10)
    assert read_diary(path, today=today).pain["pain"].tolist() == [3.0]
    append_entry(path, {"date": "2025-03-05", "pain": 4, "notes": "Hügel"})
    data = path.read_bytes()
    assert data.startswith(b"\xff\xfe") and data.count(b"\xff\xfe") == 1
    text, encoding = decode_text(data)
    assert encoding == "utf-16" and text.splitlines()[-1] == "2025-03-05,4,Hügel"
    assert read_diary(path, today=today).pain["notes"].tolist() == ["Rücken steif", "Hügel"]
