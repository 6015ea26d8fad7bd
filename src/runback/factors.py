"""Which factors come before flare-ups: a time-stratified case-crossover analysis.

Design (science.md sections 6, 8 and 9)
---------------------------------------
Each flare-up onset day ``d`` is a *case*. Its *referents* are the other days of the same
calendar month and year that fall on the same weekday (3-4 per onset, fixed in advance by
the calendar: Janes, Sheppard & Lumley 2005). The exposure of a day is a factor's daily
column aggregated over its hazard window ``d-w..d-1`` (the onset day itself is excluded,
since pain changes running that day). A referent is dropped when the days ``r-w..r``
overlap a flare-up or the 7 days after one (pain lowers running: reverse causation).

For each factor a one-covariate conditional logistic regression (strata = onsets) gives
the odds ratio per person-SD of the window exposure (continuous factors) or exposed versus
not (binary factors), with a 95 % Wald interval. The p-value comes from circular shifts of
the flare-up series against the exposures by 28..T-28 days, refitting at every shift, which
keeps the autocorrelation of both series: ``p = (1 + #{|b*| >= |b|}) / (1 + B)``.
Benjamini-Hochberg q-values are taken over the pre-specified family :data:`FACTORS`;
user-defined factors (:func:`custom_factor`) are exploratory and get no q-value.

Departures from the letter of science.md, and why
-------------------------------------------------
* The referent day itself is checked along with its window (``r-w..r``, not ``r-w..r-1``):
  a day inside a flare-up or its 7-day aftermath is not a flare-free comparison day.
* When the daily table says which days the diary was ``logged``, referents on unlogged
  days are dropped (``require_logged``): a day without a diary entry is not known to be
  flare-free (science.md 5: not logged is never 0).
* Under perfect separation (every onset more exposed than all of its referents, or less)
  the maximum-likelihood estimate is infinite; under near separation (one near-tie against
  the direction) it is finite but absurd (|log OR| > :data:`MAX_LOG_OR` per SD). The
  reported estimate is then Firth's penalised conditional likelihood estimate with a
  profile penalised-likelihood interval (Heinze & Puhr 2010), and ``method`` says so.
* The permutation statistic is by default the likelihood-ratio statistic
  ``2 (l(b) - l(0))`` of the same unpenalised fit, not ``|b|``. With 1-3 referents per
  onset and skewed exposures (most days 0, a few hilly runs), ``|b*|`` over the shifts is
  heavy-tailed (near-separated shifts give huge or infinite ``|b*|``), which costs power:
  on simulated seasons with a planted trigger ``|b|`` found it in 2 of 10, the LR in 7 of
  10, both holding the false discovery rate. The LR is finite under separation and close to
  pivotal. ``statistic="abs_b"`` gives the science.md statistic. Either way the observed
  and the shifted series use the same statistic, so ``p = (1 + #{T* >= T}) / (1 + B)``
  is a valid permutation p-value.
* Permuted series wrap around the ends of the span (that is what a circular shift is); the
  blocked flare-up days and the diary's logged days move with the onsets.

The OR is computed per person-SD: the standard deviation of the window exposure over every
day of this runner's span, so effects of different factors are comparable. A binary factor
compares exposed with unexposed windows.

References
----------
Maclure M. The case-crossover design. Am J Epidemiol 1991;133:144-153.
Janes H, Sheppard L, Lumley T. Case-crossover analyses of air pollution exposure data:
referent selection strategies and their implications for bias. Epidemiology 2005;16:717-726.
Benjamini Y, Hochberg Y. Controlling the false discovery rate. J R Stat Soc B 1995;57:289.
Heinze G, Puhr R. Bias-reduced and separation-proof conditional logistic regression with
small or sparse data sets. Stat Med 2010;29:770-777.
Firth D. Bias reduction of maximum likelihood estimates. Biometrika 1993;80:27-38.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from runback import schema
from runback.errors import RunbackError, SchemaError

__all__ = [
    "ratio_text",
    "Factor",
    "FACTORS",
    "AGGREGATIONS",
    "FactorResult",
    "custom_factor",
    "case_crossover",
    "sensitivity_grid",
    "mark_flares",
    "window_exposure",
    "referent_days",
    "comparison_days",
    "clogit",
    "benjamini_hochberg",
    "power_label",
    "STATISTICS",
]

#: Z for a two-sided 95 % interval.
Z95 = 1.959963984540054
#: Circular shifts leave at least this many days between the shifted and the real series.
MIN_SHIFT_D = 28
#: Days after a flare-up that cannot serve as referents (reverse causation).
POST_FLARE_D = 7
#: Pre-specified false discovery rate for the factor family.
FDR = 0.10
#: A finite maximum-likelihood |log OR| per SD beyond this (OR > 22 000 per SD) is treated
#: as separation: one near-tie keeps the MLE finite but meaningless [unverified].
MAX_LOG_OR = 10.0
#: Cold: a run with device temperature below this [degC] [unverified threshold].
COLD_C = 5.0
#: Power labels by number of usable onsets (science.md 6, simulated power).
POWER_LABELS = ((8, "descriptive only"), (20, "underpowered"), (math.inf, "adequate"))


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
    return (np.nan_to_num(lagged, nan=-np.inf) > threshold).any(axis=1).astype(float)


def _agg_any_below(lagged: np.ndarray, threshold: float | None) -> np.ndarray:
    return (np.nan_to_num(lagged, nan=np.inf) < threshold).any(axis=1).astype(float)


#: Window aggregations: name -> function(lagged values, threshold), where row d of the
#: lagged matrix holds days d-1, d-2, ..., d-w. ``sum``/``mean``/``max`` skip missing days
#: (all missing gives NA); ``last`` is the value at d-1; ``any_below``/``any_above`` are 1
#: when any day's value crosses the threshold (days without a value, e.g. rest days, count
#: as not exposed). Each window is summed on its own, in the same order, so windows holding
#: the same days' values get exactly the same exposure (a running sum would leave
#: round-off that makes equal windows look different).
AGGREGATIONS: dict[str, Callable[[np.ndarray, float | None], np.ndarray]] = {
    "sum": _agg_sum,
    "mean": _agg_mean,
    "max": _agg_max,
    "last": _agg_last,
    "any_below": _agg_any_below,
    "any_above": _agg_any_above,
}

KINDS = ("continuous", "binary")


@dataclass(frozen=True)
class Factor:
    """One candidate factor: where its exposure comes from and how it is worded.

    Parameters
    ----------
    name : str
        Factor name as in cli-contract.md.
    sources : tuple of str
        Daily columns, in order of preference; the first present with any non-zero value is
        used (e.g. steep-downhill time, else moderate-downhill time, else descent).
    aggregate : str
        Key of :data:`AGGREGATIONS`, applied over the hazard window d-w..d-1.
    kind : str
        ``continuous`` (odds ratio per person-SD) or ``binary`` (exposed vs not).
    sign : int
        +1, or -1 when the odds ratio is per SD *less* (sleep).
    threshold : float or None
        Threshold for ``any_below`` / ``any_above``.
    claim : str
        The article claim the factor tests (science.md 9).
    topic, more, less : str
        Wording: the exposure as a noun phrase, and what the runner did when it was higher
        or lower before flare-ups (``more`` follows "you", e.g. "ran more steep downhill").
    unit : str
        Unit of the window exposure, for "per <SD> more" in the description.
    per : str
        How one SD reads, with ``{amount}`` (e.g. "per {amount} less sleep").
    exploratory : bool
        Outside the pre-specified family: no q-value.
    """

    name: str
    sources: tuple[str, ...]
    aggregate: str
    kind: str
    sign: int = 1
    threshold: float | None = None
    claim: str = ""
    topic: str = ""
    more: str = ""
    less: str = ""
    unit: str = ""
    per: str = "per {amount} more"
    exploratory: bool = False

    def __post_init__(self):
        if self.aggregate not in AGGREGATIONS:
            raise ValueError(f"aggregate must be one of {sorted(AGGREGATIONS)}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}")
        if self.sign not in (1, -1):
            raise ValueError("sign must be 1 or -1")
        if self.aggregate.startswith("any_") and self.threshold is None:
            raise ValueError(f"aggregate {self.aggregate} needs a threshold")


_TOO_MUCH = "too much, too soon: progressing too quickly, overtraining"

#: The pre-specified factor family (cli-contract.md; science.md 6 and 9).
FACTORS: tuple[Factor, ...] = (
    Factor("distance", ("distance_m",), "sum", "continuous", claim=_TOO_MUCH,
           topic="running distance", more="ran further", less="ran less", unit="m"),
    Factor("distance_change", ("distance_change",), "last", "continuous", claim=_TOO_MUCH,
           topic="a rise in weekly distance",
           more="had raised your weekly distance more",
           less="had raised your weekly distance less", unit="fraction"),
    Factor("session_spike", ("session_spike",), "max", "continuous", claim=_TOO_MUCH,
           topic="a run longer than your recent longest",
           more="ran further beyond your recent longest run",
           less="stayed further within your recent longest run", unit="fraction"),
    Factor("acute_load", ("acute_load",), "last", "continuous", claim=_TOO_MUCH,
           topic="a high acute training load", more="had a higher acute training load",
           less="had a lower acute training load", unit="AU"),
    Factor("chronic_load", ("chronic_load",), "last", "continuous", claim=_TOO_MUCH,
           topic="a high chronic training load", more="had a higher chronic training load",
           less="had a lower chronic training load", unit="AU"),
    Factor("monotony", ("monotony",), "last", "continuous",
           claim="overtraining: the same load day after day",
           topic="monotonous training", more="trained more monotonously",
           less="trained with more variety", unit="ratio"),
    Factor("intensity", ("hi_intensity_s",), "sum", "continuous",
           claim="training to failure: hard sessions",
           topic="hard running (heart rate zones 4-5)", more="ran harder (more time in "
           "heart rate zones 4-5)", less="ran easier (less time in heart rate zones 4-5)",
           unit="s"),
    Factor("climb", ("elevation_gain_m",), "sum", "continuous",
           claim="hills and inclines strain the back", topic="climbing",
           more="climbed more", less="climbed less", unit="m"),
    Factor("descent", ("downhill_10_s", "downhill_5_s", "elevation_loss_m"), "sum",
           "continuous", claim="declines strain the back (steep downhill running)",
           topic="steep downhill running", more="ran more steep downhill",
           less="ran less steep downhill", unit="s"),
    Factor("uneven_terrain", ("trail_m", "roughness_m"), "sum", "continuous",
           claim="uneven surfaces throw off the gait", topic="running on trails",
           more="ran more on trails", less="ran less on trails", unit="m"),
    Factor("treadmill", ("treadmill_m",), "any_above", "binary", threshold=0.0,
           claim="treadmill running (posture, calibration)", topic="treadmill running",
           more="more often ran on a treadmill", less="less often ran on a treadmill"),
    Factor("cold", ("temperature_c",), "any_below", "binary", threshold=COLD_C,
           claim="cold weather tightens muscles",
           topic=f"running in the cold (device temperature below {COLD_C:g} °C)",
           more=f"more often ran in the cold (device temperature below {COLD_C:g} °C)",
           less=f"less often ran in the cold (device temperature below {COLD_C:g} °C)"),
    Factor("sleep", ("sleep_hours",), "mean", "continuous", sign=-1,
           claim="poor rest", topic="short sleep", more="slept less", less="slept more",
           unit="h", per="per {amount} less sleep a night"),
    Factor("stress", ("stress",), "mean", "continuous", claim="stress",
           topic="stress", more="were more stressed", less="were less stressed",
           unit="points", per="per {amount} more stress"),
)

_BY_NAME = {f.name: f for f in FACTORS}


def custom_factor(column: str, aggregate: str = "sum", *, name: str | None = None,
                  kind: str = "continuous", threshold: float | None = None,
                  sign: int = 1) -> Factor:
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
        As in :class:`Factor`.
    """
    units = {c.name: c.unit for c in schema.TABLES["daily"]}
    label = column.replace("_", " ")
    return Factor(name or column, (column,), aggregate, kind, sign=sign, threshold=threshold,
                  claim="user-defined (exploratory)", topic=f"higher {label}",
                  more=f"had higher {label}", less=f"had lower {label}",
                  unit=units.get(column, ""), exploratory=True)


