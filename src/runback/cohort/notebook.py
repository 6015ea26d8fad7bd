"""The notebook door: :class:`Cohort`, many athletes analysed together."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from runback.cohort.defaults import TABLES, WASHOUT_D, WINDOW_D
from runback.cohort.outcome import AthleteOutcome
from runback.cohort.pooled import CohortResult, pool
from runback.cohort.runner import run_tasks
from runback.cohort.source import AthleteSource, _seed, sources
from runback.errors import RunbackError

if TYPE_CHECKING:
    from matplotlib.axes import Axes


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
            tables: str | os.PathLike[str] | None = None,
            cache_dir: str | os.PathLike[str] | None = None,
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
            return self.run()
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

    def plot_forest(self, factor: str, ax: Axes | None = None) -> Axes:
        """The forest plot of one factor: each athlete's shrunk estimate and the pooled one."""
        from runback.report.cohort import plot_forest

        return plot_forest(self.result, factor, ax=ax)

    def report(self, path: str | os.PathLike[str] | None = None, *,
               title: str | None = None) -> str:
        """The cohort's self-contained HTML page (written atomically to ``path``)."""
        from runback.report import write_atomic
        from runback.report.cohort import render_cohort

        html = render_cohort(self.result, title=title)
        if path is not None:
            write_atomic(path, html)
        return html
