"""Activity logs kept as CSV: Strava's ``activities.csv``, Garmin Connect's ``Activities.csv``
and a hand-kept training log.

Each row is one activity with summary values only (no record stream), so
:func:`read_activity_csv` returns one ``part`` per row and empty ``samples`` and ``laps``.
The layout is recognised from the header; column names are compared after removing case,
spacing, punctuation, HTML tags and a unit in brackets (``"Distance (km)"`` is
``distance_km``).

Layouts
-------
Strava ``activities.csv``, 2020 and later (77 to 99+ columns)
    ``Activity ID, Activity Date, Activity Name, Activity Type, ...``. Several names occur
    twice: the first ``Distance`` is in the athlete's display unit (km or mi) and a later
    ``Distance`` is in metres; the first ``Elapsed Time`` is whole seconds and a later one
    the same in float seconds; ``Max Heart Rate`` and ``Commute`` repeat too. Columns are
    therefore read by position, never by a name-keyed table. The metres column is used,
    the first ``Distance`` (taken as km) only when the metres column is empty. Some
    headers are untranslated labels (``translation missing: ....horton_values.type`` or an
    HTML ``<span>``); their last word is used. Mapping: :data:`STRAVA_COLUMNS`.
Strava ``activities.csv``, 2018 layout (10 lower-case columns)
    ``id, date, name, type, description, elapsed_time, distance, commute, gear, filename``;
    distance in metres. Mapping: :data:`STRAVA_2018_COLUMNS`.
Garmin Connect ``Activities.csv`` (the "Export CSV" of the activity list)
    ``Activity Type, Date, Favorite, Title, Distance, Calories, Time, Avg HR, Max HR, ...,
    Total Ascent, Total Descent, ..., Moving Time, Elapsed Time``. ``Date`` is the local
    wall clock. ``Distance`` is in the account's unit, which the file does not state:
    kilometres are assumed unless the header or the value names the unit
    (``Distance (mi)``, ``6.2 mi``); swims are in metres (pool units). Ascent and descent
    are taken as metres. Numbers may hold thousands separators (``1,234``) and ``--`` marks
    a missing value. Mapping: :data:`GARMIN_COLUMNS`.
Hand-kept activity log
    ``date`` plus ``distance`` and/or ``duration``, optional ``elevation_gain``,
    ``surface``, ``shoe``, ``rpe``, ``notes``, ``type``, ``name``, ``avg_hr``, ``max_hr``;
    defined in ``docs/activity-log.md``. Mapping: :data:`LOG_COLUMNS`.

A pain diary (a ``date`` and a ``pain`` column and no distance or duration) is refused with
:class:`~runback.errors.NotAnActivityError`; anything else raises
:class:`~runback.errors.ReadError` listing the columns each layout expects and those found.

Strava's dates are UTC
----------------------
Strava's ``Activity Date`` (2020 and later) and ``date`` (2018) are the UTC start, not the
local wall clock: in a complete 2020-layout export (6 activities, Munich, 2016-2020) every
date equals the time of the first track point of the GPX file its row names (``Z`` times) to
the second, and in a complete 2018-layout export (Cairo, UTC+2, 115 rows with a GPX file)
all 115 do. The names Strava gives by the local hour agree: in a Canadian athlete's modern
export "Morning Ride/Run" peaks at 14:00 and "Evening" at 00:00 in the file. Strava rows
therefore set ``start_time`` (UTC) and leave ``local_start`` and ``utc_offset_s`` missing.
Garmin's ``Date`` and the hand log's ``date`` are local wall clock: they set
``local_start`` and leave ``start_time`` and ``utc_offset_s`` missing. A hand-log date
without a time gives ``local_start`` at midnight; with ``start_time`` missing, a midnight
``local_start`` from a log means "time of day unknown".

Reading rules
-------------
Encoding: UTF-8 with or without a byte order mark, UTF-16 with a byte order mark, else
Windows-1252 and finally Latin-1. Delimiter: ``,``, ``;`` or tab, whichever splits the header
into most fields (an Excel ``sep=`` first line is honoured). In a ``;``-delimited file a lone
comma in a number is a decimal comma (``10,5`` is 10.5); in a ``,``-delimited file
``1,234`` is one thousand two hundred and thirty-four. Rows whose date cannot be read are
skipped and reported as ``"row 17: date 'xx' not understood"``, where the row number is the
line of the file (the header is row 1); values that cannot be read are left missing and
reported the same way. Blank lines are ignored. Stored values are SI: metres and seconds.
"""

