"""The GPX reader against gpxpy, on every real GPX file and on hand-written hard cases.

gpxpy is the reference, as fitparse is for the FIT decoder: for every track point it
returns, runback's scan (:func:`runback.io.gpx.scan_gpx`, points in file order before any
cleaning) must give the same track, segment, position, time, elevation and Garmin
TrackPointExtension heart rate, and :func:`~runback.io.gpx.read_gpx` must keep exactly
those points, cleaned as its docstring says. gpxpy refuses a whole file for one point
without ``lat``/``lon`` or with a time it cannot parse; such points are taken out of the
file given to gpxpy, listed in the test output, and must be points runback reads (with no
position, or no time).
"""

from __future__ import annotations

import gzip
import math
import re
import xml.etree.ElementTree as ET

import gpxpy
import numpy as np
import pandas as pd
import pytest
from gpxpy import gpxfield
from hypothesis import given, settings
from hypothesis import strategies as st

from runback.errors import NotAnActivityError, ReadError
from runback.io._xml import parse_times
from runback.io.gpx import read_gpx, scan_gpx

GPX11 = "http://www.topografix.com/GPX/1/1"
GPX10 = "http://www.topografix.com/GPX/1/0"
TPX1 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
TPX2 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
_TRKPT = re.compile(r"<(?:[\w.-]+:)?trkpt\b[^>]*?(?:/>|>.*?</(?:[\w.-]+:)?trkpt\s*>)", re.S)


# --------------------------------------------------------------------------------------------
# Reference: gpxpy


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower()


def _hr(point) -> float:
    """The first heart rate in the point's extensions (Garmin TrackPointExtension ``hr``,
    whatever its namespace), as gpxpy hands extensions over: raw XML elements."""
    for ext in point.extensions:
        for el in ext.iter():
            if _local(el.tag) == "hr" and el.text and el.text.strip():
                return float(el.text)
    return math.nan


def _gpxpy_rejects(pt: ET.Element) -> str | None:
    """Why gpxpy would refuse the file for this ``trkpt`` (None when it would not)."""
    for attr in ("lat", "lon"):
        try:
            float(pt.get(attr))
        except (TypeError, ValueError):
            return f"{attr} missing or not a number ({pt.get(attr)!r})"
    for child in pt:
        if _local(child.tag) == "time" and child.text and child.text.strip():
            try:
                gpxfield.parse_time(child.text.strip())
            except gpxpy.gpx.GPXException:
                return f"time gpxpy cannot parse ({child.text.strip()!r})"
    return None


def gpxpy_points(data: bytes) -> tuple[pd.DataFrame | None, list[str], int]:
    """gpxpy's points in file order, the points gpxpy refuses (taken out first), and the
    file-order index of each refused point; None when gpxpy refuses the file for another
    reason."""
    text = data.decode("utf-8", "replace").lstrip("\ufeff")
    # gpxpy believes the version attribute over the namespace: a file in the GPX 1.1
    # namespace that says version="1.0" (sportractive writes those) would lose its
    # extensions, so such a file is read as 1.1
    version = "1.1" if GPX11 in text[:2000] else None
    rejected, rejected_at = [], []
    try:
        parsed = gpxpy.parse(text, version=version)
    except gpxpy.gpx.GPXException:
        kept = []
        for i, m in enumerate(_TRKPT.finditer(text)):
            why = _gpxpy_rejects(ET.fromstring(re.sub(r"<(/?)[\w.-]+:", r"<\1", m.group(0))))
            if why:
                rejected.append(f"point {i}: {why}")
                rejected_at.append(i)
                kept.append((m.start(), m.end()))
        for start, end in reversed(kept):
            text = text[:start] + text[end:]
        try:
            parsed = gpxpy.parse(text, version=version)
        except gpxpy.gpx.GPXException:
            return None, rejected, rejected_at
    rows = []
    for t, track in enumerate(parsed.tracks):
        for s, segment in enumerate(track.segments):
            for p in segment.points:
                time = pd.NaT
                if p.time is not None:
                    stamp = pd.Timestamp(p.time)
                    time = stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert(
                        "UTC")
                rows.append((t, s, p.latitude, p.longitude,
                             math.nan if p.elevation is None else p.elevation, time, _hr(p)))
    frame = pd.DataFrame(rows, columns=["track", "segment", "latitude_deg", "longitude_deg",
                                        "altitude_m", "time", "heart_rate_bpm"])
    frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.as_unit("ns")
    return frame, rejected, rejected_at


