"""What every reader returns, and the helpers readers share.

A reader is ``read_<format>(source, *, name=None) -> ParsedFile`` where ``source`` is a
path, ``bytes`` or a binary file object and ``name`` is what error messages call the file
(defaults to the path). A reader never writes anything and never changes its return type
with a flag. A file that is valid but holds no activity raises
:class:`~runback.errors.NotAnActivityError`; a broken one raises
:class:`~runback.errors.ReadError`. A file with several activities (a FIT triathlon, a TCX
with several ``<Activity>``) returns one ``part`` per activity.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import pandas as pd

from runback import schema
from runback.errors import ReadError

__all__ = ["ParsedColumns", "ParsedFile", "Source", "read_source", "source_name",
           "normalize_sport", "read_regular_file", "MAX_STEP_BACK_S", "recorded_before",
           "time_order_warning"]

Source = str | os.PathLike[str] | bytes | BinaryIO

#: A table as a frame or as row dicts (:meth:`ParsedFile.build`).
Rows = pd.DataFrame | Iterable[Mapping[str, object]]


@dataclass
class ParsedFile:
    """The canonical frames one file yields.

    Attributes
    ----------
    activities : DataFrame
        ``raw_activities`` table: one row per activity, keyed by ``part``.
    samples : DataFrame
        ``raw_samples`` table: the record stream, keyed by ``part`` and ``timestamp``.
    laps : DataFrame
        ``raw_laps`` table.
    warnings : list of str
        Things a user should know that did not stop the import (salvaged truncation,
        dropped points), each a sentence without the file name.
    """

    activities: pd.DataFrame
    samples: pd.DataFrame
    laps: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, activities: Rows, samples: Rows | None = None, laps: Rows | None = None,
              warnings: Iterable[str] = ()) -> ParsedFile:
        """Conform the given frames (or lists of row dicts) to the canonical tables."""
        def frame(x: Rows | None, table: str) -> pd.DataFrame:
            if x is None:
                return schema.empty(table)
            df = x if isinstance(x, pd.DataFrame) else pd.DataFrame(list(x))
            df = schema.conform(df, table, extra=False)
            index = df.index
            if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
                return df
            return df.reset_index(drop=True)

        return cls(frame(activities, "raw_activities"), frame(samples, "raw_samples"),
                   frame(laps, "raw_laps"), list(warnings))


@dataclass
class ParsedColumns:
    """A :class:`ParsedFile` whose tables are still arrays (:class:`~runback.schema.Columns`
    at the dtypes :func:`~runback.schema.from_columns` takes), so that the tables of many
    files become one frame each (:func:`~runback.schema.concat_columns`). ``samples`` and
    ``laps`` are None when the file has none."""

    activities: schema.Columns
    samples: schema.Columns | None
    laps: schema.Columns | None
    warnings: list[str] = field(default_factory=list)

    def to_parsed(self) -> ParsedFile:
        """The :class:`ParsedFile` of these tables."""
        def frame(x: schema.Columns | None, table: str) -> pd.DataFrame:
            return schema.empty(table) if x is None else schema.from_columns(table, x.values,
                                                                               x.n)

        return ParsedFile(frame(self.activities, "raw_activities"),
                          frame(self.samples, "raw_samples"), frame(self.laps, "raw_laps"),
                          list(self.warnings))


def source_name(source: Source, name: str | None = None) -> str:
    """The name error messages use for ``source``."""
    if name:
        return name
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return getattr(source, "name", None) or "<data>"


def read_source(source: Source, name: str | None = None) -> bytes:
    """All bytes of ``source`` (path, bytes or binary file object).

    Raises
    ------
    ReadError
        When the file cannot be opened or read.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        return read_regular_file(source, source_name(source, name))
    if isinstance(source, io.IOBase) or hasattr(source, "read"):
        data = source.read()
        if isinstance(data, str):
            raise ReadError(source_name(source, name), "expected a binary file object")
        return data
    raise TypeError(f"source must be a path, bytes or a binary file, not {type(source)!r}")


def read_json(source: Source, name: str) -> object:
    """The JSON document in ``source``.

    Raises
    ------
    ReadError
        When the file cannot be read or is not valid JSON.
    """
    try:
        return json.loads(read_source(source, name))
    except (ValueError, UnicodeDecodeError) as e:
        raise ReadError(name, f"not valid JSON ({e})") from e