from __future__ import annotations

import csv
import html
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import pandas as pd

from runback.errors import NotAnActivityError, ReadError
from runback.io.base import ParsedFile, Source, normalize_sport, read_source, source_name

__all__ = [
    "read_activity_csv",
    "STRAVA_COLUMNS",
    "STRAVA_2018_COLUMNS",
    "GARMIN_COLUMNS",
    "LOG_COLUMNS",
]

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

#: Strava's activity-type columns, the more specific first.
_STRAVA_TYPE_KEYS = ("sport_type", "activity_type")

#: Hand-log surface -> sub_sport.
_SURFACE_SUB_SPORT: dict[str, str] = {
    "road": "street",
    "street": "street",
    "trail": "trail",
    "track": "track",
    "treadmill": "treadmill",
}

#: Sports on foot: only their gear is a shoe (a ride's gear is a bike).
_FOOT_SPORTS = frozenset({"running", "walking", "hiking"})

_METRE = 1.0
_KM = 1000.0
_MILE = 1609.344
_FOOT = 0.3048

#: Units a distance may carry, in its header suffix or in its value -> metres.
_DISTANCE_UNITS: dict[str, float] = {
    "m": _METRE, "meter": _METRE, "meters": _METRE, "metre": _METRE, "metres": _METRE,
    "k": _KM, "km": _KM, "kms": _KM, "kilometer": _KM, "kilometers": _KM,
    "kilometre": _KM, "kilometres": _KM,
    "mi": _MILE, "mile": _MILE, "miles": _MILE,
    "yd": 0.9144, "yds": 0.9144, "yard": 0.9144, "yards": 0.9144,
}
#: Units an elevation gain may carry -> metres.
_HEIGHT_UNITS: dict[str, float] = {
    "m": _METRE, "meter": _METRE, "meters": _METRE, "metre": _METRE, "metres": _METRE,
    "ft": _FOOT, "feet": _FOOT, "foot": _FOOT,
}
#: Units of a plain-number duration (from the header suffix) -> seconds.
_DURATION_UNITS: dict[str, float] = {
    "s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0,
    "min": 60.0, "mins": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hours": 3600.0,
}
_ALL_UNITS = frozenset(_DISTANCE_UNITS) | frozenset(_HEIGHT_UNITS) | frozenset(_DURATION_UNITS)

#: Hand-log columns that carry a unit: header key -> (units, unit of a plain number).
_LOG_UNIT_COLUMNS: dict[str, tuple[dict[str, float], str]] = {
    "distance": (_DISTANCE_UNITS, "km"),
    "duration": (_DURATION_UNITS, "min"),
    "elevation_gain": (_HEIGHT_UNITS, "m"),
    "ascent": (_HEIGHT_UNITS, "m"),
}

_STRAVA_DATE_FORMATS = (
    "%b %d, %Y, %I:%M:%S %p",  # Oct 5, 2014, 4:15:21 PM
    "%Y-%m-%d %H:%M:%S",  # 2014-09-12 16:54:28 (2018 layout)
    "%d %b %Y, %H:%M:%S",  # 5 Oct 2014, 16:15:21
    "%Y-%m-%dT%H:%M:%SZ",
)
_GARMIN_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
_LOG_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)

_MISSING = frozenset({"", "--", "-", "n/a", "na", "nan", "none", "null"})
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_QUANTITY = re.compile(r"(?P<number>[+-]?[\d.,]*\d)\s*(?P<unit>[a-z]+)?\.?")
_DURATION_WORDS = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hours?)\s*)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:m|min|mins|minutes?|')\s*)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?|\")\s*)?"
)
_HOURS_MINUTES = re.compile(r"(\d+)\s*h\s*(\d{1,2})")  # 1h05
_TAG = re.compile(r"<[^>]*>")
_UNTRANSLATED = re.compile(r"translation missing:.*\.(\w+)", re.IGNORECASE)
_BRACKET_UNIT = re.compile(r"(.*?)\s*\(([^)]*)\)")
_DELIMITERS = (",", ";", "\t")


