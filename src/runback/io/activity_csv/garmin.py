"""Garmin Connect's ``Activities.csv`` (the "Export CSV" of the activity list).

``Date`` is the local wall clock; distance is in the account's unit (km unless stated).
"""

from __future__ import annotations

from runback.io.activity_csv.cells import (
    DISTANCE_UNITS,
    HEIGHT_UNITS,
    Header,
    Row,
    RowReader,
    Values,
    unit_column,
)
from runback.io.base import normalize_sport

#: Garmin Connect Activities.csv: canonical column -> header keys, the first present wins.
GARMIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "local_start": ("date",),
    "name": ("title",),
    "device_distance_m": ("distance",),
    "device_timer_s": ("time",),
    "device_moving_s": ("moving_time",),
    "device_elapsed_s": ("elapsed_time",),
    "device_ascent_m": ("total_ascent", "elev_gain"),
    "device_descent_m": ("total_descent", "elev_loss"),
    "device_avg_hr_bpm": ("avg_hr",),
    "device_max_hr_bpm": ("max_hr",),
    "calories_kcal": ("calories",),
}

_GARMIN_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")

def garmin_reader(header: Header, path: str) -> RowReader:
    """Resolve a Garmin Connect file's columns once; return the row reader."""
    def place(canonical: str) -> int | None:
        return next((header.where(k)[0] for k in GARMIN_COLUMNS[canonical] if header.has(k)),
                    None)

    durations = {c: place(c) for c in GARMIN_COLUMNS if c.endswith("_s")}
    numbers = {c: place(c) for c in ("device_avg_hr_bpm", "device_max_hr_bpm", "calories_kcal")}
    heights = {c: place(c) for c in ("device_ascent_m", "device_descent_m")}
    distance = unit_column(header, "distance", DISTANCE_UNITS, path)

    def read(row: Row) -> Values | None:
        start = row.when(GARMIN_COLUMNS["local_start"][0], _GARMIN_DATE_FORMATS)
        if start is None:
            return None
        sport, sub_sport = normalize_sport(row.text("activity_type"))
        out: Values = {"device": "Garmin Connect", "sport": sport, "sub_sport": sub_sport,
                     "local_start": start, "name": row.text(*GARMIN_COLUMNS["name"])}
        for c, i in durations.items():
            out[c] = row.read(i, GARMIN_COLUMNS[c][0].replace("_", " "), row.seconds)
        for c, i in numbers.items():
            out[c] = row.read(i, GARMIN_COLUMNS[c][0].replace("_", " "), row.to_float)
        for c, i in heights.items():
            out[c] = row.read(i, GARMIN_COLUMNS[c][0].replace("_", " "),
                              lambda t: row.quantity(t, HEIGHT_UNITS, "m"))
        if distance is not None:
            unit = "m" if sport == "swimming" else (distance[1] or "km")
            out["device_distance_m"] = row.read(
                distance[0], "distance", lambda t: row.quantity(t, DISTANCE_UNITS, unit))
        return out

    return read
