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

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from runback.errors import NotAnActivityError, ReadError
from runback.io.activity_csv.cells import (
    Header,
    Row,
    RowReader,
    decode_csv,
    delimiter_of,
    read_records,
)
from runback.io.activity_csv.garmin import GARMIN_COLUMNS, garmin_reader
from runback.io.activity_csv.log import LOG_COLUMNS, is_log, log_reader
from runback.io.activity_csv.strava import (
    STRAVA_2018_COLUMNS,
    STRAVA_COLUMNS,
    STRAVA_TYPE_KEYS,
    strava_row,
)
from runback.io.base import ParsedFile, Source, read_source, source_name

__all__ = [
    "read_activity_csv",
    "STRAVA_COLUMNS",
    "STRAVA_2018_COLUMNS",
    "GARMIN_COLUMNS",
    "LOG_COLUMNS",
]


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
    text = decode_csv(read_source(source, name), path)
    text, delimiter = delimiter_of(text)
    records = read_records(text, delimiter, path)
    if not records:
        raise ReadError(path, "empty file")
    (_, labels), body = records[0], records[1:]
    header = Header.of(labels)
    warnings: list[str] = []
    read_row = _layout(header, path, warnings)
    if not body:
        raise NotAnActivityError(path, "no activities: the file has a header but no rows")
    rows: list[dict[str, object]] = []
    for line, cells in body:
        row = Row(line, cells, header, decimal_comma=delimiter == ";", warnings=warnings)
        if len(cells) > len(labels):
            row.warn(f"{len(cells)} values for {len(labels)} columns; the extra values are "
                     "ignored (a comma inside an unquoted field?)")
        values = read_row(row)
        if values is not None:
            rows.append({"part": len(rows), "format": "csv", **values})
    if not rows:
        raise ReadError(path, f"no row could be read ({warnings[0]})")
    return ParsedFile.build(rows, warnings=warnings)


@dataclass(frozen=True)
class _Layout:
    title: str
    expected: str
    matches: Callable[[Header, str], bool]
    reader: Callable[[Header, str], RowReader]


#: Known layouts, tried in order.
_LAYOUTS: tuple[_Layout, ...] = (
    _Layout("Strava activities.csv",
            "Activity ID, Activity Date, Activity Type, Elapsed Time, Distance",
            lambda h, _: h.has("activity_id", "activity_date", "activity_type"),
            lambda h, _: partial(strava_row, columns=STRAVA_COLUMNS,
                                 type_keys=STRAVA_TYPE_KEYS, metres_last=True)),
    _Layout("Strava activities.csv (2018)", "id, date, type, elapsed_time, distance",
            lambda h, _: h.has("id", "date", "type", "elapsed_time", "distance"),
            lambda h, _: partial(strava_row, columns=STRAVA_2018_COLUMNS,
                                 type_keys=("type",), metres_last=False)),
    _Layout("Garmin Connect Activities.csv", "Activity Type, Date, Title, Distance, Time",
            lambda h, _: h.has("activity_type", "date") and (h.has("title") or h.has("favorite")),
            garmin_reader),
    _Layout("activity log", "date, distance and/or duration", is_log, log_reader),
)


def _layout(header: Header, path: str, warnings: list[str]) -> RowReader:
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
