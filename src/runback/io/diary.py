"""Read and append to the pain diary, a small CSV file the runner keeps by hand.

The format is the one in ``docs/cli-contract.md``: a header is required, only ``date``
and ``pain`` are mandatory, and a day may have several rows::

    date,pain,location,pain_type,timing,sleep_hours,stress,interventions,red_flags,notes
    2025-03-04,2,lower,stiffness,morning,7.5,3,stretching;foam_roller,,
    2025-03-05,6,lower,spasm,during_run,6.0,5,,,"locked up at km 8"

Extensions of the contract, all optional:

- a ``flare`` column: ``yes``, ``y``, ``1`` or ``true`` marks a day the runner calls a
  flare-up (``no``, ``n``, ``0``, ``false`` or blank do not);
- a time after the date (``2025-03-04 07:30``) is accepted and ignored;
- header names are matched without regard to case, spaces or hyphens, and the aliases in
  :data:`HEADER_ALIASES` are accepted (``nrs`` for ``pain``, ``sleep`` for ``sleep_hours``);
- words are matched the same way, with the aliases in :data:`WORD_ALIASES`
  (``foam roller`` is ``foam_roller``, ``lumbar`` is ``lower``);
- ``;``- and tab-separated files (as spreadsheets in many locales save them), a UTF-8 byte
  order mark, CRLF line ends and a decimal comma in ``;`` files are accepted;
- list fields (interventions, red_flags) may be separated by ``;``, ``,`` or ``|`` inside
  the field;
- other columns are ignored by the reader and kept by :func:`append_entry`.

Problems are reported line by line, never fatal for the rest of the file. A row whose date
or pain cannot be used, or whose quoting is broken, is left out. A row with an unknown word
in a descriptive field (location, pain type, timing, interventions, red flags) or an
impossible sleep or stress value keeps its date and pain, and only that field is left
blank: a typo in a descriptive word must not turn a logged day into a "not logged" one,
which would change the flare-up analysis. Either way the problem is listed with its line.
Dates must be ``YYYY-MM-DD``: ``04/03/2025`` is refused because it reads as 4 March or
3 April depending on the country.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

from runback import schema
from runback.errors import DiaryError, ReadError
from runback.io.base import Source, read_regular_file, source_name
from runback.io.text import TextDecodeError, decode_text

__all__ = [
    "DiaryResult",
    "read_diary",
    "append_entry",
    "save_entry",
    "check_entry",
    "row_keys",
    "DIARY_COLUMNS",
    "LOCATIONS",
    "PAIN_TYPES",
    "TIMINGS",
    "INTERVENTIONS",
    "RED_FLAGS",
    "HEADER_ALIASES",
    "WORD_ALIASES",
]

#: Columns of a new diary file, in the order the contract gives them.
DIARY_COLUMNS = ("date", "pain", "location", "pain_type", "timing", "sleep_hours", "stress",
                 "interventions", "red_flags", "notes")
#: Every column the reader understands (the contract's plus the ``flare`` extension).
KNOWN_COLUMNS = (*DIARY_COLUMNS, "flare")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Earliest year a diary date may have; earlier ones are typos (``0025``).
MIN_YEAR = 1900
#: Largest diary file read: decades of daily rows are a few megabytes. [byte]
MAX_DIARY_BYTES = 64 * 2**20

LOCATIONS = ("lower", "mid", "upper")
PAIN_TYPES = ("spasm", "radiating", "ache", "stiffness")
TIMINGS = ("morning", "during_run", "after_run", "rest")
INTERVENTIONS = ("massage", "stretching", "foam_roller", "ice", "heat", "yoga", "core",
                 "strength", "rest", "chiro", "physio", "nsaid")
RED_FLAGS = ("bladder_bowel", "saddle_numbness", "leg_weakness", "both_legs", "fever",
             "weight_loss", "trauma", "night_pain", "cancer_history")

#: Header spellings accepted for the canonical column names (after lower-casing and turning
#: spaces and hyphens into underscores).
HEADER_ALIASES = {
    "day": "date",
    "nrs": "pain",
    "pain_nrs": "pain",
    "pain_score": "pain",
    "score": "pain",
    "type": "pain_type",
    "where": "location",
    "when": "timing",
    "sleep": "sleep_hours",
    "sleep_h": "sleep_hours",
    "intervention": "interventions",
    "treatment": "interventions",
    "treatments": "interventions",
    "red_flag": "red_flags",
    "redflags": "red_flags",
    "note": "notes",
    "comment": "notes",
    "comments": "notes",
    "flare_up": "flare",
    "flareup": "flare",
}

#: Word spellings accepted per field (after the same normalisation as the headers).
WORD_ALIASES = {
    "location": {"low": "lower", "lumbar": "lower", "lower_back": "lower", "middle": "mid",
                 "thoracic": "mid", "mid_back": "mid", "upper_back": "upper"},
    "pain_type": {"spasms": "spasm", "sciatic": "radiating", "sciatica": "radiating",
                  "aching": "ache", "stiff": "stiffness"},
    "timing": {"am": "morning", "during": "during_run", "run": "during_run",
               "after": "after_run", "post_run": "after_run", "resting": "rest"},
    "interventions": {"stretch": "stretching", "foam_rolling": "foam_roller",
                      "foam_roll": "foam_roller", "foamroller": "foam_roller",
                      "chiropractor": "chiro", "physiotherapy": "physio",
                      "physical_therapy": "physio", "ibuprofen": "nsaid",
                      "naproxen": "nsaid", "nsaids": "nsaid"},
    "red_flags": {"incontinence": "bladder_bowel", "retention": "bladder_bowel",
                  "saddle_anaesthesia": "saddle_numbness", "saddle_anesthesia":
                  "saddle_numbness", "weakness": "leg_weakness", "bilateral": "both_legs",
                  "bilateral_sciatica": "both_legs", "fall": "trauma", "accident": "trauma",
                  "cancer": "cancer_history"},
}

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


def _printable(text: str) -> str:
    """``text`` with control characters (a NUL, a stray line break) shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def append_entry(path: str | os.PathLike[str], entry: dict[str, object], *,
                 today: dt.date | None = None) -> None:
    """Append one entry to a diary file, safely.

    The entry is checked first; the file is created with the contract's header when it is
    missing. The new content is written to a temporary file in the same folder and moved
    over the diary with :func:`os.replace`, so the diary is never left half-written, while
    an exclusive lock on the sidecar file ``<diary>.lock`` is held, so concurrent writers
    never lose an entry. The lock file is left in place (removing it would race with the
    next writer). The existing header order, delimiter, line ends, byte order mark and any
    extra columns are kept; a known column the header lacks (such as ``flare``) is added
    at its end, and older rows simply have no value there.

    Parameters
    ----------
    path : str or os.PathLike
        The diary file.
    entry : dict
        Column name -> value. ``pain`` is required; ``date`` defaults to ``today``. Lists
        are allowed for interventions and red_flags, a bool for flare, ``datetime.date``
        for date.
    today : datetime.date, optional
        The runner's current day: later dates are refused (default: this computer's
        local date).

    Raises
    ------
    DiaryError
        When the entry is invalid (naming the problem), names a column that is neither
        known nor in the file, or the file cannot be read or written.
    """
    save_entry(path, entry, today=today)


