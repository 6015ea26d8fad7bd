"""What ``runback serve`` knows about each athlete: their files, diary, today and report.

An :class:`Athlete` reads the diary afresh on every request (a small file the runner may
also edit by hand) and keeps the rendered report in memory, keyed on what it was built
from: the size and modification time of every file under each PATH, of the diary and of
the ``runback.toml`` beside them. A change to any of these rebuilds the report on the next
visit; the import cache makes the rebuild parse only new files. Nothing here writes a file
except through :func:`runback.io.diary.save_entry`.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import tzlocal

from runback.errors import DiaryError, ReadError, RunbackError
from runback.io.base import read_regular_file
from runback.io.diary import MAX_DIARY_BYTES, read_diary, row_keys
from runback.profile import PROFILE_FILENAME, find_profile, load_profile
from runback.timezones import parse_zone

__all__ = ["Athlete", "DiaryView", "runner_zone", "slug"]

#: (path, size [byte], modification time [ns]) of one input; None for a missing file.
Stat = tuple[str, int | None, int | None]


def runner_zone(paths: list[str], tz: str | None) -> dt.tzinfo:
    """The runner's time zone: ``tz``, else the profile's, else this computer's.

    Parameters
    ----------
    paths : list of str
        The athlete's PATHs (where the ``runback.toml`` is looked for).
    tz : str, optional
        An IANA name given on the command line.

    Returns
    -------
    tzinfo
    """
    if tz:
        return parse_zone(tz)
    found = find_profile(paths) if paths else None
    if found is not None:
        try:
            zone = load_profile(found).timezone
        except RunbackError:
            zone = None
        if zone:
            return parse_zone(zone)
    return ZoneInfo(tzlocal.get_localzone_name())


@dataclass
class DiaryView:
    """The diary as a page shows it.

    Attributes
    ----------
    pain : DataFrame
        :func:`runback.io.diary.read_diary`'s ``pain`` table, with a ``key`` column (the
        row's key for :func:`runback.io.diary.save_entry`).
    problems : list of str
        The reader's problems, line by line.
    exists : bool
        Whether the diary file exists yet.
    """

    pain: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    exists: bool = True

    def day(self, date: dt.date) -> pd.DataFrame:
        """The entries of one day, in file order."""
        return self.pain[self.pain["date"] == pd.Timestamp(date)]

    def entry(self, key: str | None, date: dt.date) -> dict[str, Any] | None:
        """The entry of ``date`` that ``key`` names, else the day's latest, as a dict."""
        rows = self.day(date)
        if key:
            chosen = rows[rows["key"] == key]
            rows = chosen if len(chosen) else rows
        if rows.empty:
            return None
        return {str(k): v for k, v in rows.iloc[-1].to_dict().items()}