# ----------------------------------------------------------------------------------------
# Exposures and referents
# ----------------------------------------------------------------------------------------

def window_exposure(values: pd.Series, factor: Factor, window_days: int) -> pd.Series:
    """The window exposure of every day: ``factor.aggregate`` over days d-w..d-1.

    Parameters
    ----------
    values : Series
        The factor's daily column, one value per consecutive day.
    factor : Factor
        Gives the aggregation and threshold.
    window_days : int
        Window length w [d].

    Returns
    -------
    Series
        Same index; NA for the first ``window_days`` days (the window starts before the
        data) and where the aggregation has no value.
    """
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    n = len(v)
    lag = np.arange(1, window_days + 1)
    pos = np.arange(n)[:, None] - lag[None, :]
    lagged = np.where(pos >= 0, v[np.clip(pos, 0, None)], np.nan)
    out = np.asarray(AGGREGATIONS[factor.aggregate](lagged, factor.threshold), dtype=float)
    out[:window_days] = np.nan
    return pd.Series(out, index=values.index)


def referent_days(dates: pd.DatetimeIndex) -> np.ndarray:
    """Referent candidates of every day: same weekday, calendar month and year.

    Parameters
    ----------
    dates : DatetimeIndex
        Consecutive days.

    Returns
    -------
    ndarray of int, shape (T, 4)
        Positions of the other days in the same stratum, padded with -1.
    """
    key = (dates.year * 100 + dates.month) * 10 + dates.day_of_week
    out = np.full((len(dates), 4), -1, dtype=np.int64)
    for members in pd.Series(np.arange(len(dates))).groupby(np.asarray(key)).indices.values():
        for i in members:
            others = members[members != i]
            out[i, : len(others)] = others
    return out


