"""From the pain diary to daily pain, flare-up episodes, red flags and interventions.

The input is the ``pain`` table of :func:`runback.io.diary.read_diary`. A day without a
diary entry is *not logged*: it is absent from :func:`daily_pain`, never a pain of 0.

Flare-ups follow docs/methods.md section 5 (Ostelo et al. 2008; Farrar et al. 2001 for the
minimal important change of about 2 points or 30 % on the 0-10 scale). Red flags follow
section 7 (NICE NG59 and CKS): they prompt a doctor's assessment and never reassure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

import numpy as np
import pandas as pd

from runback import schema
from runback.io.diary import INTERVENTIONS, RED_FLAGS

if TYPE_CHECKING:
    from pandas.api.typing import NAType
    from pandas.api.typing.aliases import Axes

__all__ = [
    "daily_pain",
    "find_flares",
    "flare_days",
    "red_flags",
    "intervention_summary",
    "RISE_RULES",
    "RED_FLAG_TEXT",
    "ADVICE",
]

DAILY_PAIN_COLUMNS = ("pain", "logged", "flare", "sleep_hours", "stress", "pain_type",
                      "location", "interventions", "red_flags")

#: Rise over the baseline B [NRS points] that makes a flare-up, by rule, given B and k.
RISE_RULES: dict[str, Callable[[float, float], float]] = {
    "absolute": lambda baseline, k: k,
    "relative": lambda baseline, k: max(k, 0.3 * baseline),
}

#: flag -> (urgency, what it may mean, in plain words).
RED_FLAG_TEXT = {
    "bladder_bowel": ("emergency", "You logged a change in bladder or bowel control "
                      "(difficulty passing urine, retention, incontinence or loss of bowel "
                      "control). With back pain this can be a sign of cauda equina syndrome, "
                      "pressure on the nerves at the base of the spine."),
    "saddle_numbness": ("emergency", "You logged numbness in the saddle or genital area. "
                        "With back pain this can be a sign of cauda equina syndrome."),
    "leg_weakness": ("emergency", "You logged leg weakness. Severe or worsening leg weakness "
                     "with back pain can be a sign of nerve compression, including cauda "
                     "equina syndrome."),
    "both_legs": ("emergency", "You logged pain or sciatica in both legs. Sciatica in both "
                  "legs can be a sign of cauda equina syndrome."),
    "cancer_history": ("urgent", "You logged a history of cancer. New back pain in someone "
                       "who has had cancer needs a doctor's assessment."),
    "weight_loss": ("urgent", "You logged unexplained weight loss. With back pain this needs "
                    "a doctor's assessment."),
    "fever": ("urgent", "You logged a fever. Back pain with fever can come from an "
              "infection and needs a doctor's assessment."),
    "trauma": ("urgent", "You logged a fall, accident or other significant injury. Back pain "
               "after trauma needs a doctor's assessment for a fracture."),
    "night_pain": ("urgent", "You logged pain at night that does not ease when you change "
                   "position. This needs a doctor's assessment."),
    "age": ("urgent", "Your diary's back pain began when you were under 20 or over 50. New "
            "back pain at those ages needs a doctor's assessment, even when it seems to come "
            "from running."),
    "no_improvement": ("urgent", "A flare-up has lasted a month or more without settling. "
                       "Back pain that has not improved after a month needs a doctor's "
                       "assessment."),
}

#: urgency -> what to do. Red-flag screens prompt referral; they never rule anything out.
ADVICE = {
    "emergency": "Seek emergency care today (an emergency department, or call your local "
                 "emergency number). Do not wait to see whether it settles, and do not run "
                 "until you have been assessed.",
    "urgent": "Book a doctor's appointment within days and tell them about this sign. runback "
              "cannot tell what causes it; only an examination can.",
}
_URGENCY_ORDER = {"emergency": 0, "urgent": 1}
_RED_FLAG_COLUMNS = {"date": "datetime64[ns]", "flag": "string", "urgency": "string",
                     "message": "string", "advice": "string", "first_date": "datetime64[ns]",
                     "days": "int64"}


def daily_pain(pain: pd.DataFrame) -> pd.DataFrame:
    """One row per logged day.

    Parameters
    ----------
    pain : DataFrame
        The ``pain`` table (date, entry, pain [NRS 0-10], ...). Rows without a pain score
        are ignored.

    Returns
    -------
    DataFrame
        Indexed by ``date`` (naive local days), only days with an entry: ``pain`` the day's
        highest score [NRS 0-10]; ``logged`` (True); ``flare`` whether any entry marks a
        flare-up; ``sleep_hours`` the mean [h]; ``stress`` the highest [0-10];
        ``pain_type`` and ``location`` of the highest-pain entry (of the next-highest that
        names one, when it does not); ``interventions`` and ``red_flags`` the union over
        the day, ``;``-separated and sorted, NA when none.
    """
    df = schema.conform(pain, "pain", extra=False)
    df = df[df["pain"].notna() & df["date"].notna()]
    df = df.sort_values(["date", "pain", "entry"], ascending=[True, False, True],
                        kind="stable")
    g = df.groupby("date", sort=True)
    highest = g["pain"].max()
    out = pd.DataFrame({
        "pain": highest,
        "logged": pd.Series(True, index=highest.index, dtype="boolean"),
        "flare": g["flare"].agg(lambda s: bool(s.fillna(False).any())).astype("boolean"),
        "sleep_hours": g["sleep_hours"].mean(),
        "stress": g["stress"].max(),
        "pain_type": g["pain_type"].first(),
        "location": g["location"].first(),
        "interventions": g["interventions"].agg(_union).astype("string"),
        "red_flags": g["red_flags"].agg(_union).astype("string"),
    }, columns=list(DAILY_PAIN_COLUMNS))
    out.index = pd.DatetimeIndex(out.index, name="date").astype("datetime64[ns]")
    return out


def find_flares(daily_pain: pd.DataFrame, *, k: float = 2.0, baseline_days: int = 14,
                min_logged: int = 7, end_after: int = 2, min_gap: int = 7,
                rule: str = "absolute") -> pd.DataFrame:
    """Flare-up episodes in a daily pain series (docs/methods.md section 5).

    With B_d the median pain over days d-14..d-1 that are logged and not flare days (not
    inside an earlier episode, not marked by the user), defined when at least 7 such days
    exist, and T_d = B_d + rise (rise = k for the absolute rule, max(k, 0.3 B_d) for the
    relative one):

    - onset on a logged day d when NRS_d >= T_d and the previous logged day was below T_d,
      or when the user marks d as a flare-up (even without a baseline);
    - the episode ends after ``end_after`` consecutive logged days that are below T (T
      fixed at onset) and not user-marked; its ``end`` is the last day before them
      (for a marked episode without a baseline, any unmarked logged day counts as calm);
    - a new onset, marked or not, needs at least ``min_gap`` flare-free days since the
      last end, so one episode is never counted twice and onsets stay separate for the
      case-crossover analysis. Pain back at or above the episode's threshold (or a marked
      day) within the gap extends that episode: it is never a flare-free day;
    - an onset is *dated* when the day before it is logged. After a diary gap the real
      start may lie inside the gap: the flare-up is shown, but never analysed as a case
      (its hazard window is not known).

    Days without an entry are neither calm nor high: "previous day" and "consecutive"
    refer to logged days.

    Parameters
    ----------
    daily_pain : DataFrame
        :func:`daily_pain` output: indexed by date, with ``pain`` and optionally ``flare``
        and ``pain_type``.
    k : float
        Rise over the baseline that counts as a flare-up. [NRS points] Sensitivity: 1.5, 3.
    baseline_days : int
        Length of the baseline window before each day. [d]
    min_logged : int
        Logged non-flare days the baseline needs. [d]
    end_after : int
        Consecutive calm logged days that end an episode. [d]
    min_gap : int
        Flare-free days needed between an end and the next onset. [d] [unverified]
    rule : {"absolute", "relative"}
        How the rise is computed (:data:`RISE_RULES`).

    Returns
    -------
    DataFrame
        The ``flares`` table: onset, end, peak [NRS], duration_d [d], baseline [NRS] (NA
        for a marked episode without enough history), marked, pain_type (most frequent
        over the episode; ties go to the earliest), ongoing (still open on the last
        logged day; ``end`` is then its last high day), dated (the day before the onset is
        logged).

    Raises
    ------
    ValueError
        For an unknown rule.

    References
    ----------
    .. [1] Ostelo RWJG et al. (2008) Interpreting change scores for pain and functional
       status in low back pain. Spine 33:90-94.
    .. [2] Farrar JT et al. (2001) Clinical importance of changes in chronic pain intensity
       measured on an 11-point numerical pain rating scale. Pain 94:149-158.
    """
    if rule not in RISE_RULES:
        raise ValueError(f"rule must be one of {sorted(RISE_RULES)}")
    rise = RISE_RULES[rule]
    logged_days = daily_pain.index[daily_pain["pain"].notna()]
    if len(logged_days) == 0:
        return schema.empty("flares")
    days = pd.date_range(logged_days.min(), logged_days.max(), freq="D")
    nrs = daily_pain["pain"].reindex(days).to_numpy(dtype=float)
    marked = _bool(daily_pain.get("flare"), days) & ~np.isnan(nrs)
    excluded = marked.copy()  # days left out of baselines: marked days and episodes
    episodes: list[_Ended] = []
    current: _Episode | None = None
    last_end: int | None = None
    previous = np.nan  # pain of the previous logged day
    for i in np.flatnonzero(~np.isnan(nrs)).tolist():
        if current is None:
            window = slice(max(0, i - baseline_days), i)
            usable = nrs[window][~excluded[window] & ~np.isnan(nrs[window])]
            base = float(np.median(usable)) if len(usable) >= min_logged else np.nan
            threshold = base + rise(base, k)
            crossing = nrs[i] >= threshold and not previous >= threshold
            gap_ok = last_end is None or i - last_end - 1 >= min_gap
            if not gap_ok and episodes and (marked[i] or nrs[i] >= episodes[-1]["threshold"]):
                # pain back at the flare level within the gap: the same episode goes on
                current = episodes.pop()
                current.update({"last_high": i, "calm": 0})
            elif gap_ok and (crossing or marked[i]):
                current = {"onset": i, "baseline": base, "threshold": threshold,
                           "marked": bool(marked[i]), "last_high": i, "calm": 0}
        else:
            calm = not marked[i] and not nrs[i] >= current["threshold"]
            current["calm"] = current["calm"] + 1 if calm else 0
            if not calm:
                current["last_high"] = i
            if current["calm"] >= end_after:
                episodes.append({**current, "ongoing": False})
                last_end = current["last_high"]
                excluded[current["onset"]:last_end + 1] = True
                current = None
        previous = nrs[i]
    if current is not None:
        episodes.append({**current, "ongoing": True})
    return _flares_frame(episodes, days, nrs, daily_pain)


def flare_days(flares: pd.DataFrame, dates: Axes) -> pd.Series:
    """Whether each date lies inside a flare-up episode (onset to end, inclusive).

    Parameters
    ----------
    flares : DataFrame
        The ``flares`` table.
    dates : DatetimeIndex or array-like of dates
        The days to label.

    Returns
    -------
    Series
        Boolean, indexed by ``dates``, named ``in_flare``.
    """
    index = pd.DatetimeIndex(dates)
    values = np.zeros(len(index), dtype=bool)
    for onset, end in zip(flares["onset"], flares["end"], strict=True):
        values |= np.asarray((index >= onset) & (index <= end))
    return pd.Series(values, index=index, name="in_flare", dtype="boolean")


def red_flags(pain: pd.DataFrame, flares: pd.DataFrame | None = None, *,
              persistent_days: int = 28, birth_year: int | None = None,
              age_range: tuple[int, int] = (20, 50)) -> pd.DataFrame:
    """Red-flag signs in the diary, emergencies first (docs/methods.md section 7).

    Parameters
    ----------
    pain : DataFrame
        The ``pain`` table; its ``red_flags`` column lists the signs each entry reports.
    flares : DataFrame, optional
        The ``flares`` table: an episode lasting ``persistent_days`` or more adds the
        urgent sign ``no_improvement``.
    persistent_days : int
        Duration of a flare-up that counts as "no improvement after a month". [d]
    birth_year : int, optional
        The athlete's year of birth (profile): pain first logged at an age under
        ``age_range[0]`` or over ``age_range[1]`` adds the urgent sign ``age``, dated on
        the first day the diary logs pain above 0.
    age_range : tuple of int
        Ages between which new back pain is not a sign by itself. [years]

    Returns
    -------
    DataFrame
        One row per sign: ``date`` (the last day it was logged), ``flag``, ``urgency``
        ("emergency": same-day emergency care; "urgent": prompt review), ``message`` (what
        the sign may mean), ``advice`` (what to do), ``first_date``, ``days`` (days it was
        logged). Ordered emergency first, then the most recent first. An empty table
        means only that the diary lists no sign: the screen has poor accuracy and rules
        nothing out.

    References
    ----------
    .. [1] NICE (2016, updated 2020) Low back pain and sciatica in over 16s: assessment and
       management (NG59); NICE CKS Back pain - low (without radiculopathy): red flags.
    """
    df = schema.conform(pain, "pain", extra=False)
    df = df[df["red_flags"].notna() & df["date"].notna()]
    rows = []
    for date, text in zip(df["date"], df["red_flags"], strict=True):
        rows += [{"date": date, "flag": f} for f in str(text).split(";")
                 if f in RED_FLAGS]
    if flares is not None:
        long = flares[flares["duration_d"] >= persistent_days]
        for onset, end in zip(long["onset"], long["end"], strict=True):
            rows += [{"date": d, "flag": "no_improvement"}
                     for d in pd.date_range(onset + pd.Timedelta(days=persistent_days - 1),
                                            end)]
    if birth_year is not None:
        diary = schema.conform(pain, "pain", extra=False)
        painful = diary.loc[diary["pain"].gt(0).fillna(False) & diary["date"].notna(), "date"]
        if len(painful):
            first = painful.min()
            age = first.year - birth_year  # at most a year off: the birthday is unknown
            if age < age_range[0] or age > age_range[1]:
                rows.append({"date": first, "flag": "age"})
    if not rows:
        return pd.DataFrame(columns=list(_RED_FLAG_COLUMNS)).astype(_RED_FLAG_COLUMNS)
    found = pd.DataFrame(rows).drop_duplicates()
    g = found.groupby("flag")
    out = pd.DataFrame({"date": g["date"].max(), "first_date": g["date"].min(),
                        "days": g.size().astype("int64")}).reset_index()
    out["urgency"] = out["flag"].map(lambda f: RED_FLAG_TEXT[f][0])
    out["message"] = out["flag"].map(lambda f: RED_FLAG_TEXT[f][1])
    out["advice"] = out["urgency"].map(ADVICE)
    out["_order"] = out["urgency"].map(_URGENCY_ORDER)
    out = out.sort_values(["_order", "date", "flag"], ascending=[True, False, True])
    return out[list(_RED_FLAG_COLUMNS)].reset_index(drop=True).astype(_RED_FLAG_COLUMNS)


def intervention_summary(flares: pd.DataFrame, daily_pain: pd.DataFrame) -> pd.DataFrame:
    """Time from flare-up onset to resolution with and without each intervention.

    Descriptive only (docs/methods.md section 9): runners choose what to do by how bad the
    flare-up is, so a difference here is not an effect of the intervention.

    Parameters
    ----------
    flares : DataFrame
        The ``flares`` table; episodes still ``ongoing`` are left out (not yet resolved).
    daily_pain : DataFrame
        :func:`daily_pain` output, whose ``interventions`` are read over each episode.

    Returns
    -------
    DataFrame
        One row per intervention logged during at least one resolved episode:
        ``intervention``, ``flares_with``, ``median_days_with`` [d], ``flares_without``,
        ``median_days_without`` [d] (NA without such episodes). Days are ``duration_d``
        (onset to end, inclusive).
    """
    resolved = flares[~flares["ongoing"].fillna(False).astype(bool)]
    used = []
    for onset, end in zip(resolved["onset"], resolved["end"], strict=True):
        text = daily_pain.loc[onset:end, "interventions"].dropna()
        used.append({w for t in text for w in str(t).split(";")})
    durations = resolved["duration_d"].to_numpy(dtype=float)
    rows = []
    for name in INTERVENTIONS:
        with_it = np.array([name in u for u in used], dtype=bool)
        if not with_it.any():
            continue
        rows.append({
            "intervention": name,
            "flares_with": int(with_it.sum()),
            "median_days_with": float(np.median(durations[with_it])),
            "flares_without": int((~with_it).sum()),
            "median_days_without": (float(np.median(durations[~with_it]))
                                    if (~with_it).any() else np.nan),
        })
    columns = {"intervention": "string", "flares_with": "int64", "median_days_with": "float64",
               "flares_without": "int64", "median_days_without": "float64"}
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


class _Episode(TypedDict):
    """A flare-up being followed: day numbers index the days of the diary span."""

    onset: int
    baseline: float  # [NRS 0-10]
    threshold: float  # [NRS 0-10]
    marked: bool
    last_high: int
    calm: int  # calm days since the last high one [d]


class _Ended(_Episode):
    """A flare-up episode found, and whether it still goes on at the diary's end."""

    ongoing: bool


