"""The command line: the contract's names, JSON keys, exit codes and messages."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from runback.cli import WEEKLY_KEYS, main
from tests.builders import DENVER, gpx, track

ACTIVITY_KEYS = ["activity_id", "source", "format", "sport", "sub_sport", "surface",
                 "start_time_utc", "local_date", "timezone", "distance_km", "moving_time_s",
                 "elapsed_time_s", "elevation_gain_m", "elevation_loss_m", "avg_hr_bpm", "load"]


@pytest.fixture
def runs(tmp_path):
    # Saturday and Sunday evening in Denver (UTC next day), Monday morning
    for name, start in [("sat.gpx", "2024-05-05T01:00:00Z"), ("sun.gpx", "2024-05-06T01:00:00Z"),
                        ("mon.gpx", "2024-05-06T14:00:00Z")]:
        (tmp_path / name).write_bytes(gpx(track(start, where=DENVER)))
    (tmp_path / "bad.gpx").write_bytes(b"<gpx><trk>")
    return tmp_path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_activities_json_has_the_contract_keys(runs):
    r = run("activities", str(runs), "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [list(row) for row in rows] == [ACTIVITY_KEYS] * 3
    assert [row["local_date"] for row in rows] == ["2024-05-04", "2024-05-05", "2024-05-06"]
    assert rows[0]["start_time_utc"] == "2024-05-05T01:00:00Z"
    assert rows[0]["timezone"] == "America/Denver"
    assert "skipped" in r.stderr and "bad.gpx" in r.stderr
    assert r.stderr.strip().splitlines()[-1] == "imported 3, skipped 1"


def test_weekly_puts_sunday_evening_in_the_week_ending_sunday(runs):
    r = run("weekly", str(runs), "--format", "json")
    assert r.exit_code == 0, r.output
    weeks = json.loads(r.stdout)
    assert [list(w) for w in weeks] == [list(WEEKLY_KEYS)] * 2
    assert [(w["week_start"], w["runs"]) for w in weeks] == [("2024-04-29", 2),
                                                              ("2024-05-06", 1)]
    assert weeks[0]["distance_km"] == pytest.approx(10.8, rel=0.01)


def test_csv_and_table_formats(runs):
    r = run("activities", str(runs), "--format", "csv")
    assert r.stdout.splitlines()[0] == ",".join(ACTIVITY_KEYS)
    t = run("weekly", str(runs), "--units", "imperial")
    assert t.exit_code == 0 and "mi" in t.stdout.splitlines()[0]


def test_strict_fails_with_one_line_and_status_1(runs):
    r = run("activities", str(runs), "--strict")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: ") and "bad.gpx" in r.stderr
    assert "Traceback" not in r.output


def test_usage_errors_exit_2(runs):
    assert run("activities").exit_code == 2
    assert run("weekly", str(runs), "--format", "xml").exit_code == 2
    bad_tz = run("activities", str(runs), "--tz", "Mars/Base")
    assert bad_tz.exit_code == 1 and "unknown time zone" in bad_tz.stderr


def test_every_command_has_help_with_an_example():
    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])

    for path, _cmd in walk(main, []):
        r = run(*path, "--help")
        assert r.exit_code == 0
        assert "Example" in r.stdout, f"runback {' '.join(path)} --help has no example"


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "runback", "--version"], capture_output=True,
                         text=True, check=True)
    assert out.stdout.startswith("runback, version")


FLARE_KEYS = ["onset", "end", "peak", "duration_d", "baseline"]
FACTOR_KEYS = ["n_onsets", "onsets", "power", "window_days", "washout_days", "method",
               "factors", "findings", "red_flags", "warnings"]


@pytest.fixture
def diary(tmp_path):
    # 30 calm days at pain 2, a flare of 6-7 from 2024-05-31 for 3 days, calm again
    rows = ["date,pain,location,notes"]
    day = pd.Timestamp("2024-05-01")
    for i in range(45):
        pain = 6 if 30 <= i <= 32 else 2
        rows.append(f"{(day + pd.Timedelta(days=i)).date()},{pain},lower,")
    rows.append("2024-06-01,7,lower,\"<script>alert(1)</script>\"")
    path = tmp_path / "pain_diary.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_flares_json(diary):
    r = run("flares", "--diary", str(diary), "--format", "json")
    assert r.exit_code == 0, r.output
    fl = json.loads(r.stdout)
    assert [list(f) for f in fl] == [FLARE_KEYS]
    assert fl[0]["onset"] == "2024-05-31" and fl[0]["end"] == "2024-06-02"
    assert fl[0]["peak"] == 7 and fl[0]["baseline"] == 2


def test_factors_json_has_the_contract_keys(runs, diary):
    r = run("factors", str(runs), "--diary", str(diary), "--format", "json",
            "--permutations", "20")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert list(res) == FACTOR_KEYS
    assert res["power"] == "descriptive only" and res["window_days"] == 3
    names = [f["factor"] for f in res["factors"]]
    for name in ["distance", "distance_change", "session_spike", "acute_load", "chronic_load",
                 "monotony", "intensity", "climb", "descent", "uneven_terrain", "treadmill",
                 "cold", "sleep", "stress"]:
        assert name in names
    assert all(set(f) == {"factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
                          "n_onsets", "description"} for f in res["factors"])


def _diary_file(tmp_path, pains, start="2024-04-01"):
    day = pd.Timestamp(start)
    rows = ["date,pain"] + [f"{(day + pd.Timedelta(days=i)).date()},{p}"
                            for i, p in enumerate(pains) if p is not None]
    path = tmp_path / "diary.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("case", ["no flare-up", "one flare-up", "every day painful",
                                  "diary ends before the runs"])
def test_factors_on_hostile_diaries_answers_in_plain_words(runs, tmp_path, case):
    pains = {
        "no flare-up": [2] * 60,
        "one flare-up": [2] * 30 + [7, 7, 6] + [2] * 27,
        "every day painful": [8] * 60,
        "diary ends before the runs": [2] * 10 + [7, 6] + [2] * 3,
    }[case]
    diary = _diary_file(tmp_path, pains)
    r = run("factors", str(runs), "--diary", str(diary))
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert "inf" not in text and "nan" not in text.lower()
    assert ("No factor could be compared" in text or "descriptive only" in text
            or "Nothing stands out" in text), text
    j = run("factors", str(runs), "--diary", str(diary), "--format", "json")
    assert j.exit_code == 0
    assert json.loads(j.stdout)["findings"] == []


def test_factors_refuses_a_bad_washout(runs, diary):
    r = CliRunner().invoke(main, ["factors", str(runs), "--diary", str(diary),
                                  "--washout", "soon"])
    assert r.exit_code == 2 and "neither 'auto' nor a number" in r.output