def read_regular_file(path: str | os.PathLike[str], name: str,
                      max_bytes: int | None = None) -> bytes:
    """All bytes of the regular file at ``path``; a FIFO, device or folder is refused.

    The file is opened without blocking and checked on the open descriptor, so a FIFO named
    like an activity (``run.fit``) cannot hang the reader waiting for a writer.

    Raises
    ------
    ReadError
        When the file cannot be opened or read, is not a regular file, or is larger than
        ``max_bytes``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as e:
        raise ReadError(name, f"cannot read file: {e.strerror}") from e
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise ReadError(name, "not a regular file (a FIFO, device or folder); not read")
            if max_bytes is not None and st.st_size > max_bytes:
                raise ReadError(name, f"file is {st.st_size} bytes, over the {max_bytes} limit")
            return fh.read()
        except OSError as e:
            raise ReadError(name, f"cannot read file: {e.strerror}") from e


#: A step back in time larger than this starts a stretch the file has already recorded (a
#: device clock set back, a track pasted twice): the samples from it until time passes the
#: latest time already read are left out, since sorting them in would interleave two
#: recordings. Smaller steps back (a late fix, laps overlapping by seconds) keep file
#: order. [s]
MAX_STEP_BACK_S = 60.0


def recorded_before(times: pd.Series, max_step_back_s: float = MAX_STEP_BACK_S) -> np.ndarray:
    """Mask of the samples inside a span already recorded, after a large step back in time.

    A sample is *behind* when it is not later than every sample before it. A stretch of
    consecutive behind samples is left out when its first sample steps back by more than
    ``max_step_back_s``.

    Parameters
    ----------
    times : Series of datetime64
        Sample times of one activity, in file order, without missing values.
    max_step_back_s : float
        Largest step back in time that keeps file order. [s]

    Returns
    -------
    ndarray of bool
        True for the samples to leave out.
    """
    t = pd.to_datetime(times, utc=True).to_numpy("datetime64[ns]").astype("int64")
    drop = np.zeros(len(t), dtype=bool)
    if len(t) < 2:
        return drop
    latest = np.maximum.accumulate(t)[:-1]
    back = latest - t[1:]
    behind = back >= 0
    starts = behind & ~np.concatenate(([False], behind[:-1]))
    stretch = np.cumsum(starts)
    large = np.zeros(stretch[-1] + 1, dtype=bool)
    large[stretch[starts]] = back[starts] > max_step_back_s * 1e9
    drop[1:] = behind & large[stretch]
    return drop


def time_order_warning(times: pd.Series, dropped: np.ndarray, label: str = "") -> str | None:
    """The warning for samples whose time goes backwards (None when it never does)."""
    steps = int((pd.Series(times).diff().dt.total_seconds() < 0).sum())
    if not steps:
        return None
    n = int(dropped.sum())
    if not n:
        return f"{label}time goes backwards at {steps} points; file order kept"
    return (f"{label}time goes backwards at {steps} points; {n} points after a step back of "
            f"more than {MAX_STEP_BACK_S:.0f} s, inside a span already recorded, were left out")


# Sport names as files and logs spell them -> runback's sport (and sub_sport when implied).
_SPORT_WORDS: list[tuple[str, str, str | None]] = [
    # (regex on the lower-cased text, sport, implied sub_sport)
    (r"treadmill|virtual ?run|indoor ?run", "running", "treadmill"),
    (r"trail ?run|\btrail\b", "running", "trail"),
    (r"track ?run|\btrack\b", "running", "track"),
    (r"\brun|running|jog|laufen|lauf\b|跑", "running", None),
    (r"e-?bike|ebike", "cycling", "e_bike"),
    (r"virtual ?ride|indoor ?(cycl|rid|bik)|spin", "cycling", "indoor_cycling"),
    (r"ride|cycl|bik|velo|rad", "cycling", None),
    (r"hik", "hiking", None),
    (r"walk|步", "walking", None),
    (r"swim", "swimming", None),
    (r"row", "rowing", None),
    (r"ski", "skiing", None),
    (r"weight|strength|crossfit|workout|training", "strength", None),
    (r"yoga|pilates", "yoga", None),
    (r"elliptical", "elliptical", None),
    (r"transition", "transition", None),
]


def normalize_sport(text: str | None) -> tuple[str, str | None]:
    """Map a sport label from any source to ``(sport, implied_sub_sport)``.

    ``"Trail Run"`` gives ``("running", "trail")``, ``"VirtualRun"`` gives
    ``("running", "treadmill")``, ``"Ride"`` gives ``("cycling", None)``; anything
    unrecognised is ``("other", None)`` and a missing label ``("unknown", None)``.
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return "unknown", None
    t = str(text).strip().lower().replace("_", " ")
    if not t or t == "generic":
        return "unknown", None
    for pattern, sport, sub in _SPORT_WORDS:
        if re.search(pattern, t):
            return sport, sub
    return "other", None
