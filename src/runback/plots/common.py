"""What every chart shares: the palette, display units, font sizes and helpers.

The helpers make or reuse an Axes, title and label it, say ``no data: ...`` on an empty
one, check and read table columns, lay out a date axis and a legend, and shade flare-ups.
"""

from __future__ import annotations

from typing import Any

import matplotlib.dates as mdates
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes

from runback.errors import SchemaError

#: Colours by meaning, from the colour-blind-safe Okabe-Ito set (plus greys). The HR zones
#: run from cool to warm.
PALETTE: dict[str, str] = {
    "distance": "#56B4E9",     # sky blue
    "pain": "#D55E00",         # vermillion
    "flare": "#CC79A7",        # reddish purple
    "acute": "#E69F00",        # orange
    "chronic": "#0072B2",      # blue
    "climb": "#009E73",        # bluish green
    "descent": "#E69F00",      # orange
    "trail": "#000000",        # black
    "zone1": "#56B4E9",
    "zone2": "#009E73",
    "zone3": "#F0E442",        # yellow
    "zone4": "#E69F00",
    "zone5": "#D55E00",
    "significant": "#000000",
    "estimate": "#0072B2",
    "reference": "#999999",    # grey
    "muted": "#999999",
    "not_logged": "#DDDDDD",   # light grey
    "text": "#333333",
    "sleep": "#56B4E9",        # sky blue
    "resting_hr": "#D55E00",   # vermillion
    "hrv": "#009E73",          # bluish green
}

#: Display units: name -> (distance unit, metres per distance unit, elevation unit,
#: metres per elevation unit).
UNITS: dict[str, tuple[str, float, str, float]] = {
    "metric": ("km", 1000.0, "m", 1.0),
    "imperial": ("mi", 1609.344, "ft", 0.3048),
}

TITLE_SIZE = 11
LABEL_SIZE = 9
TICK_SIZE = 8
NOTE_SIZE = 8

_DAY = 1.0  # one day in matplotlib date units


# --------------------------------------------------------------------------- helpers


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new pyplot figure (so a notebook shows it)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _units(units: str) -> tuple[str, float, str, float]:
    try:
        return UNITS[units]
    except KeyError:
        raise ValueError(f"units must be one of {sorted(UNITS)}") from None


def _style(ax: Axes, title: str, xlabel: str = "", ylabel: str = "") -> None:
    ax.set_title(title, fontsize=TITLE_SIZE, loc="left")
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)


def _no_data(ax: Axes, title: str, reason: str) -> Axes:
    """Write ``no data: reason`` in the middle of an empty, frameless Axes."""
    _style(ax, title)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(0.5, 0.5, f"no data: {reason}", transform=ax.transAxes, ha="center",
            va="center", fontsize=LABEL_SIZE, color=PALETTE["muted"])
    return ax


def _require(df: pd.DataFrame, cols: tuple[str, ...], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SchemaError(f"{what} table lacks columns {missing}; "
                          f"found {list(map(str, df.columns))}")


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    """Column ``col`` as float64 with NaN for missing values (all NaN when absent)."""
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").astype("float64").to_numpy()


def _flag(df: pd.DataFrame, col: str) -> np.ndarray:
    """Boolean column ``col`` with missing values as False (all False when absent)."""
    if col not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df[col].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _days(values: pd.Series) -> npt.NDArray[np.float64]:
    """Dates as matplotlib date numbers [d] (NaT becomes NaN)."""
    days: npt.NDArray[np.float64] = mdates.date2num(
        pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]"))
    return days


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _legend(ax: Axes, *others: Axes, **kwargs: Any) -> None:
    """One legend for the labelled artists of ``ax`` and its twins; none when unlabelled.

    ``kwargs`` go to :meth:`matplotlib.axes.Axes.legend`.
    """
    handles: list[Artist] = []
    labels: list[str] = []
    for a in (ax, *others):
        h, lab = a.get_legend_handles_labels()
        handles += h
        labels += lab
    if handles:
        opts: dict[str, Any] = {"fontsize": NOTE_SIZE, "frameon": False, "loc": "upper left"}
        opts.update(kwargs)
        ax.legend(handles, labels, **opts)


def _finite_max(values: np.ndarray, default: float = 1.0) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size and finite.max() > 0 else default


def _fmt_or(v: float) -> str:
    """An odds ratio as every report shows it (:func:`runback.display.ratio_text`)."""
    from runback.display import ratio_text

    return ratio_text(v)


def _fmt_q(q: float) -> str:
    return "q<0.01" if q < 0.005 else f"q={q:.2f}"


def _shade_flares(ax: Axes, flares: pd.DataFrame | None) -> None:
    """Shade each flare-up from its onset to the end of its last day (gid ``flare``)."""
    if flares is None or len(flares) == 0:
        return
    _require(flares, ("onset",), "flares")
    onset = _days(flares["onset"])
    end = _days(flares["end"]) if "end" in flares.columns else np.full(len(flares), np.nan)
    end = np.where(np.isfinite(end), end, onset)
    label = "flare-up"
    for a, b in zip(onset, end, strict=True):
        if not np.isfinite(a):
            continue
        ax.axvspan(a, max(a, b) + _DAY, color=PALETTE["flare"], alpha=0.4, lw=0,
                   label=label, gid="flare", zorder=3)
        label = "_flare-up"