def _blocked(in_flare: np.ndarray, window_days: int, post_flare_days: int) -> np.ndarray:
    """Days whose window d-w..d touches a flare-up or the days after one."""
    reach = window_days + post_flare_days
    s = pd.Series(in_flare.astype(float))
    return s.rolling(reach + 1, min_periods=1).max().to_numpy() > 0


def mark_flares(daily: pd.DataFrame, flares: pd.DataFrame) -> pd.DataFrame:
    """Set ``flare_onset`` and ``in_flare`` of ``daily`` from a ``flares`` table.

    Parameters
    ----------
    daily : DataFrame
        The daily table (``date`` column).
    flares : DataFrame
        The flares table: ``onset`` and ``end`` (NA end: the flare-up lasts to the end).

    Returns
    -------
    DataFrame
        A copy of ``daily`` with both columns replaced.
    """
    dates = pd.to_datetime(daily["date"]).to_numpy()
    onset = np.zeros(len(daily), dtype=bool)
    inside = np.zeros(len(daily), dtype=bool)
    for start, end in zip(pd.to_datetime(flares["onset"]), pd.to_datetime(flares["end"]),
                          strict=True):
        onset |= dates == np.datetime64(start)
        stop = dates.max() if pd.isna(end) else np.datetime64(end)
        inside |= (dates >= np.datetime64(start)) & (dates <= stop)
    out = daily.copy()
    out["flare_onset"] = pd.array(onset, dtype="boolean")
    out["in_flare"] = pd.array(inside, dtype="boolean")
    return out


# ----------------------------------------------------------------------------------------
# Conditional logistic regression, one covariate, vectorised over fits
# ----------------------------------------------------------------------------------------

def _moments(b: np.ndarray, x: np.ndarray, valid: np.ndarray):
    """Per-stratum log-likelihood, score and information of one-covariate clogit.

    ``x``/``valid`` have shape (..., S, M) with the case in column 0 and every stratum's
    case valid; ``b`` has the leading shape (...). Returns arrays of shape (..., S): the
    log-likelihood, ``x_case - E[x]`` and ``Var[x]`` under the conditional weights.
    """
    eta = np.where(valid, b[..., None, None] * x, -np.inf)
    top = eta.max(axis=-1, keepdims=True)
    e = np.exp(eta - top)
    tot = e.sum(axis=-1)
    w = e / tot[..., None]
    m1 = (w * x).sum(axis=-1)
    d = x - m1[..., None]
    m2 = (w * d * d).sum(axis=-1)
    ll = eta[..., 0] - top[..., 0] - np.log(tot)
    return ll, x[..., 0] - m1, m2


