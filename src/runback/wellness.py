"""The daily wellness table: sleep, resting heart rate, HRV and stress, one row per local day.

Watches record what the articles name as back-pain factors besides training: poor sleep and
stress, and the recovery signals resting heart rate and heart-rate variability. This module
reads them from

- a Garmin Connect export (:mod:`runback.io.garmin_wellness`: sleep, resting HR, all-day
  stress on Garmin's 0-100 scale, nightly HRV as RMSSD);
- an Apple Health export (:mod:`runback.io.apple_health`: sleep analysis, resting HR,
  HRV as SDNN);
- a Fitbit Google Takeout (:func:`runback.io.fitbit.read_fitbit_wellness`: sleep, resting
  HR);
- an intervals.icu wellness CSV (:mod:`runback.io.wellness_csv`: resting HR, HRV as RMSSD
  or SDNN, sleep, stress on its 1-4 scale);
- the pain diary's own ``sleep_hours`` and ``stress`` (0-10).

Rules
-----
- **Local days.** A night's sleep belongs to the day it ends on (Garmin's and Fitbit's
  own ``calendarDate``/``dateOfSleep``; Apple's records grouped into sessions, gaps under
  :data:`SESSION_GAP_H` hours, each on the local day of its end by the offset it carries).
- **One source per day and value.** Where several sources give the same value for a day
  (sleep from the watch and from the phone), one is kept: the diary first (what the
  runner wrote), then a watch, then a phone app or a CSV, and time asleep before time in
  bed (:func:`source_rank`). Sleep of
  one source on one day is summed (a night and a nap); other values are averaged.
- **HRV is of one kind.** RMSSD (Garmin, intervals.icu ``hrv``) and SDNN (Apple,
  intervals.icu ``hrvSDNN``) are different measures: the table keeps the kind with more
  days and leaves the other out, with a warning.
- **Implausible values are refused with a warning:** HRV of 0 or above
  :data:`HRV_MAX_MS`, resting heart rate under :data:`RESTING_HR_RANGE` [0] or over
  [1] bpm.
- **Stress keeps its scale**, named in ``stress_scale`` (``garmin 0-100``,
  ``intervals.icu 1-4``, ``diary 0-10``); :func:`join_daily` rescales it to the diary's
  0-10 only where the diary has none.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from runback import schema
from runback.errors import NotWellnessError, ReadError
from runback.io.garmin_wellness import observations

if TYPE_CHECKING:
    from runback.io.apple_health import HealthRecord

__all__ = ["Wellness", "read_wellness", "wellness_table", "apple_observations",
           "diary_observations", "join_daily", "source_rank", "HRV_MAX_MS",
           "RESTING_HR_RANGE", "SESSION_GAP_H", "BASELINE_DAYS", "STRESS_TO_10"]

#: Highest plausible HRV [ms]; 0 is no reading.
HRV_MAX_MS = 300.0
#: Plausible resting heart rate [1/min].
RESTING_HR_RANGE = (25.0, 120.0)
#: Apple sleep records further apart than this start a new session. [h]
SESSION_GAP_H = 3.0
#: Days of the trailing baseline the deviations are measured from. [d]
BASELINE_DAYS = 28
#: Fewest days with a value in the baseline window for a deviation. [d]
BASELINE_MIN_DAYS = 7
#: Stress scale -> function to the diary's 0-10.
STRESS_TO_10: dict[str, Callable[[pd.Series], pd.Series]] = {
    "diary 0-10": lambda x: x,
    "garmin 0-100": lambda x: x / 10.0,
    "intervals.icu 1-4": lambda x: (x - 1.0) * 10.0 / 3.0,
}
_METRICS = ("sleep_h", "resting_hr_bpm", "hrv_ms", "stress")
_ASLEEP = {"HKCategoryValueSleepAnalysisAsleep", "HKCategoryValueSleepAnalysisAsleepUnspecified",
           "HKCategoryValueSleepAnalysisAsleepCore", "HKCategoryValueSleepAnalysisAsleepDeep",
           "HKCategoryValueSleepAnalysisAsleepREM"}
_IN_BED = "HKCategoryValueSleepAnalysisInBed"


@dataclass
class Wellness:
    """What :func:`read_wellness` found.

    Attributes
    ----------
    table : DataFrame
        The ``wellness`` table (:func:`runback.schema.describe`).
    warnings : list of str
        Refused values, a left-out HRV kind, truncated exports; each names its file.
    skipped : DataFrame
        name, reason of the files that could not be read.
    skipped_records : dict
        Apple Health record types not read -> how many (skipped silently).
    """

    table: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["name", "reason"], dtype="string"))
    skipped_records: dict[str, int] = field(default_factory=dict)


def source_rank(source: str, watch: bool, kind: str | None = None) -> int:
    """Which source a day's value is taken from, lowest first: the diary 0, a watch 1, a
    phone app or a CSV 2; sleep known only as time in bed (``kind`` ``in bed``) comes
    after any source that recorded time asleep."""
    if source == "diary":
        return 0
    return (1 if watch else 2) + (2 if kind == "in bed" else 0)


def _local(text: str | None) -> pd.Timestamp | None:
    """An Apple date (``2024-01-14 07:00:00 -0500``) with its offset; None if unreadable."""
    from runback.io.apple_health import apple_date

    return apple_date(text)


#: A piece of one night's sleep: UTC start and end, local end, and whether it is asleep
#: (not only in bed).
_Segment = tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, bool]


def apple_observations(records: Sequence[HealthRecord]) -> pd.DataFrame:
    """Observations from an Apple Health export's wellness records
    (:attr:`runback.io.apple_health.HealthExport.records`).

    Sleep: each source's records (the watch, the phone's bedtime, a sleep app) are grouped
    into sessions; a session's sleep is the time asleep (the union of its asleep stages,
    so overlapping stage records count once), else, with no stage recorded, its time in
    bed; it counts on the local day its last record ends. Resting HR and HRV (SDNN):
    the mean of the day's readings (local day of the start).
    """
    rows: list[dict[str, object]] = []
    sleep: dict[tuple[str, bool], list[_Segment]] = {}
    for r in records:
        start, end = _local(r.get("start")), _local(r.get("end"))
        if start is None or end is None:
            continue
        source = r.get("device") or r.get("source") or "Apple Health"
        watch = "watch" in f"{r.get('device', '')} {r.get('source', '')}".lower()
        label = f"apple health ({source})"
        if r["kind"] == "sleep":
            if r.get("value") in _ASLEEP or r.get("value") == _IN_BED:
                sleep.setdefault((label, watch), []).append(
                    (start.tz_convert("UTC"), end.tz_convert("UTC"), end,
                     r.get("value") in _ASLEEP))
            continue
        metric, kind = (("resting_hr_bpm", None) if r["kind"] == "resting_hr"
                        else ("hrv_ms", "sdnn"))
        rows.append({"date": start.tz_localize(None).normalize(), "metric": metric,
                     "kind": kind, "value": r.get("value"), "source": label, "watch": watch,
                     "start": None, "end": None})
    for (label, watch), segs in sleep.items():
        segs.sort(key=lambda s: s[0])
        session: list[_Segment] = []
        latest: pd.Timestamp | None = None
        ended: list[_Segment | None] = [*segs, None]
        for seg in ended:
            if seg is None or (latest is not None
                               and (seg[0] - latest).total_seconds() > SESSION_GAP_H * 3600):
                if session:
                    rows.append(_sleep_session(session, label, watch))
                session, latest = [], None
                if seg is None:
                    break
            session.append(seg)
            latest = seg[1] if latest is None else max(latest, seg[1])
    return observations(rows) if rows else observations([])


def _union_s(spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> float:
    """Seconds covered by the union of ``spans``."""
    total = 0.0
    current: tuple[pd.Timestamp, pd.Timestamp] | None = None  # the span being merged
    for s, e in sorted(spans):
        if current is None or s > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (s, e)
        else:
            current = (current[0], max(current[1], e))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


def _sleep_session(session: list[_Segment], label: str, watch: bool) -> dict[str, object]:
    asleep = [(s, e) for s, e, _, a in session if a]
    spans = asleep or [(s, e) for s, e, _, _ in session]
    last = max(session, key=lambda seg: seg[1])
    return {"date": last[2].tz_localize(None).normalize(), "metric": "sleep_h",
            "kind": None if asleep else "in bed",
            "value": _union_s(spans) / 3600.0, "source": label, "watch": watch,
            "start": min(s for s, _, _, _ in session), "end": last[1]}


def diary_observations(pain: pd.DataFrame) -> pd.DataFrame:
    """Observations from the pain diary: the day's mean ``sleep_hours`` and highest
    ``stress`` (as :func:`runback.pain.daily_pain` takes them), on days that give them."""
    df = schema.conform(pain, "pain", extra=False)
    g = df[df["date"].notna()].groupby("date", sort=True)
    rows: list[dict[str, object]] = []
    for metric, col, how, kind in (("sleep_h", "sleep_hours", "mean", None),
                                   ("stress", "stress", "max", "diary 0-10")):
        values = g[col].agg(how).dropna()
        rows += [{"date": d, "metric": metric, "kind": kind, "value": v, "source": "diary",
                  "watch": False, "start": None, "end": None} for d, v in values.items()]
    return observations(rows)


def _refuse(obs: pd.DataFrame, name: str) -> tuple[pd.DataFrame, list[str]]:
    """``obs`` without implausible HRV and resting HR, and the warnings naming them."""
    warnings = []
    v = obs["value"]
    lo, hi = RESTING_HR_RANGE
    checks = (
        ("hrv_ms", (v <= 0) | (v > HRV_MAX_MS), f"HRV of 0 or above {HRV_MAX_MS:.0f} ms"),
        ("resting_hr_bpm", (v < lo) | (v > hi),
         f"resting heart rate under {lo:.0f} or over {hi:.0f} bpm"),
    )
    bad = pd.Series(False, index=obs.index)
    for metric, out, what in checks:
        mask = (obs["metric"] == metric) & out.fillna(False)
        if mask.any():
            first = obs[mask].iloc[0]
            warnings.append(f"{name}: {int(mask.sum())} {what} refused (first "
                            f"{first['date']:%Y-%m-%d}: {first['value']:g})")
            bad |= mask
    return obs[~bad & obs["value"].notna()], warnings


def read_wellness(paths: Iterable[str | os.PathLike[str]] = (), *,
                  pain: pd.DataFrame | None = None,
                  exclude: Iterable[str | os.PathLike[str]] = (),
                  cache_dir: str | os.PathLike[str] | Literal[False] | None = None) -> Wellness:
    """Find and read every wellness source under ``paths``, and the diary's.

    Parameters
    ----------
    paths : iterable of path
        Files, folders and archives (the same as for the import: a Garmin or Apple Health
        export, a Fitbit Takeout, an intervals.icu CSV).
    pain : DataFrame, optional
        The ``pain`` table of the diary; its sleep and stress win where both exist.
    exclude : iterable of path
        Files to pass over (the diary when it lies among the paths).
    cache_dir : path or False, optional
        Cache folder where the extract of an Apple Health export is kept between runs
        (default: :func:`runback.cache_folder.default_cache_dir`); False keeps none.

    Returns
    -------
    Wellness
        The table, warnings and the files skipped.
    """
    from runback.cache_folder import default_cache_dir
    from runback.io.apple_health import HealthExport
    from runback.io.exports import Skip, iter_entries, wellness_format_of
    from runback.io.fitbit import read_fitbit_wellness
    from runback.io.garmin_wellness import read_garmin_wellness
    from runback.io.wellness_csv import read_wellness_csv

    readers = {"garmin_wellness": read_garmin_wellness, "fitbit_wellness": read_fitbit_wellness,
               "wellness_csv": read_wellness_csv}
    frames, warnings, skipped = [], [], []
    skipped_records: dict[str, int] = {}
    extracts = None if cache_dir is False else (
        os.path.join(os.fspath(cache_dir or default_cache_dir()), "extracts"))
    for item in iter_entries([os.fspath(p) for p in paths], exclude=exclude,
                             classify=wellness_format_of, extract_dir=extracts):
        if isinstance(item, Skip):
            skipped.append((item.name, item.reason))
            continue
        try:
            data = item.load()
            if item.format == "apple_health":
                export = HealthExport.from_bytes(data, item.name)
                warnings += [f"{item.name}: {w}" for w in export.warnings]
                for k, n in export.skipped.items():
                    skipped_records[k] = skipped_records.get(k, 0) + n
                obs = apple_observations(export.records)
            else:
                obs = readers[item.format](data, name=item.name)
        except NotWellnessError as e:
            if item.root == item.name:  # named by the user: say why it gave nothing
                skipped.append((item.name, e.reason))
            continue
        except ReadError as e:
            skipped.append((item.name, e.reason))
            continue
        obs, refused = _refuse(obs, item.name)
        warnings += refused
        frames.append(obs)
    if pain is not None and len(pain):
        frames.append(diary_observations(pain))
    table, kind_warnings = wellness_table(pd.concat(frames, ignore_index=True) if frames
                                          else observations([]))
    return Wellness(table, warnings + kind_warnings,
                    pd.DataFrame(skipped, columns=["name", "reason"], dtype="string"),
                    skipped_records)


def wellness_table(obs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The ``wellness`` table from observations: one row per local day with a value.

    Returns
    -------
    (DataFrame, list of str)
        The table and the warning when an HRV kind was left out.
    """
    warnings = []
    obs = obs[obs["value"].notna() & obs["date"].notna()]
    hrv = obs["metric"] == "hrv_ms"
    kinds = obs.loc[hrv].groupby("kind")["date"].nunique().sort_values(ascending=False,
                                                                        kind="stable")
    if len(kinds) > 1:
        keep = kinds.index[0]
        drop = hrv & (obs["kind"] != keep)
        warnings.append(f"HRV of another kind left out on {int(kinds.iloc[1:].sum())} days "
                        f"({', '.join(kinds.index[1:].str.upper())}): the table holds "
                        f"{keep.upper()} only, never a mix")
        obs = obs[~drop]
    if obs.empty:
        return schema.empty("wellness"), warnings
    obs = obs.assign(rank=[source_rank(s, w, k if isinstance(k, str) else None)
                           for s, w, k in zip(obs["source"], obs["watch"], obs["kind"],
                                              strict=True)])
    # per day and metric the best-ranked source (ties: its name), then its values
    best = (obs.sort_values(["date", "metric", "rank", "source"], kind="stable")
            .groupby(["date", "metric"], sort=True).head(1)[["date", "metric", "source"]])
    chosen = obs.merge(best, on=["date", "metric", "source"], how="inner")
    g = chosen.groupby(["date", "metric"], sort=True)
    value = g["value"].mean()
    sleep_sum = g["value"].sum()
    is_sleep = value.index.get_level_values("metric") == "sleep_h"
    value = value.where(~is_sleep, sleep_sum)
    wide = value.unstack("metric").reindex(columns=list(_METRICS))
    kind = g["kind"].first().unstack("metric").reindex(columns=list(_METRICS))
    source = g["source"].first().unstack("metric").reindex(columns=list(_METRICS))
    out = pd.DataFrame({
        "date": wide.index,
        "sleep_h": wide["sleep_h"].to_numpy(),
        "resting_hr_bpm": wide["resting_hr_bpm"].to_numpy(),
        "hrv_ms": wide["hrv_ms"].to_numpy(),
        "hrv_kind": kind["hrv_ms"].to_numpy(),
        "stress": wide["stress"].to_numpy(),
        "stress_scale": kind["stress"].to_numpy(),
        "source": [_source_label(row) for row in source.itertuples(index=False)],
    })
    return schema.conform(out, "wellness", extra=False), warnings


