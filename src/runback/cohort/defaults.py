"""The cohort's settings: hazard window, washout, false discovery rate, the limits of the
meta-analysis and the tables ``--tables`` writes.
"""

from __future__ import annotations

#: Tables ``--tables`` writes, one Parquet dataset each, partitioned by athlete.
TABLES = ("activities", "daily", "weekly")
#: Hazard window [d] and washout after a flare-up [d], or "auto": each athlete's own return
#: to normal training, estimated by the factor engine (docs/methods.md section 6). A fixed
#: 21 days left acute and chronic load biased in the pooled null cohorts of
#: tests/test_cohort.py (a false finding in 2 of 10); each athlete's own washout left 1.
WINDOW_D = 3
WASHOUT_D: int | str = "auto"
#: False discovery rate of the cohort's one family. Half the single runner's 0.10: under the
#: null, Benjamini-Hochberg at q lets some finding through in about q of all cohorts, and a
#: pooled claim reaches a whole squad. On simulated null cohorts of 24 athletes, 0.10 gave a
#: finding in 7.5-15 % of them (docs/methods.md section 6, "Pooling athletes").
FDR = 0.05
#: Z for a two-sided 95 % interval.
Z95 = 1.959963984540054
#: A per-athlete |log OR| per SD beyond this, or a standard error beyond MAX_SE, is not
#: sized by the athlete's data and stays out of the meta-analysis.
MAX_LOG_OR = 7.0
MAX_SE = 5.0