def read_activity_csv(source: Source, *, name: str | None = None) -> ParsedFile:
    """Read an activity log in CSV form: one activity per row, summary values only.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file object
        Strava ``activities.csv`` (2018 or 2020+ layout), Garmin Connect
        ``Activities.csv`` or a hand-kept log (``docs/activity-log.md``).
    name : str, optional
        What error messages call the file (defaults to the path).

    Returns
    -------
    ParsedFile
        ``activities`` (``raw_activities``): one row per readable CSV row, ``part`` 0, 1, ...
        in file order, ``format`` "csv"; columns ``sport``, ``sub_sport``, ``name``,
        ``description``, ``start_time`` (UTC, Strava), ``local_start`` (Garmin, log),
        ``device_elapsed_s`` [s], ``device_timer_s`` [s], ``device_moving_s`` [s],
        ``device_distance_m`` [m], ``device_ascent_m`` [m], ``device_descent_m`` [m],
        ``device_avg_hr_bpm`` [1/min], ``device_max_hr_bpm`` [1/min], ``calories_kcal``
        [kcal], ``shoe``, ``rpe`` [CR-10, 0-10], ``file_ref`` (path relative to the CSV).
        ``samples`` and ``laps`` are empty. ``warnings`` lists skipped rows and values that
        could not be read, each as ``"row N: ..."``.

    Raises
    ------
    NotAnActivityError
        The file is a pain diary, or a log with a header and no rows.
    ReadError
        The file is empty, binary, of no known layout (the message lists the columns each
        layout expects and those found), or no row has a readable date.
    """
    path = source_name(source, name)
    text = _decode(read_source(source, name), path)
    text, delimiter = _delimiter(text)
    records = _records(text, delimiter, path)
    if not records:
        raise ReadError(path, "empty file")
    (_, labels), body = records[0], records[1:]
    header = _Header.of(labels)
    warnings: list[str] = []
    read_row = _layout(header, path, warnings)
    if not body:
        raise NotAnActivityError(path, "no activities: the file has a header but no rows")
    rows = []
    for line, cells in body:
        row = _Row(line, cells, header, decimal_comma=delimiter == ";", warnings=warnings)
        if len(cells) > len(labels):
            row.warn(f"{len(cells)} values for {len(labels)} columns; the extra values are "
                     "ignored (a comma inside an unquoted field?)")
        values = read_row(row)
        if values is not None:
            rows.append({"part": len(rows), "format": "csv", **values})
    if not rows:
        raise ReadError(path, f"no row could be read ({warnings[0]})")
    return ParsedFile.build(rows, warnings=warnings)


# --- text, delimiter and records -------------------------------------------------------------

def _decode(data: bytes, path: str) -> str:
    """Decode ``data``: UTF-16 or UTF-8 by byte order mark, else UTF-8, cp1252, latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise ReadError(path, "not valid UTF-16 text although it starts with a UTF-16 "
                                  "byte order mark", e.start) from e
    if b"\x00" in data[:4096]:
        raise ReadError(path, "not a text file (binary data): expected a CSV activity log")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _delimiter(text: str) -> tuple[str, str]:
    """The text without an Excel ``sep=`` line, and the delimiter of its header."""
    first, _, rest = text.partition("\n")
    hint = re.fullmatch(r"sep=(.)\r?", first.strip("\ufeff"))
    if hint:
        return "\n" + rest, hint.group(1)
    header = text.lstrip().partition("\n")[0]
    counts = {d: _n_cells(header, d) for d in _DELIMITERS}
    return text, max(_DELIMITERS, key=lambda d: counts[d])


def _n_cells(line: str, delimiter: str) -> int:
    """Cells of one line split by ``delimiter``; 0 when it is not one CSV record."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:
        return 0


