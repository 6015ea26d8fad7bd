"""The candidate factors: where each exposure comes from, how it is summed over the hazard
window, which model adjusts it for what, and the runner's unit of its effect.

Statistics work on numbers; the words live in :mod:`runback.display`. A factor may read one
of several daily columns (``sources``, in order of preference): the first column with any
non-zero value is used, and its own label, quantity and runner unit follow it, so a
descent measured in metres never reads as minutes (docs/methods.md section 6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "AGGREGATIONS",
    "Source",
    "Factor",
    "FACTORS",
    "BY_NAME",
    "BASE",
    "MODELS",
    "COLD_C",
    "custom_factor",
    "model_of",
]

#: Cold: a run with device temperature below this [degC] [unverified threshold].
COLD_C = 5.0


def _agg_sum(lagged: np.ndarray, threshold: float | None) -> np.ndarray:
    n = (~np.isnan(lagged)).sum(axis=1)
    return np.where(n > 0, np.nansum(lagged, axis=1), np.nan)


def _agg_mean(lagged: np.ndarray, threshold: float | None) -> np.ndarray:
    n = (~np.isnan(lagged)).sum(axis=1)
    return np.where(n > 0, np.nansum(lagged, axis=1) / np.maximum(n, 1), np.nan)


def _agg_max(lagged: np.ndarray, threshold: float | None) -> np.ndarray:
    n = (~np.isnan(lagged)).sum(axis=1)
    return np.where(n > 0, np.where(np.isnan(lagged), -np.inf, lagged).max(axis=1), np.nan)


def _agg_last(lagged: np.ndarray, threshold: float | None) -> np.ndarray:
    return lagged[:, 0]


def _agg_any_above(lagged: np.ndarray, threshold: float | None) -> np.ndarray:
    limit = np.inf if threshold is None else threshold
    return np.asarray((np.nan_to_num(lagged, nan=-np.inf) > limit).any(axis=1), dtype=float)


def _agg_any_below(lagged: np.ndarray, threshold: float | None) -> np.ndarray:
    limit = -np.inf if threshold is None else threshold
    return np.asarray((np.nan_to_num(lagged, nan=np.inf) < limit).any(axis=1), dtype=float)


#: Window aggregations: name -> function(lagged values, threshold), where row d of the
#: lagged matrix holds days d-1, d-2, ..., d-w. ``sum``/``mean``/``max`` skip missing days
#: (all missing gives NA); ``last`` is the value at d-1; ``any_below``/``any_above`` are 1
#: when any day's value crosses the threshold (days without a value count as not exposed).
#: ``measured_share`` is special-cased by the design: the window's hard-running time over
#: its heart-rate time, times its running time (runs without heart rate are missing, never
#: 0 s of hard running).
AGGREGATIONS: dict[str, Callable[[np.ndarray, float | None], np.ndarray]] = {
    "sum": _agg_sum,
    "mean": _agg_mean,
    "max": _agg_max,
    "last": _agg_last,
    "any_below": _agg_any_below,
    "any_above": _agg_any_above,
    "measured_share": _agg_sum,
}

KINDS = ("continuous", "binary")


@dataclass(frozen=True)
class Source:
    """One daily column a factor can read, with its own words and runner unit.

    Parameters
    ----------
    column : str
        Daily column.
    aggregate : str
        Key of :data:`AGGREGATIONS`, over the hazard window d-w..d-1.
    quantity : str
        How amounts print (:func:`runback.display.amount`): distance, elevation,
        duration, fraction, load, ratio, hours, points, bpm, ms or flag.
    step : float
        The runner unit of the effect in the column's unit (10 km = 10000 m, 30 min =
        1800 s); the effect is also given per person-SD.
    topic : str
        The exposure as a noun phrase ("steep downhill running").
    more, less : str
        What the runner did when it was higher or lower before flare-ups (after "you").
    threshold : float, optional
        For ``any_below`` / ``any_above``.
    lookback : int
        Days before the window that the daily column itself looks back over (a 7-day
        distance against the 7 before: 14; the longest run of the past 30 days: 30). The
        exposure is missing when they touch a flare-up or its washout: it would measure
        the easing back, not normal training [d].
    """

    column: str
    aggregate: str
    quantity: str
    step: float
    topic: str
    more: str
    less: str
    threshold: float | None = None
    lookback: int = 0

    def __post_init__(self) -> None:
        if self.aggregate not in AGGREGATIONS:
            raise ValueError(f"aggregate must be one of {sorted(AGGREGATIONS)}")
        if self.aggregate.startswith("any_") and self.threshold is None:
            raise ValueError(f"aggregate {self.aggregate} needs a threshold")


@dataclass(frozen=True)
class Factor:
    """One candidate factor.

    Parameters
    ----------
    name : str
        Factor name as in docs/cli-contract.md.
    sources : tuple of Source
        In order of preference; the first present with any non-zero value is used.
    kind : str
        ``continuous`` (odds ratio per runner unit and per person-SD) or ``binary``
        (exposed vs not).
    sign : int
        +1, or -1 when the effect is per unit *less* (sleep, HRV).
    claim : str
        The article claim the factor tests (docs/methods.md section 9).
    exploratory : bool
        Outside the pre-specified family: no q-value, never a finding.
    """

    name: str
    sources: tuple[Source, ...]
    kind: str = "continuous"
    sign: int = 1
    claim: str = ""
    exploratory: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}")
        if self.sign not in (1, -1):
            raise ValueError("sign must be 1 or -1")
        if not self.sources:
            raise ValueError("a factor needs at least one source column")

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(s.column for s in self.sources)


_TOO_MUCH = "too much, too soon: progressing too quickly, overtraining"
_S = Source

#: The pre-specified factor family (docs/cli-contract.md; docs/methods.md 6 and 9).
FACTORS: tuple[Factor, ...] = (
    Factor("distance", (_S("distance_m", "sum", "distance", 10_000.0, "running distance",
                           "ran further", "ran less"),), claim=_TOO_MUCH),
    Factor("distance_change", (_S("distance_change", "last", "fraction", 0.10,
                                  "a rise in weekly distance",
                                  "had raised your 7-day distance more",
                                  "had raised your 7-day distance less", lookback=14),),
           claim=_TOO_MUCH),
    Factor("session_spike", (_S("session_spike", "max", "fraction", 0.10,
                                "a run longer than your recent longest",
                                "ran further beyond your recent longest run",
                                "stayed further within your recent longest run",
                                lookback=30),),
           claim=_TOO_MUCH),
    Factor("acute_load", (_S("acute_load", "last", "load", 100.0, "a high acute training load",
                             "had a higher acute training load",
                             "had a lower acute training load"),), claim=_TOO_MUCH),
    Factor("chronic_load", (_S("chronic_load", "last", "load", 100.0,
                               "a high chronic training load",
                               "had a higher chronic training load",
                               "had a lower chronic training load"),), claim=_TOO_MUCH),
    Factor("monotony", (_S("monotony", "last", "ratio", 0.5, "monotonous training",
                           "trained more monotonously", "trained with more variety",
                           lookback=7),),
           claim="overtraining: the same load day after day"),
    Factor("intensity", (_S("hi_intensity_s", "measured_share", "duration", 1800.0,
                            "hard running (heart-rate zones 4-5)",
                            "ran harder (more time in heart-rate zones 4-5)",
                            "ran easier (less time in heart-rate zones 4-5)"),),
           claim="training to failure: hard sessions"),
    Factor("climb", (_S("elevation_gain_m", "sum", "elevation", 100.0, "climbing",
                        "climbed more", "climbed less"),),
           claim="hills and inclines strain the back"),
    Factor("descent", (
        _S("downhill_10_s", "sum", "duration", 600.0,
           "steep downhill running (grades steeper than -10 %)",
           "ran more steep downhill (grades steeper than -10 %)",
           "ran less steep downhill (grades steeper than -10 %)"),
        _S("downhill_5_s", "sum", "duration", 600.0,
           "downhill running (grades steeper than -5 %)",
           "ran more downhill (grades steeper than -5 %)",
           "ran less downhill (grades steeper than -5 %)"),
        _S("elevation_loss_m", "sum", "elevation", 100.0, "descent", "descended more",
           "descended less"),
    ), claim="declines strain the back (steep downhill running)"),
    Factor("uneven_terrain", (
        _S("trail_m", "sum", "distance", 5_000.0, "running on trails",
           "ran more on trails", "ran less on trails"),
        _S("roughness_m", "max", "elevation", 1.0,
           "rough ground (elevation roughness of the route)",
           "ran on rougher ground (elevation roughness of the route)",
           "ran on smoother ground (elevation roughness of the route)"),
    ), claim="uneven surfaces throw off the gait"),
    Factor("treadmill", (_S("treadmill_m", "any_above", "flag", 1.0, "treadmill running",
                            "more often ran on a treadmill", "less often ran on a treadmill",
                            threshold=0.0),), kind="binary",
           claim="treadmill running (posture, calibration)"),
    Factor("cold", (_S("temperature_c", "any_below", "flag", 1.0,
                       f"running in the cold (device temperature below {COLD_C:g} °C)",
                       f"more often ran in the cold (device temperature below {COLD_C:g} °C)",
                       f"less often ran in the cold (device temperature below {COLD_C:g} °C)",
                       threshold=COLD_C),), kind="binary",
           claim="cold weather tightens muscles"),
    Factor("sleep", (_S("sleep_hours", "mean", "hours", 1.0, "short sleep", "slept less",
                        "slept more"),), sign=-1, claim="poor rest"),
    Factor("stress", (_S("stress", "mean", "points", 1.0, "stress", "were more stressed",
                         "were less stressed"),), claim="stress"),
    Factor("resting_hr", (_S("resting_hr_dev", "mean", "bpm", 5.0,
                             "a raised resting heart rate (against your 28-day baseline)",
                             "had a higher resting heart rate than usual",
                             "had a lower resting heart rate than usual"),),
           claim="poor recovery (resting heart rate)"),
    Factor("hrv", (_S("hrv_dev", "mean", "ms", 10.0,
                      "a lowered heart-rate variability (against your 28-day baseline)",
                      "had a lower heart-rate variability than usual",
                      "had a higher heart-rate variability than usual"),), sign=-1,
           claim="poor recovery (heart-rate variability)"),
)

BY_NAME: dict[str, Factor] = {f.name: f for f in FACTORS}

#: The base set every factor is adjusted for, in the order a small model takes them: the
#: window's running distance, the days since the last flare-up ended, and the time trend
#: (a comparison day's distance in days from its onset: a runner building or cutting
#: mileage across the weeks around a flare-up; docs/methods.md section 6).
BASE = ("distance", "days_since_flare", "days_from_onset")

#: Factors estimated together in one model (mutual adjustment): acute with chronic load
#: (separate terms, never their ratio), and the terrain family, so trail and hills can be
#: told apart. Every other factor is fitted with the base set alone.
MODELS: tuple[tuple[str, ...], ...] = (
    ("acute_load", "chronic_load"),
    ("climb", "descent", "uneven_terrain"),
)


def model_of(name: str) -> tuple[str, ...]:
    """The factors fitted together with ``name`` (itself first when alone)."""
    for group in MODELS:
        if name in group:
            return group
    return (name,)


def custom_factor(column: str, aggregate: str = "sum", *, name: str | None = None,
                  kind: str = "continuous", threshold: float | None = None,
                  sign: int = 1, step: float | None = None) -> Factor:
    """A user-defined factor from one daily column; exploratory (outside the BH family).

    Parameters
    ----------
    column : str
        Daily column.
    aggregate : str
        Key of :data:`AGGREGATIONS`.
    name : str, optional
        Factor name; defaults to the column name.
    kind, threshold, sign
        As in :class:`Factor` and :class:`Source`.
    step : float, optional
        Runner unit in the column's unit; default: the effect is given per person-SD only.
    """
    label = column.replace("_", " ")
    source = Source(column, aggregate, "flag" if kind == "binary" else "raw",
                    float("nan") if step is None else float(step), f"higher {label}",
                    f"had higher {label}", f"had lower {label}", threshold=threshold)
    return Factor(name or column, (source,), kind=kind, sign=sign,
                  claim="user-defined (exploratory)", exploratory=True)
