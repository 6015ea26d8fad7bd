"""Charts of the factor analysis: the forest plot and the sensitivity heatmap."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from runback.plots.common import (
    LABEL_SIZE,
    NOTE_SIZE,
    PALETTE,
    TICK_SIZE,
    _axes,
    _fmt_or,
    _fmt_q,
    _no_data,
    _num,
    _require,
    _style,
)

if TYPE_CHECKING:
    from runback.factors import FactorResult

#: Diverging colour map of the log odds ratio, centred at OR 1 (red: higher odds).
OR_CMAP = "RdBu_r"
#: Forest plot and heatmap show odds ratios within [1/OR_CLIP, OR_CLIP]; interval ends
#: beyond are clipped and drawn as arrows.
OR_CLIP = 1000.0
#: Pre-specified false discovery rate: factors with q at or below it are marked.
Q_MARK = 0.10


# --------------------------------------------------------------------------- factors


def plot_factors(factors: pd.DataFrame | FactorResult, *, ax: Axes | None = None,
                 q_mark: float = Q_MARK) -> Axes:
    """Forest plot of the factor odds ratios with 95 % intervals on a log axis.

    Factors with ``q_value <= q_mark`` get a filled marker and their q; others an open
    marker. Factors without an estimate are listed in grey with "no estimate". Interval
    ends beyond [1/OR_CLIP, OR_CLIP] (including infinite and zero ends) are clipped at the
    edge and drawn as arrowheads.

    Parameters
    ----------
    factors : DataFrame or FactorResult
        The ``factors`` table (``factor``, ``odds_ratio``, ``ci_low``, ``ci_high``,
        ``q_value``), or a :class:`runback.factors.FactorResult`.
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.
    q_mark : float
        Benjamini-Hochberg q at or below which a factor is marked.

    Returns
    -------
    Axes
        Factor i (table order) sits at y = i, the y axis inverted. Its marker is the Line2D
        with gid ``"or:<factor>"`` (x = odds ratio), its interval the one with gid
        ``"ci:<factor>"``; clipped ends are Line2D with gid ``"clip:<factor>"``.

    References
    ----------
    Lewis S, Clarke M. Forest plots: trying to see the wood and the trees. BMJ
    2001;322:1479-1480.
    """
    table = factors if isinstance(factors, pd.DataFrame) else factors.factors
    ax = _axes(ax, (7, 0.9 + 0.3 * max(len(table), 1)))
    title = "Odds ratio of a flare-up (95 % CI)"
    if len(table) == 0:
        return _no_data(ax, title, "no factors analysed")
    _require(table, ("factor", "odds_ratio"), "factors")
    names = table["factor"].astype("string").fillna("?").tolist()
    orr = _num(table, "odds_ratio")
    lo, hi, q = _num(table, "ci_low"), _num(table, "ci_high"), _num(table, "q_value")
    ok = np.isfinite(orr) & (orr > 0)
    ax.set_xscale("log")
    shown = np.concatenate([orr[ok], lo[ok], hi[ok]])
    shown = shown[np.isfinite(shown) & (shown > 0)]
    shown = np.clip(shown, 1 / OR_CLIP, OR_CLIP)
    xmin = min(float(shown.min()) if shown.size else 0.5, 0.5) / 1.6
    xmax = max(float(shown.max()) if shown.size else 2.0, 2.0) * 1.6
    xmin, xmax = max(xmin, 1 / OR_CLIP), min(xmax, OR_CLIP)
    ax.axvline(1.0, color=PALETTE["reference"], ls="--", lw=1, zorder=1)
    for i, name in enumerate(names):
        if not ok[i]:
            ax.text(1.0, i, " no estimate", color=PALETTE["muted"], va="center",
                    ha="left", fontsize=NOTE_SIZE, fontstyle="italic")
            continue
        marked = bool(np.isfinite(q[i]) and q[i] <= q_mark)
        color = PALETTE["significant"] if marked else PALETTE["estimate"]
        a = lo[i] if np.isfinite(lo[i]) and lo[i] > 0 else 0.0
        b = hi[i] if np.isfinite(hi[i]) else math.inf
        a_in, b_in = max(a, xmin), min(b, xmax)
        ax.plot([a_in, b_in], [i, i], color=color, lw=1.6, gid=f"ci:{name}", zorder=2,
                solid_capstyle="butt")
        clipped = [(xmin, "<")] if a < xmin else []
        clipped += [(xmax, ">")] if b > xmax else []
        for x, arrow in clipped:
            ax.plot([x], [i], marker=arrow, color=color, ms=6, ls="none",
                    gid=f"clip:{name}", zorder=3)
        ax.plot([orr[i]], [i], marker="o", ms=6.5, ls="none", color=color,
                markerfacecolor=color if marked else "white", markeredgewidth=1.5,
                gid=f"or:{name}", zorder=4)
        if marked:
            ax.annotate(_fmt_q(q[i]), (orr[i], i), xytext=(0, 6), textcoords="offset points",
                        ha="center", va="bottom", fontsize=NOTE_SIZE, color=color)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(len(names) - 0.5, -0.8)
    ax.set_yticks(np.arange(len(names)), names)
    for tick, good in zip(ax.get_yticklabels(), ok, strict=True):
        if not good:
            tick.set_color(PALETTE["muted"])
    ax.xaxis.set_major_locator(LogLocator(base=10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    _style(ax, title, "odds ratio per person-SD, or exposed vs not [log scale]", "")
    ax.grid(axis="x", color="#EEEEEE", which="major")
    ax.set_axisbelow(True)
    handles = [
        Line2D([], [], marker="o", ls="none", color=PALETTE["significant"],
               label=f"q \u2264 {q_mark:.2f}"),
        Line2D([], [], marker="o", ls="none", color=PALETTE["estimate"],
               markerfacecolor="white", label=f"q > {q_mark:.2f} or none"),
    ]
    ax.legend(handles=handles, fontsize=NOTE_SIZE, frameon=False, loc="lower right",
              bbox_to_anchor=(1, 1.0), ncol=2, borderaxespad=0.2)
    return ax


def plot_sensitivity(grid: pd.DataFrame, *, ax: Axes | None = None,
                     colorbar: bool = True) -> Axes:
    """Heatmap of the odds ratios over flare thresholds k and hazard windows.

    Rows are factors (in order of first appearance), columns the (k, window) pairs in
    increasing order. The colour is log(OR) on a diverging map centred at OR 1 and
    symmetric around it; cells are annotated with the OR; cells without an estimate are
    blank.

    Parameters
    ----------
    grid : DataFrame
        :func:`runback.factors.sensitivity_grid` (``TrainingLog.sensitivity()``):
        ``k``, ``window_days``, ``factor``, ``odds_ratio``.
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.
    colorbar : bool
        Add a colour bar (labelled in odds ratios) beside the Axes.

    Returns
    -------
    Axes
        The image is ``ax.images[0]``; its array is log(OR), masked where there is no
        estimate. ``ax.texts`` hold one annotation per estimated cell.
    """
    rows = grid["factor"].nunique() if "factor" in grid.columns else 1
    ax = _axes(ax, (8, 1.2 + 0.32 * max(rows, 1)))
    title = "Sensitivity: odds ratio by flare threshold k and hazard window"
    if len(grid) == 0:
        return _no_data(ax, title, "no sensitivity analysis")
    _require(grid, ("k", "window_days", "factor", "odds_ratio"), "sensitivity grid")
    g = grid.copy()
    if "washout_days" not in g.columns:
        g["washout_days"] = np.nan
    g = g.drop_duplicates(["factor", "k", "window_days", "washout_days"])
    factors = list(pd.unique(g["factor"].astype("string")))
    wash = np.nan_to_num(_num(g, "washout_days"), nan=-1.0)
    combos = sorted(set(zip(_num(g, "k"), _num(g, "window_days"), wash, strict=True)))
    orr = _num(g, "odds_ratio")
    logor = np.where(np.isfinite(orr) & (orr > 0), np.log(np.where(orr > 0, orr, 1.0)),
                     np.nan)
    values = np.full((len(factors), len(combos)), np.nan)
    row_of = {f: i for i, f in enumerate(factors)}
    col_of = {c: j for j, c in enumerate(combos)}
    for f, k, w, wo, v in zip(g["factor"].astype("string"), _num(g, "k"),
                              _num(g, "window_days"), wash, logor, strict=True):
        values[row_of[f], col_of[(k, w, wo)]] = v
    limit = math.log(OR_CLIP)
    finite = np.abs(values[np.isfinite(values)])
    span = min(max(float(finite.max()) if finite.size else 0.0, math.log(2.0)), limit)
    cmap = mpl.colormaps[OR_CMAP].with_extremes(bad="white")
    norm = Normalize(-span, span)
    image = ax.imshow(np.ma.masked_invalid(np.clip(values, -limit, limit)), cmap=cmap,
                      norm=norm, aspect="auto", interpolation="nearest")
    for i, j in zip(*np.nonzero(np.isfinite(values)), strict=True):
        dark = abs(norm(values[i, j]) - 0.5) > 0.3
        ax.text(j, i, _fmt_or(math.exp(values[i, j])), ha="center", va="center", fontsize=7,
                color="white" if dark else PALETTE["text"])
    ax.set_xticks(np.arange(len(combos)),
                  [f"k={k:g}\n{w:g} d" + (f"\nwash {wo:g} d" if wo >= 0 else "")
                   for k, w, wo in combos])
    ax.set_yticks(np.arange(len(factors)), factors)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    _style(ax, title, "flare threshold k [NRS points], hazard window and washout [d]", "")
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        steps = (0.5, 1, 2) if span < math.log(10) else (0.001, 0.01, 0.1, 1, 10, 100, 1000)
        ticks = [t for t in steps if abs(math.log(t)) <= span + 1e-9]
        bar.set_ticks([math.log(t) for t in ticks], labels=[f"{t:g}" for t in ticks])
        bar.set_label("odds ratio [log scale]", fontsize=LABEL_SIZE)
        bar.ax.tick_params(labelsize=TICK_SIZE)
    return ax
