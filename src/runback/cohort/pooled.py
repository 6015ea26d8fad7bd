"""The pooled model: one fit over every athlete's strata, a DerSimonian-Laird
meta-analysis of their log odds ratios, and each athlete's estimate shrunk toward the
pooled mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypedDict, cast

import numpy as np
import pandas as pd

from runback.cohort.defaults import FDR, MAX_LOG_OR, MAX_SE, WINDOW_D, Z95
from runback.cohort.fit import _blank_fit, _fit_table
from runback.cohort.outcome import AthleteOutcome
from runback.factors.rows import EstimateRow


class Finding(TypedDict):
    """A pooled finding, in words and figures (:attr:`CohortResult.findings`)."""

    factor: str
    effect: float  # pooled odds ratio [1]
    unit: str  # what the odds ratio is per
    ci_low: float  # 95 % CI [1]
    ci_high: float
    q_value: float
    tau2: float  # between-athlete variance [log OR^2]
    i2: float  # share of the spread that is heterogeneity [1]
    sentence: str


class _Meta(TypedDict):
    k: int  # athletes with an estimate
    mu: float  # random-effects mean [log OR]
    var_mu: float  # its variance [log OR^2]
    tau2: float  # [log OR^2]
    i2: float  # [1]


class _PooledRow(EstimateRow, Protocol):
    """A row of the pooled fit table (``itertuples``), as :func:`_finding` reads it."""

    @property
    def tau2(self) -> float: ...
    @property
    def i2(self) -> float: ...
    @property
    def more(self) -> str: ...
    @property
    def less(self) -> str: ...


def shrink(y: np.ndarray, v: np.ndarray, mu: float, var_mu: float,
           tau2: float) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes estimates of each athlete's log odds ratio.

    ``theta_i = mu + B_i (y_i - mu)`` with ``B_i = tau2 / (tau2 + v_i)``; variance
    ``B_i v_i + (1 - B_i)^2 var_mu`` (Morris 1983: the pooled mean's own uncertainty
    included). An athlete without an estimate (NaN ``y``) gets the prediction for a new
    athlete: ``mu`` with variance ``tau2 + var_mu``.

    Parameters
    ----------
    y, v : ndarray
        Athletes' log odds ratios and their variances. [log OR], [log OR^2]
    mu, var_mu : float
        Random-effects mean and its variance.
    tau2 : float
        Between-athlete variance. [log OR^2]

    Returns
    -------
    (ndarray, ndarray)
        Shrunk log odds ratios and their variances.
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    ok = np.isfinite(y) & np.isfinite(v)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(ok, tau2 / (tau2 + v), 0.0)
    theta = np.where(ok, mu + b * (np.where(ok, y, 0.0) - mu), mu)
    var = np.where(ok, b * np.where(ok, v, 0.0) + (1 - b) ** 2 * var_mu, tau2 + var_mu)
    return theta, var


def _meta(y: np.ndarray, v: np.ndarray) -> _Meta:
    """DerSimonian-Laird random-effects meta-analysis of log odds ratios.

    Cochran's Q and the DerSimonian-Laird moment estimate come from statsmodels
    ``combine_effects``; statsmodels leaves a negative estimate as it is, so tau^2 is
    truncated at 0 here, as DerSimonian and Laird define it, and the random-effects mean
    and I^2 = max(0, (Q - df) / Q) follow from the truncated value.
    """
    from statsmodels.stats.meta_analysis import combine_effects

    ok = np.isfinite(y) & np.isfinite(v) & (v > 0)
    k = int(ok.sum())
    if k < 2:
        return {"k": k, "mu": math.nan, "var_mu": math.nan, "tau2": math.nan, "i2": math.nan}
    with np.errstate(invalid="ignore", divide="ignore"):
        res = combine_effects(y[ok], v[ok], method_re="dl")
    tau2 = max(0.0, float(res.tau2))
    w = 1.0 / (v[ok] + tau2)
    q = float(res.q)
    return {"k": k, "mu": float((w * y[ok]).sum() / w.sum()), "var_mu": float(1.0 / w.sum()),
            "tau2": tau2, "i2": max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0}


@dataclass
class CohortResult:
    """The pooled analysis of a cohort.

    Attributes
    ----------
    n_athletes : int
        Athletes analysed (with a diary and at least one usable onset).
    n_onsets : int
        Strata of the pooled model (athlete x onset).
    power : str
        ``descriptive only``, ``underpowered`` or ``adequate`` (by pooled onsets).
    method : str
        The model in words.
    factors : DataFrame
        factor, odds_ratio, ci_low, ci_high, p_value, q_value, n_onsets, n_athletes, tau2,
        i2, coef, se, meta_odds_ratio (the random-effects mean).
    athletes : DataFrame
        One row per athlete and factor: athlete, factor, n_onsets, odds_ratio, ci_low,
        ci_high (shrunk), own_odds_ratio, own_ci_low, own_ci_high, own_q_value.
    quality : DataFrame
        One row per athlete: the data-quality table.
    findings : list of dict
        factor, effect, unit, ci_low, ci_high, q_value, tau2, i2, sentence.
    warnings : list of str
    """

    n_athletes: int
    n_onsets: int
    power: str
    method: str
    factors: pd.DataFrame
    athletes: pd.DataFrame
    quality: pd.DataFrame
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The JSON object of ``runback cohort`` (cli-contract.md); NaN becomes None."""
        keys = ("factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
                "n_onsets", "n_athletes", "tau2", "i2")
        akeys = ("factor", "odds_ratio", "ci_low", "ci_high", "own_odds_ratio", "own_ci_low",
                 "own_ci_high", "own_q_value")
        athletes: list[dict[str, object]] = []
        for name in self.quality["athlete"]:
            rows = self.athletes[self.athletes["athlete"] == name]
            n = int(self.quality.loc[self.quality["athlete"] == name, "onsets"].iloc[0])
            athletes.append({"athlete": name, "n_onsets": n,
                             "factors": [{k: _plain(r[k]) for k in akeys}
                                         for r in rows.to_dict("records")]})
        return {
            "n_athletes": int(self.n_athletes),
            "n_onsets": int(self.n_onsets),
            "power": self.power,
            "method": self.method,
            "factors": [{k: _plain(r[k]) for k in keys}
                        for r in self.factors.to_dict("records")],
            "athletes": athletes,
            "findings": [{k: _plain(v) for k, v in f.items()} for f in self.findings],
            "warnings": list(self.warnings),
        }


