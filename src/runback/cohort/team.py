"""The team view's entry: the pooled analysis of athletes already loaded
(:func:`pooled_for_team`); it needs no file loading, so it leaves out the task module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from runback.cohort.defaults import WASHOUT_D, WINDOW_D
from runback.cohort.outcome import AthleteOutcome, _quality, daily_task
from runback.cohort.pooled import CohortResult, pool
from runback.cohort.source import _seed

if TYPE_CHECKING:
    from runback.log import TrainingLog


def pooled_for_team(athletes: Sequence[tuple[str, TrainingLog]], *,
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
