"""Calendar load tables: the runner's days and weeks, and the load metrics over them.

Every function is pure. Daily series are indexed by consecutive local days; window
lengths are parameters in days. Definitions follow docs/methods.md section 2:

- acute and chronic load: EWMA with lambda = 2/(N+1), N = 7 and 28 (Williams et al. 2017);
- ACWR = acute / chronic, descriptive only (Lolli et al. 2019; Impellizzeri et al. 2021);
- monotony = mean / SD of the 7 daily loads, strain = 7-day load x monotony (Foster 1998);
- CTL / ATL / TSB with a = 1 - exp(-1/tau) (GoldenCheetah PMCData);
- week-over-week distance change (Nielsen et al. 2014) and the session spike against the
  longest run of the previous 30 days (Frandsen et al. 2025).

:func:`daily_table` builds the ``daily`` table and :func:`weekly_table` the ``weekly``
table of :mod:`runback.schema` from the ``activities`` table.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd

from runback import schema
from runback.pain import flare_days

if TYPE_CHECKING:
    from pandas.api.typing import NAType

__all__ = [
    "ewma",
    "acwr",
    "monotony",
    "strain",
    "ctl_atl_tsb",
    "distance_change",
    "session_spike",
    "change_category",
    "daily_table",
    "weekly_table",
    "RUN_SUMS",
    "SURFACE_DISTANCE",
    "DISTANCE_WEIGHTED",
    "CHANGE_CATEGORIES",
]

#: daily column -> activities column, summed over the day's runs (missing values count 0).
RUN_SUMS = {
    "distance_m": "distance_m",
    "moving_time_s": "moving_time_s",
    "run_load": "load",
    "elevation_gain_m": "elevation_gain_m",
    "elevation_loss_m": "elevation_loss_m",
    "uphill_5_s": "uphill_5_s",
    "downhill_5_s": "downhill_5_s",
    "downhill_10_s": "downhill_10_s",
    "hi_intensity_s": "hi_intensity_s",
}
#: daily column -> activities ``surface`` whose running distance it sums.
SURFACE_DISTANCE = {"trail_m": "trail", "treadmill_m": "treadmill"}
#: activities columns averaged over the day's runs, weighted by distance.
DISTANCE_WEIGHTED = ("roughness_m", "heading_change_deg_per_100m")
#: weekly column -> daily column summed over the week.
WEEK_SUMS = ("distance_m", "runs", "moving_time_s", "elevation_gain_m", "elevation_loss_m",
             "load", "downhill_10_s", "trail_m", "treadmill_m", "hi_intensity_s", "hr_time_s")
#: Labels of :func:`change_category`, lowest first (Nielsen et al. 2014).
CHANGE_CATEGORIES = ("<10 %", "10-30 %", ">30 %")

_ACTIVITY_NUMBERS = (*RUN_SUMS.values(), *DISTANCE_WEIGHTED, "temperature_c")


def ewma(load: pd.Series, n: float) -> pd.Series:
    """Exponentially weighted moving average of a daily load.

    X_t = lambda L_t + (1 - lambda) X_{t-1}, lambda = 2 / (N + 1), with X = 0 on the day
    before the first day, so X_0 = lambda L_0.

    Parameters
    ----------
    load : Series
        Daily load over consecutive days, rest days 0. [AU]
    n : float
        Decay constant N. [d] 7 for acute, 28 for chronic load.

    Returns
    -------
    Series
        The EWMA, same index. [AU]

    References
    ----------
    .. [1] Williams S et al. (2017) Better way to determine the acute:chronic workload
       ratio? Br J Sports Med 51:209-210.
    """
    lam = 2.0 / (n + 1.0)
    return _recursive(load, lam)


def acwr(acute: pd.Series, chronic: pd.Series, *, chronic_days: int = 28) -> pd.Series:
    """Acute:chronic workload ratio, shown descriptively only.

    NA in the first ``chronic_days`` days, while the chronic EWMA still mostly reflects
    its zero start, and where chronic load is 0. The ratio is mathematically coupled and
    adds nothing over acute load, so runback never turns it into a risk zone.

    Parameters
    ----------
    acute, chronic : Series
        :func:`ewma` of the daily load with N = 7 and 28, over the same days. [AU]
    chronic_days : int
        Days at the start without a ratio. [d]

    Returns
    -------
    Series
        acute / chronic. [1]

    References
    ----------
    .. [1] Lolli L et al. (2019) Mathematical coupling causes spurious correlation within
       the conventional acute-to-chronic workload ratio calculations. Br J Sports Med
       53:921-922.
    .. [2] Impellizzeri FM et al. (2021) What role do chronic workloads play in the
       acute to chronic workload ratio? Time to dismiss ACWR and its underlying theory.
       Sports Med 51:581-592.
    """
    ratio = acute / chronic.where(chronic > 0)
    ratio.iloc[:chronic_days] = np.nan
    return ratio


def monotony(load: pd.Series, *, days: int = 7, ddof: int = 0) -> pd.Series:
    """Training monotony: mean / SD of the daily loads over the ``days`` days to d.

    Rest days count as 0. NA until ``days`` days exist, and where the SD is 0 (all days
    equal, e.g. a week of rest). The SD is the population SD (``ddof=0``): the 7 days are
    the whole week described, not a sample of weeks; Foster's paper does not say, and
    spreadsheet versions differ, so ``ddof=1`` is available. Loads 0, 0, 60, 0, 60, 0, 60
    give mean 25.71 and SD 29.69, monotony 0.866 (0.802 with ``ddof=1``).

    Parameters
    ----------
    load : Series
        Daily load over consecutive days. [AU]
    days : int
        Window length. [d]
    ddof : int
        Delta degrees of freedom of the SD.

    Returns
    -------
    Series
        Monotony, same index. [1]

    References
    ----------
    .. [1] Foster C (1998) Monitoring training in athletes with reference to overtraining
       syndrome. Med Sci Sports Exerc 30:1164-1168.
    """
    values = load.to_numpy(dtype=float)
    out = np.full(len(values), np.nan)
    if len(values) >= days:
        windows = np.lib.stride_tricks.sliding_window_view(values, days)
        mean = windows.mean(axis=1)
        sd = windows.std(axis=1, ddof=ddof)
        flat = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
        out[days - 1:] = np.where(flat, np.nan, mean / np.where(flat, 1.0, sd))
    return pd.Series(out, index=load.index)


def strain(load: pd.Series, *, days: int = 7, ddof: int = 0) -> pd.Series:
    """Training strain: the load of the ``days`` days to d x :func:`monotony`.

    Parameters
    ----------
    load : Series
        Daily load over consecutive days. [AU]
    days : int
        Window length. [d]
    ddof : int
        Delta degrees of freedom of the SD in the monotony.

    Returns
    -------
    Series
        Strain, NA where monotony is. [AU]

    References
    ----------
    .. [1] Foster C (1998) Med Sci Sports Exerc 30:1164-1168.
    """
    total = load.rolling(days, min_periods=days).sum()
    return total * monotony(load, days=days, ddof=ddof)


def ctl_atl_tsb(load: pd.Series, *, ctl_days: float = 42, atl_days: float = 7) -> pd.DataFrame:
    """Chronic and acute training load and training stress balance.

    X_t = X_{t-1} + a (L_t - X_{t-1}) with a = 1 - exp(-1/tau) and X = 0 before the first
    day; TSB_t = CTL_{t-1} - ATL_{t-1} (0 on the first day).

    Parameters
    ----------
    load : Series
        Daily load over consecutive days. [AU]
    ctl_days, atl_days : float
        Time constants tau. [d]

    Returns
    -------
    DataFrame
        Columns ``ctl``, ``atl``, ``tsb``, same index. [AU]

    References
    ----------
    .. [1] GoldenCheetah, src/Metrics/PMCData.cpp (Performance Manager Chart).
    .. [2] Banister EW et al. (1975) A systems model of training for athletic performance.
       Aust J Sports Med 7:57-61.
    """
    ctl = _recursive(load, 1.0 - np.exp(-1.0 / ctl_days))
    atl = _recursive(load, 1.0 - np.exp(-1.0 / atl_days))
    tsb = (ctl - atl).shift(1, fill_value=0.0)
    return pd.DataFrame({"ctl": ctl, "atl": atl, "tsb": tsb})


def distance_change(distance: pd.Series, *, days: int = 7) -> pd.Series:
    """Distance of the ``days`` days to d against the ``days`` days before, as a fraction.

    sum(d-6..d) / sum(d-13..d-7) - 1. NA until two full windows exist, and where the
    earlier window has no distance.

    Parameters
    ----------
    distance : Series
        Daily running distance over consecutive days, rest days 0. [m]
    days : int
        Window length. [d]

    Returns
    -------
    Series
        Change, 0.25 meaning 25 % more. [1]

    References
    ----------
    .. [1] Nielsen RO et al. (2014) Excessive progression in weekly running distance and
       risk of running-related injuries. J Orthop Sports Phys Ther 44:739-747.
    """
    recent = distance.rolling(days, min_periods=days).sum()
    before = recent.shift(days)
    return recent / before.where(before > 0) - 1.0


def session_spike(activities: pd.DataFrame, *, days: int = 30) -> pd.Series:
    """Each run's distance against the longest run of the previous ``days`` days.

    distance / max(distance of runs on local days d-30..d-1) - 1. Earlier runs of the same
    day do not count. NA for activities that are not runs, and when no run with a distance
    lies in the window.

    Parameters
    ----------
    activities : DataFrame
        The ``activities`` table (local_date, distance_m, is_run or sport).
    days : int
        Look-back window. [d]

    Returns
    -------
    Series
        Spike per activity, same index as ``activities``; 0.5 means 50 % longer. [1]

    References
    ----------
    .. [1] Frandsen JSB et al. (2025) How much running is too much? Identifying high-risk
       running sessions in a 5200-person cohort study. Br J Sports Med 59:1203.
    """
    dates, run, dist = _run_frame(activities)
    out = pd.Series(np.nan, index=activities.index, dtype=float)
    ok = run & dates.notna() & (dist > 0)
    if not ok.any():
        return out
    longest = dist[ok].groupby(dates[ok]).max()
    longest = longest.reindex(pd.date_range(longest.index.min(), longest.index.max()))
    previous = longest.rolling(days, min_periods=1).max().shift(1)
    reference = previous.reindex(dates[ok]).to_numpy()
    with np.errstate(over="ignore"):  # an absurd ratio is inf, not a warning
        out[ok] = dist[ok].to_numpy() / np.where(reference > 0, reference, np.nan) - 1.0
    return out


@overload
def change_category(x: pd.Series) -> pd.Series: ...
@overload
def change_category(x: float | None) -> str | NAType: ...
def change_category(x: pd.Series | float | None) -> pd.Series | str | NAType:
    """Label a load change as "<10 %", "10-30 %" or ">30 %" (Nielsen et al. 2014).

    Below 0.10 (including decreases) is "<10 %", 0.10 to 0.30 inclusive "10-30 %",
    above 0.30 ">30 %".

    Parameters
    ----------
    x : float or Series
        Change as a fraction (:func:`distance_change`, :func:`session_spike`). [1]

    Returns
    -------
    str or NA, or Series
        The label; for a Series an ordered categorical Series, NA where ``x`` is NA.
    """
    if isinstance(x, pd.Series):
        values = x.to_numpy(dtype=float)
        codes = np.select([values < 0.10, values <= 0.30, values > 0.30], [0, 1, 2], -1)
        dtype = pd.CategoricalDtype(list(CHANGE_CATEGORIES), ordered=True)
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=x.index)
    if pd.isna(x):
        return pd.NA
    return CHANGE_CATEGORIES[0 if x < 0.10 else 1 if x <= 0.30 else 2]


def daily_table(activities: pd.DataFrame, *, pain_daily: pd.DataFrame | None = None,
                flares: pd.DataFrame | None = None, start: str | date | np.datetime64 | None = None,
                end: str | date | np.datetime64 | None = None,
                acute_days: int = 7, chronic_days: int = 28, week_days: int = 7,
                ctl_days: float = 42, atl_days: float = 7,
                spike_days: int = 30) -> pd.DataFrame:
    """The ``daily`` table: every local day of the span with its load, terrain and pain.

    The span runs from the first to the last day of the activities or the diary, or from
    ``start`` to ``end`` when given (activities outside are left out of the sums; the
    session-spike look-back still sees them). Running counts where ``is_run`` is true
    (where it is missing: sport "running"); other sports add to ``load`` and
    ``cross_training_s`` only. Sums are 0 on rest days and a missing value (no heart rate,
    no load) counts 0 in its day's sum. Activities without a local date are left out.

    Parameters
    ----------
    activities : DataFrame
        The ``activities`` table (local_date, is_run, sport, surface, distance_m,
        moving_time_s, load, elevation_gain_m, elevation_loss_m, uphill_5_s, downhill_5_s,
        downhill_10_s, hi_intensity_s, roughness_m, heading_change_deg_per_100m,
        temperature_c); missing columns count as missing values.
    pain_daily : DataFrame, optional
        :func:`runback.pain.daily_pain` output. Without it pain is NA and logged False.
    flares : DataFrame, optional
        :func:`runback.pain.find_flares` output. Without it ``flare_onset`` and
        ``in_flare`` are NA (not computed).
    start, end : date-like, optional
        First and last day of the table.
    acute_days, chronic_days : int
        EWMA constants N of acute and chronic load. [d]
    week_days : int
        Window of monotony, strain and distance change. [d]
    ctl_days, atl_days : float
        Time constants of CTL and ATL. [d]
    spike_days : int
        Look-back of the session spike. [d]

    Returns
    -------
    DataFrame
        The ``daily`` table (:mod:`runback.schema`), one row per day.
    """
    acts = _activity_frame(activities)
    acts["session_spike"] = session_spike(activities, days=spike_days).to_numpy()
    known = [acts["local_date"].dropna()]
    if pain_daily is not None and len(pain_daily):
        known.append(pd.Series(pain_daily.index))
    known_dates = pd.concat(known)
    first = pd.Timestamp(start).normalize() if start is not None else known_dates.min()
    last = pd.Timestamp(end).normalize() if end is not None else known_dates.max()
    if pd.isna(first) or pd.isna(last) or first > last:
        return schema.empty("daily")
    days = pd.date_range(first, last, freq="D", name="date")
    acts = acts[acts["local_date"].between(first, last)]
    acts = acts.sort_values(["local_date", "_start", "_id"], kind="stable")
    runs = acts[acts["is_run"]]
    by_day = runs.groupby("local_date")

    out = pd.DataFrame(index=days)
    for col, source in RUN_SUMS.items():
        out[col] = by_day[source].sum().reindex(days, fill_value=0.0)
    out["runs"] = by_day.size().reindex(days, fill_value=0).astype("int64")
    out["load"] = acts.groupby("local_date")["load"].sum().reindex(days, fill_value=0.0)
    for col, surface in SURFACE_DISTANCE.items():
        on = runs[runs["surface"] == surface]
        out[col] = on.groupby("local_date")["distance_m"].sum().reindex(days, fill_value=0.0)
    with_hr = runs[runs["hi_intensity_s"].notna()]
    out["hr_time_s"] = (with_hr.groupby("local_date")["moving_time_s"].sum()
                        .reindex(days, fill_value=0.0))
    for col in DISTANCE_WEIGHTED:
        out[col] = _distance_weighted(runs, col).reindex(days)
    out["temperature_c"] = by_day["temperature_c"].min().reindex(days)
    other = acts[~acts["is_run"]]
    out["cross_training_s"] = (other.groupby("local_date")["moving_time_s"].sum()
                               .reindex(days, fill_value=0.0))
    out["longest_run_m"] = by_day["distance_m"].max().reindex(days).fillna(0.0)
    out["session_spike"] = by_day["session_spike"].max().reindex(days)

    load = out["load"]
    out["distance_change"] = distance_change(out["distance_m"], days=week_days)
    out["acute_load"] = ewma(load, acute_days)
    out["chronic_load"] = ewma(load, chronic_days)
    out["acwr"] = acwr(out["acute_load"], out["chronic_load"], chronic_days=chronic_days)
    out["monotony"] = monotony(load, days=week_days)
    out["strain"] = strain(load, days=week_days)
    out = out.join(ctl_atl_tsb(load, ctl_days=ctl_days, atl_days=atl_days))

    if pain_daily is not None:
        pain = pain_daily.reindex(days)
        out["pain"] = pain["pain"]
        out["logged"] = pain["pain"].notna()
        for col in ("sleep_hours", "stress"):
            if col in pain:
                out[col] = pain[col]
    else:
        out["logged"] = False
    if flares is not None:
        out["flare_onset"] = days.isin(pd.DatetimeIndex(flares["onset"]))
        out["in_flare"] = flare_days(flares, days).to_numpy()
    out = out.rename_axis("date").reset_index()
    return schema.conform(out, "daily", extra=False)


def weekly_table(daily: pd.DataFrame) -> pd.DataFrame:
    """The ``weekly`` table: the daily table by local week, Monday to Sunday.

    A Sunday-evening run is on Sunday's local date, so it belongs to the week ending that
    Sunday. Partial first and last weeks are kept, with ``days`` < 7: their sums cover
    only their days, and their monotony, strain and distance change (as the previous or
    current week of a comparison) are NA rather than comparisons of unequal spans.

    Parameters
    ----------
    daily : DataFrame
        The ``daily`` table (every day of its span).

    Returns
    -------
    DataFrame
        The ``weekly`` table (:mod:`runback.schema`): sums of the daily columns, the
        acute and chronic load and ACWR of the week's last day, monotony and strain of
        the week's 7 daily loads, trail, treadmill and intensity shares, the lowest run
        temperature, pain mean and max over logged days, days logged, flare onsets.
    """
    if daily.empty:
        return schema.empty("weekly")
    d = daily.sort_values("date").reset_index(drop=True)
    week = (d["date"] - pd.to_timedelta(d["date"].dt.day_of_week, unit="D")).rename("week_start")
    g = d.groupby(week, sort=True)
    out = g[list(WEEK_SUMS)].sum()
    out["days"] = g.size().astype("int64")
    full = out["days"] == 7
    last = g.tail(1)
    last_rows = last.index.to_numpy()
    last.index = week[last.index]
    for col in ("acute_load", "chronic_load", "acwr"):
        out[col] = last[col]
    # a week's rows are consecutive (sorted by date), so the 7 rows ending on the last row
    # of a full week are that week's days: one pass over the days, not one per week
    rolling = monotony(d["load"], days=7).to_numpy()
    out["monotony"] = pd.Series(rolling[last_rows], index=out.index).where(full)
    out["strain"] = out["load"] * out["monotony"]
    week_before = pd.DatetimeIndex(out.index) - pd.Timedelta(days=7)
    previous = out["distance_m"].reindex(week_before)
    previous_full = full.reindex(week_before, fill_value=False)
    previous = previous.where(previous_full.to_numpy() & (previous > 0).to_numpy())
    out["distance_change"] = out["distance_m"] / previous.to_numpy() - 1.0
    out["distance_change"] = out["distance_change"].where(full)
    out["trail_share"] = out["trail_m"] / out["distance_m"].where(out["distance_m"] > 0)
    out["treadmill_share"] = out["treadmill_m"] / out["distance_m"].where(out["distance_m"] > 0)
    out["intensity_share"] = out["hi_intensity_s"] / out["hr_time_s"].where(out["hr_time_s"] > 0)
    out["temperature_c"] = g["temperature_c"].min()
    out["pain_mean"] = g["pain"].mean()
    out["pain_max"] = g["pain"].max()
    out["days_logged"] = g["logged"].sum().astype("int64")
    out["flare_onsets"] = g["flare_onset"].sum().astype("int64")
    out = out.reset_index()
    return schema.conform(out, "weekly", extra=False)


def _recursive(load: pd.Series, a: float) -> pd.Series:
    """X_t = X_{t-1} + a (L_t - X_{t-1}) with X_{-1} = 0.

    pandas' ``ewm(adjust=False)`` runs this recursion (y_0 = x_0); a leading 0 stands for
    X_{-1}. A missing day makes every later value missing, as the recursion says.
    """
    values = np.asarray(load, dtype=float)
    padded = pd.Series(np.concatenate(([0.0], values)))
    out = padded.ewm(alpha=a, adjust=False).mean().to_numpy()[1:]
    missing = np.isnan(values)
    if missing.any():
        out[np.argmax(missing):] = np.nan
    return pd.Series(out, index=getattr(load, "index", None))


def _run_frame(activities: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Local dates (naive days), run flags and distances [m] of the activities."""
    dates = pd.to_datetime(activities["local_date"])
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    dates = dates.dt.normalize().astype("datetime64[ns]")
    sport = (activities["sport"].astype("string").str.lower() if "sport" in activities
             else pd.Series(pd.NA, index=activities.index, dtype="string"))
    from_sport = sport.eq("running").fillna(False)
    if "is_run" in activities:
        run = activities["is_run"].astype("boolean").fillna(from_sport).astype(bool)
    else:
        run = from_sport.astype(bool)
    dist = _number(activities, "distance_m")
    return dates, run, dist


