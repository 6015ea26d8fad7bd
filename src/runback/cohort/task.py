"""One athlete: a task. :func:`athlete_task` imports the athlete's data where the task
runs, writes their tables, and hands back an
:class:`~runback.cohort.outcome.AthleteOutcome` (design and own fit).
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import quote

import numpy as np
import pandas as pd

from runback.cohort.defaults import TABLES, WASHOUT_D, WINDOW_D
from runback.cohort.fit import athlete_fit
from runback.cohort.long_table import (
    _athlete_rows,
    _diary_from_table,
    _raw_activities,
)
from runback.cohort.outcome import AthleteOutcome, _quality, daily_task
from runback.cohort.source import AthleteSource
from runback.errors import RunbackError

if TYPE_CHECKING:
    from runback.log import TrainingLog


class TaskOptions(TypedDict, total=False):
    """The keyword arguments of :func:`athlete_task` after the athlete."""

    tables_dir: str | None
    cache_dir: str | None
    window_days: int  # [d]
    washout_days: int | str  # [d], or "auto"


def _log_from_table(src: AthleteSource, pain: pd.DataFrame | None, notes: list[str],
                    cache_dir: str | None) -> TrainingLog:
    from runback.importer import FileOutcome
    from runback.importer.assemble import assemble_result
    from runback.log import TrainingLog
    from runback.store import Store

    table, table_name = src.table, src.table_name
    assert table is not None and table_name is not None  # an athlete of a long table
    rows, lines = _athlete_rows(table, table_name)
    raw, warnings = _raw_activities(rows, lines, table, table_name)
    label = f"{table} (athlete {table_name})"
    store = Store(cache_dir)
    outcome = FileOutcome(label, table, os.path.basename(table))
    if len(raw):
        outcome.key = str(raw["key"].iloc[0])
    else:
        outcome.skip = "no readable row for this athlete"
    tables: list[dict[str, pd.DataFrame | None]] = [{"activities": raw}] if len(raw) else []
    result = assemble_result([outcome], tables, store, tz=None, tz_source="option")
    result.warnings[:0] = warnings
    return TrainingLog(result, pain=pain, notes=notes)


def _load(src: AthleteSource, cache_dir: str | None) -> TrainingLog:
    """The athlete's TrainingLog, built where the task runs."""
    from runback.log import TrainingLog

    if src.folder is not None and src.diary is not None:
        return TrainingLog.from_paths([src.folder], diary=src.diary, workers=1,
                                      cache_dir=cache_dir)
    pain: pd.DataFrame | None = None
    notes: list[str] = []
    if src.diary_table is not None:
        d = _diary_from_table(src.diary_table, src.table_name or src.name)
        pain, notes = d.pain, [f"{src.diary_table}: {p}" for p in d.problems]
    if src.folder is not None:
        log = TrainingLog.from_paths([src.folder], workers=1, cache_dir=cache_dir)
        if pain is not None:
            log = TrainingLog(log.import_result, pain=pain, profile=log.profile,
                              notes=log.notes + notes)
            log.paths = [src.folder]
        return log
    return _log_from_table(src, pain, notes, cache_dir)


def _mixed_warnings(log: TrainingLog, name: str) -> list[str]:
    """Signs that one folder holds two athletes' files."""
    out: list[str] = []
    skipped = log.import_result.skipped
    diaries = skipped[skipped["reason"].str.contains("pain diary", na=False)]
    if len(diaries):
        out.append(f"{name}: the folder holds another pain diary ({diaries['name'].iloc[0]}): "
                   "are two athletes' files mixed in it? Give each athlete a folder")
    acts = log.activities
    runs = acts[acts["is_run"].fillna(False).astype(bool)].sort_values("start_time")
    if len(runs) >= 4:
        start = (runs["start_time"] - pd.Timestamp(0, tz="UTC")).dt.total_seconds() \
            .to_numpy(dtype=float, na_value=np.nan)
        span = runs["elapsed_time_s"].fillna(runs["moving_time_s"]).fillna(0)
        end = start + span.to_numpy(dtype=float, na_value=0.0)
        running_end = np.maximum.accumulate(end)
        overlap = int((start[1:] < running_end[:-1]).sum())
        if overlap >= max(3, 0.05 * len(runs)):
            out.append(f"{name}: {overlap} runs overlap in time with another run that is not "
                       "the same run: are two athletes' files mixed in the folder?")
    return out


def write_partition(table: pd.DataFrame, root: str, name: str, athlete: str) -> str:
    """Write one athlete's ``name`` table to ``root/name/athlete=<athlete>/part-0.parquet``.

    The athlete's value is percent-encoded in the folder name (pyarrow's hive partitioning
    decodes it); the file is written to a temporary name and renamed, so a reader sees the
    whole file or the one before.

    Returns
    -------
    str
        The file written.
    """
    folder = os.path.join(root, name, f"athlete={quote(athlete, safe='')}")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "part-0.parquet")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-0.", suffix=".tmp")
    os.close(fd)
    try:
        table.drop(columns=["athlete"], errors="ignore").reset_index(drop=True).to_parquet(
            tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def athlete_task(src: AthleteSource, *, tables_dir: str | None = None,
                 cache_dir: str | None = None, window_days: int = WINDOW_D,
                 washout_days: int | str = WASHOUT_D) -> AthleteOutcome:
    """One athlete's work: import, tables, design and own fit (a Dask task).

    Nothing escapes as an exception: an athlete that cannot be read comes back with
    ``error`` set and the cohort goes on.

    Parameters
    ----------
    src : AthleteSource
        The athlete.
    tables_dir : str, optional
        Write ``activities``, ``daily`` and ``weekly`` here, partitioned by athlete.
    cache_dir : str, optional
        The parsed-file cache (default: the usual one, as the workers see it).
    window_days : int
        Hazard window. [d]
    washout_days : int
        Days after a flare-up that are not at risk. [d]

    Returns
    -------
    AthleteOutcome
    """
    out = AthleteOutcome(src.name, src.where)
    if src.daily is not None:
        return daily_task(src.name, src.daily, window_days=window_days,
                          washout_days=washout_days, seed=src.seed)
    try:
        log = _load(src, cache_dir)
        out.has_diary = log.has_diary
        res = log.import_result
        out.warnings += [f"{src.name}: skipped {n}: {r}" for n, r, quiet in zip(
            res.skipped["name"], res.skipped["reason"], res.skipped["not_activity"],
            strict=True) if not quiet or "pain diary" not in r]
        out.warnings += [f"{src.name}: {w}" for w in res.warnings]
        out.warnings += [f"{src.name}: {n}" for n in log.notes if ": line " in n]
        if tables_dir is not None:
            for t in TABLES:
                write_partition(getattr(log, t), tables_dir, t, src.name)
        out.warnings += _mixed_warnings(log, src.name)
        if not len(log.activities):
            out.warnings.append(f"{src.name}: no runs imported")
        if not log.has_diary:
            out.warnings.append(f"{src.name}: no pain diary: tables only, no factor analysis")
        elif len(log.activities):
            out.design, out.fit = athlete_fit(log.daily, window_days=window_days,
                                              washout_days=washout_days, seed=src.seed)
        out.quality = _quality(log, out.design, log.has_diary)
    except RunbackError as e:
        out.error = str(e)
    except Exception as e:  # noqa: BLE001 - one athlete never stops the cohort
        out.error = f"unexpected error: {type(e).__name__}: {e}"
    return out
