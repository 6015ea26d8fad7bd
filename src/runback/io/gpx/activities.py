"""From scanned points to activities: :func:`read_gpx` builds the canonical tables (parts,
samples, distance) from :func:`~runback.io.gpx.scan.scan_gpx`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from runback import schema
from runback.errors import NotAnActivityError
from runback.io._xml import child_text, parse_times, utc_offset_s
from runback.io.base import (
    ParsedColumns,
    ParsedFile,
    Source,
    normalize_sport,
    read_source,
    recorded_before,
    source_name,
    time_order_warning,
)
from runback.io.gpx.scan import scan_gpx

#: Gap between segments or tracks that starts a new activity. [s]
PART_GAP_S = 6 * 3600.0

#: Mean Earth radius (IUGG). [m]
EARTH_RADIUS_M = 6_371_008.8

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
    return read_gpx_columns(read_source(source, name), name).to_parsed()


def read_gpx_columns(data: bytes, name: str) -> ParsedColumns:
    """:func:`read_gpx` of the bytes ``data``, its tables left as arrays.

    The importer joins the arrays of many files into one frame per table, rather than
    making frames per file; ``to_parsed()`` gives what :func:`read_gpx` returns. Raises
    as :func:`read_gpx` does.
    """
    scan = scan_gpx(data, name)
    root, tracks, pts = scan.root, scan.tracks, scan.points
    if not len(scan):
        if root.find("rte/rtept") is not None:
            raise NotAnActivityError(name, _NO_TIMES)
        raise NotAnActivityError(name, "GPX file has no track points")

    warnings = []
    times = parse_times(pts["time"].tolist())
    timed = np.asarray(times.notna())
    n_points, n_timed = len(scan), int(timed.sum())
    if n_timed == 0 or 2 * n_timed < n_points:
        raise NotAnActivityError(name, _NO_TIMES)
    if n_timed < n_points:
        warnings.append(f"dropped {n_points - n_timed} of {n_points} track points without a time")
        pts = {c: v[timed] for c, v in pts.items()}
        times = times[timed]

    meta = root.find("metadata")
    meta = root if meta is None else meta  # GPX 1.0 keeps name, desc and time at the root
    creator = (root.get("creator") or "").strip() or None
    if _placeholder_times(times, child_text(meta, "time"), creator):
        raise NotAnActivityError(name, "GPX track times are placeholders a route planner "
                                       "wrote: a route, not an activity")
    _clean(pts)
    order, part = _in_parts(times, pts["track"] * 1_000_000 + pts["segment"])
    if order is not None:
        pts = {c: v[order] for c, v in pts.items()}
        times = times[order]

    activities, samples = [], []
    bounds = np.flatnonzero(np.diff(part)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(part)], strict=True):
        p = int(part[lo])
        sub = {c: v[lo:hi] for c, v in pts.items()}
        t = times[lo:hi]
        track_ids = pd.unique(sub["track"])
        sport, implied = normalize_sport(_sport_label(tracks, track_ids))
        ns = t.as_unit("ns").asi8
        forward = bool((ns[1:] >= ns[:-1]).all())
        label = f"part {p}: " if part[-1] else ""
        warning = None
        if not forward:
            dropped = recorded_before(pd.Series(t))
            warning = time_order_warning(pd.Series(t), dropped, label)
        if warning:
            warnings.append(warning)
            sub = {c: v[~dropped] for c, v in sub.items()}
            t = t[~dropped]
        trk = tracks[int(track_ids[0])]
        activities.append(_activity_row(p, t, sub["time"][0], trk, meta, creator, sport,
                                        implied))
        samples.append(_samples(p, t, sub, running=sport == "running"))
    acts = {c: np.array([a[c] for a in activities], dtype=object) for c in activities[0]}
    acts["part"] = acts["part"].astype(np.int64)
    acts["utc_offset_s"] = acts["utc_offset_s"].astype(np.float64)
    acts["start_time"] = acts["start_time"].astype("datetime64[ns]")
    acts["local_start"] = acts["local_start"].astype("datetime64[ns]")
    cols = {c: np.concatenate([s[c] for s in samples]) for c in samples[0]}
    return ParsedColumns(schema.Columns(len(activities), acts),
                         schema.Columns(len(cols["part"]), cols), None, warnings)


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike,
                lon2: ArrayLike) -> np.ndarray:
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
    distance: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return distance


def _clean(pts: dict[str, np.ndarray]) -> None:
    """In place: impossible positions, zero heart rates and all-zero elevation become NaN."""
    lat, lon = pts["latitude_deg"], pts["longitude_deg"]
    with np.errstate(invalid="ignore"):
        bad = ~((lat >= -90) & (lat <= 90) & (lon >= -180) & (lon <= 180)) | (
            (lat == 0) & (lon == 0))
        pts["latitude_deg"] = np.where(bad, np.nan, lat)
        pts["longitude_deg"] = np.where(bad, np.nan, lon)
        ele = pts["altitude_m"]
        known = ele[~np.isnan(ele)]
        if len(known) and (known == 0).all():
            pts["altitude_m"] = np.full(len(ele), np.nan)
        hr = pts["heart_rate_bpm"]
        pts["heart_rate_bpm"] = np.where(hr <= 0, np.nan, hr)


def _placeholder_times(ts: pd.DatetimeIndex, meta_time: str | None, creator: str | None) -> bool:
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


def _in_parts(times: pd.DatetimeIndex, key: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """The order that puts segments in order of their first time, and each point's part.

    Points keep file order inside a segment (``key``; a segment's points are consecutive
    in file order). A segment starting more than :data:`PART_GAP_S` after everything
    before it has ended starts a new part. The order is None when the file's is kept.
    """
    t = times.as_unit("ns").asi8
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    order = None
    if len(starts) > 1:
        seg_min = np.minimum.reduceat(t, starts)
        runs = np.lexsort((key[starts], seg_min))
        if (runs != np.arange(len(runs))).any():
            lengths = np.diff(np.r_[starts, len(t)])
            order = np.concatenate([np.arange(starts[r], starts[r] + lengths[r]) for r in runs])
            t, key = t[order], key[order]
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    new_part = np.zeros(len(t), dtype=bool)
    if len(starts) > 1:
        before = np.maximum.accumulate(t)[starts[1:] - 1]
        new_part[starts[1:]] = (t[starts[1:]] - before) > PART_GAP_S * 1e9
    return order, np.cumsum(new_part).astype(np.int64)


def _sport_label(tracks: list[ET.Element], track_ids: np.ndarray) -> str | None:
    """The first ``<type>`` among the part's tracks, Strava codes translated."""
    for t in track_ids:
        label = child_text(tracks[int(t)], "type")
        if label:
            return STRAVA_TYPE_CODES.get(label, label)
    return None


