"""The batch paths of a cold import give exactly what the one-file-at-a-time paths give.

Files are summarised together (one vectorised pass over every file's records), their
tables converted to Parquet together, and readers build their frames with final dtypes so
that :func:`runback.schema.conform` has nothing to do. None of that may change a value
beyond float rounding: the terrain metrics put every activity of a batch on one distance
axis, so a file's grade-adjusted pace may differ from its alone-value in the 12th digit.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.importer import _summarize_batch, _summarize_many, process_entries, process_entry
from runback.io._dispatch import read_bytes
from runback.io.exports import Entry, iter_entries
from runback.io.fit_encode import encode_activity
from runback.store import Store, _parquet_bytes
from tests.builders import DENVER, LONDON, gpx, tcx_treadmill, track


def _fit_run(start: str, n: int = 200, climb: float = 0.3) -> bytes:
    times = pd.date_range(start, periods=n, freq="5s", tz="UTC")
    rng = np.random.default_rng(n)
    return encode_activity(pd.DataFrame({
        "timestamp": times,
        "latitude_deg": DENVER[0] + np.arange(n) * 1.2e-4,
        "longitude_deg": np.full(n, DENVER[1]),
        "distance_m": np.arange(n) * 13.0,
        "altitude_m": 1600 + np.cumsum(rng.normal(climb, 1.0, n)),
        "speed_m_s": np.full(n, 2.6),
        "heart_rate_bpm": rng.integers(120, 175, n).astype(float),
        "cadence_spm": np.full(n, 170.0),
    }))


def _files(tmp_path) -> list:
    """A mixed batch: FIT runs, a GPX with heart rate, one without, a treadmill TCX."""
    data = {
        "a.fit": _fit_run("2024-05-01T06:00:00"),
        "b.fit": _fit_run("2024-05-02T06:00:00", n=90, climb=-0.5),
        "c.gpx": gpx(track("2024-05-03T17:00:00Z", where=LONDON, climb_m=40)),
        "d.gpx": gpx(track("2024-05-04T17:00:00Z", hr=None, minutes=12)),
        "e.tcx": tcx_treadmill("2024-05-05T12:00:00Z", minutes=20),
    }
    for name, blob in data.items():
        (tmp_path / name).write_bytes(blob)
    return sorted((e for e in iter_entries([tmp_path]) if isinstance(e, Entry)),
                  key=lambda e: e.name)


def test_batch_summary_equals_one_file_at_a_time(tmp_path):
    parsed = [read_bytes(e.load(), e.format, e.name) for e in _files(tmp_path)]
    together = _summarize_many(parsed)
    for p, (acts, hist) in zip(parsed, together, strict=True):
        alone_acts, alone_hist = _summarize_batch([p])[0]
        pd.testing.assert_frame_equal(acts, alone_acts, check_exact=False, rtol=1e-9)
        pd.testing.assert_frame_equal(hist, alone_hist, check_exact=True)
    # the batch really summarised something: heart rate where the file has it, none where not
    by_name = {p.activities["format"].iloc[0] + str(i): h for i, (p, (_, h)) in
               enumerate(zip(parsed, together, strict=True))}
    assert len(by_name["fit0"]) > 10 and by_name["gpx3"].empty


def test_a_file_without_samples_keeps_its_place_in_a_batch(tmp_path):
    parsed = [read_bytes(e.load(), e.format, e.name) for e in _files(tmp_path)]
    empty = parsed[1]
    empty.samples = empty.samples.iloc[:0]
    together = _summarize_many(parsed)
    acts, hist = together[1]
    assert acts["n_samples"].tolist() == [0] and hist.empty
    assert together[0][0]["n_samples"].iloc[0] == len(parsed[0].samples)


def test_process_entries_equals_process_entry(tmp_path):
    entries = _files(tmp_path)
    batch = process_entries(entries, str(tmp_path / "cache-a"))
    for entry, got in zip(entries, batch, strict=True):
        alone = process_entry(entry, str(tmp_path / "cache-b"))
        assert (got.name, got.key, got.skip, got.warnings) == \
               (alone.name, alone.key, alone.skip, alone.warnings)
        pd.testing.assert_frame_equal(got.activities, alone.activities, check_exact=False,
                                      rtol=1e-9)
    # and what the batch stored reads back as what was parsed
    store = Store(tmp_path / "cache-a")
    for got in batch:
        pd.testing.assert_frame_equal(store.load(got.key, "activities"), got.activities,
                                      check_exact=True)


def test_a_pack_gives_back_each_entry_as_stored_alone(tmp_path):
    rng = np.random.default_rng(3)
    a = pd.DataFrame({"x": rng.normal(size=5), "s": pd.array(list("abcde"), dtype="string")})
    b = pd.DataFrame({"x": rng.normal(size=3), "s": pd.array(["f", None, "h"], dtype="string")})
    c = pd.DataFrame({"x": pd.array([1, 2], dtype="Int64")})      # another layout
    d = a.iloc[:0]                                                   # no rows
    tables = [{"activities": a, "hr_hist": c}, {"activities": b}, {"activities": d},
              {"hr_hist": c.iloc[:1]}, {}, {"activities": c}]
    keys = [f"{i:032x}" for i in range(len(tables))]
    store = Store(tmp_path / "pack")
    pack = store.put_many([(k, {"name": k}, t) for k, t in zip(keys, tables, strict=True)])
    files = sorted(p.name for p in (store.packs / pack).iterdir())
    assert files == ["activities-0.parquet", "activities-1.parquet", "hr_hist-0.parquet",
                     "meta.json"]
    again = Store(tmp_path / "pack")                                 # read from disk
    for key, t in zip(keys, tables, strict=True):
        assert again.meta(key)["tables"] == sorted(t)
        for name, df in t.items():
            ref = pd.read_parquet(io.BytesIO(_parquet_bytes(df)))
            pd.testing.assert_frame_equal(again.load(key, name), ref, check_exact=True)
        for name in {"activities", "hr_hist"} - set(t):
            assert again.load(key, name) is None
    both = again.load_many(keys[:2], "activities")
    assert both["key"].tolist() == [keys[0]] * 5 + [keys[1]] * 3


def test_put_many_entries_are_checked_like_single_ones(tmp_path):
    store = Store(tmp_path)
    frames = [pd.DataFrame({"part": [0, 0, 1], "bpm": [120, 121, 150],
                            "seconds": [1.0, 2.0, 3.0]}) for _ in range(3)]
    store.put_many([(f"{i:032x}", {"name": f"f{i}"}, {"hr_hist": f})
                    for i, f in enumerate(frames)])
    for i, f in enumerate(frames):
        assert store.meta(f"{i:032x}")["name"] == f"f{i}"
        pd.testing.assert_frame_equal(store.load(f"{i:032x}", "hr_hist"), f)
    with pytest.raises(ValueError, match="table must be one of"):
        store.put_many([("k" * 32, {}, {"nonsense": frames[0]})])


def test_conform_fast_path_equals_the_full_path():
    full = schema.conform(pd.DataFrame({"timestamp": pd.to_datetime(
        ["2024-05-01T06:00:00Z", "2024-05-01T06:00:05Z"]), "part": [0, 0],
        "heart_rate_bpm": [120, 121]}), "raw_samples", extra=False)
    again = schema.conform(full, "raw_samples", extra=False)
    assert again is not full
    pd.testing.assert_frame_equal(again, full, check_exact=True)
    assert list(again.dtypes.astype(str)) == list(full.dtypes.astype(str))


def test_from_columns_fills_and_refuses():
    df = schema.from_columns("raw_samples", {"part": np.array([0, 1], dtype="int64")}, 2)
    assert list(df.columns) == schema.columns("raw_samples")
    assert df["heart_rate_bpm"].isna().all() and df["part"].tolist() == [0, 1]
    with pytest.raises(ValueError, match="no columns"):
        schema.from_columns("raw_samples", {"bogus": np.zeros(2)}, 2)


def test_batch_gives_each_file_its_own_warnings_and_skips(tmp_path):
    """In one batch: a spiky track warns for itself only; a file without activity and a
    broken one are skipped with their reasons; the rest are stored and read back."""
    pts = track("2024-05-06T06:00:00Z", minutes=10)
    for k in (10, 25):
        pts[k] = dict(pts[k], lon=pts[k]["lon"] + 0.06)   # ~5 km out and back
    (tmp_path / "f-spiky.gpx").write_bytes(gpx(pts))
    (tmp_path / "g-route.gpx").write_bytes(
        b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        b'<rte><rtept lat="1" lon="1"/></rte></gpx>')
    (tmp_path / "h-broken.fit").write_bytes(b"\x0e\x10" + bytes(30))
    entries = _files(tmp_path)
    outs = process_entries(entries, str(tmp_path / "cache"))
    by_name = {o.rel: o for o in outs}
    assert by_name["f-spiky.gpx"].warnings == [
        "2 GPS fixes dropped for an implausible speed (over 50 m/s)"]
    assert all(not any("GPS fix" in w for w in o.warnings) for o in outs
               if o.rel != "f-spiky.gpx")
    assert by_name["g-route.gpx"].not_activity and by_name["g-route.gpx"].skip
    assert by_name["h-broken.fit"].skip and not by_name["h-broken.fit"].not_activity
    read = [o for o in outs if o.skip is None]
    assert len(read) == 6
    store = Store(tmp_path / "cache")
    assert len({o.pack for o in outs if o.pack}) == 1        # one pack for the batch
    for o in outs:
        meta = store.meta(o.key)
        assert meta.get("skip") == o.skip and meta.get("warnings", []) == o.warnings
    for o in read:
        pd.testing.assert_frame_equal(store.load(o.key, "activities"), o.activities,
                                      check_exact=True)
        assert len(store.load(o.key, "samples")) == o.activities["n_samples"].sum()


def test_a_pack_of_files_with_and_without_records_reads_back_per_file(tmp_path):
    """A log without records gives activities of another layout than the watch files:
    each file must still read back its own rows from the pack."""
    (tmp_path / "log.csv").write_bytes(
        b"id,date,name,type,description,elapsed_time,distance,commute,gear,filename\n"
        b"7,2024-05-08 06:00:00,Easy run,Run,,2400,7000.0,false,Pegasus 40,\n")
    entries = _files(tmp_path)
    outs = process_entries(entries, str(tmp_path / "cache"))
    read = [o for o in outs if o.skip is None]
    assert len(read) == 6
    store = Store(tmp_path / "cache")
    (pack,) = {o.pack for o in read}
    files = store.pack_meta(pack)["files"]
    assert {"activities-0", "activities-1"} <= set(files)   # the log lacks the summaries
    for o in read:
        own = store.load(o.key, "activities")
        assert len(own) == len(o.activities) == 1
        pd.testing.assert_frame_equal(own, o.activities[own.columns], check_dtype=False)
        pd.testing.assert_frame_equal(store.load(o.key, "hr_hist"), o.hr_hist,
                                      check_exact=True)
    log = next(o for o in read if o.rel == "log.csv")
    assert "moving_time_s" not in store.load(log.key, "activities").columns


def test_a_file_whose_arrays_cannot_join_the_batch_is_skipped_alone(tmp_path, monkeypatch):
    from runback import importer
    from runback.io.base import ParsedColumns

    entries = _files(tmp_path)
    real = importer.read_tables

    def broken_for_b(data, fmt, name):
        parsed = real(data, fmt, name)
        if name.endswith("b.fit"):
            assert isinstance(parsed, ParsedColumns)
            parsed.samples.values["heart_rate_bpm"] = parsed.samples["heart_rate_bpm"][:3]
        return parsed

    monkeypatch.setattr(importer, "read_tables", broken_for_b)
    outs = process_entries(entries, str(tmp_path / "cache"))
    by_name = {o.rel: o for o in outs}
    assert by_name["b.fit"].skip.startswith("unexpected error")
    assert [o.rel for o in outs if o.skip is None] == ["a.fit", "c.gpx", "d.gpx", "e.tcx"]
    assert all(len(o.activities) == 1 for o in outs if o.skip is None)
    alone = process_entry(entries[0], str(tmp_path / "cache-alone"))
    pd.testing.assert_frame_equal(by_name["a.fit"].activities, alone.activities,
                                  check_exact=False, rtol=1e-9)
