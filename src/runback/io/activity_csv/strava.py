"""Strava's ``activities.csv``: the 2020-and-later layout and the 2018 layout.

Dates are UTC (see :mod:`runback.io.activity_csv`); columns are read by position, since
several names occur twice.
"""

from __future__ import annotations

import math

import pandas as pd

from runback.io.activity_csv.cells import FOOT_SPORTS, KM, Row, Values, rpe_value
from runback.io.base import normalize_sport

#: Strava (2020 and later): canonical column -> header key (first non-empty occurrence).
#: ``device_distance_m`` is special: the last ``distance`` (metres), else the first (km).
STRAVA_COLUMNS: dict[str, str] = {
    "start_time": "activity_date",
    "name": "activity_name",
    "description": "activity_description",
    "device_elapsed_s": "elapsed_time",
    "device_moving_s": "moving_time",
    "device_distance_m": "distance",
    "device_ascent_m": "elevation_gain",
    "device_descent_m": "elevation_loss",
    "device_avg_hr_bpm": "average_heart_rate",
    "device_max_hr_bpm": "max_heart_rate",
    "calories_kcal": "calories",
    "shoe": "activity_gear",
    "rpe": "perceived_exertion",
    "file_ref": "filename",
}

#: Strava 2018 layout: canonical column -> header key (distance in metres).
STRAVA_2018_COLUMNS: dict[str, str] = {
    "start_time": "date",
    "name": "name",
    "description": "description",
    "device_elapsed_s": "elapsed_time",
    "device_distance_m": "distance",
    "shoe": "gear",
    "file_ref": "filename",
}

#: Strava's activity-type columns, the more specific first.
STRAVA_TYPE_KEYS = ("sport_type", "activity_type")

_STRAVA_DATE_FORMATS = (
    "%b %d, %Y, %I:%M:%S %p",  # Oct 5, 2014, 4:15:21 PM
    "%Y-%m-%d %H:%M:%S",  # 2014-09-12 16:54:28 (2018 layout)
    "%d %b %Y, %H:%M:%S",  # 5 Oct 2014, 16:15:21
    "%Y-%m-%dT%H:%M:%SZ",
)

def strava_row(row: Row, columns: dict[str, str], type_keys: tuple[str, ...],
                metres_last: bool) -> Values | None:
    """One Strava row; ``metres_last``: the last ``distance`` is metres, the first km."""
    start = row.when(columns["start_time"], _STRAVA_DATE_FORMATS)
    if start is None:
        return None
    sport, sub_sport = normalize_sport(row.text(*type_keys))
    out: Values = {
        "device": "Strava",
        "sport": sport,
        "sub_sport": sub_sport,
        "start_time": pd.Timestamp(start, tz="UTC"),
    }
    for canonical, key in columns.items():
        if canonical in ("start_time", "device_distance_m"):
            continue
        if canonical in ("name", "description", "shoe", "file_ref"):
            out[canonical] = row.text(key)
        else:
            out[canonical] = row.number(key)
    key = columns["device_distance_m"]
    if metres_last and len(row.header.where(key)) > 1:
        distance = row.number(key, occurrence=-1)
        if math.isnan(distance):
            distance = row.number(key, occurrence=0) * KM
    else:
        distance = row.number(key)
    out["device_distance_m"] = distance
    if sport not in FOOT_SPORTS:
        out["shoe"] = None
    out["rpe"] = rpe_value(row, out.get("rpe", math.nan))
    return out
