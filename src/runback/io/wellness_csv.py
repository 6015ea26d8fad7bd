"""Read a daily wellness CSV (intervals.icu's wellness export, and tables like it).

intervals.icu exports one row per day with ``date`` (or ``id``), ``restingHR`` [1/min],
``hrv`` (RMSSD [ms]), ``hrvSDNN`` [ms], ``sleepSecs`` [s] (or ``sleepHours``), and the
1-4 ratings ``soreness``, ``fatigue``, ``stress``, ``mood``, ``motivation``. Headers are
matched without case, spaces or underscores. The file may come from a spreadsheet in
another language's convention: fields separated by ``;`` or tabs and decimal commas
(``7,5``) are read as well as ``,`` and decimal points; the separator is the one that
splits the header into the most known columns.

A CSV without a date column and at least one wellness column (resting HR, HRV or sleep) is
not a wellness file (:class:`~runback.errors.NotWellnessError`); so is a pain diary (a
``pain`` column), whose sleep and stress are read from the diary itself.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

from runback.errors import NotWellnessError, ReadError
from runback.io.base import Source, read_source, source_name
from runback.io.garmin_wellness import observations

__all__ = ["read_wellness_csv", "WELLNESS_COLUMNS"]

#: Normalised header -> (metric, kind, factor to the metric's unit).
WELLNESS_COLUMNS = {
    "restinghr": ("resting_hr_bpm", None, 1.0),
    "rhr": ("resting_hr_bpm", None, 1.0),
    "hrv": ("hrv_ms", "rmssd", 1.0),
    "hrvrmssd": ("hrv_ms", "rmssd", 1.0),
    "hrvsdnn": ("hrv_ms", "sdnn", 1.0),
    "sleepsecs": ("sleep_h", None, 1 / 3600.0),
    "sleephours": ("sleep_h", None, 1.0),
    "stress": ("stress", "intervals.icu 1-4", 1.0),
}
_DATE_COLUMNS = ("date", "id", "day")
_CORE = {"resting_hr_bpm", "hrv_ms", "sleep_h"}


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]", "", header.strip().lower())


def _number(text: str, decimal_comma: bool) -> float:
    t = text.strip()
    if not t:
        return float("nan")
    if decimal_comma:
        t = t.replace(".", "").replace(",", ".") if "," in t else t
    try:
        return float(t)
    except ValueError:
        return float("nan")


def read_wellness_csv(source: Source, *, name: str | None = None) -> pd.DataFrame:
    """Observations from a daily wellness CSV.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file
        The CSV file.
    name : str, optional
        What messages call the file.

    Returns
    -------
    DataFrame
        Observations (:data:`runback.io.garmin_wellness.OBSERVATION_COLUMNS`):
        ``resting_hr_bpm`` [1/min], ``hrv_ms`` [ms] (kind ``rmssd`` or ``sdnn``),
        ``sleep_h`` [h], ``stress`` (kind ``intervals.icu 1-4``); source
        ``intervals.icu``, not a watch.

    Raises
    ------
    ReadError
        The bytes are not text.
    NotWellnessError
        No date column and wellness column, or a pain diary.
    """
    name = source_name(source, name)
    data = read_source(source, name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ReadError(name, "not a text file")
    lines = text.splitlines()
    if not lines:
        raise NotWellnessError(name, "empty file")
    def layout(sep: str) -> tuple[int, str, list[str]]:
        keys = [_key(h) for h in next(csv.reader([lines[0]], delimiter=sep))]
        return sum(k in WELLNESS_COLUMNS for k in keys), sep, keys

    # the separator naming the most known columns; the first of a tie
    _, sep, keys = max((layout(sep) for sep in (",", ";", "\t")), key=lambda t: t[0])
    if "pain" in keys:
        raise NotWellnessError(name, "a pain diary, not a wellness file")
    date_col = next((keys.index(k) for k in _DATE_COLUMNS if k in keys), None)
    cols = {i: WELLNESS_COLUMNS[k] for i, k in enumerate(keys) if k in WELLNESS_COLUMNS}
    if date_col is None or not {m for m, _, _ in cols.values()} & _CORE:
        raise NotWellnessError(name, "no date and wellness (resting HR, HRV, sleep) columns")
    rows_in = list(csv.reader(io.StringIO(text), delimiter=sep))[1:]
    # a comma inside a number, with ';' or tabs between fields: a decimal comma
    decimal_comma = sep != "," and any(
        re.fullmatch(r"-?\d+,\d+", r[i].strip()) for r in rows_in for i in cols if i < len(r))
    rows = []
    for r in rows_in:
        if date_col >= len(r):
            continue
        try:
            day = pd.Timestamp(r[date_col].strip()[:10])
        except ValueError:
            continue
        if pd.isna(day):
            continue
        for i, (metric, kind, factor) in cols.items():
            value = _number(r[i], decimal_comma) * factor if i < len(r) else float("nan")
            if value == value:
                rows.append({"date": day, "metric": metric, "kind": kind, "value": value,
                             "source": "intervals.icu", "watch": False, "start": None,
                             "end": None})
    return observations(rows)
