"""Read FIT activity files (Garmin, Wahoo, COROS, Suunto, Polar, Apple Watch exporters...).

:func:`read_fit` turns the messages a decoder returns (:class:`~runback.io.fit_messages.
FitMessages`) into runback's raw tables. The decoder is a parameter:
:func:`runback.io.fit_fast.decode_fast`, a vectorised decoder, by default. The tests keep a
decoder built on fitparse (``tests/fitkit/fitparse_decoder.py``) as the reference the fast
one is checked against, and pass it as ``decoder=``.

Renames (``record`` field -> ``raw_samples`` column, :data:`SAMPLE_MAP`)::

    timestamp                          -> timestamp            UTC
    position_lat, position_long        -> latitude_deg, longitude_deg   x 180 / 2**31
    distance                           -> distance_m
    enhanced_altitude (else altitude)  -> altitude_m
    enhanced_speed (else speed)        -> speed_m_s
    heart_rate                         -> heart_rate_bpm       0 is "no reading"
    cadence (+ fractional_cadence)     -> cadence_spm          x 2 on foot (see below)
    power                              -> power_w
    temperature                        -> temperature_c
    vertical_oscillation, stance_time, step_length, vertical_ratio
        -> vertical_oscillation_mm, stance_time_ms, step_length_mm, vertical_ratio_pct

FIT stores running, walking and hiking cadence in strides (one foot) per minute; runback
stores steps (both feet) per minute, so ``cadence_spm = 2 * (cadence + fractional_cadence)``
for those sports. Every other sport keeps the device's cadence as it is (crank rpm on a
bike, strokes per minute in the water).

Session fields -> ``raw_activities`` columns are in :data:`SESSION_MAP`; FIT sports ->
runback sports in :data:`SPORT_MAP`.

References
----------
Garmin FIT SDK, "FIT Protocol" and "FIT File Types: Activity File"
(https://developer.garmin.com/fit/protocol/, /fit/file-types/activity/), Profile.xlsx for
field scales and semicircles.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from runback.errors import NotAnActivityError, ReadError
from runback.io.base import (
    ParsedColumns,
    ParsedFile,
    Source,
    read_source,
    recorded_before,
    source_name,
    time_order_warning,
)
from runback.io.fit_fast import decode_fast
from runback.io.fit_messages import FOOT_SPORTS, SEMICIRCLE_DEG, Columns, FitMessages

__all__ = ["read_fit", "read_fit_columns", "Decoder", "SAMPLE_MAP", "SESSION_MAP",
           "SPORT_MAP"]

#: Largest plausible distance of local time from UTC. [s]
MAX_UTC_OFFSET_S = 14 * 3600
#: Offsets are rounded to this step (every zone in use is a multiple of 15 min). [s]
OFFSET_STEP_S = 15 * 60

#: ``record`` field -> ``raw_samples`` column, for the fields copied without conversion.
SAMPLE_MAP: dict[str, str] = {
    "distance": "distance_m",
    "power": "power_w",
    "temperature": "temperature_c",
    "vertical_oscillation": "vertical_oscillation_mm",
    "stance_time": "stance_time_ms",
    "step_length": "step_length_mm",
    "vertical_ratio": "vertical_ratio_pct",
}

#: ``session`` field -> ``raw_activities`` column.
SESSION_MAP: dict[str, str] = {
    "start_time": "start_time",
    "total_elapsed_time": "device_elapsed_s",
    "total_timer_time": "device_timer_s",
    "total_distance": "device_distance_m",
    "total_ascent": "device_ascent_m",
    "total_descent": "device_descent_m",
    "avg_heart_rate": "device_avg_hr_bpm",
    "max_heart_rate": "device_max_hr_bpm",
    "total_calories": "calories_kcal",
}

#: ``lap`` field -> ``raw_laps`` column.
LAP_MAP: dict[str, str] = {
    "start_time": "start_time",
    "total_elapsed_time": "elapsed_s",
    "total_timer_time": "timer_s",
    "total_distance": "distance_m",
    "avg_heart_rate": "avg_hr_bpm",
}

#: FIT ``sport`` -> runback sport; any other named sport is "other".
SPORT_MAP: dict[str, str] = {
    "running": "running",
    "cycling": "cycling",
    "e_biking": "cycling",
    "walking": "walking",
    "hiking": "hiking",
    "swimming": "swimming",
    "training": "strength",
    "transition": "transition",
    "rowing": "rowing",
    "cross_country_skiing": "skiing",
    "alpine_skiing": "skiing",
    "generic": "unknown",
}

#: (FIT sport, sub_sport) pairs whose sub_sport names the runback sport.
SUB_SPORT_MAP: dict[tuple[str, str], str] = {
    ("fitness_equipment", "treadmill"): "running",
    ("fitness_equipment", "indoor_running"): "running",
    ("fitness_equipment", "indoor_walking"): "walking",
    ("fitness_equipment", "indoor_cycling"): "cycling",
    ("fitness_equipment", "indoor_rowing"): "rowing",
    ("fitness_equipment", "elliptical"): "elliptical",
    ("training", "yoga"): "yoga",
    ("training", "pilates"): "yoga",
}

#: A FIT decoder: ``(data, name) -> FitMessages`` (see :mod:`runback.io.fit_messages`).
Decoder = Callable[[bytes, str], FitMessages]


def read_fit(source: Source, *, name: str | None = None,
             decoder: Decoder = decode_fast) -> ParsedFile:
    """Read a FIT activity file into runback's raw tables.

    Each ``session`` message is one activity (``part``), so a triathlon gives its legs and
    transitions as separate parts; records and laps go to the session whose time span
    holds them. A file without a session (cut off while recording) gives one part rebuilt
    from its records.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        The FIT file.
    name : str, optional
        What messages call the file (defaults to the path).
    decoder : callable, optional
        Turns the bytes into :class:`~runback.io.fit_messages.FitMessages`: the vectorised
        :func:`runback.io.fit_fast.decode_fast` by default; the tests pass their fitparse
        reference decoder here.

    Returns
    -------
    ParsedFile
        ``activities`` (``raw_activities``: device, sport, sub_sport, name, start_time
        [UTC], utc_offset_s [s], local_start, device_elapsed_s [s], device_timer_s [s],
        device_distance_m [m], device_ascent_m [m], device_descent_m [m],
        device_avg_hr_bpm [1/min], device_max_hr_bpm [1/min], calories_kcal [kcal]),
        ``samples`` (``raw_samples``, in file order; see the module docstring for the
        channels), ``laps`` (``raw_laps``) and ``warnings`` (CRC mismatch, truncation,
        missing session, records left out after a step back in time of more than
        :data:`~runback.io.base.MAX_STEP_BACK_S`).

    Raises
    ------
    NotAnActivityError
        When ``file_id.type`` names another kind of FIT file (monitoring, settings, course,
        workout...), or the file holds neither records nor a session.
    ReadError
        When the file is empty, is not FIT, or breaks before any record or session.
    """
    label = source_name(source, name)
    return read_fit_columns(read_source(source, name), label, decoder).to_parsed()


def read_fit_columns(data: bytes, label: str, decoder: Decoder = decode_fast) -> ParsedColumns:
    """:func:`read_fit` of the bytes ``data``, its tables left as arrays.

    The importer joins the arrays of many files into one frame per table; ``to_parsed()``
    gives what :func:`read_fit` returns. Raises as :func:`read_fit` does.
    """
    if not data:
        raise ReadError(label, "empty file")
    messages = decoder(data, label)
    file_type = _first(messages.columns("file_id"), "type")
    if file_type is not None and file_type != "activity":
        raise NotAnActivityError(label, f"FIT file type '{file_type}' holds no activity")
    records = messages.columns("record")
    times = _times(records, "timestamp")
    timed = np.flatnonzero(~np.isnat(times))
    sessions = _sessions(messages.columns("session"))
    if not len(timed) and not len(sessions):
        if messages.error:
            raise ReadError(label, messages.error, messages.error_offset)
        if len(records) or len(messages.columns("session")):
            raise ReadError(label, "FIT records and sessions carry no date (only time since "
                                   "the device was switched on)")
        raise NotAnActivityError(label, "FIT file holds no records and no session")

    warnings = []
    if not messages.crc_ok:
        warnings.append("file CRC does not match; data kept")
    if messages.error:
        warnings.append(f"{messages.error} at byte {messages.error_offset}; "
                        f"kept the {len(timed)} records before the break")
    if not len(sessions):
        sessions = _session_from_records(times[timed[:1]], messages)
        warnings.append("file has no session message; the activity was rebuilt from its "
                        "records")

    starts = sessions["start_time"]
    sport = [_sport(s, sub) for s, sub in zip(_text(sessions, "sport"),
                                                _text(sessions, "sub_sport"), strict=True)]
    activities = _activities(sessions, sport, messages)
    times = times[timed]
    part = _part_of(times, starts)
    dropped = _recorded_before(times, part)
    if dropped.any():
        warnings.append(time_order_warning(pd.Series(times), dropped))
        keep = ~dropped
        timed, times, part = timed[keep], times[keep], part[keep]
    foot = np.array([s in FOOT_SPORTS for s in sport])
    samples = _samples(records, timed, times, part, foot)
    laps = _laps(messages.columns("lap"), starts)
    return ParsedColumns(activities, samples, laps, warnings)


def _first(table: Columns, column: str, rows: np.ndarray | None = None):
    """The first non-missing value of ``column`` (None when there is none), among ``rows``
    (a mask) when given: a str, a float or a ``numpy.datetime64``."""
    values = table.get(column)
    if values is None:
        return None
    if rows is not None:
        values = values[rows]
    if values.dtype == object:
        return next((v for v in values if v is not None), None)
    present = np.flatnonzero(~(np.isnat(values) if values.dtype.kind == "M"
                               else np.isnan(values)))
    if not len(present):
        return None
    value = values[present[0]]
    return float(value) if values.dtype.kind == "f" else value


def _text(table: Columns, column: str) -> np.ndarray:
    """A text column (all None when it is absent)."""
    values = table.get(column)
    return values if values is not None else np.full(len(table), None, dtype=object)


def _times(table: Columns, column: str) -> np.ndarray:
    """``column`` of ``table`` as ``datetime64[ns]`` values (all NaT when it is absent)."""
    values = table.get(column)
    if values is None:
        return np.full(len(table), np.datetime64("NaT"), dtype="datetime64[ns]")
    return values


def _numbers(table: Columns, column: str) -> np.ndarray:
    """A number column (all NaN when it is absent)."""
    values = table.get(column)
    return values if values is not None else np.full(len(table), np.nan)


def _start_times(table: Columns) -> np.ndarray:
    """``start_time``, else ``timestamp`` less ``total_elapsed_time``: NaT when neither."""
    start = _times(table, "start_time")
    if np.isnat(start).any():
        elapsed = pd.to_timedelta(_numbers(table, "total_elapsed_time"), unit="s").to_numpy()
        start = np.where(np.isnat(start), _times(table, "timestamp") - elapsed, start)
    return start


def _sessions(table: Columns) -> Columns:
    """Sessions with a start time, in time order (a chained file's repeats dropped)."""
    if not len(table):
        return table
    values = dict(table.values)
    values["start_time"] = _start_times(table)
    sessions = Columns(len(table), values)
    if np.isnat(values["start_time"]).any():
        sessions = sessions.take(~np.isnat(values["start_time"]))
    if len(sessions) > 1:
        frame = pd.DataFrame(sessions.values).drop_duplicates()
        frame = frame.sort_values("start_time", kind="stable")
        sessions = sessions.take(frame.index.to_numpy())
    return sessions


def _session_from_records(start: np.ndarray, messages: FitMessages) -> Columns:
    """One session row, starting at ``start`` (the first record's time), standing for a file
    that lost its session message."""
    sport_msgs, laps = messages.columns("sport"), messages.columns("lap")
    sport = _first(sport_msgs, "sport") or _first(laps, "sport")
    sub_sport = _first(sport_msgs, "sub_sport") or _first(laps, "sub_sport")
    return Columns(1, {"start_time": start,
                       "sport": np.array([sport], dtype=object),
                       "sub_sport": np.array([sub_sport], dtype=object)})


def _sport(sport, sub_sport) -> str:
    """runback's sport for a FIT sport and sub_sport (see :data:`SPORT_MAP`)."""
    if sport is None:
        return "unknown"
    return SUB_SPORT_MAP.get((sport, sub_sport)) or SPORT_MAP.get(sport, "other")


def _part_of(times: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Index of the session each time falls in: the last one started by then.

    Times before the first session go to the first; a time after a session's end and
    before the next one's start stays with the earlier session. Both arrays are UTC
    ``datetime64[ns]``.
    """
    at = np.searchsorted(starts, times, side="right") - 1
    return np.clip(at, 0, len(starts) - 1)


def _recorded_before(times: np.ndarray, part: np.ndarray) -> np.ndarray:
    """:func:`~runback.io.base.recorded_before` applied to each part's times on its own."""
    if not len(part) or (part == part[0]).all():
        return recorded_before(times)
    dropped = np.zeros(len(times), dtype=bool)
    for p in np.unique(part):
        at = np.flatnonzero(part == p)
        dropped[at] = recorded_before(times[at])
    return dropped


def _device(messages: FitMessages) -> str | None:
    """Manufacturer and product: "garmin fenix5", "wahoo_fitness 31"."""
    source, rows = messages.columns("file_id"), None
    if _first(source, "manufacturer") is None:
        info = messages.columns("device_info")
        if "device_index" in info:
            source, rows = info, info["device_index"] == "creator"
    maker = _first(source, "manufacturer", rows)
    product = (_first(source, "product_name", rows) or _first(source, "garmin_product", rows)
               or _first(source, "product", rows))
    if isinstance(product, float):
        product = f"{product:.0f}"
    words = [str(w) for w in (maker, product) if w is not None]
    return " ".join(words) or None


def _utc_offset_s(activity: Columns) -> float:
    """Local minus UTC time of the ``activity`` message, to the nearest 15 min. [s]

    NaN when the file does not record local time or the difference exceeds 14 h.
    """
    if "timestamp" not in activity or "local_timestamp" not in activity:
        return np.nan
    utc, local = activity["timestamp"], activity["local_timestamp"]
    both = np.flatnonzero(~(np.isnat(utc) | np.isnat(local)))
    if not len(both):
        return np.nan
    raw = (local[both[0]] - utc[both[0]]) / np.timedelta64(1, "s")
    offset = round(raw / OFFSET_STEP_S) * OFFSET_STEP_S
    return float(offset) if abs(offset) <= MAX_UTC_OFFSET_S else np.nan


def _activities(sessions: Columns, sport: list[str], messages: FitMessages) -> Columns:
    """One ``raw_activities`` row per session."""
    n = len(sessions)
    start = sessions["start_time"]
    offset = _utc_offset_s(messages.columns("activity"))
    local = (start + np.timedelta64(int(offset), "s") if not np.isnan(offset) else
             np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    columns = {
        "part": np.arange(n, dtype="int64"),
        "format": np.full(n, "fit", dtype=object),
        "device": np.full(n, _device(messages), dtype=object),
        "sport": np.array(sport, dtype=object),
        "sub_sport": _text(sessions, "sub_sport"),
        "name": np.array(_names(sessions, messages.columns("sport")), dtype=object),
        "start_time": start,
        "local_start": local,
        "utc_offset_s": np.full(n, offset, dtype="float64"),
    }
    for src, dst in SESSION_MAP.items():
        if src != "start_time" and src in sessions:
            columns[dst] = sessions[src]
    return Columns(n, columns)


def _names(sessions: Columns, sport_msgs: Columns) -> list:
    """The ``sport`` message name of each session: by position when there is one message
    per session, else the first message of the same sport."""
    if "name" not in sport_msgs:
        return [None] * len(sessions)
    if len(sport_msgs) == len(sessions):
        return list(sport_msgs["name"])
    names: dict = {}
    for sport, name in zip(_text(sport_msgs, "sport"), sport_msgs["name"], strict=True):
        if name is not None:
            names.setdefault(sport, name)
    return [names.get(s) for s in _text(sessions, "sport")]


#: The ``record`` fields :func:`_samples` reads as numbers.
_RECORD_NUMBERS = ("position_lat", "position_long", "cadence", "fractional_cadence", "altitude",
                   "enhanced_altitude", "speed", "enhanced_speed", "heart_rate",
                   *SAMPLE_MAP)


def _samples(records: Columns, rows: np.ndarray, times: np.ndarray, part: np.ndarray,
             foot: np.ndarray) -> Columns | None:
    """The ``raw_samples`` rows of ``records`` at positions ``rows``, in file order within
    each part; ``times`` are their UTC times, ``part`` their sessions and ``foot`` says
    which sessions count cadence in strides of one foot."""
    if not len(rows):
        return None
    n = len(rows)
    every = n == len(records)

    def col(field: str) -> np.ndarray:
        values = records.get(field)
        if values is None:
            return np.full(n, np.nan)
        return values if every else values[rows]

    lat = col("position_lat") * SEMICIRCLE_DEG
    lon = col("position_long") * SEMICIRCLE_DEG
    no_fix = (np.abs(lat) > 90) | (np.abs(lon) > 180) | ((lat == 0) & (lon == 0))
    lat[no_fix] = lon[no_fix] = np.nan
    cadence = col("cadence")
    fraction = col("fractional_cadence")
    steps = 2 * (cadence + np.where(np.isnan(fraction), 0.0, fraction))
    altitude, enhanced_altitude = col("altitude"), col("enhanced_altitude")
    speed, enhanced_speed = col("speed"), col("enhanced_speed")
    heart_rate = col("heart_rate")
    parts, firsts = np.unique(part, return_index=True)
    since = times - times[firsts][np.searchsorted(parts, part)]
    channels = {
        "part": part.astype("int64"),
        "timestamp": times,
        "elapsed_s": since / np.timedelta64(1, "s"),
        "latitude_deg": lat,
        "longitude_deg": lon,
        "altitude_m": np.where(np.isnan(enhanced_altitude), altitude, enhanced_altitude),
        "speed_m_s": np.where(np.isnan(enhanced_speed), speed, enhanced_speed),
        "heart_rate_bpm": np.where(heart_rate == 0, np.nan, heart_rate),
        "cadence_spm": np.where(foot[part], steps, cadence),
        **{dst: col(src) for src, dst in SAMPLE_MAP.items()},
    }
    out = Columns(n, channels)
    stamps = times.view("int64")
    if not (stamps[1:] > stamps[:-1]).all():
        out = out.take(~_repeated_rows(channels, stamps))
    if (part[1:] < part[:-1]).any():
        out = out.take(np.argsort(out["part"], kind="stable"))
    return out


def _repeated_rows(channels: dict[str, np.ndarray], stamps: np.ndarray) -> np.ndarray:
    """Rows equal in every channel (NaN equal to NaN) to an earlier row.

    A row can repeat only where its time does, so only the rows whose time is shared are
    compared: sorted by every channel and then by position, each set of equal rows is a
    run whose first row is the earliest, and the rest of the run are the repeats.
    """
    order = np.argsort(stamps, kind="stable")
    tie = stamps[order][1:] == stamps[order][:-1]
    shared = np.zeros(len(stamps), dtype=bool)
    shared[order[1:][tie]] = shared[order[:-1][tie]] = True
    repeated = np.zeros(len(stamps), dtype=bool)
    at = np.flatnonzero(shared)
    if not len(at):
        return repeated
    values = [v[at].view("int64") if v.dtype.kind == "M" else v[at] for v in channels.values()]
    order = np.lexsort([at, *values[::-1]])
    same = np.ones(len(at) - 1, dtype=bool)
    for v in values:
        v = v[order]
        equal = v[1:] == v[:-1]
        if v.dtype.kind == "f":
            equal |= np.isnan(v[1:]) & np.isnan(v[:-1])
        same &= equal
    repeated[at[order[1:][same]]] = True
    return repeated


def _laps(laps: Columns, starts: np.ndarray) -> Columns | None:
    """The ``raw_laps`` rows, each in the session its start falls in."""
    if not len(laps):
        return None
    start = _start_times(laps)
    part = _part_of(start, starts)
    order = np.argsort(part, kind="stable")
    part = part[order]
    columns = {
        "part": part.astype("int64"),
        "lap": np.arange(len(part)) - np.searchsorted(part, part, side="left"),
        "start_time": start[order],
    }
    for src, dst in LAP_MAP.items():
        if src != "start_time":
            columns[dst] = _numbers(laps, src)[order]
    return Columns(len(part), columns)