def _separation(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """+1 / -1 when the MLE is +inf / -inf, 0 when finite, NaN without information."""
    diff = np.where(valid[..., 1:], x[..., :1] - x[..., 1:], 0.0)
    diff = np.where(np.abs(diff) > 1e-9, diff, 0.0)
    informative = (diff != 0).any(axis=(-1, -2))
    pos = (diff >= 0).all(axis=(-1, -2))
    neg = (diff <= 0).all(axis=(-1, -2))
    out = np.where(pos & ~neg, 1.0, np.where(neg & ~pos, -1.0, 0.0))
    return np.where(informative, out, np.nan)


def clogit(x: np.ndarray, valid: np.ndarray, *, tol: float = 1e-10,
           max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-covariate conditional logit (one case per stratum) by safeguarded Newton.

    Maximises ``l(b) = sum_s [b x_s0 - log sum_j exp(b x_sj)]`` (Breslow & Day 1980, ch. 7)
    for every leading index at once. Newton steps are capped at 2 and fall back to
    bisection of the bracket kept from the score signs, so each fit converges on the
    concave log-likelihood. Equals statsmodels ``ConditionalLogit`` (tested).

    Parameters
    ----------
    x : ndarray, shape (..., S, M)
        Exposure of the case (column 0) and its referents in each stratum.
    valid : ndarray of bool, same shape
        Which entries exist; strata with an invalid case or no valid referent are ignored.

    Returns
    -------
    b : ndarray, shape (...)
        Log odds ratio per unit of x; +-inf under perfect separation, NaN without any
        informative stratum.
    se : ndarray, shape (...)
        Standard error from the information at b; NaN when b is not finite.
    lr : ndarray, shape (...)
        Likelihood-ratio statistic ``2 (l(b) - l(0))``, finite under separation (the
        supremum of l is then its limit); 0 without information.

    References
    ----------
    Breslow NE, Day NE. Statistical methods in cancer research I. IARC 1980, chapter 7.
    """
    x = np.asarray(x, dtype=float)
    valid = np.asarray(valid, dtype=bool) & ~np.isnan(x)
    active = valid[..., 0] & valid[..., 1:].any(axis=-1)
    valid = valid & active[..., None]
    x = np.where(valid, x, 0.0)
    valid[..., 0] |= ~active
    sep = _separation(x, valid)
    shape = sep.shape
    xf = x.reshape((-1,) + x.shape[-2:])
    vf = valid.reshape(xf.shape)
    todo = (sep == 0).ravel()
    b = np.zeros(todo.shape)
    lo = np.full(todo.shape, -np.inf)
    hi = np.full(todo.shape, np.inf)
    run = np.flatnonzero(todo)
    for _ in range(max_iter):
        if run.size == 0:
            break
        bb, lo_r, hi_r = b[run], lo[run], hi[run]
        _, u, i = _moments(bb, xf[run], vf[run])
        u, i = u.sum(axis=-1), i.sum(axis=-1)
        lo_r = np.where(u > 0, np.maximum(lo_r, bb), lo_r)
        hi_r = np.where(u < 0, np.minimum(hi_r, bb), hi_r)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = bb + np.clip(u / i, -2.0, 2.0)
        bracketed = np.isfinite(lo_r) & np.isfinite(hi_r)
        outside = bracketed & ((new <= lo_r) | (new >= hi_r))
        mid = 0.5 * (np.where(bracketed, lo_r, 0.0) + np.where(bracketed, hi_r, 0.0))
        new = np.where(outside, mid, new)
        b[run], lo[run], hi[run] = new, lo_r, hi_r
        run = run[np.abs(new - bb) > tol * np.maximum(1.0, np.abs(bb))]
    b = b.reshape(shape)
    todo = todo.reshape(shape)
    ll, _, info = _moments(np.where(todo, b, 0.0), x, valid)
    ll0, _, _ = _moments(np.zeros(shape), x, valid)
    ties = np.where(valid, np.abs(x - x[..., :1]) <= 1e-9, False).sum(axis=-1)
    ll_sup = -np.log(ties).sum(axis=-1)
    lr = 2 * (np.where(todo, ll.sum(axis=-1), ll_sup) - ll0.sum(axis=-1))
    lr = np.where(np.isnan(sep), 0.0, np.maximum(lr, 0.0))
    with np.errstate(divide="ignore"):
        se = np.where(todo, 1.0 / np.sqrt(info.sum(axis=-1)), np.nan)
    b = np.where(todo, b, np.where(sep > 0, np.inf, np.where(sep < 0, -np.inf, np.nan)))
    return b, se, lr


def _firth(x: np.ndarray, valid: np.ndarray) -> tuple[float, float, float]:
    """Firth-penalised conditional logit for one fit: b and the 95 % profile interval.

    Maximises ``l(b) + 0.5 log I(b)`` (Heinze & Puhr 2010); the interval holds the b whose
    penalised log-likelihood lies within 1.92 (chi2_1 0.95 / 2) of the maximum; an end
    that does not close within |b| <= 50 is infinite.
    """
    active = valid[:, 0] & valid[:, 1:].any(axis=1)
    x, valid = x[active], valid[active]
    x = np.where(valid, x, 0.0)

    def pen(b: float) -> float:
        ll, _, i = _moments(np.array(b), x, valid)
        info = i.sum()
        return -np.inf if info <= 0 else float(ll.sum() + 0.5 * math.log(info))

    res = optimize.minimize_scalar(lambda b: -pen(b), bounds=(-50.0, 50.0), method="bounded",
                                   options={"xatol": 1e-9})
    b_hat = float(res.x)
    target = pen(b_hat) - 0.5 * 3.841458820694124

    def end(limit: float) -> float:
        if pen(limit) > target:
            return math.copysign(math.inf, limit)
        return float(optimize.brentq(lambda b: pen(b) - target, b_hat, limit, xtol=1e-9))

    return b_hat, end(-50.0), end(50.0)


def _stat_lr(b: np.ndarray, lr: np.ndarray) -> np.ndarray:
    return lr


def _stat_abs_b(b: np.ndarray, lr: np.ndarray) -> np.ndarray:
    return np.abs(b)


#: Permutation statistics: ``lr`` the likelihood-ratio statistic 2 (l(b) - l(0)) (default),
#: ``abs_b`` the |log odds ratio| of science.md 6 (infinite under separation).
STATISTICS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "lr": _stat_lr,
    "abs_b": _stat_abs_b,
}


# ----------------------------------------------------------------------------------------
# Multiplicity and power
# ----------------------------------------------------------------------------------------

def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg q-values (adjusted p-values); NaN p-values stay NaN.

    ``q_(i) = min_{j >= i} m p_(j) / j``, capped at 1, over the m non-missing p-values.

    References
    ----------
    Benjamini Y, Hochberg Y. J R Stat Soc B 1995;57:289-300.
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    order = np.argsort(p[ok], kind="stable")
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    q[ok] = adj
    return q


def power_label(n_onsets: int) -> str:
    """``descriptive only`` (< 8 onsets), ``underpowered`` (8-19) or ``adequate`` (>= 20)."""
    return next(label for limit, label in POWER_LABELS if n_onsets < limit)


# ----------------------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------------------

@dataclass
class FactorResult:
    """What :func:`case_crossover` found.

    Attributes
    ----------
    n_onsets : int
        Onsets with at least one usable referent.
    onsets : list of datetime.date
        Those onsets.
    power : str
        ``descriptive only``, ``underpowered`` or ``adequate``.
    window_days : int
        Hazard window length [d].
    method : str
        The design in words.
    factors : DataFrame
        The ``factors`` table (schema.py) plus ``column``, ``aggregate``, ``kind``,
        ``exploratory``, ``claim``, ``reason``, ``sd``, ``n_referents``, ``discovery``.
    warnings : list of str
        Things the reader should know (few onsets, factors without data, ...).
    red_flags : list of str
        Filled by the caller from the diary (section 7); empty here.
    """

    n_onsets: int
    onsets: list[dt.date]
    power: str
    window_days: int
    method: str
    factors: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    red_flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON object of ``runback factors`` (cli-contract.md); NaN becomes None."""
        keys = ("factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
                "n_onsets", "description")
        rows = []
        for rec in self.factors[list(keys)].to_dict("records"):
            rows.append({k: _plain(rec[k]) for k in keys})
        return {
            "n_onsets": int(self.n_onsets),
            "onsets": [d.isoformat() for d in self.onsets],
            "power": self.power,
            "window_days": int(self.window_days),
            "method": self.method,
            "factors": rows,
            "red_flags": list(self.red_flags),
            "warnings": list(self.warnings),
        }


def _plain(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


# ----------------------------------------------------------------------------------------
# The analysis
# ----------------------------------------------------------------------------------------

def _prepare(daily: pd.DataFrame) -> pd.DataFrame:
    if "flare_onset" not in daily.columns:
        raise SchemaError(f"daily table lacks columns ['flare_onset']; "
                          f"found {list(map(str, daily.columns))}")
    if "date" in daily.columns:
        dates = pd.to_datetime(daily["date"])
    elif isinstance(daily.index, pd.DatetimeIndex):
        dates = daily.index.to_series()
    else:
        raise SchemaError(f"daily table lacks columns ['date']; "
                          f"found {list(map(str, daily.columns))}")
    out = daily.copy()
    out.index = pd.DatetimeIndex(dates.to_numpy()).normalize()
    out = out.drop(columns="date", errors="ignore").sort_index()
    if out.index.has_duplicates:
        raise SchemaError("daily table holds the same date more than once")
    if len(out):
        full = pd.date_range(out.index[0], out.index[-1], freq="D")
        out = out.reindex(full)
    return out


def _structure(df: pd.DataFrame, window_days: int, require_logged: bool,
               post_flare_days: int):
    """Onset days, days blocked as referents, days usable by the diary, and warnings."""
    onset = _flags(df, "flare_onset", np.zeros(len(df), dtype=bool))
    warnings = []
    if "in_flare" not in df.columns:
        warnings.append("the daily table has no in_flare column: each onset day is taken as "
                        "a one-day flare-up")
    in_flare = _flags(df, "in_flare", onset) | onset
    logged = np.ones(len(df), dtype=bool)
    if require_logged and "logged" in df.columns and _flags(df, "logged", onset).any():
        logged = _flags(df, "logged", onset)
    return onset, _blocked(in_flare, window_days, post_flare_days), logged, warnings


def comparison_days(daily: pd.DataFrame, *, window_days: int = 3,
                    require_logged: bool = True,
                    post_flare_days: int = POST_FLARE_D) -> pd.DataFrame:
    """Every onset with its referent days, and why a referent is not used.

    Parameters
    ----------
    daily : DataFrame
        The daily table (``date``, ``flare_onset``, ``in_flare``, ``logged``).
    window_days : int
        Hazard window [d]; a referent r is blocked when r-w..r touches a flare-up or the
        ``post_flare_days`` after one.
    require_logged : bool
        Drop referents without a diary entry.
    post_flare_days : int
        Days after a flare-up that cannot serve as referents [d]. Default 7.

    Returns
    -------
    DataFrame
        Columns onset, date, role (``onset`` or ``referent``), used (bool) and reason
        (empty, ``in or near a flare-up`` or ``not logged``).
    """
    df = _prepare(daily)
    onset, blocked, logged, _ = _structure(df, window_days, require_logged, post_flare_days)
    cand = referent_days(df.index)
    rows = []
    for t in np.flatnonzero(onset):
        rows.append((df.index[t], df.index[t], "onset", True, ""))
        for r in cand[t][cand[t] >= 0]:
            reason = ("in or near a flare-up" if blocked[r]
                      else "" if logged[r] else "not logged")
            rows.append((df.index[t], df.index[r], "referent", not reason, reason))
    out = pd.DataFrame(rows, columns=["onset", "date", "role", "used", "reason"])
    return out.astype({"onset": "datetime64[ns]", "date": "datetime64[ns]", "role": "string",
                       "used": bool, "reason": "string"})


def _flags(df: pd.DataFrame, column: str, default: np.ndarray) -> np.ndarray:
    if column not in df.columns:
        return default
    return df[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _source(df: pd.DataFrame, factor: Factor) -> str | None:
    for col in factor.sources:
        if col in df.columns:
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            if np.any(~np.isnan(v) & (v != 0)):
                return col
    return None


def case_crossover(daily: pd.DataFrame, *, window_days: int = 3,
                   factors: Iterable[Factor | str] | None = None,
                   n_permutations: int | None = None, seed: int = 0,
                   require_logged: bool = True, post_flare_days: int = POST_FLARE_D,
                   fdr: float = FDR, statistic: str = "lr") -> FactorResult:
    """Time-stratified case-crossover analysis of which factors come before flare-ups.

    Parameters
    ----------
    daily : DataFrame
        The daily table (schema.py): ``date``, ``flare_onset``, ``in_flare``, ``logged``
        and the factors' columns. Missing days are added as missing.
    window_days : int
        Hazard window d-w..d-1 [d]; the onset day is excluded. Default 3 (soreness up to
        72 h after a workout); 1 and 7 are the secondary windows.
    factors : iterable of Factor or str, optional
        Factors or names from :data:`FACTORS`; default the whole family.
    n_permutations : int, optional
        Number of circular shifts (drawn without replacement from 28..T-28 days); default
        all of them.
    seed : int
        Seed for drawing the shifts.
    require_logged : bool
        Drop referents on days the diary has no entry (when ``logged`` says so).
    post_flare_days : int
        Days after a flare-up that cannot serve as referents [d] (reverse causation).
        Default 7. With many flare-ups a year these days can fill whole months; the
        warnings then count the onsets left without a referent.
    fdr : float
        False discovery rate for the ``discovery`` flag (q <= fdr). Default 0.10.
    statistic : str
        Permutation statistic, a key of :data:`STATISTICS`: ``lr`` (default) or ``abs_b``.

    Returns
    -------
    FactorResult

    Raises
    ------
    SchemaError
        When ``daily`` lacks ``date`` or ``flare_onset``.

    References
    ----------
    Maclure 1991, Am J Epidemiol 133:144; Janes, Sheppard & Lumley 2005, Epidemiology
    16:717; Benjamini & Hochberg 1995, J R Stat Soc B 57:289; Heinze & Puhr 2010, Stat Med
    29:770.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {sorted(STATISTICS)}")
    chosen = [_BY_NAME[f] if isinstance(f, str) and f in _BY_NAME else f
              for f in (FACTORS if factors is None else factors)]
    unknown = [f for f in chosen if not isinstance(f, Factor)]
    if unknown or not chosen:
        raise ValueError(f"factors must be Factor objects or one of {sorted(_BY_NAME)}; "
                         f"got {unknown}")
    df = _prepare(daily)
    n_days = len(df)
    onset, blocked, logged, warnings = _structure(df, window_days, require_logged,
                                                  post_flare_days)
    ok_day = ~blocked & logged
    cand = referent_days(df.index)

    shifts = np.arange(MIN_SHIFT_D, n_days - MIN_SHIFT_D + 1)
    if n_permutations is not None and n_permutations < len(shifts):
        shifts = np.sort(np.random.default_rng(seed).choice(shifts, n_permutations,
                                                              replace=False))
    if len(shifts) == 0:
        warnings.append(f"the span of {n_days} days is too short for circular-shift "
                        f"p-values (needs {2 * MIN_SHIFT_D + 1} days)")
    all_shifts = np.concatenate([[0], shifts])
    case_pos = np.flatnonzero(onset)
    pos = (case_pos[None, :] + all_shifts[:, None]) % n_days            # (B+1, S)
    refs = cand[pos]                                                     # (B+1, S, 4)
    back = (refs - all_shifts[:, None, None]) % n_days
    ref_ok = (refs >= 0) & ok_day[back]
    idx = np.concatenate([pos[..., None], np.where(refs >= 0, refs, 0)], axis=-1)
    struct = np.concatenate([np.ones(pos.shape + (1,), dtype=bool), ref_ok], axis=-1)

    usable = struct[0, :, 1:].any(axis=-1)
    onset_dates = [d.date() for d in df.index[case_pos[usable]]]
    n_onsets = len(onset_dates)
    power = power_label(n_onsets)
    if len(case_pos) == 0:
        warnings.append("the data hold no flare-up onset: there is nothing to compare")
    elif n_onsets < len(case_pos):
        warnings.append(f"{len(case_pos) - n_onsets} of {len(case_pos)} flare-ups have no "
                        "usable comparison day (flare-ups, their aftermath or unlogged days "
                        "fill their month) and are left out")
    if power != "adequate" and n_onsets:
        warnings.append(f"{n_onsets} usable flare-up{'s' if n_onsets != 1 else ''}: results "
                        f"are {power}; read the confidence intervals, not the p-values")

    rows = [_fit_factor(df, f, window_days, idx, struct, statistic) for f in chosen]
    table = pd.DataFrame(rows)
    family = ~table["exploratory"].to_numpy(dtype=bool)
    q = np.full(len(table), np.nan)
    q[family] = benjamini_hochberg(table["p_value"].to_numpy(dtype=float)[family])
    table["q_value"] = q
    table["discovery"] = table["q_value"] <= fdr
    table["description"] = [_describe(f, r, window_days, int(family.sum()))
                            for f, r in zip(chosen, table.itertuples(), strict=True)]
    for r in table.itertuples():
        if isinstance(r.reason, str) and r.reason:
            warnings.append(f"{r.factor}: {r.reason}")
    table["window"] = f"d-{window_days}..d-1"
    table = schema.conform(table, "factors")
    method = (f"time-stratified case-crossover (referents: same weekday, month and year), "
              f"hazard window d-{window_days}..d-1, conditional logistic regression "
              f"(Firth-penalised under separation), circular-shift permutation p "
              f"({len(shifts)} shifts), Benjamini-Hochberg q over {int(family.sum())} "
              f"pre-specified factors at {fdr:g}")
    return FactorResult(n_onsets, onset_dates, power, window_days, method, table, warnings)


def _fit_factor(df: pd.DataFrame, factor: Factor, window_days: int, idx: np.ndarray,
                struct: np.ndarray, statistic: str) -> dict:
    row = {"factor": factor.name, "odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
           "p_value": np.nan, "n_onsets": 0, "method": "none", "column": pd.NA,
           "aggregate": factor.aggregate, "kind": factor.kind,
           "exploratory": factor.exploratory, "claim": factor.claim, "reason": "",
           "sd": np.nan, "n_referents": 0, "separation": 0}
    col = _source(df, factor)
    if col is None:
        row["reason"] = f"no data (columns {', '.join(factor.sources)} are missing or empty)"
        return row
    row["column"] = col
    expo = window_exposure(df[col], factor, window_days).to_numpy(dtype=float)
    if factor.kind == "continuous":
        sd = float(np.nanstd(expo, ddof=1)) if np.sum(~np.isnan(expo)) > 1 else np.nan
        if not sd > 0:
            row["reason"] = "no variation in the exposure"
            return row
        row["sd"] = sd
        z = factor.sign * (expo - np.nanmean(expo)) / sd
    else:
        z = expo
    x = z[idx]
    valid = struct & ~np.isnan(x)
    active = valid[..., 0] & valid[..., 1:].any(axis=-1)
    row["n_onsets"] = int(active[0].sum())
    row["n_referents"] = int((valid[0, :, 1:] & active[0, :, None]).sum())
    if row["n_onsets"] == 0:
        row["reason"] = "no flare-up with a usable exposure and comparison day"
        return row
    b, se, lr = clogit(x, valid)
    if np.isnan(b[0]):
        row["reason"] = "no variation between flare-up days and their comparison days"
        return row
    if len(b) > 1:
        stat = STATISTICS[statistic](b, lr)
        hits = np.sum(stat[1:] >= stat[0] * (1 - 1e-9) - 1e-12)
        row["p_value"] = (1 + hits) / len(b)
    if abs(b[0]) <= MAX_LOG_OR:
        with np.errstate(over="ignore"):
            ors = np.exp(b[0] + np.array([0.0, -Z95, Z95]) * se[0])
        row["odds_ratio"], row["ci_low"], row["ci_high"] = map(float, ors)
        row["method"] = "clogit"
    else:
        bf, lo, hi = _firth(x[0], valid[0])
        row["odds_ratio"], row["ci_low"], row["ci_high"] = map(math.exp, (bf, lo, hi))
        kind = "perfect separation" if np.isinf(b[0]) else "near separation"
        row["method"] = f"firth-clogit ({kind}; profile penalised-likelihood CI)"
        row["separation"] = int(np.sign(b[0]))
    return row


# ----------------------------------------------------------------------------------------
# Words
# ----------------------------------------------------------------------------------------

def ratio_text(v) -> str:
    """An odds ratio or interval end as words show it: 2 significant figures below 10,
    whole numbers above, ``-`` when missing.

    Beyond 1000 or below 0.001 only the bound is shown (``>1000``, ``<0.001``): such an
    interval end means "unbounded" in practice.
    """
    if v is None or v is pd.NA:
        return "-"
    v = float(v)
    if math.isnan(v):
        return "-"
    if v > 1000:
        return ">1000"
    if v < 0.001:
        return "<0.001"
    return f"{v:.0f}" if v >= 9.95 else f"{v:.1f}" if v >= 0.095 else f"{v:.2g}"


def _amount(sd: float, unit: str) -> str:
    if unit == "m":
        return f"{sd / 1000:.1f} km" if sd >= 1000 else f"{sd:.0f} m"
    if unit == "s":
        return f"{sd / 3600:.1f} h" if sd >= 7200 else f"{sd / 60:.0f} min"
    if unit == "fraction":
        return f"{sd * 100:.0f} percentage points"
    if unit == "AU":
        return f"{sd:.0f} load units"
    if unit == "h":
        return f"{sd:.1f} h"
    if unit == "points":
        return f"{sd:.1f} points"
    return f"{sd:.2g} {unit}".rstrip()


def _describe(factor: Factor, r, window_days: int, n_family: int) -> str:
    """A plain-language sentence: association, not cause; unclear results read 'not known'."""
    if isinstance(r.reason, str) and r.reason:
        return f"Not analysed: {r.reason}."
    n = r.n_onsets
    if window_days == 1 or factor.aggregate == "last":
        when = f"On the day before your {n} flare-up{'s' if n != 1 else ''}"
    else:
        when = f"In the {window_days} days before your {n} flare-up{'s' if n != 1 else ''}"
    if r.kind == "continuous":
        per = " " + factor.per.format(amount=_amount(r.sd, factor.unit))
    else:
        per = ""
    numbers = (f"odds ratio {ratio_text(r.odds_ratio)}{per}, 95 % CI "
               f"{ratio_text(r.ci_low)} to {ratio_text(r.ci_high)}")
    if r.ci_low > 1 or r.ci_high < 1:
        did = factor.more if r.ci_low > 1 else factor.less
        text = (f"{when} you {did} than on comparable days ({numbers}). "
                "This is an association, not proof of cause.")
    else:
        text = (f"Whether {factor.topic} comes before your flare-ups is not known "
                f"({numbers}): the data fit a higher risk, no link and a lower risk alike.")
    if r.separation:
        text += (" Every flare-up had " + ("more" if r.separation > 0 else "less")
                 + " of it than its comparison days, so the estimate is penalised and rough.")
    if r.exploratory:
        text += " Exploratory: not one of the factors chosen in advance."
    elif math.isfinite(r.q_value):
        clear = r.ci_low > 1 or r.ci_high < 1
        if r.q_value <= FDR and clear:
            text += f" It stands out among the {n_family} factors checked (q = {r.q_value:.2f})."
        elif r.q_value <= FDR:
            text += (f" The shift test flags it among the {n_family} factors checked "
                     f"(q = {r.q_value:.2f}), but its size is too uncertain to state.")
        elif clear:
            text += (f" Among the {n_family} factors checked it may be chance "
                     f"(q = {r.q_value:.2f}).")
    if n < 8:
        text += f" With {n} flare-up{'s' if n != 1 else ''} this is descriptive only."
    elif n < 20:
        text += f" With {n} flare-ups this is underpowered: a real link could be missed."
    return text


# ----------------------------------------------------------------------------------------
# Sensitivity
# ----------------------------------------------------------------------------------------

def sensitivity_grid(daily: pd.DataFrame, pain_daily: pd.DataFrame, *,
                     ks: Sequence[float] = (1.5, 2.0, 3.0),
                     windows: Sequence[int] = (1, 3, 7),
                     factors: Iterable[Factor | str] | None = None,
                     n_permutations: int | None = None, seed: int = 0,
                     find_flares: Callable[..., pd.DataFrame] | None = None) -> pd.DataFrame:
    """Re-run :func:`case_crossover` over flare thresholds k and hazard windows.

    Parameters
    ----------
    daily : DataFrame
        The daily table; its ``flare_onset``/``in_flare`` are replaced for every k.
    pain_daily : DataFrame
        Daily pain as ``find_flares`` takes it.
    ks : sequence of float
        Flare thresholds k [NRS points] (science.md 5: 2, with 1.5 and 3 as sensitivity).
    windows : sequence of int
        Hazard windows [d].
    factors, n_permutations, seed
        As in :func:`case_crossover`.
    find_flares : callable, optional
        ``find_flares(pain_daily, k=k) -> flares table`` (``onset``, ``end``); default
        :func:`runback.pain.find_flares`.

    Returns
    -------
    DataFrame
        Columns k, window_days, window, factor, odds_ratio, ci_low, ci_high, p_value,
        q_value, n_onsets, method: one row per k, window and factor.
    """
    if find_flares is None:
        try:
            from runback.pain import find_flares
        except ImportError as e:
            raise RunbackError("flare detection (runback.pain.find_flares) is not "
                               "available; pass find_flares=") from e
    cols = ["factor", "window", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
            "n_onsets", "method"]
    parts = []
    factors = None if factors is None else list(factors)
    for k in ks:
        marked = mark_flares(daily, find_flares(pain_daily, k=k))
        for w in windows:
            res = case_crossover(marked, window_days=w, factors=factors,
                                 n_permutations=n_permutations, seed=seed)
            part = res.factors[cols].copy()
            part.insert(0, "window_days", w)
            part.insert(0, "k", float(k))
            parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["k", "window_days", *cols])
    return pd.concat(parts, ignore_index=True)
