"""One activity per run, however many files hold it.

The same file given twice (or a file and its ``.gz``) has the same content hash and is one
activity from the start. The same run from two sources (a FIT and its GPX re-export, a
Strava export and a Garmin folder) is recognised here: two activities from different files
are the same run when

- they start within ``max_start_gap`` (2 minutes) of each other,
- their time spans overlap by at least ``min_overlap`` (50 %) of the shorter one (when both
  spans are known), and
- their sports agree (or one of them is unknown).

Of each group the richest record is kept (samples over none, heart rate, GPS, then the
format: FIT > TCX > GPX > CSV and the Apple Health and Fitbit summaries, then the number
of samples); fields it lacks (shoe, RPE, name, description, device totals) are filled from
the others, and ``sources`` lists every file. Activities of one file (the legs of a
triathlon) are never merged with each other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["merge_duplicates", "FORMAT_RANK", "LOG_FORMATS", "LOG_TOTALS"]

FORMAT_RANK = {"fit": 4, "tcx": 3, "gpx": 2, "csv": 1, "apple_health": 1, "fitbit": 1}
#: Formats whose rows describe an activity file (``file_ref``) rather than hold one: a
#: Strava ``activities.csv`` row, an Apple Health workout naming its route GPX.
LOG_FORMATS = frozenset({"csv", "apple_health", "fitbit"})
#: Totals an Apple Health or Fitbit workout gives its route file when the file lacks them.
LOG_TOTALS = ("device_distance_m", "device_elapsed_s", "device_timer_s", "device_ascent_m",
              "device_avg_hr_bpm", "device_max_hr_bpm", "calories_kcal")
#: Fields a kept record takes from its duplicates when it lacks them.
FILL_FIELDS = ("name", "description", "shoe", "rpe", "device_distance_m", "device_elapsed_s",
               "device_timer_s", "device_moving_s", "device_ascent_m", "device_descent_m",
               "calories_kcal", "device_avg_hr_bpm", "device_max_hr_bpm")
_VAGUE_SPORTS = {"unknown", "other"}
_VAGUE_SUB = {"generic", "unknown", "", "other"}


def _richness(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "has_samples": (df["n_samples"].fillna(0) > 0).astype(int),
        "has_hr": df["avg_hr_bpm"].notna().astype(int),
        "has_gps": df["has_gps"].fillna(False).astype(bool).astype(int),
        "fmt": df["format"].map(FORMAT_RANK).fillna(0).astype(int),
        "n": df["n_samples"].fillna(0).astype(int),
    }, index=df.index)


def _same_sport(a: str | None, b: str | None) -> bool:
    if pd.isna(a) or pd.isna(b):
        return True
    return a == b or a in _VAGUE_SPORTS or b in _VAGUE_SPORTS


def merge_duplicates(activities: pd.DataFrame, *, max_start_gap_s: float = 120.0,
                     min_overlap: float = 0.5) -> pd.DataFrame:
    """Merge activities that are the same run from different files.

    Parameters
    ----------
    activities : DataFrame
        ``activities`` table with start_time, elapsed_time_s, sport, format, n_samples,
        avg_hr_bpm, has_gps, sources and a ``file_key`` column naming the file each row
        came from.
    max_start_gap_s : float
        Largest difference of start times. [s]
    min_overlap : float
        Smallest overlap of the two spans as a fraction of the shorter one.

    Returns
    -------
    DataFrame
        One row per run; ``sources`` joins the files of every merged row.
    """
    if len(activities) < 2:
        return activities
    df = activities.reset_index(drop=True)
    naive = df["start_time"].dt.tz_convert("UTC").dt.tz_localize(None)
    t = (naive - pd.Timestamp(0)).dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan)
    valid = np.isfinite(t)
    dur = df["elapsed_time_s"].to_numpy(dtype="float64", na_value=np.nan)
    order = np.argsort(np.where(valid, t, np.inf), kind="stable")
    parent = np.arange(len(df))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    keys = df["file_key"].to_numpy()
    # pandas-stubs has no overload for na_value=None
    sports = df["sport"].to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    for a_pos, i in enumerate(order):
        if not valid[i]:
            break
        for j in order[a_pos + 1:]:
            if not valid[j] or t[j] - t[i] > max_start_gap_s:
                break
            if keys[i] == keys[j] or not _same_sport(sports[i], sports[j]):
                continue
            if np.isfinite(dur[i]) and np.isfinite(dur[j]) and min(dur[i], dur[j]) > 0:
                overlap = min(t[i] + dur[i], t[j] + dur[j]) - max(t[i], t[j])
                if overlap < min_overlap * min(dur[i], dur[j]):
                    continue
            parent[find(j)] = find(i)
    groups = pd.Series([find(i) for i in range(len(df))], index=df.index)
    if groups.nunique() == len(df):
        return activities
    size = groups.map(groups.value_counts())
    rich = _richness(df)
    # every row of a multi-row group, each group's richest first (ties: table order)
    ranked = rich[size > 1].assign(_group=groups[size > 1])
    ranked = ranked.sort_values(["_group", *rich.columns],
                                ascending=[True] + [False] * len(rich.columns), kind="stable")
    first_of_group = ~ranked["_group"].duplicated()
    reps = pd.Series(ranked.index[first_of_group], index=ranked["_group"][first_of_group])
    singles = groups[size == 1]
    keep = pd.concat([pd.Series(singles.index, index=singles.to_numpy()), reps]).sort_index()
    out: pd.DataFrame = df.loc[keep.to_numpy()].copy()
    if len(reps):
        fill = _merged_fields(df.loc[ranked.index], ranked["_group"]).loc[reps.index]
        for col in fill.columns:
            out.loc[reps.to_numpy(), col] = fill[col].to_numpy()
    out = out.astype(df.dtypes.to_dict())
    return out.sort_values("start_time", kind="stable").reset_index(drop=True)


def _merged_fields(ranked: pd.DataFrame, group: pd.Series) -> pd.DataFrame:
    """The fields each group's richest row (its first in ``ranked``) takes from the others.

    Per group: every :data:`FILL_FIELDS` column its first non-missing value in rank order;
    ``sub_sport`` and ``sport`` the first value that says something (not vague), else the
    richest row's own; ``sources`` every file once, in rank order.
    """
    g = group.to_numpy()
    cols = [c for c in FILL_FIELDS if c in ranked.columns]
    out = ranked[cols].groupby(g, sort=True).first()
    for col, vague in (("sub_sport", _VAGUE_SUB), ("sport", _VAGUE_SPORTS)):
        values = ranked[col]
        telling = values.mask(values.isin(vague)).groupby(g, sort=True).first()
        out[col] = telling.fillna(values.groupby(g, sort=True).nth(0).set_axis(telling.index))
    sources: dict[object, list[str]] = {}
    for key, text in zip(g, ranked["sources"], strict=True):
        parts = sources.setdefault(key, [])
        parts += [p for p in str(text).split(" | ") if p not in parts]
    out["sources"] = pd.Series([" | ".join(v) for v in sources.values()], index=list(sources))
    return out