class Athlete:
    """One athlete served: a name, activity PATHs and a diary file.

    Parameters
    ----------
    name : str
        Shown in the pages and used in URLs of the coach view.
    paths : list of str
        Activity files, folders and archives (may be empty: the report then shows the
        diary only).
    diary : str
        The diary CSV (created at the first save when missing).
    tz : str, optional
        The runner's time zone (default: the profile's, else this computer's).
    report_options : dict, optional
        Keyword arguments of :meth:`runback.log.TrainingLog.report`.
    """

    def __init__(self, name: str, paths: Iterable[str | os.PathLike[str]],
                 diary: str | os.PathLike[str], *, tz: str | None = None,
                 report_options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.paths = [os.fspath(p) for p in paths]
        self.diary = os.fspath(diary)
        self.tz = tz
        self.zone = runner_zone(self.paths, tz)
        self.report_options = dict(report_options or {})
        self._lock = threading.Lock()
        self._report: tuple[tuple[Stat, ...], str] | None = None
        self._prebuild: threading.Thread | None = None
        #: Seconds the last report build took. [s]
        self.last_build_s: float | None = None
        #: Why the last build in the background failed ("" when it did not).
        self.prebuild_error = ""

    def today(self) -> dt.date:
        """Today's date in the runner's time zone."""
        return dt.datetime.now(self.zone).date()

    def read_diary(self) -> DiaryView:
        """The diary now, with a key per row; a missing file is an empty diary.

        Raises
        ------
        DiaryError
            When the file exists but cannot be used (the message names it).
        """
        if not os.path.lexists(self.diary):
            empty = read_diary(b"date,pain\n", name=self.diary).pain
            empty["key"] = pd.Series(dtype="string")
            return DiaryView(empty, [], exists=False)
        try:
            data = read_regular_file(self.diary, self.diary, max_bytes=MAX_DIARY_BYTES)
        except ReadError as e:
            raise DiaryError(f"{self.diary}: cannot read the diary: {e.reason}") from e
        result = read_diary(data, name=self.diary, today=self.today())
        keys = row_keys(data, name=self.diary)
        pain = result.pain.copy()
        pain["key"] = pd.Series([keys.get(int(line)) for line in pain["line"]],
                                index=pain.index, dtype="string")
        return DiaryView(pain, result.problems)

    def inputs(self) -> tuple[Stat, ...]:
        """What the report is built from: (path, size, mtime) of every input file."""
        out: list[Stat] = []
        for p in [*self.paths, self.diary]:
            out += _stat_tree(p)
        profile = find_profile(self.paths) if self.paths else None
        if profile is not None:
            out += _stat_tree(os.fspath(profile))
        for p in self.paths:  # a profile added later is found on the next visit
            folder = p if os.path.isdir(p) else os.path.dirname(p) or "."
            out += _stat_tree(os.path.join(os.path.dirname(os.path.abspath(folder)),
                                           PROFILE_FILENAME))
        return tuple(out)

    def report(self) -> str:
        """The runner's report (as ``runback report`` makes it), rebuilt when an input
        changed since the last build.

        Raises
        ------
        RunbackError
            When the report cannot be made (the message names the file).
        """
        key = self.inputs()
        cached = self._report
        if cached is not None and cached[0] == key:
            return cached[1]
        with self._lock:  # one build at a time; a visitor waiting gets the fresh one
            cached = self._report
            if cached is not None and cached[0] == key:
                return cached[1]
            from runback.log import TrainingLog

            t0 = time.perf_counter()
            diary = self.diary if os.path.isfile(self.diary) else None
            log = TrainingLog.from_paths(self.paths, diary=diary, tz=self.tz)
            html = log.report(roots=self.paths, **self.report_options)
            self.last_build_s = time.perf_counter() - t0
            self._report = (key, html)
            return html


    def prebuild(self) -> threading.Thread | None:
        """Rebuild the report in a background thread (after a save: the report is then
        ready, or nearly, when the runner opens it). Nothing is started while a build is
        under way; a failure is kept in :attr:`prebuild_error` and shown when the report
        page builds it again.

        Returns
        -------
        threading.Thread or None
            The thread started, or None.
        """
        running = self._prebuild
        if running is not None and running.is_alive():
            return None

        def build() -> None:
            try:
                self.report()
                self.prebuild_error = ""
            except Exception as e:  # shown by the report page, which builds again
                self.prebuild_error = str(e)

        thread = threading.Thread(target=build, name=f"runback-report-{self.name}",
                                  daemon=True)
        self._prebuild = thread
        thread.start()
        return thread


def _stat_tree(path: str) -> list[Stat]:
    """(path, size, mtime) of ``path`` and, for a folder, everything under it."""
    try:
        st = os.stat(path)
    except OSError:
        return [(path, None, None)]
    out: list[Stat] = [(path, st.st_size, st.st_mtime_ns)]
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                try:
                    s = os.stat(full)
                except OSError:
                    continue
                out.append((full, s.st_size, s.st_mtime_ns))
    return out


def slug(folder: str) -> str:
    """An athlete's name from their folder."""
    return Path(os.path.abspath(folder)).name or "athlete"
