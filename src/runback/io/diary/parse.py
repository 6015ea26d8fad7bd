"""How diary text is read: decoding, the delimiter, records that span lines, the header
and the check of each row's fields."""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterator

import pandas as pd

from runback.errors import DiaryError
from runback.io.diary.vocab import (
    DIARY_COLUMNS,
    HEADER_ALIASES,
    INTERVENTIONS,
    LOCATIONS,
    MIN_YEAR,
    PAIN_TYPES,
    RED_FLAGS,
    TIMINGS,
    WORD_ALIASES,
)
from runback.io.text import TextDecodeError, decode_text

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_VOCAB = {"location": LOCATIONS, "pain_type": PAIN_TYPES, "timing": TIMINGS,
          "interventions": INTERVENTIONS, "red_flags": RED_FLAGS}
_LIST_FIELDS = ("interventions", "red_flags")
#: Plausible ranges of the numeric fields: (low, high) inclusive.
_RANGES = {"pain": (0.0, 10.0), "sleep_hours": (0.0, 24.0), "stress": (0.0, 10.0)}
_YES = frozenset({"yes", "y", "1", "true"})
_NO = frozenset({"", "no", "n", "0", "false"})
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_OTHER_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_LINE_END = re.compile(r"\r\n|\r|\n")


def _printable(text: str) -> str:
    """``text`` with control characters (a NUL, a stray line break) shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _decode(data: bytes, label: str) -> tuple[str, str]:
    """Text and encoding, as every text reader decodes (:func:`runback.io.text.decode_text`)."""
    try:
        return decode_text(data)
    except TextDecodeError as e:
        where = "" if e.offset is None else f" (byte {e.offset})"
        raise DiaryError(f"{label}: the diary is {e.reason}{where}") from e


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the most frequent of ',', ';' and tab."""
    first = next((ln for ln in _LINE_END.split(text) if ln.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, str, str]]:
    """Yield (first line number, record text, error) for every non-blank record.

    A record spans several physical lines only when a quoted field holds a line break and
    the next line does not start a new dated row. A quote left open is reported on its
    line, and reading resumes on the next line, so one stray quote cannot swallow the
    rest of the diary.
    """
    lines = _LINE_END.split(text)
    new_row = re.compile(r"^\s*\d{4}-\d{2}-\d{2}(?:[ T][\d:]+)?" + re.escape(delimiter))
    i = 0
    while i < len(lines):
        start, record = i, lines[i]
        i += 1
        while _open_quote(record, delimiter) and i < len(lines) and not new_row.match(lines[i]):
            record += "\n" + lines[i]
            i += 1
        if _open_quote(record, delimiter):
            yield start + 1, lines[start], "broken quoting (a quote is never closed)"
            i = start + 1
            continue
        if record.strip():
            yield start + 1, record, ""


def _open_quote(record: str, delimiter: str) -> bool:
    """Whether ``record`` ends inside a quoted field (quotes open a field only at its start,
    and ``""`` inside one is a literal quote, as :mod:`csv` reads them)."""
    inside, at_start, i = False, True, 0
    while i < len(record):
        ch = record[i]
        if inside:
            if ch == '"':
                if record[i + 1:i + 2] == '"':
                    i += 1
                else:
                    inside = False
        elif ch == '"' and at_start:
            inside = True
        at_start = not inside and ch == delimiter
        i += 1
    return inside


def _column_name(raw: str) -> str:
    key = _normalise(raw)
    return HEADER_ALIASES.get(key, key)


def _normalise(word: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(word).strip().lower())


