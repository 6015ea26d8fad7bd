"""CSV activity logs: Strava activities.csv (three layouts), Garmin Connect Activities.csv and
the hand-kept log."""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runback import schema
from runback.errors import NotAnActivityError, ReadError
from runback.io.activity_csv import read_activity_csv
from runback.io.activity_csv.cells import DISTANCE_UNITS, to_float, to_quantity, to_seconds

MILE = 1609.344

AHMED = "AhmedAldahshoury__StravaData"
ARCHIPELAGIC = "archipelagic__strava/data"
THINKTANK = "TheNewThinkTank__strava-insights/data/activities.csv"
JOBOSO_2025 = "JoBoSo__Strava-Activity-Map/strava_exports/export_08_25_2025/activities.csv"
JOBOSO_2024 = "JoBoSo__Strava-Activity-Map/strava_exports/strava_export_12_17_2024/activities.csv"


def read(text: str | bytes, name: str = "log.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_activity_csv(data, name=name)


def first_trackpoint_time(path: Path) -> pd.Timestamp:
    """Time of the first <trkpt> of a GPX file (UTC)."""
    for _, element in ET.iterparse(path):
        if element.tag.endswith("}trkpt") or element.tag == "trkpt":
            for child in element:
                if child.tag.endswith("time"):
                    return pd.Timestamp(child.text)
    raise AssertionError(f"{path} has no timed track point")


def raw_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


# --- Strava, real exports ------------------------------------------------------------------

@pytest.mark.realdata
def test_strava_2018_layout(realdata):
    pf = read_activity_csv(realdata / AHMED / "activities.csv")
    a = pf.activities
    assert len(a) == 128 and pf.warnings == []
    assert list(a["part"]) == list(range(128))
    first = a.iloc[0]  # 193569569,2014-09-12 16:54:28,Evening Ride,Ride,,9462,43057.4,...
    assert first["start_time"] == pd.Timestamp("2014-09-12 16:54:28", tz="UTC")
    assert pd.isna(first["local_start"]) and math.isnan(first["utc_offset_s"])
    assert first["sport"] == "cycling" and first["name"] == "Evening Ride"
    assert first["device_elapsed_s"] == 9462 and first["device_distance_m"] == 43057.4
    assert first["file_ref"] == "activities/193569569.gpx"
    assert (a["sport"] == "running").sum() == 45 and (a["sport"] == "cycling").sum() == 83
    assert a["file_ref"].isna().sum() == 13
    # 1358547235 is a ride with gear "Zatona": a bike is not a shoe.
    zatona = a[a["start_time"] == pd.Timestamp("2018-01-15 13:07:45", tz="UTC")].iloc[0]
    assert zatona["sport"] == "cycling" and pd.isna(zatona["shoe"])
    assert zatona["device_distance_m"] == 13000.0 and pd.isna(zatona["file_ref"])


@pytest.mark.realdata
def test_strava_2018_dates_are_utc(realdata):
    folder = realdata / AHMED
    a = read_activity_csv(folder / "activities.csv").activities
    with_file = a.dropna(subset=["file_ref"])
    assert len(with_file) == 115
    for start, ref in zip(with_file["start_time"], with_file["file_ref"], strict=True):
        gap = abs((first_trackpoint_time(folder / ref) - start).total_seconds())
        assert gap <= 60, (ref, start)


@pytest.mark.realdata
def test_strava_2020_layout(realdata):
    a = read_activity_csv(realdata / ARCHIPELAGIC / "activities.csv").activities
    assert len(a) == 6
    first = a.iloc[0]  # 638693618,"Jul 12, 2016, 5:13:58 PM",Lauf am Abend,Run,,2271,7.83,...
    assert first["start_time"] == pd.Timestamp("2016-07-12 17:13:58", tz="UTC")
    assert first["sport"] == "running" and first["name"] == "Lauf am Abend"
    assert first["device_elapsed_s"] == 2271 and first["device_moving_s"] == 2229
    # The first "Distance" is 7.83 (km), the later one 7830.600098 (m).
    assert first["device_distance_m"] == pytest.approx(7830.600098)
    assert first["calories_kcal"] == pytest.approx(753.6720581)
    assert first["file_ref"] == "activities/638693618.gpx" and pd.isna(first["shoe"])
    assert list(a["sport"]) == ["running", "running", "cycling", "cycling", "running", "hiking"]
    hike = a.iloc[5]  # 3163073099: Elevation Loss 333.019989
    assert hike["device_descent_m"] == pytest.approx(333.019989)


@pytest.mark.realdata
def test_strava_2020_dates_are_utc(realdata):
    folder = realdata / ARCHIPELAGIC
    a = read_activity_csv(folder / "activities.csv").activities
    assert a["file_ref"].notna().all()
    for start, ref in zip(a["start_time"], a["file_ref"], strict=True):
        gap = abs((first_trackpoint_time(folder / ref) - start).total_seconds())
        assert gap <= 60, (ref, start)


@pytest.mark.realdata
def test_strava_modern_layout_with_shoes_and_rpe(realdata):
    path = realdata / THINKTANK
    pf = read_activity_csv(path)
    a = pf.activities
    assert len(a) == 112 and pf.warnings == []
    first = a.iloc[0]  # 4689591795,"Jan 27, 2021, 1:57:47 PM",Afternoon Ride,Ride,,1275,5.61
    assert first["start_time"] == pd.Timestamp("2021-01-27 13:57:47", tz="UTC")
    assert first["sport"] == "cycling" and first["device_elapsed_s"] == 1275
    assert first["device_distance_m"] == pytest.approx(5612.39990234375)
    assert first["device_moving_s"] == 1258
    assert first["file_ref"] == "activities/4689591795.gpx"
    # 9391754987: Run, Activity Gear "pegasus", Perceived Exertion 8.0, Distance 4736.24 m
    run = a[a["start_time"] == pd.Timestamp("2023-07-05 08:45:34", tz="UTC")].iloc[0]
    assert run["sport"] == "running" and run["shoe"] == "pegasus" and run["rpe"] == 8.0
    assert run["device_distance_m"] == pytest.approx(4736.240234375)
    assert (a["shoe"] == "pegasus").sum() == 10
    assert (a["sport"] == "running").sum() == 89
    assert a["rpe"].notna().sum() == 10
    assert a["file_ref"].isna().sum() == 19
    assert a["file_ref"].str.endswith(".fit.gz").sum() == 6


@pytest.mark.realdata
@pytest.mark.parametrize("relative, rows", [(JOBOSO_2025, 1845), (JOBOSO_2024, 1587)])
def test_strava_modern_layout_many_rows(realdata, relative, rows):
    path = realdata / relative
    a = read_activity_csv(path).activities
    assert len(a) == rows
    first = a.iloc[0]  # 203707851,"Oct 5, 2014, 4:15:21 PM",Lunch Ride,Ride,,2833,13.61,...
    assert first["start_time"] == pd.Timestamp("2014-10-05 16:15:21", tz="UTC")
    assert first["device_distance_m"] == pytest.approx(13609.2001953125)
    assert first["device_elapsed_s"] == 2833 and first["device_moving_s"] == 2499
    assert first["file_ref"] == "activities/203707851.gpx"
    # Every row's distance agrees with the first "Distance" column in km.
    raw = raw_rows(path)
    km = pd.to_numeric(pd.Series([r[6] for r in raw[1:]]), errors="coerce") * 1000
    both = km.notna() & a["device_distance_m"].notna()
    assert both.sum() > rows * 0.9
    assert ((a["device_distance_m"][both] - km[both]).abs() <= 0.006 * km[both] + 10).mean() > 0.97
    # Gear is on rides only here (bikes): no shoe is recorded.
    assert sum(1 for r in raw[1:] if r[11]) > 700
    assert a["shoe"].isna().all()
    types = pd.Series([r[3] for r in raw[1:]])
    assert (a["sport"][types == "Run"] == "running").all()
    assert (a["sport"][types == "Nordic Ski"] == "skiing").all()


# --- Strava, inline -------------------------------------------------------------------------

STRAVA_HEADER = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Max Heart Rate,Activity Gear,Filename,Elapsed Time,Moving Time,Distance,"
    "Elevation Gain,Average Heart Rate,Perceived Exertion,Calories,"
    '"<span class=""translation_missing"" title=""...horton_values.sport_type"">Sport Type</span>"'
)