def _records(text: str, delimiter: str, path: str) -> list[tuple[int, list[str]]]:
    """Non-blank records as ``(line number where the record starts, cells)``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out = []
    start = 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                out.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as e:
        raise ReadError(path, f"not a readable CSV file: {e}", f"line {reader.line_num}") from e
    return out


# --- header -----------------------------------------------------------------------------------

def _column_key(label: str) -> str:
    """Header label -> comparison key: ``"Distance (km)"`` -> ``distance_km``."""
    text = html.unescape(_TAG.sub("", label)).strip().lstrip("\ufeff")
    untranslated = _UNTRANSLATED.fullmatch(text)
    if untranslated:
        text = untranslated.group(1)
    bracket = _BRACKET_UNIT.fullmatch(text)
    if bracket:
        unit = _slug(bracket.group(2))
        text = f"{bracket.group(1)} {unit}" if unit in _ALL_UNITS else bracket.group(1)
    return _slug(text)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True)
class _Header:
    labels: tuple[str, ...]
    keys: tuple[str, ...]
    positions: dict[str, list[int]]

    @classmethod
    def of(cls, labels: list[str]) -> _Header:
        keys = tuple(_column_key(x) for x in labels)
        positions: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            positions.setdefault(key, []).append(i)
        return cls(tuple(labels), keys, positions)

    def where(self, key: str) -> list[int]:
        """Positions of every column with ``key``, in file order."""
        return self.positions.get(key, [])

    def has(self, *keys: str) -> bool:
        return all(k in self.positions for k in keys)

    def shown(self, limit: int = 20) -> str:
        """The labels found, as a message shows them."""
        names = [re.sub(r"\s+", " ", html.unescape(_TAG.sub("", x))).strip() for x in self.labels]
        more = f" ... ({len(names)} in all)" if len(names) > limit else ""
        return ", ".join(names[:limit]) + more


# --- values -----------------------------------------------------------------------------------

def _to_float(text: str, decimal_comma: bool) -> float:
    """A number as logs write it; NaN when missing.

    Raises
    ------
    ValueError
        When the text is not a number.
    """
    t = text.strip().lstrip("'").replace("\u00a0", "").replace(" ", "")
    if t.lower() in _MISSING:
        return math.nan
    if "," in t and "." in t:
        if t.rfind(",") > t.rfind("."):
            t = t.replace(".", "").replace(",", ".")
        else:
            t = t.replace(",", "")
    elif "," in t:
        if (not decimal_comma and _THOUSANDS.fullmatch(t)) or t.count(",") > 1:
            t = t.replace(",", "")
        else:
            t = t.replace(",", ".")
    if not _FLOAT.fullmatch(t):
        raise ValueError(text)
    return float(t)


def _to_quantity(text: str, units: dict[str, float], default: str, decimal_comma: bool) -> float:
    """A value with an optional unit (``"10 km"``, ``"6.2 mi"``, ``"10k"``) in SI.

    A plain number is in ``default``; NaN when missing.

    Raises
    ------
    ValueError
        When the number or the unit is not understood.
    """
    t = text.strip().lower()
    if t in _MISSING:
        return math.nan
    m = _QUANTITY.fullmatch(t)
    if not m or (m.group("unit") or default) not in units:
        raise ValueError(text)
    return _to_float(m.group("number"), decimal_comma) * units[m.group("unit") or default]


def _to_seconds(text: str, plain_unit_s: float, decimal_comma: bool) -> float:
    """A duration in seconds; NaN when missing.

    Accepts ``h:mm:ss``, ``mm:ss`` (fractions of a second allowed), words (``52 min``,
    ``1h05``, ``1 h 5 min``, ``90 s``) and a plain number in units of ``plain_unit_s``.

    Raises
    ------
    ValueError
        When the text is not a duration.
    """
    t = text.strip().lower()
    if t in _MISSING:
        return math.nan
    if ":" in t:
        parts = [_to_float(p, decimal_comma) for p in t.split(":")]
        if len(parts) > 3 or any(p >= 60 or p < 0 for p in parts[1:]) or parts[0] < 0:
            raise ValueError(text)
        return sum(p * 60.0**i for i, p in enumerate(reversed(parts)))
    if _FLOAT.fullmatch(t.replace(",", ".")):
        return _to_float(t, decimal_comma) * plain_unit_s
    t = t.replace(",", ".")
    short = _HOURS_MINUTES.fullmatch(t)
    if short:
        return float(short.group(1)) * 3600.0 + float(short.group(2)) * 60.0
    m = _DURATION_WORDS.fullmatch(t)
    if not m or not any(m.groups()):
        raise ValueError(text)
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600.0 + mi * 60.0 + s


#: Years a row's date may fall in; others are typos (``0024``) a table cannot hold.
MIN_YEAR, MAX_YEAR = 1900, 2199


def _to_datetime(text: str, formats: tuple[str, ...]) -> datetime:
    """Parse ``text`` with the first of ``formats`` that fits.

    Raises
    ------
    ValueError
        When none fits.
    """
    t = " ".join(text.split())
    for fmt in formats:
        try:
            return datetime.strptime(t, fmt)
        except ValueError:
            continue
    raise ValueError(text)


@dataclass
class _Row:
    """One CSV record with the reading helpers; unreadable values become warnings."""

    line: int
    cells: list[str]
    header: _Header
    decimal_comma: bool
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(f"row {self.line}: {message}")

    def cell(self, index: int) -> str | None:
        value = self.cells[index].strip() if index < len(self.cells) else ""
        return value or None

    def text(self, *keys: str) -> str | None:
        """The first non-empty cell among the columns of ``keys``."""
        for key in keys:
            for i in self.header.where(key):
                value = self.cell(i)
                if value is not None:
                    return value
        return None

    def read(self, index: int | None, label: str, parse: Callable[[str], float]) -> float:
        """Parse cell ``index`` with ``parse``; NaN with a warning when it fails."""
        value = None if index is None else self.cell(index)
        if value is None:
            return math.nan
        try:
            return parse(value)
        except ValueError:
            self.warn(f"{label} '{value}' not understood")
            return math.nan

    def number(self, *keys: str, occurrence: int | None = None) -> float:
        """The first number among the columns of ``keys`` (or their ``occurrence``-th)."""
        for key in keys:
            places = self.header.where(key)
            if places and occurrence is not None:
                places = [places[occurrence]]
            for i in places:
                value = self.read(i, key.replace("_", " "), self.to_float)
                if not math.isnan(value):
                    return value
        return math.nan

    def to_float(self, text: str) -> float:
        return _to_float(text, self.decimal_comma)

    def seconds(self, text: str, plain_unit_s: float = 1.0) -> float:
        return _to_seconds(text, plain_unit_s, self.decimal_comma)

    def quantity(self, text: str, units: dict[str, float], default: str) -> float:
        return _to_quantity(text, units, default, self.decimal_comma)

    def when(self, key: str, formats: tuple[str, ...]) -> datetime | None:
        """The date of column ``key``; None, with a warning, when it cannot be read."""
        value = self.text(key)
        try:
            when = _to_datetime(value or "", formats)
        except ValueError:
            what = f"date '{value}' not understood" if value else "no date"
            self.warn(f"{what}; row skipped")
            return None
        if not MIN_YEAR <= when.year <= MAX_YEAR:
            self.warn(f"date '{value}' is outside the years {MIN_YEAR}-{MAX_YEAR}; row skipped")
            return None
        return when


def _rpe(row: _Row, value: float) -> float:
    """``value`` when it is a CR-10 rating (0-10), else NaN with a warning."""
    if math.isnan(value) or 0 <= value <= 10:
        return value
    row.warn(f"rpe {value:g} outside 0-10; left out")
    return math.nan


# --- layouts ----------------------------------------------------------------------------------

RowReader = Callable[[_Row], dict | None]


def _strava_row(row: _Row, columns: dict[str, str], type_keys: tuple[str, ...],
                metres_last: bool) -> dict | None:
    """One Strava row; ``metres_last``: the last ``distance`` is metres, the first km."""
    start = row.when(columns["start_time"], _STRAVA_DATE_FORMATS)
    if start is None:
        return None
    sport, sub_sport = normalize_sport(row.text(*type_keys))
    out: dict = {
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
            distance = row.number(key, occurrence=0) * _KM
    else:
        distance = row.number(key)
    out["device_distance_m"] = distance
    if sport not in _FOOT_SPORTS:
        out["shoe"] = None
    out["rpe"] = _rpe(row, out.get("rpe", math.nan))
    return out


def _unit_column(header: _Header, base: str,
                 units: dict[str, float], path: str) -> tuple[int, str] | None:
    """The column ``base`` or ``base_<unit>``: (position, unit suffix or "")."""
    found = [(i, k[len(base) + 1:] if k != base else "") for i, k in enumerate(header.keys)
             if k == base or (k.startswith(base + "_") and k[len(base) + 1:] in units)]
    if len(found) > 1:
        names = " and ".join(f"'{header.labels[i]}'" for i, _ in found)
        raise ReadError(path, f"columns {names} both give {base.replace('_', ' ')}: keep one")
    return found[0] if found else None


def _garmin_reader(header: _Header, path: str) -> RowReader:
    """Resolve a Garmin Connect file's columns once; return the row reader."""
    def place(canonical: str) -> int | None:
        return next((header.where(k)[0] for k in GARMIN_COLUMNS[canonical] if header.has(k)),
                    None)

    durations = {c: place(c) for c in GARMIN_COLUMNS if c.endswith("_s")}
    numbers = {c: place(c) for c in ("device_avg_hr_bpm", "device_max_hr_bpm", "calories_kcal")}
    heights = {c: place(c) for c in ("device_ascent_m", "device_descent_m")}
    distance = _unit_column(header, "distance", _DISTANCE_UNITS, path)

    def read(row: _Row) -> dict | None:
        start = row.when(GARMIN_COLUMNS["local_start"][0], _GARMIN_DATE_FORMATS)
        if start is None:
            return None
        sport, sub_sport = normalize_sport(row.text("activity_type"))
        out: dict = {"device": "Garmin Connect", "sport": sport, "sub_sport": sub_sport,
                     "local_start": start, "name": row.text(*GARMIN_COLUMNS["name"])}
        for c, i in durations.items():
            out[c] = row.read(i, GARMIN_COLUMNS[c][0].replace("_", " "), row.seconds)
        for c, i in numbers.items():
            out[c] = row.read(i, GARMIN_COLUMNS[c][0].replace("_", " "), row.to_float)
        for c, i in heights.items():
            out[c] = row.read(i, GARMIN_COLUMNS[c][0].replace("_", " "),
                              lambda t: row.quantity(t, _HEIGHT_UNITS, "m"))
        if distance is not None:
            unit = "m" if sport == "swimming" else (distance[1] or "km")
            out["device_distance_m"] = row.read(
                distance[0], "distance", lambda t: row.quantity(t, _DISTANCE_UNITS, unit))
        return out

    return read


