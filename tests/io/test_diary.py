"""Pain diary: reading with line-numbered problems, and safe appending."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os

import pandas as pd
import pytest

from runback import schema
from runback.errors import DiaryError
from runback.io import diary
from runback.io.diary import DIARY_COLUMNS, append_entry, read_diary

TODAY = dt.date(2025, 6, 30)
HEADER = ",".join(DIARY_COLUMNS)


def read(text: str | bytes, **kw):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_diary(data, name="diary.csv", today=TODAY, **kw)


def test_contract_example_reads_every_field():
    res = read(HEADER + "\n"
               "2025-03-04,2,lower,stiffness,morning,7.5,3,stretching;foam_roller,,\n"
               '2025-03-05,6,lower,spasm,during_run,6.0,5,,,"locked up at km 8"\n')
    assert res.problems == []
    p = res.pain
    assert list(p.columns) == schema.columns("pain")
    assert list(p["date"]) == [pd.Timestamp("2025-03-04"), pd.Timestamp("2025-03-05")]
    assert list(p["pain"]) == [2.0, 6.0]
    assert p.loc[0, "interventions"] == "stretching;foam_roller"
    assert p.loc[0, "sleep_hours"] == 7.5
    assert p.loc[1, "notes"] == "locked up at km 8"
    assert p.loc[1, "timing"] == "during_run"
    assert pd.isna(p.loc[0, "red_flags"])
    assert list(p["line"]) == [2, 3]


def test_only_date_and_pain_needed_and_several_rows_a_day():
    res = read("pain,date\n3,2025-03-04\n5,2025-03-04\n1,2025-03-02\n")
    assert res.problems == []
    p = res.pain
    assert list(p["date"].dt.day) == [2, 4, 4]
    assert list(p["entry"]) == [0, 0, 1]
    assert list(p["pain"]) == [1.0, 3.0, 5.0]


def test_every_invalid_row_kind_is_reported_with_its_line_and_valid_rows_count():
    text = "\n".join([
        "date,pain,location,pain_type,timing,interventions,red_flags,notes",  # 1
        "2025-03-01,2,lower,ache,morning,ice,,ok",  # 2 valid
        "2025-03-02,11,,,,,,",  # 3 pain out of range
        "2025-03-03,abc,,,,,,",  # 4 pain not a number
        "2025-02-30,3,,,,,,",  # 5 impossible date
        "2025-07-01,3,,,,,,",  # 6 future date (TODAY is 2025-06-30)
        "04/03/2025,3,,,,,,",  # 7 ambiguous date format
        "2025-03-08,4,leg,,,,,",  # 8 unknown location: field ignored, row kept
        "2025-03-09,4,,burning,,,,",  # 9 unknown pain type
        "2025-03-10,4,,,noon,,,",  # 10 unknown timing
        "2025-03-11,4,,,,ice;reiki,,",  # 11 unknown intervention
        "2025-03-12,4,,,,,headache,",  # 12 unknown red flag word
        '2025-03-13,4,,,,,,"never closed',  # 13 broken quoting
        "2025-03-14,,,,,,,",  # 14 pain missing
        "2025-03-15,5,lower,spasm,rest,,,fine,extra",  # 15 one field too many
        "2025-03-16,7,upper,radiating,after_run,,leg_weakness,",  # 16 valid
    ]) + "\n"
    res = read(text)
    by_line = {}
    for problem in res.problems:
        line = int(problem.split(":")[0].removeprefix("line "))
        by_line.setdefault(line, []).append(problem)
    assert sorted(by_line) == list(range(3, 16))
    assert by_line[3] == ["line 3: pain '11' is outside 0-10; row left out"]
    assert "not a number" in by_line[4][0]
    assert "does not exist" in by_line[5][0]
    assert "future" in by_line[6][0]
    assert "YYYY-MM-DD" in by_line[7][0] and "ambiguous" in by_line[7][0]
    assert "'leg'" in by_line[8][0] and "location" in by_line[8][0]
    assert "'burning'" in by_line[9][0]
    assert "'noon'" in by_line[10][0]
    assert "'reiki'" in by_line[11][0]
    assert "'headache'" in by_line[12][0]
    assert "quot" in by_line[13][0]
    assert "pain is missing" in by_line[14][0]
    assert "fields" in by_line[15][0]
    # Rows with a bad descriptive word keep their pain; rows with a bad date/pain go.
    kept = res.pain.set_index("line")
    assert list(kept.index) == [2, 8, 9, 10, 11, 12, 16]
    assert kept["pain"].tolist() == [2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 7.0]
    assert pd.isna(kept.loc[8, "location"]) and pd.isna(kept.loc[11, "interventions"])
    assert kept.loc[16, "red_flags"] == "leg_weakness"


def test_broken_quote_does_not_swallow_the_rest():
    res = read('date,pain,notes\n2025-03-01,2,"oops\n2025-03-02,3,\n2025-03-03,4,"ok"\n')
    assert [p.split(":")[0] for p in res.problems] == ["line 2"]
    assert list(res.pain["pain"]) == [3.0, 4.0]
    assert list(res.pain["line"]) == [3, 4]


def test_quoted_line_break_keeps_later_line_numbers():
    res = read('date,pain,notes\n2025-03-01,2,"two\nlines"\n2025-03-02,12,\n')
    assert res.pain.loc[0, "notes"] == "two\nlines"
    assert res.problems == ["line 4: pain '12' is outside 0-10; row left out"]


def test_bom_crlf_and_semicolon_with_decimal_comma():
    text = ("\ufeffdate;pain;sleep_hours;interventions\r\n"
            "2025-03-04;2;7,5;\"stretching;ice\"\r\n"
            "2025-03-05;3,5;6;yoga\r\n")
    res = read(text.encode("utf-8"))
    assert res.problems == []
    assert list(res.pain["pain"]) == [2.0, 3.5]
    assert list(res.pain["sleep_hours"]) == [7.5, 6.0]
    assert list(res.pain["interventions"]) == ["stretching;ice", "yoga"]


def test_windows_1252_text_and_aliases():
    text = "Date,NRS,Where,Type,Treatment,Notes\n2025-03-04,4,Lumbar,Sciatica,Foam Roller,caf\xe9\n"
    res = read(text.encode("cp1252"))
    assert res.problems == []
    row = res.pain.iloc[0]
    assert (row["location"], row["pain_type"], row["interventions"], row["notes"]) == (
        "lower", "radiating", "foam_roller", "caf\xe9")


def test_flare_column():
    res = read("date,pain,flare\n2025-03-01,2,yes\n2025-03-02,2,1\n2025-03-03,2,TRUE\n"
               "2025-03-04,2,no\n2025-03-05,2,\n2025-03-06,2,maybe\n")
    assert list(res.pain["flare"]) == [True, True, True, False, False, False]
    assert res.problems == ["line 7: flare 'maybe' is not yes or no; field ignored"]


def test_missing_file_and_missing_columns_name_the_file(tmp_path):
    with pytest.raises(DiaryError, match="nothere.csv.*not found"):
        read_diary(tmp_path / "nothere.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("day_of_run,score_x,notes\n2025-03-01,2,\n")
    with pytest.raises(DiaryError, match=r"bad.csv.*lacks \['date', 'pain'\].*day_of_run"):
        read_diary(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DiaryError, match="empty.csv.*empty"):
        read_diary(empty)


def test_header_only_gives_an_empty_table_with_every_column():
    res = read(HEADER + "\n")
    assert res.pain.empty and list(res.pain.columns) == schema.columns("pain")


# --- append_entry --------------------------------------------------------------------

def test_append_creates_then_appends(tmp_path):
    path = tmp_path / "d.csv"
    append_entry(path, {"date": dt.date(2025, 3, 4), "pain": 2,
                        "interventions": ["stretching", "ice"]})
    append_entry(path, {"date": "2025-03-05", "pain": 6.5, "notes": 'said "ouch", twice'})
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER
    assert len(lines) == 3
    res = read_diary(path)
    assert res.problems == []
    assert list(res.pain["pain"]) == [2.0, 6.5]
    assert res.pain.loc[0, "interventions"] == "stretching;ice"
    assert res.pain.loc[1, "notes"] == 'said "ouch", twice'


def test_append_validates_first(tmp_path):
    path = tmp_path / "d.csv"
    with pytest.raises(DiaryError, match="outside 0-10"):
        append_entry(path, {"date": "2025-03-04", "pain": 11})
    assert not path.exists()
    with pytest.raises(DiaryError, match="pain is missing"):
        append_entry(path, {"date": "2025-03-04"})
    with pytest.raises(DiaryError, match="unknown location"):
        append_entry(path, {"date": "2025-03-04", "pain": 2, "location": "knee"})
    with pytest.raises(DiaryError, match="unknown columns"):
        append_entry(path, {"date": "2025-03-04", "pain": 2, "mood": "ok"})
    assert not path.exists()


def test_append_keeps_header_order_extra_columns_delimiter_and_line_ends(tmp_path):
    path = tmp_path / "d.csv"
    original = b"\xef\xbb\xbfpain;date;mood\r\n3;2025-03-01;fine\r\n"
    path.write_bytes(original)
    append_entry(path, {"date": "2025-03-02", "pain": 4, "mood": "low", "flare": True})
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfpain;date;mood;flare\r\n3;2025-03-01;fine\r\n")
    assert data.endswith(b"4;2025-03-02;low;yes\r\n")
    res = read_diary(path)
    assert list(res.pain["flare"]) == [False, True]


def test_append_to_file_without_final_newline(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("date,pain\n2025-03-01,3")
    append_entry(path, {"date": "2025-03-02", "pain": 1})
    assert path.read_text() == "date,pain\n2025-03-01,3\n2025-03-02,1\n"


def test_failed_write_leaves_the_original_intact(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text("date,pain\n2025-03-01,3\n")
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(diary.writer.os, "replace", broken_replace)
    with pytest.raises(DiaryError, match="d.csv.*not written"):
        append_entry(path, {"date": "2025-03-02", "pain": 1})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "d.csv.lock"]


def _append_one(path: str, day: int, barrier) -> None:
    barrier.wait()
    append_entry(path, {"date": f"2025-03-{day:02d}", "pain": day % 11, "notes": f"p{day}"})


def test_concurrent_processes_lose_no_entry(tmp_path):
    path = str(tmp_path / "d.csv")
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(20)
    procs = [ctx.Process(target=_append_one, args=(path, day, barrier))
             for day in range(1, 21)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 20
    res = read_diary(path)
    assert res.problems == []
    assert sorted(res.pain["notes"]) == sorted(f"p{d}" for d in range(1, 21))
    with open(path) as fh:
        assert sum(line.startswith("date,") for line in fh) == 1
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


# --- save_entry: correcting a row in place -------------------------------------------

def _key_of(path, line):
    return diary.row_keys(path)[line]


def test_save_entry_replaces_one_row_and_keeps_every_other_byte(tmp_path):
    path = tmp_path / "d.csv"
    body = ("date;pain;mood;notes\r\n"
            "2025-03-04;2;fine;\"two\r\nlines\"\r\n"
            "2025-03-05;6;grim;ouch\r\n"
            "2025-03-06;1;ok;\r\n")
    path.write_bytes(body.encode("utf-8"))
    key = _key_of(path, 4)
    assert diary.save_entry(path, {"date": "2025-03-05", "pain": 3, "notes": "better"},
                            replaces=key, today=TODAY) == "replaced"
    assert path.read_bytes().decode() == body.replace("2025-03-05;6;grim;ouch",
                                                       "2025-03-05;3;grim;better")
    # the multi-line row is found by its key too, and the extra column keeps its value
    key = _key_of(path, 2)
    diary.save_entry(path, {"date": "2025-03-04", "pain": 0}, replaces=key, today=TODAY)
    res = read_diary(path, today=TODAY)
    assert res.problems == []
    assert list(res.pain["pain"]) == [0, 3, 1]
    assert path.read_text().splitlines()[1] == "2025-03-04;0;fine;"


def test_save_entry_appends_when_the_row_changed_or_vanished(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + "\n2025-03-04,2,,,,,,,,\n2025-03-05,6,,,,,,,,\n")
    key = _key_of(path, 3)
    path.write_text(HEADER + "\n2025-03-04,2,,,,,,,,\n2025-03-05,7,,,,,,,,\n")  # edited
    assert diary.save_entry(path, {"date": "2025-03-05", "pain": 1}, replaces=key,
                            today=TODAY) == "appended"
    assert list(read_diary(path, today=TODAY).pain["pain"]) == [2, 7, 1]
    key = _key_of(path, 2)                                     # 2025-03-04's row
    assert diary.save_entry(path, {"date": "2025-03-06", "pain": 3}, replaces=key,
                            today=TODAY) == "appended"          # never moved to another day
    assert list(read_diary(path, today=TODAY).pain["pain"]) == [2, 7, 1, 3]
    for bad in ("", "nonsense", "3:", ":abc", "99:0000000000000000"):
        assert diary.save_entry(path, {"date": "2025-03-06", "pain": 0}, replaces=bad,
                                today=TODAY) == "appended"


def test_save_entry_finds_a_row_that_moved_and_writes_nothing_when_unchanged(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + "\n2025-03-05,6,,,,,,,,\n")
    key = _key_of(path, 2)
    path.write_text(HEADER + "\n2025-03-01,1,,,,,,,,\n2025-03-05,6,,,,,,,,\n")  # added above
    assert diary.save_entry(path, {"date": "2025-03-05", "pain": 6}, replaces=key,
                            today=TODAY) == "unchanged"
    assert diary.save_entry(path, {"date": "2025-03-05", "pain": 5}, replaces=key,
                            today=TODAY) == "replaced"
    assert list(read_diary(path, today=TODAY).pain["pain"]) == [1, 5]


def test_save_entry_adds_a_known_column_when_replacing(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("date,pain\n2025-03-04,2\n2025-03-05,6\n")
    key = _key_of(path, 3)
    diary.save_entry(path, {"date": "2025-03-05", "pain": 6, "flare": True}, replaces=key,
                     today=TODAY)
    assert path.read_text() == "date,pain,flare\n2025-03-04,2\n2025-03-05,6,yes\n"


def test_save_entry_validates_as_the_reader_and_uses_the_runners_today(tmp_path):
    path = tmp_path / "d.csv"
    for entry, words in (({"date": "2025-07-01", "pain": 2}, "in the future"),
                         ({"date": "2025-06-01", "pain": 11}, "outside 0-10"),
                         ({"date": "2025-06-01", "pain": 2, "red_flags": "itch"},
                          "unknown red flags 'itch'")):
        assert any(words in p for p in diary.check_entry(entry, today=TODAY))
        with pytest.raises(DiaryError, match=words):
            diary.save_entry(path, entry, today=TODAY)
    assert not path.exists()
    assert diary.check_entry({"date": "2025-07-01", "pain": 2},
                             today=dt.date(2025, 7, 1)) == []
    assert diary.check_entry({"pain": 2}, today=TODAY) == []          # date: today


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text(HEADER + "\n2025-03-04,2,,,,,,,,\n")
    before = path.read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        append_entry(path, {"date": "2025-03-05", "pain": 3})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "d.csv.lock"]
