"""Many athletes at once: per-athlete work on Dask, one pooled model over their strata.

::

    athlete folders / a long activity table (+ a long diary table)
       -> sources(): one AthleteSource per athlete (names checked, empty names reported)
       -> athlete_task() per athlete, a Dask task: import, daily and weekly tables (written
          to --tables by the worker), the case-crossover design, the athlete's own fit
       -> pool(): strata = athlete x onset, each athlete's exposures divided by their own
          person-SD; the factor engine's Firth-penalised conditional logit over all
          strata (runback.factors.fit_design); Benjamini-Hochberg over the whole cohort's
          family; a DerSimonian-Laird random-effects meta-analysis of
          the athletes' log odds ratios (tau^2, I^2); each athlete's estimate shrunk toward
          the pooled mean (empirical Bayes)

Where the tasks run: in this process for one athlete; on a ``LocalCluster`` with one
single-threaded worker process per core for several; on an existing cluster with
``scheduler="tcp://host:port"`` (or ``RUNBACK_SCHEDULER``). Athlete files are read where
the workers run, so their paths must be visible to the workers (a shared folder, or
object-store URLs that fsspec reads, for long tables). A task returns only the athlete's
design and estimates (a few kilobytes); the tables stay on the worker or go to ``--tables``,
so memory is bounded per athlete. Every task is deterministic (nothing in it is random; each
athlete also carries a seed fixed by the name, for randomised steps), so the result does
not depend on the number of workers, and a task lost with its worker is simply run again.

References
----------
DerSimonian R, Laird N. Meta-analysis in clinical trials. Control Clin Trials 1986;7:177.
Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med 2002;21:1539.
Morris CN. Parametric empirical Bayes inference. J Am Stat Assoc 1983;78:47-55.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

import numpy as np
import pandas as pd

from runback.errors import RunbackError, SchemaError

__all__ = [
    "AthleteSource",
    "AthleteOutcome",
    "CohortResult",
    "Cohort",
    "sources",
    "athlete_task",
    "daily_task",
    "run_tasks",
    "pool",
    "shrink",
    "pooled_for_team",
    "TABLE_COLUMNS",
    "TABLES",
]

#: The long activity table's columns: canonical name -> (comparison keys, factor to SI).
#: Names are compared as the hand-kept log's are (case, spacing, punctuation and a unit in
#: brackets ignored: ``Distance (m)`` is ``distance_m``).
TABLE_COLUMNS: dict[str, tuple[tuple[str, float], ...]] = {
    "athlete": (("athlete", 1.0), ("athlete_id", 1.0), ("name", 1.0)),
    "start_time": (("start_time", 1.0), ("start", 1.0), ("date", 1.0)),
    "distance_m": (("distance_m", 1.0), ("distance_km", 1000.0), ("distance_mi", 1609.344)),
    "moving_time_s": (("moving_time_s", 1.0), ("moving_time", 1.0)),
    "elapsed_time_s": (("elapsed_time_s", 1.0), ("elapsed_time", 1.0)),
    "elevation_gain_m": (("elevation_gain_m", 1.0), ("elevation_gain", 1.0)),
    "elevation_loss_m": (("elevation_loss_m", 1.0), ("elevation_loss", 1.0)),
    "avg_hr_bpm": (("avg_hr_bpm", 1.0), ("avg_hr", 1.0), ("average_heart_rate", 1.0)),
    "sport": (("sport", 1.0), ("type", 1.0)),
    "surface": (("surface", 1.0),),
    "rpe": (("rpe", 1.0),),
    "timezone": (("timezone", 1.0), ("time_zone", 1.0), ("tz", 1.0)),
}
#: Tables ``--tables`` writes, one Parquet dataset each, partitioned by athlete.
TABLES = ("activities", "daily", "weekly")
#: Hazard window [d] and washout after a flare-up [d], or "auto": each athlete's own return
#: to normal training, estimated by the factor engine (docs/methods.md section 6). A fixed
#: 21 days left acute and chronic load biased in the pooled null cohorts of
#: tests/test_cohort.py (a false finding in 2 of 10); each athlete's own washout left 1.
WINDOW_D = 3
WASHOUT_D: int | str = "auto"
#: False discovery rate of the cohort's one family.
FDR = 0.10
#: Z for a two-sided 95 % interval.
Z95 = 1.959963984540054
#: A per-athlete |log OR| per SD beyond this, or a standard error beyond MAX_SE, is not
#: sized by the athlete's data and stays out of the meta-analysis.
MAX_LOG_OR = 7.0
MAX_SE = 5.0
#: Rows read at a time from a long CSV table (memory stays bounded per athlete).
CSV_CHUNK_ROWS = 200_000
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


# ----------------------------------------------------------------------------------------
# Sources: who the athletes are and where their data is
# ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AthleteSource:
    """Where one athlete's data is; small and picklable, it is what a task receives.

    Attributes
    ----------
    name : str
        The athlete's name (folder name, or the long table's ``athlete`` value).
    folder : str or None
        An athlete folder: activities, ``pain_diary.csv`` and ``runback.toml``.
    table : str or None
        A long activity table (CSV or Parquet) holding this athlete's rows.
    table_name : str or None
        The athlete's value in the table's ``athlete`` column (``name`` may differ when
        two athletes share a name).
    diary : str or None
        The athlete's own diary file.
    diary_table : str or None
        A long diary table with an ``athlete`` column.
    daily : DataFrame or None
        A daily table given directly (generated athletes, tests, benchmarks).
    seed : int
        The athlete's own seed, fixed by their name.
    """

    name: str
    folder: str | None = None
    table: str | None = None
    table_name: str | None = None
    diary: str | None = None
    diary_table: str | None = None
    daily: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    seed: int = 0

    @property
    def where(self) -> str:
        """The source in words."""
        if self.folder is not None:
            return self.folder
        if self.table is not None:
            return f"{self.table} (athlete {self.table_name})"
        return "a daily table"


def _seed(name: str, seed: int = 0) -> int:
    return (zlib.crc32(name.encode("utf-8")) + 1_000_003 * seed) % 2**32


def _key(label: str) -> str:
    from runback.io.activity_csv.cells import _column_key

    return _column_key(str(label))


def _find_column(columns: Sequence[str], canonical: str, path: str,
                 required: bool = False) -> tuple[str | None, float]:
    keys = {}
    for c in columns:
        keys.setdefault(_key(c), c)
    for key, factor in TABLE_COLUMNS.get(canonical, ((canonical, 1.0),)):
        if key in keys:
            return keys[key], factor
    if required:
        raise SchemaError(f"{path}: no {canonical} column; found columns "
                          f"{', '.join(map(str, columns))}")
    return None, 1.0


def _is_parquet(path: str) -> bool:
    return path.lower().endswith((".parquet", ".pq")) or os.path.isdir(path)


def _table_columns(path: str) -> list[str]:
    try:
        if _is_parquet(path):
            import pyarrow.dataset as ds

            return list(ds.dataset(path, partitioning="hive").schema.names)
        return list(pd.read_csv(path, nrows=0, dtype=str).columns)
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise RunbackError(f"{path}: cannot be read as a table ({e})") from e


def _athlete_values(path: str) -> tuple[pd.Series, str]:
    """The ``athlete`` column of a long table alone (the rest is read by the workers)."""
    col, _ = _find_column(_table_columns(path), "athlete", path, required=True)
    try:
        if _is_parquet(path):
            values = pd.read_parquet(path, columns=[col])[col]
        else:
            values = pd.read_csv(path, usecols=[col], dtype=str, keep_default_na=False)[col]
    except (OSError, ValueError) as e:
        raise RunbackError(f"{path}: cannot be read as a table ({e})") from e
    return values.astype("string").fillna("").str.strip(), col


def _athlete_rows(path: str, name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """One athlete's rows of a long table, as text, with their file lines (header = 1)."""
    col, _ = _find_column(_table_columns(path), "athlete", path, required=True)
    if _is_parquet(path):
        import pyarrow as pa
        import pyarrow.dataset as ds

        dataset = ds.dataset(path, partitioning="hive")
        kind = dataset.schema.field(col).type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            # row groups and partitions of other athletes are skipped unread
            df = dataset.to_table(filter=ds.field(col) == name).to_pandas()
            if len(df):
                df = df.astype("string")
                return df.reset_index(drop=True), np.arange(len(df)) + 2
        df = dataset.to_table().to_pandas().astype("string")
        keep = df[col].fillna("").str.strip() == name
        lines = np.flatnonzero(keep.to_numpy()) + 2
        return df[keep].reset_index(drop=True), lines
    parts, lines = [], []
    start = 0
    with pd.read_csv(path, dtype=str, keep_default_na=False,
                     chunksize=CSV_CHUNK_ROWS) as chunks:
        for chunk in chunks:
            keep = chunk[col].str.strip() == name
            parts.append(chunk[keep])
            lines.append(np.flatnonzero(keep.to_numpy()) + start + 2)
            start += len(chunk)
    if not parts:
        return pd.DataFrame(columns=[col]), np.zeros(0, dtype=int)
    return pd.concat(parts, ignore_index=True), np.concatenate(lines)


