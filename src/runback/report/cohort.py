"""The cohort page: pooled findings with a forest plot each, heterogeneity, data quality.

One self-contained page (charts inline as SVG, nothing fetched): the findings first, in the
words of :class:`~runback.cohort.CohortResult`, each with a forest plot of every athlete's
shrunk estimate around the pooled one; then the pooled table with tau² and I²; then one
data-quality row per athlete (what was imported, whether a diary was found, what went
wrong).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np
from markupsafe import Markup
from matplotlib.figure import Figure

from runback import __version__, plots
from runback.display import ratio_text
from runback.factors.rows import EstimateRow
from runback.report.render import environment

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from runback.cohort.pooled import CohortResult

__all__ = ["plot_forest", "render_cohort"]


def plot_forest(result: CohortResult, factor: str, ax: Axes | None = None) -> Axes:
    """Forest plot of one factor: each athlete's shrunk odds ratio with its 95 % CI, the
    athlete's own estimate as a hollow mark, and the pooled estimate as a band.

    Parameters
    ----------
    result : CohortResult
        The pooled analysis.
    factor : str
        Factor name.
    ax : Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    Axes
    """
    rows = result.athletes[result.athletes["factor"] == factor]
    rows = rows.dropna(subset=["odds_ratio"]).iloc[::-1]
    if ax is None:
        fig = Figure(figsize=(6.0, 1.2 + 0.22 * max(1, len(rows))), layout="constrained")
        ax = fig.add_subplot()
    y = np.arange(len(rows))
    ax.set_xscale("log")
    # a factor's row: factor names are unique in the pooled table
    pooled = cast("pd.Series", result.factors.set_index("factor").loc[factor])
    if math.isfinite(pooled["odds_ratio"]):
        ax.axvspan(pooled["ci_low"], pooled["ci_high"], color="#9ecae1", alpha=0.5,
                   label="pooled 95 % CI")
        ax.axvline(pooled["odds_ratio"], color="#08519c", lw=1.5, label="pooled")
    ax.axvline(1.0, color="#555", lw=0.8, ls="--")
    if len(rows):
        lo = rows["odds_ratio"] - rows["ci_low"]
        hi = rows["ci_high"] - rows["odds_ratio"]
        ax.errorbar(rows["odds_ratio"], y, xerr=[lo, hi], fmt="o", color="#333", ms=4,
                    capsize=2, label="athlete (shrunk)")
        own = rows["own_odds_ratio"].to_numpy(dtype=float)
        ok = np.isfinite(own) & (own > 0)
        ax.plot(own[ok], y[ok], "o", mfc="none", color="#d95f0e", ms=5, label="athlete alone")
        ax.set_yticks(y, [str(a) for a in rows["athlete"]])
    ax.set_xlabel(f"odds ratio, {factor.replace('_', ' ')} (per athlete's own SD)")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def _svg(result: CohortResult, factor: str) -> Markup:
    ax = plot_forest(result, factor)
    fig = ax.figure
    assert isinstance(fig, Figure)  # plot_forest made it
    return Markup(plots.figure_svg(fig, title=f"forest plot: {factor}",
                                   id_prefix=f"forest-{factor}-"))


def _ratio(v: float) -> str:
    return ratio_text(v)


def _num(v: float | None, fmt: str = "{:.2f}") -> str:
    return "-" if v is None or (isinstance(v, float) and not math.isfinite(v)) else fmt.format(v)


class _PooledRow(EstimateRow, Protocol):
    """A row of :attr:`CohortResult.factors` (``itertuples``)."""

    @property
    def n_athletes(self) -> int: ...
    @property
    def tau2(self) -> float: ...
    @property
    def i2(self) -> float: ...


def _pooled_row(row: object) -> _PooledRow:
    return cast(_PooledRow, row)


def render_cohort(result: CohortResult, *, title: str | None = None) -> str:
    """The cohort page.

    Parameters
    ----------
    result : CohortResult
        The pooled analysis.
    title : str, optional
        Page title (default "Cohort analysis").

    Returns
    -------
    str
        The HTML.
    """
    findings = [{**f, "svg": _svg(result, f["factor"])} for f in result.findings]
    factors = [{"factor": r.factor.replace("_", " "),
                "or": _ratio(r.odds_ratio), "ci": f"{_ratio(r.ci_low)} to {_ratio(r.ci_high)}",
                "p": _num(r.p_value, "{:.3f}"), "q": _num(r.q_value, "{:.3f}"),
                "onsets": int(r.n_onsets), "athletes": int(r.n_athletes),
                "tau2": _num(r.tau2, "{:.3f}"),
                "i2": "-" if not math.isfinite(r.i2) else f"{100 * r.i2:.0f} %"}
               for r in map(_pooled_row, result.factors.itertuples())]
    quality = [{k: ("-" if v is None or (isinstance(v, float) and math.isnan(v)) else v)
                for k, v in row.items()} for row in result.quality.to_dict("records")]
    return environment().get_template("cohort.html.j2").render(
        title=title or "Cohort analysis", result=result, findings=findings, factors=factors,
        quality=quality, version=__version__)
