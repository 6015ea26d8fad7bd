"""A season of simulated daily data with flare-ups, for testing the factor analysis.

:func:`simulate_season` builds the ``daily`` table (schema.py columns) of one runner:
a weekly plan (easy runs Tuesday, Wednesday and Sunday, intervals on Thursday, a long run
on Saturday, rest Monday and Friday, with random skips), hilly long runs on part of the
Saturdays, trail and treadmill runs, a seasonal device temperature, diary sleep and stress,
and pain with noise. Flare-ups are either triggered by hilly long runs (onset 1 or 2 days
later) or placed at random days. During a flare-up the runner runs less, as real runners do
(the reverse causation the analysis must not mistake for a protective effect).

:func:`detect_flares` is a small version of the science.md 5 onset rule for tests of the
sensitivity grid; the real one lives in ``runback.pain``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Weekday -> (session, probability it is run). 0 = Monday.
PLAN = {1: ("easy", 0.9), 2: ("easy", 0.7), 3: ("intervals", 0.85), 5: ("long", 0.95),
        6: ("easy", 0.8)}
#: Share of weeks with the long run on Sunday instead of Saturday (easy run swapped).
SUNDAY_LONG = 0.4
#: Session -> distance range [km].
DISTANCE_KM = {"easy": (6.0, 10.0), "intervals": (8.0, 12.0), "long": (14.0, 24.0)}
TRIGGERS = ("hilly_long_run", None)


def simulate_season(seed: int = 0, *, days: int = 365, start: str = "2024-01-01",
                    trigger: str | None = "hilly_long_run", hilly_share: float = 0.3,
                    trigger_prob: float = 0.7, flares_per_year: float = 20.0,
                    background_per_year: float = 3.0,
                    logged_share: float = 0.9) -> pd.DataFrame:
    """Simulate one runner's daily table.

    Parameters
    ----------
    seed : int
        Random seed.
    days : int
        Length of the season [d].
    start : str
        First day.
    trigger : {"hilly_long_run", None}
        ``hilly_long_run``: a hilly long run is followed 1 or 2 days later by a flare-up
        with probability ``trigger_prob``, plus ``background_per_year`` random ones.
        ``None``: flare-ups at random days, ``flares_per_year`` of them on average.
    hilly_share : float
        Share of long runs that are hilly.
    logged_share : float
        Share of flare-free days with a diary entry (flare-up days are always logged).

    Returns
    -------
    DataFrame
        The daily table with the true ``flare_onset`` and ``in_flare`` of the planted
        flare-ups, and the columns ``hilly_long`` (bool) and ``true_baseline`` [NRS].
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {TRIGGERS}")
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    n = days
    dist = np.zeros(n)
    hi_s = np.zeros(n)
    gain = np.zeros(n)
    down5 = np.zeros(n)
    down10 = np.zeros(n)
    up5 = np.zeros(n)
    trail = np.zeros(n)
    tread = np.zeros(n)
    rough = np.full(n, np.nan)
    temp = np.full(n, np.nan)
    runs = np.zeros(n, dtype=np.int64)
    hilly_long = np.zeros(n, dtype=bool)
    onset = np.zeros(n, dtype=bool)
    in_flare = np.zeros(n, dtype=bool)

    doy = dates.day_of_year.to_numpy()
    season_temp = 11.0 - 10.0 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    rate = (flares_per_year if trigger is None else background_per_year) / 365.0
    sunday_long = False
    next_free = 0          # first day a new onset may start (7 flare-free days after one)
    pending = -1           # day a triggered onset is due
    flare_until = -1
    for t in range(n):
        if t == pending or (pending < t and t >= next_free and rng.random() < rate):
            if t >= next_free:
                length = int(rng.integers(2, 7))
                onset[t] = True
                flare_until = min(n - 1, t + length - 1)
                in_flare[t:flare_until + 1] = True
                next_free = flare_until + 8
            pending = -1
        weekday = int(dates[t].weekday())
        if weekday == 5:
            sunday_long = rng.random() < SUNDAY_LONG
        if weekday in (5, 6) and sunday_long:
            weekday = 11 - weekday
        plan = PLAN.get(weekday)
        if plan is None or rng.random() > plan[1]:
            continue
        kind = plan[0]
        km = rng.uniform(*DISTANCE_KM[kind])
        if t <= flare_until:
            km *= 0.3
        hilly = kind == "long" and rng.random() < hilly_share
        on_treadmill = (kind == "easy" and season_temp[t] < 5.0 and rng.random() < 0.3)
        on_trail = not on_treadmill and rng.random() < (0.5 if hilly else 0.15)
        runs[t] = 1
        dist[t] = km * 1000
        if kind == "intervals":
            hi_s[t] = rng.uniform(15, 30) * 60
        else:
            hi_s[t] = rng.uniform(0, 4) * 60
        if on_treadmill:
            tread[t] = km * 1000
            temp[t] = rng.normal(21, 1.5)
            continue
        temp[t] = season_temp[t] + rng.normal(0, 3.0) + 4.0
        climb_per_km = rng.uniform(25, 45) if hilly else rng.uniform(2, 10)
        gain[t] = km * climb_per_km
        up5[t] = km * (rng.uniform(60, 120) if hilly else rng.uniform(0, 12))
        down5[t] = km * (rng.uniform(60, 120) if hilly else rng.uniform(0, 12))
        down10[t] = km * (rng.uniform(20, 50) if hilly else rng.uniform(0, 3))
        trail[t] = km * 1000 if on_trail else 0.0
        rough[t] = rng.uniform(1.5, 3.0) if on_trail else rng.uniform(0.3, 0.8)
        if hilly:
            hilly_long[t] = True
            if (trigger == "hilly_long_run" and pending < 0 and rng.random() < trigger_prob):
                pending = t + int(rng.integers(1, 3))

    moving = dist / rng.uniform(2.8, 3.2, n)
    load = moving / 60 + 1.5 * hi_s / 60
    logged = in_flare | (rng.random(n) < logged_share)
    baseline = np.clip(2.0 + rng.normal(0, 0.3), 0, 10)
    pain_all = np.clip(np.round(baseline + rng.normal(0, 0.7, n)), 0, 10)
    for t in np.flatnonzero(onset):
        peak = rng.uniform(3.5, 6.0)
        stop = t
        while stop + 1 < n and in_flare[stop + 1] and not onset[stop + 1]:
            stop += 1
        span = np.arange(t, stop + 1)
        fade = 1 - 0.5 * (span - t) / max(1, stop - t)
        pain_all[span] = np.clip(np.round(baseline + peak * fade), 0, 10)
    pain = np.where(logged, pain_all, np.nan)
    sleep = np.where(logged, rng.normal(7.2, 0.8, n), np.nan)
    stress_all = np.empty(n)
    level = 4.0
    for t in range(n):
        level = 4.0 + 0.8 * (level - 4.0) + rng.normal(0, 0.8)
        stress_all[t] = np.clip(level, 0, 10)
    stress = np.where(logged, np.round(stress_all), np.nan)

    s = pd.Series
    d7 = s(dist).rolling(7, min_periods=7).sum()
    prev7 = d7.shift(7)
    distance_change = (d7 / prev7.where(prev7 > 0) - 1).to_numpy()
    prev_long = s(dist).shift(1).rolling(30, min_periods=1).max()
    session_spike = np.where(runs > 0, dist / prev_long.where(prev_long > 0) - 1, np.nan)
    acute = s(load).ewm(span=7, adjust=False).mean().to_numpy()
    chronic = s(load).ewm(span=28, adjust=False).mean().to_numpy()
    mean7 = s(load).rolling(7, min_periods=7).mean()
    sd7 = s(load).rolling(7, min_periods=7).std()
    monotony = (mean7 / sd7.where(sd7 > 0)).to_numpy()
    strain = (s(load).rolling(7, min_periods=7).sum() * monotony).to_numpy()
    acwr = np.where(np.arange(n) >= 28, acute / np.where(chronic > 0, chronic, np.nan), np.nan)
    ctl = _ewma_tau(load, 42)
    atl = _ewma_tau(load, 7)
    tsb = np.concatenate([[np.nan], (ctl - atl)[:-1]])

    return pd.DataFrame({
        "date": dates.astype("datetime64[ns]"),
        "distance_m": dist, "runs": runs, "moving_time_s": moving, "load": load,
        "run_load": load, "elevation_gain_m": gain, "elevation_loss_m": gain,
        "uphill_5_s": up5, "downhill_5_s": down5, "downhill_10_s": down10,
        "trail_m": trail, "treadmill_m": tread, "hi_intensity_s": hi_s,
        "roughness_m": rough, "heading_change_deg_per_100m": np.full(n, np.nan),
        "temperature_c": temp, "cross_training_s": np.zeros(n),
        "longest_run_m": dist, "session_spike": session_spike,
        "distance_change": distance_change, "acute_load": acute, "chronic_load": chronic,
        "acwr": acwr, "monotony": monotony, "strain": strain, "ctl": ctl, "atl": atl,
        "tsb": tsb, "pain": pain, "logged": pd.array(logged, dtype="boolean"),
        "flare_onset": pd.array(onset, dtype="boolean"),
        "in_flare": pd.array(in_flare, dtype="boolean"),
        "sleep_hours": sleep, "stress": stress, "hilly_long": hilly_long,
        "true_baseline": np.full(n, baseline),
    })


