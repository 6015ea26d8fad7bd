"""Athlete profile: runback.toml, estimates with notes, version."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runback.errors import RunbackError
from runback.profile import (
    AthleteProfile,
    find_profile,
    load_profile,
    with_estimates,
)

GOOD = """
[athlete]
hr_max = 188
hr_rest = 48
hr_threshold = 171
threshold_pace = "4:30"
sex = "female"
timezone = "Europe/Zurich"
units = "imperial"
flare_k = 1.5
hazard_window_days = 7

[report]
title = "belongs to another part of runback"
"""


def write(tmp_path, text, name="runback.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_profile(tmp_path):
    p = load_profile(write(tmp_path, GOOD))
    assert p == AthleteProfile(hr_max=188, hr_rest=48, hr_threshold=171,
                               threshold_pace_s_per_km=270.0, sex="female",
                               timezone="Europe/Zurich", units="imperial", flare_k=1.5,
                               hazard_window_days=7)
    assert p.banister_b == 1.67
    assert p.threshold_speed_m_s == pytest.approx(1000 / 270)


def test_empty_file_gives_defaults(tmp_path):
    p = load_profile(write(tmp_path, ""))
    assert p == AthleteProfile()
    assert (p.units, p.flare_k, p.hazard_window_days) == ("metric", 2.0, 3)


@pytest.mark.parametrize("text, words", [
    ("[athlete]\nhrmax = 180\n", ["'hrmax'", "runback.toml"]),
    ("hr_max = 180\n", ["'hr_max'", "[athlete]"]),
    ("[athlete]\nhr_max = \n", ["not valid TOML", "line 2"]),
    ("[athlete]\nsex = \"m\"\n", ["sex", "'m'"]),
    ("[athlete]\ntimezone = \"Mars/Olympus\"\n", ["timezone", "Mars/Olympus"]),
    ("[athlete]\nhr_max = 150\nhr_rest = 160\n", ["hr_rest", "below hr_max"]),
    ("[athlete]\nhr_max = \"fast\"\n", ["hr_max", "positive number"]),
    ("[athlete]\nthreshold_pace = \"4.30\"\n", ["threshold_pace", "m:ss"]),
    ("[athlete]\nhazard_window_days = 2.5\n", ["hazard_window_days"]),
    ("[athlete]\nunits = \"furlongs\"\n", ["units", "furlongs"]),
    ("[athlete]\nbirth_year = \"1985\"\n", ["birth_year", "'1985'"]),
    ("[athlete]\nbirth_year = 1850\n", ["birth_year", "1850"]),
])
def test_bad_profiles_name_file_and_problem(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(RunbackError) as err:
        load_profile(path)
    msg = str(err.value)
    assert str(path) in msg
    for w in words:
        assert w in msg
    assert "\n" not in msg.strip()


def test_missing_file(tmp_path):
    with pytest.raises(RunbackError, match="cannot read profile"):
        load_profile(tmp_path / "nope.toml")


def test_find_profile(tmp_path):
    runs = tmp_path / "athlete" / "activities"
    runs.mkdir(parents=True)
    (runs / "a.fit").write_bytes(b"")
    assert find_profile([runs]) is None
    beside = write(tmp_path / "athlete", "")
    # next to the given folder, and from a file inside it
    assert find_profile([runs]) == beside
    assert find_profile([runs / "a.fit"]) == beside
    inside = write(runs, "")
    assert find_profile([runs]) == inside
    assert find_profile([tmp_path / "elsewhere", runs]) == inside


def hist_of(seconds_at):
    cols = pd.Index(range(251), name="bpm")
    row = pd.Series(0.0, index=cols)
    for bpm, secs in seconds_at.items():
        row[bpm] = secs
    return pd.DataFrame([row.to_numpy(), np.zeros(251)], index=["a", "b"], columns=cols)


def test_with_estimates_fills_and_notes():
    # 990 s at 150, 6 s at 187, 4 s at 200: 99.5 % of 1000 s = 995 s is first reached at
    # 187 (990 + 6 = 996), so HR max = 187
    p = with_estimates(AthleteProfile(), hist_of({150: 990.0, 187: 6.0, 200: 4.0}))
    assert p.hr_max == 187.0
    assert p.hr_rest == 60.0
    assert "HR max 187 estimated from your data (99.5th percentile)" in p.notes
    assert any("HR rest 60" in n for n in p.notes)
    assert any("sex not set" in n for n in p.notes)


def test_with_estimates_keeps_given_values():
    given = AthleteProfile(hr_max=192, hr_rest=45, sex="male")
    p = with_estimates(given, hist_of({150: 100.0}))
    assert (p.hr_max, p.hr_rest) == (192, 45)
    assert p.notes == ()


def test_with_estimates_without_heart_rate():
    p = with_estimates(AthleteProfile(sex="male"), hist_of({}))
    assert p.hr_max is None
    assert any("TRIMP not computed" in n for n in p.notes)


def test_estimated_max_below_default_rest():
    p = with_estimates(AthleteProfile(sex="male"), hist_of({55: 100.0}))
    assert p.hr_max == 55.0 and p.hr_rest is None
    assert any("not below HR max" in n for n in p.notes)


def test_version_changes_with_values_not_notes():
    a = AthleteProfile(hr_max=190, hr_rest=50)
    assert a.version() == AthleteProfile(hr_max=190, hr_rest=50).version()
    assert a.version() != AthleteProfile(hr_max=191, hr_rest=50).version()
    assert a.version() != AthleteProfile(hr_max=190, hr_rest=50, sex="female").version()
    assert a.version() == AthleteProfile(hr_max=190, hr_rest=50, notes=("x",)).version()
    assert len(a.version()) == 10


def test_birth_year_is_read_and_feeds_the_age_red_flag(tmp_path):
    from runback.log import TrainingLog

    (tmp_path / "runs").mkdir()
    write(tmp_path / "runs", "[athlete]\nbirth_year = 1961\n")
    diary = tmp_path / "pain_diary.csv"
    diary.write_text("date,pain\n2024-03-01,4\n2024-03-02,2\n")
    log = TrainingLog.from_paths([tmp_path / "runs"], diary=diary)
    assert log.profile.birth_year == 1961
    assert list(log.red_flags["flag"]) == ["age"]
