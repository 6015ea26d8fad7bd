"""The bundled sample season: the generator is deterministic, and runback finds what it planted.

The expected values come from each athlete's ``planted.json``, which the generator writes
from its own simulation; runback reads the activity files and the diary independently.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runback import TrainingLog
from runback.io.diary import read_diary

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
SCRIPT = SAMPLE / "make_sample_data.py"
ATHLETES = {"runner": SAMPLE / "runner", "ana": SAMPLE / "team" / "ana",
            "ben": SAMPLE / "team" / "ben"}
#: Files a real runner's download would hold, beside the diary and the profile.
STANDALONE = (".fit", ".gpx", ".gpx.gz", ".tcx")


def planted(folder: Path) -> dict:
    with open(folder / "planted.json", encoding="utf-8") as fh:
        return json.load(fh)


def generate(out: Path, months: int) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--months", str(months)],
                   check=True, capture_output=True, timeout=120)


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, TrainingLog]:
    """Every athlete's folder imported once, into a private cache."""
    out = {}
    for key, folder in ATHLETES.items():
        out[key] = TrainingLog.from_paths([folder / "activities"],
                                          diary=folder / "pain_diary.csv",
                                          cache_dir=tmp_path_factory.mktemp(f"cache-{key}"))
    return out


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------

def test_generator_writes_identical_bytes_twice(tmp_path):
    generate(tmp_path / "a", 2)
    generate(tmp_path / "b", 2)
    first, second = files_of(tmp_path / "a"), files_of(tmp_path / "b")
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    kinds = Counter(Path(n).suffix for n in first)
    assert kinds[".fit"] > 0 and kinds[".gz"] > 0 and kinds[".zip"] == 1


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    """A shorter season is a prefix of the committed one: same files, diary a prefix."""
    generate(tmp_path, 2)
    short = files_of(tmp_path)
    compared = 0
    for name, data in short.items():
        if name.endswith(STANDALONE):
            assert (SAMPLE / name).read_bytes() == data, name
            compared += 1
        elif name.endswith("pain_diary.csv"):
            assert (SAMPLE / name).read_bytes().startswith(data), name
    assert compared >= 30


def test_sample_stays_small_and_the_main_runner_is_separate_from_the_team():
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 15 * 2**20
    runner_files = {p.resolve() for p in ATHLETES["runner"].rglob("*")}
    assert not any(p.resolve() in runner_files for p in (SAMPLE / "team").rglob("*"))


# --------------------------------------------------------------------------------------------
# The main runner
# --------------------------------------------------------------------------------------------

def test_runner_imports_every_session_once_without_skips(logs):
    log, truth = logs["runner"], planted(ATHLETES["runner"])
    res = log.import_result
    assert res.skipped.empty, res.skipped.to_dict("records")
    assert res.warnings == []
    acts = log.activities
    assert len(acts) == truth["n_activities"]
    assert int(acts["is_run"].sum()) == truth["n_runs"]
    assert set(acts["format"]) == {"fit", "gpx", "tcx", "csv"}
    got = Counter(acts["local_date"].dt.strftime("%Y-%m-%d"))
    want = Counter(s["local_start"][:10] for s in truth["sessions"])
    assert got == want


def test_runner_profile_is_found_and_used(logs):
    with open(ATHLETES["runner"] / "runback.toml", "rb") as fh:
        athlete = tomllib.load(fh)["athlete"]
    profile = logs["runner"].profile
    assert (profile.hr_max, profile.hr_rest, profile.sex, profile.timezone) == (
        athlete["hr_max"], athlete["hr_rest"], athlete["sex"], athlete["timezone"])


def test_runs_shared_on_strava_merge_into_the_watch_file(logs):
    truth = planted(ATHLETES["runner"])
    shared = [s for s in truth["sessions"] if s["also"]]
    assert len(shared) == 2
    acts = logs["runner"].activities
    for s in shared:
        start = pd.Timestamp(s["utc_start"])
        row = acts[(acts["start_time"] - start).abs() < pd.Timedelta(seconds=30)]
        assert len(row) == 1, s
        row = row.iloc[0]
        assert row["format"] == "fit"
        sources = row["sources"].split(" | ")
        assert any(x.endswith(s["file"]) for x in sources)
        assert any(".gpx.gz" in x and "strava_export.zip" in x for x in sources)
        assert pd.notna(row["shoe"]) and pd.notna(row["rpe"])  # from Strava's activities.csv


