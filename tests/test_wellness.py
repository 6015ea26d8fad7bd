"""The daily wellness table: every source, one value per day, hostile values refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from runback import schema
from runback.cli import main
from runback.errors import NotWellnessError, ReadError
from runback.io.fitbit import read_fitbit_wellness
from runback.io.garmin_wellness import read_garmin_wellness
from runback.io.wellness_csv import read_wellness_csv
from runback.wellness import join_daily, read_wellness
from tests.builders import zip_of
from tests.health_builders import PHONE, apple_export, as_json, record, sleep

DAY = pd.Timestamp


def _garmin(folder, *, rhr=48, stress=31, hrv=62):
    wel = folder / "DI_CONNECT" / "DI-Connect-Wellness"
    agg = folder / "DI_CONNECT" / "DI-Connect-Aggregator"
    wel.mkdir(parents=True)
    agg.mkdir(parents=True)
    (wel / "ana_sleepData.json").write_bytes(as_json([{
        "calendarDate": "2024-01-14", "sleepStartTimestampGMT": "2024-01-14T04:00:00.0",
        "sleepEndTimestampGMT": "2024-01-14T11:30:00.0", "deepSleepSeconds": 5400,
        "lightSleepSeconds": 14400, "remSleepSeconds": 5400, "awakeSleepSeconds": 1800}]))
    (agg / "UDSFile_2024-01-01_2024-04-10.json").write_bytes(as_json([
        {"calendarDate": "2024-01-14", "restingHeartRate": rhr, "allDayStress": {
            "aggregatorList": [{"type": "TOTAL", "averageStressLevel": stress},
                               {"type": "AWAKE", "averageStressLevel": 40}]}},
        {"calendarDate": {"date": "2024-01-15"}, "restingHeartRate": 50, "allDayStress": {
            "aggregatorList": [{"type": "TOTAL", "averageStressLevel": -1}]}}]))
    (wel / "ana_healthStatusData.json").write_bytes(as_json([
        {"calendarDate": "2024-01-14", "metrics": [{"type": "HRV", "value": hrv},
                                                  {"type": "HR", "value": 48}]}]))


def test_garmin_export_json(tmp_path):
    _garmin(tmp_path)
    w = read_wellness([tmp_path])
    t = w.table.set_index("date")
    assert list(t.index) == [DAY("2024-01-14"), DAY("2024-01-15")]
    day = t.loc["2024-01-14"]
    assert day["sleep_h"] == pytest.approx(7.0)  # deep + light + REM, awake left out
    assert (day["resting_hr_bpm"], day["hrv_ms"], day["hrv_kind"]) == (48, 62, "rmssd")
    assert (day["stress"], day["stress_scale"], day["source"]) == (31, "garmin 0-100",
                                                                   "garmin")
    assert np.isnan(t.loc["2024-01-15", "stress"])  # -1: too little data
    assert w.warnings == [] and w.skipped.empty
    assert list(w.table.columns) == schema.columns("wellness")


def test_garmin_files_inside_the_export_zip(tmp_path):
    _garmin(tmp_path / "unpacked")
    members = {str(p.relative_to(tmp_path / "unpacked")): p.read_bytes()
               for p in (tmp_path / "unpacked").rglob("*.json")}
    (tmp_path / "garmin.zip").write_bytes(zip_of(members))
    t = read_wellness([tmp_path / "garmin.zip"]).table
    assert t["resting_hr_bpm"].iloc[0] == 48


def test_implausible_values_are_refused_with_a_warning(tmp_path):
    _garmin(tmp_path, rhr=140, hrv=0)
    w = read_wellness([tmp_path])
    t = w.table.set_index("date")
    assert np.isnan(t.loc["2024-01-14", "resting_hr_bpm"])
    assert np.isnan(t.loc["2024-01-14", "hrv_ms"])
    assert any("UDSFile" in m and "resting heart rate under 25 or over 120" in m
               and "140" in m for m in w.warnings)
    assert any("healthStatusData" in m and "HRV of 0 or above 300 ms" in m for m in w.warnings)


@pytest.mark.parametrize("bpm, hrv, kept", [(24.9, 301, False), (25, 300, True),
                                            (120, 12, True), (120.5, 310, False)])
def test_limits(tmp_path, bpm, hrv, kept):
    _garmin(tmp_path, rhr=bpm, hrv=hrv)
    t = read_wellness([tmp_path]).table.set_index("date")
    assert t.loc["2024-01-14", ["resting_hr_bpm", "hrv_ms"]].notna().all() == kept


def test_apple_sleep_sessions_on_the_day_they_end_watch_over_phone(tmp_path):
    (tmp_path / "export.xml").write_bytes(apple_export(
        # the watch: stages, two overlapping records counted once, ending on the 14th
        sleep("2024-01-13 23:10:00 -0500", "2024-01-14 03:00:00 -0500", "AsleepCore"),
        sleep("2024-01-14 02:00:00 -0500", "2024-01-14 03:00:00 -0500", "AsleepDeep"),
        sleep("2024-01-14 03:00:00 -0500", "2024-01-14 03:20:00 -0500", "Awake"),
        sleep("2024-01-14 03:20:00 -0500", "2024-01-14 06:40:00 -0500", "AsleepREM"),
        # the phone's bedtime the same night: in bed only, the watch wins
        sleep("2024-01-13 22:50:00 -0500", "2024-01-14 06:50:00 -0500", "InBed",
              source="Clock", device=PHONE),
        # another night only the phone saw: its time in bed
        sleep("2024-01-15 23:00:00 -0500", "2024-01-16 06:00:00 -0500", "InBed",
              source="Clock", device=PHONE),
        record("RestingHeartRate", "2024-01-14 00:00:00 -0500", value=52, unit="count/min"),
        record("HeartRateVariabilitySDNN", "2024-01-14 03:00:00 -0500", value=40, unit="ms"),
        record("HeartRateVariabilitySDNN", "2024-01-14 05:00:00 -0500", value=50, unit="ms"),
        record("HeartRateVariabilitySDNN", "2024-01-15 05:00:00 -0500", value=0, unit="ms"),
    ))
    w = read_wellness([tmp_path])
    t = w.table.set_index("date")
    assert t.loc["2024-01-14", "sleep_h"] == pytest.approx(7.5 - 20 / 60)
    assert "Apple Watch" in t.loc["2024-01-14", "source"]
    assert t.loc["2024-01-16", "sleep_h"] == pytest.approx(7.0)
    assert "iPhone" in t.loc["2024-01-16", "source"]
    assert (t.loc["2024-01-14", "hrv_ms"], t.loc["2024-01-14", "hrv_kind"]) == (45, "sdnn")
    assert t.loc["2024-01-14", "resting_hr_bpm"] == 52
    assert any("export.xml" in m and "HRV of 0" in m for m in w.warnings)


def test_fitbit_sleep_and_resting_heart_rate(tmp_path):
    folder = tmp_path / "Takeout" / "Fitbit" / "Global Export Data"
    folder.mkdir(parents=True)
    (folder / "sleep-2024-01-13.json").write_bytes(as_json([
        {"logId": 1, "dateOfSleep": "2024-01-14", "startTime": "2024-01-13T23:30:00.000",
         "endTime": "2024-01-14T07:00:00.000", "minutesAsleep": 410, "mainSleep": True},
        {"logId": 2, "dateOfSleep": "2024-01-14", "startTime": "2024-01-14T14:00:00.000",
         "endTime": "2024-01-14T14:40:00.000", "minutesAsleep": 30, "mainSleep": False}]))
    (folder / "resting_heart_rate-2024-01-01.json").write_bytes(as_json([
        {"dateTime": "01/14/24 00:00:00", "value": {"date": "01/14/24", "value": 55.4,
                                                    "error": 6.8}},
        {"dateTime": "01/15/24 00:00:00", "value": {"date": "01/15/24", "value": 0,
                                                    "error": 0}}]))
    (folder / "exercise-0.json").write_bytes(b"[]")  # activities: not wellness
    w = read_wellness([tmp_path])
    t = w.table.set_index("date")
    assert list(t.index) == [DAY("2024-01-14")]
    assert t.loc["2024-01-14", "sleep_h"] == pytest.approx(440 / 60)  # night and nap
    assert t.loc["2024-01-14", "resting_hr_bpm"] == pytest.approx(55.4)
    assert t.loc["2024-01-14", "source"] == "fitbit"


INTERVALS = """date,weight,restingHR,hrv,hrvSDNN,sleepSecs,sleepScore,soreness,fatigue,stress
2024-01-14,61.2,47,71.5,,27000,81,2,2,3
2024-01-15,61.0,49,66,,25200,75,1,3,2
"""


@pytest.mark.parametrize("text", [
    INTERVALS,
    # a spreadsheet in a decimal-comma language: semicolons, decimal commas
    INTERVALS.replace(",", ";").replace("61.2", "61,2").replace("71.5", "71,5")
    .replace("61.0", "61,0"),
    INTERVALS.replace(",", "\t").replace("71.5", "71,5"),
], ids=["comma", "semicolon-decimal-comma", "tab-decimal-comma"])
def test_intervals_icu_csv_in_any_decimal_convention(tmp_path, text):
    (tmp_path / "wellness.csv").write_text(text)
    t = read_wellness([tmp_path / "wellness.csv"]).table.set_index("date")
    assert t.loc["2024-01-14", "hrv_ms"] == pytest.approx(71.5)
    assert t.loc["2024-01-14", "hrv_kind"] == "rmssd"
    assert t.loc["2024-01-14", "sleep_h"] == pytest.approx(7.5)
    assert t.loc["2024-01-15", "resting_hr_bpm"] == 49
    assert (t.loc["2024-01-14", "stress"], t.loc["2024-01-14", "stress_scale"]) == (
        3, "intervals.icu 1-4")


def test_other_csvs_are_not_wellness(tmp_path):
    diary = b"date,pain,sleep_hours,stress\n2024-01-14,3,7,4\n"
    with pytest.raises(NotWellnessError, match="pain diary"):
        read_wellness_csv(diary, name="pain_diary.csv")
    with pytest.raises(NotWellnessError, match="no date and wellness"):
        read_wellness_csv(b"Activity ID,Activity Date,Distance\n1,x,3\n", name="a.csv")
    (tmp_path / "activities.csv").write_text("Activity ID,Activity Date\n1,x\n")
    w = read_wellness([tmp_path])  # found in a folder: passed over silently
    assert w.table.empty and w.skipped.empty
    w = read_wellness([tmp_path / "activities.csv"])  # named: said why
    assert "no date and wellness" in w.skipped["reason"].iloc[0]


@pytest.mark.parametrize("reader, data, match", [
    (read_garmin_wellness, b"{oops", "not valid JSON"),
    (read_garmin_wellness, b'"text"', "not a Garmin wellness file"),
    (read_fitbit_wellness, b"{oops", "not valid JSON"),
    (read_fitbit_wellness, b'{"a": 1}', "expected a list"),
    (read_wellness_csv, b"\x00\x01\x02date,hrv\n", "not a text file"),
])
def test_broken_files(reader, data, match):
    with pytest.raises(ReadError, match=match):
        reader(data, name="f")


def test_hrv_kinds_are_never_mixed(tmp_path):
    _garmin(tmp_path)  # RMSSD on one day
    (tmp_path / "export.xml").write_bytes(apple_export(*[
        record("HeartRateVariabilitySDNN", f"2024-01-{d:02d} 03:00:00 -0500", value=40 + d,
               unit="ms") for d in (14, 15, 16)]))
    w = read_wellness([tmp_path])
    t = w.table
    assert set(t["hrv_kind"].dropna()) == {"sdnn"}  # more days of SDNN
    assert t.set_index("date").loc["2024-01-14", "hrv_ms"] == 54
    assert any("left out on 1 days (RMSSD)" in m for m in w.warnings)


def _pain(rows):
    return schema.conform(pd.DataFrame(rows).assign(date=lambda d: pd.to_datetime(d["date"])),
                          "pain", extra=False)


def test_the_diary_wins_where_both_exist(tmp_path):
    _garmin(tmp_path)
    pain = _pain([{"date": "2024-01-14", "entry": 0, "pain": 2.0, "sleep_hours": 5.0,
                   "stress": 8.0},
                  {"date": "2024-01-16", "entry": 0, "pain": 1.0, "sleep_hours": 8.0}])
    t = read_wellness([tmp_path], pain=pain).table.set_index("date")
    assert t.loc["2024-01-14", "sleep_h"] == 5.0
    assert (t.loc["2024-01-14", "stress"], t.loc["2024-01-14", "stress_scale"]) == (
        8.0, "diary 0-10")
    assert t.loc["2024-01-14", "resting_hr_bpm"] == 48  # the diary has none: the watch's
    assert t.loc["2024-01-14", "source"] == ("sleep_h=diary; resting_hr_bpm=garmin; "
                                             "hrv_ms=garmin; stress=diary")
    assert t.loc["2024-01-16", "source"] == "diary"


def test_join_daily_deviations_and_fill():
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    rhr = np.full(40, 50.0)
    rhr[35] = 58.0
    hrv = np.full(40, 60.0)
    hrv[35] = 45.0
    wellness = schema.conform(pd.DataFrame({
        "date": days, "sleep_h": 7.0, "resting_hr_bpm": rhr, "hrv_ms": hrv,
        "hrv_kind": "rmssd", "stress": 40.0, "stress_scale": "garmin 0-100",
        "source": "garmin"}), "wellness", extra=False)
    daily = schema.conform(pd.DataFrame({"date": days[5:], "distance_m": 1000.0}),
                           "daily", extra=False)
    daily.loc[daily["date"] == days[35], ["sleep_hours", "stress"]] = [4.0, 9.0]
    out = join_daily(daily, wellness).set_index("date")
    assert list(out.columns) == schema.columns("daily")[1:]
    assert out.loc[days[35], "resting_hr_dev"] == pytest.approx(8.0)
    assert out.loc[days[35], "hrv_dev"] == pytest.approx(-15.0)
    assert out.loc[days[36], "resting_hr_dev"] == pytest.approx(0.0)  # median: 1 high day
    assert np.isnan(out.loc[days[5], "resting_hr_dev"])  # 5 days of baseline: too few
    assert out.loc[days[7], "resting_hr_dev"] == pytest.approx(0.0)  # 7 days: enough
    assert (out.loc[days[35], "sleep_hours"], out.loc[days[35], "stress"]) == (4.0, 9.0)
    assert (out.loc[days[20], "sleep_hours"], out.loc[days[20], "stress"]) == (7.0, 4.0)
    assert out.loc[days[20], "wellness_source"] == "garmin"
    assert join_daily(daily, schema.empty("wellness"))["resting_hr_dev"].isna().all()


def test_command_json_keys_and_formats(tmp_path):
    _garmin(tmp_path)
    diary = tmp_path / "pain_diary.csv"
    diary.write_text("date,pain,sleep_hours,stress\n2024-01-16,2,6.5,3\n")
    run = CliRunner().invoke(main, ["wellness", str(tmp_path), "--diary", str(diary),
                                    "--format", "json"], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    rows = json.loads(run.stdout)
    assert [r["date"] for r in rows] == ["2024-01-14", "2024-01-15", "2024-01-16"]
    assert set(rows[0]) == {"date", "sleep_h", "resting_hr_bpm", "hrv_ms", "hrv_kind",
                            "stress", "stress_scale", "source"}
    assert rows[2] == {"date": "2024-01-16", "sleep_h": 6.5, "resting_hr_bpm": None,
                       "hrv_ms": None, "hrv_kind": None, "stress": 3.0,
                       "stress_scale": "diary 0-10", "source": "diary"}
    table = CliRunner().invoke(main, ["wellness", str(tmp_path)], catch_exceptions=False)
    assert "2024-01-14" in table.stdout and "garmin 0-100" in table.stdout
    csv = CliRunner().invoke(main, ["wellness", str(tmp_path), "--format", "csv"],
                             catch_exceptions=False)
    assert csv.stdout.splitlines()[0] == ("date,sleep_h,resting_hr_bpm,hrv_ms,hrv_kind,"
                                          "stress,stress_scale,source")


def test_command_errors(tmp_path):
    run = CliRunner().invoke(main, ["wellness"])
    assert run.exit_code == 2
    bad = tmp_path / "w.csv"
    bad.write_text("date;restingHR\n2024-01-14;47\n")
    run = CliRunner().invoke(main, ["wellness", str(bad), "--diary",
                                    str(tmp_path / "missing.csv")])
    assert run.exit_code == 1
    assert "missing.csv" in run.output and len(run.output.strip().splitlines()) == 1


def test_log_wellness_and_daily_columns(tmp_path):
    from runback.log import TrainingLog
    from tests.fitkit.encode import encode_activity

    times = pd.date_range("2024-01-14 15:00", periods=100, freq="10s", tz="UTC")
    (tmp_path / "run.fit").write_bytes(encode_activity(pd.DataFrame({
        "timestamp": times, "distance_m": np.arange(100) * 30.0,
        "heart_rate_bpm": np.full(100, 150.0)})))
    _garmin(tmp_path)
    log = TrainingLog.from_paths([tmp_path], tz="UTC")
    assert log.wellness["resting_hr_bpm"].iloc[0] == 48
    day = log.daily.set_index("date").loc["2024-01-14"]
    assert day["sleep_hours"] == pytest.approx(7.0)
    assert day["stress"] == pytest.approx(3.1)
    assert day["wellness_source"] == "garmin"


def test_real_apple_health_export_sleep(realdata):
    path = realdata / "rgosdin__docs" / "apple_health_export" / "export.xml"
    if not path.exists():
        pytest.skip(f"no real Apple Health export in {realdata}")
    w = read_wellness([path.parent])
    t = w.table.set_index("date")
    assert list(t.index) == [DAY("2019-06-15"), DAY("2019-06-16"), DAY("2019-06-17")]
    # the Health app's night, asleep 22:21 to 08:21, wins over the phone's 19 min in bed
    assert t.loc["2019-06-16", "sleep_h"] == pytest.approx(10.0)
    assert t.loc["2019-06-16", "source"] == "apple health (Health)"
    # only the phone's bedtime on the other days: its time in bed
    assert t.loc["2019-06-15", "sleep_h"] == pytest.approx((46 * 60 + 59) / 3600)
    assert t["resting_hr_bpm"].isna().all() and w.warnings == []
    assert w.skipped_records["HKQuantityTypeIdentifierStepCount"] == 1588
