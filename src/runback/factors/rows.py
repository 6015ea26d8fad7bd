"""A row of a factor table as code reads it from ``DataFrame.itertuples``.

pandas types every field of such a row as a union of all scalars; a loop casts its row to a
protocol naming the columns it reads. :class:`EstimateRow` holds the columns every factor
table has (``runback factors``, a cohort's pooled table); a table with more extends it.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["EstimateRow"]


class EstimateRow(Protocol):
    """A factor's estimate: odds ratio per SD with its 95 % interval, p, q and onsets used."""

    @property
    def factor(self) -> str: ...
    @property
    def odds_ratio(self) -> float: ...
    @property
    def ci_low(self) -> float: ...
    @property
    def ci_high(self) -> float: ...
    @property
    def p_value(self) -> float: ...
    @property
    def q_value(self) -> float: ...
    @property
    def n_onsets(self) -> int: ...
