"""Long tables: many athletes' activities (or diaries) in one CSV or Parquet table with an
``athlete`` column; finding its columns, reading one athlete's rows, and turning them
into the raw activity frame the importer assembles.
"""

from __future__ import annotations

import io
import math
import os
import re
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, overload

import numpy as np
import pandas as pd

from runback.errors import RunbackError, SchemaError

if TYPE_CHECKING:
    import pyarrow.dataset
    from pandas.api.typing import NaTType

    from runback.io.diary import DiaryResult

#: The long activity table's columns: canonical name -> (comparison keys, factor to SI).
#: Names are compared as the hand-kept log's are (case, spacing, punctuation and a unit in
#: brackets ignored: ``Distance (m)`` is ``distance_m``).
TABLE_COLUMNS: dict[str, tuple[tuple[str, float], ...]] = {
    "athlete": (("athlete", 1.0), ("athlete_id", 1.0), ("name", 1.0)),
    "start_time": (("start_time", 1.0), ("start", 1.0), ("date", 1.0)),
    "distance_m": (("distance_m", 1.0), ("distance_km", 1000.0), ("distance_mi", 1609.344)),
    "moving_time_s": (("moving_time_s", 1.0), ("moving_time", 1.0)),
    "elapsed_time_s": (("elapsed_time_s", 1.0), ("elapsed_time", 1.0)),
    "elevation_gain_m": (("elevation_gain_m", 1.0), ("elevation_gain", 1.0)),
    "elevation_loss_m": (("elevation_loss_m", 1.0), ("elevation_loss", 1.0)),
    "avg_hr_bpm": (("avg_hr_bpm", 1.0), ("avg_hr", 1.0), ("average_heart_rate", 1.0)),
    "sport": (("sport", 1.0), ("type", 1.0)),
    "surface": (("surface", 1.0),),
    "rpe": (("rpe", 1.0),),
    "timezone": (("timezone", 1.0), ("time_zone", 1.0), ("tz", 1.0)),
}
#: Rows read at a time from a long CSV table (memory stays bounded per athlete).
CSV_CHUNK_ROWS = 200_000
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


def _key(label: str) -> str:
    from runback.io.activity_csv.cells import column_key

    return column_key(str(label))


@overload
def _find_column(columns: Sequence[str], canonical: str, path: str,
                 required: Literal[True]) -> tuple[str, float]: ...
@overload
def _find_column(columns: Sequence[str], canonical: str, path: str,
                 required: bool = False) -> tuple[str | None, float]: ...
def _find_column(columns: Sequence[str], canonical: str, path: str,
                 required: bool = False) -> tuple[str | None, float]:
    keys: dict[str, str] = {}
    for c in columns:
        keys.setdefault(_key(c), c)
    for key, factor in TABLE_COLUMNS.get(canonical, ((canonical, 1.0),)):
        if key in keys:
            return keys[key], factor
    if required:
        raise SchemaError(f"{path}: no {canonical} column; found columns "
                          f"{', '.join(map(str, columns))}")
    return None, 1.0


def _is_parquet(path: str) -> bool:
    return path.lower().endswith((".parquet", ".pq")) or os.path.isdir(path)


def _dataset(path: str) -> pyarrow.dataset.Dataset:
    """A Parquet file or folder (hive-partitioned) as a pyarrow dataset; a URL
    (``s3://``, ``gs://``, ``memory://`` ...) is read through fsspec, as the workers see it.
    """
    import pyarrow.dataset as ds

    if "://" in path:
        import fsspec

        fs, inner = fsspec.core.url_to_fs(path)
        return ds.dataset(inner, filesystem=fs, partitioning="hive")
    return ds.dataset(path, partitioning="hive")


def _table_columns(path: str) -> list[str]:
    try:
        if _is_parquet(path):
            return list(_dataset(path).schema.names)
        return list(pd.read_csv(path, nrows=0, dtype=str).columns)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise RunbackError(f"{path}: cannot be read as a table ({e})") from e


def _athlete_values(path: str) -> tuple[pd.Series, str]:
    """The ``athlete`` column of a long table alone (the rest is read by the workers)."""
    col, _ = _find_column(_table_columns(path), "athlete", path, required=True)
    try:
        if _is_parquet(path):
            values = pd.read_parquet(path, columns=[col])[col]
        else:
            values = pd.read_csv(path, usecols=[col], dtype=str, keep_default_na=False)[col]
    except (OSError, ValueError) as e:
        raise RunbackError(f"{path}: cannot be read as a table ({e})") from e
    return values.astype("string").fillna("").str.strip(), col


