"""The plain-language summary: a few sentences a runner understands, from the tables alone.

Every function here is pure: it takes runback's tables (``weekly``, ``daily``,
``activities``, ``flares``, ``pain``) or a :class:`~runback.factors.FactorResult` and returns
text or a small table. Nothing reads a file.

The wording follows docs/methods.md sections 6 and 8: the summary states a factor only when
it is a finding of the factor analysis (it survives multiplicity and the data can size
it), and says so in the words of :mod:`runback.display`; otherwise it says that nothing
stands out. What the days before the last flare-ups held is shown as counts beside how
often the same thing happens in comparison windows, with the range chance alone gives,
and never as a claim. Reverse causation is named in both directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np
import pandas as pd
from scipy import stats

from runback import display
from runback.factors import at_risk, resolve_washout
from runback.factors.design import prepare_daily
from runback.report import fmt

if TYPE_CHECKING:
    from runback.factors import FactorResult

__all__ = [
    "Pattern",
    "PATTERNS",
    "period_summary",
    "flare_summary",
    "pattern_table",
    "pattern_sentences",
    "flare_context",
    "onset_notes",
    "finding_sentences",
    "factor_status",
    "summary_sentences",
]

#: Weeks compared for the mileage trend (the last N full weeks against the N before).
TREND_WEEKS = 4
#: A change in weekly distance within this fraction reads as "about the same".
STEADY = 0.10
#: Percentile of the runner's runs above which a run counts as big (descent, climb, ...).
BIG_RUN_PERCENTILE = 90
#: A rise in 7-day distance over the previous 7 days counted as a jump (Nielsen et al. 2014).
JUMP = 0.30
#: The chance interval of a descriptive count (central probability).
CHANCE_LEVEL = 0.90


@dataclass(frozen=True)
class Pattern:
    """Something the days before a flare-up may hold, checked against the runner's usual.

    Parameters
    ----------
    name : str
        Key in :data:`PATTERNS`.
    column : str
        ``activities`` column (per run) or ``daily`` column (``source="daily"``).
    phrase : str
        What the window held, with ``{x}`` for the threshold as displayed.
    quantity : str
        How the threshold prints: ``distance``, ``elevation``, ``duration`` or ``flag``.
    floor : float
        Smallest threshold in the column's unit, so "big" never means "any at all". [SI]
    source : str
        ``runs`` (a run that day exceeds the threshold) or ``daily`` (the day's value does).
    """

    name: str
    column: str
    phrase: str
    quantity: str
    floor: float = 0.0
    source: str = "runs"


#: The patterns the summary looks for in the hazard window before each flare-up.
PATTERNS: dict[str, Pattern] = {p.name: p for p in (
    Pattern("steep_downhill", "downhill_10_s",
            "a run with more than {x} on grades steeper than -10 %", "duration", 60.0),
    Pattern("descent", "elevation_loss_m", "a run with more than {x} of descent",
            "elevation", 100.0),
    Pattern("climb", "elevation_gain_m", "a run with more than {x} of climbing",
            "elevation", 100.0),
    Pattern("long_run", "distance_m", "a run longer than {x}", "distance", 5000.0),
    Pattern("trail", "surface", "a trail run", "flag"),
    Pattern("mileage_jump", "distance_change",
            "a rise of more than 30 % in your 7-day distance over the 7 days before", "flag",
            JUMP, source="daily"),
)}


# ----------------------------------------------------------------------------------------
# Period and flare-ups
# ----------------------------------------------------------------------------------------

def period_summary(weekly: pd.DataFrame, *, units: str = "metric",
                   trend_weeks: int = TREND_WEEKS) -> str:
    """The period covered and the weekly mileage trend, in one or two sentences.

    Parameters
    ----------
    weekly : DataFrame
        The ``weekly`` table (week_start, days, distance_m [m]).
    units : {"metric", "imperial"}
    trend_weeks : int
        The last ``trend_weeks`` full weeks are compared with the ``trend_weeks`` before.

    Returns
    -------
    str
    """
    if weekly.empty:
        return "No activities were imported, so there is no training to summarise."
    first = pd.Timestamp(weekly["week_start"].iloc[0])
    last = pd.Timestamp(weekly["week_start"].iloc[-1]) + pd.Timedelta(
        days=int(weekly["days"].iloc[-1]) - 1)
    days_first = int(weekly["days"].iloc[0])
    first_day = first + pd.Timedelta(days=7 - days_first) if days_first < 7 else first
    n = len(weekly)
    text = (f"Your data cover {fmt.day(first_day)} to {fmt.day(last)} "
            f"({n} week{'s' if n != 1 else ''}).")
    full = weekly[weekly["days"] >= 7]
    dist = full["distance_m"].to_numpy(dtype=float)
    if len(dist) >= 2 * trend_weeks and not dist[-2 * trend_weeks:].any():
        text += f" You did not run in your last {2 * trend_weeks} full weeks."
    elif len(dist) >= 2 * trend_weeks:
        recent = float(dist[-trend_weeks:].mean())
        before = float(dist[-2 * trend_weeks:-trend_weeks].mean())
        text += (f" In your last {trend_weeks} full weeks you ran "
                 f"{fmt.distance(recent, units)} a week on average")
        if before > 0:
            change = recent / before - 1
            if abs(change) <= STEADY:
                text += (f", about the same as in the {trend_weeks} weeks before "
                         f"({fmt.distance(before, units)}).")
            else:
                word = "up" if change > 0 else "down"
                text += (f", {word} {abs(change) * 100:.0f} % on the {trend_weeks} weeks "
                         f"before ({fmt.distance(before, units)}).")
        else:
            text += f", after {trend_weeks} weeks without running."
    elif len(dist):
        text += (f" You ran {fmt.distance(float(dist.mean()), units)} a week on average "
                 f"over {len(dist)} full week{'s' if len(dist) != 1 else ''}.")
    return text


def flare_summary(flares: pd.DataFrame) -> str:
    """How many flare-ups the diary shows and when the last began.

    Parameters
    ----------
    flares : DataFrame
        The ``flares`` table (onset, end, peak [NRS], duration_d [d], pain_type, ongoing).

    Returns
    -------
    str
    """
    n = len(flares)
    if n == 0:
        return ("Your diary shows no flare-up (a rise of the flare threshold over your "
                "14-day baseline), so there is nothing to relate your training to yet.")
    last = flares.sort_values("onset").iloc[-1]
    details = [f"peak {last['peak']:.0f}/10"]
    if isinstance(last["pain_type"], str) and last["pain_type"]:
        details.append(str(last["pain_type"]))
    ongoing = bool(last["ongoing"]) if pd.notna(last["ongoing"]) else False
    if ongoing:
        details.append("still going on at the diary's last entry")
    else:
        d = int(last["duration_d"])
        details.append(f"{d} day{'s' if d != 1 else ''}")
    head = ("Your diary shows 1 flare-up" if n == 1
            else f"Your diary shows {n} flare-ups, from {fmt.day(flares['onset'].min())}")
    return f"{head}; the last began on {fmt.day(last['onset'])} ({', '.join(details)})."


# ----------------------------------------------------------------------------------------
# What the days before the last flare-ups held
# ----------------------------------------------------------------------------------------

def _runs(activities: pd.DataFrame) -> pd.DataFrame:
    if activities.empty:
        return activities
    return activities[activities["is_run"].fillna(False).astype(bool)
                      & activities["local_date"].notna()]


def _nice(value: float, quantity: str, units: str) -> tuple[float, str]:
    """A threshold rounded for print, back in SI, and its text."""
    if quantity == "duration":
        minutes = max(1, math.floor(value / 60))
        return minutes * 60.0, f"{minutes} min"
    if quantity == "elevation":
        per = fmt.UNITS[units][3]
        step = 10 if units == "metric" else 50
        shown = max(step, math.floor(value * per / step) * step)
        return shown / per, f"{shown} {fmt.elevation_unit(units)}"
    per = fmt.UNITS[units][1]
    shown = max(1, math.floor(value / per))
    return shown * per, f"{shown} {fmt.distance_unit(units)}"


def _usual(values: pd.Series, quantity: str, units: str) -> str:
    med = float(values.median()) if len(values) else float("nan")
    if not math.isfinite(med):
        return "-"
    if quantity == "duration":
        return "none" if med < 30 else fmt.duration(med)
    if quantity == "elevation":
        return fmt.elevation(med, units)
    return fmt.distance(med, units)


def _day_flags(pattern: Pattern, daily: pd.DataFrame, runs: pd.DataFrame,
               units: str) -> tuple[pd.Series, str, str, float]:
    """Days (index: daily dates) that hold the pattern, its phrase, the usual and threshold."""
    dates = pd.DatetimeIndex(pd.to_datetime(daily["date"]))
    none = pd.Series(False, index=dates)
    if pattern.source == "daily":
        if pattern.column not in daily:
            return none, "", "", math.nan
        v = pd.to_numeric(daily[pattern.column], errors="coerce").to_numpy(dtype=float,
                                                                          na_value=np.nan)
        return (pd.Series(np.nan_to_num(v, nan=-np.inf) > pattern.floor, index=dates),
                pattern.phrase, "", pattern.floor)
    if pattern.column not in runs or runs.empty:
        return none, "", "", math.nan
    run_days = pd.to_datetime(runs["local_date"])
    if pattern.quantity == "flag":
        hit = runs[pattern.column].astype("string").fillna("") == pattern.name
        share = float(hit.mean())
        usual = f"{share * 100:.0f} % of your runs are on trail"
        days = set(run_days[hit.to_numpy(dtype=bool)])
        return pd.Series(dates.isin(list(days)), index=dates), pattern.phrase, usual, 1.0
    values = pd.to_numeric(runs[pattern.column], errors="coerce").astype(float)
    known = values.dropna()
    if known.empty:
        return none, "", "", math.nan
    raw = max(float(np.percentile(known, BIG_RUN_PERCENTILE)), pattern.floor)
    threshold, shown = _nice(raw, pattern.quantity, units)
    over = (values > threshold).fillna(False).to_numpy(dtype=bool)
    days = set(run_days[over])
    usual = f"your usual run: {_usual(known, pattern.quantity, units)}"
    return (pd.Series(dates.isin(list(days)), index=dates), pattern.phrase.format(x=shown),
            usual, threshold)


def _window_any(flags: pd.Series, window_days: int) -> pd.Series:
    """For every day d: does any of the days d-w..d-1 hold the flag."""
    v = flags.to_numpy(dtype=float)
    out = pd.Series(v).shift(1).rolling(window_days, min_periods=window_days).max()
    return pd.Series(out.to_numpy() > 0, index=flags.index).where(out.notna().to_numpy())


def pattern_table(daily: pd.DataFrame, activities: pd.DataFrame, flares: pd.DataFrame, *,
                  window_days: int = 3, last_n: int = 4, units: str = "metric",
                  patterns: dict[str, Pattern] | None = None) -> pd.DataFrame:
    """How often the days before the last flare-ups held each pattern, against the usual.

    For each pattern the hazard window d-w..d-1 of each of the last ``last_n`` onsets is
    checked; the base rate is the share of comparison days (days at risk, as the factor
    analysis takes them: outside flare-ups and their washout) whose window holds the
    pattern, and ``chance_low``..``chance_high`` is the range of hits chance alone gives
    in 90 % of cases (binomial). A "big" run is one above the runner's own 90th percentile
    (never below the pattern's floor), rounded down to a printable threshold.

    Parameters
    ----------
    daily : DataFrame
        The ``daily`` table (date, in_flare, distance_change).
    activities : DataFrame
        The ``activities`` table (is_run, local_date and the pattern columns).
    flares : DataFrame
        The ``flares`` table (onset).
    window_days : int
        Hazard window length w. [d]
    last_n : int
        How many of the latest onsets are checked.
    units : {"metric", "imperial"}
        For the thresholds as printed.
    patterns : dict, optional
        Default :data:`PATTERNS`.

    Returns
    -------
    DataFrame
        One row per pattern with data: ``pattern``, ``phrase``, ``usual``, ``threshold``
        [SI], ``hits`` (onsets whose window holds it), ``n_flares``, ``base_rate``
        (fraction of windows outside flare-ups), ``lift`` (hits / n_flares / base_rate),
        ``onsets`` (the dates checked). Sorted by lift, largest first.
    """
    cols = ["pattern", "phrase", "usual", "threshold", "hits", "n_flares", "base_rate",
            "lift", "chance_low", "chance_high", "onsets"]
    if daily.empty or flares.empty:
        return pd.DataFrame(columns=cols)
    onsets = sorted(pd.to_datetime(flares["onset"]))[-last_n:]
    runs = _runs(activities)
    if "flare_onset" in daily:
        washout, _ = resolve_washout(daily, "auto")
        risk = at_risk(prepare_daily(daily), window_days=window_days, washout_days=washout)
        comparable = risk["referent"]
    else:
        comparable = ~(daily["in_flare"].fillna(False).to_numpy(dtype=bool)
                       if "in_flare" in daily else np.zeros(len(daily), dtype=bool))
    rows = []
    for p in (patterns or PATTERNS).values():
        flags, phrase, usual, threshold = _day_flags(p, daily, runs, units)
        if not phrase:
            continue
        window = _window_any(flags, window_days)
        at = [window.get(d) for d in onsets if d in window.index]
        checked = [bool(a) for a in at if a is not None and not pd.isna(a)]
        if not checked:
            continue
        base_days = window[comparable].dropna()
        base = float(base_days.astype(bool).mean()) if len(base_days) else math.nan
        hits = sum(checked)
        share = hits / len(checked)
        lift = share / base if base > 0 else (math.inf if hits else math.nan)
        lo, hi = (stats.binom.interval(CHANCE_LEVEL, len(checked), base)
                  if math.isfinite(base) else (math.nan, math.nan))
        rows.append({"pattern": p.name, "phrase": phrase, "usual": usual,
                     "threshold": threshold, "hits": hits, "n_flares": len(checked),
                     "base_rate": base, "lift": lift, "chance_low": lo, "chance_high": hi,
                     "onsets": [d.date() for d in onsets]})
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["lift", "hits"], ascending=False, kind="stable",
                           na_position="last").reset_index(drop=True)


class _PatternRow(Protocol):
    """A row of :func:`pattern_table` (``itertuples``), as :func:`pattern_sentences` reads it."""

    @property
    def phrase(self) -> str: ...
    @property
    def hits(self) -> int: ...
    @property
    def n_flares(self) -> int: ...
    @property
    def base_rate(self) -> float: ...
    @property
    def chance_low(self) -> int: ...
    @property
    def chance_high(self) -> int: ...


def pattern_sentences(table: pd.DataFrame, *, window_days: int = 3) -> list[str]:
    """What the days before the last flare-ups held, as counts beside chance: never a claim.

    One line per pattern: how many of the checked flare-ups had it in their window, the
    share of comparison windows that had it, and the range chance alone gives in 90 % of
    cases. No verdict: several patterns are looked at, so some fall outside their range by
    luck; only the factor analysis's findings are claims.

    Parameters
    ----------
    table : DataFrame
        :func:`pattern_table` output.
    window_days : int
        Hazard window length w. [d]

    Returns
    -------
    list of str
    """
    out = []
    for row in table.itertuples():
        r = cast(_PatternRow, row)
        if not math.isfinite(r.base_rate):
            continue
        lo, hi = int(r.chance_low), int(r.chance_high)
        chance = f"{lo}" if lo == hi else f"{lo} to {hi}"
        out.append(f"{r.hits} of your last {r.n_flares} flare-up"
                   f"{'s' if r.n_flares != 1 else ''} came within {window_days} days after "
                   f"{r.phrase}; so did {r.base_rate * 100:.0f} % of comparison windows, "
                   f"where chance alone gives {chance} of {r.n_flares}.")
    return out


def flare_context(activities: pd.DataFrame, flares: pd.DataFrame, *, window_days: int = 3,
                  last_n: int = 4) -> pd.DataFrame:
    """The runs in the hazard window before each of the last flare-ups.

    Parameters
    ----------
    activities : DataFrame
        The ``activities`` table.
    flares : DataFrame
        The ``flares`` table.
    window_days, last_n : int
        Window length [d] and how many of the latest onsets.

    Returns
    -------
    DataFrame
        ``onset``, ``date``, ``name``, ``surface``, ``distance_m`` [m],
        ``elevation_gain_m`` [m], ``elevation_loss_m`` [m], ``downhill_10_s`` [s]: one row
        per run (activities that are not runs are left out), latest onset first; an onset
        with no run in its window has one row with the run columns NA.
    """
    cols = ["date", "name", "surface", "distance_m", "elevation_gain_m", "elevation_loss_m",
            "downhill_10_s"]
    if flares.empty:
        return pd.DataFrame(columns=["onset", *cols])
    runs = _runs(activities)
    run_days = pd.to_datetime(runs["local_date"] if len(runs) else pd.Series([], dtype="M8[ns]"))
    parts = []
    for onset in sorted(pd.to_datetime(flares["onset"]), reverse=True)[:last_n]:
        start = onset - pd.Timedelta(days=window_days)
        inside = runs[(run_days >= start) & (run_days < onset)] if len(runs) else runs
        if len(inside):
            part = inside.sort_values("start_time")[
                ["local_date", *cols[1:]]].rename(columns={"local_date": "date"})
        else:
            part = pd.DataFrame({c: [pd.NA] for c in cols})
        part = part.astype(object)
        part.insert(0, "onset", onset)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def onset_notes(pain: pd.DataFrame, flares: pd.DataFrame, *,
                last_n: int = 4) -> dict[pd.Timestamp, list[str]]:
    """Diary notes written on the onset day of each of the last flare-ups.

    Returns
    -------
    dict
        onset (Timestamp) -> list of note texts (possibly empty).
    """
    out: dict[pd.Timestamp, list[str]] = {}
    dates = pd.to_datetime(pain["date"] if len(pain) else pd.Series([], dtype="M8[ns]"))
    for onset in sorted(pd.to_datetime(flares["onset"]), reverse=True)[:last_n]:
        notes = pain.loc[(dates == onset).to_numpy(dtype=bool), "notes"].dropna()
        out[onset] = [str(n) for n in notes if str(n).strip()]
    return out


# ----------------------------------------------------------------------------------------
# What the factor analysis found
# ----------------------------------------------------------------------------------------

def factor_status(result: FactorResult | None) -> str:
    """A short honest status of an athlete's factor analysis, for a team table."""
    if result is None:
        return "no diary"
    n = result.n_onsets
    s = "s" if n != 1 else ""
    if n == 0:
        return "no flare-ups to compare"
    if result.power == "descriptive only":
        return f"too few flare-ups to test ({n})"
    found = result.findings
    if found.empty:
        return f"nothing stands out ({n} flare-up{s})"
    names = ", ".join(str(f).replace("_", " ") for f in found["factor"])
    return f"{names} (q = {fmt.pvalue(found['q_value'].iloc[0])}, {n} flare-up{s})"


def finding_sentences(result: FactorResult, *, units: str = "metric") -> list[str]:
    """The summary's statements about factors: exactly the findings, else that none stands
    out, and the reverse-causation note when there is a finding.

    Parameters
    ----------
    result : FactorResult
        What :meth:`runback.log.TrainingLog.factors` returned.
    units : {"metric", "imperial"}

    Returns
    -------
    list of str
    """
    n = result.n_onsets
    s = "s" if n != 1 else ""
    if n == 0:
        return ["No factor could be compared with your flare-ups: the analysis needs "
                "flare-ups that are dated (the day before logged), away from the weeks "
                "after an earlier flare-up, with comparable days around them."]
    if result.power == "descriptive only":
        return [f"With {n} usable flare-up{s}, no factor can be told apart from chance "
                "(testing needs at least 8); the factor table is descriptive only. Keep "
                "logging."]
    found = display.findings(result, units=units)
    n_checked = int(pd.to_numeric(result.factors["q_value"], errors="coerce").notna().sum())
    if not found:
        return [f"Nothing stands out: of the {n_checked} factors checked against your {n} "
                f"flare-up{s}, none came before them more often than chance would explain "
                "(at a false discovery rate of 10 %)."
                + (" A real link could still be missed with this many flare-ups."
                   if result.power != "adequate" else "")]
    out = [f["sentence"] for f in found]
    note = display.direction_note(result)
    if note:
        out.append(note)
    return out


def summary_sentences(*, weekly: pd.DataFrame, daily: pd.DataFrame,
                      activities: pd.DataFrame, flares: pd.DataFrame | None,
                      result: FactorResult | None,
                      units: str = "metric", window_days: int = 3,
                      last_n: int = 4) -> list[str]:
    """The whole plain-language summary, sentence by sentence.

    Parameters
    ----------
    weekly, daily, activities : DataFrame
        runback's tables.
    flares : DataFrame or None
        The ``flares`` table; None when there is no diary.
    result : FactorResult or None
        The case-crossover result; None when there is no diary.
    units : {"metric", "imperial"}
    window_days, last_n : int
        Hazard window [d] and how many recent flare-ups to look at (unused: the
        descriptive look is :func:`pattern_sentences`, shown beside the flare-up context).

    Returns
    -------
    list of str
    """
    out = [period_summary(weekly, units=units)]
    if flares is None:
        out.append("No pain diary was given, so this report shows training only. Add a diary "
                   "(--diary pain_diary.csv) to relate your training to your back pain.")
        return out
    out.append(flare_summary(flares))
    if result is not None:
        out += finding_sentences(result, units=units)
    return out