def check_entry(entry: dict[str, object], *, today: dt.date | None = None) -> list[str]:
    """The problems :func:`read_diary` would find in one entry, without line numbers.

    Parameters
    ----------
    entry : dict
        Column name -> value, as :func:`append_entry` takes it (``date`` defaults to
        ``today``).
    today : datetime.date, optional
        Later dates are future dates (default: this computer's local date).

    Returns
    -------
    list of str
        One sentence per problem (``"pain '11' is outside 0-10"``); empty when the entry
        would be read back whole.
    """
    values = _entry_values(entry, today or dt.date.today())
    _, fatal, minor = _check_row({k: v for k, v in values.items() if k in KNOWN_COLUMNS},
                                 today or dt.date.today(), False)
    return [_printable(p) for p in fatal + minor]


def row_keys(source: Source, *, name: str | None = None) -> dict[int, str]:
    """A key for every data row of a diary, to name the row :func:`save_entry` replaces.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        The diary (a missing file has no rows).
    name : str, optional
        What messages call the file.

    Returns
    -------
    dict
        The row's first line (the ``line`` of :func:`read_diary`'s ``pain`` table) -> its
        key, ``"<line>:<digest of the row's text>"``.
    """
    label = source_name(source, name)
    if isinstance(source, str | os.PathLike) and not os.path.lexists(source):
        return {}
    text, _ = _decode(_read_bytes(source, label), label)
    records = _records(text, _sniff_delimiter(text))
    next(records, None)  # the header
    return {line: _row_key(line, raw) for line, raw, error in records if not error}


