"""The cache survives ``kill -9`` mid-import and trusts nothing it has not checked."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runback import import_activities
from runback.store import PARSER_VERSION, STALE_TMP_S, Store
from tests.builders import gpx, track
from tests.fitkit.encode import encode_activity

N_FIT, N_GPX = 45, 25
N_FILES = N_FIT + N_GPX


def _fit_run(day: int, n: int = 900) -> bytes:
    t = pd.date_range(pd.Timestamp("2024-01-01 07:00", tz="UTC") + pd.Timedelta(days=day),
                      periods=n, freq="2s")
    d = np.arange(n) * 6.0
    return encode_activity(pd.DataFrame({
        "timestamp": t, "latitude_deg": 39.7 + d / 111_195.0,
        "longitude_deg": np.full(n, -105.0), "distance_m": d,
        "altitude_m": 1600 + 10 * np.sin(np.arange(n) / 50), "heart_rate_bpm": np.full(n, 145.0),
        "cadence_spm": np.full(n, 172.0)}))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """70 distinct runs, enough for an import of a few seconds."""
    root = tmp_path_factory.mktemp("runs")
    for i in range(N_FIT):
        (root / f"run_{i:02d}.fit").write_bytes(_fit_run(i))
    for i in range(N_GPX):
        start = str(pd.Timestamp("2024-04-01 07:00") + pd.Timedelta(days=i))
        (root / f"run_{i:02d}.gpx").write_bytes(gpx(track(start, minutes=30, step_s=2)))
    return root


def _command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "runback", "activities", str(folder), "--format", "json"]


def _env(cache: Path) -> dict[str, str]:
    return dict(os.environ, RUNBACK_CACHE_DIR=str(cache))


def _run(folder: Path, cache: Path) -> str:
    res = subprocess.run(_command(folder), env=_env(cache), capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    return res.stdout


def _pack_dirs(cache: Path) -> list[Path]:
    """The packs written so far (a pack appears whole, by one rename; the hidden folder of
    a pack being written is not one yet)."""
    return sorted(p.parent for p in (cache / f"v{PARSER_VERSION}" / "packs").glob("*/meta.json")
                  if not p.parent.name.startswith("."))


def _keys(pack: Path) -> list[str]:
    return list(json.loads((pack / "meta.json").read_text())["entries"])


def _entries(cache: Path) -> list[str]:
    """The keys of every file stored so far."""
    return [k for pack in _pack_dirs(cache) for k in _keys(pack)]


@pytest.fixture(scope="module")
def clean_output(folder, tmp_path_factory) -> str:
    return _run(folder, tmp_path_factory.mktemp("clean-cache"))


@pytest.fixture(scope="module")
def warm(folder, tmp_path_factory):
    """A cache filled by one import, and that import's result."""
    cache = tmp_path_factory.mktemp("warm") / "cache"
    res = import_activities([folder], cache_dir=cache, workers=2)  # in packs of 8 files
    assert res.n_parsed == N_FILES
    assert len(_pack_dirs(cache)) >= 6
    return cache, res


def _copy(warm, tmp_path) -> Path:
    cache = tmp_path / "cache"
    shutil.copytree(warm[0], cache, symlinks=True)
    return cache