def test_strava_duplicate_columns_are_read_by_position():
    text = "\n".join([
        STRAVA_HEADER,
        '1,"Mar 1, 2024, 6:05:00 AM",Morning Run,Run,"easy, flat",3000,10.02,171,Pegasus,'
        "activities/1.fit.gz,3000.0,2900.0,10020.5,55.5,148.2,7.0,612,",
        '2,"Mar 2, 2024, 7:00:00 PM",Evening Ride,Ride,,3600,30.00,,CAAD8,,3600.0,3500.0,'
        "30001.0,,,,,",
        '3,"Mar 3, 2024, 8:00:00 AM",Hills,Run,,1800,5.10,,,,1800.0,,,,,,,TrailRun',
    ])
    pf = read(text)
    a = pf.activities
    assert pf.warnings == [] and len(a) == 3
    run, ride, trail = a.iloc[0], a.iloc[1], a.iloc[2]
    assert run["start_time"] == pd.Timestamp("2024-03-01 06:05:00", tz="UTC")
    assert run["device_distance_m"] == 10020.5  # the metres column, not 10.02 km
    assert run["device_elapsed_s"] == 3000 and run["device_moving_s"] == 2900
    assert run["device_max_hr_bpm"] == 171 and run["device_avg_hr_bpm"] == 148.2
    assert run["device_ascent_m"] == 55.5 and run["rpe"] == 7 and run["calories_kcal"] == 612
    assert run["shoe"] == "Pegasus" and run["description"] == "easy, flat"
    assert run["file_ref"] == "activities/1.fit.gz"
    assert ride["start_time"] == pd.Timestamp("2024-03-02 19:00:00", tz="UTC")
    assert ride["sport"] == "cycling" and pd.isna(ride["shoe"])
    # No metres value: the first Distance, in km.
    assert trail["device_distance_m"] == pytest.approx(5100.0)
    assert (trail["sport"], trail["sub_sport"]) == ("running", "trail")


