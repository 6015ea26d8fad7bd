"""Which factors come before flare-ups: a calibrated case-crossover analysis.

The data flow, module by module:

- :mod:`~runback.factors.family`: the candidate factors, their source columns, window
  aggregations, which are estimated together, and their runner units;
- :mod:`~runback.factors.design`: the at-risk rule, referents and window exposures, as a
  long design table (one row per case or referent day);
- :mod:`~runback.factors.model`: the Firth-penalised conditional logit, profile intervals
  and penalised likelihood-ratio tests;
- :mod:`~runback.factors.engine`: fits every model on a design, Benjamini-Hochberg q-values,
  and the rule that makes a factor a finding.

Words live in :mod:`runback.display`. The method, its defaults and why: docs/methods.md
section 6.
"""

from runback.factors.design import (
    MAX_DAYS_SINCE,
    POOLED_WASHOUT_FLOOR,
    WASHOUT_D,
    at_risk,
    case_crossover_design,
    comparison_days,
    estimate_washout,
    mark_flares,
    referent_days,
    resolve_washout,
    window_exposure,
)
from runback.factors.engine import (
    FDR,
    MAX_CI_DECADES,
    MAX_OR,
    MIN_ONSETS_FINDING,
    FactorResult,
    benjamini_hochberg,
    case_crossover,
    fit_design,
    power_label,
    sensitivity_grid,
)
from runback.factors.family import (
    AGGREGATIONS,
    BASE,
    BY_NAME,
    COLD_C,
    FACTORS,
    MODELS,
    Factor,
    Source,
    custom_factor,
    model_of,
)

__all__ = [
    "AGGREGATIONS", "BASE", "BY_NAME", "COLD_C", "FACTORS", "MODELS", "Factor", "Source",
    "custom_factor", "model_of",
    "MAX_DAYS_SINCE", "POOLED_WASHOUT_FLOOR", "WASHOUT_D", "at_risk", "case_crossover_design",
    "comparison_days",
    "estimate_washout", "mark_flares", "referent_days", "resolve_washout", "window_exposure",
    "FDR", "MAX_CI_DECADES", "MAX_OR", "MIN_ONSETS_FINDING", "FactorResult",
    "benjamini_hochberg", "case_crossover", "fit_design", "power_label", "sensitivity_grid",
]
