"""Reading a diary: :func:`read_diary` and the ``pain`` table it makes."""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass, field

import pandas as pd

from runback import schema
from runback.errors import DiaryError, ReadError
from runback.io.base import Source, read_regular_file, source_name
from runback.io.diary.parse import (
    _check_row,
    _decode,
    _header,
    _printable,
    _records,
    _sniff_delimiter,
)
from runback.io.diary.vocab import DIARY_COLUMNS, KNOWN_COLUMNS, MAX_DIARY_BYTES


@dataclass
class DiaryResult:
    """What :func:`read_diary` returns.

    Attributes
    ----------
    pain : DataFrame
        The ``pain`` table (:mod:`runback.schema`): one row per valid diary row, sorted by
        date and entry, with the diary ``line`` it came from.
    problems : list of str
        One sentence per problem, each starting with its line: ``"line 7: pain '11' is
        outside 0-10"``.
    """

    pain: pd.DataFrame
    problems: list[str] = field(default_factory=list)


def read_diary(source: Source, *, name: str | None = None,
               today: dt.date | None = None) -> DiaryResult:
    """Read a pain diary CSV file.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file object
        The diary.
    name : str, optional
        What messages call the file (defaults to the path).
    today : datetime.date, optional
        Dates after this day are refused as future dates (defaults to today's local date).

    Returns
    -------
    DiaryResult
        ``pain`` (the ``pain`` table: date, entry, pain [NRS 0-10], location, pain_type,
        timing, sleep_hours [h], stress [0-10], interventions, red_flags, flare, notes, line)
        and ``problems``.

    Raises
    ------
    DiaryError
        When the file cannot be read, is empty, or its header lacks ``date`` or ``pain``
        (the message names the file and the columns found).
    """
    label = source_name(source, name)
    today = today or dt.date.today()
    text, _ = _decode(_read_bytes(source, label), label)
    delimiter = _sniff_delimiter(text)
    records = _records(text, delimiter)
    header_line, header_text, _ = next(records, (0, "", ""))
    if not header_text.strip():
        raise DiaryError(f"{label}: the diary is empty; it needs a header line "
                         f"such as {','.join(DIARY_COLUMNS)}")
    columns = _header(header_text, delimiter, label, header_line)

    rows, problems = [], []
    for line, raw, error in records:
        if error:
            problems.append(f"line {line}: {error}; row left out")
            continue
        try:
            fields = next(csv.reader([raw], delimiter=delimiter, strict=True))
        except csv.Error as e:
            problems.append(f"line {line}: broken quoting ({e}); row left out")
            continue
        if not any(f.strip() for f in fields):
            continue
        extra = [f for f in fields[len(columns):] if f.strip()]
        if extra:
            problems.append(f"line {line}: {len(fields)} fields but the header has "
                            f"{len(columns)} (quote text that holds '{delimiter}'); "
                            f"row left out")
            continue
        values = {c: f for c, f in zip(columns, fields, strict=False) if c in KNOWN_COLUMNS}
        record, fatal, minor = _check_row(values, today, delimiter == ";")
        problems += [f"line {line}: {p}; row left out" for p in fatal]
        problems += [f"line {line}: {p}; field ignored" for p in minor]
        if not fatal:
            record["line"] = line
            rows.append(record)
    return DiaryResult(_pain_frame(rows), [_printable(p) for p in problems])


def _read_bytes(source: Source, label: str) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        if not os.path.lexists(source):
            raise DiaryError(f"{label}: diary file not found")
        try:
            return read_regular_file(source, label, max_bytes=MAX_DIARY_BYTES)
        except ReadError as e:
            raise DiaryError(f"{label}: cannot read the diary: {e.reason}") from e
    data = source.read()
    if isinstance(data, str):
        raise DiaryError(f"{label}: expected a binary file object")
    return data


def _pain_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    if not rows:
        return schema.empty("pain")
    df = pd.DataFrame(rows)
    df["date"] = pd.to_datetime(df["date"])
    df = df.sort_values(["date", "line"], kind="stable").reset_index(drop=True)
    df["entry"] = df.groupby("date").cumcount()
    return schema.conform(df, "pain", extra=False)