def save_entry(path: str | os.PathLike[str], entry: dict[str, object], *,
               replaces: str | None = None, today: dt.date | None = None) -> str:
    """Write one entry: in place of the row ``replaces`` names, else at the end.

    The correction of a day keeps the diary one row per entry: the row the runner edited is
    rewritten in place (its other columns, such as the runner's own extra ones, are kept),
    every other byte of the file stays as it was. When that row is gone or changed since
    it was read (edited by hand, or by another writer), or is another day's, nothing is
    overwritten: the entry is appended instead. Writing is locked and atomic as in
    :func:`append_entry`.

    Parameters
    ----------
    path : str or os.PathLike
        The diary file.
    entry : dict
        Column name -> value, as :func:`append_entry` takes it.
    replaces : str, optional
        A key from :func:`row_keys`: the row to replace.
    today : datetime.date, optional
        The runner's current day: later dates are refused (default: this computer's
        local date).

    Returns
    -------
    str
        ``"replaced"``, ``"appended"`` or ``"unchanged"`` (the row already held exactly
        this entry: nothing was written).

    Raises
    ------
    DiaryError
        As :func:`append_entry`.
    """
    path = os.fspath(path)
    today = today or dt.date.today()
    values = _entry_values(entry, today)
    _, fatal, minor = _check_row({k: v for k, v in values.items() if k in KNOWN_COLUMNS},
                                 today, False)
    if fatal or minor:
        problems = "; ".join(_printable(p) for p in fatal + minor)
        raise DiaryError(f"{path}: cannot add the entry: {problems}")

    with _locked(path + ".lock"):
        old = _existing(path)
        unknown = [k for k in values if k not in old.columns and k not in KNOWN_COLUMNS]
        if unknown:
            raise DiaryError(f"{path}: cannot add the entry: unknown columns {unknown}; "
                             f"known columns are {list(KNOWN_COLUMNS)}")
        added = [k for k in values if k not in old.columns]
        columns = old.columns + added
        span = _find_row(old, replaces) if replaces and old.text else None
        if span is not None and _field(span[2], old.columns, "date")[:10] != values["date"][:10]:
            span = None  # a correction keeps its day: another day's row is never moved
        text = old.text
        if not text:
            text = _csv_line(columns, old.delimiter, old.newline)
        elif added:
            text = (text[:old.header_end] + old.delimiter
                    + _csv_line(added, old.delimiter, "") + text[old.header_end:])
            if span is not None:
                shift = len(old.delimiter) + len(_csv_line(added, old.delimiter, ""))
                span = (span[0] + shift, span[1] + shift, span[2])
        if span is not None:
            begin, end, kept = span
            row = [values.get(c, "") if c in KNOWN_COLUMNS or c in values else
                   (kept[i] if i < len(kept) else "") for i, c in enumerate(columns)]
            line = _csv_line(row, old.delimiter, old.newline)
            if text[begin:end] == line or text[begin:end] + old.newline == line:
                return "unchanged"
            text = text[:begin] + line + text[end:]
            outcome = "replaced"
        else:
            if not text.endswith(("\n", "\r")):
                text += old.newline
            text += _csv_line([values.get(c, "") for c in columns], old.delimiter, old.newline)
            outcome = "appended"
        try:
            data = (old.bom + text).encode(old.encoding)
        except UnicodeEncodeError as e:
            raise DiaryError(f"{path}: cannot add the entry: {e.object[e.start:e.end]!r} "
                             f"cannot be written in this {old.encoding} file") from e
        _replace_atomically(path, data)
    return outcome


