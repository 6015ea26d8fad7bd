"""Read Garmin Training Center (TCX) activities.

TCX is simple enough to walk directly: the file is parsed safely by
:mod:`runback.io._xml`, which strips namespaces, so the ActivityExtension v2 fields read the
same under ``ns3:``, ``ax:``, a default namespace or none.

What one file becomes
---------------------
- Every ``<Activity>`` (also inside a ``<MultiSportSession>``) with timed track points or
  timed laps is one part, in file order. ``Sport`` ("Running", "Biking", "Other") gives the
  sport through :func:`~runback.io.base.normalize_sport`; ``Creator/Name`` the device (``Author`` is
  left out: it names the exporting program, or a person); ``Notes`` the description.
- Laps -> ``laps``: start time, ``timer_s`` = ``TotalTimeSeconds`` (Garmin writes the timer
  time), ``elapsed_s`` = time to the next lap's start (the last lap: to its last track
  point, else its total time), distance and average heart rate. The activity's
  ``device_timer_s``, ``device_distance_m`` and ``calories_kcal`` are the sums over laps,
  ``device_avg_hr_bpm`` the lap averages weighted by lap time, ``device_max_hr_bpm`` their
  maximum and ``device_elapsed_s`` the span from the first lap start (or point) to the end
  of the last lap (or the last point). An activity of timed laps without track points (a
  pool swim) is kept with laps and no samples.
- Track points -> ``samples`` by :data:`TRACKPOINT_MAP`: points without a time are dropped
  with a warning, missing positions (treadmill, indoor) and missing distances are NaN,
  times that go backwards keep file order with a warning (a stretch starting more than
  :data:`~runback.io.base.MAX_STEP_BACK_S` back in time, inside a span already recorded, is
  left out). A
  heart rate of 0 is NaN.
- Cadence for running counts one foot in every TCX writer seen (Garmin ``RunCadence``,
  Polar ``Cadence``), so for running ``cadence_spm = 2 * cadence``; other sports keep the
  recorded revolutions per minute. ``distance_m`` is the device's ``DistanceMeters``.
- A file of ``<Courses>`` only, or without any timed track point or lap, raises
  :class:`~runback.errors.NotAnActivityError`.

References
----------
.. [1] Garmin Training Center Database v2 schema,
   https://www8.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd
.. [2] Garmin Activity Extension v2 schema,
   https://www8.garmin.com/xmlschemas/ActivityExtensionv2.xsd
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pandas as pd

from runback.errors import NotAnActivityError, ReadError
from runback.io._xml import child_float, child_text, parse_times, parse_xml, to_float
from runback.io.base import (
    ParsedFile,
    Source,
    normalize_sport,
    read_source,
    recorded_before,
    source_name,
    time_order_warning,
)

__all__ = ["read_tcx", "TRACKPOINT_MAP"]

#: Track point element (local name, ``Extensions`` searched at any depth) -> sample column.
#: ``Cadence`` and ``RunCadence`` both land in ``cadence`` before running is doubled.
TRACKPOINT_MAP: dict[str, str] = {
    "AltitudeMeters": "altitude_m",
    "DistanceMeters": "distance_m",
    "Cadence": "cadence",
    "RunCadence": "cadence",
    "Speed": "speed_m_s",
    "Watts": "power_w",
}

_CHANNELS = ("altitude_m", "distance_m", "heart_rate_bpm", "cadence", "speed_m_s", "power_w")
_ROOTS = ("TrainingCenterDatabase", "Activities", "Activity")


def read_tcx(source: Source, *, name: str | None = None) -> ParsedFile:
    """Read a TCX file into canonical frames.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        The TCX file.
    name : str, optional
        What error messages call the file (defaults to the path).

    Returns
    -------
    ParsedFile
        ``activities`` (one row per ``<Activity>``: format ``"tcx"``, device, sport,
        sub_sport, description, start_time, device_elapsed_s [s], device_timer_s [s],
        device_distance_m [m], device_avg_hr_bpm and device_max_hr_bpm [1/min],
        calories_kcal [kcal]), ``samples`` (timestamp, elapsed_s [s], distance_m [m],
        latitude_deg, longitude_deg [deg], altitude_m [m], speed_m_s [m/s],
        heart_rate_bpm [1/min], cadence_spm [1/min], power_w [W]), ``laps`` and warnings.

    Raises
    ------
    ReadError
        The file is not XML, not TCX, or unsafe.
    NotAnActivityError
        A course, or no activity with timed track points or laps.
    """
    name = source_name(source, name)
    root = parse_xml(read_source(source, name), name)
    if root.tag not in _ROOTS:
        raise ReadError(name, f"not a TCX file (root element is <{root.tag}>)")
    activities: list[dict[str, Any]] = []
    samples: list[pd.DataFrame] = []
    laps: list[dict[str, Any]] = []
    warnings: list[str] = []
    acts = [root] if root.tag == "Activity" else root.iter("Activity")
    for act in acts:
        part = len(activities)
        got = _activity(act, part, warnings)
        if got is None:
            continue
        row, pts, act_laps = got
        activities.append(row)
        samples.append(pts)
        laps.extend(act_laps)
    if not activities:
        if root.find(".//Course") is not None:
            raise NotAnActivityError(name, "TCX file holds a course, not an activity")
        raise NotAnActivityError(name, "TCX file has no activity with timed track points "
                                       "or laps")
    samples = [s for s in samples if not s.empty]
    frame = pd.concat(samples, ignore_index=True) if samples else None
    return ParsedFile.build(activities, frame, laps, warnings)


def _activity(act: ET.Element, part: int,
              warnings: list[str]
              ) -> tuple[dict[str, Any], pd.DataFrame, list[dict[str, Any]]] | None:
    """One ``<Activity>`` as (activity row, samples, lap rows); None without timed data."""
    sport, implied = normalize_sport(act.get("Sport"))
    lap_els = act.findall("Lap")
    points = _trackpoints(act)
    times = parse_times(points.pop("time").tolist())
    untimed, n_points = int(np.count_nonzero(times.isna())), len(times)
    points["timestamp"] = times
    points = points[times.notna()].reset_index(drop=True)
    lap_starts = parse_times([lap.get("StartTime") for lap in lap_els])
    if points.empty and not np.count_nonzero(lap_starts.notna()):
        return None
    label = f"activity {part}: "
    if untimed:
        warnings.append(f"{label}dropped {untimed} of {n_points} track points without a time")
    dropped = recorded_before(points["timestamp"])
    warning = time_order_warning(points["timestamp"], dropped, label)
    if warning:
        warnings.append(warning)
        points = points[~dropped].reset_index(drop=True)

    lap_rows = _laps(lap_els, lap_starts, points, part)
    start = lap_starts.min() if points.empty else points["timestamp"].min()
    begin = min(t for t in (lap_starts.min(), start) if pd.notna(t))
    ends = [points["timestamp"].max()]
    last = lap_rows[-1] if lap_rows else None
    if last is not None and pd.notna(last["start_time"]) and not np.isnan(last["timer_s"]):
        ends.append(last["start_time"] + pd.Timedelta(seconds=last["timer_s"]))
    end = max((t for t in ends if pd.notna(t)), default=pd.NaT)
    creator = act.find("Creator")
    row = {
        "part": part,
        "format": "tcx",
        "device": child_text(creator, "Name"),
        "sport": sport,
        "sub_sport": implied,
        "description": child_text(act, "Notes"),
        "start_time": start,
        "device_elapsed_s": (end - begin).total_seconds() if pd.notna(end) else np.nan,
        **_lap_totals(lap_els, lap_rows),
    }
    return row, _samples(points, part, start, running=sport == "running"), lap_rows


def _trackpoints(act: ET.Element) -> pd.DataFrame:
    """Every ``Trackpoint`` of the activity as raw values, in file order."""
    rows = []
    for tp in act.iter("Trackpoint"):
        rec: dict[str, Any] = {"time": None}
        for child in tp:
            tag = child.tag
            if tag == "Time":
                rec["time"] = child.text
            elif tag == "Position":
                rec["latitude_deg"] = child_text(child, "LatitudeDegrees")
                rec["longitude_deg"] = child_text(child, "LongitudeDegrees")
            elif tag == "HeartRateBpm":
                rec["heart_rate_bpm"] = child_text(child, "Value") or child.text
            elif tag == "Extensions":
                for e in child.iter():
                    key = TRACKPOINT_MAP.get(e.tag)
                    if key is not None and key not in rec:
                        rec[key] = e.text
            else:
                key = TRACKPOINT_MAP.get(tag)
                if key is not None:
                    rec[key] = child.text
        rows.append(rec)
    cols = ["time", "latitude_deg", "longitude_deg", *_CHANNELS]
    return pd.DataFrame(rows, columns=cols, dtype=object)


def _samples(points: pd.DataFrame, part: int, start: pd.Timestamp, *,
             running: bool) -> pd.DataFrame:
    """Numeric sample columns of one activity."""
    out = {"part": np.full(len(points), part, dtype="int64"),
           "timestamp": points["timestamp"].to_numpy(),
           "elapsed_s": (points["timestamp"] - start).dt.total_seconds().to_numpy()}
    for col in ("latitude_deg", "longitude_deg", *_CHANNELS):
        out[col] = pd.to_numeric(points[col], errors="coerce").to_numpy(dtype="float64",
                                                                         copy=True)
    lat, lon = out["latitude_deg"], out["longitude_deg"]
    bad = ~((np.abs(lat) <= 90) & (np.abs(lon) <= 180)) | ((lat == 0) & (lon == 0))
    lat[bad] = np.nan
    lon[bad] = np.nan
    out["heart_rate_bpm"][out["heart_rate_bpm"] <= 0] = np.nan
    cadence = out.pop("cadence")
    out["cadence_spm"] = cadence * 2 if running else cadence
    return pd.DataFrame(out)


def _laps(lap_els: list[ET.Element], starts: pd.DatetimeIndex, points: pd.DataFrame,
          part: int) -> list[dict[str, Any]]:
    """Lap rows; elapsed time runs to the next lap's start (the last lap: its last point)."""
    rows = []
    for i, lap in enumerate(lap_els):
        start, timer = starts[i], child_float(lap, "TotalTimeSeconds")
        if i + 1 < len(lap_els) and pd.notna(starts[i + 1]) and pd.notna(start):
            elapsed = (starts[i + 1] - start).total_seconds()
        elif i + 1 == len(lap_els) and pd.notna(start) and not points.empty:
            elapsed = max((points["timestamp"].max() - start).total_seconds(), timer)
        else:
            elapsed = timer
        rows.append({
            "part": part,
            "lap": i,
            "start_time": start,
            "elapsed_s": elapsed if elapsed >= 0 else np.nan,
            "timer_s": timer,
            "distance_m": child_float(lap, "DistanceMeters"),
            "avg_hr_bpm": child_float(lap.find("AverageHeartRateBpm"), "Value"),
        })
    return rows


def _lap_totals(lap_els: list[ET.Element],
                rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Activity totals from the laps: timer, distance, heart rate and energy."""
    if not rows:
        return {}
    frame = pd.DataFrame(rows)
    timer, hr = frame["timer_s"], frame["avg_hr_bpm"]
    weighted = hr.notna() & timer.gt(0)
    max_hr = [child_float(lap.find("MaximumHeartRateBpm"), "Value") for lap in lap_els]
    calories = [to_float(child_text(lap, "Calories")) for lap in lap_els]
    return {
        "device_timer_s": timer.sum(min_count=1),
        "device_distance_m": frame["distance_m"].sum(min_count=1),
        "device_avg_hr_bpm": (hr[weighted] * timer[weighted]).sum() / timer[weighted].sum()
        if weighted.any() else np.nan,
        "device_max_hr_bpm": np.nanmax(max_hr) if not np.all(np.isnan(max_hr)) else np.nan,
        "calories_kcal": pd.Series(calories).sum(min_count=1),
    }