def sources(paths: Iterable[str], *, diary_table: str | None = None,
            diary_name: str = "pain_diary.csv", seed: int = 0
            ) -> tuple[list[AthleteSource], list[str]]:
    """The athletes of a cohort: one per folder, one per name in each long table.

    Parameters
    ----------
    paths : iterable of str
        Athlete folders (named by the folder) and long activity tables (``.csv``,
        ``.csv.gz``, ``.parquet``) with an ``athlete`` column.
    diary_table : str, optional
        A long diary (CSV or Parquet) with an ``athlete`` column beside the diary's own
        columns; it gives the diary of every athlete without a ``pain_diary.csv``.
    diary_name : str
        The diary file inside each athlete folder.
    seed : int
        Cohort seed; each athlete's seed is fixed by it and the athlete's name.

    Returns
    -------
    (list of AthleteSource, list of str)
        The athletes in the order given (a table's athletes in the order first met), and
        warnings: rows without an athlete, names met twice (the second becomes
        ``name (2)``), athletes of the diary table without activities.

    Raises
    ------
    RunbackError
        A path that does not exist, or a table that cannot be read or has no athlete
        column.
    """
    found: list[AthleteSource] = []
    warnings: list[str] = []
    diary_names: set[str] = set()
    diary_table = None if diary_table is None else os.fspath(diary_table)
    if diary_table is not None:
        values, _ = _athlete_values(diary_table)
        empty = int((values == "").sum())
        if empty:
            warnings.append(f"{diary_table}: {empty} diary row{'s' if empty != 1 else ''} "
                            "without an athlete name left out")
        diary_names = set(values[values != ""])
    taken: Counter = Counter()

    def add(name: str, **kw) -> None:
        taken[name] += 1
        shown = name if taken[name] == 1 else f"{name} ({taken[name]})"
        if taken[name] > 1:
            where = kw.get("folder") or kw.get("table")
            warnings.append(f"two athletes are called {name!r}: the one from {where} is "
                            f"shown as {shown!r}")
        found.append(AthleteSource(shown, seed=_seed(shown, seed), **kw))

    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p) and not _is_parquet_dataset(p):
            name = os.path.basename(os.path.normpath(os.path.abspath(p)))
            own = os.path.join(p, diary_name)
            if os.path.isfile(own):
                add(name, folder=p, diary=own)
            else:
                add(name, folder=p, diary_table=diary_table if name in diary_names else None)
            continue
        if not os.path.exists(p) and "://" not in p:
            raise RunbackError(f"{p}: no such file or folder")
        values, _ = _athlete_values(p)
        empty = values == ""
        if empty.any():
            rows = ", ".join(str(i + 2) for i in np.flatnonzero(empty.to_numpy())[:5])
            more = " ..." if empty.sum() > 5 else ""
            warnings.append(f"{p}: {int(empty.sum())} row{'s' if empty.sum() != 1 else ''} "
                            f"without an athlete name left out (rows {rows}{more})")
        for name in pd.unique(values[~empty]):
            add(str(name), table=p, table_name=str(name),
                diary_table=diary_table if str(name) in diary_names else None)
    names = {s.table_name or s.name for s in found}
    lost = sorted(diary_names - names)
    if lost:
        warnings.append(f"{diary_table}: diary rows of {', '.join(lost)}, who "
                        f"{'has' if len(lost) == 1 else 'have'} no activities, left out")
    return found, warnings


