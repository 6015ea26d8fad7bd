"""The engine: one athlete's case-crossover design, scaled by their own person-SD, and its
fit by the factor engine.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from runback.cohort.defaults import WASHOUT_D, WINDOW_D, Z95

if TYPE_CHECKING:
    from runback.factors import FactorResult

#: Columns of a fit table (one athlete's or the pooled one).
FIT_COLUMNS = ["factor", "coef", "se", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value",
               "n_onsets", "finding", "more", "less", "kind", "sign"]


def _scale(design: pd.DataFrame) -> pd.DataFrame:
    """Exposures divided by the athlete's own person-SD (binary factors stay 0/1).

    ``attrs["sd"]`` becomes 1 for every scaled factor, so the engine does not divide again,
    and stays missing for a factor without data.
    """
    from runback.factors import BY_NAME

    out = design.copy()
    sds = dict(design.attrs.get("sd") or {})
    for name, sd in sds.items():
        factor = BY_NAME.get(name)
        if name not in out or (factor is not None and factor.kind == "binary"):
            continue
        ok = sd is not None and np.isfinite(sd) and sd > 0
        out[name] = out[name] / sd if ok else np.nan
        sds[name] = 1.0 if ok else math.nan
    out.attrs = {**design.attrs, "sd": sds}
    return out


def _fit_table(result: FactorResult) -> pd.DataFrame:
    table = result.factors.copy()
    for c in FIT_COLUMNS:
        if c not in table:
            table[c] = np.nan
    return table[FIT_COLUMNS].reset_index(drop=True)


def _blank_fit() -> pd.DataFrame:
    from runback.factors import FACTORS

    table = pd.DataFrame({"factor": [f.name for f in FACTORS]})
    for c in FIT_COLUMNS[1:]:
        table[c] = np.nan
    table["n_onsets"] = 0
    table["finding"] = False
    return table


def athlete_fit(daily: pd.DataFrame, *, window_days: int = WINDOW_D,
                washout_days: int | str = WASHOUT_D, seed: int = 0
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One athlete's scaled design and own estimates, by the factor engine.

    The athlete's own fit gives the log odds ratio per their person-SD and its standard
    error (what the meta-analysis needs); its interval here is the Wald one, as profile
    intervals for every athlete would cost more than the pooled fit.

    Parameters
    ----------
    daily : DataFrame
        The athlete's daily table.
    window_days : int
        Hazard window. [d]
    washout_days : int or "auto"
        Days after a flare-up that are not at risk [d] (``auto``: the athlete's own).
    seed : int
        The athlete's seed (the engine's fit is deterministic; kept for the permutation
        batches the engine may add).

    Returns
    -------
    (DataFrame, DataFrame)
        The design (exposures per the athlete's person-SD) and the fit table
        (:data:`FIT_COLUMNS`).
    """
    from runback.factors import POOLED_WASHOUT_FLOOR, case_crossover_design, fit_design

    # a pooled model shows biases one season cannot: the washout floor is longer
    design = case_crossover_design(daily, window_days=window_days, washout_days=washout_days,
                                   washout_floor=POOLED_WASHOUT_FLOOR)
    scaled = _scale(design)
    if scaled.empty:
        return scaled, _blank_fit()
    table = _fit_table(fit_design(scaled, ci=False))
    with np.errstate(over="ignore", invalid="ignore"):
        table["ci_low"] = np.exp(table["coef"] - Z95 * table["se"])
        table["ci_high"] = np.exp(table["coef"] + Z95 * table["se"])
    return scaled, table
