"""The presentation layer: runner units, number formats and every sentence about factors.

Statistics modules return numbers (log odds ratios per person-SD, intervals, q-values);
the words are built here, where the display ``units`` are known, so a metric and an
imperial report say the same thing. An effect in runner units is the odds ratio per SD
raised to ``step / SD``: per 10 km (5 mi), per 100 m (300 ft) of descent, per 30 min in
heart-rate zones 4-5, exposed or not (docs/methods.md section 6).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from runback.report import fmt

__all__ = [
    "ratio_text",
    "runner_step",
    "amount",
    "effect",
    "factor_description",
    "findings",
    "finding_sentence",
    "direction_note",
]

def ratio_text(v: Any) -> str:
    """An odds ratio or interval end as every report shows it (:func:`runback.report.fmt.ratio`)."""
    return fmt.ratio(v)


def _nice(x: float) -> float:
    """The 1, 2 or 5 x 10^k nearest above ``x``."""
    if not x > 0:
        return float("nan")
    e = math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * 10 ** e >= x * 0.999:
            return float(m * 10 ** e)
    return float(10 ** (e + 1))


def runner_step(quantity: str, step: float, units: str, sd: float = math.nan) -> float:
    """The runner unit [column unit] an effect is given per, in the display ``units``.

    Distances and heights switch to round miles and feet in imperial reports (10 km ->
    5 mi, 100 m -> 300 ft); a load takes a round number near one SD of the athlete's own
    load scale.
    """
    if quantity == "distance" and units == "imperial":
        miles = max(1.0, round(step / 1000.0 / fmt.KM_PER_MILE))
        return miles * 1000.0 * fmt.KM_PER_MILE
    if quantity == "elevation" and units == "imperial" and step >= 10:
        return round(step * fmt.FT_PER_M / 100.0) * 100.0 / fmt.FT_PER_M
    if quantity == "load":
        return _nice(sd) if np.isfinite(sd) else step
    return step


def amount(value: float, quantity: str, units: str) -> str:
    """An amount of a factor's exposure in words (``10 km``, ``300 ft``, ``30 min``)."""
    if value is None or not np.isfinite(value):
        return "-"
    if quantity == "distance":
        digits = 0 if value >= 5000 else 1
        return fmt.distance(value, units, digits=digits)
    if quantity == "elevation":
        if value < 10:
            return (f"{value * fmt.FT_PER_M:.1f} ft" if units == "imperial"
                    else f"{value:.1f} m")
        return fmt.elevation(value, units)
    if quantity == "duration":
        return fmt.duration(value)
    if quantity == "fraction":
        return f"{value * 100:.0f} percentage points"
    if quantity == "load":
        return f"{value:g} load units"
    if quantity == "hours":
        return f"{value:g} h"
    if quantity == "points":
        return f"{value:g} point{'s' if value != 1 else ''}"
    if quantity in ("bpm", "ms"):
        return f"{value:g} {quantity}"
    if quantity == "ratio":
        return f"{value:g}"
    return f"{value:.3g}"


_LESS_PER = {"sleep": "less sleep a night", "hrv": "lower"}


def effect(row: Any, units: str = "metric") -> dict[str, Any]:
    """A factor's effect in runner units: ``effect``, ``ci_low``, ``ci_high``, ``unit``.

    Binary factors: exposed vs not. Continuous factors without a runner unit: per SD.
    """
    kind = row.get("kind", "continuous")
    orr, lo, hi = row.get("odds_ratio"), row.get("ci_low"), row.get("ci_high")
    if kind == "binary":
        return {"effect": orr, "ci_low": lo, "ci_high": hi, "unit": "exposed vs not"}
    sd, step = float(row.get("sd", math.nan)), float(row.get("step", math.nan))
    quantity = str(row.get("quantity", ""))
    step = runner_step(quantity, step, units, sd)
    if not (np.isfinite(step) and np.isfinite(sd) and sd > 0):
        return {"effect": orr, "ci_low": lo, "ci_high": hi, "unit": "per SD"}
    scale = step / sd

    def power(v: Any) -> Any:
        if v is None or not np.isfinite(v) or v <= 0:
            return v if v is not None and np.isfinite(v) else (math.inf if v else v)
        with np.errstate(over="ignore"):
            return float(np.exp(np.log(v) * scale))

    words = amount(step, quantity, units)
    name = str(row.get("factor", ""))
    if name in _LESS_PER:
        unit = f"per {words} {_LESS_PER[name]}"
    else:
        unit = f"per {words}" + ("" if row.get("sign", 1) == 1 else " less")
    if quantity == "load" and row.get("load_scale"):
        unit += f" ({row['load_scale']})"
    return {"effect": power(orr), "ci_low": power(lo), "ci_high": power(hi), "unit": unit}


def _numbers(row: Any, units: str, *, per_sd: bool = True) -> str:
    e = effect(row, units)
    text = (f"odds ratio {ratio_text(e['effect'])} {e['unit']}, 95 % CI "
            f"{ratio_text(e['ci_low'])} to {ratio_text(e['ci_high'])}")
    if per_sd and e["unit"] not in ("per SD", "exposed vs not"):
        text += f"; {ratio_text(row.get('odds_ratio'))} per SD"
    return text