def _plain(v: object) -> object:
    """``v`` as a JSON value: numpy scalars as Python ones, NA and non-finite as None."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _q_text(q: float) -> str:
    return "< 0.001" if q < 0.001 else f"= {q:.3f}" if q < 0.01 else f"= {q:.2f}"


def _finding(row: _PooledRow, n_athletes: int, n_onsets: int) -> Finding:
    from runback.display import ratio_text
    from runback.factors import BY_NAME

    f = BY_NAME[row.factor]
    unit = "exposed vs not" if f.kind == "binary" else (
        "per athlete's own SD less" if f.sign < 0 else "per athlete's own SD")
    did = str(row.more if row.ci_low > 1 else row.less).replace("your ", "their ")
    sentence = (f"Across {n_athletes} athletes and {n_onsets} flare-ups, in the days before a "
                f"flare-up runners {did} than on comparable days "
                f"(odds ratio {ratio_text(row.odds_ratio)} {unit}, 95 % CI "
                f"{ratio_text(row.ci_low)} to {ratio_text(row.ci_high)}, q "
                f"{_q_text(row.q_value)}). This is an association, not proof of cause.")
    if math.isfinite(row.i2):
        spread = ("The athletes differ little" if row.i2 < 0.3 else
                  "The athletes differ" if row.i2 < 0.6 else "The athletes differ a lot")
        sentence += f" {spread} in this (I² = {100 * row.i2:.0f} %)."
    return {"factor": row.factor, "effect": float(row.odds_ratio), "unit": unit,
            "ci_low": float(row.ci_low), "ci_high": float(row.ci_high),
            "q_value": float(row.q_value), "tau2": row.tau2, "i2": row.i2,
            "sentence": sentence}


def _window_of(parts: list[pd.DataFrame]) -> int:
    return int(parts[0].attrs.get("window_days", WINDOW_D)) if parts else WINDOW_D


def pool(outcomes: Sequence[AthleteOutcome], *, fdr: float = FDR) -> CohortResult:
    """The pooled model over the athletes' designs, with heterogeneity and shrinkage.

    Strata are athlete x onset (each athlete's own referents), exposures are already per
    each athlete's person-SD; the pooled fit uses the factor engine; q-values are
    Benjamini-Hochberg over the one family of the whole cohort. Each factor's athletes
    with a sized estimate enter a DerSimonian-Laird meta-analysis (tau^2, I^2), and every
    athlete's estimate is shrunk toward its random-effects mean (:func:`shrink`).

    Parameters
    ----------
    outcomes : sequence of AthleteOutcome
        What the athletes' tasks handed back, in the order to show.
    fdr : float
        False discovery rate of a finding. Default :data:`~runback.cohort.defaults.FDR` (0.05).

    Returns
    -------
    CohortResult
    """
    from runback.factors import fit_design, power_label
    warnings: list[str] = []
    parts, quality = [], []
    for i, o in enumerate(outcomes):
        warnings += o.warnings
        if o.error is not None:
            warnings.append(f"{o.name}: not analysed: {o.error}")
        elif not o.has_diary:
            pass
        elif o.n_onsets == 0:
            warnings.append(f"{o.name}: no flare-up with a comparison day: not in the pooled "
                            "model")
        if o.design is not None and o.n_onsets:
            d = o.design.copy()
            d["stratum"] = i * 100_000 + d["stratum"].astype("int64")
            d.insert(0, "athlete", o.name)
            parts.append(d)
        quality.append({"athlete": o.name, "source": o.where,
                        "diary": "yes" if o.has_diary else "no",
                        **{k: o.quality.get(k) for k in ("activities", "runs", "first_day",
                                                         "last_day", "days_logged",
                                                         "flare_ups", "skipped")},
                        "onsets": o.n_onsets, "problem": o.error or ""})
    no_diary = [o.name for o in outcomes if o.error is None and not o.has_diary]
    if no_diary:
        warnings.append(f"no pain diary for {', '.join(no_diary)}: left out of the factor "
                        "analysis")
    design = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["athlete", "stratum", "case", "date"])
    n_onsets = int(design.loc[design["case"].astype(bool), "stratum"].nunique()) \
        if len(design) else 0
    n_athletes = len(parts)
    if n_onsets:
        pooled_design = design.drop(columns=["athlete"])
        pooled_design.attrs = {"window_days": _window_of(parts),
                               "referents": parts[0].attrs.get("referents", "weeks")}
        pooled = _fit_table(fit_design(pooled_design, fdr=fdr))
    else:
        pooled = _blank_fit()
        warnings.append("no athlete has a flare-up with a comparison day: there is nothing "
                        "to pool")
    rows_a = []
    extra: dict[str, list[float]] = {c: [] for c in ("n_athletes", "tau2", "i2",
                                                     "meta_odds_ratio")}
    for f in pooled["factor"]:
        ys: list[float] = []
        vs: list[float] = []
        names: list[str] = []
        own: list[pd.Series | None] = []
        for o in outcomes:
            if o.fit is None or o.n_onsets == 0:
                continue
            r = o.fit[o.fit["factor"] == f]
            coef = float(r["coef"].iloc[0]) if len(r) else math.nan
            se = float(r["se"].iloc[0]) if len(r) else math.nan
            if not (math.isfinite(coef) and math.isfinite(se) and abs(coef) <= MAX_LOG_OR
                    and se <= MAX_SE):
                coef = se = math.nan
            ys.append(coef)
            vs.append(se * se)
            names.append(o.name)
            own.append(r.iloc[0] if len(r) else None)
        y, v = np.array(ys, dtype=float), np.array(vs, dtype=float)
        m = _meta(y, v)
        extra["n_athletes"].append(int(np.isfinite(y).sum()))
        extra["tau2"].append(m["tau2"])
        extra["i2"].append(m["i2"])
        extra["meta_odds_ratio"].append(math.exp(m["mu"]) if math.isfinite(m["mu"])
                                        else math.nan)
        if math.isfinite(m["mu"]):
            theta, var = shrink(y, v, m["mu"], m["var_mu"], m["tau2"])
        else:
            theta, var = y, v
        for name, t, s2, r in zip(names, theta, var, own, strict=True):
            sd = math.sqrt(s2) if math.isfinite(s2) else math.nan
            rows_a.append({
                "athlete": name, "factor": f,
                "odds_ratio": _exp(t), "ci_low": _exp(t - Z95 * sd),
                "ci_high": _exp(t + Z95 * sd),
                "own_odds_ratio": math.nan if r is None else r["odds_ratio"],
                "own_ci_low": math.nan if r is None else r["ci_low"],
                "own_ci_high": math.nan if r is None else r["ci_high"],
                "own_q_value": math.nan if r is None else r["q_value"],
            })
    for k, vals in extra.items():
        pooled[k] = vals
    quality_df = pd.DataFrame(quality)
    onsets_of = {o.name: o.n_onsets for o in outcomes}
    adf = pd.DataFrame(rows_a, columns=["athlete", "factor", "odds_ratio", "ci_low", "ci_high",
                                        "own_odds_ratio", "own_ci_low", "own_ci_high",
                                        "own_q_value"])
    adf.insert(2, "n_onsets", adf["athlete"].map(onsets_of).astype("int64"))
    power = power_label(n_onsets)
    table = pooled[["factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
                    "n_onsets", "n_athletes", "tau2", "i2", "coef", "se", "meta_odds_ratio"]]
    # the engine's rule: q <= fdr, enough flare-ups, an interval that excludes 1 and that
    # the data can size
    findings = [_finding(cast(_PooledRow, r), n_athletes, n_onsets)
                for r in pooled.itertuples() if bool(r.finding)]
    if power != "adequate" and n_onsets:
        warnings.append(f"{n_onsets} pooled flare-ups: results are {power}; read the "
                        "confidence intervals, not the p-values")
    method = (f"pooled case-crossover over {n_athletes} athletes: strata = athlete x onset "
              "with each athlete's own referents (same weekday, up to 8 weeks before and "
              "after; at risk: outside flare-ups and the washout after them), exposures per "
              "each athlete's own person-SD; Firth-penalised conditional logistic regression "
              "adjusted for running distance, days since the last flare-up and the time "
              "trend around each onset (acute with "
              "chronic load; climb, descent and uneven terrain together), profile-likelihood "
              "95 % CIs, penalised likelihood-ratio p; Benjamini-Hochberg q over the "
              f"cohort's one family of {int(table['p_value'].notna().sum())} factors at "
              f"{fdr:g}; DerSimonian-Laird random-effects meta-analysis of the athletes' log "
              "odds ratios (tau², I²) and empirical-Bayes shrinkage of each athlete's estimate")
    return CohortResult(n_athletes, n_onsets, power, method, table.reset_index(drop=True),
                        adf, quality_df, findings, warnings)


def _exp(v: float) -> float:
    if not math.isfinite(v):
        return math.nan
    return math.exp(min(v, 700.0))
