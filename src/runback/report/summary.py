"""The plain-language summary: a few sentences a runner understands, from the tables alone.

Every function here is pure: it takes runback's tables (``weekly``, ``daily``,
``activities``, ``flares``, ``pain``) or a :class:`~runback.factors.FactorResult` and returns
text or a small table. Nothing reads a file.

The wording follows science.md section 8: timing is described ("came within 3 days after",
"associated with"), never cause; small numbers say so; a factor that looks protective is
explained by reverse causation (pain changes running), never turned into advice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from runback.factors import FACTORS, FDR, Factor
from runback.report import fmt

__all__ = [
    "Pattern",
    "PATTERNS",
    "period_summary",
    "flare_summary",
    "pattern_table",
    "pattern_sentences",
    "flare_context",
    "onset_notes",
    "strongest_factor",
    "factor_status",
    "factor_sentence",
    "reverse_causation_note",
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
#: At most this many patterns are put into words.
MAX_PATTERNS = 3

_BY_NAME: dict[str, Factor] = {f.name: f for f in FACTORS}


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
    hit = (values > threshold).fillna(False).to_numpy(dtype=bool)
    days = set(run_days[hit])
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
    checked; the base rate is the share of all days d of the span, outside flare-ups, whose
    window holds the pattern. A "big" run is one above the runner's own 90th percentile
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
            "lift", "onsets"]
    if daily.empty or flares.empty:
        return pd.DataFrame(columns=cols)
    onsets = sorted(pd.to_datetime(flares["onset"]))[-last_n:]
    runs = _runs(activities)
    in_flare = (daily["in_flare"].fillna(False).to_numpy(dtype=bool)
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
        base_days = window[~in_flare].dropna()
        base = float(base_days.astype(bool).mean()) if len(base_days) else math.nan
        hits = sum(checked)
        share = hits / len(checked)
        lift = share / base if base > 0 else (math.inf if hits else math.nan)
        rows.append({"pattern": p.name, "phrase": phrase, "usual": usual,
                     "threshold": threshold, "hits": hits, "n_flares": len(checked),
                     "base_rate": base, "lift": lift, "onsets": [d.date() for d in onsets]})
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["lift", "hits"], ascending=False, kind="stable",
                           na_position="last").reset_index(drop=True)


def pattern_sentences(table: pd.DataFrame, *, window_days: int = 3) -> list[str]:
    """Sentences for the patterns that came before the last flare-ups more than usual.

    A pattern is put into words when at least 2 of the checked flare-ups (or the only one)
    had it and it was more common before them than in the runner's other windows; at most
    :data:`MAX_PATTERNS`, highest lift first.

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
    if table.empty:
        return []
    n = int(table["n_flares"].max())
    shown = table[(table["hits"] >= np.minimum(2, table["n_flares"]))
                  & (table["hits"] / table["n_flares"] > table["base_rate"].fillna(1.0))]
    out = []
    for r in shown.head(MAX_PATTERNS).itertuples():
        if r.n_flares == 1:
            lead = "Your only flare-up"
        elif r.hits == r.n_flares:
            lead = f"All of your last {r.n_flares} flare-ups"
        else:
            lead = f"{r.hits} of your last {r.n_flares} flare-ups"
        usual = f" ({r.usual})" if r.usual else ""
        base = (f"; only {r.base_rate * 100:.0f} % of your other {window_days}-day spells "
                "held one" if r.base_rate < 0.5 else
                f"; {r.base_rate * 100:.0f} % of your other {window_days}-day spells held one")
        out.append(f"{lead} came within {window_days} days after {r.phrase}{usual}{base}.")
    if out:
        out.append("These are patterns in timing, not proof of cause.")
    else:
        names = ", ".join(p.replace("_", " ") for p in table["pattern"])
        out.append(f"Before your last {n} flare-up{'s' if n != 1 else ''}, none of the "
                   f"patterns checked ({names}) was more common than in your other "
                   f"{window_days}-day spells.")
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
    run_days = pd.to_datetime(runs["local_date"]) if len(runs) else pd.Series([], dtype="M8[ns]")
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