# --------------------------------------------------------------------------------------------
# Comparison


def _differ(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Rows where two float columns differ (NaN equals NaN; values exactly)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return ~((got == want) | (np.isnan(got) & np.isnan(want)))


def compare_with_gpxpy(data: bytes, name: str = "file.gpx") -> tuple[list[str], list[str]]:
    """Every difference between runback and gpxpy on ``data``, and gpxpy's refused points."""
    want, rejected, rejected_at = gpxpy_points(data)
    try:
        scan = scan_gpx(data, name)
    except ReadError as e:
        if want is None:
            return [], rejected
        return [f"runback refuses a file gpxpy reads: {e}"], rejected
    if want is None:
        return ["gpxpy refuses the file for more than its points"], rejected
    got = pd.DataFrame({c: v for c, v in scan.points.items() if c != "time"})
    got["time"] = pd.Series(parse_times(scan.points["time"]).as_unit("ns"))
    problems = []
    if rejected_at:
        refused = got.iloc[rejected_at]
        readable = refused["latitude_deg"].isna() | refused["longitude_deg"].isna() | refused[
            "time"].isna()
        if not readable.all():
            problems.append(f"gpxpy refuses points runback reads with a position and a time: "
                            f"{list(refused.index[~readable])}")
        got = got.drop(index=got.index[rejected_at]).reset_index(drop=True)
    if len(got) != len(want):
        return problems + [f"{len(got)} points, gpxpy {len(want)}"], rejected
    for column in ("track", "segment"):
        bad = np.flatnonzero(got[column].to_numpy() != want[column].to_numpy())
        if len(bad):
            problems.append(f"point {bad[0]}: {column} {got[column][bad[0]]}, gpxpy "
                            f"{want[column][bad[0]]} ({len(bad)} points)")
    for column in ("latitude_deg", "longitude_deg", "altitude_m", "heart_rate_bpm"):
        bad = np.flatnonzero(_differ(got[column], want[column]))
        if len(bad):
            problems.append(f"point {bad[0]}: {column} {got[column][bad[0]]!r}, gpxpy "
                            f"{want[column][bad[0]]!r} ({len(bad)} points)")
    g, w = got["time"].dt.floor("us"), want["time"].dt.floor("us")  # gpxpy keeps microseconds
    bad = np.flatnonzero(~((g == w) | (g.isna() & w.isna())).to_numpy())
    if len(bad):
        problems.append(f"point {bad[0]}: time {g[bad[0]]}, gpxpy {w[bad[0]]} "
                        f"({len(bad)} points)")
    problems += _compare_samples(data, name, want, int(refused["time"].notna().sum())
                                 if rejected_at else 0)
    return problems, rejected


def _compare_samples(data: bytes, name: str, want: pd.DataFrame, more: int) -> list[str]:
    """read_gpx keeps gpxpy's timed points, cleaned as documented, or says why not;
    ``more`` is the number of timed points gpxpy refuses, which runback keeps."""
    try:
        out = read_gpx(data, name=name)
    except NotAnActivityError as e:
        timed = want["time"].notna().sum()
        if "placeholders" in str(e) or 2 * timed < len(want) or not len(want):
            return []
        return [f"read_gpx finds no activity in {timed} timed points of {len(want)}: {e}"]
    expected = want[want["time"].notna()].copy()
    lat, lon = expected["latitude_deg"], expected["longitude_deg"]
    off_globe = ~lat.between(-90, 90) | ~lon.between(-180, 180) | ((lat == 0) & (lon == 0))
    expected.loc[off_globe, ["latitude_deg", "longitude_deg"]] = np.nan
    ele = expected["altitude_m"].dropna()
    if len(ele) and (ele == 0).all():
        expected["altitude_m"] = np.nan
    expected.loc[expected["heart_rate_bpm"] <= 0, "heart_rate_bpm"] = np.nan
    s = out.samples
    columns = ["latitude_deg", "longitude_deg", "altitude_m", "heart_rate_bpm"]
    key = ["time", *columns]
    got = s.rename(columns={"timestamp": "time"})[key].copy()
    got["time"] = got["time"].dt.floor("us")
    expected["time"] = expected["time"].dt.floor("us")
    order = ["time", "latitude_deg", "longitude_deg"]
    got = got.sort_values(order, kind="stable").reset_index(drop=True)
    expected = expected[key].sort_values(order, kind="stable").reset_index(drop=True)
    if any("left out" in w for w in out.warnings):
        merged = got.merge(expected.drop_duplicates(), how="left", on=key, indicator=True)
        missing = int((merged["_merge"] != "both").sum())
        return [f"{missing} samples gpxpy does not have"] if missing else []
    if more:  # the refused points have no position: drop as many samples without one
        no_fix = got.index[got["latitude_deg"].isna()]
        if len(no_fix) < more:
            return [f"{more} timed points gpxpy refuses, {len(no_fix)} samples without a fix"]
        got = got.drop(index=no_fix[:more]).reset_index(drop=True)
    if len(got) != len(expected):
        return [f"read_gpx keeps {len(got)} samples of gpxpy's {len(expected)} timed points"]
    problems = []
    if not (got["time"] == expected["time"]).all():
        problems.append("read_gpx sample times differ from gpxpy's")
    for column in columns:
        bad = np.flatnonzero(_differ(got[column], expected[column]))
        if len(bad):
            problems.append(f"sample {bad[0]}: {column} {got[column][bad[0]]!r}, gpxpy "
                            f"{expected[column][bad[0]]!r} ({len(bad)} samples)")
    return problems


# --------------------------------------------------------------------------------------------
# Every real GPX file


def _real_gpx_files(realdata):
    return sorted(p for p in realdata.rglob("*")
                  if p.is_file() and p.name.lower().endswith((".gpx", ".gpx.gz")))


@pytest.mark.realdata
@pytest.mark.slow
def test_every_real_gpx_file_reads_as_gpxpy_reads_it(realdata, capsys):
    files = _real_gpx_files(realdata)
    assert files, f"no GPX files under {realdata}"
    problems, refused, points = [], [], 0
    for path in files:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
        rel = path.relative_to(realdata)
        found, rejected = compare_with_gpxpy(data, str(rel))
        problems += [f"{rel}: {p}" for p in found]
        refused += [f"{rel}: {r}" for r in rejected]
        points += data.count(b"trkpt")
    with capsys.disabled():  # the list shows in every run, not only when the test fails
        print(f"\n{len(files)} real GPX files compared with gpxpy; points gpxpy refuses "
              f"({len(refused)}), left out of the comparison:")
        print("\n".join(f"  {r}" for r in refused) or "  none")
    assert not problems, "\n".join(problems)
    assert points > 0


# --------------------------------------------------------------------------------------------
# Hand-written hard cases


def gpx(body: str, *, version: str = "1.1", ns: str = GPX11, extra: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" '
            f'creator="unit test" xmlns="{ns}" {extra}>{body}</gpx>').encode()


def pt(lat, time=None, ele=None, hr=None, *, prefix="gpxtpx", lon=7.0, extra="") -> str:
    inner = (f"<ele>{ele}</ele>" if ele is not None else "") + (
        f"<time>{time}</time>" if time is not None else "") + extra
    if hr is not None:
        p = f"{prefix}:" if prefix else ""
        inner += (f"<extensions><{p}TrackPointExtension><{p}hr>{hr}</{p}hr>"
                  f"</{p}TrackPointExtension></extensions>")
    return f'<trkpt lat="{lat}" lon="{lon}">{inner}</trkpt>'


def stamp(i: int, start: str = "2021-04-06T10:00:00Z") -> str:
    return (pd.Timestamp(start) + pd.Timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")


def same_as_gpxpy(data: bytes) -> list[str]:
    problems, rejected = compare_with_gpxpy(data)
    assert not problems, "\n".join(problems)
    return rejected


def test_segments_and_pauses_match_gpxpy():
    seg1 = "".join(pt(49 + i / 1000, stamp(i), ele=250 + i, hr=140 + i) for i in range(4))
    seg2 = "".join(pt(49.1 + i / 1000, stamp(i + 100), ele=300, hr=150) for i in range(3))
    late = "".join(pt(49.2 + i / 1000, stamp(i + 5000)) for i in range(3))  # 14 h later
    data = gpx(f"<trk><trkseg>{seg1}</trkseg><trkseg></trkseg><trkseg>{seg2}</trkseg></trk>"
               f"<trk><trkseg>{late}</trkseg></trk>", extra=f'xmlns:gpxtpx="{TPX1}"')
    assert same_as_gpxpy(data) == []
    scan = scan_gpx(data, "p.gpx").points
    assert scan["segment"].tolist() == [0] * 4 + [2] * 3 + [0] * 3
    assert scan["track"].tolist() == [0] * 7 + [1] * 3
    out = read_gpx(data)
    assert out.activities["part"].tolist() == [0, 1]


def test_missing_times_and_elevations_match_gpxpy():
    points = [pt(49.0, stamp(0), ele=250), pt(49.001, None, ele=251), pt(49.002, stamp(2)),
              pt(49.003, stamp(3), ele=""), pt(49.004, stamp(4), ele=" 253.5 ")]
    data = gpx(f"<trk><trkseg>{''.join(points)}</trkseg></trk>")
    assert same_as_gpxpy(data) == []
    scan = scan_gpx(data, "m.gpx").points
    assert [t is None for t in scan["time"]] == [False, True, False, False, False]
    np.testing.assert_array_equal(scan["altitude_m"], [250, 251, np.nan, np.nan, 253.5])


@pytest.mark.parametrize("prefix, declaration", [
    ("gpxtpx", f'xmlns:gpxtpx="{TPX1}"'),
    ("ns3", f'xmlns:ns3="{TPX2}"'),
    ("ns3", ""),                       # prefix used, never declared
    ("", ""),                          # no namespace at all
])
def test_heart_rate_under_any_namespace_matches_gpxpy(prefix, declaration):
    points = "".join(pt(49 + i / 1000, stamp(i), hr=120 + i, prefix=prefix) for i in range(3))
    data = gpx(f"<trk><trkseg>{points}</trkseg></trk>", extra=declaration)
    if prefix and not declaration:
        # gpxpy's parser refuses an undeclared prefix; runback declares it and reads on
        assert gpxpy_points(data)[0] is None
        assert scan_gpx(data, "u.gpx").points["heart_rate_bpm"].tolist() == [120, 121, 122]
        return
    assert same_as_gpxpy(data) == []
    assert read_gpx(data).samples["heart_rate_bpm"].tolist() == [120, 121, 122]


def test_default_namespace_extension_on_the_point_matches_gpxpy():
    ext = (f'<extensions><TrackPointExtension xmlns="{TPX2}"><hr>133</hr><cad>88</cad>'
           f"</TrackPointExtension></extensions>")
    points = "".join(pt(49 + i / 1000, stamp(i), extra=ext) for i in range(3))
    data = gpx(f"<trk><trkseg>{points}</trkseg></trk>")
    assert same_as_gpxpy(data) == []
    assert scan_gpx(data, "d.gpx").points["cadence"].tolist() == [88, 88, 88]


def test_gpx_1_0_matches_gpxpy():
    points = "".join(
        f'<trkpt lat="{49 + i / 1000}" lon="7"><ele>{200 + i}</ele><time>{stamp(i)}</time>'
        f"<course>90</course><speed>{2.5 + i}</speed></trkpt>" for i in range(3))
    data = gpx(f"<name>Old</name><trk><trkseg>{points}</trkseg></trk>", version="1.0", ns=GPX10)
    assert same_as_gpxpy(data) == []
    assert read_gpx(data).samples["speed_m_s"].tolist() == [2.5, 3.5, 4.5]


def test_points_in_many_shapes_match_gpxpy():
    """More point shapes than one pattern list takes: the reader's general path."""
    shapes = [
        pt(49.0, stamp(0)),
        pt(49.001, stamp(1), ele=1),
        pt(49.002, stamp(2), hr=100),
        pt(49.003, stamp(3), ele=3, hr=103),
        f'<trkpt lon="7" lat="49.004"><time>{stamp(4)}</time></trkpt>',
        f"<trkpt lat='49.005' lon='7'><time>{stamp(5)}</time></trkpt>",
        f'<trkpt lat="49.006" lon="7"><time>{stamp(6)}</time><sat>5</sat></trkpt>',
        f'<trkpt lat="49.007" lon="7"><!-- fix --><time>{stamp(7)}</time></trkpt>',
        f'<trkpt lat="49.008" lon="7"><time><![CDATA[{stamp(8)}]]></time></trkpt>',
        f'<trkpt lat="49.009" lon="7"><time>{stamp(9)}</time><ele>&#52;2</ele></trkpt>',
        f'<trkpt lat="49.010" lon="7" ><time >{stamp(10)}</time ></trkpt >',
    ]
    data = gpx(f"<trk><trkseg>{''.join(shapes)}</trkseg></trk>",
               extra=f'xmlns:gpxtpx="{TPX1}"')
    assert same_as_gpxpy(data) == []
    scan = scan_gpx(data, "s.gpx").points
    assert scan["altitude_m"][9] == 42
    assert scan["time"][8] == stamp(8)


def test_prefixed_gpx_elements_are_read_where_gpxpy_sees_none():
    points = "".join(
        f'<g:trkpt lat="{49 + i / 1000}" lon="7"><g:ele>{10 + i}</g:ele>'
        f"<g:time>{stamp(i)}</g:time></g:trkpt>" for i in range(3))
    data = (f'<g:gpx xmlns:g="{GPX11}" version="1.1" creator="x"><g:trk><g:trkseg>{points}'
            f"</g:trkseg></g:trk></g:gpx>").encode()
    scan = scan_gpx(data, "g.gpx").points
    assert scan["altitude_m"].tolist() == [10, 11, 12]
    assert scan["time"].tolist() == [stamp(i) for i in range(3)]
    assert len(gpxpy_points(data)[0]) == 0  # gpxpy matches GPX elements by unprefixed name


def test_empty_element_points_match_gpxpy():
    points = "".join(f'<trkpt lat="{49 + i / 1000}" lon="7"/>' for i in range(3))
    data = gpx(f"<trk><trkseg>{points}</trkseg></trk>")
    assert same_as_gpxpy(data) == []
    assert len(scan_gpx(data, "e.gpx")) == 3
    with pytest.raises(NotAnActivityError, match="no timestamps"):
        read_gpx(data)


def test_points_gpxpy_refuses_are_listed_and_read_by_runback():
    points = [pt(49.0, stamp(0)), f"<trkpt><time>{stamp(1)}</time></trkpt>",
              pt(49.002, stamp(2)), pt(49.003, "not a time"), pt(49.004, stamp(4))]
    data = gpx(f"<trk><trkseg>{''.join(points)}</trkseg></trk>")
    rejected = same_as_gpxpy(data)
    assert len(rejected) == 2
    assert rejected[0].startswith("point 1: lat missing")
    assert rejected[1].startswith("point 3: time gpxpy cannot parse")
    samples = read_gpx(data).samples
    assert len(samples) == 4 and samples["latitude_deg"].isna().sum() == 1


def test_a_difference_is_reported():
    """The comparison itself can fail: a heart rate gpxpy sees and runback does not."""
    data = gpx(f"<trk><trkseg>{pt(49, stamp(0), hr=150)}{pt(49.001, stamp(1))}</trkseg></trk>",
               extra=f'xmlns:gpxtpx="{TPX1}"')
    want, _, _ = gpxpy_points(data)
    want.loc[1, "heart_rate_bpm"] = 99.0
    scan = scan_gpx(data, "x.gpx").points
    assert _differ(scan["heart_rate_bpm"], want["heart_rate_bpm"]).tolist() == [False, True]


def test_deep_nesting_is_refused_outside_segments_and_harmless_inside():
    deep = "<a>" * 5000 + "</a>" * 5000
    outside = gpx(f"<metadata>{deep}</metadata><trk><trkseg>{pt(49, stamp(0))}"
                  f"{pt(49.001, stamp(1))}</trkseg></trk>")
    with pytest.raises(ReadError, match="deep.gpx: XML nested deeper than"):
        read_gpx(outside, name="deep.gpx")
    # inside a segment no tree is built: the point carrying the nest is read by the
    # general path, and its values are still its own
    inside = gpx(f"<trk><trkseg>{pt(49, stamp(0), extra=deep)}{pt(49.001, stamp(1))}"
                 f"</trkseg></trk>")
    assert same_as_gpxpy(inside) == []
    assert len(read_gpx(inside).samples) == 2


@pytest.mark.parametrize("encoding", ["utf-16", "iso-8859-1", "windows-1252"])
def test_declared_encodings_are_read(encoding):
    points = "".join(pt(49 + i / 1000, stamp(i), ele=100 + i) for i in range(3))
    text = (f'<?xml version="1.0" encoding="{encoding}"?><gpx version="1.1" creator="x" '
            f'xmlns="{GPX11}"><trk><name>Lauf über den Berg</name><trkseg>{points}</trkseg>'
            f"</trk></gpx>")
    out = read_gpx(text.encode(encoding), name="enc.gpx")
    assert out.activities["name"].iloc[0] == "Lauf über den Berg"
    assert out.samples["altitude_m"].tolist() == [100, 101, 102]


def test_cdata_and_comments_around_segments_do_not_confuse_the_scan():
    points = "".join(pt(49 + i / 1000, stamp(i)) for i in range(2))
    data = gpx(f"<trk><name><![CDATA[<trkseg> is not a segment & neither is this]]></name>"
               f"<!-- <trkseg><trkpt lat='1' lon='1'/></trkseg> --><trkseg>{points}</trkseg>"
               f"</trk>")
    assert same_as_gpxpy(data) == []
    out = read_gpx(data)
    assert out.activities["name"].iloc[0] == "<trkseg> is not a segment & neither is this"
    assert len(out.samples) == 2


@pytest.mark.parametrize("data, message", [
    (b'<<?xml version="1.0"?><gpx/>', r"bad.gpx: (not XML|malformed XML)"),
    (b'<?xml version="1.0"?><gpx><trk><trkseg><trkpt lat="1" lon="2"></trkseg></trk></gpx>',
     r"bad.gpx: malformed XML: mismatched tag"),
    (b'<?xml version="1.0"?><gpx><trk><trkseg><trkpt lat="1" lon="2"><ele>&nope;</ele>'
     b"</trkpt></trkseg></trk></gpx>", r"bad.gpx: malformed XML: undefined entity"),
    (b"<?xml version=\"1.0\"?><gpx><trk><trkseg><trkpt lat='1' lon='2'>\x01</trkpt>"
     b"</trkseg></trk></gpx>", r"bad.gpx: malformed XML"),
])
def test_malformed_files_are_one_line_read_errors(data, message):
    with pytest.raises(ReadError, match=message) as err:
        read_gpx(data, name="bad.gpx")
    assert "\n" not in str(err.value) and not isinstance(err.value, NotAnActivityError)


# --------------------------------------------------------------------------------------------
# Random points: any mix of shapes, layouts and namespaces reads as gpxpy reads it

_PREFIXES = {"gpxtpx": TPX1, "ns3": TPX2, "": None}


@st.composite
def random_point(draw, i: int) -> str:
    lat = draw(st.floats(-89, 89, allow_nan=False).map(lambda v: round(v, 7)))
    lon = draw(st.floats(-179, 179, allow_nan=False).map(lambda v: round(v, 7)))
    q = draw(st.sampled_from(['"', "'"]))
    attrs = [f"lat={q}{lat}{q}", f"lon={q}{lon}{q}"]
    if draw(st.booleans()):
        attrs.reverse()
    gap = draw(st.sampled_from(["", "\n", "\n    "]))
    children = []
    if draw(st.booleans()):
        children.append(f"<ele>{draw(st.integers(-50, 4000)) / 10}</ele>")
    if draw(st.integers(0, 9)):  # mostly timed
        children.append(f"<time>{stamp(i)}</time>")
    ext = []
    prefix = draw(st.sampled_from(sorted(_PREFIXES)))
    p = f"{prefix}:" if prefix else ""
    if draw(st.booleans()):
        ext.append(f"<{p}hr>{draw(st.integers(0, 220))}</{p}hr>")
    if draw(st.booleans()):
        ext.append(f"<{p}cad>{draw(st.integers(0, 120))}</{p}cad>")
    if ext:
        children.append(f"<extensions><{p}TrackPointExtension>{gap.join(ext)}"
                        f"</{p}TrackPointExtension></extensions>")
    if draw(st.booleans()):
        children.reverse()
    if not children:
        return f"<trkpt {' '.join(attrs)}/>"
    return f"<trkpt {' '.join(attrs)}>{gap}{gap.join(children)}{gap}</trkpt>"


@st.composite
def random_gpx(draw) -> bytes:
    n = draw(st.integers(1, 40))
    points = [draw(random_point(i)) for i in range(n)]
    cuts = sorted(draw(st.sets(st.integers(1, max(n - 1, 1)), max_size=3)))
    segments = [points[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    body = "".join(f"<trkseg>{''.join(s)}</trkseg>" for s in segments)
    declarations = " ".join(f'xmlns:{k}="{v}"' for k, v in _PREFIXES.items() if k)
    return gpx(f"<trk><name>random</name>{body}</trk>", extra=declarations)


@settings(max_examples=60)
@given(data=random_gpx())
def test_random_points_read_as_gpxpy_reads_them(data):
    assert same_as_gpxpy(data) == []


def test_character_references_in_values_of_like_points():
    points = "".join(f'<trkpt lat="49.00{i}" lon="7"><ele>&#49;0{i}</ele>'
                     f"<time>&#50;021-04-06T10:00:0{i}Z</time></trkpt>" for i in range(3))
    data = gpx(f"<trk><trkseg>{points}</trkseg></trk>")
    assert same_as_gpxpy(data) == []
    scan = scan_gpx(data, "r.gpx").points
    assert scan["altitude_m"].tolist() == [100, 101, 102]
    assert scan["time"].tolist() == [f"2021-04-06T10:00:0{i}Z" for i in range(3)]
