"""The case-crossover design: exposures over hazard windows, the at-risk rule, referents.

A flare-up onset on day d is a *case*; its *referents* are the other days of the same
calendar month and year on the same weekday (Janes, Sheppard & Lumley 2005). One rule
decides which days may take part, cases and referents alike (docs/methods.md section 6):

* a day is **at risk** when it and its whole hazard window d-w..d-1 lie outside every
  flare-up and its washout (the ``washout_days`` after each flare-up, while the runner
  eases back into training), and every day of the window is logged in the diary (a
  referent's own day too: an unlogged day is not known to be flare-free);
* so an onset whose day before was not logged is *undated* and never a case (its window
  may hold the real start), and a flare-up's easing-back weeks never serve as comparison.

A rule applied to referents alone leaves them mostly before the onset, close to the
previous flare-up, while the runner is still easing back: flare days then look more loaded
than they were. The days since the last flare-up are kept with each row so the model can
adjust for what remains of the recovery.

References
----------
Maclure M. The case-crossover design. Am J Epidemiol 1991;133:144-153.
Janes H, Sheppard L, Lumley T. Case-crossover analyses of air pollution exposure data:
referent selection strategies and their implications for bias. Epidemiology 2005;16:717.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from runback.errors import SchemaError
from runback.factors.family import (
    AGGREGATIONS,
    BASE,
    BY_NAME,
    FACTORS,
    Factor,
    Source,
)

__all__ = [
    "WASHOUT_D",
    "MAX_DAYS_SINCE",
    "prepare_daily",
    "window_exposure",
    "referent_days",
    "mark_flares",
    "at_risk",
    "estimate_washout",
    "case_crossover_design",
    "comparison_days",
    "resolve_factors",
    "resolve_washout",
    "REFERENTS",
    "REFERENT_WEEKS",
]

#: Days after a flare-up that are not at risk: the return to normal training. Runners ease
#: back for 2-4 weeks; 21 days is the default (docs/methods.md section 6).
WASHOUT_D = 21
#: Days since the last flare-up are capped here (and days before the first one take it).
MAX_DAYS_SINCE = 90
#: Load averages with a long memory, recomputed so that days in a flare-up or its washout
#: neither pull them down nor count: column -> (daily load column, EWMA span N [d]). A
#: 28-day chronic load stays depressed for weeks after the washout ends, while the runner's
#: easing back still echoes in it; frozen over those days it measures normal training.
FROZEN_EWMA = {"chronic_load": ("load", 28), "acute_load": ("load", 7)}
#: Continuous exposures are clipped to this quantile of the runner's own days at each end,
#: so one extreme day (a +300 % "spike" after a break) cannot carry a whole estimate.
TRIM = 0.025
#: The share of the window's running time heart rate must cover for the intensity
#: exposure to be known [unverified].
MIN_HR_SHARE = 0.5


def prepare_daily(daily: pd.DataFrame) -> pd.DataFrame:
    """The daily table indexed by every day of its span (missing days added as missing)."""
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
        out = out.reindex(pd.date_range(out.index[0], out.index[-1], freq="D"))
    return out


def resolve_factors(factors: Any) -> list[Factor]:
    """Factor objects from Factor objects or names of :data:`FACTORS`."""
    chosen = [BY_NAME[f] if isinstance(f, str) and f in BY_NAME else f
              for f in (FACTORS if factors is None else factors)]
    unknown = [f for f in chosen if not isinstance(f, Factor)]
    if unknown or not chosen:
        raise ValueError(f"factors must be Factor objects or one of {sorted(BY_NAME)}; "
                         f"got {unknown}")
    return chosen


def _lagged(v: np.ndarray, window_days: int) -> np.ndarray:
    lag = np.arange(1, window_days + 1)
    pos = np.arange(len(v))[:, None] - lag[None, :]
    return np.where(pos >= 0, v[np.clip(pos, 0, None)], np.nan)


def _numbers(df: pd.DataFrame, column: str) -> np.ndarray:
    if column not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def frozen_ewma(load: np.ndarray, blocked: np.ndarray, span: int) -> np.ndarray:
    """EWMA with lambda = 2/(N+1) that holds its value over blocked days.

    X_t = X_{t-1} + lambda (L_t - X_{t-1}) on open days, X_t = X_{t-1} on blocked days,
    starting from the mean of the first N open days (not from 0, which would read the
    first weeks as a low load). Missing loads count as 0 on open days.
    """
    lam = 2.0 / (span + 1.0)
    values = np.nan_to_num(np.asarray(load, dtype=float))
    open_days = values[~blocked]
    x = float(open_days[:span].mean()) if open_days.size else 0.0
    out = np.empty(len(values))
    for t, (v, b) in enumerate(zip(values, blocked, strict=True)):
        if not b:
            x += lam * (v - x)
        out[t] = x
    return out


def window_exposure(df: pd.DataFrame, source: Source, window_days: int) -> np.ndarray:
    """The window exposure of every day: ``source.aggregate`` over days d-w..d-1.

    NA for the first ``window_days`` days (the window starts before the data) and where
    the aggregation has no value. ``measured_share`` (hard running) is the window's
    running time times the share of hard running over the runs that have heart rate; NA
    when heart rate covers less than half the window's running time.
    """
    if source.aggregate == "measured_share":
        hard = _lagged(np.nan_to_num(_numbers(df, source.column)), window_days).sum(axis=1)
        hr = _lagged(np.nan_to_num(_numbers(df, "hr_time_s")), window_days).sum(axis=1)
        moving = _lagged(np.nan_to_num(_numbers(df, "moving_time_s")), window_days).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(moving <= 0, 0.0,
                           np.where(hr >= MIN_HR_SHARE * moving, moving * hard / hr, np.nan))
    else:
        lagged = _lagged(_numbers(df, source.column), window_days)
        out = np.asarray(AGGREGATIONS[source.aggregate](lagged, source.threshold), dtype=float)
    out = out.astype(float)
    out[:window_days] = np.nan
    return out


def source_of(df: pd.DataFrame, factor: Factor) -> Source | None:
    """The first source column present with any non-zero value, else None."""
    for source in factor.sources:
        v = _numbers(df, source.column)
        if np.any(~np.isnan(v) & (v != 0)):
            return source
    return None


#: Referent schemes: ``month`` (the other days of the same calendar month and year on the
#: same weekday: the time-stratified design) and ``weeks`` (the same weekday up to
#: :data:`REFERENT_WEEKS` weeks before and after: a symmetric bidirectional design).
REFERENTS = ("month", "weeks", "before")
#: Weeks on each side of the onset for the ``weeks`` scheme.
REFERENT_WEEKS = 8


def referent_days(dates: pd.DatetimeIndex, scheme: str = "month",
                  weeks: int = REFERENT_WEEKS) -> np.ndarray:
    """Referent candidates of every day.

    Parameters
    ----------
    dates : DatetimeIndex
        Consecutive days.
    scheme : {"month", "weeks"}
        ``month``: same weekday, calendar month and year (Janes et al. 2005); ``weeks``:
        the same weekday 1..``weeks`` weeks before and after.

    Returns
    -------
    ndarray of int
        Positions of the candidates, shape (T, 4) for ``month`` and (T, 2 weeks) for
        ``weeks``, padded with -1.
    """
    if scheme not in REFERENTS:
        raise ValueError(f"referents must be one of {list(REFERENTS)}")
    n = len(dates)
    if scheme in ("weeks", "before"):
        last = weeks if scheme == "weeks" else -1
        offsets = np.array([7 * k for k in range(-weeks, last + 1) if k], dtype=np.int64)
        pos = np.arange(n)[:, None] + offsets[None, :]
        return np.where((pos >= 0) & (pos < n), pos, -1)
    key = (dates.year * 100 + dates.month) * 10 + dates.day_of_week
    out = np.full((n, 4), -1, dtype=np.int64)
    groups = pd.Series(np.arange(n)).groupby(np.asarray(key)).indices
    for found in groups.values():
        members = np.asarray(found)
        for i in members:
            others = members[members != i]
            out[i, : len(others)] = others
    return out


def mark_flares(daily: pd.DataFrame, flares: pd.DataFrame) -> pd.DataFrame:
    """Set ``flare_onset`` and ``in_flare`` of ``daily`` from a ``flares`` table.

    An NA ``end`` means the flare-up lasts to the end of the table.
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


