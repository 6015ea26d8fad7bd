"""Read Fitbit's exercise list (Google Takeout ``Fitbit/Global Export Data/exercise-N.json``).

Fitbit's export keeps every logged or auto-detected exercise in JSON files of about a
hundred entries each (``exercise-0.json``, ``exercise-100.json``, ...; older exports and
research datasets: one ``exercise.json``). Each entry has ``activityName``, ``startTime`` on
the local wall clock without a zone (``2019-11-05 22:40:41`` or, in Takeout,
``11/05/19 22:40:41``), ``duration`` and ``activeDuration`` [ms], ``distance`` with
``distanceUnit``, ``averageHeartRate``, ``calories``, ``elevationGain`` and heart-rate
zones. Every entry becomes a summary-only activity (format ``fitbit``); its local day comes
from the wall clock and its UTC start from the time zone runback resolves (profile,
nearby activities, this computer). A run recorded with GPS also has a TCX file: the import
finds that both are the same run (:mod:`runback.dedupe`: starts within 2 minutes) and keeps
the TCX's track with the entry's name and totals.

Entries that cannot be read (no start, a start that is not a date) are left out with one
warning giving their number.

Sleep (``sleep-DATE.json``) and resting heart rate (``resting_heart_rate-DATE.json``) are
read for the daily wellness table by :func:`read_fitbit_wellness`.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from runback.errors import NotAnActivityError, ReadError
from runback.io.base import ParsedFile, Source, normalize_sport, read_json, source_name

__all__ = ["read_fitbit_exercises", "read_fitbit_wellness", "FITBIT_SPORTS"]

#: Fitbit ``activityName`` (lower-cased) -> (sport, sub_sport).
FITBIT_SPORTS = {
    "run": ("running", None), "running": ("running", None),
    "treadmill": ("running", "treadmill"), "outdoor run": ("running", None),
    "walk": ("walking", None), "hike": ("hiking", None),
    "bike": ("cycling", None), "outdoor bike": ("cycling", None),
    "spinning": ("cycling", "indoor_cycling"), "swim": ("swimming", None),
    "elliptical": ("elliptical", None), "yoga": ("yoga", None), "pilates": ("yoga", None),
    "weights": ("strength", None), "workout": ("strength", None),
    "interval workout": ("strength", None), "circuit training": ("strength", None),
    "sport": ("other", None), "aerobic workout": ("other", None),
}
_DISTANCE_UNITS = {"kilometer": 1000.0, "km": 1000.0, "mile": 1609.344, "mi": 1609.344,
                   "meter": 1.0, "m": 1.0}
_START_FORMATS = ("%Y-%m-%d %H:%M:%S", "%m/%d/%y %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f",
                  "%Y-%m-%dT%H:%M:%S")


def _num(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _start(text: object) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``(local wall clock, UTC start)`` of a start string; the UTC start only when the
    string carries an offset."""
    if not isinstance(text, str) or not text.strip():
        return None, None
    t = text.strip()
    for fmt in _START_FORMATS:
        try:
            return pd.Timestamp(datetime.strptime(t, fmt)), None
        except ValueError:
            continue
    try:
        ts = pd.Timestamp(t)
    except ValueError:
        return None, None
    if ts.tzinfo is None:
        return ts, None
    return ts.tz_localize(None), ts.tz_convert("UTC")