def _is_parquet_dataset(path: str) -> bool:
    """A folder that is a Parquet dataset (a long table), not an athlete's folder."""
    names = os.listdir(path)
    return bool(names) and all(n.endswith(".parquet") or n.startswith(("athlete=", ".", "_"))
                               for n in names)


# ----------------------------------------------------------------------------------------
# One athlete: a task
# ----------------------------------------------------------------------------------------

@dataclass
class AthleteOutcome:
    """What one athlete's task hands back: small, whatever the size of their data.

    Attributes
    ----------
    name : str
        The athlete.
    where : str
        Their source in words.
    has_diary : bool
        Whether a pain diary was found.
    quality : dict
        The data-quality row: activities, runs, first_day, last_day, days_logged,
        flare_ups, onsets (usable), skipped (files).
    design : DataFrame
        Their case-crossover design, exposures divided by their own person-SD.
    fit : DataFrame
        Their own estimates: factor, coef, se, odds_ratio, ci_low, ci_high, p_value,
        q_value, n_onsets.
    warnings : list of str
        Everything the user should know about this athlete, each naming them.
    error : str or None
        Why the athlete could not be analysed at all.
    """

    name: str
    where: str
    has_diary: bool = False
    quality: dict = field(default_factory=dict)
    design: pd.DataFrame | None = None
    fit: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def n_onsets(self) -> int:
        """Onsets with at least one comparison day in the design."""
        if self.design is None or self.design.empty:
            return 0
        return int(self.design.loc[self.design["case"].astype(bool), "stratum"].nunique())


def _raw_activities(rows: pd.DataFrame, lines: np.ndarray, path: str,
                    name: str) -> tuple[pd.DataFrame, list[str]]:
    """A long table's rows -> the raw activity frame the importer assembles."""
    from runback.io.activity_csv.log import _SURFACE_SUB_SPORT
    from runback.io.base import normalize_sport
    from runback.timezones import parse_zone

    cols = list(rows.columns)
    where = f"{path} (athlete {name})"
    start_col, _ = _find_column(cols, "start_time", path, required=True)
    warnings: list[str] = []
    out = []
    found = {c: _find_column(cols, c, path) for c in TABLE_COLUMNS if c not in (
        "athlete", "start_time")}
    if found["distance_m"][0] is None and found["moving_time_s"][0] is None:
        raise SchemaError(f"{path}: needs distance_m or moving_time_s beside athlete and "
                          f"start_time; found columns {', '.join(map(str, cols))}")
    for i, line in enumerate(lines):
        r = rows.iloc[i]
        text = str(r[start_col]).strip()
        zone_text = None
        if found["timezone"][0] is not None:
            zone_text = str(r[found["timezone"][0]]).strip() or None
            if zone_text in ("<NA>", "nan"):
                zone_text = None
        try:
            naive = _OFFSET.search(text) is None
            if naive:
                local = pd.Timestamp(text)
                if local.tzinfo is not None:
                    raise ValueError(text)
                start, offset = pd.NaT, math.nan
                if zone_text:
                    zone = parse_zone(zone_text)
                    start = local.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
                    offset = start.utcoffset().total_seconds()
                    start = start.tz_convert("UTC")
            else:
                start = pd.Timestamp(text)
                offset = start.utcoffset().total_seconds()
                if zone_text:
                    offset = start.tz_convert(parse_zone(zone_text)).utcoffset().total_seconds()
                start = start.tz_convert("UTC")
                local = pd.NaT
        except (ValueError, TypeError, RunbackError) as e:
            reason = str(e) if isinstance(e, RunbackError) else f"start_time {text!r} not " \
                "understood (ISO 8601, e.g. 2025-03-04T18:15:00+01:00)"
            warnings.append(f"{where}: row {line}: {reason}; row left out")
            continue

        def number(canonical: str, r=r, line=line) -> float:
            col, factor = found[canonical]
            if col is None:
                return math.nan
            v = str(r[col]).strip()
            if v in ("", "<NA>", "nan", "--"):
                return math.nan
            try:
                return float(v) * factor
            except ValueError:
                warnings.append(f"{where}: row {line}: {canonical} {v!r} is not a number; "
                                "left empty")
                return math.nan

        sport_col = found["sport"][0]
        label = str(r[sport_col]).strip() if sport_col is not None else ""
        sport, sub = normalize_sport(label) if label and label != "<NA>" else ("running", None)
        surf_col = found["surface"][0]
        surface = str(r[surf_col]).strip().lower() if surf_col is not None else ""
        if surface and surface != "<na>":
            sub = _SURFACE_SUB_SPORT.get(surface, sub)
        out.append({
            "key": f"table-{zlib.crc32(f'{path}|{name}'.encode()):08x}", "part": len(out),
            "format": "csv", "sport": sport, "sub_sport": sub,
            "start_time": start, "local_start": local, "utc_offset_s": offset,
            "device_distance_m": number("distance_m"),
            "device_moving_s": number("moving_time_s"),
            "device_elapsed_s": number("elapsed_time_s"),
            "device_ascent_m": number("elevation_gain_m"),
            "device_descent_m": number("elevation_loss_m"),
            "device_avg_hr_bpm": number("avg_hr_bpm"),
            "rpe": number("rpe"),
        })
    frame = pd.DataFrame(out)
    if len(frame):
        frame["start_time"] = pd.to_datetime(frame["start_time"], utc=True)
        frame["local_start"] = pd.to_datetime(frame["local_start"])
    return frame, warnings