def _number(activities: pd.DataFrame, col: str) -> pd.Series:
    if col not in activities:
        return pd.Series(np.nan, index=activities.index, dtype=float)
    return pd.to_numeric(activities[col], errors="coerce").astype(float)


def _activity_frame(activities: pd.DataFrame) -> pd.DataFrame:
    """The columns the daily table needs, cleaned: dates, run flags, surface, numbers."""
    dates, run, _ = _run_frame(activities)
    out = pd.DataFrame({"local_date": dates, "is_run": run}, index=activities.index)
    surface = (activities["surface"] if "surface" in activities
               else pd.Series(pd.NA, index=activities.index))
    out["surface"] = surface.astype("string").str.lower()
    for col in dict.fromkeys(("distance_m", "moving_time_s", *_ACTIVITY_NUMBERS)):
        out[col] = _number(activities, col)
    out["_start"] = (pd.to_datetime(activities["start_time"], utc=True)
                     if "start_time" in activities else pd.NaT)
    out["_id"] = (activities["activity_id"].astype("string") if "activity_id" in activities
                  else pd.NA)
    return out.reset_index(drop=True)


def _distance_weighted(runs: pd.DataFrame, col: str) -> pd.Series:
    ok = runs[col].notna() & (runs["distance_m"] > 0)
    weights = runs["distance_m"].where(ok, 0.0)
    num = (runs[col].fillna(0.0) * weights).groupby(runs["local_date"]).sum()
    den = weights.groupby(runs["local_date"]).sum()
    return num / den.where(den > 0)
