"""Read GPX 1.0 and 1.1 tracks (Garmin Connect, Strava, Runkeeper, handheld GPS, converters).

Parsing
-------
The file is parsed once with :mod:`defusedxml` (see :mod:`runback.io._xml`) and the tree is
walked directly rather than handed to gpxpy, the design card's first choice, because gpxpy
cannot be made both safe and tolerant: it parses the bytes again with the standard-library
parser (so the defusedxml check and the parse would be two different reads of the file),
it rejects a whole file for one ``<trkpt>`` without ``lat`` (an eTrex 30 writes those), and
its extensions come back as raw namespaced elements that need this walk anyway.

What one file becomes
---------------------
- All points of all tracks and segments, in time order of their segments (points keep file
  order inside a segment), form one activity; segments are pauses, so no distance is
  counted across a segment boundary. Where consecutive segments or tracks are more than
  :data:`PART_GAP_S` apart they become separate parts (activities).
- Times are UTC; a time without an offset is UTC, as the GPX schema defines. Points without
  a time are dropped with a warning; when fewer than half the points have one, the file is
  a route, not an activity. Times that go backwards keep file order, with a warning; a
  stretch starting more than :data:`~runback.io.base.MAX_STEP_BACK_S` back in time, inside
  a span already recorded, is left out.
- Elevation missing -> NaN; a file whose elevations are all exactly 0 has none (NaN).
  Positions outside the globe or at exactly (0, 0) are missing.
- ``distance_m`` is the cumulative great-circle (haversine) distance along the track.
  ``speed_m_s`` is the recorded speed (extension or GPX 1.0 ``<speed>``), never derived.
- Cadence in GPX (Garmin TrackPointExtension, Strava, Movescount) counts one foot for
  running, so for running activities ``cadence_spm = 2 * cad``; other sports keep the
  recorded value (revolutions per minute). A heart rate of 0 means no reading: NaN.
- Sport from ``<trk><type>`` through :func:`~runback.io.base.normalize_sport`, with
  Strava's numeric codes translated first (:data:`STRAVA_TYPE_CODES`); name and
  description from the track, else from the metadata; device from ``gpx/@creator``.

Extension fields are matched by local name, whatever the prefix or namespace
(:data:`EXTENSION_MAP`): Garmin TrackPointExtension v1/v2 ``hr``, ``cad``, ``atemp``,
``speed``; cluetrust gpxdata ``hr``, ``cadence``, ``temp``; ``power`` as Strava and
sportractive write it.

References
----------
.. [1] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 159 (1984).
.. [2] GPX 1.1 schema, https://www.topografix.com/GPX/1/1/
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd

from runback.errors import NotAnActivityError, ReadError
from runback.io._xml import child_text, parse_times, parse_xml, utc_offset_s
from runback.io.base import (
    ParsedFile,
    Source,
    normalize_sport,
    read_source,
    recorded_before,
    source_name,
    time_order_warning,
)

__all__ = ["read_gpx", "haversine_m", "EXTENSION_MAP", "STRAVA_TYPE_CODES", "PART_GAP_S"]

#: Gap between segments or tracks that starts a new activity. [s]
PART_GAP_S = 6 * 3600.0

#: Mean Earth radius (IUGG). [m]
EARTH_RADIUS_M = 6_371_008.8

#: Track point extension element (lower-cased local name) -> point field.
EXTENSION_MAP: dict[str, str] = {
    "hr": "heart_rate_bpm",
    "heartrate": "heart_rate_bpm",
    "cad": "cadence",
    "cadence": "cadence",
    "atemp": "temperature_c",
    "temp": "temperature_c",
    "power": "power_w",
    "watts": "power_w",
    "speed": "speed_m_s",
}

#: Strava's numeric activity types in GPX ``<type>`` -> a label normalize_sport knows.
STRAVA_TYPE_CODES: dict[str, str] = {
    "1": "ride",
    "4": "hike",
    "9": "run",
    "10": "walk",
    "16": "swim",
    "17": "virtual ride",
    "29": "weight training",
}

# Creator applications that draw routes and stamp them with made-up times.
_ROUTE_CREATORS = re.compile(r"route|gpsies|plotaroute|alltrails|gps visualizer", re.I)

_NO_TIMES = "GPX track has no timestamps: a route, not an activity"
_FIELDS = ("heart_rate_bpm", "cadence", "temperature_c", "power_w", "speed_m_s")
_NUMERIC = ("latitude_deg", "longitude_deg", "altitude_m", *_FIELDS)


def read_gpx(source: Source, *, name: str | None = None) -> ParsedFile:
    """Read a GPX file into canonical frames.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        The GPX file.
    name : str, optional
        What error messages call the file (defaults to the path).

    Returns
    -------
    ParsedFile
        ``activities`` (one row per part: format ``"gpx"``, device, sport, sub_sport, name,
        description, start_time, local_start and utc_offset_s when the times carry an
        offset), ``samples`` (timestamp, elapsed_s [s], distance_m [m], latitude_deg,
        longitude_deg [deg], altitude_m [m], speed_m_s [m/s], heart_rate_bpm [1/min],
        cadence_spm [1/min], power_w [W], temperature_c [degC]), no laps, and warnings.

    Raises
    ------
    ReadError
        The file is not XML, not GPX, or unsafe.
    NotAnActivityError
        No track points, only a route, or a track without (real) times.
    """
    name = source_name(source, name)
    root = parse_xml(read_source(source, name), name)
    if root.tag != "gpx":
        raise ReadError(name, f"not a GPX file (root element is <{root.tag}>)")
    tracks = root.findall("trk")
    points = _points(tracks)
    if points.empty:
        if root.find("rte/rtept") is not None:
            raise NotAnActivityError(name, _NO_TIMES)
        raise NotAnActivityError(name, "GPX file has no track points")

    warnings = []
    times = parse_times(points["time"].tolist())
    n_points, n_timed = len(points), int(times.notna().sum())
    if n_timed == 0 or 2 * n_timed < n_points:
        raise NotAnActivityError(name, _NO_TIMES)
    if n_timed < n_points:
        warnings.append(f"dropped {n_points - n_timed} of {n_points} track points without a time")
    points["timestamp"] = times
    points = points[times.notna()].reset_index(drop=True)

    meta = root.find("metadata")
    meta = root if meta is None else meta  # GPX 1.0 keeps name, desc and time at the root
    creator = (root.get("creator") or "").strip() or None
    if _placeholder_times(points["timestamp"], child_text(meta, "time"), creator):
        raise NotAnActivityError(name, "GPX track times are placeholders a route planner "
                                       "wrote: a route, not an activity")
    points = _in_parts(_clean(points))

    activities, samples = [], []
    for part, pts in points.groupby("part", sort=True):
        trk = tracks[int(pts["track"].iloc[0])]
        sport, implied = normalize_sport(_sport_label(tracks, pts["track"].unique()))
        dropped = recorded_before(pts["timestamp"])
        label = f"part {part}: " if points["part"].max() else ""
        warning = time_order_warning(pts["timestamp"], dropped, label)
        if warning:
            warnings.append(warning)
            pts = pts[~dropped]
        activities.append(_activity_row(int(part), pts, trk, meta, creator, sport, implied))
        samples.append(_samples(pts, running=sport == "running"))
    return ParsedFile.build(activities, pd.concat(samples, ignore_index=True), None, warnings)


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance between points on a sphere of the mean Earth radius.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        WGS84 coordinates. [deg]

    Returns
    -------
    ndarray
        Distance; NaN where a coordinate is missing. [m]

    References
    ----------
    .. [1] R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 159 (1984).
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _points(tracks: list[ET.Element]) -> pd.DataFrame:
    """Every ``trkpt`` as a row of raw strings: track, segment, time, position, channels."""
    rows = []
    for t, trk in enumerate(tracks):
        for s, seg in enumerate(trk.findall("trkseg")):
            for pt in seg.findall("trkpt"):
                time = ele = speed = None
                ext: dict[str, str] = {}
                for child in pt:
                    tag = child.tag
                    if tag == "time":
                        time = child.text
                    elif tag == "ele":
                        ele = child.text
                    elif tag == "speed":
                        speed = child.text
                    elif tag == "extensions":
                        for e in child.iter():
                            key = EXTENSION_MAP.get(e.tag.lower())
                            if key is not None and key not in ext and e.text and e.text.strip():
                                ext[key] = e.text
                rows.append((t, s, time, pt.get("lat"), pt.get("lon"), ele,
                             ext.get("heart_rate_bpm"), ext.get("cadence"),
                             ext.get("temperature_c"), ext.get("power_w"),
                             ext.get("speed_m_s", speed)))
    cols = ["track", "segment", "time", "latitude_deg", "longitude_deg", "altitude_m", *_FIELDS]
    return pd.DataFrame(rows, columns=cols, dtype=object)


def _clean(points: pd.DataFrame) -> pd.DataFrame:
    """Numbers from strings; impossible positions, zero heart rates and all-zero elevation
    become NaN."""
    out = points.copy()
    for col in _NUMERIC:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    for col in ("track", "segment"):
        out[col] = out[col].astype("int64")
    lat, lon = out["latitude_deg"], out["longitude_deg"]
    bad = ~lat.between(-90, 90) | ~lon.between(-180, 180) | ((lat == 0) & (lon == 0))
    out.loc[bad, ["latitude_deg", "longitude_deg"]] = np.nan
    if out["altitude_m"].notna().any() and (out["altitude_m"].dropna() == 0).all():
        out["altitude_m"] = np.nan
    out.loc[out["heart_rate_bpm"] <= 0, "heart_rate_bpm"] = np.nan
    return out


def _placeholder_times(ts: pd.Series, meta_time: str | None, creator: str | None) -> bool:
    """True for times a route planner invented rather than a device recorded.

    Both signs must hold: the track starts exactly on a year boundary (``YYYY-01-01
    00:00:00``, the planners' stand-in clock) and either the creator is a route planner or
    the file says it was written more than a day after the track ended.
    """
    start, end = ts.min(), ts.max()
    if (start.month, start.day, start.hour, start.minute, start.second,
            start.microsecond) != (1, 1, 0, 0, 0, 0):
        return False
    if creator and _ROUTE_CREATORS.search(creator):
        return True
    written = parse_times([meta_time])[0]
    return pd.notna(written) and (written - end) > pd.Timedelta(days=1)


def _in_parts(points: pd.DataFrame) -> pd.DataFrame:
    """``points`` with segments in order of their first time and a ``part`` column.

    Points keep file order inside a segment. A segment starting more than
    :data:`PART_GAP_S` after everything before it has ended starts a new part.
    """
    key = points["track"] * 1_000_000 + points["segment"]
    seg_start = points.groupby(key)["timestamp"].transform("min")
    order = np.lexsort((np.arange(len(points)), key.to_numpy(), seg_start.to_numpy()))
    out = points.iloc[order].reset_index(drop=True)
    key = out["track"] * 1_000_000 + out["segment"]
    block_start = out["timestamp"].where(key.ne(key.shift()))
    gap = (block_start - out["timestamp"].cummax().shift()).dt.total_seconds()
    out["part"] = (gap > PART_GAP_S).cumsum().astype("int64")
    return out


def _sport_label(tracks: list[ET.Element], track_ids) -> str | None:
    """The first ``<type>`` among the part's tracks, Strava codes translated."""
    for t in track_ids:
        label = child_text(tracks[int(t)], "type")
        if label:
            return STRAVA_TYPE_CODES.get(label, label)
    return None


def _activity_row(part: int, pts: pd.DataFrame, trk: ET.Element, meta: ET.Element,
                  creator: str | None, sport: str, implied: str | None) -> dict:
    """The ``raw_activities`` row of one part; the offset is the one its first time states."""
    start = pts["timestamp"].min()
    offset = utc_offset_s(pts["time"].iloc[0])
    return {
        "part": part,
        "format": "gpx",
        "device": creator,
        "sport": sport,
        "sub_sport": implied,
        "name": child_text(trk, "name") or child_text(meta, "name"),
        "description": child_text(trk, "desc") or child_text(meta, "desc"),
        "start_time": start,
        "utc_offset_s": offset,
        "local_start": (start + pd.Timedelta(seconds=offset)).tz_localize(None)
        if not np.isnan(offset) else pd.NaT,
    }


def _samples(pts: pd.DataFrame, *, running: bool) -> pd.DataFrame:
    """The canonical sample columns of one part; distance restarts at 0 for each part."""
    lat, lon = pts["latitude_deg"].to_numpy(), pts["longitude_deg"].to_numpy()
    key = (pts["track"] * 1_000_000 + pts["segment"]).to_numpy()
    has_fix = ~np.isnan(lat)
    idx = np.flatnonzero(has_fix)
    step = np.zeros(len(pts))
    if len(idx) > 1:
        same_segment = key[idx[1:]] == key[idx[:-1]]
        d = haversine_m(lat[idx[:-1]], lon[idx[:-1]], lat[idx[1:]], lon[idx[1:]])
        step[idx[1:]] = np.where(same_segment, d, 0.0)
    distance = np.cumsum(step) if has_fix.any() else np.full(len(pts), np.nan)
    start = pts["timestamp"].min()
    cadence = pts["cadence"] * 2 if running else pts["cadence"]
    return pd.DataFrame({
        "part": pts["part"].to_numpy(),
        "timestamp": pts["timestamp"].to_numpy(),
        "elapsed_s": (pts["timestamp"] - start).dt.total_seconds().to_numpy(),
        "distance_m": distance,
        "latitude_deg": lat,
        "longitude_deg": lon,
        "altitude_m": pts["altitude_m"].to_numpy(),
        "speed_m_s": pts["speed_m_s"].to_numpy(),
        "heart_rate_bpm": pts["heart_rate_bpm"].to_numpy(),
        "cadence_spm": cadence.to_numpy(),
        "power_w": pts["power_w"].to_numpy(),
        "temperature_c": pts["temperature_c"].to_numpy(),
    })