def test_kill_9_mid_import_then_rerun_gives_the_clean_output(folder, clean_output, tmp_path):
    cache = tmp_path / "cache"
    proc = subprocess.Popen(_command(folder), env=_env(cache), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    n_at_kill = 0
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            n_at_kill = len(_entries(cache))
            if n_at_kill >= 1:
                os.killpg(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the import ended before it could be killed"
    time.sleep(0.5)  # pool workers orphaned by the kill may finish their current file
    written = len(_entries(cache))
    assert 0 < n_at_kill <= written < N_FILES, (n_at_kill, written)
    assert _run(folder, cache) == clean_output
    assert len(set(_entries(cache))) == N_FILES
    assert _run(folder, cache) == clean_output  # and warm from the index


def test_broken_entries_are_rebuilt_not_trusted(folder, clean_output, warm, tmp_path):
    cache = _copy(warm, tmp_path)
    first = warm[1]
    packs = _pack_dirs(cache)
    truncated, missing, bad_meta, garbage, foreign = packs[:5]
    keys = {p: _keys(p) for p in packs}
    samples = truncated / "samples-0.parquet"
    samples.write_bytes(samples.read_bytes()[: samples.stat().st_size // 2])
    (missing / "hr_hist-0.parquet").unlink()
    (bad_meta / "meta.json").write_text('{"pack": "')
    acts = garbage / "samples-0.parquet"
    acts.write_bytes(bytes(acts.stat().st_size))       # same size: only the digest tells
    (foreign / "meta.json").write_text((packs[5] / "meta.json").read_text())  # another pack

    again = import_activities([folder], cache_dir=cache)
    broken = truncated, missing, bad_meta, foreign
    assert again.n_parsed == sum(len(keys[p]) for p in broken)  # not the same-size garbage
    pd.testing.assert_frame_equal(again.activities, first.activities)
    store = Store(cache)
    for p in broken:
        assert not p.exists() or p.name not in {store.meta(k)["pack"] for k in keys[p]}
        assert all(store.meta(k) is not None for k in keys[p])  # rebuilt whole

    assert store.load(keys[garbage][0], "samples") is None  # the digest catches it
    assert not garbage.exists()                              # and the pack is dropped
    third = import_activities([folder], cache_dir=cache)
    assert third.n_parsed == len(keys[garbage])
    assert len(third.samples()) == len(import_activities([folder], cache_dir=cache).samples())
    assert len(third.samples()) == len(first.samples())
    assert _run(folder, cache) == clean_output


def test_index_that_does_not_load_is_rebuilt(folder, clean_output, warm, tmp_path):
    cache = _copy(warm, tmp_path)
    index = Store(cache).index_path("files")
    assert index.is_file()
    index.write_bytes(b"ARROW1 not really")
    res = import_activities([folder], cache_dir=cache)
    assert res.n_parsed == 0                           # per-entry data still trusted
    assert _run(folder, cache) == clean_output


def test_cache_is_readable_by_its_owner_only(warm):
    cache = warm[0]
    paths = [cache, *cache.rglob("*")]
    assert sum(p.suffix == ".parquet" for p in paths) >= 4 * len(_pack_dirs(cache)) > 0
    for p in paths:
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o077 == 0, f"{p} has mode {mode:o}"
        assert mode == (0o700 if p.is_dir() else 0o600), f"{p} has mode {mode:o}"


def test_stray_temporary_folders_of_killed_writes(folder, clean_output, warm, tmp_path):
    cache = _copy(warm, tmp_path)
    packs = cache / f"v{PARSER_VERSION}" / "packs"
    old = packs / ".pack.killed"
    young = packs / ".pack.running"
    old_index = cache / f"v{PARSER_VERSION}" / ".index.killed"
    for stray in (old, young, old_index):
        stray.mkdir()
        (stray / "meta.json").write_text("{broken")
        (stray / "samples-0.parquet").write_bytes(b"half a parquet file")
    past = time.time() - STALE_TMP_S - 60
    old_note = cache / f"v{PARSER_VERSION}" / ".note-zones.killed"
    old_note.write_text("{half")
    for stray in (old, old_index, old_note):
        os.utime(stray, (past, past))
    assert _run(folder, cache) == clean_output
    assert not old.exists() and not old_index.exists() and not old_note.exists()
    assert young.exists()                              # may be another import's write
    res = import_activities([folder], cache_dir=cache)
    assert res.n_parsed == 0


def test_a_lost_index_loses_no_data(folder, clean_output, warm, tmp_path):
    cache = _copy(warm, tmp_path)
    for p in (cache / f"v{PARSER_VERSION}").glob("index-*.arrow"):
        p.unlink()
    res = import_activities([folder], cache_dir=cache)
    assert res.n_parsed == 0                           # the packs name every key they hold
    pd.testing.assert_frame_equal(res.activities, warm[1].activities)
    assert _run(folder, cache) == clean_output