def _union(values: pd.Series) -> str | NAType:
    words = sorted({w for v in values.dropna() for w in str(v).split(";") if w})
    return ";".join(words) if words else pd.NA


def _bool(series: pd.Series | None, days: pd.DatetimeIndex) -> np.ndarray:
    if series is None:
        return np.zeros(len(days), dtype=bool)
    return series.reindex(days).fillna(False).astype(bool).to_numpy()


def _flares_frame(episodes: list[_Ended], days: pd.DatetimeIndex, nrs: np.ndarray,
                  daily_pain: pd.DataFrame) -> pd.DataFrame:
    if not episodes:
        return schema.empty("flares")
    types = daily_pain["pain_type"] if "pain_type" in daily_pain else None
    rows = []
    for e in episodes:
        onset, end = days[e["onset"]], days[e["last_high"]]
        kinds = list(types.loc[onset:end].dropna()) if types is not None else []
        rows.append({
            "onset": onset,
            "end": end,
            "peak": float(np.nanmax(nrs[e["onset"]:e["last_high"] + 1])),
            "duration_d": int(e["last_high"] - e["onset"] + 1),
            "baseline": e["baseline"],
            "marked": e["marked"],
            "pain_type": max(dict.fromkeys(kinds), key=kinds.count) if kinds else pd.NA,
            "ongoing": e["ongoing"],
            "dated": bool(e["onset"] > 0 and not np.isnan(nrs[e["onset"] - 1])),
        })
    return schema.conform(pd.DataFrame(rows), "flares", extra=True)