def _log_from_table(src: AthleteSource, pain, notes, cache_dir):
    from runback.importer import FileOutcome
    from runback.importer.assemble import assemble_result
    from runback.log import TrainingLog
    from runback.store import Store

    rows, lines = _athlete_rows(src.table, src.table_name)
    raw, warnings = _raw_activities(rows, lines, src.table, src.table_name)
    label = f"{src.table} (athlete {src.table_name})"
    store = Store(cache_dir)
    outcome = FileOutcome(label, src.table, os.path.basename(src.table))
    if len(raw):
        outcome.key = str(raw["key"].iloc[0])
    else:
        outcome.skip = "no readable row for this athlete"
    tables = [{"activities": raw}] if len(raw) else []
    result = assemble_result([outcome], tables, store, tz=None, tz_source="option")
    result.warnings[:0] = warnings
    return TrainingLog(result, pain=pain, notes=notes)


def _diary_from_table(path: str, name: str):
    from runback.io.diary import read_diary

    rows, _ = _athlete_rows(path, name)
    col, _ = _find_column(list(rows.columns), "athlete", path, required=True)
    buf = io.StringIO()
    rows.drop(columns=[col]).to_csv(buf, index=False)
    return read_diary(buf.getvalue().encode("utf-8"), name=f"{path} (athlete {name})")


def _load(src: AthleteSource, cache_dir):
    """The athlete's TrainingLog, built where the task runs."""
    from runback.log import TrainingLog

    if src.folder is not None and src.diary is not None:
        return TrainingLog.from_paths([src.folder], diary=src.diary, workers=1,
                                      cache_dir=cache_dir)
    pain, notes = None, []
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


def _mixed_warnings(log, name: str) -> list[str]:
    """Signs that one folder holds two athletes' files."""
    out = []
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


def _quality(log, design: pd.DataFrame | None, has_diary: bool) -> dict:
    acts = log.activities
    daily = log.daily
    runs = int(acts["is_run"].fillna(False).astype(bool).sum()) if len(acts) else 0
    days = pd.to_datetime(daily["date"]) if len(daily) else pd.Series([], dtype="datetime64[ns]")
    logged = int(daily["logged"].fillna(False).astype(bool).sum()) if has_diary and len(
        daily) else 0
    onsets = 0 if design is None or design.empty else int(
        design.loc[design["case"].astype(bool), "stratum"].nunique())
    return {
        "activities": len(acts), "runs": runs,
        "first_day": None if days.empty else days.min().date().isoformat(),
        "last_day": None if days.empty else days.max().date().isoformat(),
        "days_logged": logged,
        "flare_ups": len(log.flares) if has_diary else 0,
        "onsets": onsets,
        "skipped": len(log.import_result.skipped),
    }


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


def daily_task(name: str, daily: pd.DataFrame, *, window_days: int = WINDOW_D,
               washout_days: int | str = WASHOUT_D, seed: int = 0) -> AthleteOutcome:
    """:func:`athlete_task` for an athlete given as a daily table (generated athletes)."""
    out = AthleteOutcome(name, "a daily table", has_diary="flare_onset" in daily.columns)
    try:
        out.design, out.fit = athlete_fit(daily, window_days=window_days,
                                          washout_days=washout_days, seed=seed)
    except RunbackError as e:
        out.error = str(e)
    days = pd.to_datetime(daily["date"])
    out.quality = {"activities": int((daily.get("runs", pd.Series(0)) > 0).sum()),
                   "runs": int(daily.get("runs", pd.Series(0)).sum()),
                   "first_day": days.min().date().isoformat(),
                   "last_day": days.max().date().isoformat(),
                   "days_logged": int(daily["logged"].fillna(False).astype(bool).sum())
                   if "logged" in daily else 0,
                   "flare_ups": int(daily["flare_onset"].fillna(False).astype(bool).sum()),
                   "onsets": out.n_onsets, "skipped": 0}
    return out


# ----------------------------------------------------------------------------------------
# The engine: the case-crossover design and its fit
# ----------------------------------------------------------------------------------------

#: Columns of a fit table (one athlete's or the pooled one).
FIT_COLUMNS = ["factor", "coef", "se", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
               "n_onsets", "finding", "more", "less", "kind", "sign"]


def _scale(design: pd.DataFrame) -> pd.DataFrame:
    """Exposures divided by the athlete's own person-SD (binary factors stay 0/1).

    ``attrs["sd"]`` becomes 1 for every scaled factor, so the engine does not divide again,
    and stays missing for a factor without data.
    """
    from runback.factors import BY_NAME

    out = design.copy()
    sds = dict(design.attrs.get("sd") or {})
    for name, sd in sds.items():
        factor = BY_NAME.get(name)
        if name not in out or (factor is not None and factor.kind == "binary"):
            continue
        ok = sd is not None and np.isfinite(sd) and sd > 0
        out[name] = out[name] / sd if ok else np.nan
        sds[name] = 1.0 if ok else math.nan
    out.attrs = {**design.attrs, "sd": sds}
    return out