def _flags(df: pd.DataFrame, column: str, default: np.ndarray) -> np.ndarray:
    if column not in df.columns:
        return default
    return df[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _trailing_any(flags: np.ndarray, days: int) -> np.ndarray:
    """Whether any of days t-days..t is set."""
    c = np.concatenate([[0], np.cumsum(flags.astype(np.int64))])
    t = np.arange(len(flags))
    out: np.ndarray = (c[t + 1] - c[np.maximum(t - days, 0)]) > 0
    return out


def at_risk(df: pd.DataFrame, *, window_days: int, washout_days: int,
            require_logged: bool = True, symmetric: bool = True) -> dict[str, np.ndarray]:
    """The at-risk rule for every day of a prepared daily table.

    ``symmetric=False`` gives the earlier, biased rule, kept as the calibration
    benchmark's baseline: cases are any onset, and only referents must keep
    ``washout_days`` from a flare-up (their window unchecked for logging).

    Returns
    -------
    dict of ndarray
        ``onset`` (flare-up onsets), ``case`` (onsets at risk: their window clear of every
        flare-up and washout, and logged), ``referent`` (days at risk as comparison: the
        day and its window clear and logged), ``blocked`` (in a flare-up or its washout),
        ``logged`` and ``days_since`` (days since the last flare-up day, capped at
        :data:`MAX_DAYS_SINCE`; the cap before the first one).
    """
    n = len(df)
    onset = _flags(df, "flare_onset", np.zeros(n, dtype=bool))
    in_flare = _flags(df, "in_flare", onset) | onset
    logged = np.ones(n, dtype=bool)
    if require_logged and "logged" in df.columns:
        logged = _flags(df, "logged", np.ones(n, dtype=bool))
    blocked = _trailing_any(in_flare, max(0, washout_days))
    bad = blocked | ~logged
    window_bad = _trailing_any(bad, window_days - 1)  # days t-w+1..t
    prev_bad = np.concatenate([[True], window_bad[:-1]])  # days t-w..t-1
    enough = np.arange(n) >= window_days
    case = onset & ~prev_bad & enough
    if not symmetric:
        case = onset & enough
        referent = ~(blocked | ~logged) & enough & ~onset
        referent &= ~np.concatenate([[True], _trailing_any(blocked, window_days - 1)[:-1]])
    if symmetric:
        referent = ~bad & ~prev_bad & enough & ~onset
    last = np.where(in_flare, np.arange(n), -1)
    last = np.maximum.accumulate(np.concatenate([[-1], last[:-1]]))
    since = np.where(last >= 0, np.arange(n) - last, MAX_DAYS_SINCE).astype(float)
    return {"onset": onset, "case": case, "referent": referent, "blocked": blocked,
            "logged": logged, "days_since": np.minimum(since, MAX_DAYS_SINCE)}


def estimate_washout(daily: pd.DataFrame, *, pre_days: int = 28, share: float = 0.9,
                     horizon: int = 56, lo: int = 14, hi: int = 42) -> int | None:
    """Days the runner took to return to normal training after a flare-up [d].

    Each flare-up with ``pre_days`` of diary before it gives a recovery curve: the
    running distance of the 7 days ending k days after the flare-up ended, over the weekly
    distance of the flare-free days among the ``pre_days`` before its onset (at least half
    of them), for k = 1..``horizon`` up to the next flare-up. The curves are
    averaged over flare-ups (a single one is noisy), and the washout is the first k at
    which the average, and its mean over the next 7 days, reach ``share``, clipped to
    ``lo``..``hi`` (``hi`` when it never does). The floor of 14 days keeps a margin: a
    few noisy curves can make a runner who eases back look as if they did not. None when
    no flare-up allows the estimate (fewer than 2 curves).
    """
    df = prepare_daily(daily)
    n = len(df)
    dist = np.nan_to_num(_numbers(df, "distance_m"))
    none = np.zeros(n, dtype=bool)
    onset = _flags(df, "flare_onset", none)
    in_flare = _flags(df, "in_flare", onset) | onset
    week = np.concatenate([np.full(6, np.nan),
                           np.convolve(dist, np.ones(7), mode="valid")]) if n >= 7 else \
        np.full(n, np.nan)
    curves = []
    for t in np.flatnonzero(onset):
        calm = ~in_flare[max(0, t - pre_days):t]
        if t < pre_days or calm.sum() < pre_days // 2:
            continue
        level = dist[t - pre_days:t][calm].mean() * 7
        end = t
        while end + 1 < n and in_flare[end + 1]:
            end += 1
        if level <= 0 or end + 8 >= n:
            continue
        curve = np.full(horizon, np.nan)
        part = week[end + 1:end + 1 + horizon] / level
        after = in_flare[end + 1:end + 1 + horizon]
        curve[:len(part)] = np.where(np.cumsum(after) > 0, np.nan, part)
        curves.append(curve)
    if len(curves) < 2:
        return None
    stack = np.vstack(curves)
    seen = (~np.isnan(stack)).sum(axis=0)
    mean = np.where(seen > 0, np.nansum(stack, axis=0) / np.maximum(seen, 1), np.nan)
    ahead = pd.Series(mean).rolling(7, min_periods=1).mean().shift(-6).to_numpy()
    ok = np.flatnonzero((mean >= share) & (ahead >= share))
    k = int(ok[0]) + 1 if ok.size else hi
    return int(np.clip(k, lo, hi))


#: The washout floor of a pooled analysis [d]: pooling 100 and more strata makes small
#: biases visible that one season cannot show (on simulated pooled null cohorts with
#: easing, a 14-day floor gave a false finding in 5 of 20 cohorts, 21 days in 1 of 20).
POOLED_WASHOUT_FLOOR = 21


def resolve_washout(daily: pd.DataFrame, washout_days: int | str, *,
                    floor: int = 14) -> tuple[int, str]:
    """The washout in days and how it was chosen (``auto``: estimated, at least ``floor``;
    else 21 days)."""
    if washout_days == "auto":
        est = estimate_washout(daily, lo=floor)
        if est is None:
            return WASHOUT_D, (f"{WASHOUT_D} days (the default: too few flare-ups to "
                               "estimate your return to normal training)")
        return est, f"{est} days (your return to normal training after flare-ups)"
    if isinstance(washout_days, str) or washout_days < 0:
        raise ValueError("washout_days must be 'auto' or a number of days >= 0")
    return int(washout_days), f"{int(washout_days)} days"


def case_crossover_design(daily: pd.DataFrame, *, window_days: int = 3,
                          washout_days: int | str = "auto", factors: Any = None,
                          require_logged: bool = True, referents: str = "weeks",
                          referent_weeks: int = REFERENT_WEEKS,
                          symmetric: bool = True, washout_floor: int = 14) -> pd.DataFrame:
    """One row per case or referent day, with every factor's window exposure.

    Parameters
    ----------
    daily : DataFrame
        The daily table (``date``, ``flare_onset``, ``in_flare``, ``logged`` and the
        factors' columns).
    window_days : int
        Hazard window d-w..d-1 [d]; the onset day itself is excluded.
    washout_days : int or "auto"
        Days after each flare-up that are not at risk [d]; ``auto`` (default) estimates
        the runner's return to normal training (:func:`estimate_washout`), else 21.
    factors : iterable of Factor or str, optional
        Default the whole family :data:`FACTORS`; the base set's exposures are always
        included.
    require_logged : bool
        Days whose window is not logged are not at risk (default).
    referents : {"month", "weeks"}
        Referent scheme (:func:`referent_days`).
    referent_weeks : int
        Weeks on each side for the ``weeks`` scheme.
    symmetric : bool
        The at-risk rule for cases and referents alike (default); False is the earlier
        referents-only rule, for comparison (:func:`at_risk`).
    washout_floor : int
        The shortest washout ``auto`` chooses [d]: 14 for one athlete,
        :data:`POOLED_WASHOUT_FLOOR` when the design joins a pooled analysis.

    Returns
    -------
    DataFrame
        Columns ``stratum`` (int, one per usable onset), ``case`` (bool), ``date``,
        ``onset``, ``days_since_flare`` [d], ``days_from_onset`` (the day's date minus its
        onset [d]: 0 for a case, negative for a referent before it), and one column per
        factor named after it holding the window exposure in its source column's unit.
        ``attrs``: ``sd`` (factor -> person-SD of the exposure over every day of the
        span), ``source`` (factor -> Source used, or None), ``window_days``,
        ``washout_days``, ``counts`` (onsets, undated or too close to a flare-up, without
        referent, used) and ``warnings``.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    washout_days, washout_rule = resolve_washout(daily, washout_days, floor=washout_floor)
    chosen = resolve_factors(factors)
    names = {f.name for f in chosen}
    chosen += [BY_NAME[b] for b in BASE if b in BY_NAME and b not in names]
    df = prepare_daily(daily)
    risk = at_risk(df, window_days=window_days, washout_days=washout_days,
                   require_logged=require_logged, symmetric=symmetric)
    cand = referent_days(pd.DatetimeIndex(df.index), referents, referent_weeks)
    cases = np.flatnonzero(risk["case"])
    rows_t, rows_case, rows_stratum = [], [], []
    no_ref = 0
    for s, t in enumerate(cases):
        refs = cand[t][cand[t] >= 0]
        refs = refs[risk["referent"][refs]]
        if refs.size == 0:
            no_ref += 1
            continue
        rows_t += [t, *refs.tolist()]
        rows_case += [True] + [False] * refs.size
        rows_stratum += [s] * (1 + refs.size)
    t_idx = np.asarray(rows_t, dtype=np.int64)
    used = np.unique(np.asarray(rows_stratum, dtype=np.int64)).size
    out = pd.DataFrame({
        "stratum": np.asarray(rows_stratum, dtype=np.int64),
        "case": np.asarray(rows_case, dtype=bool),
        "date": df.index[t_idx] if len(df) else pd.DatetimeIndex([]),
        "onset": df.index[cases[np.asarray(rows_stratum, dtype=np.int64)]]
        if len(t_idx) else pd.DatetimeIndex([]),
        "days_since_flare": risk["days_since"][t_idx],
    })
    out["days_from_onset"] = ((out["date"] - out["onset"]).dt.days.to_numpy(dtype=float)
                              if len(out) else np.zeros(0))
    sds, sources = {}, {}
    for factor in chosen:
        source = source_of(df, factor)
        sources[factor.name] = source
        if source is None:
            out[factor.name] = np.nan
            sds[factor.name] = np.nan
            continue
        frozen = df.copy() if source.column in FROZEN_EWMA else df
        if source.column in FROZEN_EWMA and FROZEN_EWMA[source.column][0] in df.columns:
            column, span = FROZEN_EWMA[source.column]
            frozen[source.column] = frozen_ewma(_numbers(df, column), risk["blocked"], span)
        expo = window_exposure(frozen, source, window_days)
        if source.lookback:
            # days t-window-lookback..t-1 must be clear of flare-ups and washouts
            reach = _trailing_any(risk["blocked"], window_days + source.lookback - 1)
            expo = np.where(np.concatenate([[True], reach[:-1]]), np.nan, expo)
        ok = ~np.isnan(expo)
        if factor.kind == "continuous" and ok.sum() > 1 and TRIM > 0:
            lo, hi = np.quantile(expo[ok], [TRIM, 1 - TRIM])
            expo = np.where(ok, np.clip(expo, lo, hi), np.nan)
        out[factor.name] = expo[t_idx]
        sds[factor.name] = float(np.std(expo[ok], ddof=1)) if ok.sum() > 1 else np.nan
    n_onsets = int(risk["onset"].sum())
    not_at_risk = n_onsets - len(cases)
    warnings = []
    if not_at_risk:
        warnings.append(
            f"{not_at_risk} of {n_onsets} flare-ups are left out: the day before was not "
            f"logged (undated), or the {window_days} days before fell within a flare-up or "
            f"the {washout_days} days after one")
    if no_ref:
        warnings.append(f"{no_ref} flare-ups have no comparison day (flare-ups, the weeks "
                        "after them or unlogged days fill their month) and are left out")
    out.attrs.update({"sd": sds, "source": sources, "window_days": window_days,
                      "washout_days": washout_days, "washout_rule": washout_rule,
                      "referents": referents,
                      "counts": {"onsets": n_onsets, "not_at_risk": not_at_risk,
                                 "no_referent": no_ref, "used": used},
                      "warnings": warnings})
    return out


def comparison_days(daily: pd.DataFrame, *, window_days: int = 3,
                    washout_days: int | str = "auto", require_logged: bool = True,
                    referents: str = "weeks",
                    referent_weeks: int = REFERENT_WEEKS) -> pd.DataFrame:
    """Every onset with its referent candidates, and why one is not used.

    Returns
    -------
    DataFrame
        Columns onset, date, role (``onset`` or ``referent``), used (bool) and reason
        (empty, ``in or near a flare-up``, ``not logged`` or, for an onset, ``undated or
        too close to a flare-up``).
    """
    washout_days, _ = resolve_washout(daily, washout_days)
    df = prepare_daily(daily)
    risk = at_risk(df, window_days=window_days, washout_days=washout_days,
                   require_logged=require_logged)
    cand = referent_days(pd.DatetimeIndex(df.index), referents, referent_weeks)
    rows = []
    for t in np.flatnonzero(risk["onset"]).tolist():
        ok = bool(risk["case"][t])
        rows.append((df.index[t], df.index[t], "onset", ok,
                     "" if ok else "undated or too close to a flare-up"))
        for r in cand[t][cand[t] >= 0].tolist():
            span = slice(max(0, r - window_days), r + 1)
            reason = ("" if risk["referent"][r]
                      else "in or near a flare-up" if risk["blocked"][span].any()
                      else "not logged")
            rows.append((df.index[t], df.index[r], "referent", not reason, reason))
    out = pd.DataFrame(rows, columns=["onset", "date", "role", "used", "reason"])
    return out.astype({"onset": "datetime64[ns]", "date": "datetime64[ns]", "role": "string",
                       "used": bool, "reason": "string"})