def _when(window_days: int, n: int) -> str:
    s = "s" if n != 1 else ""
    if window_days == 1:
        return f"On the day before your {n} flare-up{s}"
    return f"In the {window_days} days before your {n} flare-up{s}"


def _finite(v: Any) -> bool:
    return v is not None and v is not pd.NA and np.isfinite(float(v))


def factor_description(row: Any, *, window_days: int, n_family: int,
                       units: str = "metric") -> str:
    """One factor's row in words: association, never cause; unclear reads 'not known'."""
    reason = row.get("reason")
    if isinstance(reason, str) and reason:
        return f"Not analysed: {reason}."
    n = int(row.get("n_onsets") or 0)
    topic = row.get("topic") or str(row.get("factor", "")).replace("_", " ")
    numbers = _numbers(row, units)
    lo, hi, q = row.get("ci_low"), row.get("ci_high"), row.get("q_value")
    why_not = row.get("why_not") or ""
    if why_not.startswith("too few flare-ups to size this"):
        text = (f"{_when(window_days, n)}, {topic} cannot be sized: too few flare-ups to size "
                f"this ({numbers}).")
    elif _finite(lo) and _finite(hi) and (lo > 1 or hi < 1):
        did = row.get("more") if lo > 1 else row.get("less")
        text = (f"{_when(window_days, n)} you {did} than on comparable days ({numbers}). "
                "This is an association, not proof of cause.")
    else:
        text = (f"Whether {topic} comes before your flare-ups is not known ({numbers}): the "
                "data fit a higher risk, no link and a lower risk alike.")
    if row.get("exploratory"):
        text += " Exploratory: not one of the factors chosen in advance, never a finding."
    elif row.get("finding"):
        text += (f" It stands out among the {n_family} factors checked "
                 f"(q = {fmt.pvalue(q)}).")
    elif _finite(q) and q <= 0.10 and why_not:
        text += f" Flagged among the {n_family} factors checked, but not a finding: {why_not}."
    elif _finite(q) and _finite(lo) and (lo > 1 or hi < 1):
        text += f" Among the {n_family} factors checked it may be chance (q = {fmt.pvalue(q)})."
    if 0 < n < 8:
        text += f" With {n} flare-up{'s' if n != 1 else ''} this is descriptive only."
    elif 8 <= n < 20:
        text += f" With {n} flare-ups this is underpowered: a real link could be missed."
    return text


def finding_sentence(row: Any, *, window_days: int, units: str = "metric") -> str:
    """The statement the summary makes about one finding."""
    n = int(row.get("n_onsets") or 0)
    lo = row.get("ci_low")
    did = row.get("more") if _finite(lo) and lo > 1 else row.get("less")
    terms = [t for t in str(row.get("adjusted_for") or "").replace("_", " ").split(", ") if t]
    adjusted = (", ".join(terms[:-1]) + " and " + terms[-1]) if len(terms) > 1 else "".join(terms)
    adj = f", taking {adjusted} into account" if adjusted else ""
    return (f"{_when(window_days, n)} you {did} than on comparable days{adj} "
            f"({_numbers(row, units, per_sd=False)}; q = {fmt.pvalue(row.get('q_value'))}). "
            "This is an association in your own data, not proof of cause.")


def findings(result: Any, *, units: str = "metric") -> list[dict[str, Any]]:
    """The statements the summary makes: one per finding, strongest evidence first.

    Returns
    -------
    list of dict
        factor, effect, unit, ci_low, ci_high, q_value, sentence (docs/cli-contract.md).
    """
    out = []
    for row in result.findings.to_dict("records"):
        e = effect(row, units)
        out.append({"factor": row["factor"], "effect": e["effect"], "unit": e["unit"],
                    "ci_low": e["ci_low"], "ci_high": e["ci_high"],
                    "q_value": row["q_value"],
                    "sentence": finding_sentence(row, window_days=result.window_days,
                                                 units=units)})
    return out


def direction_note(result: Any) -> str | None:
    """Reverse causation, both ways, when any factor's interval excludes 1.

    Pain changes running: a factor lower before flare-ups may show a runner already
    easing off a sore back, and one higher may show a runner who changed routes or sessions
    because something already felt wrong. The at-risk rule removes the weeks after a
    flare-up, not the days before one.
    """
    f = result.factors
    lo = pd.to_numeric(f["ci_low"], errors="coerce")
    hi = pd.to_numeric(f["ci_high"], errors="coerce")
    family = ~f["exploratory"].fillna(False).astype(bool) if "exploratory" in f else True
    low = f[(hi < 1) & family]
    high = f[(lo > 1) & family]
    if low.empty and high.empty:
        return None
    parts = []
    if not low.empty:
        names = ", ".join(str(n).replace("_", " ") for n in low["factor"])
        parts.append(f"Some factors were lower before your flare-ups ({names}): you may "
                     "already have been easing off a back that was starting to hurt, so this "
                     "is not a reason to train more.")
    if not high.empty:
        names = ", ".join(str(n).replace("_", " ") for n in high["factor"])
        parts.append(f"Some factors were higher before your flare-ups ({names}): timing "
                     "alone cannot rule out that an early niggle changed what you did, or "
                     "that something else came with it.")
    return " ".join(parts)