def read_fitbit_exercises(source: Source, *, name: str | None = None) -> ParsedFile:
    """Read a Fitbit ``exercise-N.json`` into summary-only activities.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        The JSON file.
    name : str, optional
        What messages call the file.

    Returns
    -------
    ParsedFile
        One activity per entry (format ``fitbit``: sport, sub_sport ``treadmill``,
        name, device, local_start, start_time [UTC] when the start carries an offset,
        device_elapsed_s and device_timer_s [s], device_distance_m [m], device_ascent_m
        [m], device_avg_hr_bpm [1/min], calories_kcal [kcal]); no samples.

    Raises
    ------
    ReadError
        Not JSON.
    NotAnActivityError
        JSON, but not a list of exercises; or an empty list.
    """
    name = source_name(source, name)
    entries = read_json(source, name)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        # another application's exercise.json: nothing to import, nothing broken
        raise NotAnActivityError(name, "not a Fitbit exercise list (expected a JSON list "
                                       "of objects)")
    rows: list[dict[str, object]] = []
    bad = 0
    for e in entries:
        local, utc = _start(e.get("startTime") or e.get("originalStartTime"))
        if local is None:
            bad += 1
            continue
        label = str(e.get("activityName") or "").strip()
        sport, sub = FITBIT_SPORTS.get(label.lower()) or normalize_sport(label or None)
        unit = _DISTANCE_UNITS.get(str(e.get("distanceUnit") or "kilometer").strip().lower())
        distance = _num(e.get("distance")) * unit if unit else float("nan")
        src = e.get("source")
        rows.append({
            "part": len(rows), "format": "fitbit", "sport": sport, "sub_sport": sub,
            "name": label or None,
            "device": (src.get("name") if isinstance(src, dict) else None) or "Fitbit",
            "local_start": local, "start_time": utc,
            "utc_offset_s": None if utc is None else (local - utc.tz_localize(None))
            .total_seconds(),
            "device_elapsed_s": _num(e.get("duration")) / 1000.0,
            "device_timer_s": _num(e.get("activeDuration")) / 1000.0,
            "device_distance_m": distance,
            "device_ascent_m": _num(e.get("elevationGain")),
            "device_avg_hr_bpm": _num(e.get("averageHeartRate")),
            "calories_kcal": _num(e.get("calories")),
        })
    warnings = [f"{bad} of {len(entries)} exercises without a readable start were left out"] \
        if bad else []
    if not rows:
        raise NotAnActivityError(name, "Fitbit exercise list without a readable exercise")
    acts = pd.DataFrame(rows)
    acts["start_time"] = pd.to_datetime(acts["start_time"], utc=True)
    return ParsedFile.build(acts, warnings=warnings)


def read_fitbit_wellness(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Observations from Fitbit's ``sleep-DATE.json`` or ``resting_heart_rate-DATE.json``.

    A sleep log's ``minutesAsleep`` counts on its ``dateOfSleep`` (the day it ends on;
    naps too); a resting heart rate entry (``{"dateTime": ..., "value": {"date":
    "01/01/20", "value": 58.3}}``) on its date, a value of 0 meaning no reading.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        The JSON file.
    name : str, optional
        What messages call the file.

    Returns
    -------
    DataFrame
        Observations (:data:`runback.io.garmin_wellness.OBSERVATION_COLUMNS`): ``sleep_h``
        [h] with the session's start and end, ``resting_hr_bpm`` [1/min]; source
        ``fitbit``.

    Raises
    ------
    ReadError
        Not JSON, or not a list.
    NotWellnessError
        A list without sleep or resting heart-rate entries.
    """
    from runback.errors import NotWellnessError
    from runback.io.garmin_wellness import observations

    name = source_name(source, name)
    entries = read_json(source, name)
    if not isinstance(entries, list):
        raise ReadError(name, "not a Fitbit sleep or resting heart-rate file (expected a list)")
    rows, known = [], False
    for e in entries:
        if not isinstance(e, dict):
            continue
        base = {"source": "fitbit", "watch": True, "kind": None, "start": None, "end": None}
        if "minutesAsleep" in e or "dateOfSleep" in e:
            known = True
            day, _ = _start(str(e.get("dateOfSleep") or "")[:10] + " 00:00:00")
            minutes = _num(e.get("minutesAsleep"))
            if day is None or minutes != minutes:
                continue
            rows.append({**base, "date": day, "metric": "sleep_h", "value": minutes / 60.0,
                         "start": _utc_guess(e.get("startTime")),
                         "end": _utc_guess(e.get("endTime"))})
        elif isinstance(e.get("value"), dict):
            known = True
            value = e["value"]
            day, _ = _start(str(value.get("date") or "") + " 00:00:00")
            if day is None:
                day, _ = _start(e.get("dateTime"))
            bpm = _num(value.get("value"))
            if day is None or not bpm:  # 0: no reading that day
                continue
            rows.append({**base, "date": day.normalize(), "metric": "resting_hr_bpm",
                         "value": bpm})
    if not known and entries:
        raise NotWellnessError(name, "not a Fitbit sleep or resting heart-rate file")
    return observations(rows)


def _utc_guess(text: object) -> pd.Timestamp | None:
    """A Fitbit sleep time (local wall clock, ``2020-01-01T07:00:00.000``) as a naive
    stamp read as UTC: only compared with other sessions of the same night."""
    local, utc = _start(text)
    if utc is not None:
        return utc
    return None if local is None else local.tz_localize("UTC")