def _ewma_tau(load: np.ndarray, tau: float) -> np.ndarray:
    a = 1 - np.exp(-1 / tau)
    out = np.empty_like(load)
    x = 0.0
    for i, v in enumerate(load):
        x = x + a * (v - x)
        out[i] = x
    return out


def detect_flares(pain_daily: pd.DataFrame, k: float = 2.0) -> pd.DataFrame:
    """Onsets by the science.md 5 rule, simplified: pain >= B + k after a day below it.

    B is the median pain of the 14 days before (flare days excluded, >= 7 logged); a
    flare-up ends after 2 days below B + k and a new one needs 7 flare-free days.

    Parameters
    ----------
    pain_daily : DataFrame
        ``date`` and ``pain`` (NA when not logged).
    k : float
        Threshold above baseline [NRS points].

    Returns
    -------
    DataFrame
        ``onset`` and ``end``, one row per flare-up.
    """
    pain = pain_daily["pain"].to_numpy(dtype=float, na_value=np.nan)
    dates = pd.to_datetime(pain_daily["date"]).to_numpy()
    n = len(pain)
    flare = np.zeros(n, dtype=bool)
    rows = []
    t = 14
    free_from = 0
    while t < n:
        hist = pain[t - 14:t][~flare[t - 14:t]]
        hist = hist[~np.isnan(hist)]
        if t >= free_from and len(hist) >= 7 and not np.isnan(pain[t]):
            base = float(np.median(hist))
            above = pain[t] >= base + k
            prev_below = np.isnan(pain[t - 1]) or pain[t - 1] < base + k
            if above and prev_below:
                end, below = t, 0
                u = t + 1
                while u < n and below < 2:
                    if not np.isnan(pain[u]) and pain[u] < base + k:
                        below += 1
                    else:
                        below, end = 0, u
                    u += 1
                flare[t:end + 1] = True
                rows.append((dates[t], dates[end]))
                free_from = end + 8
                t = end + 1
                continue
        t += 1
    return pd.DataFrame(rows, columns=["onset", "end"]).astype("datetime64[ns]")
