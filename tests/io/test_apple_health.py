"""Apple Health export: workouts as activities, routes joined, streamed and refused safely."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

from runback.errors import NotAnActivityError, ReadError
from runback.importer import import_activities
from runback.io.apple_health import HealthExport, read_apple_health, scan_export
from runback.io.exports import Entry, Skip, iter_entries
from tests.builders import gpx, track, zip_of
from tests.fitkit.encode import encode_activity
from tests.health_builders import apple_export, record, sleep, workout

ROUTE = "route_2024-01-14_7.00am.gpx"


def _export(**kw) -> bytes:
    return apple_export(
        record("HeartRate", "2024-01-14 07:05:00 -0500", value=150, unit="count/min"),
        record("StepCount", "2024-01-14 07:05:00 -0500", value=80, unit="count"),
        record("RestingHeartRate", "2024-01-14 00:00:00 -0500", "2024-01-14 23:59:00 -0500",
               value=52, unit="count/min"),
        sleep("2024-01-13 23:10:00 -0500", "2024-01-14 06:40:00 -0500"),
        workout("Running", "2024-01-14 07:00:00 -0500", "2024-01-14 07:30:00 -0500",
                minutes=30, km=5.4, kcal=350, hr=(150, 171), route=ROUTE, ascent_cm=4200),
        workout("Running", "2024-01-15 23:30:00 -0500", "2024-01-16 00:10:00 -0500",
                minutes=40, km=7.0, indoor=True, hr=(140, 160), stats_distance=True),
        workout("TraditionalStrengthTraining", "2024-01-16 18:00:00 +0100",
                "2024-01-16 18:40:00 +0100", minutes=40, kcal=200),
        **kw)


def _route() -> bytes:
    # the watch's route starts a few seconds after the workout; Apple writes no <type>
    return gpx(track("2024-01-14T12:00:10Z", minutes=30, hr=None), sport="", name="Route")


def test_workouts_become_summary_activities():
    parsed = read_apple_health(_export(), name="export.xml")
    a = parsed.activities
    assert list(a["sport"]) == ["running", "running", "strength"]
    assert list(a["format"].unique()) == ["apple_health"]
    run, treadmill, gym = a.iloc[0], a.iloc[1], a.iloc[2]
    assert run["device_distance_m"] == pytest.approx(5400.0)
    assert run["calories_kcal"] == pytest.approx(350.0)
    assert (run["device_avg_hr_bpm"], run["device_max_hr_bpm"]) == (150.0, 171.0)
    assert run["device_ascent_m"] == pytest.approx(42.0)
    assert run["device_timer_s"] == pytest.approx(1800.0)
    assert run["file_ref"] == f"workout-routes/{ROUTE}"
    assert run["start_time"] == pd.Timestamp("2024-01-14 12:00:00", tz="UTC")
    # an indoor run is a treadmill run; its distance from <WorkoutStatistics>
    assert treadmill["sub_sport"] == "treadmill"
    assert treadmill["device_distance_m"] == pytest.approx(7000.0)
    # the offset gives the local wall clock: 23:30 at -0500 is 04:30 UTC the next day
    assert treadmill["local_start"] == pd.Timestamp("2024-01-15 23:30:00")
    assert treadmill["utc_offset_s"] == -5 * 3600
    assert gym["utc_offset_s"] == 3600
    assert np.isnan(gym["device_distance_m"])
    assert parsed.samples.empty
    assert parsed.warnings == []


def test_other_records_are_counted_silently_and_wellness_records_kept():
    export = scan_export(_export(), name="export.xml")
    assert export.skipped == {"HKQuantityTypeIdentifierHeartRate": 1,
                              "HKQuantityTypeIdentifierStepCount": 1}
    assert export.warnings == []
    kinds = sorted(r["kind"] for r in export.records)
    assert kinds == ["resting_hr", "sleep"]
    assert HealthExport.from_bytes(export.to_bytes(), "x") == export


def test_records_inside_a_correlation_are_not_counted_twice():
    corr = (' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Cuff" '
            'startDate="2024-01-14 08:00:00 -0500" endDate="2024-01-14 08:00:00 -0500">\n'
            + record("BloodPressureSystolic", "2024-01-14 08:00:00 -0500", value=120)
            + " </Correlation>\n")
    export = scan_export(apple_export(corr, record("BloodPressureSystolic",
                                                  "2024-01-14 08:00:00 -0500", value=120)))
    assert export.skipped == {"HKQuantityTypeIdentifierBloodPressureSystolic": 1}


def test_an_export_without_workouts_holds_no_activity():
    with pytest.raises(NotAnActivityError, match="without workouts"):
        read_apple_health(apple_export(sleep("2024-01-13 23:10:00 -0500",
                                             "2024-01-14 06:40:00 -0500")), name="export.xml")


def test_zip_export_joins_each_route_to_its_workout(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(zip_of({"apple_health_export/export.xml": _export(),
                             f"apple_health_export/workout-routes/{ROUTE}": _route(),
                             "apple_health_export/export_cda.xml": b"<ClinicalDocument/>"}))
    result = import_activities([path])
    acts = result.activities
    assert len(result.skipped) == 0, result.skipped
    assert len(acts) == 3
    run = acts[acts["format"] == "gpx"].iloc[0]
    # the route's track, the workout's totals
    assert run["sport"] == "running"
    assert run["has_gps"] and run["n_samples"] > 100
    assert run["distance_m"] == pytest.approx(5400.0)
    assert run["avg_hr_bpm"] == pytest.approx(150.0)
    assert run["calories_kcal"] == pytest.approx(350.0)
    assert "export.xml" in run["sources"] and ROUTE in run["sources"]
    # workouts without a route stay as summary-only activities, on their local days
    rest = acts[acts["format"] == "apple_health"].set_index("sport")
    assert rest.loc["running", "surface"] == "treadmill"
    assert rest.loc["running", "n_samples"] == 0
    assert rest.loc["running", "local_date"] == pd.Timestamp("2024-01-15")
    assert rest.loc["strength", "local_date"] == pd.Timestamp("2024-01-16")
    assert not rest.loc["strength", "is_run"]


def test_unpacked_folder_joins_routes_too(tmp_path):
    folder = tmp_path / "apple_health_export"
    (folder / "workout-routes").mkdir(parents=True)
    (folder / "export.xml").write_bytes(_export())
    (folder / "workout-routes" / ROUTE).write_bytes(_route())
    acts = import_activities([folder]).activities
    assert len(acts) == 3
    assert acts[acts["format"] == "gpx"]["calories_kcal"].iloc[0] == pytest.approx(350.0)


def test_the_same_run_from_a_fit_file_and_apple_health_is_one_activity(tmp_path):
    times = pd.date_range("2024-01-14 12:00:05", periods=360, freq="5s", tz="UTC")
    n = len(times)
    fit = encode_activity(pd.DataFrame({
        "timestamp": times, "latitude_deg": 39.7 + np.arange(n) * 1.2e-4,
        "longitude_deg": np.full(n, -104.99), "distance_m": np.arange(n) * 15.0,
        "altitude_m": np.full(n, 1600.0), "heart_rate_bpm": np.full(n, 152.0)}))
    (tmp_path / "run.fit").write_bytes(fit)
    (tmp_path / "export.xml").write_bytes(apple_export(
        workout("Running", "2024-01-14 07:00:00 -0500", "2024-01-14 07:30:00 -0500",
                minutes=30, km=5.4, kcal=350, hr=(150, 171))))
    acts = import_activities([tmp_path]).activities
    assert len(acts) == 1
    assert acts["format"].iloc[0] == "fit"
    assert "export.xml" in acts["sources"].iloc[0] and "run.fit" in acts["sources"].iloc[0]
    assert acts["calories_kcal"].iloc[0] == pytest.approx(350.0)


def test_a_truncated_export_keeps_what_was_read_and_warns_with_the_byte(tmp_path):
    data = _export()
    cut = data.index(b"<Workout workoutActivityType=\"HKWorkoutActivityTypeTraditional") + 40
    export = scan_export(data[:cut], name="export.xml")
    assert len(export.workouts) == 2
    assert len(export.warnings) == 1
    assert f"truncated or broken at byte {cut}" in export.warnings[0]
    (tmp_path / "export.xml").write_bytes(data[:cut])
    result = import_activities([tmp_path])
    assert len(result.activities) == 2
    assert any(f"at byte {cut}" in w and "export.xml" in w for w in result.warnings)


def test_garbage_in_the_middle_is_located(tmp_path):
    data = _export()
    at = data.index(b" <Workout")
    broken = data[:at] + b"<<<" + data[at:]
    export = scan_export(broken, name="export.xml")
    assert export.workouts == []
    assert len(export.records) == 2
    assert "broken at byte" in export.warnings[0]
    byte = int(export.warnings[0].split("at byte ")[1].split()[0])
    assert at <= byte <= at + 3


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE HealthData [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<HealthData locale="en_US"><Record type="&lol9;" startDate="x" endDate="x"/></HealthData>
"""