def test_evening_runs_after_utc_midnight_stay_on_the_local_day(logs):
    truth = planted(ATHLETES["runner"])
    late = [s for s in truth["sessions"]
            if s["utc_start"][:10] != s["local_start"][:10] and not s["file"].endswith(".csv")]
    assert len(late) >= 20
    acts = logs["runner"].activities
    formats = set()
    for s in late:
        start = pd.Timestamp(s["utc_start"])
        row = acts[(acts["start_time"] - start).abs() < pd.Timedelta(seconds=30)].iloc[0]
        assert row["local_date"] == pd.Timestamp(s["local_start"][:10]), s
        formats.add(row["format"])
    assert {"fit", "gpx"} <= formats


def test_surfaces_and_cross_training(logs):
    truth = planted(ATHLETES["runner"])
    acts = logs["runner"].activities
    treadmills = sum(s["kind"] == "treadmill" for s in truth["sessions"])
    tread = acts[acts["surface"] == "treadmill"]
    assert len(tread) == treadmills
    fit_tread = tread[tread["format"] == "fit"]
    assert len(fit_tread) >= 1
    assert (fit_tread["sub_sport"] == "treadmill").all() and not fit_tread["has_gps"].any()
    sports = Counter(acts["sport"])
    assert sports["cycling"] == sum(s["kind"] == "ride" for s in truth["sessions"])
    assert sports["strength"] == sum(s["kind"] == "strength" for s in truth["sessions"])
    summary_only = acts[(acts["format"] == "csv") & acts["source_path"].str.contains(
        "strava_export.zip")]
    assert list(summary_only["sport"]) == ["strength"]


def test_steep_descent_runs_are_the_only_long_steep_downhill(logs):
    truth = planted(ATHLETES["runner"])
    acts = logs["runner"].activities.dropna(subset=["start_time"])
    kinds = {pd.Timestamp(s["utc_start"]).floor("min"): s["kind"] for s in truth["sessions"]}
    kind = acts["start_time"].dt.floor("min").map(kinds)
    steep = acts["downhill_10_s"].fillna(0)
    assert (steep[kind == "long_descent"] > 300).all()
    assert (steep[kind != "long_descent"] < 120).all()


def test_runner_diary_reads_cleanly_with_gaps_and_no_red_flags(logs):
    folder = ATHLETES["runner"]
    result = read_diary(folder / "pain_diary.csv")
    assert result.problems == []
    pain = result.pain
    days = pd.date_range(pain["date"].min(), pain["date"].max(), freq="D")
    assert 0 < len(days) - pain["date"].nunique() < 0.25 * len(days)
    assert pain["sleep_hours"].notna().mean() > 0.8 and pain["stress"].notna().mean() > 0.8
    assert pain["interventions"].notna().any()
    assert (pain.groupby("date").size() > 1).any()
    assert logs["runner"].red_flags.empty


def test_planted_flare_ups_are_found(logs):
    for key in ATHLETES:
        flares = logs[key].flares
        want = planted(ATHLETES[key])["flare_onsets"]
        assert list(flares["onset"].dt.strftime("%Y-%m-%d")) == want, key


def test_case_crossover_puts_steep_descent_first(logs):
    fx = pytest.importorskip("runback.factors")
    result = fx.case_crossover(logs["runner"].daily)
    assert result.n_onsets >= 8
    table = result.factors[result.factors["p_value"].notna()].copy()
    table["effect"] = np.abs(np.log(table["odds_ratio"]))
    top = table.sort_values(["p_value", "effect"], ascending=[True, False]).iloc[0]
    assert top["factor"] == "descent"
    assert top["odds_ratio"] > 1 and top["ci_low"] > 1


# --------------------------------------------------------------------------------------------
# The team
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["ana", "ben"])
def test_team_athletes_import_cleanly(logs, key):
    log, truth = logs[key], planted(ATHLETES[key])
    assert log.import_result.skipped.empty
    assert len(log.activities) == truth["n_activities"]
    assert read_diary(ATHLETES[key] / "pain_diary.csv").problems == []


def test_only_ben_reports_a_night_pain_red_flag(logs):
    flags = logs["ben"].red_flags
    assert list(flags["flag"]) == ["night_pain"]
    assert list(flags["urgency"]) == ["urgent"]
    assert logs["ana"].red_flags.empty
