"""A hand-kept activity log (``docs/activity-log.md``): a date plus distance and/or duration.
"""

from __future__ import annotations

import math

from runback.errors import ReadError
from runback.io.activity_csv.cells import (
    DISTANCE_UNITS,
    DURATION_UNITS,
    HEIGHT_UNITS,
    Header,
    Row,
    RowReader,
    Values,
    rpe_value,
    unit_column,
)
from runback.io.base import normalize_sport

#: Hand-kept log: header key (before any unit suffix) -> canonical column.
LOG_COLUMNS: dict[str, str] = {
    "date": "local_start",
    "distance": "device_distance_m",
    "duration": "device_moving_s",
    "elevation_gain": "device_ascent_m",
    "ascent": "device_ascent_m",
    "surface": "sub_sport",
    "type": "sport",
    "sport": "sport",
    "activity_type": "sport",
    "shoe": "shoe",
    "shoes": "shoe",
    "rpe": "rpe",
    "notes": "description",
    "note": "description",
    "comments": "description",
    "name": "name",
    "title": "name",
    "avg_hr": "device_avg_hr_bpm",
    "max_hr": "device_max_hr_bpm",
}

#: Hand-log surface -> sub_sport.
_SURFACE_SUB_SPORT: dict[str, str] = {
    "road": "street",
    "street": "street",
    "trail": "trail",
    "track": "track",
    "treadmill": "treadmill",
}

#: Hand-log columns that carry a unit: header key -> (units, unit of a plain number).
_LOG_UNIT_COLUMNS: dict[str, tuple[dict[str, float], str]] = {
    "distance": (DISTANCE_UNITS, "km"),
    "duration": (DURATION_UNITS, "min"),
    "elevation_gain": (HEIGHT_UNITS, "m"),
    "ascent": (HEIGHT_UNITS, "m"),
}

_LOG_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


def log_reader(header: Header, path: str) -> RowReader:
    """Resolve a hand-kept log's columns once; return the row reader."""
    places: dict[str, tuple[int, str, str]] = {}  # canonical -> (position, key, unit)
    for key, canonical in LOG_COLUMNS.items():
        if key in _LOG_UNIT_COLUMNS:
            found = unit_column(header, key, _LOG_UNIT_COLUMNS[key][0], path)
            hit = None if found is None else (found[0], key, found[1])
        else:
            where = header.where(key)
            if len(where) > 1:
                raise ReadError(path, f"column '{header.labels[where[0]]}' appears "
                                      f"{len(where)} times: keep one")
            hit = (where[0], key, "") if where else None
        if hit is None:
            continue
        if canonical in places:
            other = header.labels[places[canonical][0]]
            raise ReadError(path, f"columns '{other}' and '{header.labels[hit[0]]}' both give "
                                  f"{canonical}: keep one")
        places[canonical] = hit

    def cell(row: Row, canonical: str) -> str | None:
        return row.cell(places[canonical][0]) if canonical in places else None

    def measured(row: Row, canonical: str) -> float:
        if canonical not in places:
            return math.nan
        i, key, unit = places[canonical]
        units, default = _LOG_UNIT_COLUMNS[key]
        if key == "duration":
            plain = units[unit or default]
            return row.read(i, key, lambda t: row.seconds(t, plain))
        return row.read(i, key.replace("_", " "),
                        lambda t: row.quantity(t, units, unit or default))

    def read(row: Row) -> Values | None:
        start = row.when(header.keys[places["local_start"][0]], _LOG_DATE_FORMATS)
        if start is None:
            return None
        measures = {c: measured(row, c)
                    for c in ("device_distance_m", "device_moving_s", "device_ascent_m")}
        label = cell(row, "sport")
        sport, sub_sport = normalize_sport(label) if label else ("running", None)
        surface = cell(row, "sub_sport")
        if surface is not None:
            sub_sport = _SURFACE_SUB_SPORT.get(surface.lower())
            if sub_sport is None:
                row.warn(f"surface '{surface}' not one of "
                         f"{', '.join(sorted(set(_SURFACE_SUB_SPORT) - {'street'}))}")
        numbers: dict[str, float] = {
            c: row.read(places[c][0], places[c][1].replace("_", " "), row.to_float)
            for c in ("device_avg_hr_bpm", "device_max_hr_bpm", "rpe") if c in places}
        return {
            "sport": sport,
            "sub_sport": sub_sport,
            "local_start": start,
            "name": cell(row, "name"),
            "description": cell(row, "description"),
            "shoe": cell(row, "shoe"),
            **measures,
            **numbers,
            "rpe": rpe_value(row, numbers.get("rpe", math.nan)),
        }

    return read


def is_log(header: Header, path: str) -> bool:
    return header.has("date") and any(
        unit_column(header, k, _LOG_UNIT_COLUMNS[k][0], path) for k in ("distance", "duration"))
