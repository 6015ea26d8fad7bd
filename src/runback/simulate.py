"""Simulated seasons of one runner, for calibration, power and teaching.

:func:`simulate_season` builds a ``daily`` table (schema.py columns) with a weekly plan
(easy runs, intervals, a long run), hilly and trail runs, treadmill runs in the cold, a
seasonal device temperature, diary sleep and stress, pain with noise and flare-ups, and
the behaviour that fooled earlier analyses: the runner **eases back** for ``ease_days``
after each flare-up (volume down to a third during it, then back to normal linearly).

Flare-ups come from a daily hazard. Without a trigger it does not depend on training (a
null season); with one, the hazard is multiplied by ``trigger_or`` on days whose previous
3 days held the trigger:

- ``trail``: a trail run;
- ``descent``: a run with at least 5 minutes on grades steeper than -10 % (a shuttle run
  down a steep hill, which climbs little; hilly runs climb a lot with little steep descent);
- ``mileage_jump``: a 7-day distance more than 30 % above the 7 days before.

Pain is logged on a share of days (with multi-day gaps), flare-ups are found from the
logged pain by :func:`runback.pain.find_flares`, exactly as for a real diary, and the
daily table carries the detected flare-ups. ``attrs["true_onsets"]`` holds the planted
ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from runback.metrics.load import distance_change, ewma, monotony

__all__ = ["TRIGGERS", "simulate_season"]

TRIGGERS = (None, "trail", "descent", "mileage_jump")
#: Weekday -> (session, probability it is run). 0 = Monday.
PLAN = {1: ("easy", 0.9), 2: ("easy", 0.7), 3: ("intervals", 0.85), 5: ("long", 0.95),
        6: ("easy", 0.8)}
#: Session -> distance range [km].
DISTANCE_KM = {"easy": (6.0, 10.0), "intervals": (8.0, 12.0), "long": (14.0, 24.0)}
#: Hazard window of the planted trigger [d].
TRIGGER_WINDOW = 3


def simulate_season(seed: int = 0, *, days: int = 730, start: str = "2024-01-06",
                    trigger: str | None = None, trigger_or: float = 3.0,
                    flares_per_year: float = 9.0, ease_days: int = 21,
                    hr_share: float = 1.0, logged_share: float = 0.92,
                    gap_days: int = 4, hilly_share: float = 0.3,
                    trail_share: float = 0.2, build: float = 0.0) -> pd.DataFrame:
    """Simulate one runner's daily table.

    Parameters
    ----------
    seed : int
        Random seed.
    days : int
        Length of the season [d].
    start : str
        First day.
    trigger : {None, "trail", "descent", "mileage_jump"}
        What raises the flare-up hazard in the 3 days after it; None for a null season.
    trigger_or : float
        Hazard ratio of the trigger [1].
    flares_per_year : float
        Baseline flare-up rate on days at risk [1/year].
    ease_days : int
        Days after a flare-up over which running returns to normal [d].
    hr_share : float
        Share of runs recorded with heart rate.
    logged_share : float
        Share of days with a diary entry; the missing days come in gaps of up to
        ``gap_days`` days.
    hilly_share, trail_share : float
        Share of long runs that are hilly, and of runs on trails.
    build : float
        Relative rise of the training volume over the season (0: steady).

    Returns
    -------
    DataFrame
        The daily table with the detected ``flare_onset`` and ``in_flare``.
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger must be one of {list(TRIGGERS)}")
    from runback.factors.design import mark_flares
    from runback.pain import find_flares

    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    n = days
    cols = {c: np.zeros(n) for c in ("distance_m", "moving_time_s", "elevation_gain_m",
                                     "elevation_loss_m", "downhill_5_s", "downhill_10_s",
                                     "trail_m", "treadmill_m", "hi_intensity_s", "hr_time_s")}
    runs = np.zeros(n, dtype=np.int64)
    temp = np.full(n, np.nan)
    rough = np.full(n, np.nan)
    spike = np.full(n, np.nan)
    onset = np.zeros(n, dtype=bool)
    in_flare = np.zeros(n, dtype=bool)
    trig = np.zeros(n, dtype=bool)
    doy = dates.day_of_year.to_numpy()
    season_temp = 11.0 - 10.0 * np.cos(2 * np.pi * (doy - 15) / 365.25)
    rate = flares_per_year / 365.0
    flare_end = -10_000
    refractory = 7
    longest: list[float] = []
    for t in range(n):
        # flare-up hazard from the days before t
        lo = max(0, t - TRIGGER_WINDOW)
        exposed = bool(trig[lo:t].any()) if trigger == "trail" or trigger == "descent" else False
        if trigger == "mileage_jump" and t >= 14:
            d7, p7 = cols["distance_m"][t - 7:t].sum(), cols["distance_m"][t - 14:t - 7].sum()
            exposed = p7 > 0 and d7 > 1.3 * p7
        if t > flare_end + refractory and not in_flare[t]:
            h = rate * (trigger_or if exposed else 1.0)
            if rng.random() < h:
                length = int(rng.integers(3, 9))
                onset[t] = True
                flare_end = min(n - 1, t + length - 1)
                in_flare[t:flare_end + 1] = True
        # the day's running
        weekday = int(dates[t].weekday())
        plan = PLAN.get(weekday)
        if plan is None or rng.random() > plan[1]:
            continue
        kind = plan[0]
        km = rng.uniform(*DISTANCE_KM[kind]) * (1 + build * t / n)
        if rng.random() < 0.08:
            km *= rng.uniform(1.3, 1.7)  # an occasional big day
        if in_flare[t]:
            km *= 0.33
        elif t - flare_end <= ease_days:
            km *= 0.45 + 0.55 * (t - flare_end) / max(1, ease_days)
        if km < 2:
            continue
        hilly = kind == "long" and rng.random() < hilly_share
        # a shuttle run down a steep hill: long steep descent, little climbing
        shuttle = kind == "long" and not hilly and rng.random() < 0.2
        treadmill = kind == "easy" and season_temp[t] < 5.0 and rng.random() < 0.3
        trail = not treadmill and rng.random() < (trail_share * (2.0 if hilly else 1.0))
        runs[t] = 1
        metres = km * 1000
        cols["distance_m"][t] = metres
        moving = metres / rng.uniform(2.7, 3.3)
        cols["moving_time_s"][t] = moving
        if rng.random() < hr_share:
            hard = rng.uniform(15, 30) * 60 if kind == "intervals" else rng.uniform(0, 4) * 60
            cols["hi_intensity_s"][t] = hard
            cols["hr_time_s"][t] = moving
        else:
            cols["hi_intensity_s"][t] = np.nan
        prev = max(longest[-30:], default=0.0)
        spike[t] = metres / prev - 1 if prev > 0 else np.nan
        longest.append(metres)
        if treadmill:
            cols["treadmill_m"][t] = metres
            temp[t] = rng.normal(21, 1.5)
            continue
        temp[t] = season_temp[t] + rng.normal(0, 3.0) + 4.0
        climb = km * (rng.uniform(25, 45) if hilly else rng.uniform(2, 10))
        cols["elevation_gain_m"][t] = climb
        cols["elevation_loss_m"][t] = climb * rng.uniform(0.9, 1.1)
        cols["downhill_5_s"][t] = km * (rng.uniform(60, 120) if hilly else rng.uniform(0, 12))
        steep = km * (rng.uniform(30, 60) if shuttle else rng.uniform(2, 8) if hilly
                      else rng.uniform(0, 3))
        if shuttle:
            cols["elevation_loss_m"][t] = climb + km * rng.uniform(15, 30)
        cols["downhill_10_s"][t] = steep
        cols["trail_m"][t] = metres if trail else 0.0
        rough[t] = rng.uniform(1.5, 3.0) if trail else rng.uniform(0.3, 0.8)
        if trigger == "trail":
            trig[t] = trail
        elif trigger == "descent":
            trig[t] = steep >= 300

    # the diary: gaps of 1..gap_days days, pain with noise, flare-ups high
    logged = np.ones(n, dtype=bool)
    missing = int(round((1 - logged_share) * n))
    while missing > 0:
        at = int(rng.integers(0, n))
        span = min(missing, int(rng.integers(1, gap_days + 1)))
        logged[at:at + span] = False
        missing -= span
    baseline = np.clip(1.5 + rng.normal(0, 0.4), 0, 10)
    pain_all = np.clip(np.round(baseline + rng.normal(0, 0.5, n)), 0, 10)
    for t in np.flatnonzero(onset).tolist():
        stop = t
        while stop + 1 < n and in_flare[stop + 1] and not onset[stop + 1]:
            stop += 1
        days_in = np.arange(t, stop + 1)
        peak = rng.uniform(4.0, 6.5)
        fade = 1 - 0.5 * (days_in - t) / max(1, stop - t)
        pain_all[days_in] = np.clip(np.round(baseline + peak * fade), 0, 10)
    pain = np.where(logged, pain_all, np.nan)
    sleep = np.where(logged, rng.normal(7.2, 0.8, n), np.nan)
    level, stress_all = 4.0, np.empty(n)
    for t in range(n):
        level = 4.0 + 0.8 * (level - 4.0) + rng.normal(0, 0.8)
        stress_all[t] = np.clip(level, 0, 10)
    stress = np.where(logged, np.round(stress_all), np.nan)

    load = pd.Series(cols["distance_m"] / 1000.0)  # one scale: distance [km]
    out = pd.DataFrame({"date": dates.astype("datetime64[ns]"), **cols, "runs": runs,
                        "load": load.to_numpy(), "roughness_m": rough, "temperature_c": temp,
                        "session_spike": spike})
    out["distance_change"] = distance_change(pd.Series(cols["distance_m"])).to_numpy()
    out["acute_load"] = ewma(load, 7).to_numpy()
    out["chronic_load"] = ewma(load, 28).to_numpy()
    out["monotony"] = monotony(load).to_numpy()
    out["pain"] = pain
    out["logged"] = pd.array(logged, dtype="boolean")
    out["sleep_hours"] = sleep
    out["stress"] = stress
    daily_pain = pd.DataFrame({"pain": pain}, index=pd.DatetimeIndex(dates, name="date"))
    daily_pain = daily_pain[daily_pain["pain"].notna()]
    out = mark_flares(out, find_flares(daily_pain))
    out.attrs["true_onsets"] = dates[onset]
    return out
