"""Fitbit exercise lists: summary activities, joined to the TCX of the same run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runback.errors import NotAnActivityError, ReadError
from runback.importer import import_activities
from runback.io.fitbit import read_fitbit_exercises
from tests.builders import tcx_treadmill, zip_of
from tests.health_builders import as_json, fitbit_exercise


def test_exercises_become_summary_activities():
    data = as_json([
        fitbit_exercise(1, "Run", "2024-03-02 08:15:00", minutes=42, km=8.1, hr=151),
        fitbit_exercise(2, "Treadmill", "2024-03-03 18:00:00", minutes=30, km=5.0,
                        date_style="us"),
        fitbit_exercise(3, "Walk", "2024-03-04 12:00:00", minutes=20),
        {"logId": 4, "activityName": "Run"},  # no start: left out
    ])
    parsed = read_fitbit_exercises(data, name="exercise-0.json")
    a = parsed.activities
    assert list(a["sport"]) == ["running", "running", "walking"]
    assert a["sub_sport"].iloc[1] == "treadmill"
    assert a["device_distance_m"].iloc[0] == pytest.approx(8100.0)
    assert a["device_elapsed_s"].iloc[0] == pytest.approx(42 * 60)
    assert a["device_avg_hr_bpm"].iloc[0] == 151
    assert a["local_start"].iloc[1] == pd.Timestamp("2024-03-03 18:00:00")
    assert a["start_time"].isna().all()  # a wall clock without a zone
    assert np.isnan(a["device_distance_m"].iloc[2])
    assert parsed.warnings == ["1 of 4 exercises without a readable start were left out"]


def test_miles_are_converted():
    e = fitbit_exercise(1, "Run", "2024-03-02 08:15:00", minutes=42, km=None)
    e.update(distance=5.0, distanceUnit="Mile")
    a = read_fitbit_exercises(as_json([e]), name="x.json").activities
    assert a["device_distance_m"].iloc[0] == pytest.approx(8046.72)


@pytest.mark.parametrize("data, error, match", [
    (b"{not json", ReadError, "not valid JSON"),
    (b'{"activityName": "Run"}', NotAnActivityError, "not a Fitbit exercise list"),
    (b"[1, 2]", NotAnActivityError, "not a Fitbit exercise list"),
    (b"[]", NotAnActivityError, "without a readable exercise"),
])
def test_bad_exercise_files(data, error, match):
    with pytest.raises(error, match=match):
        read_fitbit_exercises(data, name="exercise-0.json")


def test_takeout_zip_joins_the_tcx_of_the_same_run(tmp_path):
    # 18:00 UTC; with --tz UTC the wall clock of the JSON entry is the same instant
    tcx = tcx_treadmill("2024-03-03T18:00:20Z", minutes=30)
    path = tmp_path / "takeout.zip"
    path.write_bytes(zip_of({
        "Takeout/Fitbit/Global Export Data/exercise-0.json": as_json([
            fitbit_exercise(7, "Treadmill", "2024-03-03 18:00:00", minutes=30, km=5.0,
                            hr=135, calories=321),
            fitbit_exercise(8, "Walk", "2024-03-04 12:00:00", minutes=20)]),
        "Takeout/Fitbit/Global Export Data/sleep-2024-03-03.json": b"[]",
        "Takeout/Fitbit/Activities/7.tcx": tcx,
    }))
    result = import_activities([path], tz="UTC")
    acts = result.activities
    assert len(result.skipped) == 0, result.skipped
    assert len(acts) == 2
    run = acts[acts["sport"] == "running"].iloc[0]
    assert run["format"] == "tcx" and run["n_samples"] > 100
    assert run["name"] == "Treadmill" and run["calories_kcal"] == pytest.approx(321)
    assert "exercise-0.json" in run["sources"] and "7.tcx" in run["sources"]


def test_real_fitbit_exercise_lists(realdata):
    folder = realdata / "simula__pmdata-fitbit"
    if not folder.exists():
        pytest.skip(f"no Fitbit export in {realdata}")
    p01 = read_fitbit_exercises(folder / "p01" / "exercise.json")
    a = p01.activities
    assert len(a) == 190 and p01.warnings == []
    assert (a["sport"] == "running").sum() == 25
    assert (a["sub_sport"] == "treadmill").sum() == 11
    runs = a[(a["sport"] == "running") & (a["device_distance_m"] > 0)]  # one 13 s stub: 0 m
    pace = runs["device_elapsed_s"] / (runs["device_distance_m"] / 1000)
    assert pace.between(150, 1200).all()  # 2:30 to 20:00 min/km
    acts = import_activities([folder], tz="Europe/Oslo").activities
    assert acts["local_date"].min() >= pd.Timestamp("2019-10-01")
    assert acts["local_date"].max() <= pd.Timestamp("2020-04-30")