def test_an_xml_bomb_is_refused(tmp_path):
    with pytest.raises(ReadError, match="export.xml: XML with entity declarations"):
        scan_export(BOMB, name="export.xml")
    path = tmp_path / "export.zip"
    path.write_bytes(zip_of({"apple_health_export/export.xml": BOMB}))
    (skip,) = list(iter_entries([path]))
    assert isinstance(skip, Skip) and "refused as unsafe" in skip.reason
    result = import_activities([path])
    assert result.activities.empty
    assert "refused as unsafe" in result.skipped["reason"].iloc[0]


def test_an_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE HealthData [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<HealthData><Record type="&x;" startDate="a" endDate="b"/></HealthData>').encode()
    with pytest.raises(ReadError, match="refused as unsafe"):
        scan_export(xxe, name="export.xml")


def test_deep_nesting_is_refused():
    deep = b"<HealthData>" + b"<Workout>" * 500 + b"</Workout>" * 500 + b"</HealthData>"
    with pytest.raises(ReadError, match="nested deeper"):
        scan_export(deep, name="export.xml")


@pytest.mark.parametrize("data, match", [
    (b"", "empty file"),
    (b"PK\x03\x04 not xml", "not XML"),
    (b'<?xml version="1.0"?><gpx version="1.1"></gpx>', "not an Apple Health export"),
    (b'<?xml version="1.0"?><HealthData <<', "malformed XML"),
])
def test_files_that_are_not_exports_are_refused(data, match):
    with pytest.raises(ReadError, match=match):
        scan_export(data, name="export.xml")


def test_a_zip_bomb_member_is_refused_while_streaming(tmp_path):
    big = apple_export(" " * (50 * 2**20))  # 50 MiB of blanks compress ~1000:1
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apple_health_export/export.xml", big)
    (skip,) = list(iter_entries([path]))
    assert isinstance(skip, Skip) and "zip bomb" in skip.reason


def test_the_extract_is_made_once_and_entries_carry_it(tmp_path):
    (tmp_path / "export.xml").write_bytes(_export())
    (entry,) = list(iter_entries([tmp_path]))
    assert isinstance(entry, Entry) and entry.format == "apple_health"
    assert entry.load() == entry.data and len(entry.data) < len(_export())


def test_real_apple_health_export(realdata):
    path = realdata / "rgosdin__docs" / "apple_health_export" / "export.xml"
    if not path.exists():
        pytest.skip(f"no real Apple Health export in {realdata}")
    export = scan_export(path)
    assert export.warnings == []
    assert export.workouts == []  # this export holds none
    assert sum(r["kind"] == "sleep" for r in export.records) == 4
    assert export.skipped["HKQuantityTypeIdentifierStepCount"] == 1588
    assert export.n_bytes == path.stat().st_size
    result = import_activities([path.parent])
    assert result.activities.empty
    assert result.skipped["not_activity"].all()


def test_an_unchanged_export_is_not_read_again(tmp_path, monkeypatch):
    from runback.io import apple_health, exports

    (tmp_path / "export.xml").write_bytes(_export())
    kept = tmp_path / "cache" / "extracts"
    (first,) = list(iter_entries([tmp_path / "export.xml"], extract_dir=kept))
    (copy,) = list(kept.iterdir())
    exports._EXTRACTS.clear()

    def no_scan(*a, **k):
        raise AssertionError("export.xml read again")

    monkeypatch.setattr(apple_health, "scan_export", no_scan)
    (again,) = list(iter_entries([tmp_path / "export.xml"], extract_dir=kept))
    assert again.data == first.data
    # a damaged copy, or a changed export, is read again
    monkeypatch.undo()
    exports._EXTRACTS.clear()
    copy.write_bytes(b'{"runback_apple_health":1,"workouts":')
    (fixed,) = list(iter_entries([tmp_path / "export.xml"], extract_dir=kept))
    assert fixed.data == first.data
    (tmp_path / "export.xml").write_bytes(_export().replace(b"5.4", b"6.40"))  # another size
    (changed,) = list(iter_entries([tmp_path / "export.xml"], extract_dir=kept))
    assert read_apple_health(changed.data).activities["device_distance_m"].iloc[0] == 6400


def test_another_applications_export_xml_is_passed_over(tmp_path):
    other = b'<?xml version="1.0"?><settings><theme>dark</theme></settings>'
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "export.xml").write_bytes(other)
    assert list(iter_entries([tmp_path])) == []  # in a folder: silently
    (skip,) = list(iter_entries([tmp_path / "app" / "export.xml"]))  # named: said why
    assert isinstance(skip, Skip) and "not an Apple Health export" in skip.reason
    with pytest.raises(NotAnActivityError, match="root element is <settings>"):
        scan_export(other, name="export.xml")
