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

Modules
-------
``source``      who the athletes are: :class:`AthleteSource`, :func:`sources`
``long_table``  many athletes in one CSV/Parquet table: columns, one athlete's rows
``task``        one athlete's Dask task: :func:`athlete_task`, ``--tables`` partitions
``outcome``     what a task hands back: :class:`AthleteOutcome`, :func:`daily_task`
``fit``         one athlete's scaled design and own fit
``runner``      running the tasks on Dask: :func:`run_tasks`
``pooled``      the pooled model, meta-analysis and shrinkage: :func:`pool`, :func:`shrink`
``notebook``    the notebook door: :class:`Cohort`
``team``        the team view's entry: :func:`pooled_for_team`
``defaults``    window, washout, FDR and the meta-analysis limits
"""

from __future__ import annotations

from runback.cohort.defaults import TABLES
from runback.cohort.long_table import TABLE_COLUMNS
from runback.cohort.notebook import Cohort
from runback.cohort.outcome import AthleteOutcome, daily_task
from runback.cohort.pooled import CohortResult, pool, shrink
from runback.cohort.pooled import _meta as _meta  # the meta-analysis, tested on its own
from runback.cohort.runner import run_tasks
from runback.cohort.source import AthleteSource, sources
from runback.cohort.task import athlete_task
from runback.cohort.team import pooled_for_team

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
