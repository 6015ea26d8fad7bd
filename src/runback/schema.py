"""Every canonical table runback passes between its stages.

Stored tables use SI units (metres, seconds, m/s, degrees Celsius); kilometres, miles and
min/km exist only in display. Timestamps are UTC (``datetime64[ns, UTC]``); local calendar
days are naive ``datetime64[ns]`` at midnight.

Tables
------
raw_activities
    What a reader returns, one row per activity in a file, with ``part`` (0, 1, ...) in place
    of ``activity_id``. Fields the format lacks are missing (NA), never guessed.
raw_samples
    A reader's record stream, ``part`` in place of ``activity_id``.
raw_laps, laps
    Laps as the device recorded them (``part`` from a reader, ``activity_id`` after import).
samples
    The record stream of every activity: (activity_id, timestamp) plus channels.
activities
    One row per imported activity with its summary metrics.
daily, weekly
    Calendar tables on the runner's local days (see :mod:`runback.metrics.load`).
pain, flares, factors
    The pain diary, flare-up episodes and the factor table (see :mod:`runback.pain` and
    :mod:`runback.factors`).

Use :func:`empty` for a frame with every column and :func:`conform` to bring a frame to a
table's columns and dtypes; :func:`validate` raises :class:`~runback.errors.SchemaError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from runback.errors import SchemaError

__all__ = ["Column", "TABLES", "columns", "empty", "conform", "validate", "describe"]

UTC_TS = "datetime64[ns, UTC]"
DAY = "datetime64[ns]"
STR = "string"
F = "float64"
B = "boolean"


@dataclass(frozen=True)
class Column:
    """One column of a canonical table."""

    name: str
    dtype: str
    unit: str
    meaning: str


def _cols(*rows: tuple[str, str, str, str]) -> tuple[Column, ...]:
    return tuple(Column(*r) for r in rows)


_SAMPLE_CHANNELS = (
    ("elapsed_s", F, "s", "time since the first sample of the activity"),
    ("distance_m", F, "m", "cumulative distance as the device recorded it"),
    ("latitude_deg", F, "deg", "WGS84 latitude"),
    ("longitude_deg", F, "deg", "WGS84 longitude"),
    ("altitude_m", F, "m", "altitude (FIT enhanced_altitude preferred)"),
    ("speed_m_s", F, "m/s", "speed (FIT enhanced_speed preferred)"),
    ("heart_rate_bpm", F, "1/min", "heart rate"),
    ("cadence_spm", F, "1/min", "cadence in steps per minute (both feet) for running"),
    ("power_w", F, "W", "power"),
    ("temperature_c", F, "degC", "device temperature (wrist devices read warm)"),
    ("vertical_oscillation_mm", F, "mm", "running dynamics: vertical oscillation"),
    ("stance_time_ms", F, "ms", "running dynamics: ground contact time"),
    ("step_length_mm", F, "mm", "running dynamics: step length"),
    ("vertical_ratio_pct", F, "%", "running dynamics: vertical ratio"),
)

_RAW_ACTIVITY = (
    ("format", STR, "", "fit, gpx, tcx or csv"),
    ("device", STR, "", "manufacturer and product, or the creator application"),
    ("sport", STR, "", "running, cycling, walking, hiking, swimming, ... or other"),
    ("sub_sport", STR, "", "as the file says: street, trail, track, treadmill, generic..."),
    ("name", STR, "", "activity name"),
    ("description", STR, "", "activity description"),
    ("start_time", UTC_TS, "", "start of the activity, UTC"),
    ("local_start", DAY, "", "start on the local wall clock, when the file says it"),
    ("utc_offset_s", F, "s", "local minus UTC offset the file records (FIT local_timestamp)"),
    ("device_elapsed_s", F, "s", "device's total elapsed time"),
    ("device_timer_s", F, "s", "device's total timer time (pauses excluded)"),
    ("device_moving_s", F, "s", "device's or log's moving time"),
    ("device_distance_m", F, "m", "device's or log's total distance"),
    ("device_ascent_m", F, "m", "device's or log's total ascent"),
    ("device_descent_m", F, "m", "device's or log's total descent"),
    ("device_avg_hr_bpm", F, "1/min", "device's average heart rate"),
    ("device_max_hr_bpm", F, "1/min", "device's maximum heart rate"),
    ("calories_kcal", F, "kcal", "energy"),
    ("shoe", STR, "", "shoe or gear name"),
    ("rpe", F, "CR-10", "perceived exertion, 0-10"),
    ("file_ref", STR, "", "activity file this log row describes, relative to the log"),
)

_LAP = (
    ("lap", "int64", "", "lap number from 0"),
    ("start_time", UTC_TS, "", "lap start, UTC"),
    ("elapsed_s", F, "s", "lap elapsed time"),
    ("timer_s", F, "s", "lap timer time"),
    ("distance_m", F, "m", "lap distance"),
    ("avg_hr_bpm", F, "1/min", "lap average heart rate"),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "raw_activities": _cols(("part", "int64", "", "index of the activity in its file"),
                            *_RAW_ACTIVITY),
    "raw_samples": _cols(("part", "int64", "", "index of the activity in its file"),
                         ("timestamp", UTC_TS, "", "sample time, UTC"), *_SAMPLE_CHANNELS),
    "raw_laps": _cols(("part", "int64", "", "index of the activity in its file"), *_LAP),
    "laps": _cols(("activity_id", STR, "", "activity the lap belongs to"), *_LAP),
    "samples": _cols(("activity_id", STR, "", "activity the sample belongs to"),
                     ("timestamp", UTC_TS, "", "sample time, UTC"), *_SAMPLE_CHANNELS),
    "activities": _cols(
        ("activity_id", STR, "", "hash of the file bytes (+ '-N' for the N-th of several)"),
        ("source_path", STR, "", "the file it was read from (archive.zip:member inside one)"),
        ("sources", STR, "", "every file holding this activity, ' | '-separated (duplicates)"),
        *_RAW_ACTIVITY,
        ("surface", STR, "", "road, trail, track, treadmill or unknown"),
        ("is_run", B, "", "counts as running in the load analysis"),
        ("timezone", STR, "", "IANA zone or fixed offset (UTC+08:00) used for local_date"),
        ("tz_source", STR, "", "where the zone came from: option, profile, file, gps, "
                               "nearby, log or machine"),
        ("local_date", DAY, "", "the runner's local calendar day of the start"),
        ("elapsed_time_s", F, "s", "end minus start"),
        ("moving_time_s", F, "s", "time moving faster than 0.5 m/s"),
        ("distance_m", F, "m", "distance (record stream, else GPS track, else device/log)"),
        ("elevation_gain_m", F, "m", "ascent with 3 m hysteresis"),
        ("elevation_loss_m", F, "m", "descent with 3 m hysteresis"),
        ("avg_hr_bpm", F, "1/min", "time-weighted average heart rate"),
        ("max_hr_bpm", F, "1/min", "maximum heart rate"),
        ("temperature_c", F, "degC", "mean device temperature"),
        ("n_samples", "int64", "", "number of samples"),
        ("has_gps", B, "", "the activity has a GPS track"),
        ("start_lat_deg", F, "deg", "first GPS fix (private: never shown in reports)"),
        ("start_lon_deg", F, "deg", "first GPS fix (private: never shown in reports)"),
    ),
}

#: Columns every table must hold (the rest may be NA).
REQUIRED: dict[str, tuple[str, ...]] = {
    "raw_activities": ("part", "format", "sport"),
    "raw_samples": ("part", "timestamp"),
    "raw_laps": ("part", "lap"),
    "laps": ("activity_id", "lap"),
    "samples": ("activity_id", "timestamp"),
    "activities": ("activity_id", "source_path", "format", "sport", "local_date"),
}


def columns(table: str) -> list[str]:
    """Column names of ``table`` in canonical order."""
    return [c.name for c in _table(table)]


def describe(table: str) -> pd.DataFrame:
    """The documentation of ``table`` as a frame: name, dtype, unit, meaning."""
    return pd.DataFrame([c.__dict__ for c in _table(table)])


def empty(table: str) -> pd.DataFrame:
    """An empty frame with every column of ``table`` at its dtype."""
    return pd.DataFrame({c.name: pd.Series([], dtype=c.dtype) for c in _table(table)})


def conform(df: pd.DataFrame, table: str, *, extra: bool = True) -> pd.DataFrame:
    """Return ``df`` with every column of ``table`` at its canonical dtype.

    Missing columns are added as NA; canonical columns come first in canonical order.
    Columns outside the table are kept after them when ``extra`` is true.
    """
    spec = _table(table)
    out = {}
    for c in spec:
        if c.name in df.columns:
            out[c.name] = _cast(df[c.name], c)
        else:
            out[c.name] = _missing(c, df.index)
    names = {c.name for c in spec}
    if extra:
        for name in df.columns:
            if name not in names:
                out[name] = df[name]
    return pd.DataFrame(out, index=df.index)


def validate(df: pd.DataFrame, table: str, *, source: str | None = None) -> pd.DataFrame:
    """Check that ``df`` holds the required columns of ``table``; return it unchanged.

    Raises
    ------
    SchemaError
        Naming the missing columns and the columns found.
    """
    missing = [c for c in REQUIRED.get(table, ()) if c not in df.columns]
    if missing:
        where = f"{source}: " if source else ""
        raise SchemaError(
            f"{where}{table} table lacks columns {missing}; found {list(map(str, df.columns))}"
        )
    return df


def _table(table: str) -> tuple[Column, ...]:
    try:
        return TABLES[table]
    except KeyError:
        raise ValueError(f"table must be one of {sorted(TABLES)}") from None


def _missing(c: Column, index: pd.Index) -> pd.Series:
    if c.dtype == "int64":
        return pd.Series(0, index=index, dtype="int64")
    if c.dtype in (UTC_TS, DAY):
        return pd.Series(pd.NaT, index=index, dtype=c.dtype)
    if c.dtype == F:
        return pd.Series(np.nan, index=index, dtype=F)
    return pd.Series(pd.NA, index=index, dtype=c.dtype)


def _cast(s: pd.Series, c: Column) -> pd.Series:
    if str(s.dtype) == c.dtype:
        return s
    if c.dtype == UTC_TS:
        return pd.to_datetime(s, utc=True).astype(UTC_TS)
    if c.dtype == DAY:
        out = pd.to_datetime(s)
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.astype(DAY)
    if c.dtype == F:
        return pd.to_numeric(s, errors="coerce").astype(F)
    if c.dtype == "int64":
        if s.isna().any():
            raise SchemaError(f"column {c.name} must not hold missing values")
        return s.astype(np.int64)
    if c.dtype == B:
        return s.astype(B)
    return s.astype(c.dtype)
