"""The batch paths of a cold import give exactly what the one-file-at-a-time paths give.

Files are summarised together (one vectorised pass over every file's records), their
tables converted to Parquet together, and readers build their frames with final dtypes so
that :func:`runback.schema.conform` has nothing to do. None of that may change a value
beyond float rounding: the terrain metrics put every activity of a batch on one distance
axis, so a file's grade-adjusted pace may differ from its alone-value in the 12th digit.
Everything is tested through :func:`runback.importer.import_activities` and what its
cache holds afterwards.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.importer import batch as worker
from runback.importer import import_activities
from runback.io.base import ParsedColumns
from runback.store import Piece, Store, _parquet_bytes
from tests.builders import DENVER, LONDON, gpx, tcx_treadmill, track
from tests.fitkit.encode import encode_activity

#: One zone for every import compared here.
ZONE = "America/Denver"


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


def _files(folder) -> list:
    """A mixed batch: FIT runs, a GPX with heart rate, one without, a treadmill TCX."""
    data = {
        "a.fit": _fit_run("2024-05-01T06:00:00"),
        "b.fit": _fit_run("2024-05-02T06:00:00", n=90, climb=-0.5),
        "c.gpx": gpx(track("2024-05-03T17:00:00Z", where=LONDON, climb_m=40)),
        "d.gpx": gpx(track("2024-05-04T17:00:00Z", hr=None, minutes=12)),
        "e.tcx": tcx_treadmill("2024-05-05T12:00:00Z", minutes=20),
    }
    folder.mkdir(exist_ok=True)
    for name, blob in data.items():
        (folder / name).write_bytes(blob)
    return sorted(folder / name for name in data)


def _by_file(res) -> dict:
    """``{file name: (activities rows, hr_hist rows)}`` of an import."""
    acts = res.activities.assign(file=res.activities["source_path"].str.rsplit("/", n=1).str[-1])
    out = {}
    for name, rows in acts.groupby("file", sort=True):
        ids = list(rows["activity_id"])
        out[name] = (rows.drop(columns=["file"]).reset_index(drop=True),
                     res.hr_hist.loc[res.hr_hist.index.intersection(ids)])
    return out


def _pack_of(cache, res) -> set:
    store = Store(cache)
    return {store.meta(k)["pack"] for k in res.activities["file_key"]}


def test_batch_summary_equals_one_file_at_a_time(tmp_path):
    paths = _files(tmp_path / "in")
    # one zone for all: alone, the treadmill run has no neighbour to take its zone from
    together = import_activities(paths, cache_dir=tmp_path / "cache", workers=1, tz=ZONE)
    assert len(_pack_of(tmp_path / "cache", together)) == 1        # one batch, one pack
    got = _by_file(together)
    assert sorted(got) == [p.name for p in paths]
    for i, path in enumerate(paths):
        alone = import_activities([path], cache_dir=tmp_path / f"alone{i}", workers=1,
                                  tz=ZONE)
        acts, hist = _by_file(alone)[path.name]
        pd.testing.assert_frame_equal(got[path.name][0], acts, check_exact=False, rtol=1e-9)
        mine = got[path.name][1]
        pd.testing.assert_frame_equal(mine.loc[:, (mine != 0).any()],
                                      hist.loc[:, (hist != 0).any()], check_exact=True,
                                      check_names=False)
    # the batch really summarised something: heart rate where the file has it, none where not
    assert got["a.fit"][1].sum(axis=1).iloc[0] > 60 and got["d.gpx"][1].empty
    assert (together.activities["n_samples"] > 0).all()


def test_a_file_without_samples_keeps_its_place_in_a_batch(tmp_path, monkeypatch):
    paths = _files(tmp_path / "in")
    real = worker.read_tables

    def no_samples_for_b(data, fmt, name):
        parsed = real(data, fmt, name)
        if name.endswith("b.fit"):
            parsed = parsed.to_parsed() if isinstance(parsed, ParsedColumns) else parsed
            parsed.samples = parsed.samples.iloc[:0]
        return parsed

    monkeypatch.setattr(worker, "read_tables", no_samples_for_b)
    got = _by_file(import_activities(paths, cache_dir=tmp_path / "cache", workers=1, tz=ZONE))
    acts, hist = got["b.fit"]
    assert acts["n_samples"].tolist() == [0] and hist.empty
    assert got["a.fit"][0]["n_samples"].iloc[0] == 200
    monkeypatch.undo()
    alone = _by_file(import_activities([paths[0]], cache_dir=tmp_path / "alone", workers=1,
                                       tz=ZONE))
    pd.testing.assert_frame_equal(got["a.fit"][0], alone["a.fit"][0], check_exact=False,
                                  rtol=1e-9)


def test_what_a_batch_stores_reads_back_as_imported(tmp_path):
    paths = _files(tmp_path / "in")
    first = import_activities(paths, cache_dir=tmp_path / "cache", workers=1)
    store = Store(tmp_path / "cache")
    for key, n in zip(first.activities["file_key"], first.activities["n_samples"],
                      strict=True):
        assert len(store.load(key, "samples")) == n
        assert len(store.load(key, "activities")) == 1
    for index in store.base.glob("index-*.arrow"):     # the packs alone, no index
        index.unlink()
    again = import_activities(paths, cache_dir=tmp_path / "cache", workers=1)
    assert again.n_parsed == 0
    pd.testing.assert_frame_equal(again.activities, first.activities, check_exact=True)
    pd.testing.assert_frame_equal(again.hr_hist, first.hr_hist, check_exact=True)
    assert len(again.samples()) == first.activities["n_samples"].sum()


def test_a_pack_gives_back_each_entry_as_stored_alone(tmp_path):
    rng = np.random.default_rng(3)
    a = pd.DataFrame({"x": rng.normal(size=5), "s": pd.array(list("abcde"), dtype="string")})
    b = pd.DataFrame({"x": rng.normal(size=3), "s": pd.array(["f", None, "h"], dtype="string")})
    c = pd.DataFrame({"x": pd.array([1, 2], dtype="Int64")})      # another layout
    d = a.iloc[:0]                                                   # no rows
    tables = [{"activities": a, "hr_hist": c}, {"activities": b}, {"activities": d},
              {"hr_hist": c.iloc[:1]}, {}, {"activities": c}]
    keys = [f"{i:032x}" for i in range(len(tables))]
    pieces: dict[str, list[Piece]] = {}
    for key, t in zip(keys, tables, strict=True):
        for name, df in t.items():
            pieces.setdefault(name, []).append(Piece.of(df, key))
    store = Store(tmp_path / "pack")
    pack = store.put_pieces([(k, {"name": k}) for k in keys], pieces)
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
    # the same entries again: the pack kept is the one already there
    assert store.put_pieces([(k, {"name": k}) for k in keys], pieces) == pack


def test_a_piece_refuses_what_cannot_be_stored(tmp_path):
    frame = pd.DataFrame({"part": [0, 0, 1], "bpm": [120, 121, 150],
                          "seconds": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="one key per row"):
        Piece(frame, np.array(["k" * 32] * 2, dtype=object), ["k" * 32])
    with pytest.raises(ValueError, match="column 'key'"):
        Piece.of(frame.assign(key="x"), "k" * 32)
    store = Store(tmp_path)
    with pytest.raises(ValueError, match="table must be one of"):
        store.put_pieces([("k" * 32, {})], {"nonsense": [Piece.of(frame, "k" * 32)]})
    assert store.put_pieces([], {}) is None
    assert not store.packs.exists()
    pieces = {"hr_hist": [Piece.of(frame, f"{i:032x}") for i in range(3)]}
    store.put_pieces([(f"{i:032x}", {"name": f"f{i}"}) for i in range(3)], pieces)
    for i in range(3):
        assert store.meta(f"{i:032x}")["name"] == f"f{i}"
        pd.testing.assert_frame_equal(store.load(f"{i:032x}", "hr_hist"), frame)


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
    folder = tmp_path / "in"
    paths = _files(folder)
    pts = track("2024-05-06T06:00:00Z", minutes=10)
    for k in (10, 25):
        pts[k] = dict(pts[k], lon=pts[k]["lon"] + 0.06)   # ~5 km out and back
    (folder / "f-spiky.gpx").write_bytes(gpx(pts))
    (folder / "g-route.gpx").write_bytes(
        b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        b'<rte><rtept lat="1" lon="1"/></rte></gpx>')
    (folder / "h-broken.fit").write_bytes(b"\x0e\x10" + bytes(30))
    res = import_activities([folder], cache_dir=tmp_path / "cache", workers=1)
    spikes = [w for w in res.warnings if "GPS fix" in w]
    assert spikes == [f"{folder / 'f-spiky.gpx'}: 2 GPS fixes dropped for an implausible "
                      "speed (over 50 m/s)"]
    skipped = res.skipped.set_index("name")
    assert skipped.loc[str(folder / "g-route.gpx"), "not_activity"]
    assert not skipped.loc[str(folder / "h-broken.fit"), "not_activity"]
    assert len(skipped) == 2 and len(res.activities) == len(paths) + 1
    store = Store(tmp_path / "cache")
    assert len(_pack_of(tmp_path / "cache", res)) == 1        # one pack for the batch
    route = store.meta(res.activities.iloc[0]["file_key"])["pack"]
    skips = {m["name"]: m for m in store.pack_meta(route)["entries"].values()}
    assert skips[str(folder / "g-route.gpx")]["not_activity"]
    assert skips[str(folder / "h-broken.fit")]["skip"] == skipped.loc[
        str(folder / "h-broken.fit"), "reason"]
    assert skips[str(folder / "f-spiky.gpx")]["warnings"] == [spikes[0].split(": ", 1)[1]]
    again = import_activities([folder], cache_dir=tmp_path / "cache", workers=1)
    assert again.n_parsed == 0 and again.warnings == res.warnings
    pd.testing.assert_frame_equal(again.skipped, res.skipped)


def test_a_pack_of_files_with_and_without_records_reads_back_per_file(tmp_path):
    """A log without records gives activities of another layout than the watch files:
    each file must still read back its own rows from the pack."""
    folder = tmp_path / "in"
    paths = _files(folder)
    (folder / "log.csv").write_bytes(
        b"id,date,name,type,description,elapsed_time,distance,commute,gear,filename\n"
        b"7,2024-05-08 06:00:00,Easy run,Run,,2400,7000.0,false,Pegasus 40,\n")
    res = import_activities([folder], cache_dir=tmp_path / "cache", workers=1)
    assert len(res.activities) == len(paths) + 1
    store = Store(tmp_path / "cache")
    (pack,) = _pack_of(tmp_path / "cache", res)
    files = store.pack_meta(pack)["files"]
    assert {"activities-0", "activities-1"} <= set(files)   # the log lacks the summaries
    for key in res.activities["file_key"]:
        assert len(store.load(key, "activities")) == 1
    log = res.activities[res.activities["format"] == "csv"]["file_key"].iloc[0]
    assert "moving_time_s" not in store.load(log, "activities").columns
    for index in store.base.glob("index-*.arrow"):        # read back from the pack alone
        index.unlink()
    again = import_activities([folder], cache_dir=tmp_path / "cache", workers=1)
    assert again.n_parsed == 0
    pd.testing.assert_frame_equal(again.activities, res.activities, check_exact=True)
    pd.testing.assert_frame_equal(again.hr_hist, res.hr_hist, check_exact=True)


def test_a_file_whose_arrays_cannot_join_the_batch_is_skipped_alone(tmp_path, monkeypatch):
    paths = _files(tmp_path / "in")
    real = worker.read_tables

    def broken_for_b(data, fmt, name):
        parsed = real(data, fmt, name)
        if name.endswith("b.fit"):
            assert isinstance(parsed, ParsedColumns)
            parsed.samples.values["heart_rate_bpm"] = parsed.samples["heart_rate_bpm"][:3]
        return parsed

    monkeypatch.setattr(worker, "read_tables", broken_for_b)
    res = import_activities(paths, cache_dir=tmp_path / "cache", workers=1, tz=ZONE)
    (reason,) = res.skipped["reason"]
    assert res.skipped["name"].tolist() == [str(paths[1])]
    assert reason.startswith("unexpected error")
    got = _by_file(res)
    assert sorted(got) == ["a.fit", "c.gpx", "d.gpx", "e.tcx"]
    monkeypatch.undo()
    alone = _by_file(import_activities([paths[0]], cache_dir=tmp_path / "alone", workers=1,
                                       tz=ZONE))
    pd.testing.assert_frame_equal(got["a.fit"][0], alone["a.fit"][0], check_exact=False,
                                  rtol=1e-9)
    # a bug's error is never cached: the file is read again next time, and now it reads
    again = import_activities(paths, cache_dir=tmp_path / "cache", workers=1)
    assert again.n_parsed == 1 and again.skipped.empty


def test_the_index_of_the_former_format_is_replaced(tmp_path):
    paths = _files(tmp_path / "in")
    store = Store(tmp_path / "cache")
    store.base.mkdir(parents=True)
    old = store.base / "index-files.parquet"
    old.write_bytes(_parquet_bytes(pd.DataFrame({"key": ["0" * 32], "pack": ["x"]})))
    first = import_activities(paths, cache_dir=tmp_path / "cache", workers=1)
    assert not old.exists()
    assert all(store.index_path(t).is_file() for t in ("files", "activities", "hr_hist"))
    assert len(store.read_index()["files"]) == len(paths)
    again = import_activities(paths, cache_dir=tmp_path / "cache", workers=1)
    assert again.n_parsed == 0
    pd.testing.assert_frame_equal(again.activities, first.activities, check_exact=True)


def test_the_index_gives_only_the_rows_of_the_files_given(tmp_path):
    paths = _files(tmp_path / "in")
    cache = tmp_path / "cache"
    both = import_activities(paths, cache_dir=cache, workers=1)
    some = import_activities(paths[:2], cache_dir=cache, workers=1)   # from the index alone
    assert some.n_parsed == 0 and sorted(_by_file(some)) == ["a.fit", "b.fit"]
    assert set(some.hr_hist.index) <= set(some.activities["activity_id"])
    again = import_activities(paths, cache_dir=cache, workers=1)
    pd.testing.assert_frame_equal(again.activities, both.activities, check_exact=True)
    pd.testing.assert_frame_equal(again.hr_hist, both.hr_hist, check_exact=True)
