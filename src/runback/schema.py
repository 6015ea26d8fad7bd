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
wellness
    Sleep, resting heart rate, HRV and stress per local day (see :mod:`runback.wellness`).

Use :func:`empty` for a frame with every column, :func:`from_columns` to build one from
arrays and :func:`conform` to bring a frame to a table's columns and dtypes;
:func:`validate` raises :class:`~runback.errors.SchemaError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.internals import create_dataframe_from_blocks

from runback.errors import SchemaError

__all__ = ["Column", "Columns", "TABLES", "columns", "empty", "from_columns", "concat_columns",
           "conform", "validate", "describe"]

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
    ("format", STR, "", "fit, gpx, tcx, csv, apple_health or fitbit"),
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

#: Per-session metrics the analysis adds to the activities table.
_SESSION_METRICS = (
    ("climb_m_per_km", F, "m/km", "elevation gain per km"),
    ("descent_m_per_km", F, "m/km", "elevation loss per km"),
    ("uphill_5_m", F, "m", "distance on grades above +5 %"),
    ("uphill_5_s", F, "s", "time on grades above +5 %"),
    ("downhill_5_m", F, "m", "distance on grades below -5 %"),
    ("downhill_5_s", F, "s", "time on grades below -5 %"),
    ("downhill_10_m", F, "m", "distance on grades below -10 %"),
    ("downhill_10_s", F, "s", "time on grades below -10 %"),
    ("gap_s_per_km", F, "s/km", "grade-adjusted pace (Minetti 2002)"),
    ("roughness_m", F, "m", "SD of altitude residuals after a 200 m moving-median detrend"),
    ("heading_change_deg_per_100m", F, "deg/100 m", "sum of |heading change| per 100 m"),
    ("gait_cv", F, "1", "mean coefficient of variation of running dynamics (steady parts)"),
    ("gps_spikes", "int64", "", "GPS fixes dropped for an implausible speed"),
    ("trimp", F, "AU", "Banister TRIMP"),
    ("trimp_edwards", F, "AU", "Edwards TRIMP"),
    ("srpe", F, "AU", "session RPE: CR-10 x minutes"),
    ("hr_z1_s", F, "s", "time in HR zone 1 (50-60 % HRmax)"),
    ("hr_z2_s", F, "s", "time in HR zone 2 (60-70 % HRmax)"),
    ("hr_z3_s", F, "s", "time in HR zone 3 (70-80 % HRmax)"),
    ("hr_z4_s", F, "s", "time in HR zone 4 (80-90 % HRmax)"),
    ("hr_z5_s", F, "s", "time in HR zone 5 (90-100 % HRmax)"),
    ("hi_intensity_s", F, "s", "time in zones 4-5"),
    ("load", F, "AU", "session load: TRIMP, else sRPE, else rTSS-like, else distance"),
    ("load_method", STR, "", "trimp, srpe, rtss or distance"),
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
        ("distance_m", F, "m", "distance: the device's session total when the file has "
                               "one, else the record stream, else the GPS track, else the log"),
        ("stream_distance_m", F, "m", "distance measured from the record stream or GPS track"),
        ("elevation_gain_m", F, "m", "ascent with 3 m hysteresis"),
        ("elevation_loss_m", F, "m", "descent with 3 m hysteresis"),
        ("avg_hr_bpm", F, "1/min", "time-weighted average heart rate"),
        ("max_hr_bpm", F, "1/min", "maximum heart rate"),
        ("temperature_c", F, "degC", "mean device temperature"),
        ("n_samples", "int64", "", "number of samples"),
        ("has_gps", B, "", "the activity has a GPS track"),
        ("start_lat_deg", F, "deg", "first GPS fix (private: never shown in reports)"),
        ("start_lon_deg", F, "deg", "first GPS fix (private: never shown in reports)"),
        *_SESSION_METRICS,
    ),
    "daily": _cols(
        ("date", DAY, "", "local calendar day; every day of the span, rest days are 0"),
        ("distance_m", F, "m", "running distance"),
        ("runs", "int64", "", "number of runs"),
        ("moving_time_s", F, "s", "running moving time"),
        ("load", F, "AU", "sum of session loads (runs and cross-training)"),
        ("run_load", F, "AU", "sum of running session loads"),
        ("elevation_gain_m", F, "m", "running climb"),
        ("elevation_loss_m", F, "m", "running descent"),
        ("uphill_5_s", F, "s", "running time on grades above +5 %"),
        ("downhill_5_s", F, "s", "running time on grades below -5 %"),
        ("downhill_10_s", F, "s", "running time on grades below -10 %"),
        ("trail_m", F, "m", "running distance on trail"),
        ("treadmill_m", F, "m", "running distance on a treadmill"),
        ("hi_intensity_s", F, "s", "running time at high heart rate (zones 4-5)"),
        ("hr_time_s", F, "s", "running moving time of runs with heart-rate zones"),
        ("roughness_m", F, "m", "distance-weighted elevation roughness of the day's runs"),
        ("heading_change_deg_per_100m", F, "deg/100 m", "distance-weighted heading change"),
        ("temperature_c", F, "degC", "lowest mean device temperature of the day's runs"),
        ("cross_training_s", F, "s", "moving time of other sports"),
        ("longest_run_m", F, "m", "longest run of the day"),
        ("session_spike", F, "1", "longest run / longest run of the previous 30 days - 1"),
        ("distance_change", F, "1", "distance of the 7 days to d / previous 7 days - 1"),
        ("acute_load", F, "AU", "EWMA of load, N = 7 (lambda = 2/(N+1))"),
        ("chronic_load", F, "AU", "EWMA of load, N = 28"),
        ("acwr", F, "1", "acute / chronic load (descriptive only; NA in the first 28 days)"),
        ("monotony", F, "1", "mean / SD of the 7 daily loads to d"),
        ("strain", F, "AU", "7-day load x monotony"),
        ("ctl", F, "AU", "chronic training load, tau 42 d"),
        ("atl", F, "AU", "acute training load, tau 7 d"),
        ("tsb", F, "AU", "training stress balance: CTL(d-1) - ATL(d-1)"),
        ("pain", F, "NRS 0-10", "the day's highest pain; NA when not logged"),
        ("logged", B, "", "the diary has an entry that day"),
        ("flare_onset", B, "", "a flare-up starts that day"),
        ("in_flare", B, "", "the day lies inside a flare-up episode"),
        ("sleep_hours", F, "h", "sleep: the diary's, else the wellness table's"),
        ("stress", F, "0-10", "stress: the diary's, else the wellness table's rescaled to "
                              "0-10 (Garmin 0-100 / 10; intervals.icu 1-4 to 0-10)"),
        ("resting_hr_dev", F, "1/min", "resting heart rate minus its median of the previous "
                                       "28 days (at least 7 with a value)"),
        ("hrv_dev", F, "ms", "HRV minus its median of the previous 28 days (at least 7)"),
        ("wellness_source", STR, "", "where the day's wellness values came from (the "
                                     "wellness table's source)"),
    ),
    "weekly": _cols(
        ("week_start", DAY, "", "local Monday"),
        ("days", "int64", "d", "days of the week in the table (fewer in partial weeks)"),
        ("distance_m", F, "m", "running distance"),
        ("runs", "int64", "", "number of runs"),
        ("moving_time_s", F, "s", "running moving time"),
        ("elevation_gain_m", F, "m", "running climb"),
        ("elevation_loss_m", F, "m", "running descent"),
        ("load", F, "AU", "sum of daily load"),
        ("distance_change", F, "1", "this week's distance / last week's - 1"),
        ("acute_load", F, "AU", "acute load on the week's last day"),
        ("chronic_load", F, "AU", "chronic load on the week's last day"),
        ("acwr", F, "1", "acute / chronic on the week's last day (descriptive only)"),
        ("monotony", F, "1", "mean / SD of the week's 7 daily loads"),
        ("strain", F, "AU", "weekly load x monotony"),
        ("downhill_10_s", F, "s", "running time on grades below -10 %"),
        ("trail_share", F, "1", "share of running distance on trail"),
        ("treadmill_share", F, "1", "share of running distance on a treadmill"),
        ("intensity_share", F, "1", "share of running HR time in zones 4-5"),
        ("temperature_c", F, "degC", "lowest run temperature of the week"),
        ("pain_mean", F, "NRS 0-10", "mean of the logged days' pain"),
        ("pain_max", F, "NRS 0-10", "highest logged pain"),
        ("days_logged", "int64", "", "days with a diary entry"),
        ("flare_onsets", "int64", "", "flare-ups that started this week"),
    ),
    "pain": _cols(
        ("date", DAY, "", "diary date"),
        ("entry", "int64", "", "entry number within the day, from 0"),
        ("pain", F, "NRS 0-10", "pain score"),
        ("location", STR, "", "lower, mid or upper back"),
        ("pain_type", STR, "", "spasm, radiating, ache or stiffness"),
        ("timing", STR, "", "morning, during_run, after_run or rest"),
        ("sleep_hours", F, "h", "sleep the night before"),
        ("stress", F, "0-10", "stress"),
        ("interventions", STR, "", "semicolon list: massage, stretching, foam_roller, ..."),
        ("red_flags", STR, "", "semicolon list: bladder_bowel, saddle_numbness, ..."),
        ("flare", B, "", "the user marks this day as a flare-up"),
        ("notes", STR, "", "free text"),
        ("line", "int64", "", "line number in the diary file"),
    ),
    "wellness": _cols(
        ("date", DAY, "", "local calendar day (a night's sleep: the day it ends on)"),
        ("sleep_h", F, "h", "time asleep"),
        ("resting_hr_bpm", F, "1/min", "resting heart rate"),
        ("hrv_ms", F, "ms", "heart-rate variability, of the kind hrv_kind names"),
        ("hrv_kind", STR, "", "rmssd or sdnn: one kind in the whole table"),
        ("stress", F, "", "stress on the scale stress_scale names"),
        ("stress_scale", STR, "", "garmin 0-100, intervals.icu 1-4 or diary 0-10"),
        ("source", STR, "", "where the values came from (diary, garmin, fitbit, apple "
                            "health (device), intervals.icu); metric=source pairs when "
                            "several"),
    ),
    "flares": _cols(
        ("onset", DAY, "", "first day of the flare-up"),
        ("end", DAY, "", "last day of the flare-up"),
        ("peak", F, "NRS 0-10", "highest pain during the flare-up"),
        ("duration_d", "int64", "d", "days from onset to end, inclusive"),
        ("baseline", F, "NRS 0-10", "baseline pain B at onset (14-day median)"),
        ("marked", B, "", "the user marked the onset as a flare"),
        ("pain_type", STR, "", "most frequent pain type during the flare-up"),
        ("ongoing", B, "", "not ended by the last diary day (end = last high day)"),
        ("dated", B, "", "the day before the onset is logged (else shown, never analysed)"),
    ),
    "factors": _cols(
        ("factor", STR, "", "factor name (docs/cli-contract.md)"),
        ("window", STR, "", "hazard window, e.g. d-3..d-1"),
        ("odds_ratio", F, "1", "odds ratio per person-SD (or exposed vs not)"),
        ("ci_low", F, "1", "95 % confidence interval, lower"),
        ("ci_high", F, "1", "95 % confidence interval, upper"),
        ("p_value", F, "1", "penalised likelihood-ratio p-value (adjusted model)"),
        ("q_value", F, "1", "Benjamini-Hochberg q over the factor family"),
        ("n_onsets", "int64", "", "onsets with usable referents"),
        ("method", STR, "", "clogit, firth-clogit, exact bound ..."),
        ("description", STR, "", "plain-language sentence (association, not cause)"),
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
    "wellness": ("date",),
}


def columns(table: str) -> list[str]:
    """Column names of ``table`` in canonical order."""
    return [c.name for c in _table(table)]


def describe(table: str) -> pd.DataFrame:
    """The documentation of ``table`` as a frame: name, dtype, unit, meaning."""
    return pd.DataFrame([c.__dict__ for c in _table(table)])


class Columns:
    """A table as numpy arrays of ``n`` values each, one per column name.

    ``columns[name]`` is the array (KeyError when absent), ``columns.get(name)`` the array
    or None, ``len(columns)`` the number of rows. Readers build their tables so and make
    DataFrames of many files at once (:func:`concat_columns`): a DataFrame per table per
    file costs more than reading a small file.
    """

    __slots__ = ("n", "values")

    def __init__(self, n: int, values: dict[str, np.ndarray] | None = None):
        self.n = n
        self.values = values if values is not None else {}

    def __len__(self) -> int:
        return self.n

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def get(self, name: str) -> np.ndarray | None:
        return self.values.get(name)

    def take(self, rows: np.ndarray) -> Columns:
        """The rows at positions (or where the mask) ``rows``."""
        rows = np.asarray(rows)
        n = int(rows.sum()) if rows.dtype == bool else len(rows)
        return Columns(n, {k: v[rows] for k, v in self.values.items()})


def empty(table: str) -> pd.DataFrame:
    """An empty frame with every column of ``table`` at its dtype."""
    return _empty(table).copy(deep=False)  # copy-on-write keeps the template intact


@cache
def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=c.dtype) for c in _table(table)})


def from_columns(table: str, values: dict[str, Any], n: int) -> pd.DataFrame:
    """A ``table`` frame of ``n`` rows from arrays, the columns not given missing (NA).

    The arrays should hold their columns' dtypes already (then :func:`conform` has nothing
    to do), except that a text column may be a numpy object array of ``str`` or None and
    a UTC time column a naive ``datetime64[ns]`` array holding UTC; columns come in
    canonical order.

    Raises
    ------
    ValueError
        When ``values`` names a column ``table`` does not have.
    """
    spec = _table(table)
    unknown = set(values) - {c.name for c in spec}
    if unknown:
        raise ValueError(f"{table} has no columns {sorted(unknown)}")
    blocks = _blocks(spec, values, n)
    if blocks is None:  # arrays of other types: let pandas convert them
        return pd.DataFrame({c.name: values[c.name] if c.name in values else _missing(c, n)
                             for c in spec})
    return create_dataframe_from_blocks(blocks, pd.RangeIndex(n), _labels(table))


@cache
def _labels(table: str) -> pd.Index:
    return pd.Index([c.name for c in _table(table)])


def _blocks(spec: tuple[Column, ...], values: dict[str, Any],
            n: int) -> list[tuple[Any, np.ndarray]] | None:
    """The blocks of a :func:`from_columns` frame, as ``pd.DataFrame(dict)`` would
    consolidate them: one 2-D block of the float64 columns, one of the int64 columns, and
    one block per column of any other dtype. None when a given array is not already a
    1-D array of ``n`` values at its column's dtype.
    """
    floats: list[tuple[int, np.ndarray | None]] = []
    ints: list[tuple[int, np.ndarray | None]] = []
    blocks: list[tuple[Any, np.ndarray]] = []
    for i, c in enumerate(spec):
        v = values.get(c.name)
        if isinstance(v, pd.arrays.NumpyExtensionArray):  # what Series.array gives
            v = v.to_numpy()
        if c.dtype in (F, "int64"):
            if v is not None and not (isinstance(v, np.ndarray) and v.dtype == c.dtype
                                      and v.shape == (n,)):
                return None
            (floats if c.dtype == F else ints).append((i, v))
            continue
        v = _missing(c, n) if v is None else _from_numpy(v, c.dtype)
        if getattr(v, "dtype", None) != _dtype(c.dtype) or getattr(v, "shape", None) != (n,):
            return None
        if isinstance(v, np.ndarray):
            v = v.reshape(1, n).copy()
        elif not isinstance(v, pd.api.extensions.ExtensionArray):
            return None
        blocks.append((v, np.array([i])))
    for columns, fill, dtype in ((floats, np.nan, F), (ints, 0, "int64")):
        if columns:
            block = np.full((len(columns), n), fill, dtype=dtype)
            for row, (_, v) in enumerate(columns):
                if v is not None:
                    block[row] = v
            blocks.append((block, np.array([i for i, _ in columns])))
    return blocks


def _from_numpy(v: Any, dtype: str) -> Any:
    """A text column given as an object array, or a UTC column given naive, at ``dtype``."""
    if isinstance(v, np.ndarray) and v.ndim == 1:
        if dtype == STR and v.dtype == object:
            return pd.array(v, dtype=STR)
        if dtype == UTC_TS and v.dtype == "M8[ns]":
            return pd.DatetimeIndex(v, tz="UTC").array
    return v


def concat_columns(table: str, parts: list[Columns]) -> pd.DataFrame:
    """One ``table`` frame of the rows of every part, in order (:func:`from_columns` of
    each column joined; a column a part lacks is missing in its rows)."""
    n = sum(p.n for p in parts)
    if len(parts) == 1:
        return from_columns(table, parts[0].values, n)
    values = {}
    for c in _table(table):
        pieces = [p.get(c.name) for p in parts]
        if all(v is None for v in pieces):
            continue
        kinds = {v.dtype for v in pieces if v is not None}
        if len(kinds) > 1 or any(not isinstance(v, np.ndarray) for v in pieces if v is not None):
            values[c.name] = pd.concat([pd.Series(v if v is not None else _missing(c, p.n))
                                        for v, p in zip(pieces, parts, strict=True)],
                                       ignore_index=True).array
            continue
        dtype = kinds.pop()
        fill = _fill(dtype)
        values[c.name] = np.concatenate([v if v is not None else np.full(p.n, fill, dtype)
                                         for v, p in zip(pieces, parts, strict=True)])
    return from_columns(table, values, n)


def _fill(dtype: np.dtype[Any]) -> float | np.datetime64 | int | None:
    """The missing value of a numpy column (0 for integer counts)."""
    if dtype.kind == "f":
        return np.nan
    if dtype.kind == "M":
        return np.datetime64("NaT")
    if dtype.kind in "iu":
        return 0
    return None


def conform(df: pd.DataFrame, table: str, *, extra: bool = True) -> pd.DataFrame:
    """Return ``df`` with every column of ``table`` at its canonical dtype.

    Missing columns are added as NA; canonical columns come first in canonical order.
    Columns outside the table are kept after them when ``extra`` is true. A frame that
    conforms already (a reader builds its frames so) is returned as a new frame over the
    same data, without building it again.
    """
    spec = _table(table)
    labels = list(df.columns)
    if _conforming(df, labels, spec, extra):
        if df.columns.dtype == _LABELS.dtype:  # the labels a frame built from a dict gets
            return df.copy(deep=False)
        return df.set_axis(pd.Index(labels), axis=1)
    given = set(labels)
    out = {c.name: _cast(df[c.name], c) if c.name in given else _missing(c, len(df))
           for c in spec}
    if extra:
        out.update((name, df[name]) for name in labels if name not in out)
    return pd.DataFrame(out, index=df.index)


def _conforming(df: pd.DataFrame, labels: list[Any], spec: tuple[Column, ...], extra: bool) -> bool:
    """Whether ``df`` (columns ``labels``) holds the columns of ``spec`` first, in order, at
    their dtypes, and other columns only when ``extra`` allows them."""
    n = len(spec)
    if labels[:n] != [c.name for c in spec] or (len(labels) > n and not extra):
        return False
    if len(labels) > n and len(set(labels)) < len(labels):
        return False
    return all(dtype == _dtype(c.dtype) for dtype, c in zip(df.dtypes.tolist()[:n], spec,
                                                             strict=True))


#: Column labels as ``pd.DataFrame(dict)`` makes them from strings.
_LABELS = pd.Index(["part"])


@cache
def _dtype(name: str) -> np.dtype[Any] | pd.api.extensions.ExtensionDtype:
    """The pandas dtype ``name`` stands for; equal dtypes also print as ``name``."""
    return pd.api.types.pandas_dtype(name)


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


def _missing(c: Column, n: int) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """``n`` missing values of column ``c`` (a missing count is 0)."""
    if c.dtype == "int64":
        return np.zeros(n, dtype=np.int64)
    if c.dtype == F:
        return np.full(n, np.nan)
    return pd.array([pd.NA] * n, dtype=c.dtype)


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
    if c.dtype == "int64":  # counts: a missing count is 0
        return pd.to_numeric(s, errors="coerce").fillna(0).astype(np.int64)
    if c.dtype == B:
        return s.astype(B)
    return s.astype(c.dtype)