def _header(text: str, delimiter: str, label: str, line: int) -> list[str]:
    try:
        raw = next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as e:
        raise DiaryError(f"{label}: broken quoting in the header (line {line}): {e}") from e
    columns = [_column_name(c) for c in raw]
    missing = [c for c in ("date", "pain") if c not in columns]
    if missing:
        raise DiaryError(f"{label}: the diary header lacks {missing}; found "
                         f"{[c.strip() for c in raw]} (the first line must be a header "
                         f"such as {','.join(DIARY_COLUMNS)})")
    seen = [c for c in columns if c]
    doubled = sorted({c for c in seen if seen.count(c) > 1})
    if doubled:
        raise DiaryError(f"{label}: the diary header names {doubled} more than once")
    return columns


def _check_row(values: dict[str, str], today: dt.date,
               decimal_comma: bool) -> tuple[dict[str, object], list[str], list[str]]:
    """Check one row's fields.

    Returns the parsed record, the problems that make the row unusable (date, pain) and
    the problems that only blank a descriptive field; all without line numbers.
    """
    record: dict[str, object] = {}
    fatal: list[str] = []
    minor: list[str] = []
    record["date"], problem = _parse_date(values.get("date", ""), today)
    if problem:
        fatal.append(problem)
    if not values.get("pain", "").strip():
        fatal.append("pain is missing")
    for col in _RANGES:
        record[col], problem = _parse_number(col, values.get(col, ""), decimal_comma)
        if problem:
            (fatal if col == "pain" else minor).append(problem)
    for col, vocab in _VOCAB.items():
        words, bad = _parse_words(col, values.get(col, ""))
        label = col.replace("_", " ")
        if bad:
            minor.append(f"unknown {label} {', '.join(map(repr, bad))} "
                         f"(expected {', '.join(vocab)})")
            words = []
        elif col not in _LIST_FIELDS and len(words) > 1:
            minor.append(f"one {label} expected, found {values[col].strip()!r}")
            words = []
        record[col] = ";".join(words) if words else pd.NA
    flare = _normalise(values.get("flare", ""))
    if flare not in _YES | _NO:
        minor.append(f"flare {values['flare'].strip()!r} is not yes or no")
    record["flare"] = flare in _YES
    record["notes"] = values.get("notes", "").strip() or pd.NA
    return record, fatal, minor


def _parse_date(text: str, today: dt.date) -> tuple[dt.date | None, str]:
    text = text.strip()
    if not text:
        return None, "date is missing"
    m = _ISO_DATE.match(text)
    if not m:
        if _OTHER_DATE.match(text):
            return None, (f"date '{text}' is not YYYY-MM-DD (the order of day and month "
                          f"is ambiguous)")
        return None, f"date '{text}' is not a date; write it as YYYY-MM-DD"
    try:
        date = dt.date(*(int(g) for g in m.groups()))
    except ValueError:
        return None, f"date '{text}' does not exist"
    if date > today:
        return None, f"date '{text}' is in the future"
    if date.year < MIN_YEAR:
        return None, f"date '{text}' is before {MIN_YEAR} (a typo in the year?)"
    return date, ""


def _parse_number(col: str, text: str, decimal_comma: bool) -> tuple[float, str]:
    text = text.strip()
    if not text:
        return math.nan, ""
    if decimal_comma and _DECIMAL_COMMA.match(text):
        text_num = text.replace(",", ".")
    else:
        text_num = text
    label = col.replace("_", " ")
    try:
        number = float(text_num)
    except ValueError:
        return math.nan, f"{label} '{text}' is not a number"
    low, high = _RANGES[col]
    if not low <= number <= high:  # also refuses nan
        return math.nan, f"{label} '{text}' is outside {low:g}-{high:g}"
    return number, ""


def _parse_words(col: str, text: str) -> tuple[list[str], list[str]]:
    """Known words (canonical, in order, without repeats) and unknown ones."""
    aliases = WORD_ALIASES.get(col, {})
    known, unknown = [], []
    for part in re.split(r"[;,|]", text):
        word = _normalise(part)
        if not word:
            continue
        word = aliases.get(word, word)
        if word in _VOCAB[col]:
            if word not in known:
                known.append(word)
        else:
            unknown.append(part.strip())
    return known, unknown
