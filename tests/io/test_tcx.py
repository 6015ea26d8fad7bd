"""TCX reader: small files written inline, then every real TCX file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.errors import NotAnActivityError, ReadError
from runback.io.tcx import read_tcx

TCD = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX2 = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"


def tcx(body: str, *, ns: str = f'xmlns:ns3="{AX2}"') -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase xmlns="{TCD}" '
            f"{ns}>{body}</TrainingCenterDatabase>").encode()


def tp(time_: str | None, *, lat: float | None = None, alt: float | None = None,
       dist: float | None = None, hr: int | None = None, cad: int | None = None,
       ext: str = "") -> str:
    parts = [f"<Time>{time_}</Time>" if time_ else ""]
    if lat is not None:
        parts.append(f"<Position><LatitudeDegrees>{lat}</LatitudeDegrees>"
                     f"<LongitudeDegrees>7.0</LongitudeDegrees></Position>")
    if alt is not None:
        parts.append(f"<AltitudeMeters>{alt}</AltitudeMeters>")
    if dist is not None:
        parts.append(f"<DistanceMeters>{dist}</DistanceMeters>")
    if hr is not None:
        parts.append(f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm>")
    if cad is not None:
        parts.append(f"<Cadence>{cad}</Cadence>")
    if ext:
        parts.append(f"<Extensions>{ext}</Extensions>")
    return f"<Trackpoint>{''.join(parts)}</Trackpoint>"


def lap(start: str, total: float, dist: float, points: list[str], avg_hr: int | None = None,
        max_hr: int | None = None, calories: int | None = None) -> str:
    extra = ""
    if avg_hr is not None:
        extra += f"<AverageHeartRateBpm><Value>{avg_hr}</Value></AverageHeartRateBpm>"
    if max_hr is not None:
        extra += f"<MaximumHeartRateBpm><Value>{max_hr}</Value></MaximumHeartRateBpm>"
    if calories is not None:
        extra += f"<Calories>{calories}</Calories>"
    track = f"<Track>{''.join(points)}</Track>" if points else ""
    return (f'<Lap StartTime="{start}"><TotalTimeSeconds>{total}</TotalTimeSeconds>'
            f"<DistanceMeters>{dist}</DistanceMeters>{extra}<Intensity>Active</Intensity>"
            f"<TriggerMethod>Manual</TriggerMethod>{track}</Lap>")


def activity(sport: str, id_: str, laps: list[str], creator: str | None = "Forerunner 945",
             notes: str | None = None) -> str:
    c = f'<Creator xsi:type="Device_t" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' \
        f"<Name>{creator}</Name></Creator>" if creator else ""
    n = f"<Notes>{notes}</Notes>" if notes else ""
    return f'<Activity Sport="{sport}"><Id>{id_}</Id>{n}{"".join(laps)}{c}</Activity>'


def activities(*acts: str) -> bytes:
    return tcx(f"<Activities>{''.join(acts)}</Activities>")


def run_points(start: str, n: int, step_s: int = 5, lat0: float = 49.0, **kw) -> list[str]:
    t0 = pd.Timestamp(start)
    return [tp((t0 + pd.Timedelta(seconds=i * step_s)).strftime("%Y-%m-%dT%H:%M:%SZ"),
               lat=lat0 + 0.0001 * i, dist=10.0 * i, **kw) for i in range(n)]


def test_one_run_canonical_frames_laps_and_totals():
    laps = [lap("2021-05-01T07:00:00Z", 10, 20.0, run_points("2021-05-01T07:00:00Z", 3, hr=140),
                avg_hr=140, max_hr=150, calories=5),
            lap("2021-05-01T07:00:15Z", 30, 40.0, run_points("2021-05-01T07:00:15Z", 3, hr=160),
                avg_hr=160, max_hr=171, calories=7)]
    out = read_tcx(activities(activity("Running", "2021-05-01T07:00:00Z", laps, notes="easy")),
                   name="run.tcx")
    assert list(out.samples.columns) == schema.columns("raw_samples")
    assert list(out.laps.columns) == schema.columns("raw_laps")
    act = out.activities.iloc[0]
    assert (act["format"], act["sport"], act["device"]) == ("tcx", "running", "Forerunner 945")
    assert act["description"] == "easy"
    assert act["start_time"] == pd.Timestamp("2021-05-01T07:00:00Z")
    assert act["device_timer_s"] == 40 and act["device_distance_m"] == 60
    assert act["device_avg_hr_bpm"] == pytest.approx((140 * 10 + 160 * 30) / 40)
    assert act["device_max_hr_bpm"] == 171 and act["calories_kcal"] == 12
    assert act["device_elapsed_s"] == 45  # 07:00:00 -> lap 2 start + 30 s
    laps_out = out.laps
    assert laps_out["lap"].tolist() == [0, 1]
    assert laps_out["elapsed_s"].tolist() == [15, 30]
    assert laps_out["timer_s"].tolist() == [10, 30]
    assert laps_out["avg_hr_bpm"].tolist() == [140, 160]
    assert out.samples["elapsed_s"].tolist() == [0, 5, 10, 15, 20, 25]


def test_two_activities_are_two_parts():
    a = activity("Running", "2021-05-01T07:00:00Z",
                 [lap("2021-05-01T07:00:00Z", 10, 20, run_points("2021-05-01T07:00:00Z", 3))])
    b = activity("Biking", "2021-05-02T17:00:00Z",
                 [lap("2021-05-02T17:00:00Z", 20, 500, run_points("2021-05-02T17:00:00Z", 5)),
                  lap("2021-05-02T17:00:25Z", 20, 500, run_points("2021-05-02T17:00:25Z", 2))])
    out = read_tcx(activities(a, b))
    assert out.activities["part"].tolist() == [0, 1]
    assert out.activities["sport"].tolist() == ["running", "cycling"]
    assert out.samples.groupby("part").size().tolist() == [3, 7]
    assert out.laps.groupby("part").size().tolist() == [1, 2]
    assert out.activities["device_distance_m"].tolist() == [20, 1000]


def test_multisport_session_activities_are_parts():
    inner = "".join(
        f"<{tag}>" + activity(sport, t, [lap(t, 10, 20, run_points(t, 2))]) + f"</{tag}>"
        for tag, sport, t in [("FirstSport", "Biking", "2021-05-01T07:00:00Z"),
                              ("NextSport", "Running", "2021-05-01T08:00:00Z")])
    out = read_tcx(tcx(f"<Activities><MultiSportSession><Id>2021-05-01T07:00:00Z</Id>{inner}"
                       "</MultiSportSession></Activities>"))
    assert out.activities["sport"].tolist() == ["cycling", "running"]


def test_treadmill_without_position_and_run_cadence_extension():
    ext = "<ns3:TPX><ns3:Speed>2.8</ns3:Speed><ns3:RunCadence>85</ns3:RunCadence>" \
          "<ns3:Watts>240</ns3:Watts></ns3:TPX>"
    pts = [tp("2021-05-01T07:00:00Z", dist=0, hr=120, ext=ext),
           tp("2021-05-01T07:00:01Z", dist=2.8, hr=121, ext=ext)]
    data = activities(activity("Running", "2021-05-01T07:00:00Z",
                               [lap("2021-05-01T07:00:00Z", 1, 2.8, pts)]))
    s = read_tcx(data).samples
    assert s["latitude_deg"].isna().all() and s["longitude_deg"].isna().all()
    assert s["distance_m"].tolist() == [0, 2.8]
    assert s["speed_m_s"].tolist() == [2.8, 2.8]
    assert s["cadence_spm"].tolist() == [170, 170]  # RunCadence counts one foot
    assert s["power_w"].tolist() == [240, 240]
    assert s["heart_rate_bpm"].tolist() == [120, 121]


def test_extension_without_namespace_and_cadence_per_sport():
    ext = "<TPX><Watts>200</Watts></TPX>"
    bike = [tp("2021-05-01T07:00:00Z", cad=88, ext=ext), tp("2021-05-01T07:00:01Z", cad=90)]
    run = [tp("2021-05-02T07:00:00Z", cad=88), tp("2021-05-02T07:00:01Z", cad=90)]
    out = read_tcx(tcx("<Activities>"
                       + activity("Biking", "2021-05-01T07:00:00Z",
                                  [lap("2021-05-01T07:00:00Z", 1, 0, bike)])
                       + activity("Running", "2021-05-02T07:00:00Z",
                                  [lap("2021-05-02T07:00:00Z", 1, 0, run)])
                       + "</Activities>", ns=""))
    s = out.samples
    assert s.loc[s["part"] == 0, "cadence_spm"].tolist() == [88, 90]
    assert s.loc[s["part"] == 1, "cadence_spm"].tolist() == [176, 180]
    assert s["power_w"].iloc[0] == 200 and s["power_w"].iloc[1:].isna().all()


def test_course_is_refused():
    course = tcx("<Courses><Course><Name>loop</Name>"
                 + lap("2010-01-01T00:00:00Z", 144, 400, []).replace("Lap StartTime=\"2010-01-01"
                                                                      "T00:00:00Z\"", "Lap")
                 + "<Track>" + "".join(run_points("2010-01-01T00:00:00Z", 3)) + "</Track>"
                 "</Course></Courses>")
    with pytest.raises(NotAnActivityError, match="course.tcx: TCX file holds a course"):
        read_tcx(course, name="course.tcx")


def test_pool_swim_laps_without_trackpoints_is_an_activity_without_samples():
    laps = [lap("2021-05-01T07:00:00Z", 60, 50, []), lap("2021-05-01T07:01:30Z", 55, 50, []),
            lap("2021-05-01T07:03:00Z", 58, 50, [])]
    out = read_tcx(activities(activity("Other", "2021-05-01T07:00:00Z", laps)))
    act = out.activities.iloc[0]
    assert out.samples.empty and list(out.samples.columns) == schema.columns("raw_samples")
    assert act["device_distance_m"] == 150 and act["device_timer_s"] == 173
    assert act["device_elapsed_s"] == 180 + 58
    assert act["start_time"] == pd.Timestamp("2021-05-01T07:00:00Z")
    assert out.laps["elapsed_s"].tolist() == [90, 90, 58]


def test_activity_without_samples_next_to_one_with_samples():
    swim = activity("Other", "2021-05-01T07:00:00Z", [lap("2021-05-01T07:00:00Z", 60, 50, [])])
    run = activity("Running", "2021-05-01T09:00:00Z",
                   [lap("2021-05-01T09:00:00Z", 10, 20, run_points("2021-05-01T09:00:00Z", 3))])
    out = read_tcx(activities(swim, run))
    assert out.activities["part"].tolist() == [0, 1]
    assert out.samples["part"].unique().tolist() == [1]
    assert out.laps["part"].tolist() == [0, 1]


def test_no_timed_trackpoints_or_laps_is_not_an_activity():
    untimed = activity("Running", "2021-05-01T07:00:00Z",
                       ["<Lap><TotalTimeSeconds>60</TotalTimeSeconds><Track>"
                        + tp(None, lat=49.0) + "</Track></Lap>"])
    with pytest.raises(NotAnActivityError, match="no activity with timed track points"):
        read_tcx(activities(untimed), name="x.tcx")
    with pytest.raises(NotAnActivityError, match="no activity"):
        read_tcx(tcx("<Activities/>"), name="empty.tcx")


def test_first_point_empty_missing_distances_and_untimed_points_are_tolerated():
    pts = [tp("2021-05-01T07:00:00Z"),
           tp("2021-05-01T07:00:04Z", lat=49.0, alt=300),
           tp(None, lat=49.0001),
           tp("2021-05-01T07:00:08Z", lat=49.0002, alt=301, dist=20)]
    out = read_tcx(activities(activity("Biking", "2021-05-01T07:00:00Z",
                                       [lap("2021-05-01T07:00:00Z", 8, 20, pts)])))
    s = out.samples
    assert len(s) == 3
    assert s.iloc[0][["latitude_deg", "altitude_m", "distance_m"]].isna().all()
    assert s["distance_m"].isna().tolist() == [True, True, False]
    assert any("dropped 1 of 4 track points" in w for w in out.warnings)


def test_negative_pause_and_backwards_time_warn_but_read():
    pts = run_points("2021-05-01T07:00:00Z", 3)
    pts2 = run_points("2021-05-01T07:00:05Z", 3)  # second lap starts before the first ends
    out = read_tcx(activities(activity("Biking", "2021-05-01T07:00:00Z",
                                       [lap("2021-05-01T07:00:00Z", 10, 20, pts),
                                        lap("2021-05-01T07:00:05Z", 10, 20, pts2)])))
    assert len(out.samples) == 6
    assert any("backwards at 1 points" in w for w in out.warnings)
    assert out.laps["elapsed_s"].iloc[0] == 5


def test_zero_heart_rate_and_bad_position_are_missing():
    pts = [tp("2021-05-01T07:00:00Z", lat=0.0, hr=0),
           tp("2021-05-01T07:00:01Z", lat=49.0, hr=130)]
    pts[0] = pts[0].replace("<LongitudeDegrees>7.0", "<LongitudeDegrees>0.0")
    s = read_tcx(activities(activity("Running", "2021-05-01T07:00:00Z",
                                     [lap("2021-05-01T07:00:00Z", 1, 0, pts)]))).samples
    assert np.isnan(s["heart_rate_bpm"].iloc[0]) and s["heart_rate_bpm"].iloc[1] == 130
    assert np.isnan(s["latitude_deg"].iloc[0]) and s["latitude_deg"].iloc[1] == 49.0


def test_bom_and_not_tcx():
    data = b"\xef\xbb\xbf" + activities(activity(
        "Running", "2021-05-01T07:00:00Z",
        [lap("2021-05-01T07:00:00Z", 10, 20, run_points("2021-05-01T07:00:00Z", 2))]))
    assert len(read_tcx(data).samples) == 2
    with pytest.raises(ReadError, match="g.tcx: not a TCX file"):
        read_tcx(b'<gpx version="1.1"/>', name="g.tcx")


# --- real files -------------------------------------------------------------------------


@pytest.mark.realdata
def test_every_real_tcx_file_reads_or_raises_a_read_error(realdata):
    offenders, read = [], 0
    for path in sorted(realdata.rglob("*.tcx")):
        try:
            out = read_tcx(path)
        except ReadError:
            continue
        except Exception as e:  # every other failure is listed, not raised
            offenders.append(f"{path.relative_to(realdata)}: {type(e).__name__}: {e}")
            continue
        read += 1
        if out.activities.empty or out.activities["start_time"].isna().any():
            offenders.append(f"{path.relative_to(realdata)}: activity without a start")
    assert not offenders, "\n".join(offenders)
    assert read > 0


def _real(realdata, rel):
    path = realdata / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in the real-data folder")
    return path


@pytest.mark.realdata
def test_real_multiple_trainings_gives_three_parts(realdata):
    path = _real(realdata, "Runalyze__Runalyze/tests/testfiles/tcx/Multiple-Trainings.tcx")
    out = read_tcx(path)
    assert out.activities["part"].tolist() == [0, 1, 2]
    assert sorted(out.samples["part"].unique().tolist()) == [0, 1, 2]


@pytest.mark.realdata
def test_real_11km_has_twelve_laps_and_heart_rate(realdata):
    out = read_tcx(_real(realdata, "corriporai__runpandas/examples/11km.tcx"))
    assert len(out.laps) == 12
    assert out.laps["avg_hr_bpm"].notna().all()
    assert out.samples["heart_rate_bpm"].notna().mean() > 0.9
    assert out.activities["device_distance_m"].iloc[0] == pytest.approx(
        out.laps["distance_m"].sum())


@pytest.mark.realdata
def test_real_course_is_not_an_activity(realdata):
    with pytest.raises(NotAnActivityError, match="course"):
        read_tcx(_real(realdata, "Runalyze__Runalyze/tests/testfiles/tcx/Route-only.tcx"))
