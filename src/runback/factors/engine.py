"""Which factors come before flare-ups: adjusted, penalised estimates and findings.

:func:`case_crossover` runs the whole analysis on a daily table; it is
:func:`runback.factors.design.case_crossover_design` followed by :func:`fit_design`, which
also fits pooled designs (strata athlete x onset, exposures already in each athlete's SD).

For each model (a factor with the base set; acute with chronic load; climb, descent and
uneven terrain together) a Firth-penalised conditional logit
(:mod:`runback.factors.model`) gives each factor's odds ratio per person-SD (binary
factors: exposed vs not), its profile penalised-likelihood 95 % interval and a penalised
likelihood-ratio p-value. Benjamini-Hochberg q-values are taken over the pre-specified
factors that could be estimated. A factor is a *finding* only when it survives the false
discovery rate, its interval excludes 1, the data can size it (odds ratio within
1/1000..1000 per SD and an interval narrower than :data:`MAX_CI_DECADES` decades) and at
least :data:`MIN_ONSETS_FINDING` flare-ups were used. Everything else is shown, never
claimed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from runback import schema
from runback.factors import model
from runback.factors.design import (
    WASHOUT_D,
    case_crossover_design,
    mark_flares,
    resolve_factors,
)
from runback.factors.family import BASE, BY_NAME, Factor, Source, model_of

__all__ = [
    "FDR",
    "MIN_ONSETS_FINDING",
    "MAX_CI_DECADES",
    "MAX_OR",
    "FactorResult",
    "fit_design",
    "case_crossover",
    "sensitivity_grid",
    "benjamini_hochberg",
    "power_label",
]

#: Pre-specified false discovery rate for the factor family.
FDR = 0.10
#: Fewer usable onsets than this: descriptive only, no finding (docs/methods.md 6).
MIN_ONSETS_FINDING = 8
#: An odds ratio per SD beyond this (or below its inverse) cannot be sized by the data.
MAX_OR = 1000.0
#: An interval spanning more decades than this cannot be sized by the data either.
MAX_CI_DECADES = 3.0
#: A model gets at most one term per this many strata (the factors always, then the base
#: set in order: running distance, days since the last flare-up and its recovery terms,
#: the time trend).
STRATA_PER_TERM = 3
#: Days since the last flare-up enter the model per this many days.
DAYS_SINCE_STEP = 30.0
#: Power labels by number of usable onsets (docs/methods.md 6, simulated power).
POWER_LABELS = ((MIN_ONSETS_FINDING, "descriptive only"), (20, "underpowered"),
                (math.inf, "adequate"))


def benjamini_hochberg(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (adjusted p-values); NaN p-values stay NaN.

    ``q_(i) = min_{j >= i} m p_(j) / j``, capped at 1, over the m non-missing p-values.

    References
    ----------
    Benjamini Y, Hochberg Y. J R Stat Soc B 1995;57:289-300.
    """
    p = np.asarray(values, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    order = np.argsort(p[ok], kind="stable")
    ranked = p[ok][order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    q[ok] = adj
    return q


def power_label(n_onsets: int) -> str:
    """``descriptive only`` (< 8 onsets), ``underpowered`` (8-19) or ``adequate`` (>= 20)."""
    return next(label for limit, label in POWER_LABELS if n_onsets < limit)


@dataclass
class FactorResult:
    """What :func:`case_crossover` or :func:`fit_design` found.

    Attributes
    ----------
    n_onsets : int
        Onsets used (at risk, with at least one comparison day).
    onsets : list of datetime.date
        Those onsets.
    power : str
        ``descriptive only``, ``underpowered`` or ``adequate``.
    window_days, washout_days : int
        Hazard window and washout [d].
    method : str
        The design in words.
    factors : DataFrame
        The ``factors`` table (schema.py) plus ``coef`` and ``se`` (log odds ratio per SD
        and its Wald standard error), ``column``, ``quantity``, ``step``, ``sd``,
        ``effect``, ``effect_low``, ``effect_high`` (odds ratio per runner unit ``step``
        of ``column``), ``kind``, ``exploratory``, ``claim``, ``reason``, ``adjusted_for``,
        ``n_referents``, ``finding`` and ``why_not`` (why a flagged factor is not a
        finding).
    warnings : list of str
    red_flags : list of str
        Filled by the caller from the diary.
    """

    n_onsets: int
    onsets: list[dt.date]
    power: str
    window_days: int
    method: str
    factors: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    red_flags: list[str] = field(default_factory=list)
    washout_days: int = WASHOUT_D

    @property
    def findings(self) -> pd.DataFrame:
        """The rows that are findings, strongest evidence (smallest q) first."""
        f = self.factors
        if f.empty or "finding" not in f:
            return f.iloc[:0]
        return f[f["finding"].fillna(False).astype(bool)].sort_values("q_value",
                                                                       kind="stable")

    def to_dict(self, *, units: str = "metric") -> dict[str, Any]:
        """The JSON object of ``runback factors`` (docs/cli-contract.md); NaN is None."""
        from runback import display

        keys = ("factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
                "n_onsets", "description")
        rows = [{k: _plain(rec[k]) for k in keys}
                for rec in self.factors[list(keys)].to_dict("records")]
        return {
            "n_onsets": int(self.n_onsets),
            "onsets": [d.isoformat() for d in self.onsets],
            "power": self.power,
            "window_days": int(self.window_days),
            "washout_days": int(self.washout_days),
            "method": self.method,
            "factors": rows,
            "findings": [{k: _plain(v) for k, v in item.items()}
                         for item in display.findings(self, units=units)],
            "red_flags": list(self.red_flags),
            "warnings": list(self.warnings),
        }


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def _strata_arrays(design: pd.DataFrame, columns: list[str]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(S, M, p) covariates and (S, M) validity, case first in every stratum."""
    d = design.sort_values(["stratum", "case"], ascending=[True, False], kind="stable")
    strata, pos_s = np.unique(d["stratum"].to_numpy(), return_inverse=True)
    member = d.groupby("stratum", sort=True).cumcount().to_numpy()
    n_m = int(member.max()) + 1 if len(d) else 1
    x = np.full((len(strata), n_m, len(columns)), np.nan)
    valid = np.zeros((len(strata), n_m), dtype=bool)
    x[pos_s, member] = d[columns].to_numpy(dtype=float, na_value=np.nan)
    valid[pos_s, member] = True
    first_is_case = np.zeros(len(strata), dtype=bool)
    first_is_case[pos_s[member == 0]] = d["case"].to_numpy(dtype=bool)[member == 0]
    valid[~first_is_case] = False
    return x, valid


#: The time trend's unit: its term is the days from the onset over this [d] (4 weeks).
TREND_STEP_D = 28.0
#: Knots of the piecewise-linear recovery terms in days since the last flare-up [d].
RECOVERY_KNOTS = (14.0, 42.0)


def _recovery(design: pd.DataFrame) -> dict[str, np.ndarray]:
    """Piecewise-linear terms in days since the last flare-up (knots at 14 and 42 d)."""
    v = design["days_since_flare"].to_numpy(dtype=float, na_value=np.nan)
    a, b = RECOVERY_KNOTS
    return {"days_since_flare": np.minimum(v, a) / 7.0,
            "days_since_flare_2": np.clip(v - a, 0, b - a) / 14.0,
            "days_since_flare_3": np.clip(v - b, 0, None) / DAYS_SINCE_STEP}


def _covariate(design: pd.DataFrame, name: str, sds: dict[str, Any]) -> np.ndarray:
    if name.startswith("days_since_flare"):
        return _recovery(design)[name]
    if name == "days_from_onset":
        return design[name].to_numpy(dtype=float, na_value=np.nan) / TREND_STEP_D
    v = design[name].to_numpy(dtype=float, na_value=np.nan)
    factor = BY_NAME.get(name)
    if factor is not None and factor.kind == "binary":
        return v
    sd = sds.get(name, 1.0)
    sd = 1.0 if sd is None or not np.isfinite(sd) else sd
    sign = factor.sign if factor is not None else 1
    return sign * v / sd if sd > 0 else v * np.nan


def _varies(x: np.ndarray, valid: np.ndarray) -> bool:
    """Whether the covariate differs between a case and any of its referents."""
    diff = np.where(valid[:, 1:] & valid[:, :1], np.abs(x[:, 1:] - x[:, :1]), 0.0)
    return bool(np.nansum(diff) > 1e-9)


def _blank_row(factor: Factor, source: Source | None, sd: float) -> dict[str, Any]:
    return {"factor": factor.name, "odds_ratio": np.nan, "ci_low": np.nan, "ci_high": np.nan,
            "p_value": np.nan, "n_onsets": 0, "method": "none",
            "column": source.column if source else pd.NA,
            "quantity": source.quantity if source else pd.NA,
            "step": source.step if source else np.nan, "sd": sd,
            "kind": factor.kind, "exploratory": factor.exploratory, "claim": factor.claim,
            "topic": source.topic if source else factor.name.replace("_", " "),
            "more": source.more if source else "", "less": source.less if source else "",
            "sign": factor.sign,
            "reason": "", "coef": np.nan, "se": np.nan, "effect": np.nan,
            "effect_low": np.nan, "effect_high": np.nan, "adjusted_for": "",
            "n_referents": 0}


def _fit_group(design: pd.DataFrame, group: list[Factor], sds: dict[str, Any],
               sources: dict[str, Any], base_set: Sequence[str] = BASE
               ) -> list[dict[str, Any]]:
    """Fit one model; each fitted row keeps what its interval needs under ``_profile``."""
    rows = {f.name: _blank_row(f, sources.get(f.name), sds.get(f.name, np.nan))
            for f in group}
    present = []
    for f in group:
        if sources.get(f.name) is None and f.name in sources:
            cols = ", ".join(f.columns)
            rows[f.name]["reason"] = f"no data (columns {cols} are missing or empty)"
        elif f.name not in design.columns:
            rows[f.name]["reason"] = "no data"
        elif f.kind == "continuous" and not (sds.get(f.name, 1.0) or 0) > 0:
            rows[f.name]["reason"] = "no variation in the exposure"
        else:
            present.append(f.name)
    names = {f.name for f in group}
    base = [b for b in base_set if b not in names and b in design.columns
            and design[b].notna().any()]
    if "days_since_flare" in base:
        # the recovery terms stay together, before the time trend
        at = base.index("days_since_flare") + 1
        base[at:at] = ["days_since_flare_2", "days_since_flare_3"]
    columns = present + base
    if not present or design.empty:
        for name in present:
            rows[name]["reason"] = "no flare-up with a usable exposure and comparison day"
        return list(rows.values())
    cov = pd.DataFrame({c: _covariate(design, c, sds) for c in columns})
    cov["stratum"], cov["case"] = design["stratum"].to_numpy(), design["case"].to_numpy()
    x, valid = _strata_arrays(cov, columns)
    keep = []
    for j, c in enumerate(columns):
        xs, vs = model.prepare(x[..., j:j + 1], valid)
        if xs.shape[0] and _varies(xs[..., 0], vs):
            keep.append(j)
        elif c in present:
            rows[c]["reason"] = ("no flare-up with a usable exposure and comparison day"
                                 if xs.shape[0] == 0 else
                                 "no variation between flare-up days and their comparison "
                                 "days")
    columns = [columns[j] for j in keep]
    x = x[..., keep]
    fitted = [c for c in columns if c in present]
    if not fitted:
        return list(rows.values())
    xs, vs = model.prepare(x, valid)
    if xs.shape[0] == 0:
        for c in fitted:
            rows[c]["reason"] = "no flare-up with a usable exposure and comparison day"
        return list(rows.values())
    # terms the strata can carry: the factors first, then the base set in order
    allowed = max(len(fitted), xs.shape[0] // STRATA_PER_TERM)
    while True:
        use = [j for j, c in enumerate(columns) if c in fitted][:allowed]
        use += [j for j, c in enumerate(columns) if c not in fitted][:max(0, allowed - len(use))]
        use.sort()
        xs, vs = model.prepare(x[..., use], valid)
        full = model.fit(xs, vs)
        if full.converged or allowed <= len(fitted):
            break
        allowed -= 1
    columns = [columns[j] for j in use]
    if not full.converged:
        for c in fitted:
            rows[c]["reason"] = "too few flare-ups to fit this model"
        return list(rows.values())
    n_on, n_ref = int(xs.shape[0]), int(vs[:, 1:].sum())
    for c in fitted:
        k = columns.index(c)
        row = rows[c]
        _, p = model.lr_test(xs, vs, full, k)
        b = float(full.coef[k])
        others = dict.fromkeys(_ADJUSTMENT_WORDS.get(o, o.replace("_", " "))
                               for o in columns if o != c)
        row.update({"coef": b, "se": float(full.se[k]), "p_value": p, "n_onsets": n_on,
                    "n_referents": n_ref, "method": "firth-clogit",
                    "adjusted_for": ", ".join(others), "odds_ratio": _exp(b)})
        factor = BY_NAME.get(c) or next(f for f in group if f.name == c)
        sd, step = row["sd"], row["step"]
        scale = 1.0
        if factor.kind == "continuous":
            scale = step / sd if np.isfinite(step) and np.isfinite(sd) and sd > 0 else np.nan
        row["effect"] = _exp(b * scale)
        row["_profile"] = (xs, vs, full, k, scale)
    return list(rows.values())


#: How adjustment terms read in ``adjusted_for``.
_ADJUSTMENT_WORDS = {"distance": "running distance",
                     "days_since_flare": "days since the last flare-up",
                     "days_since_flare_2": "days since the last flare-up",
                     "days_since_flare_3": "days since the last flare-up",
                     "days_from_onset": "the time trend"}


def _interval(row: dict[str, Any]) -> None:
    """Fill a fitted row's profile interval, on both scales."""
    xs, vs, full, k, scale = row.pop("_profile")
    lo, hi = model.profile_interval(xs, vs, full, k)
    row["ci_low"], row["ci_high"] = _exp(lo), _exp(hi)
    row["effect_low"], row["effect_high"] = _exp(lo * scale), _exp(hi * scale)


def _exp(v: float) -> float:
    """exp(v) with -inf -> 0, +inf -> inf and no overflow error."""
    with np.errstate(over="ignore"):
        return float(np.exp(v))


def _sizable(row: dict[str, Any]) -> str:
    """Empty when the data can size the estimate, else why not."""
    orr, lo, hi = row["odds_ratio"], row["ci_low"], row["ci_high"]
    if not (np.isfinite(orr) and np.isfinite(lo) and np.isfinite(hi)) or lo <= 0:
        return "too few flare-ups to size this: the interval is unbounded"
    if orr > MAX_OR or orr < 1 / MAX_OR:
        return "too few flare-ups to size this: the estimate is absurdly large"
    if math.log10(hi / lo) > MAX_CI_DECADES:
        return "too few flare-ups to size this: the interval is too wide"
    return ""


def fit_design(design: pd.DataFrame, *, factors: Iterable[Factor | str] | None = None,
               fdr: float = FDR, ci: bool | str = True, adjust: bool = True
               ) -> FactorResult:
    """Fit every factor's model on a case-crossover design and choose the findings.

    Parameters
    ----------
    design : DataFrame
        :func:`runback.factors.case_crossover_design` output, or a pooled design (strata
        unique across athletes, exposures already in each athlete's SD: then
        ``attrs["sd"]`` is absent or 1).
    factors : iterable of Factor or str, optional
        Default: every factor with a column in ``design``.
    fdr : float
        False discovery rate for findings (default 0.10).
    ci : bool or "flagged"
        Compute every profile interval (default), none (then nothing is a finding), or
        only those of factors with q <= ``fdr`` (``"flagged"``: the findings are the same,
        much faster; for calibration runs).
    adjust : bool
        Fit the adjusted models (default); False fits each factor alone, as the earlier
        design did (the calibration benchmark's baseline).

    Returns
    -------
    FactorResult
    """
    if factors is None:
        chosen = [f for f in BY_NAME.values() if f.name in design.columns]
    else:
        chosen = resolve_factors(factors)
    sds = dict(design.attrs.get("sd", {}))
    sources = dict(design.attrs.get("source", {}))
    if not sources:
        # a pooled design is in each athlete's SD already: effects per SD, no runner unit
        sources = {f.name: dataclasses.replace(f.sources[0], step=math.nan) for f in chosen}
        sds = sds or {f.name: 1.0 for f in chosen}
    done: dict[str, dict[str, Any]] = {}
    for f in chosen:
        if f.name in done:
            continue
        group = [BY_NAME[g] if g in BY_NAME else f for g in model_of(f.name)]
        group = [g for g in group if g.name == f.name or g.name in {c.name for c in chosen}]
        if not adjust:
            group = [f]
        for row in _fit_group(design, group, sds, sources, BASE if adjust else ()):
            done[row["factor"]] = row
    rows = [done[f.name] for f in chosen]
    family = np.array([not r["exploratory"] for r in rows], dtype=bool)
    q = np.full(len(rows), np.nan)
    q[family] = benjamini_hochberg(np.array([r["p_value"] for r in rows], dtype=float)[family])
    for r, qv in zip(rows, q, strict=True):
        if "_profile" in r:
            if ci is True or (ci == "flagged" and qv <= fdr):
                _interval(r)
            else:
                del r["_profile"]
    table = pd.DataFrame(rows)
    table["q_value"] = q
    used: list[Any] = (list(design.loc[design["case"].astype(bool), "onset"])
                       if len(design) else [])
    n_onsets = int(pd.Series(design.loc[design["case"].astype(bool), "stratum"]).nunique()
                   ) if len(design) else 0
    power = power_label(n_onsets)
    why = []
    records: list[dict[str, Any]] = [{str(k): v for k, v in rec.items()}
                                     for rec in table.to_dict("records")]
    for r in records:
        if r["exploratory"] or not (r["q_value"] <= fdr):
            why.append("")
        elif n_onsets < MIN_ONSETS_FINDING:
            why.append(f"only {n_onsets} flare-ups: descriptive only")
        elif not ci:
            why.append("no interval computed")
        elif (s := _sizable(r)):
            why.append(s)
        elif not (r["ci_low"] > 1 or r["ci_high"] < 1):
            why.append("its interval includes no effect")
        else:
            why.append("")
    table["why_not"] = why
    table["finding"] = [bool(not w and not r["exploratory"] and r["q_value"] <= fdr)
                        for w, r in zip(why, table.to_dict("records"), strict=True)]
    warnings = list(design.attrs.get("warnings", []))
    counts = design.attrs.get("counts", {})
    if counts.get("onsets", n_onsets) == 0:
        warnings.append("the data hold no flare-up onset: there is nothing to compare")
    elif n_onsets and power != "adequate":
        warnings.append(f"{n_onsets} usable flare-up{'s' if n_onsets != 1 else ''}: results "
                        f"are {power}; read the confidence intervals, not the p-values")
    for rec in table.to_dict("records"):
        if isinstance(rec["reason"], str) and rec["reason"]:
            warnings.append(f"{rec['factor']}: {rec['reason']}")
    window = int(design.attrs.get("window_days", 3))
    washout = int(design.attrs.get("washout_days", WASHOUT_D))
    rule = design.attrs.get("washout_rule", f"{washout} days")
    table["window"] = f"d-{window}..d-1"
    from runback import display

    table["description"] = [display.factor_description(r, window_days=window,
                                                       n_family=int(np.isfinite(q).sum()))
                            for r in table.to_dict("records")]
    table = schema.conform(table, "factors")
    onset_dates = sorted({pd.Timestamp(d).date() for d in used})
    scheme = ("same weekday of the same calendar month"
              if design.attrs.get("referents") == "month"
              else "same weekday, up to 8 weeks before and after")
    method = (f"case-crossover (referents: {scheme}; days at risk: outside every flare-up "
              f"and the washout after it, {rule}, with the whole window logged), hazard "
              f"window d-{window}..d-1, Firth-penalised "
              f"conditional logistic regression adjusted for "
              f"running distance, the days since the last flare-up and, with enough "
              f"flare-ups, the time trend around each onset (acute with chronic load; "
              f"climb, descent and uneven terrain together), profile-likelihood 95 % CIs, "
              f"penalised likelihood-ratio p, Benjamini-Hochberg q over "
              f"{int(np.isfinite(q).sum())} pre-specified factors at {fdr:g}")
    return FactorResult(n_onsets, onset_dates, power, window, method, table, warnings,
                        washout_days=washout)


def case_crossover(daily: pd.DataFrame, *, window_days: int = 3,
                   washout_days: int | str = "auto",
                   factors: Iterable[Factor | str] | None = None, require_logged: bool = True,
                   fdr: float = FDR, ci: bool | str = True, referents: str = "weeks"
                   ) -> FactorResult:
    """Time-stratified case-crossover analysis of which factors come before flare-ups.

    Parameters
    ----------
    daily : DataFrame
        The daily table (schema.py): ``date``, ``flare_onset``, ``in_flare``, ``logged``
        and the factors' columns.
    window_days : int
        Hazard window d-w..d-1 [d]. Default 3 (soreness up to 72 h after a workout).
    washout_days : int or "auto"
        Days after each flare-up that are not at risk [d]. Default ``auto``: the runner's
        own return to normal training, estimated from the weeks after their flare-ups
        (at least 14 days), else 21.
    factors : iterable of Factor or str, optional
        Default the whole family.
    require_logged : bool
        Days whose window is not logged are not at risk.
    fdr : float
        False discovery rate for findings.
    ci : bool or "flagged"
        As in :func:`fit_design`.
    referents : {"weeks", "month"}
        Referent scheme (:func:`runback.factors.design.referent_days`): the same weekday
        up to 8 weeks before and after (default), or of the same calendar month.

    Returns
    -------
    FactorResult

    Raises
    ------
    SchemaError
        When ``daily`` lacks ``date`` or ``flare_onset``.
    """
    chosen = resolve_factors(factors)
    design = case_crossover_design(daily, window_days=window_days, washout_days=washout_days,
                                   factors=chosen, require_logged=require_logged,
                                   referents=referents)
    return fit_design(design, factors=chosen, fdr=fdr, ci=ci)


def sensitivity_grid(daily: pd.DataFrame, pain_daily: pd.DataFrame, *,
                     ks: Sequence[float] = (1.5, 2.0, 3.0),
                     windows: Sequence[int] = (1, 3, 7),
                     washouts: Sequence[int] = (14, 21, 28),
                     factors: Iterable[Factor | str] | None = None,
                     find_flares: Any = None, k: float = 2.0, window_days: int = 3,
                     washout_days: int | str = "auto") -> pd.DataFrame:
    """Re-run :func:`case_crossover` varying one choice at a time.

    The flare threshold k over ``ks``, the hazard window over ``windows`` and the washout
    over ``washouts``, each with the other two at their defaults.

    Returns
    -------
    DataFrame
        Columns k, window_days, washout_days, window, factor, odds_ratio, ci_low, ci_high,
        p_value, q_value, n_onsets, method.
    """
    if find_flares is None:
        from runback.pain import find_flares
    cols = ["factor", "window", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
            "n_onsets", "method"]
    runs = [(float(kk), window_days, washout_days) for kk in ks]
    runs += [(float(k), w, washout_days) for w in windows]
    runs += [(float(k), window_days, wo) for wo in washouts]
    parts = []
    marked: dict[float, pd.DataFrame] = {}
    for kk, w, wo in dict.fromkeys(runs):
        if kk not in marked:
            marked[kk] = mark_flares(daily, find_flares(pain_daily, k=kk))
        res = case_crossover(marked[kk], window_days=w, washout_days=wo, factors=factors,
                             ci=False)
        part = res.factors[cols].copy()
        part.insert(0, "washout_days", wo)
        part.insert(0, "window_days", w)
        part.insert(0, "k", kk)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["k", "window_days", "washout_days", *cols])
    return pd.concat(parts, ignore_index=True)