def test_strava_bad_date_and_bad_rpe_are_reported():
    text = "\n".join([
        STRAVA_HEADER,
        '1,"yesterday",Run,Run,,3000,10,,,,3000,,10000,,,,,',
        '2,"Mar 2, 2024, 7:00:00 PM",Run,Run,,3000,10,,,,3000,,10000,,,11,,',
    ])
    pf = read(text)
    assert len(pf.activities) == 1
    assert pf.warnings == ["row 2: date 'yesterday' not understood; row skipped",
                           "row 3: rpe 11 outside 0-10; left out"]
    assert math.isnan(pf.activities.iloc[0]["rpe"])


# --- Garmin Connect --------------------------------------------------------------------------

GARMIN_HEADER = [
    "Activity Type", "Date", "Favorite", "Title", "Distance", "Calories", "Time", "Avg HR",
    "Max HR", "Aerobic TE", "Avg Run Cadence", "Max Run Cadence", "Avg Pace", "Best Pace",
    "Total Ascent", "Total Descent", "Avg Stride Length", "Avg Vertical Ratio",
    "Avg Vertical Oscillation", "Avg Ground Contact Time", "Training Stress Score®",
    "Avg Power", "Max Power", "Grit", "Flow", "Avg. Swolf", "Avg Stroke Rate", "Total Reps",
    "Dive Time", "Min Temp", "Surface Interval", "Decompression", "Best Lap Time",
    "Number of Laps", "Max Temp", "Moving Time", "Elapsed Time", "Min Elevation",
    "Max Elevation",
]