def _log_reader(header: _Header, path: str) -> RowReader:
    """Resolve a hand-kept log's columns once; return the row reader."""
    places: dict[str, tuple[int, str, str]] = {}  # canonical -> (position, key, unit)
    for key, canonical in LOG_COLUMNS.items():
        if key in _LOG_UNIT_COLUMNS:
            found = _unit_column(header, key, _LOG_UNIT_COLUMNS[key][0], path)
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

    def cell(row: _Row, canonical: str) -> str | None:
        return row.cell(places[canonical][0]) if canonical in places else None

    def measured(row: _Row, canonical: str) -> float:
        if canonical not in places:
            return math.nan
        i, key, unit = places[canonical]
        units, default = _LOG_UNIT_COLUMNS[key]
        if key == "duration":
            plain = units[unit or default]
            return row.read(i, key, lambda t: row.seconds(t, plain))
        return row.read(i, key.replace("_", " "),
                        lambda t: row.quantity(t, units, unit or default))

    def read(row: _Row) -> dict | None:
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
        numbers = {c: row.read(places[c][0], places[c][1].replace("_", " "), row.to_float)
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
            "rpe": _rpe(row, numbers.get("rpe", math.nan)),
        }

    return read


def _is_log(header: _Header, path: str) -> bool:
    return header.has("date") and any(
        _unit_column(header, k, _LOG_UNIT_COLUMNS[k][0], path) for k in ("distance", "duration"))