def _entry_values(entry: dict[str, object], today: dt.date) -> dict[str, str]:
    values = {_column_name(k): _to_text(v) for k, v in entry.items()}
    values.setdefault("date", today.isoformat())
    return values


def _row_key(line: int, raw: str) -> str:
    digest = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{line}:{digest}"


def _field(fields: list[str], columns: list[str], name: str) -> str:
    i = columns.index(name)
    return fields[i].strip() if i < len(fields) else ""


def _find_row(old: _DiaryFile, key: str) -> tuple[int, int, list[str]] | None:
    """Where the row ``key`` names is in ``old.text`` (start, end with its line end, its
    fields), or None when no row has that text any more. A row that moved (lines added
    above it by hand) is found by its text; of identical rows, the one nearest its old
    line is taken."""
    want_line, _, digest = key.partition(":")
    if not want_line.isdigit() or not digest:
        return None
    starts = [0] + [m.end() for m in _LINE_END.finditer(old.text)]
    records = _records(old.text, old.delimiter)
    next(records, None)
    found = [(line, raw) for line, raw, error in records
             if not error and _row_key(line, raw).partition(":")[2] == digest]
    if not found:
        return None
    line, raw = min(found, key=lambda r: abs(r[0] - int(want_line)))
    n_lines = raw.count("\n") + 1
    begin = starts[line - 1]
    end = starts[line - 1 + n_lines] if line - 1 + n_lines < len(starts) else len(old.text)
    try:
        fields = next(csv.reader([raw], delimiter=old.delimiter, strict=True))
    except csv.Error:
        return None
    return begin, end, fields


# --- reading ---------------------------------------------------------------------------

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


def _pain_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    if not rows:
        return schema.empty("pain")
    df = pd.DataFrame(rows)
    df["date"] = pd.to_datetime(df["date"])
    df = df.sort_values(["date", "line"], kind="stable").reset_index(drop=True)
    df["entry"] = df.groupby("date").cumcount()
    return schema.conform(df, "pain", extra=False)


# --- writing ---------------------------------------------------------------------------

def _to_text(value: object) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:g}"
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(str(v) for v in value)
    return str(value)


@dataclass
class _DiaryFile:
    """An existing diary as :func:`append_entry` must keep it."""

    text: str
    encoding: str
    bom: str
    newline: str
    delimiter: str
    columns: list[str]
    header_end: int


def _existing(path: str) -> _DiaryFile:
    """The diary at ``path``; a missing or blank file gives the contract's columns."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        data = b""
    except OSError as e:
        raise DiaryError(f"{path}: cannot read the diary: {e.strerror}") from e
    text, encoding = _decode(data, path)
    bom = "\ufeff" if data.startswith(b"\xef\xbb\xbf") else ""
    if not text.strip():
        return _DiaryFile("", encoding, bom, "\n", ",", list(DIARY_COLUMNS), 0)
    m = _LINE_END.search(text)
    newline = m.group(0) if m else "\n"
    delimiter = _sniff_delimiter(text)
    line, header_text, _ = next(_records(text, delimiter))
    columns = _header(header_text, delimiter, path, line)
    header_end = text.index(header_text) + len(header_text)
    return _DiaryFile(text, encoding, bom, newline, delimiter, columns, header_end)


def _csv_line(fields: list[str], delimiter: str, newline: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerow(fields)
    return buf.getvalue()


@contextmanager
def _locked(lock_path: str) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created when missing)."""
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise DiaryError(f"{lock_path}: cannot create the diary lock file: {e.strerror}") from e
    try:
        _lock(fd)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined,unused-ignore]
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _replace_atomically(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.",
                                   suffix=".tmp")
    except OSError as e:
        raise DiaryError(f"{path}: cannot write in {folder}: {e.strerror}") from e
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as e:  # an interrupt (Ctrl-C) too leaves no temporary file
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError):
            raise DiaryError(f"{path}: the entry was not written: {e.strerror or e}") from e
        raise