def _source_label(sources: tuple[object, ...]) -> str:
    """``garmin`` when one source gave every value of the day, else ``metric=source`` pairs."""
    named = {m: s for m, s in zip(_METRICS, sources, strict=True) if isinstance(s, str)}
    if len(set(named.values())) == 1:
        return next(iter(named.values()))
    return "; ".join(f"{m}={s}" for m, s in named.items())


def _deviation(values: pd.Series) -> pd.Series:
    """``values`` (on consecutive days) minus the median of the previous
    :data:`BASELINE_DAYS` days, given at least :data:`BASELINE_MIN_DAYS` of them."""
    base = values.shift(1).rolling(BASELINE_DAYS, min_periods=BASELINE_MIN_DAYS).median()
    return values - base


def join_daily(daily: pd.DataFrame, wellness: pd.DataFrame) -> pd.DataFrame:
    """The ``daily`` table with the wellness columns joined.

    ``sleep_hours`` and ``stress`` keep the diary's values and take the wellness table's
    where the diary has none (stress rescaled to 0-10 by :data:`STRESS_TO_10`);
    ``resting_hr_dev`` and ``hrv_dev`` are the day's resting HR [1/min] and HRV [ms]
    minus the runner's own median of the previous :data:`BASELINE_DAYS` days (at least
    :data:`BASELINE_MIN_DAYS` days with a value; NA before); ``wellness_source`` says
    which source each value came from.
    """
    out = daily.copy()
    if wellness is None or wellness.empty or out.empty:
        return schema.conform(out, "daily", extra=False)
    w = wellness.set_index("date")
    span = pd.date_range(min(w.index.min(), out["date"].min()),
                         max(w.index.max(), out["date"].max()), freq="D")
    w = w.reindex(span)
    dev = pd.DataFrame({"resting_hr_dev": _deviation(w["resting_hr_bpm"]),
                        "hrv_dev": _deviation(w["hrv_ms"])}, index=span)
    scaled = pd.Series(np.nan, index=span)
    for scale, fn in STRESS_TO_10.items():
        mine = (w["stress_scale"] == scale).fillna(False).to_numpy()
        scaled.loc[mine] = fn(w["stress"][mine])
    days = pd.DatetimeIndex(out["date"])
    out["sleep_hours"] = out["sleep_hours"].fillna(
        pd.Series(w["sleep_h"].reindex(days).to_numpy(), index=out.index))
    out["stress"] = out["stress"].fillna(pd.Series(scaled.reindex(days).to_numpy(),
                                                   index=out.index))
    out["resting_hr_dev"] = dev["resting_hr_dev"].reindex(days).to_numpy()
    out["hrv_dev"] = dev["hrv_dev"].reindex(days).to_numpy()
    out["wellness_source"] = w["source"].reindex(days).to_numpy()
    return schema.conform(out, "daily", extra=False)
