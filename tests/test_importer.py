"""Import end to end: folders, archives, duplicates, the cache, local days."""

from __future__ import annotations

import hashlib
import os

import pandas as pd
import pytest

from runback import timezones
from runback.errors import ReadError
from runback.importer import import_activities
from runback.store import Store
from tests.builders import DENVER, gpx, gz, tcx_treadmill, track, zip_of


def write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def fingerprint(folder):
    return {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_evening_run_crossing_utc_midnight_lands_on_local_day(tmp_path):
    # 01:30 UTC on Monday 11 March 2024 is 19:30 MDT on Sunday 10 March (DST began that day)
    write(tmp_path / "sunday.gpx", gpx(track("2024-03-11T01:30:00Z", where=DENVER)))
    res = import_activities([tmp_path])
    a = res.activities
    assert len(a) == 1
    assert a.loc[0, "local_date"] == pd.Timestamp("2024-03-10")
    assert a.loc[0, "timezone"] == "America/Denver"
    # 30 min at 3 m/s
    assert a.loc[0, "distance_m"] == pytest.approx(5400, rel=0.01)
    assert a.loc[0, "is_run"]


def test_same_file_twice_and_gzipped_copy_is_one_activity(tmp_path):
    data = gpx(track("2024-05-01T06:00:00Z"))
    a = write(tmp_path / "a" / "run.gpx", data)
    b = write(tmp_path / "b" / "run-copy.gpx.gz", gz(data))
    res = import_activities([a, tmp_path / "b", a])
    assert res.n_parsed == 1                         # the same bytes are parsed once
    assert len(res.activities) == 1
    sources = res.activities.loc[0, "sources"].split(" | ")
    assert str(a) in sources and str(b) in sources


def test_same_run_from_two_sources_keeps_the_richest(tmp_path):
    pts = track("2024-05-01T06:00:00Z", hr=150.0)
    bare = track("2024-05-01T06:00:40Z", minutes=29, hr=None)  # re-export: no HR
    write(tmp_path / "watch.gpx", gpx(pts, name="Watch"))
    write(tmp_path / "app.gpx", gpx(bare, name="App"))
    write(tmp_path / "evening.gpx", gpx(track("2024-05-01T17:00:00Z")))
    res = import_activities([tmp_path])
    a = res.activities
    assert len(a) == 2
    morning = a[a["start_time"].dt.hour == 6].iloc[0]
    assert morning["avg_hr_bpm"] == pytest.approx(150)
    assert morning["name"] == "Watch"
    assert "app.gpx" in morning["sources"] and "watch.gpx" in morning["sources"]


def test_strava_style_export_zip_joins_the_log(tmp_path):
    csv = (b"id,date,name,type,description,elapsed_time,distance,commute,gear,filename\n"
           b"1,2024-05-01 06:00:00,Hill repeats,Run,felt ok,1800,5400.0,false,Pegasus 40,"
           b"activities/1.gpx.gz\n"
           b"2,2024-05-03 06:00:00,Easy run,Run,,2400,7000.0,false,Pegasus 40,\n")
    archive = write(tmp_path / "export_123.zip", zip_of({
        "activities.csv": csv,
        "activities/1.gpx.gz": gz(gpx(track("2024-05-01T06:00:00Z"), name="Morning Run")),
    }))
    before = fingerprint(tmp_path)
    res = import_activities([archive])
    assert fingerprint(tmp_path) == before  # nothing written next to the user's files
    a = res.activities.set_index(res.activities["start_time"].dt.day)
    assert len(a) == 2
    assert a.loc[1, "name"] == "Hill repeats" and a.loc[1, "shoe"] == "Pegasus 40"
    assert a.loc[1, "format"] == "gpx" and a.loc[1, "n_samples"] > 100
    assert a.loc[3, "format"] == "csv" and a.loc[3, "distance_m"] == pytest.approx(7000)
    assert a.loc[3, "surface"] == "unknown"  # a log row says nothing about a treadmill


def test_bad_files_are_skipped_with_reasons_and_strict_fails(tmp_path):
    write(tmp_path / "good.gpx", gpx(track("2024-05-01T06:00:00Z")))
    write(tmp_path / "garbage.gpx", b"\x00\x01not xml at all")
    write(tmp_path / "empty.tcx", b"")
    write(tmp_path / "broken.gpx.gz", gz(gpx(track("2024-05-02T06:00:00Z")))[:40])
    res = import_activities([tmp_path])
    assert len(res.activities) == 1
    reasons = dict(zip(res.skipped["name"].map(os.path.basename), res.skipped["reason"],
                       strict=True))
    assert set(reasons) == {"garbage.gpx", "empty.tcx", "broken.gpx.gz"}
    assert all(r for r in reasons.values())
    assert "gzip" in reasons["broken.gpx.gz"]
    with pytest.raises(ReadError):
        import_activities([tmp_path], strict=True)


def test_treadmill_without_gps_is_imported_and_marked(tmp_path):
    write(tmp_path / "tm.tcx", tcx_treadmill("2024-05-01T12:00:00Z"))
    write(tmp_path / "road.gpx", gpx(track("2024-05-02T12:00:00Z")))
    res = import_activities([tmp_path])
    tm = res.activities[res.activities["format"] == "tcx"].iloc[0]
    assert tm["surface"] == "treadmill"
    assert not tm["has_gps"]
    assert tm["distance_m"] == pytest.approx(2.8 * 1800, rel=0.01)
    assert tm["tz_source"] == "nearby"  # the zone of the next day's GPS run
    assert pd.isna(tm["climb_m_per_km"]) and pd.isna(tm["downhill_10_s"])  # no grade indoors


def test_rerun_parses_nothing_and_gives_the_same_table(tmp_path):
    for day in range(1, 5):
        write(tmp_path / f"run{day}.gpx", gpx(track(f"2024-05-0{day}T06:00:00Z")))
    first = import_activities([tmp_path])
    second = import_activities([tmp_path])
    assert first.n_parsed == 4 and second.n_parsed == 0
    pd.testing.assert_frame_equal(first.activities, second.activities)


def test_corrupt_cache_is_rebuilt(tmp_path):
    f = write(tmp_path / "run.gpx", gpx(track("2024-05-01T06:00:00Z")))
    first = import_activities([f])
    store = Store()
    # break the index and every stored Parquet file
    for p in store.root.rglob("*.parquet"):
        p.write_bytes(b"not parquet")
    again = import_activities([f])
    assert again.n_parsed == 1
    pd.testing.assert_frame_equal(first.activities, again.activities)
    assert len(again.samples()) == first.activities.loc[0, "n_samples"]


def test_zip_slip_member_names_never_write_outside(tmp_path):
    archive = write(tmp_path / "x" / "evil.zip", zip_of({
        "../../escaped.gpx": gpx(track("2024-05-01T06:00:00Z")),
        "/abs/path.gpx": gpx(track("2024-05-02T06:00:00Z")),
    }))
    before = fingerprint(tmp_path)
    res = import_activities([archive])
    assert len(res.activities) == 2
    assert fingerprint(tmp_path) == before
    assert {n.split(":", 1)[1] for n in res.activities["source_path"]} == {
        "escaped.gpx", "abs/path.gpx"}


def test_nested_archives_and_unknown_files(tmp_path):
    inner = zip_of({"run.gpx": gpx(track("2024-05-01T06:00:00Z"))})
    write(tmp_path / "garmin.zip", zip_of({"DI_CONNECT/uploads/part1.zip": inner,
                                           "readme.json": b"{}"}))
    write(tmp_path / "notes.txt", b"hello")
    res = import_activities([tmp_path])
    assert len(res.activities) == 1
    assert res.activities.loc[0, "source_path"].endswith("part1.zip:run.gpx")
    assert res.skipped.empty
    named = import_activities([tmp_path / "notes.txt"])
    assert "unsupported file type '.txt'" in named.skipped.loc[0, "reason"]


def test_missing_path_is_reported(tmp_path):
    res = import_activities([tmp_path / "nope"])
    assert res.skipped.loc[0, "reason"] == "no such file or folder"
    assert res.activities.empty


def test_zones_of_places_met_before_need_no_zone_finder(tmp_path, monkeypatch):
    f = write(tmp_path / "run.gpx", gpx(track("2024-05-01T06:00:00Z")))
    first = import_activities([f], cache_dir=tmp_path / "cache")
    # as a new process: nothing in memory, and no zone finder to load
    monkeypatch.setattr(timezones, "_MEMO", {})
    timezones._zone_at_rounded.cache_clear()

    def no_finder():
        raise AssertionError("the zone finder was loaded")

    monkeypatch.setattr(timezones, "_finder", no_finder)
    again = import_activities([f], cache_dir=tmp_path / "cache")
    assert again.activities["timezone"].tolist() == first.activities["timezone"].tolist()
    assert first.activities["timezone"].tolist() == ["America/Denver"]
    timezones.remember_zones("0.0-another-version", {"1.00,1.00": "Europe/Paris"})
    assert "1.00,1.00" not in timezones.zone_memo()[1]
    timezones._zone_at_rounded.cache_clear()