def onset_notes(pain: pd.DataFrame, flares: pd.DataFrame, *, last_n: int = 4) -> dict:
    """Diary notes written on the onset day of each of the last flare-ups.

    Returns
    -------
    dict
        onset (Timestamp) -> list of note texts (possibly empty).
    """
    out = {}
    dates = pd.to_datetime(pain["date"]) if len(pain) else pd.Series([], dtype="M8[ns]")
    for onset in sorted(pd.to_datetime(flares["onset"]), reverse=True)[:last_n]:
        notes = pain.loc[(dates == onset).to_numpy(dtype=bool), "notes"].dropna()
        out[onset] = [str(n) for n in notes if str(n).strip()]
    return out


# ----------------------------------------------------------------------------------------
# The strongest factor, honestly
# ----------------------------------------------------------------------------------------

def strongest_factor(factors: pd.DataFrame) -> pd.Series | None:
    """The pre-specified factor with the smallest permutation p-value (ties: larger |log OR|).

    Parameters
    ----------
    factors : DataFrame
        ``FactorResult.factors``.

    Returns
    -------
    Series or None
        Its row, or None when no factor has a p-value.
    """
    if factors.empty:
        return None
    f = factors
    if "exploratory" in f:
        f = f[~f["exploratory"].fillna(False).astype(bool)]
    p = pd.to_numeric(f["p_value"], errors="coerce")
    f = f[p.notna() & pd.to_numeric(f["odds_ratio"], errors="coerce").notna()]
    if f.empty:
        return None
    size = np.abs(np.log(f["odds_ratio"].to_numpy(dtype=float)))
    order = np.lexsort((-size, f["p_value"].to_numpy(dtype=float)))
    return f.iloc[order[0]]


def factor_status(row: pd.Series, n_onsets: int, power: str) -> str:
    """A short honest status: ``suggestive, q = 0.04`` or ``not distinguishable from chance``.

    Parameters
    ----------
    row : Series
        One row of ``FactorResult.factors`` (odds_ratio, ci_low, ci_high, q_value).
    n_onsets : int
        Usable flare-up onsets.
    power : str
        ``descriptive only``, ``underpowered`` or ``adequate``.
    """
    s = "s" if n_onsets != 1 else ""
    if power == "descriptive only":
        return (f"not distinguishable from chance with {n_onsets} flare-up{s} "
                "(too few to test)")
    q = float(row["q_value"]) if pd.notna(row["q_value"]) else math.nan
    clear = row["ci_low"] > 1 or row["ci_high"] < 1
    if q <= FDR and clear:
        return f"suggestive, q = {q:.2f}"
    if q <= FDR:
        return f"flagged by the shift test (q = {q:.2f}), but its size is too uncertain to state"
    if math.isfinite(q):
        return f"not distinguishable from chance with {n_onsets} flare-up{s} (q = {q:.2f})"
    return f"not distinguishable from chance with {n_onsets} flare-up{s}"


def _per_sd(factor: Factor, row: pd.Series, units: str) -> str:
    sd = float(row.get("sd", math.nan))
    if factor.kind != "continuous" or not math.isfinite(sd):
        return ""
    column = str(row.get("column", ""))
    if factor.unit == "s" or column.endswith("_s"):
        amount = fmt.duration(sd)
    elif factor.unit == "m" and column.startswith("elevation"):
        amount = fmt.elevation(sd, units)
    elif factor.unit == "m":
        amount = fmt.distance(sd, units)
    elif factor.unit == "fraction":
        amount = f"{sd * 100:.0f} percentage points"
    elif factor.unit == "AU":
        amount = f"{sd:.0f} load units"
    elif factor.unit in ("h", "points"):
        amount = f"{sd:.1f} {factor.unit}"
    else:
        amount = f"{sd:.2g} {factor.unit}".rstrip()
    return " " + factor.per.format(amount=amount)


