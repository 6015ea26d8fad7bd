"""Writing a diary: checking an entry, and appending or replacing a row, locked and atomic."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from runback.errors import DiaryError
from runback.io.base import Source, source_name
from runback.io.diary.parse import (
    _LINE_END,
    _check_row,
    _column_name,
    _decode,
    _header,
    _printable,
    _records,
    _sniff_delimiter,
)
from runback.io.diary.reader import _read_bytes
from runback.io.diary.vocab import DIARY_COLUMNS, KNOWN_COLUMNS


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