def _athlete_rows(path: str, name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """One athlete's rows of a long table, as text, with their file lines (header = 1)."""
    col, _ = _find_column(_table_columns(path), "athlete", path, required=True)
    if _is_parquet(path):
        import pyarrow as pa
        import pyarrow.dataset as ds

        dataset = _dataset(path)
        kind = dataset.schema.field(col).type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            # row groups and partitions of other athletes are skipped unread
            df = dataset.to_table(filter=ds.field(col) == name).to_pandas()
            if len(df):
                df = df.astype("string")
                return df.reset_index(drop=True), np.arange(len(df)) + 2
        df = dataset.to_table().to_pandas().astype("string")
        keep = df[col].fillna("").str.strip() == name
        lines = np.flatnonzero(keep.to_numpy()) + 2
        return df[keep].reset_index(drop=True), lines
    parts: list[pd.DataFrame] = []
    part_lines: list[np.ndarray] = []
    start = 0
    with pd.read_csv(path, dtype=str, keep_default_na=False,
                     chunksize=CSV_CHUNK_ROWS) as chunks:
        for chunk in chunks:
            keep = chunk[col].str.strip() == name
            parts.append(chunk[keep])
            part_lines.append(np.flatnonzero(keep.to_numpy()) + start + 2)
            start += len(chunk)
    if not parts:
        return pd.DataFrame(columns=[col]), np.zeros(0, dtype=int)
    return pd.concat(parts, ignore_index=True), np.concatenate(part_lines)


def _raw_activities(rows: pd.DataFrame, lines: np.ndarray, path: str,
                    name: str) -> tuple[pd.DataFrame, list[str]]:
    """A long table's rows -> the raw activity frame the importer assembles."""
    from runback.io.activity_csv.log import _SURFACE_SUB_SPORT
    from runback.io.base import normalize_sport
    from runback.timezones import parse_zone

    cols = list(rows.columns)
    where = f"{path} (athlete {name})"
    start_col, _ = _find_column(cols, "start_time", path, required=True)
    warnings: list[str] = []
    out: list[dict[str, object]] = []
    found = {c: _find_column(cols, c, path) for c in TABLE_COLUMNS if c not in (
        "athlete", "start_time")}
    if found["distance_m"][0] is None and found["moving_time_s"][0] is None:
        raise SchemaError(f"{path}: needs distance_m or moving_time_s beside athlete and "
                          f"start_time; found columns {', '.join(map(str, cols))}")
    for i, line in enumerate(lines):
        r = rows.iloc[i]
        text = str(r[start_col]).strip()
        zone_text = None
        if found["timezone"][0] is not None:
            zone_text = str(r[found["timezone"][0]]).strip() or None
            if zone_text in ("<NA>", "nan"):
                zone_text = None
        start: pd.Timestamp | NaTType  # UTC
        local: pd.Timestamp | NaTType  # wall clock
        try:
            naive = _OFFSET.search(text) is None
            if naive:
                local = wall = pd.Timestamp(text)
                if wall.tzinfo is not None:
                    raise ValueError(text)
                start, offset = pd.NaT, math.nan
                if zone_text:
                    zone = parse_zone(zone_text)
                    aware = wall.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
                    offset = _offset_s(aware)
                    start = aware.tz_convert("UTC")
            else:
                aware = pd.Timestamp(text)
                offset = _offset_s(aware)
                if zone_text:
                    offset = _offset_s(aware.tz_convert(parse_zone(zone_text)))
                start = aware.tz_convert("UTC")
                local = pd.NaT
        except (ValueError, TypeError, RunbackError) as e:
            reason = str(e) if isinstance(e, RunbackError) else f"start_time {text!r} not " \
                "understood (ISO 8601, e.g. 2025-03-04T18:15:00+01:00)"
            warnings.append(f"{where}: row {line}: {reason}; row left out")
            continue

        def number(canonical: str, r: pd.Series = r, line: object = line) -> float:
            col, factor = found[canonical]
            if col is None:
                return math.nan
            v = str(r[col]).strip()
            if v in ("", "<NA>", "nan", "--"):
                return math.nan
            try:
                return float(v) * factor
            except ValueError:
                warnings.append(f"{where}: row {line}: {canonical} {v!r} is not a number; "
                                "left empty")
                return math.nan

        sport_col = found["sport"][0]
        label = str(r[sport_col]).strip() if sport_col is not None else ""
        sport, sub = normalize_sport(label) if label and label != "<NA>" else ("running", None)
        surf_col = found["surface"][0]
        surface = str(r[surf_col]).strip().lower() if surf_col is not None else ""
        if surface and surface != "<na>":
            sub = _SURFACE_SUB_SPORT.get(surface, sub)
        out.append({
            "key": f"table-{zlib.crc32(f'{path}|{name}'.encode()):08x}", "part": len(out),
            "format": "csv", "sport": sport, "sub_sport": sub,
            "start_time": start, "local_start": local, "utc_offset_s": offset,
            "device_distance_m": number("distance_m"),
            "device_moving_s": number("moving_time_s"),
            "device_elapsed_s": number("elapsed_time_s"),
            "device_ascent_m": number("elevation_gain_m"),
            "device_descent_m": number("elevation_loss_m"),
            "device_avg_hr_bpm": number("avg_hr_bpm"),
            "rpe": number("rpe"),
        })
    frame = pd.DataFrame(out)
    if len(frame):
        frame["start_time"] = pd.to_datetime(frame["start_time"], utc=True)
        frame["local_start"] = pd.to_datetime(frame["local_start"])
    return frame, warnings


def _offset_s(stamp: pd.Timestamp) -> float:
    """The UTC offset of an aware stamp. [s]"""
    offset = stamp.utcoffset()
    assert offset is not None  # localized, or read with its offset
    return offset.total_seconds()


def _diary_from_table(path: str, name: str) -> DiaryResult:
    from runback.io.diary import read_diary

    rows, _ = _athlete_rows(path, name)
    col, _ = _find_column(list(rows.columns), "athlete", path, required=True)
    buf = io.StringIO()
    rows.drop(columns=[col]).to_csv(buf, index=False)
    return read_diary(buf.getvalue().encode("utf-8"), name=f"{path} (athlete {name})")