def factor_sentence(result, *, units: str = "metric") -> str:
    """The strongest factor in words, with its odds ratio, interval and honest status.

    Parameters
    ----------
    result : FactorResult
        What :meth:`runback.log.TrainingLog.factors` returned.
    units : {"metric", "imperial"}

    Returns
    -------
    str
    """
    if result.n_onsets == 0:
        return ("No factor could be compared with your flare-ups: the analysis needs "
                "flare-ups with comparable flare-free days in the same month.")
    row = strongest_factor(result.factors)
    if result.power == "descriptive only":
        s = "s" if result.n_onsets != 1 else ""
        return (f"With {result.n_onsets} usable flare-up{s}, no factor can be told apart "
                "from chance (testing needs at least 8); the factor table below is "
                "descriptive only. Keep logging.")
    if row is None:
        return (f"No factor could be tested with {result.n_onsets} flare-up"
                f"{'s' if result.n_onsets != 1 else ''}: see the notes in the factor table.")
    factor = _BY_NAME.get(str(row["factor"]))
    f = result.factors
    n_checked = int((~f["exploratory"].fillna(False).astype(bool)).sum()
                    if "exploratory" in f else len(f))
    status = factor_status(row, result.n_onsets, result.power)
    ci = f"95 % CI {fmt.ratio(row['ci_low'])} to {fmt.ratio(row['ci_high'])}"
    name = str(row["factor"]).replace("_", " ")
    topic = f"{factor.topic} ({name})" if factor and factor.topic != name else name
    if factor and row["ci_low"] > 1:
        how = (f"in the {result.window_days} days before your flare-ups you {factor.more} "
               "than on comparable days")
    elif factor and row["ci_high"] < 1:
        how = (f"in the {result.window_days} days before your flare-ups you {factor.less} "
               "than on comparable days")
    else:
        how = "whether it comes before your flare-ups is not known"
    per = _per_sd(factor, row, units) if factor else ""
    power = "" if result.power == "adequate" else f" ({result.power})"
    return (f"Of the {n_checked} factors checked, the strongest link is {topic}: {how} "
            f"(odds ratio {fmt.ratio(row['odds_ratio'])}{per}, {ci}); {status}, with "
            f"{result.n_onsets} flare-up{'s' if result.n_onsets != 1 else ''}{power}. "
            "This is an association in your own data, not proof of cause.")


def reverse_causation_note(result) -> str | None:
    """A warning when pre-specified factors look protective.

    A factor looks protective when its odds ratio is below 1 and either its 95 % interval
    lies below 1 or the shift test flags it (q <= FDR). Runners run less and easier during
    and after a flare-up, and the comparison days fall in those weeks too, so load factors
    can look protective (science.md 8.2).

    Returns
    -------
    str or None
        None when no factor looks protective.
    """
    f = result.factors
    ratio = pd.to_numeric(f["odds_ratio"], errors="coerce")
    flagged = ((pd.to_numeric(f["ci_high"], errors="coerce") < 1)
               | (pd.to_numeric(f["q_value"], errors="coerce") <= FDR))
    family = ~f["exploratory"].fillna(False).astype(bool) if "exploratory" in f else True
    low = f[(ratio < 1) & flagged & family]
    if low.empty:
        return None
    names = ", ".join(str(n).replace("_", " ") for n in low["factor"])
    return (f"Some factors were lower before your flare-ups ({names}). During and after a "
            "flare-up you run less and easier, and comparison days fall in those weeks too, "
            "so this most likely shows pain changing your running (reverse causation). It is "
            "not a reason to train harder.")


def summary_sentences(*, weekly: pd.DataFrame, daily: pd.DataFrame,
                      activities: pd.DataFrame, flares: pd.DataFrame | None, result,
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
        Hazard window [d] and how many recent flare-ups to look at.

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
    if len(flares):
        table = pattern_table(daily, activities, flares, window_days=window_days,
                              last_n=last_n, units=units)
        out += pattern_sentences(table, window_days=window_days)
    if result is not None:
        out.append(factor_sentence(result, units=units))
        note = reverse_causation_note(result)
        if note:
            out.append(note)
    return out