def _fit_table(result) -> pd.DataFrame:
    table = result.factors.copy()
    for c in FIT_COLUMNS:
        if c not in table:
            table[c] = np.nan
    return table[FIT_COLUMNS].reset_index(drop=True)


def _blank_fit() -> pd.DataFrame:
    from runback.factors import FACTORS

    table = pd.DataFrame({"factor": [f.name for f in FACTORS]})
    for c in FIT_COLUMNS[1:]:
        table[c] = np.nan
    table["n_onsets"] = 0
    table["finding"] = False
    return table


def athlete_fit(daily: pd.DataFrame, *, window_days: int = WINDOW_D,
                washout_days: int | str = WASHOUT_D, seed: int = 0
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One athlete's scaled design and own estimates, by the factor engine.

    The athlete's own fit gives the log odds ratio per their person-SD and its standard
    error (what the meta-analysis needs); its interval here is the Wald one, as profile
    intervals for every athlete would cost more than the pooled fit.

    Parameters
    ----------
    daily : DataFrame
        The athlete's daily table.
    window_days : int
        Hazard window. [d]
    washout_days : int or "auto"
        Days after a flare-up that are not at risk [d] (``auto``: the athlete's own).
    seed : int
        The athlete's seed (the engine's fit is deterministic; kept for the permutation
        batches the engine may add).

    Returns
    -------
    (DataFrame, DataFrame)
        The design (exposures per the athlete's person-SD) and the fit table
        (:data:`FIT_COLUMNS`).
    """
    from runback.factors import case_crossover_design, fit_design

    design = case_crossover_design(daily, window_days=window_days, washout_days=washout_days)
    scaled = _scale(design)
    if scaled.empty:
        return scaled, _blank_fit()
    table = _fit_table(fit_design(scaled, ci=False))
    with np.errstate(over="ignore", invalid="ignore"):
        table["ci_low"] = np.exp(table["coef"] - Z95 * table["se"])
        table["ci_high"] = np.exp(table["coef"] + Z95 * table["se"])
    return scaled, table


# ----------------------------------------------------------------------------------------
# Running the tasks on Dask
# ----------------------------------------------------------------------------------------

def run_tasks(items: Sequence[AthleteSource], *, scheduler: str | None = None,
              workers: int | None = None, **task_kwargs) -> list[AthleteOutcome]:
    """Run :func:`athlete_task` for every athlete on Dask; outcomes in the given order.

    Parameters
    ----------
    items : sequence of AthleteSource
        The athletes.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``); default
        ``$RUNBACK_SCHEDULER``, else in this process for one athlete and a
        ``LocalCluster`` for several.
    workers : int, optional
        Worker processes of the ``LocalCluster`` (default: the machine's cores, at most
        one per athlete); 1 runs every task in this process.
    **task_kwargs
        Passed to :func:`athlete_task`.

    Raises
    ------
    RunbackError
        When the scheduler cannot be reached.
    """
    import dask

    scheduler = scheduler or os.environ.get("RUNBACK_SCHEDULER") or None
    items = list(items)
    if not items:
        return []
    keys = [f"runback-athlete-{i}-{zlib.crc32(s.name.encode()):08x}"
            for i, s in enumerate(items)]
    if scheduler is None:
        n = min(workers or os.cpu_count() or 1, len(items))
        if n <= 1:
            tasks = [dask.delayed(athlete_task, pure=False)(s, **task_kwargs) for s in items]
            return list(dask.compute(*tasks, scheduler="synchronous"))
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as e:
            raise RunbackError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from e
        with client:
            return _gather(client, items, keys, task_kwargs)
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        return _gather(client, items, keys, task_kwargs)


def _gather(client, items, keys, task_kwargs) -> list[AthleteOutcome]:
    futures = [client.submit(athlete_task, s, key=k, pure=False, **task_kwargs)
               for s, k in zip(items, keys, strict=True)]
    try:
        return client.gather(futures)
    finally:
        client.cancel(futures)


# ----------------------------------------------------------------------------------------
# The pooled model
# ----------------------------------------------------------------------------------------

def shrink(y: np.ndarray, v: np.ndarray, mu: float, var_mu: float,
           tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes estimates of each athlete's log odds ratio.

    ``theta_i = mu + B_i (y_i - mu)`` with ``B_i = tau2 / (tau2 + v_i)``; variance
    ``B_i v_i + (1 - B_i)^2 var_mu`` (Morris 1983: the pooled mean's own uncertainty
    included). An athlete without an estimate (NaN ``y``) gets the prediction for a new
    athlete: ``mu`` with variance ``tau2 + var_mu``.

    Parameters
    ----------
    y, v : ndarray
        Athletes' log odds ratios and their variances. [log OR], [log OR^2]
    mu, var_mu : float
        Random-effects mean and its variance.
    tau2 : float
        Between-athlete variance. [log OR^2]

    Returns
    -------
    (ndarray, ndarray)
        Shrunk log odds ratios and their variances.
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    ok = np.isfinite(y) & np.isfinite(v)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(ok, tau2 / (tau2 + v), 0.0)
    theta = np.where(ok, mu + b * (np.where(ok, y, 0.0) - mu), mu)
    var = np.where(ok, b * np.where(ok, v, 0.0) + (1 - b) ** 2 * var_mu, tau2 + var_mu)
    return theta, var


def _meta(y: np.ndarray, v: np.ndarray) -> dict:
    """DerSimonian-Laird random-effects meta-analysis of log odds ratios.

    Cochran's Q and the DerSimonian-Laird moment estimate come from statsmodels
    ``combine_effects``; statsmodels leaves a negative estimate as it is, so tau^2 is
    truncated at 0 here, as DerSimonian and Laird define it, and the random-effects mean
    and I^2 = max(0, (Q - df) / Q) follow from the truncated value.
    """
    from statsmodels.stats.meta_analysis import combine_effects

    ok = np.isfinite(y) & np.isfinite(v) & (v > 0)
    k = int(ok.sum())
    if k < 2:
        return {"k": k, "mu": math.nan, "var_mu": math.nan, "tau2": math.nan, "i2": math.nan}
    with np.errstate(invalid="ignore", divide="ignore"):
        res = combine_effects(y[ok], v[ok], method_re="dl")
    tau2 = max(0.0, float(res.tau2))
    w = 1.0 / (v[ok] + tau2)
    q = float(res.q)
    return {"k": k, "mu": float((w * y[ok]).sum() / w.sum()), "var_mu": float(1.0 / w.sum()),
            "tau2": tau2, "i2": max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0}


@dataclass
class CohortResult:
    """The pooled analysis of a cohort.

    Attributes
    ----------
    n_athletes : int
        Athletes analysed (with a diary and at least one usable onset).
    n_onsets : int
        Strata of the pooled model (athlete x onset).
    power : str
        ``descriptive only``, ``underpowered`` or ``adequate`` (by pooled onsets).
    method : str
        The model in words.
    factors : DataFrame
        factor, odds_ratio, ci_low, ci_high, p_value, q_value, n_onsets, n_athletes, tau2,
        i2, coef, se, meta_odds_ratio (the random-effects mean).
    athletes : DataFrame
        One row per athlete and factor: athlete, factor, n_onsets, odds_ratio, ci_low,
        ci_high (shrunk), own_odds_ratio, own_ci_low, own_ci_high, own_q_value.
    quality : DataFrame
        One row per athlete: the data-quality table.
    findings : list of dict
        factor, effect, unit, ci_low, ci_high, q_value, tau2, i2, sentence.
    warnings : list of str
    """

    n_athletes: int
    n_onsets: int
    power: str
    method: str
    factors: pd.DataFrame
    athletes: pd.DataFrame
    quality: pd.DataFrame
    findings: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON object of ``runback cohort`` (cli-contract.md); NaN becomes None."""
        keys = ("factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
                "n_onsets", "n_athletes", "tau2", "i2")
        akeys = ("factor", "odds_ratio", "ci_low", "ci_high", "own_odds_ratio", "own_ci_low",
                 "own_ci_high", "own_q_value")
        athletes = []
        for name in self.quality["athlete"]:
            rows = self.athletes[self.athletes["athlete"] == name]
            n = int(self.quality.loc[self.quality["athlete"] == name, "onsets"].iloc[0])
            athletes.append({"athlete": name, "n_onsets": n,
                             "factors": [{k: _plain(r[k]) for k in akeys}
                                         for r in rows.to_dict("records")]})
        return {
            "n_athletes": int(self.n_athletes),
            "n_onsets": int(self.n_onsets),
            "power": self.power,
            "method": self.method,
            "factors": [{k: _plain(r[k]) for k in keys}
                        for r in self.factors.to_dict("records")],
            "athletes": athletes,
            "findings": [{k: _plain(v) for k, v in f.items()} for f in self.findings],
            "warnings": list(self.warnings),
        }


def _plain(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _q_text(q: float) -> str:
    return "< 0.001" if q < 0.001 else f"= {q:.3f}" if q < 0.01 else f"= {q:.2f}"


def _finding(row, n_athletes: int, n_onsets: int) -> dict:
    from runback.display import ratio_text
    from runback.factors import BY_NAME

    f = BY_NAME[row.factor]
    unit = "exposed vs not" if f.kind == "binary" else (
        "per athlete's own SD less" if f.sign < 0 else "per athlete's own SD")
    did = str(row.more if row.ci_low > 1 else row.less).replace("your ", "their ")
    sentence = (f"Across {n_athletes} athletes and {n_onsets} flare-ups, in the days before a "
                f"flare-up runners {did} than on comparable days "
                f"(odds ratio {ratio_text(row.odds_ratio)} {unit}, 95 % CI "
                f"{ratio_text(row.ci_low)} to {ratio_text(row.ci_high)}, q "
                f"{_q_text(row.q_value)}). This is an association, not proof of cause.")
    if math.isfinite(row.i2):
        spread = ("The athletes differ little" if row.i2 < 0.3 else
                  "The athletes differ" if row.i2 < 0.6 else "The athletes differ a lot")
        sentence += f" {spread} in this (I² = {100 * row.i2:.0f} %)."
    return {"factor": row.factor, "effect": float(row.odds_ratio), "unit": unit,
            "ci_low": float(row.ci_low), "ci_high": float(row.ci_high),
            "q_value": float(row.q_value), "tau2": row.tau2, "i2": row.i2,
            "sentence": sentence}


def _window_of(parts: list[pd.DataFrame]) -> int:
    return int(parts[0].attrs.get("window_days", WINDOW_D)) if parts else WINDOW_D


def pool(outcomes: Sequence[AthleteOutcome], *, fdr: float = FDR) -> CohortResult:
    """The pooled model over the athletes' designs, with heterogeneity and shrinkage.

    Strata are athlete x onset (each athlete's own referents), exposures are already per
    each athlete's person-SD; the pooled fit uses the factor engine; q-values are
    Benjamini-Hochberg over the one family of the whole cohort. Each factor's athletes
    with a sized estimate enter a DerSimonian-Laird meta-analysis (tau^2, I^2), and every
    athlete's estimate is shrunk toward its random-effects mean (:func:`shrink`).

    Parameters
    ----------
    outcomes : sequence of AthleteOutcome
        What the athletes' tasks handed back, in the order to show.
    fdr : float
        False discovery rate of a finding. Default 0.10.

    Returns
    -------
    CohortResult
    """
    from runback.factors import fit_design, power_label
    warnings: list[str] = []
    parts, quality = [], []
    for i, o in enumerate(outcomes):
        warnings += o.warnings
        if o.error is not None:
            warnings.append(f"{o.name}: not analysed: {o.error}")
        elif not o.has_diary:
            pass
        elif o.n_onsets == 0:
            warnings.append(f"{o.name}: no flare-up with a comparison day: not in the pooled "
                            "model")
        if o.design is not None and o.n_onsets:
            d = o.design.copy()
            d["stratum"] = i * 100_000 + d["stratum"].astype("int64")
            d.insert(0, "athlete", o.name)
            parts.append(d)
        quality.append({"athlete": o.name, "source": o.where,
                        "diary": "yes" if o.has_diary else "no",
                        **{k: o.quality.get(k) for k in ("activities", "runs", "first_day",
                                                         "last_day", "days_logged",
                                                         "flare_ups", "skipped")},
                        "onsets": o.n_onsets, "problem": o.error or ""})
    no_diary = [o.name for o in outcomes if o.error is None and not o.has_diary]
    if no_diary:
        warnings.append(f"no pain diary for {', '.join(no_diary)}: left out of the factor "
                        "analysis")
    design = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["athlete", "stratum", "case", "date"])
    n_onsets = int(design.loc[design["case"].astype(bool), "stratum"].nunique()) \
        if len(design) else 0
    n_athletes = len(parts)
    if n_onsets:
        pooled_design = design.drop(columns=["athlete"])
        pooled_design.attrs = {"window_days": _window_of(parts),
                               "referents": parts[0].attrs.get("referents", "weeks")}
        pooled = _fit_table(fit_design(pooled_design, fdr=fdr))
    else:
        pooled = _blank_fit()
        warnings.append("no athlete has a flare-up with a comparison day: there is nothing "
                        "to pool")
    rows_a = []
    extra = {c: [] for c in ("n_athletes", "tau2", "i2", "meta_odds_ratio")}
    for f in pooled["factor"]:
        ys, vs, names, own = [], [], [], []
        for o in outcomes:
            if o.fit is None or o.n_onsets == 0:
                continue
            r = o.fit[o.fit["factor"] == f]
            y = float(r["coef"].iloc[0]) if len(r) else math.nan
            s = float(r["se"].iloc[0]) if len(r) else math.nan
            if not (math.isfinite(y) and math.isfinite(s) and abs(y) <= MAX_LOG_OR
                    and s <= MAX_SE):
                y = s = math.nan
            ys.append(y)
            vs.append(s * s)
            names.append(o.name)
            own.append(r.iloc[0] if len(r) else None)
        y, v = np.array(ys, dtype=float), np.array(vs, dtype=float)
        m = _meta(y, v)
        extra["n_athletes"].append(int(np.isfinite(y).sum()))
        extra["tau2"].append(m["tau2"])
        extra["i2"].append(m["i2"])
        extra["meta_odds_ratio"].append(math.exp(m["mu"]) if math.isfinite(m["mu"])
                                        else math.nan)
        if math.isfinite(m["mu"]):
            theta, var = shrink(y, v, m["mu"], m["var_mu"], m["tau2"])
        else:
            theta, var = y, v
        for name, t, s2, r in zip(names, theta, var, own, strict=True):
            sd = math.sqrt(s2) if math.isfinite(s2) else math.nan
            rows_a.append({
                "athlete": name, "factor": f,
                "odds_ratio": _exp(t), "ci_low": _exp(t - Z95 * sd),
                "ci_high": _exp(t + Z95 * sd),
                "own_odds_ratio": math.nan if r is None else r["odds_ratio"],
                "own_ci_low": math.nan if r is None else r["ci_low"],
                "own_ci_high": math.nan if r is None else r["ci_high"],
                "own_q_value": math.nan if r is None else r["q_value"],
            })
    for k, vals in extra.items():
        pooled[k] = vals
    quality_df = pd.DataFrame(quality)
    onsets_of = {o.name: o.n_onsets for o in outcomes}
    adf = pd.DataFrame(rows_a, columns=["athlete", "factor", "odds_ratio", "ci_low", "ci_high",
                                        "own_odds_ratio", "own_ci_low", "own_ci_high",
                                        "own_q_value"])
    adf.insert(2, "n_onsets", adf["athlete"].map(onsets_of).astype("int64"))
    power = power_label(n_onsets)
    table = pooled[["factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
                    "n_onsets", "n_athletes", "tau2", "i2", "coef", "se", "meta_odds_ratio"]]
    # the engine's rule: q <= fdr, enough flare-ups, an interval that excludes 1 and that
    # the data can size
    findings = [_finding(r, n_athletes, n_onsets)
                for r in pooled.itertuples() if bool(r.finding)]
    if power != "adequate" and n_onsets:
        warnings.append(f"{n_onsets} pooled flare-ups: results are {power}; read the "
                        "confidence intervals, not the p-values")
    method = (f"pooled case-crossover over {n_athletes} athletes: strata = athlete x onset "
              "with each athlete's own referents (same weekday, up to 8 weeks before and "
              "after; at risk: outside flare-ups and the washout after them), exposures per "
              "each athlete's own person-SD; Firth-penalised conditional logistic regression "
              "adjusted for running distance and days since the last flare-up (acute with "
              "chronic load; climb, descent and uneven terrain together), profile-likelihood "
              "95 % CIs, penalised likelihood-ratio p; Benjamini-Hochberg q over the "
              f"cohort's one family of {int(table['p_value'].notna().sum())} factors at "
              f"{fdr:g}; DerSimonian-Laird random-effects meta-analysis of the athletes' log "
              "odds ratios (tau², I²) and empirical-Bayes shrinkage of each athlete's estimate")
    return CohortResult(n_athletes, n_onsets, power, method, table.reset_index(drop=True),
                        adf, quality_df, findings, warnings)


def _exp(v: float) -> float:
    if not math.isfinite(v):
        return math.nan
    return math.exp(min(v, 700.0))


# ----------------------------------------------------------------------------------------
# The notebook door, and the team view's entry
# ----------------------------------------------------------------------------------------

class Cohort:
    """Many athletes, analysed together: the notebook door onto :mod:`runback.cohort`.

    ::

        cohort = Cohort.from_paths(["squad/ana", "squad/ben", "club.parquet"],
                                   diary_table="club_diary.csv", tables="tables/")
        cohort.result.factors       # pooled odds ratios with tau^2 and I^2
        cohort.result.athletes      # each athlete's shrunk estimate
        cohort.table("weekly")      # every athlete's weekly table (from tables/)

    Parameters
    ----------
    athletes : sequence of AthleteSource
        The athletes (:func:`sources` makes them).
    warnings : list of str, optional
        Warnings from finding the athletes.
    """

    def __init__(self, athletes: Sequence[AthleteSource], warnings: list[str] | None = None):
        self.sources = list(athletes)
        self.notes = list(warnings or [])
        self.outcomes: list[AthleteOutcome] | None = None
        self.tables_dir: str | None = None
        self._result: CohortResult | None = None

    @classmethod
    def from_paths(cls, paths: Iterable[str], *, diary_table: str | None = None,
                   diary_name: str = "pain_diary.csv", seed: int = 0) -> Cohort:
        """Athlete folders and long tables (see :func:`sources`)."""
        found, warnings = sources(paths, diary_table=diary_table, diary_name=diary_name,
                                  seed=seed)
        return cls(found, warnings)

    @classmethod
    def from_daily(cls, tables: dict[str, pd.DataFrame], *, seed: int = 0) -> Cohort:
        """Athletes given as daily tables (name -> daily table with flare columns)."""
        return cls([AthleteSource(name, daily=d, seed=_seed(name, seed))
                    for name, d in tables.items()])

    def run(self, *, scheduler: str | None = None, workers: int | None = None,
            tables: str | os.PathLike | None = None, cache_dir=None,
            window_days: int = WINDOW_D, washout_days: int | str = WASHOUT_D) -> CohortResult:
        """Run every athlete's task (on Dask) and the pooled model.

        Parameters
        ----------
        scheduler, workers
            As in :func:`run_tasks`.
        tables : path, optional
            Write ``activities``, ``daily`` and ``weekly`` there as Parquet datasets
            partitioned by athlete.
        cache_dir : path, optional
            Parsed-file cache, as the workers see it.
        window_days, washout_days : int
            Hazard window [d] and washout ([d], or "auto": each athlete's own).
        """
        self.tables_dir = None if tables is None else os.fspath(tables)
        self.outcomes = run_tasks(self.sources, scheduler=scheduler, workers=workers,
                                  tables_dir=self.tables_dir,
                                  cache_dir=None if cache_dir is None else os.fspath(cache_dir),
                                  window_days=window_days, washout_days=washout_days)
        self._result = pool(self.outcomes)
        self._result.warnings[:0] = self.notes
        return self._result

    @property
    def result(self) -> CohortResult:
        """The pooled analysis (runs the cohort in-process on first use)."""
        if self._result is None:
            self.run()
        return self._result

    def table(self, name: str, athletes: Sequence[str] | None = None) -> pd.DataFrame:
        """A table written by :meth:`run` with ``tables=``, read back (all athletes unless
        ``athletes`` names some), with an ``athlete`` column."""
        if name not in TABLES:
            raise ValueError(f"name must be one of {list(TABLES)}")
        if self.tables_dir is None:
            raise RunbackError("no tables were written: run the cohort with tables=FOLDER")
        filters = None if athletes is None else [("athlete", "in", list(athletes))]
        df = pd.read_parquet(os.path.join(self.tables_dir, name), filters=filters)
        df["athlete"] = df["athlete"].astype("string")
        return df

    def plot_forest(self, factor: str, ax=None):
        """The forest plot of one factor: each athlete's shrunk estimate and the pooled one."""
        from runback.report.cohort import plot_forest

        return plot_forest(self.result, factor, ax=ax)

    def report(self, path=None, *, title: str | None = None) -> str:
        """The cohort's self-contained HTML page (written atomically to ``path``)."""
        from runback.report import write_atomic
        from runback.report.cohort import render_cohort

        html = render_cohort(self.result, title=title)
        if path is not None:
            write_atomic(path, html)
        return html


def pooled_for_team(athletes: Sequence[tuple[str, object]], *,
                    window_days: int = WINDOW_D,
                    washout_days: int | str = WASHOUT_D) -> CohortResult:
    """The pooled analysis of athletes already loaded (``(name, TrainingLog)`` pairs).

    For the team view: its findings are the squad's shared ones, and ``athletes`` holds
    each athlete's estimate shrunk toward the squad's. Runs in this process.
    """
    outcomes = []
    for name, log in athletes:
        if log.has_diary and len(log.activities):
            o = daily_task(name, log.daily, window_days=window_days,
                           washout_days=washout_days, seed=_seed(name))
        else:
            o = AthleteOutcome(name, "a training log", has_diary=log.has_diary)
        o.has_diary = log.has_diary
        o.quality = _quality(log, o.design, log.has_diary)
        outcomes.append(o)
    return pool(outcomes)

