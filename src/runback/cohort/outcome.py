"""What an athlete's task hands back (:class:`AthleteOutcome`), its data-quality row, and
the task of an athlete given as a daily table (:func:`daily_task`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypedDict

import pandas as pd

from runback.cohort.defaults import WASHOUT_D, WINDOW_D
from runback.cohort.fit import athlete_fit
from runback.errors import RunbackError

if TYPE_CHECKING:
    from runback.importer.assemble import ImportResult


class _Log(Protocol):
    """What the quality row reads of an athlete's :class:`runback.log.TrainingLog` (named by
    what it offers: the log module leads, through the reports, back to this one)."""

    @property
    def import_result(self) -> ImportResult: ...
    @property
    def activities(self) -> pd.DataFrame: ...
    @property
    def daily(self) -> pd.DataFrame: ...
    @property
    def flares(self) -> pd.DataFrame: ...


class Quality(TypedDict, total=False):
    """An athlete's data-quality row (:attr:`AthleteOutcome.quality`)."""

    activities: int
    runs: int
    first_day: str | None  # ISO date
    last_day: str | None
    days_logged: int
    flare_ups: int
    onsets: int  # usable onsets, with a comparison day
    skipped: int  # files


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
    quality: Quality = field(default_factory=lambda: Quality())
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


def _quality(log: _Log, design: pd.DataFrame | None, has_diary: bool) -> Quality:
    acts = log.activities
    daily = log.daily
    runs = int(acts["is_run"].fillna(False).astype(bool).sum()) if len(acts) else 0
    days = pd.DatetimeIndex(daily["date"]) if len(daily) else pd.DatetimeIndex([])
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