@dataclass(frozen=True)
class _Layout:
    title: str
    expected: str
    matches: Callable[[_Header, str], bool]
    reader: Callable[[_Header, str], RowReader]


#: Known layouts, tried in order.
_LAYOUTS: tuple[_Layout, ...] = (
    _Layout("Strava activities.csv",
            "Activity ID, Activity Date, Activity Type, Elapsed Time, Distance",
            lambda h, _: h.has("activity_id", "activity_date", "activity_type"),
            lambda h, _: partial(_strava_row, columns=STRAVA_COLUMNS,
                                 type_keys=_STRAVA_TYPE_KEYS, metres_last=True)),
    _Layout("Strava activities.csv (2018)", "id, date, type, elapsed_time, distance",
            lambda h, _: h.has("id", "date", "type", "elapsed_time", "distance"),
            lambda h, _: partial(_strava_row, columns=STRAVA_2018_COLUMNS,
                                 type_keys=("type",), metres_last=False)),
    _Layout("Garmin Connect Activities.csv", "Activity Type, Date, Title, Distance, Time",
            lambda h, _: h.has("activity_type", "date") and (h.has("title") or h.has("favorite")),
            _garmin_reader),
    _Layout("activity log", "date, distance and/or duration", _is_log, _log_reader),
)


def _layout(header: _Header, path: str, warnings: list[str]) -> RowReader:
    """The row reader for the layout of ``header``.

    Raises
    ------
    NotAnActivityError
        For a pain diary.
    ReadError
        For an unknown layout, listing the expected and found columns.
    """
    for layout in _LAYOUTS:
        if layout.matches(header, path):
            if header.has("pain"):
                warnings.append("the pain column is not read from an activity log: "
                                "pass the file with --diary as well")
            return layout.reader(header, path)
    if header.has("date", "pain"):
        raise NotAnActivityError(path, "a pain diary, not an activity log: pass it with --diary")
    expected = "; ".join(f"{x.title} ({x.expected})" for x in _LAYOUTS)
    raise ReadError(path, f"not a known activity CSV; expected {expected}; "
                          f"found columns: {header.shown()}")