def _activity_row(part: int, times: pd.DatetimeIndex, first_time: str, trk: ET.Element,
                  meta: ET.Element, creator: str | None, sport: str,
                  implied: str | None) -> dict[str, Any]:
    """The ``raw_activities`` row of one part; the offset is the one its first time states."""
    start = times.min()
    offset = utc_offset_s(first_time)
    return {
        "part": part,
        "format": "gpx",
        "device": creator,
        "sport": sport,
        "sub_sport": implied,
        "name": child_text(trk, "name") or child_text(meta, "name"),
        "description": child_text(trk, "desc") or child_text(meta, "desc"),
        "start_time": start.tz_convert(None).to_datetime64(),
        "utc_offset_s": offset,
        "local_start": (start + pd.Timedelta(seconds=offset)).tz_localize(None).to_datetime64()
        if not np.isnan(offset) else np.datetime64("NaT", "ns"),
    }


def _samples(part: int, times: pd.DatetimeIndex, pts: dict[str, np.ndarray], *,
             running: bool) -> dict[str, np.ndarray]:
    """The canonical sample columns of one part; distance restarts at 0 for each part."""
    lat, lon = pts["latitude_deg"], pts["longitude_deg"]
    key = pts["track"] * 1_000_000 + pts["segment"]
    has_fix = ~np.isnan(lat)
    idx = np.flatnonzero(has_fix)
    step = np.zeros(len(lat))
    if len(idx) > 1:
        same_segment = key[idx[1:]] == key[idx[:-1]]
        d = haversine_m(lat[idx[:-1]], lon[idx[:-1]], lat[idx[1:]], lon[idx[1:]])
        step[idx[1:]] = np.where(same_segment, d, 0.0)
    distance = np.cumsum(step) if has_fix.any() else np.full(len(lat), np.nan)
    t = times.tz_convert(None).to_numpy("datetime64[ns]")
    return {
        "part": np.full(len(t), part, dtype=np.int64),
        "timestamp": t,
        "elapsed_s": (t - t.min()).astype(np.int64) / 1e9,
        "distance_m": distance,
        "latitude_deg": lat,
        "longitude_deg": lon,
        "altitude_m": pts["altitude_m"],
        "speed_m_s": pts["speed_m_s"],
        "heart_rate_bpm": pts["heart_rate_bpm"],
        "cadence_spm": pts["cadence"] * 2 if running else pts["cadence"],
        "power_w": pts["power_w"],
        "temperature_c": pts["temperature_c"],
    }