def garmin_csv(*rows: dict[str, str], header=GARMIN_HEADER, delimiter=",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "--") for h in header])
    return out.getvalue()


def test_garmin_activities_csv():
    text = garmin_csv(
        {"Activity Type": "Running", "Date": "2023-05-14 07:32:10", "Favorite": "false",
         "Title": "Lyon Running", "Distance": "10.02", "Calories": "1,234", "Time": "00:52:17",
         "Avg HR": "148", "Max HR": "171", "Total Ascent": "1,034", "Total Descent": "98",
         "Moving Time": "00:51:58", "Elapsed Time": "1:02:03"},
        {"Activity Type": "Pool Swim", "Date": "2023-05-15 12:00:00", "Title": "Pool Swim",
         "Distance": "1,500", "Time": "35:00", "Moving Time": "02:03.5"},
        {"Activity Type": "Treadmill Running", "Date": "2023-05-16 06:00:00",
         "Title": "Treadmill", "Distance": "5.00", "Time": "00:25:00"},
        {"Activity Type": "Strength Training", "Date": "not a date", "Title": "Gym"},
        {"Activity Type": "Trail Running", "Date": "2023-05-17 18:00:00", "Title": "Hills",
         "Distance": "12.5", "Avg HR": "fast", "Time": "1:30:00"},
    )
    pf = read(text, name="Activities.csv")
    a = pf.activities
    assert len(a) == 4
    assert pf.warnings == ["row 5: date 'not a date' not understood; row skipped",
                           "row 6: avg hr 'fast' not understood"]
    run = a.iloc[0]
    assert run["local_start"] == pd.Timestamp("2023-05-14 07:32:10")
    assert pd.isna(run["start_time"]) and math.isnan(run["utc_offset_s"])
    assert (run["sport"], run["name"], run["device"]) == ("running", "Lyon Running",
                                                          "Garmin Connect")
    assert run["device_distance_m"] == pytest.approx(10020.0)
    assert run["calories_kcal"] == 1234 and run["device_ascent_m"] == 1034
    assert run["device_descent_m"] == 98
    assert run["device_timer_s"] == 52 * 60 + 17
    assert run["device_moving_s"] == 51 * 60 + 58
    assert run["device_elapsed_s"] == 3723
    assert run["device_avg_hr_bpm"] == 148 and run["device_max_hr_bpm"] == 171
    swim = a.iloc[1]
    assert swim["sport"] == "swimming" and swim["device_distance_m"] == 1500.0  # pool metres
    assert swim["device_moving_s"] == pytest.approx(123.5)
    assert math.isnan(swim["calories_kcal"]) and math.isnan(swim["device_avg_hr_bpm"])
    treadmill = a.iloc[2]
    assert (treadmill["sport"], treadmill["sub_sport"]) == ("running", "treadmill")
    assert math.isnan(treadmill["device_ascent_m"])  # "--"
    trail = a.iloc[3]
    assert trail["sub_sport"] == "trail" and math.isnan(trail["device_avg_hr_bpm"])
    assert list(a["part"]) == [0, 1, 2, 3]


def test_garmin_distance_in_miles_when_the_header_says_so():
    header = [h if h != "Distance" else "Distance (mi)" for h in GARMIN_HEADER]
    text = garmin_csv({"Activity Type": "Running", "Date": "2023-05-14 07:32:10",
                       "Title": "Run", "Distance (mi)": "6.21", "Time": "00:52:17"},
                      header=header)
    assert read(text).activities.iloc[0]["device_distance_m"] == pytest.approx(6.21 * MILE)


def test_garmin_semicolons_and_decimal_commas():
    text = garmin_csv({"Activity Type": "Running", "Date": "2023-05-14 07:32:10",
                       "Title": "Lauf", "Distance": "10,02", "Calories": "1.234",
                       "Time": "00:52:17"}, delimiter=";")
    run = read(text).activities.iloc[0]
    assert run["device_distance_m"] == pytest.approx(10020.0)
    assert run["calories_kcal"] == pytest.approx(1.234)  # a lone "." stays a decimal point


# --- hand-kept log --------------------------------------------------------------------------

LOG = """date,distance_km,duration,elevation_gain,surface,shoe,rpe,notes
2025-03-04,8.2,45:30,60,road,Pegasus 40,4,easy
2025-03-06 18:15,10 km,52 min,,trail,Speedgoat,6,"hilly, felt good"
2025-03-08,6.2 mi,1:05:00,--,treadmill,Pegasus 40,7,
2025-03-09,10k,1h05,,,,,
"""


def test_log_values_and_units():
    pf = read(LOG)
    a = pf.activities
    assert pf.warnings == [] and len(a) == 4
    assert list(a["device_distance_m"]) == pytest.approx([8200, 10000, 6.2 * MILE, 10000])
    assert list(a["device_moving_s"]) == [2730, 3120, 3900, 3900]
    assert a["device_ascent_m"].iloc[0] == 60 and a["device_ascent_m"].iloc[1:].isna().all()
    assert list(a["sub_sport"].fillna("-")) == ["street", "trail", "treadmill", "-"]
    assert (a["sport"] == "running").all() and (a["format"] == "csv").all()
    assert list(a["shoe"].fillna("-")) == ["Pegasus 40", "Speedgoat", "Pegasus 40", "-"]
    assert list(a["rpe"].fillna(-1)) == [4, 6, 7, -1]
    assert a["description"].iloc[1] == "hilly, felt good"
    assert a["device"].isna().all() and a["device_elapsed_s"].isna().all()


def test_log_times_are_local_and_midnight_means_unknown():
    a = read(LOG).activities
    assert a["local_start"].iloc[0] == pd.Timestamp("2025-03-04 00:00")
    assert a["local_start"].iloc[1] == pd.Timestamp("2025-03-06 18:15")
    assert a["start_time"].isna().all() and a["utc_offset_s"].isna().all()


def test_log_miles_feet_and_case_insensitive_headers():
    text = ("Date, Distance (mi), Duration (min), Elevation Gain (ft), Type, RPE\n"
            "2025-03-04, 3.1, 30, 400, Walk, 2\n"
            "2025-03-05, 5 km, 25:00, 100 m, Trail Run, 5\n")
    a = read(text).activities
    assert list(a["device_distance_m"]) == pytest.approx([3.1 * MILE, 5000])
    assert list(a["device_moving_s"]) == [1800, 1500]
    assert list(a["device_ascent_m"]) == pytest.approx([400 * 0.3048, 100])
    assert list(a["sport"]) == ["walking", "running"]
    assert a["sub_sport"].iloc[1] == "trail"


def test_log_with_bom_semicolons_and_decimal_comma():
    data = "\ufeffdate;distance;duration;notes\n2025-03-04;10,5;45:30;müde\n".encode()
    a = read(data).activities
    assert a["device_distance_m"].iloc[0] == pytest.approx(10500)
    assert a["description"].iloc[0] == "müde"


def test_log_in_latin1_and_excel_sep_line():
    data = "sep=;\ndate;distance_km;notes\n2025-03-04;5;Rücken steif\n".encode("cp1252")
    pf = read(data)
    assert pf.activities["description"].iloc[0] == "Rücken steif"
    assert pf.activities["device_distance_m"].iloc[0] == 5000


def test_log_saved_as_utf16_with_tabs():
    data = "date\tdistance_km\tshoe\r\n2025-03-04\t7,5\tSaucony Ride™\r\n".encode("utf-16")
    a = read(data).activities
    assert a["device_distance_m"].iloc[0] == pytest.approx(7500)
    assert a["shoe"].iloc[0] == "Saucony Ride™"


def test_log_bad_values_are_reported_not_guessed():
    text = ("date,distance_km,duration,surface,rpe\n"
            "2025-03-04,ten,45:30,grass,12\n"
            "04/03/2025,5,30:00,road,3\n"
            "\n"
            "2025-03-06,5,45:75,road,3\n")
    pf = read(text)
    a = pf.activities
    assert len(a) == 2 and list(a["part"]) == [0, 1]
    assert pf.warnings == [
        "row 2: distance 'ten' not understood",
        "row 2: surface 'grass' not one of road, track, trail, treadmill",
        "row 2: rpe 12 outside 0-10; left out",
        "row 3: date '04/03/2025' not understood; row skipped",
        "row 5: duration '45:75' not understood",
    ]
    assert math.isnan(a["device_distance_m"].iloc[0]) and pd.isna(a["sub_sport"].iloc[0])
    assert a["device_moving_s"].iloc[0] == 2730 and math.isnan(a["rpe"].iloc[0])
    assert math.isnan(a["device_moving_s"].iloc[1])


def test_log_row_with_too_many_values_is_reported():
    pf = read("date,distance_km,notes\n2025-03-04,5,tired, sore back\n")
    assert pf.warnings == ["row 2: 4 values for 3 columns; the extra values are ignored "
                           "(a comma inside an unquoted field?)"]
    assert pf.activities["description"].iloc[0] == "tired"


def test_log_duplicate_headers_are_refused():
    with pytest.raises(ReadError, match="'distance_km' and 'distance_mi' both give distance"):
        read("date,distance_km,distance_mi\n2025-03-04,5,3\n")
    with pytest.raises(ReadError, match="column 'notes' appears 2 times"):
        read("date,distance,notes,notes\n2025-03-04,5,a,b\n")


def test_log_with_a_pain_column_warns():
    pf = read("date,distance_km,pain\n2025-03-04,5,3\n")
    assert len(pf.activities) == 1
    assert pf.warnings == ["the pain column is not read from an activity log: "
                           "pass the file with --diary as well"]


def test_sources_path_and_file_object(tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text(LOG, encoding="utf-8")
    by_path = read_activity_csv(path).activities
    with open(path, "rb") as fh:
        by_file = read_activity_csv(fh).activities
    pd.testing.assert_frame_equal(by_path, by_file)
    assert len(by_path) == 4


def test_result_has_every_canonical_column_and_no_samples():
    pf = read(LOG)
    assert list(pf.activities.columns) == schema.columns("raw_activities")
    assert pf.samples.empty and list(pf.samples.columns) == schema.columns("raw_samples")
    assert pf.laps.empty
    assert str(pf.activities["start_time"].dtype) == "datetime64[ns, UTC]"
    assert str(pf.activities["local_start"].dtype) == "datetime64[ns]"


# --- refusals -------------------------------------------------------------------------------

def test_pain_diary_is_refused():
    diary = ("date,pain,location,pain_type,timing,sleep_hours,stress,interventions,red_flags,"
             "notes\n2025-03-04,2,lower,stiffness,morning,7.5,3,stretching;foam_roller,,\n")
    with pytest.raises(NotAnActivityError, match="pain_diary.csv: a pain diary, not an "
                                                 "activity log: pass it with --diary"):
        read(diary, name="pain_diary.csv")


def test_unknown_csv_lists_expected_and_found_columns():
    with pytest.raises(ReadError) as info:
        read("lap,split,heart\n1,4:55,150\n", name="splits.csv")
    message = str(info.value)
    assert message.startswith("splits.csv: not a known activity CSV")
    for expected in ("Activity ID, Activity Date", "id, date, type", "Activity Type, Date, Title",
                     "date, distance and/or duration", "found columns: lap, split, heart"):
        assert expected in message


@pytest.mark.parametrize("data", [b"", b"\n \r\n", b"\xef\xbb\xbf"])
def test_empty_file(data):
    with pytest.raises(ReadError, match=r"^empty.csv: empty file$"):
        read(data, name="empty.csv")


def test_header_only_is_not_an_activity():
    with pytest.raises(NotAnActivityError, match="header but no rows"):
        read("date,distance_km\n")


def test_no_readable_row_is_an_error():
    with pytest.raises(ReadError, match=r"no row could be read \(row 2: date 'soon'"):
        read("date,distance_km\nsoon,5\n")


def test_binary_file_is_refused():
    with pytest.raises(ReadError, match="not a text file"):
        read(b"\x0e\x10\x00\x00FIT" + bytes(100), name="run.csv")


# --- value parsers --------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("45:30", 2730), ("1:05:00", 3900), ("02:03.5", 123.5), ("52 min", 3120), ("1h05", 3900),
    ("1 h 5 min", 3900), ("90 s", 90), ("5m30s", 330), ("2 h", 7200), ("1.5 h", 5400),
    ("45'30\"", 2730), ("--", math.nan),
])
def test_durations(text, seconds):
    got = to_seconds(text, 60.0, decimal_comma=False)
    assert (math.isnan(got) and math.isnan(seconds)) or got == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["fast", "1:60:00", "1:2:3:4", "-5:00"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        to_seconds(text, 60.0, decimal_comma=False)


@pytest.mark.parametrize("text, decimal_comma, value", [
    ("1,234", False, 1234.0), ("1,234", True, 1.234), ("10,5", False, 10.5),
    ("1.234,5", True, 1234.5), ("1,234.5", False, 1234.5), ("'-9", False, -9.0),
    ("1,234,567", False, 1234567.0),
])
def test_numbers(text, decimal_comma, value):
    assert to_float(text, decimal_comma) == pytest.approx(value)


@pytest.mark.parametrize("text", ["ten", "1.2.3x", "inf", "nan1"])
def test_bad_numbers(text):
    with pytest.raises(ValueError):
        to_float(text, decimal_comma=False)


def test_quantity_units():
    assert to_quantity("6.2 mi", DISTANCE_UNITS, "km", False) == pytest.approx(6.2 * MILE)
    assert to_quantity("10k", DISTANCE_UNITS, "km", False) == 10000
    assert to_quantity("5000m", DISTANCE_UNITS, "km", False) == 5000
    assert to_quantity("12", DISTANCE_UNITS, "mi", False) == pytest.approx(12 * MILE)
    with pytest.raises(ValueError):
        to_quantity("5 furlongs", DISTANCE_UNITS, "km", False)


@given(st.integers(0, 30), st.integers(0, 59), st.integers(0, 59))
def test_hms_round_trip(h, m, s):
    assert to_seconds(f"{h}:{m:02d}:{s:02d}", 60.0, False) == h * 3600 + m * 60 + s


@given(st.integers(0, 10**9))
def test_thousands_separators_round_trip(n):
    assert to_float(f"{n:,}", decimal_comma=False) == n
