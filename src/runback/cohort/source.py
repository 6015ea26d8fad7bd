"""Sources: who the athletes are and where their data is (:func:`sources`)."""

from __future__ import annotations

import os
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from runback.cohort.long_table import _athlete_values
from runback.errors import RunbackError


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
    taken: Counter[str] = Counter()

    def add(name: str, *, folder: str | None = None, table: str | None = None,
            table_name: str | None = None, diary: str | None = None,
            diary_table: str | None = None) -> None:
        taken[name] += 1
        shown = name if taken[name] == 1 else f"{name} ({taken[name]})"
        if taken[name] > 1:
            where = folder or table
            warnings.append(f"two athletes are called {name!r}: the one from {where} is "
                            f"shown as {shown!r}")
        found.append(AthleteSource(shown, seed=_seed(shown, seed), folder=folder, table=table,
                                   table_name=table_name, diary=diary,
                                   diary_table=diary_table))

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
        unnamed = values == ""
        if unnamed.any():
            rows = ", ".join(str(i + 2) for i in np.flatnonzero(unnamed.to_numpy())[:5])
            more = " ..." if unnamed.sum() > 5 else ""
            warnings.append(f"{p}: {int(unnamed.sum())} row{'s' if unnamed.sum() != 1 else ''} "
                            f"without an athlete name left out (rows {rows}{more})")
        for name in pd.unique(values[~unnamed]):
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
