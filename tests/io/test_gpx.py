"""GPX reader: small files written inline, then every real GPX file."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from runback import schema
from runback.errors import NotAnActivityError, ReadError
from runback.io.base import ParsedFile
from runback.io.gpx import EARTH_RADIUS_M, read_gpx

GPX11 = "http://www.topografix.com/GPX/1/1"
TPX1 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
TPX2 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"

# One step of 0.001 degrees along a meridian is R * 0.001 * pi / 180.
STEP_M = EARTH_RADIUS_M * math.radians(0.001)


def gpx(body: str, *, creator: str = "unit test", ns: str = "", decl: bool = True) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if decl else ""
    return (f'{head}<gpx version="1.1" creator="{creator}" xmlns="{GPX11}" {ns}>'
            f"{body}</gpx>").encode()


def pt(lat: float, time_: str | None = None, ele: str | None = None, ext: str = "",
       lon: float = 7.0) -> str:
    t = f"<time>{time_}</time>" if time_ else ""
    e = f"<ele>{ele}</ele>" if ele is not None else ""
    x = f"<extensions>{ext}</extensions>" if ext else ""
    return f'<trkpt lat="{lat}" lon="{lon}">{e}{t}{x}</trkpt>'


def trk(*segments: list[str], type_: str | None = None, name: str | None = None) -> str:
    head = (f"<name>{name}</name>" if name else "") + (f"<type>{type_}</type>" if type_ else "")
    segs = "".join(f"<trkseg>{''.join(s)}</trkseg>" for s in segments)
    return f"<trk>{head}{segs}</trk>"


def times(start: str, n: int, step_s: int = 10) -> list[str]:
    t0 = pd.Timestamp(start)
    return [(t0 + pd.Timedelta(seconds=i * step_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
            for i in range(n)]


def seg(lat0: float, start: str, n: int, step_s: int = 10, **kw) -> list[str]:
    return [pt(lat0 + 0.001 * i, t, **kw) for i, t in enumerate(times(start, n, step_s))]


def test_canonical_frames_and_metadata():
    data = gpx(f"<metadata><name>Meta name</name><desc>Meta desc</desc></metadata>"
               f"{trk(seg(49.0, '2021-04-06T10:00:00Z', 3, ele='250'), type_='running')}",
               creator="Garmin Connect")
    out = read_gpx(data, name="run.gpx")
    assert isinstance(out, ParsedFile)
    assert list(out.samples.columns) == schema.columns("raw_samples")
    assert list(out.activities.columns) == schema.columns("raw_activities")
    act = out.activities.iloc[0]
    assert (act["format"], act["device"], act["sport"]) == ("gpx", "Garmin Connect", "running")
    assert (act["name"], act["description"]) == ("Meta name", "Meta desc")
    assert act["start_time"] == pd.Timestamp("2021-04-06T10:00:00Z")
    assert out.laps.empty and out.warnings == []


def test_multiple_segments_are_one_activity_without_distance_across_the_pause():
    first = seg(49.0, "2021-04-06T10:00:00Z", 3)
    second = seg(49.5, "2021-04-06T10:30:00Z", 3)  # 0.5 deg away: the jump is not run
    out = read_gpx(gpx(trk(first, second)))
    s = out.samples
    assert len(out.activities) == 1 and len(s) == 6
    assert (s["part"] == 0).all()
    np.testing.assert_allclose(s["distance_m"], [0, 1, 2, 2, 3, 4] * np.array(STEP_M), rtol=1e-9)
    assert s["elapsed_s"].tolist() == [0, 10, 20, 1800, 1810, 1820]


def test_tracks_more_than_six_hours_apart_are_separate_parts_in_time_order():
    morning = trk(seg(49.0, "2021-04-06T06:00:00Z", 3), type_="running", name="AM")
    evening = trk(seg(49.0, "2021-04-06T18:00:00Z", 2), type_="cycling", name="PM")
    lunch = trk(seg(49.0, "2021-04-06T08:00:00Z", 2), name="noon")
    # file order: evening, morning, lunch -> time order: morning + lunch (2 h) | evening
    out = read_gpx(gpx(evening + morning + lunch))
    acts = out.activities
    assert acts["part"].tolist() == [0, 1]
    assert acts["name"].tolist() == ["AM", "PM"]
    assert acts["sport"].tolist() == ["running", "cycling"]
    assert out.samples.groupby("part").size().tolist() == [5, 2]
    assert out.samples["timestamp"].is_monotonic_increasing
    assert out.samples.loc[out.samples["part"] == 1, "elapsed_s"].tolist() == [0, 10]


def test_run_across_utc_midnight_stays_utc():
    pts = [pt(49.0, "2021-12-31T23:59:40Z"), pt(49.001, "2021-12-31T23:59:55Z"),
           pt(49.002, "2022-01-01T00:00:10Z")]
    out = read_gpx(gpx(trk(pts)))
    ts = out.samples["timestamp"]
    assert str(ts.dt.tz) == "UTC"
    assert ts.dt.day.tolist() == [31, 31, 1]
    assert out.samples["elapsed_s"].tolist() == [0, 15, 30]
    assert out.activities["start_time"].iloc[0] == pd.Timestamp("2021-12-31T23:59:40Z")


def test_naive_times_are_utc_and_offsets_are_converted_and_kept():
    naive = read_gpx(gpx(trk([pt(49.0, "2021-06-01T08:00:00"), pt(49.001, "2021-06-01T08:00:05")])))
    assert naive.samples["timestamp"].iloc[0] == pd.Timestamp("2021-06-01T08:00:00Z")
    assert np.isnan(naive.activities["utc_offset_s"].iloc[0])
    offset = read_gpx(gpx(trk([pt(49.0, "2021-06-01T10:00:00+02:00"),
                               pt(49.001, "2021-06-01T10:00:05+02:00")])))
    act = offset.activities.iloc[0]
    assert act["start_time"] == pd.Timestamp("2021-06-01T08:00:00Z")
    assert act["utc_offset_s"] == 7200
    assert act["local_start"] == pd.Timestamp("2021-06-01T10:00:00")


def test_missing_elevation_is_nan_and_all_zero_elevation_is_missing():
    pts = seg(49.0, "2021-04-06T10:00:00Z", 3)
    pts[1] = pt(49.001, "2021-04-06T10:00:10Z", ele="251.5")
    s = read_gpx(gpx(trk(pts))).samples
    assert s["altitude_m"].isna().tolist() == [True, False, True]
    assert s["altitude_m"].iloc[1] == 251.5
    zeros = read_gpx(gpx(trk(seg(49.0, "2021-04-06T10:00:00Z", 3, ele="0")))).samples
    assert zeros["altitude_m"].isna().all()
    some_zero = seg(49.0, "2021-04-06T10:00:00Z", 2, ele="0") + [
        pt(49.01, "2021-04-06T10:00:20Z", ele="3")]
    assert read_gpx(gpx(trk(some_zero))).samples["altitude_m"].tolist() == [0, 0, 3]


def test_partial_timestamps_keep_timed_points_and_warn():
    pts = seg(49.0, "2021-04-06T10:00:00Z", 5)
    pts[2] = pt(49.002)  # no time
    out = read_gpx(gpx(trk(pts)))
    assert len(out.samples) == 4
    assert any("dropped 1 of 5" in w for w in out.warnings)


def test_fewer_than_half_timed_is_a_route():
    pts = [pt(49.0 + 0.001 * i) for i in range(5)]
    pts[0] = pt(49.0, "2021-04-06T10:00:00Z")
    pts[1] = pt(49.001, "2021-04-06T10:00:10Z")
    with pytest.raises(NotAnActivityError, match="no timestamps: a route"):
        read_gpx(gpx(trk(pts)), name="half.gpx")


def test_route_only_and_untimed_track_are_not_activities():
    route = gpx('<rte><name>r</name><rtept lat="49" lon="7"/><rtept lat="49.1" lon="7"/></rte>')
    with pytest.raises(NotAnActivityError, match="route.gpx: GPX track has no timestamps"):
        read_gpx(route, name="route.gpx")
    untimed = gpx(trk([pt(49.0), pt(49.001)]))
    with pytest.raises(NotAnActivityError, match="GPX track has no timestamps"):
        read_gpx(untimed, name="untimed.gpx")


def test_no_points_or_empty_segments_only():
    empty = gpx('<trk><name>x</name><type>running</type><trkseg/></trk>')
    with pytest.raises(NotAnActivityError, match="GPX file has no track points"):
        read_gpx(empty, name="e.gpx")
    with pytest.raises(NotAnActivityError, match="no track points"):
        read_gpx(gpx("<metadata><name>nothing</name></metadata>"), name="n.gpx")


def test_route_planner_placeholder_times_are_refused():
    planned = gpx(f"<metadata><time>2015-07-25T09:25:42Z</time></metadata>"
                  f"{trk(seg(49.0, '2010-01-01T00:00:00Z', 4))}", creator="Some planner")
    with pytest.raises(NotAnActivityError, match="placeholders"):
        read_gpx(planned, name="plan.gpx")
    # A real recording that happens to start at New Year is kept.
    new_year = gpx(f"<metadata><time>2010-01-01T00:00:00Z</time></metadata>"
                   f"{trk(seg(49.0, '2010-01-01T00:00:00Z', 4))}", creator="Garmin Connect")
    assert len(read_gpx(new_year).samples) == 4


@pytest.mark.parametrize("ns, prefix, uri", [
    ("gpxtpx", "gpxtpx", TPX1),
    ("ns3", "ns3", TPX1),
    ("ns3", "ns3", TPX2),
])
def test_garmin_extensions_under_any_prefix(ns, prefix, uri):
    ext = (f"<{prefix}:TrackPointExtension><{prefix}:atemp>21.5</{prefix}:atemp>"
           f"<{prefix}:hr>142</{prefix}:hr><{prefix}:cad>86</{prefix}:cad>"
           f"</{prefix}:TrackPointExtension>")
    pts = [pt(49.0 + 0.001 * i, t, ext=ext) for i, t in
           enumerate(times("2021-04-06T10:00:00Z", 2))]
    s = read_gpx(gpx(trk(pts, type_="running"), ns=f'xmlns:{ns}="{uri}"')).samples
    assert s["heart_rate_bpm"].tolist() == [142, 142]
    assert s["cadence_spm"].tolist() == [172, 172]  # per foot in GPX: doubled for running
    assert s["temperature_c"].tolist() == [21.5, 21.5]


def test_extensions_without_namespace_or_declaration_power_and_speed():
    ext_plain = "<power>250</power><TrackPointExtension><hr>150</hr><speed>3.2</speed>" \
                "<cad>90</cad></TrackPointExtension>"
    ext_undeclared = "<gpxtpx:TrackPointExtension><gpxtpx:hr>151</gpxtpx:hr>" \
                     "</gpxtpx:TrackPointExtension>"
    pts = [pt(49.0, "2021-04-06T10:00:00Z", ext=ext_plain),
           pt(49.001, "2021-04-06T10:00:10Z", ext=ext_undeclared),
           pt(49.002, "2021-04-06T10:00:20Z")]
    s = read_gpx(gpx(trk(pts, type_="1"))).samples  # Strava code 1: ride
    assert s["power_w"].iloc[0] == 250 and np.isnan(s["power_w"].iloc[1])
    assert s["speed_m_s"].iloc[0] == 3.2 and s["speed_m_s"].iloc[1:].isna().all()
    assert s["heart_rate_bpm"].tolist()[:2] == [150, 151]
    assert s["cadence_spm"].iloc[0] == 90  # a ride: revolutions per minute, not doubled


def test_zero_heart_rate_is_missing():
    ext = "<gpxtpx:TrackPointExtension><gpxtpx:hr>0</gpxtpx:hr></gpxtpx:TrackPointExtension>"
    pts = [pt(49.0, "2021-04-06T10:00:00Z", ext=ext), pt(49.001, "2021-04-06T10:00:10Z")]
    s = read_gpx(gpx(trk(pts), ns=f'xmlns:gpxtpx="{TPX1}"')).samples
    assert s["heart_rate_bpm"].isna().all()


@pytest.mark.parametrize("label, sport, sub", [
    ("running", "running", None),
    ("Run", "running", None),
    ("trail_running", "running", "trail"),
    ("9", "running", None),
    ("1", "cycling", None),
    ("10", "walking", None),
    ("4", "hiking", None),
])
def test_sport_from_type(label, sport, sub):
    act = read_gpx(gpx(trk(seg(49.0, "2021-04-06T10:00:00Z", 2), type_=label))).activities
    assert act["sport"].iloc[0] == sport
    assert (act["sub_sport"].iloc[0] if pd.notna(act["sub_sport"].iloc[0]) else None) == sub


def test_time_going_backwards_keeps_file_order_and_warns():
    stamps = ["2021-04-06T10:00:00Z", "2021-04-06T10:00:10Z", "2021-04-06T10:00:05Z",
              "2021-04-06T10:00:20Z", "2021-04-06T10:00:15Z", "2021-04-06T10:00:30Z"]
    pts = [pt(49.0 + 0.001 * i, t) for i, t in enumerate(stamps)]
    out = read_gpx(gpx(trk(pts)))
    assert out.samples["timestamp"].tolist() == [pd.Timestamp(t) for t in stamps]
    assert out.samples["latitude_deg"].is_monotonic_increasing
    assert any("backwards at 2 points" in w for w in out.warnings)


def test_point_without_position_is_kept_and_distance_bridges_it():
    pts = seg(49.0, "2021-04-06T10:00:00Z", 3)
    pts[1] = '<trkpt><ele>300</ele><time>2021-04-06T10:00:10Z</time></trkpt>'
    s = read_gpx(gpx(trk(pts))).samples
    assert s["latitude_deg"].isna().tolist() == [False, True, False]
    np.testing.assert_allclose(s["distance_m"], [0, 0, 2 * STEP_M], rtol=1e-9)


def test_utf8_bom_and_missing_encoding_declaration():
    body = trk(seg(49.0, "2021-04-06T10:00:00Z", 2), name="Lauf über den Berg")
    with_bom = b"\xef\xbb\xbf" + gpx(body)
    assert read_gpx(with_bom).activities["name"].iloc[0] == "Lauf über den Berg"
    latin1 = gpx(body, decl=False).decode().encode("latin-1")  # no declaration, not UTF-8
    assert read_gpx(latin1).activities["name"].iloc[0] == "Lauf über den Berg"


def test_gpx_1_0_speed_and_root_name():
    data = (b'<gpx version="1.0" creator="old" xmlns="http://www.topografix.com/GPX/1/0">'
            b"<name>Old file</name><trk><trkseg>"
            b'<trkpt lat="49" lon="7"><time>2005-05-05T05:05:05Z</time><speed>2.5</speed></trkpt>'
            b'<trkpt lat="49.001" lon="7"><time>2005-05-05T05:05:15Z</time></trkpt>'
            b"</trkseg></trk></gpx>")
    out = read_gpx(data)
    assert out.activities["name"].iloc[0] == "Old file"
    assert out.samples["speed_m_s"].iloc[0] == 2.5


def test_not_gpx_and_not_xml_are_read_errors():
    with pytest.raises(ReadError, match="x.gpx: not a GPX file"):
        read_gpx(b"<TrainingCenterDatabase/>", name="x.gpx")
    with pytest.raises(ReadError, match="y.gpx: not XML"):
        read_gpx(b"\x00\x01garbage", name="y.gpx")
    with pytest.raises(ReadError, match="z.gpx: malformed XML"):
        read_gpx(gpx(trk(seg(49.0, "2021-04-06T10:00:00Z", 2)))[:-20], name="z.gpx")


def test_reads_paths_and_file_objects(tmp_path):
    path = tmp_path / "a.gpx"
    path.write_bytes(gpx(trk(seg(49.0, "2021-04-06T10:00:00Z", 2))))
    assert len(read_gpx(path).samples) == 2
    with open(path, "rb") as fh:
        assert len(read_gpx(fh).samples) == 2
    with pytest.raises(ReadError, match="missing.gpx: cannot read file"):
        read_gpx(tmp_path / "missing.gpx")


# --- real files -------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_every_real_gpx_file_reads_or_raises_a_read_error(realdata):
    offenders, read, skipped = [], 0, 0
    for path in sorted(realdata.rglob("*.gpx")):
        try:
            out = read_gpx(path)
        except ReadError:
            skipped += 1
            continue
        except Exception as e:  # every other failure is listed, not raised
            offenders.append(f"{path.relative_to(realdata)}: {type(e).__name__}: {e}")
            continue
        read += 1
        s = out.samples
        if s.empty or s["timestamp"].isna().any() or (s["distance_m"] < 0).any():
            offenders.append(f"{path.relative_to(realdata)}: bad samples")
    assert not offenders, "\n".join(offenders)
    assert read > 0 and skipped > 0


@pytest.mark.realdata
@pytest.mark.parametrize("rel", [
    "tkrajina__gpxpy/test_files/route.gpx",
    "Runalyze__Runalyze/tests/testfiles/gpx/Route-only.gpx",
    "tkrajina__gpxpy/test_files/cerknicko-without-times.gpx",
])
def test_real_routes_are_not_activities(realdata, rel):
    path = realdata / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in the real-data folder")
    with pytest.raises(NotAnActivityError, match="a route, not an activity"):
        read_gpx(path)


@pytest.mark.realdata
def test_real_gpx_out_empty_tracks_are_not_activities(realdata):
    folder = realdata / "shaonianche__running-data-sync" / "GPX_OUT"
    files = sorted(folder.glob("*.gpx"))
    if not files:
        pytest.skip(f"no GPX files in {folder}")
    empty = [f for f in files if b"<trkpt" not in f.read_bytes()]
    assert empty, "expected some GPX_OUT files without track points"
    t0 = time.perf_counter()
    for f in files:
        if f in empty:
            with pytest.raises(NotAnActivityError, match="no track points"):
                read_gpx(f)
        else:
            assert not read_gpx(f).samples.empty
    elapsed = time.perf_counter() - t0
    print(f"GPX_OUT: {len(files)} files read in {elapsed:.2f} s")


@pytest.mark.realdata
def test_real_garmin_ns3_extension_doubles_running_cadence(realdata):
    path = realdata / "Runalyze__Runalyze/tests/testfiles/gpx/garmin-ns3-extension.gpx"
    if not path.is_file():
        pytest.skip("garmin-ns3-extension.gpx not in the real-data folder")
    raw = [int(v) for v in pd.Series(path.read_text()).str.findall(r"<ns3:cad>(\d+)<").iloc[0]]
    out = read_gpx(path)
    assert out.activities["sport"].iloc[0] == "running"
    assert out.samples["cadence_spm"].tolist() == [2 * v for v in raw]
    assert out.samples["heart_rate_bpm"].notna().all()


def test_columns_join_as_the_frames_read_gpx_gives():
    """read_gpx_columns leaves the tables as arrays; joined, they are read_gpx's frames."""
    from runback.io.base import ParsedColumns
    from runback.io.gpx import read_gpx_columns

    first = gpx(trk(seg(49.0, "2021-04-06T10:00:00Z", 4, ele="250",
                        ext=f'<gpxtpx:TrackPointExtension xmlns:gpxtpx="{TPX1}">'
                            "<gpxtpx:hr>140</gpxtpx:hr></gpxtpx:TrackPointExtension>"),
                    type_="running"))
    second = gpx(trk(seg(48.0, "2021-04-07T10:00:00Z", 3), seg(48.1, "2021-04-08T10:00:00Z", 2),
                     type_="cycling", name="Two days"))
    parts = [read_gpx_columns(data, f"f{i}.gpx") for i, data in enumerate((first, second))]
    assert all(isinstance(p, ParsedColumns) and p.laps is None for p in parts)
    assert parts[1].activities.n == 2  # a day apart: two parts
    for p, data in zip(parts, (first, second), strict=True):
        expected = read_gpx(data, name="x.gpx")
        got = p.to_parsed()
        pd.testing.assert_frame_equal(got.activities, expected.activities)
        pd.testing.assert_frame_equal(got.samples, expected.samples)
        assert got.warnings == expected.warnings
    joined = schema.concat_columns("raw_samples", [p.samples for p in parts])
    assert len(joined) == 9
    assert joined["heart_rate_bpm"].iloc[:4].tolist() == [140.0] * 4
    assert joined["heart_rate_bpm"].iloc[4:].isna().all()
    with pytest.raises(ReadError, match="bad.gpx"):
        read_gpx_columns(b"<gpx><trk><trkseg></gpx>", "bad.gpx")
