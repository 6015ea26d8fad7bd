"""What every activity-log layout shares: text, delimiter, records, header, values, rows.

See :mod:`runback.io.activity_csv` for the reading rules.
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
from typing import Any

from runback.errors import ReadError
from runback.io.text import BINARY, TextDecodeError, decode_text

#: Sports on foot: only their gear is a shoe (a ride's gear is a bike).
FOOT_SPORTS = frozenset({"running", "walking", "hiking"})

_METRE = 1.0
KM = 1000.0
_MILE = 1609.344
_FOOT = 0.3048

#: Units a distance may carry, in its header suffix or in its value -> metres.
DISTANCE_UNITS: dict[str, float] = {
    "m": _METRE, "meter": _METRE, "meters": _METRE, "metre": _METRE, "metres": _METRE,
    "k": KM, "km": KM, "kms": KM, "kilometer": KM, "kilometers": KM,
    "kilometre": KM, "kilometres": KM,
    "mi": _MILE, "mile": _MILE, "miles": _MILE,
    "yd": 0.9144, "yds": 0.9144, "yard": 0.9144, "yards": 0.9144,
}
#: Units an elevation gain may carry -> metres.
HEIGHT_UNITS: dict[str, float] = {
    "m": _METRE, "meter": _METRE, "meters": _METRE, "metre": _METRE, "metres": _METRE,
    "ft": _FOOT, "feet": _FOOT, "foot": _FOOT,
}
#: Units of a plain-number duration (from the header suffix) -> seconds.
DURATION_UNITS: dict[str, float] = {
    "s": 1.0, "sec": 1.0, "secs": 1.0, "seconds": 1.0,
    "min": 60.0, "mins": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hours": 3600.0,
}
_ALL_UNITS = frozenset(DISTANCE_UNITS) | frozenset(HEIGHT_UNITS) | frozenset(DURATION_UNITS)

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


# --- text, delimiter and records -------------------------------------------------------------

def decode_csv(data: bytes, path: str) -> str:
    """The text of an activity log (:func:`runback.io.text.decode_text`)."""
    try:
        return decode_text(data, refuse_binary=True)[0]
    except TextDecodeError as e:
        reason = f"{e.reason}: expected a CSV activity log" if e.reason == BINARY else e.reason
        raise ReadError(path, reason, e.offset) from e


def delimiter_of(text: str) -> tuple[str, str]:
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


def read_records(text: str, delimiter: str, path: str) -> list[tuple[int, list[str]]]:
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

def column_key(label: str) -> str:
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
class Header:
    labels: tuple[str, ...]
    keys: tuple[str, ...]
    positions: dict[str, list[int]]

    @classmethod
    def of(cls, labels: list[str]) -> Header:
        keys = tuple(column_key(x) for x in labels)
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

def to_float(text: str, decimal_comma: bool) -> float:
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


def to_quantity(text: str, units: dict[str, float], default: str, decimal_comma: bool) -> float:
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
    return to_float(m.group("number"), decimal_comma) * units[m.group("unit") or default]


def to_seconds(text: str, plain_unit_s: float, decimal_comma: bool) -> float:
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
        parts = [to_float(p, decimal_comma) for p in t.split(":")]
        if len(parts) > 3 or any(p >= 60 or p < 0 for p in parts[1:]) or parts[0] < 0:
            raise ValueError(text)
        return sum(p * 60.0**i for i, p in enumerate(reversed(parts)))
    if _FLOAT.fullmatch(t.replace(",", ".")):
        return to_float(t, decimal_comma) * plain_unit_s
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


def to_datetime(text: str, formats: tuple[str, ...]) -> datetime:
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
class Row:
    """One CSV record with the reading helpers; unreadable values become warnings."""

    line: int
    cells: list[str]
    header: Header
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
        return to_float(text, self.decimal_comma)

    def seconds(self, text: str, plain_unit_s: float = 1.0) -> float:
        return to_seconds(text, plain_unit_s, self.decimal_comma)

    def quantity(self, text: str, units: dict[str, float], default: str) -> float:
        return to_quantity(text, units, default, self.decimal_comma)

    def when(self, key: str, formats: tuple[str, ...]) -> datetime | None:
        """The date of column ``key``; None, with a warning, when it cannot be read."""
        value = self.text(key)
        try:
            when = to_datetime(value or "", formats)
        except ValueError:
            what = f"date '{value}' not understood" if value else "no date"
            self.warn(f"{what}; row skipped")
            return None
        if not MIN_YEAR <= when.year <= MAX_YEAR:
            self.warn(f"date '{value}' is outside the years {MIN_YEAR}-{MAX_YEAR}; row skipped")
            return None
        return when


def rpe_value(row: Row, value: float) -> float:
    """``value`` when it is a CR-10 rating (0-10), else NaN with a warning."""
    if math.isnan(value) or 0 <= value <= 10:
        return value
    row.warn(f"rpe {value:g} outside 0-10; left out")
    return math.nan


#: What a layout's row reader gives for one row: canonical column -> value.
Values = dict[str, Any]
#: A layout's row reader: the values of one row, or None when the row is skipped.
RowReader = Callable[[Row], Values | None]


def unit_column(header: Header, base: str,
                 units: dict[str, float], path: str) -> tuple[int, str] | None:
    """The column ``base`` or ``base_<unit>``: (position, unit suffix or "")."""
    found = [(i, k[len(base) + 1:] if k != base else "") for i, k in enumerate(header.keys)
             if k == base or (k.startswith(base + "_") and k[len(base) + 1:] in units)]
    if len(found) > 1:
        names = " and ".join(f"'{header.labels[i]}'" for i, _ in found)
        raise ReadError(path, f"columns {names} both give {base.replace('_', ' ')}: keep one")
    return found[0] if found else None
