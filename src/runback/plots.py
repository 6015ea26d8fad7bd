"""Charts of training load, terrain, intensity, pain and the factor analysis (matplotlib).

Every ``plot_*`` function takes canonical tables (:mod:`runback.schema`) and an optional
Axes and returns the Axes it drew on. With ``ax=None`` a new figure is made with
:func:`matplotlib.pyplot.subplots`, so a notebook shows it; the HTML report passes Axes of
a :class:`matplotlib.figure.Figure` and never touches pyplot state. No function changes
the global ``rcParams``, shows a window or emits a warning. Empty input (no rows, no pain
diary, no flare-ups, no heart rate) gives an Axes that says ``no data: ...``.

Charts
------
plot_weekly_mileage  running distance per week, weekly pain, flare-ups shaded
plot_load            acute (7-day) and chronic (28-day) load, flare-up onsets marked
plot_terrain         climb and descent per week, share of distance on trails
plot_intensity       time in heart-rate zones per month (or week, or in total)
plot_factors         forest plot of the case-crossover odds ratios
plot_sensitivity     heatmap of the odds ratios over flare thresholds and hazard windows
plot_pain_calendar   calendar heatmap of daily pain, weeks as columns
plot_wellness        sleep, resting heart rate and HRV per day, flare-ups shaded
plot_sparkline       tiny weekly-distance line for a table cell
figure_svg           a figure as an inline ``<svg>`` element for HTML

Stored tables are SI; ``units="imperial"`` shows miles and feet (:data:`UNITS`). The
acute:chronic workload ratio is never drawn as a risk zone: it is descriptive only
(science.md section 1).

References
----------
Okabe M, Ito K. Color Universal Design (CUD): how to make figures and presentations that
are friendly to colorblind people. J*Fly, 2008. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import html
import io
import math
import re
import uuid

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from runback.errors import SchemaError
from runback.metrics.intensity import ZONES

__all__ = [
    "PALETTE",
    "UNITS",
    "INTENSITY_PERIODS",
    "MAX_INTENSITY_BARS",
    "plot_weekly_mileage",
    "plot_load",
    "plot_terrain",
    "plot_intensity",
    "plot_factors",
    "plot_sensitivity",
    "plot_pain_calendar",
    "plot_wellness",
    "plot_sparkline",
    "figure_svg",
]

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

#: Sequential colour map of pain 0-10 (light yellow to dark red).
PAIN_CMAP = "YlOrRd"
#: Diverging colour map of the log odds ratio, centred at OR 1 (red: higher odds).
OR_CMAP = "RdBu_r"
#: Forest plot and heatmap show odds ratios within [1/OR_CLIP, OR_CLIP]; interval ends
#: beyond are clipped and drawn as arrows.
OR_CLIP = 1000.0
#: Pre-specified false discovery rate: factors with q at or below it are marked.
Q_MARK = 0.10

#: Share of a sparkline's width kept free right of the last point for its value.
SPARK_LABEL_SHARE = 0.3

TITLE_SIZE = 11
LABEL_SIZE = 9
TICK_SIZE = 8
NOTE_SIZE = 8

_DAY = 1.0  # one day in matplotlib date units
_ID = re.compile(r'\bid="([^"]*)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]*)')
_SPACE = re.compile(r"\s")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _week_key(dates: pd.Series) -> pd.Series:
    return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")


def _month_key(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.start_time


def _quarter_key(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("Q").dt.start_time


def _year_key(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("Y").dt.start_time


def _total_key(dates: pd.Series) -> pd.Series:
    return pd.Series(dates.min(), index=dates.index)


#: Periods of the intensity chart: name -> (key of each local date, bar label of a key,
#: axis label).
INTENSITY_PERIODS = {
    "month": (_month_key, lambda key: key.strftime("%b %Y"), "month"),
    "week": (_week_key, lambda key: key.strftime("%d %b %Y"), "week starting"),
    "quarter": (_quarter_key, lambda key: f"Q{key.quarter} {key.year}", "quarter"),
    "year": (_year_key, lambda key: f"{key.year}", "year"),
    "total": (_total_key, lambda key: "all", ""),
}
#: Most bars ``plot_intensity(by="auto")`` draws: months, else quarters, else years.
MAX_INTENSITY_BARS = 24


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


def _days(values) -> np.ndarray:
    """Dates as matplotlib date numbers [d] (NaT becomes NaN)."""
    return mdates.date2num(pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]"))


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _legend(ax: Axes, *others: Axes, **kwargs) -> None:
    """One legend for the labelled artists of ``ax`` and its twins; none when unlabelled."""
    handles, labels = [], []
    for a in (ax, *others):
        h, lab = a.get_legend_handles_labels()
        handles += h
        labels += lab
    if handles:
        opts = {"fontsize": NOTE_SIZE, "frameon": False, "loc": "upper left"}
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


# --------------------------------------------------------------------------- weekly


def plot_weekly_mileage(weekly: pd.DataFrame, flares: pd.DataFrame | None = None, *,
                        units: str = "metric", ax: Axes | None = None) -> Axes:
    """Running distance per local week, with weekly pain and flare-ups.

    Bars show the week's running distance; a twin 0-10 axis shows the mean pain of the
    logged days (line) and the highest pain (markers) when the diary has any; flare-up
    episodes are shaded from their onset to the end of their last day.

    Parameters
    ----------
    weekly : DataFrame
        The ``weekly`` table: ``week_start`` (local Monday), ``distance_m`` [m] and
        optionally ``pain_mean``, ``pain_max`` [NRS 0-10].
    flares : DataFrame, optional
        The ``flares`` table: ``onset``, ``end`` (local days, end inclusive).
    units : {"metric", "imperial"}
        Distance in km or miles.
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.

    Returns
    -------
    Axes
        Bars in ``ax.containers[0]`` (centred on each week's middle); flare-up spans are
        patches with gid ``"flare"``; the pain lines are on a twin Axes of the same figure
        sharing the x axis (absent without pain).
    """
    dist_unit, dist_scale, _, _ = _units(units)
    ax = _axes(ax, (9, 3.6))
    title = "Weekly running distance and back pain"
    if len(weekly) == 0:
        return _no_data(ax, title, "no weeks in the training log")
    _require(weekly, ("week_start", "distance_m"), "weekly")
    start = _days(weekly["week_start"])
    mid = start + 3.5 * _DAY
    dist = np.nan_to_num(_num(weekly, "distance_m")) / dist_scale
    pain_mean, pain_max = _num(weekly, "pain_mean"), _num(weekly, "pain_max")
    has_pain = bool(np.isfinite(pain_mean).any() or np.isfinite(pain_max).any())
    if not has_pain:
        title = "Weekly running distance"
    _style(ax, title, "week", f"distance [{dist_unit}]")
    ax.bar(mid, dist, width=5.6 * _DAY, color=PALETTE["distance"], label="running distance",
           zorder=2)
    ax.set_ylim(0, _finite_max(dist) * 1.25)
    ax.set_xlim(start.min() - 0.5 * _DAY, start.max() + 7.5 * _DAY)
    ax.grid(axis="y", color="#EEEEEE", zorder=0)
    twin = None
    if has_pain:
        twin = ax.twinx()
        twin.plot(mid, pain_mean, color=PALETTE["pain"], lw=1.8, marker="o", ms=3,
                  label="pain, weekly mean")
        twin.plot(mid, pain_max, color=PALETTE["pain"], ls="none", marker="^", ms=4,
                  label="pain, weekly highest")
        twin.set_ylim(0, 10.5)
        twin.set_yticks(range(0, 11, 2))
        twin.set_ylabel("pain [NRS 0-10]", fontsize=LABEL_SIZE)
        twin.tick_params(labelsize=TICK_SIZE)
    _shade_flares(ax, flares)
    _date_axis(ax)
    _legend(ax, *([twin] if twin is not None else []), ncol=4)
    return ax


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


def plot_terrain(weekly: pd.DataFrame, *, units: str = "metric",
                 ax: Axes | None = None) -> Axes:
    """Climb and descent per local week (paired bars) and the share run on trails.

    Parameters
    ----------
    weekly : DataFrame
        The ``weekly`` table: ``week_start``, ``elevation_gain_m``, ``elevation_loss_m``
        [m] and optionally ``trail_share`` [1].
    units : {"metric", "imperial"}
        Elevation in metres or feet.
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.

    Returns
    -------
    Axes
        Climb bars in ``ax.containers[0]``, descent bars in ``ax.containers[1]``; the trail
        share [%] line is on a twin Axes sharing the x axis (absent without trail data).
    """
    _, _, elev_unit, elev_scale = _units(units)
    ax = _axes(ax, (9, 3.6))
    title = "Weekly climb, descent and trail running"
    if len(weekly) == 0:
        return _no_data(ax, title, "no weeks in the training log")
    _require(weekly, ("week_start",), "weekly")
    gain = _num(weekly, "elevation_gain_m")
    loss = _num(weekly, "elevation_loss_m")
    if not (np.isfinite(gain).any() or np.isfinite(loss).any()):
        return _no_data(ax, title, "no elevation data")
    gain, loss = np.nan_to_num(gain) / elev_scale, np.nan_to_num(loss) / elev_scale
    start = _days(weekly["week_start"])
    mid = start + 3.5 * _DAY
    _style(ax, title, "week", f"climb and descent [{elev_unit}]")
    ax.bar(mid - 1.4 * _DAY, gain, width=2.8 * _DAY, color=PALETTE["climb"], label="climb",
           zorder=2)
    ax.bar(mid + 1.4 * _DAY, loss, width=2.8 * _DAY, color=PALETTE["descent"],
           label="descent", zorder=2)
    ax.set_ylim(0, _finite_max(np.concatenate([gain, loss])) * 1.25)
    ax.set_xlim(start.min() - 0.5 * _DAY, start.max() + 7.5 * _DAY)
    ax.grid(axis="y", color="#EEEEEE", zorder=0)
    share = _num(weekly, "trail_share") * 100.0
    twin = None
    if np.isfinite(share).any():
        twin = ax.twinx()
        twin.plot(mid, share, color=PALETTE["trail"], lw=1.5, marker="o", ms=3,
                  label="trail share")
        twin.set_ylim(0, 105)
        twin.set_ylabel("distance on trails [%]", fontsize=LABEL_SIZE)
        twin.tick_params(labelsize=TICK_SIZE)
    _date_axis(ax)
    _legend(ax, *([twin] if twin is not None else []), ncol=3)
    return ax


def plot_sparkline(weekly: pd.DataFrame, *, weeks: int = 12, units: str = "metric",
                   ax: Axes | None = None) -> Axes:
    """Tiny line of the last ``weeks`` weeks' running distance, for a table cell.

    No frame, ticks or title; the y range starts at 0 so a small change looks small. The
    last point is marked and labelled with its value and unit in the right 30 % of the
    Axes (:data:`SPARK_LABEL_SHARE`).

    Parameters
    ----------
    weekly : DataFrame
        The ``weekly`` table: ``week_start``, ``distance_m`` [m].
    weeks : int
        Number of most recent weeks shown.
    units : {"metric", "imperial"}
        Distance in km or miles.
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.

    Returns
    -------
    Axes
        The line is ``ax.lines[0]`` (x = week number 0..n-1, y = distance in the unit).
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    dist_unit, dist_scale, _, _ = _units(units)
    ax = _axes(ax, (1.8, 0.45))
    ax.set_axis_off()
    if len(weekly) == 0:
        ax.text(0.5, 0.5, "no data: no weeks", transform=ax.transAxes, ha="center",
                va="center", fontsize=7, color=PALETTE["muted"])
        return ax
    _require(weekly, ("week_start", "distance_m"), "weekly")
    recent = weekly.sort_values("week_start").tail(weeks)
    dist = np.nan_to_num(_num(recent, "distance_m")) / dist_scale
    x = np.arange(len(dist))
    ax.plot(x, dist, color=PALETTE["chronic"], lw=1.2)
    ax.plot(x[-1:], dist[-1:], ls="none", marker="o", ms=3, color=PALETTE["pain"])
    ax.set_ylim(0, _finite_max(dist) * 1.15)
    ax.set_xlim(-0.3, max(len(dist) - 1, 1) / (1 - SPARK_LABEL_SHARE) + 0.3)
    ax.annotate(f"{dist[-1]:.0f} {dist_unit}", (x[-1], dist[-1]), xytext=(4, 0),
                textcoords="offset points", va="center", fontsize=7,
                color=PALETTE["text"], annotation_clip=False)
    return ax


# --------------------------------------------------------------------------- daily


def plot_load(daily: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Acute (7-day) and chronic (28-day) training load over the local days.

    The acute:chronic ratio is deliberately not drawn as a risk zone: it is descriptive
    only (science.md section 1). Flare-up onsets are short ticks at the bottom.

    Parameters
    ----------
    daily : DataFrame
        The ``daily`` table: ``date``, ``acute_load``, ``chronic_load`` [AU] and optionally
        ``flare_onset``.
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.

    Returns
    -------
    Axes
        Acute load is ``ax.lines[0]``, chronic load ``ax.lines[1]``; the onset ticks are a
        LineCollection with gid ``"flare_onset"``.

    References
    ----------
    Williams S, West S, Cross MJ, Stokes KA. Better way to determine the acute:chronic
    workload ratio? Br J Sports Med 2017;51:209-210 (EWMA loads).
    """
    ax = _axes(ax, (9, 3.2))
    title = "Acute (7-day) and chronic (28-day) training load"
    if len(daily) == 0:
        return _no_data(ax, title, "no days in the training log")
    _require(daily, ("date",), "daily")
    acute, chronic = _num(daily, "acute_load"), _num(daily, "chronic_load")
    if not (np.isfinite(acute).any() or np.isfinite(chronic).any()):
        return _no_data(ax, title, "no training load")
    days = _days(daily["date"])
    _style(ax, title, "date", "load [AU]")
    ax.plot(days, acute, color=PALETTE["acute"], lw=1.4, label="acute load (7-day EWMA)")
    ax.plot(days, chronic, color=PALETTE["chronic"], lw=2.0,
            label="chronic load (28-day EWMA)")
    ax.set_ylim(0, _finite_max(np.concatenate([acute, chronic])) * 1.2)
    ax.set_xlim(np.nanmin(days) - _DAY, np.nanmax(days) + _DAY)
    ax.grid(axis="y", color="#EEEEEE")
    onsets = days[_flag(daily, "flare_onset")]
    if onsets.size:
        ax.vlines(onsets, 0, 0.08, transform=ax.get_xaxis_transform(),
                  colors=PALETTE["flare"], lw=2.5, label="flare-up onset", gid="flare_onset")
    _date_axis(ax)
    _legend(ax, ncol=3)
    return ax


def plot_wellness(wellness: pd.DataFrame, flares: pd.DataFrame | None = None, *,
                  ax: Axes | None = None) -> Axes:
    """Sleep, resting heart rate and HRV per local day, flare-ups shaded.

    Parameters
    ----------
    wellness : DataFrame
        The ``wellness`` table (:mod:`runback.wellness`): ``date``, ``sleep_h`` [h],
        ``resting_hr_bpm`` [1/min], ``hrv_ms`` [ms] and ``hrv_kind``.
    flares : DataFrame, optional
        The ``flares`` table; each episode is shaded.
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.

    Returns
    -------
    Axes
        Sleep as bars (gid ``"sleep"``) on ``ax``; resting HR (gid ``"resting_hr"``) and
        HRV (gid ``"hrv"``, labelled with its kind) as lines on a twin Axes sharing x.
    """
    ax = _axes(ax, (9, 3.2))
    title = "Sleep, resting heart rate and HRV"
    if len(wellness) == 0:
        return _no_data(ax, title, "no wellness data (watch export or diary sleep)")
    _require(wellness, ("date",), "wellness")
    sleep, rhr, hrv = (_num(wellness, c) for c in ("sleep_h", "resting_hr_bpm", "hrv_ms"))
    if not any(np.isfinite(v).any() for v in (sleep, rhr, hrv)):
        return _no_data(ax, title, "no sleep, resting heart rate or HRV")
    days = _days(wellness["date"])
    _style(ax, title, "date", "sleep [h]")
    ok = np.isfinite(sleep)
    if ok.any():
        ax.bar(days[ok], sleep[ok], width=0.8 * _DAY, color=PALETTE["sleep"], alpha=0.6,
               label="sleep", gid="sleep", zorder=2)
    ax.set_ylim(0, max(12.0, _finite_max(sleep) * 1.15))
    twin = ax.twinx()
    twin.tick_params(labelsize=TICK_SIZE)
    twin.set_ylabel("bpm / ms", fontsize=LABEL_SIZE)
    if np.isfinite(rhr).any():
        twin.plot(days, rhr, color=PALETTE["resting_hr"], lw=1.4, marker=".", ms=3,
                  label="resting heart rate [bpm]", gid="resting_hr", zorder=4)
    if np.isfinite(hrv).any():
        kinds = wellness["hrv_kind"].dropna().unique() if "hrv_kind" in wellness else []
        kind = f"HRV {str(kinds[0]).upper()}" if len(kinds) == 1 else "HRV"
        twin.plot(days, hrv, color=PALETTE["hrv"], lw=1.4, marker=".", ms=3,
                  label=f"{kind} [ms]", gid="hrv", zorder=4)
    top = _finite_max(np.concatenate([rhr, hrv]), default=100.0)
    twin.set_ylim(0, top * 1.25)
    _shade_flares(ax, flares)
    ax.set_xlim(np.nanmin(days) - _DAY, np.nanmax(days) + _DAY)
    _date_axis(ax)
    _legend(ax, twin, ncol=4)
    return ax


def plot_pain_calendar(daily: pd.DataFrame, *, ax: Axes | None = None,
                       colorbar: bool = True) -> Axes:
    """Calendar heatmap of daily pain: one column per week, rows Monday to Sunday.

    Logged days are coloured by pain on a sequential 0-10 map; days without a pain score
    are light grey; flare-up onsets are outlined in black. Month names mark the first
    week of each month.

    Parameters
    ----------
    daily : DataFrame
        The ``daily`` table (or any frame with ``date``, ``pain`` [NRS 0-10] and
        optionally ``flare_onset``). One cell is drawn per row.
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.
    colorbar : bool
        Add a pain colour bar beside the Axes.

    Returns
    -------
    Axes
        Cells of scored days are the PatchCollection with gid ``"pain"`` (facecolours from
        the pain colour map), days without a score the one with gid ``"not_logged"``,
        onset outlines the one with gid ``"flare_onset"``. Cell (week w, weekday d) is the
        unit square with its lower-left corner at (w, d); the y axis is inverted.
    """
    ax = _axes(ax, (10, 2.4))
    title = "Daily back pain"
    if len(daily) == 0:
        return _no_data(ax, title, "no days in the training log")
    _require(daily, ("date",), "daily")
    dates = pd.to_datetime(daily["date"]).reset_index(drop=True)
    pain = _num(daily, "pain")
    if not np.isfinite(pain).any():
        return _no_data(ax, title, "no pain scores in the diary")
    monday0 = (dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")).min()
    col = ((dates - monday0).dt.days // 7).to_numpy()
    row = dates.dt.day_of_week.to_numpy()
    scored = np.isfinite(pain)
    cmap = mpl.colormaps[PAIN_CMAP]
    norm = Normalize(0, 10)

    def cells(mask):
        return [Rectangle((c + 0.06, r + 0.06), 0.88, 0.88)
                for c, r in zip(col[mask], row[mask], strict=True)]

    scores = PatchCollection(cells(scored), facecolors=cmap(norm(pain[scored])),
                             edgecolors="none", gid="pain")
    ax.add_collection(scores)
    if (~scored).any():
        ax.add_collection(PatchCollection(cells(~scored), facecolors=PALETTE["not_logged"],
                                          edgecolors="none", gid="not_logged"))
    onset = _flag(daily, "flare_onset")
    if onset.any():
        ax.add_collection(PatchCollection(cells(onset), facecolors="none",
                                          edgecolors="#000000", linewidths=1.4,
                                          gid="flare_onset"))
    n_weeks = int(col.max()) + 1
    ax.set_xlim(0, n_weeks)
    ax.set_ylim(7, 0)
    ax.set_aspect("equal")
    ax.set_yticks(np.arange(7) + 0.5, _WEEKDAYS)
    firsts = dates[dates.dt.day == 1]
    if len(firsts) == 0 or firsts.iloc[0] != dates.min():
        firsts = pd.concat([dates.iloc[[int(dates.argmin())]], firsts])
    ticks = ((firsts - monday0).dt.days // 7).to_numpy() + 0.5
    labels = [d.strftime("%b %Y") if (i == 0 or d.month == 1) else d.strftime("%b")
              for i, d in enumerate(firsts)]
    ax.set_xticks(ticks, labels)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(length=0)
    _style(ax, title, "", "")
    handles = [Patch(color=PALETTE["not_logged"], label="no pain score")]
    if onset.any():
        handles.append(Patch(facecolor="none", edgecolor="#000000", label="flare-up onset"))
    ax.legend(handles=handles, fontsize=NOTE_SIZE, frameon=False, loc="lower right",
              bbox_to_anchor=(1, 1.0), ncol=2, borderaxespad=0.2)
    if colorbar:
        bar = ax.figure.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                                 fraction=0.025, pad=0.01)
        bar.set_label("pain [NRS 0-10]", fontsize=LABEL_SIZE)
        bar.ax.tick_params(labelsize=TICK_SIZE)
    return ax


# --------------------------------------------------------------------------- activities


def plot_intensity(activities: pd.DataFrame, *, by: str = "auto", runs_only: bool = True,
                   ax: Axes | None = None) -> Axes:
    """Time in the five heart-rate zones, as stacked horizontal bars per period.

    Parameters
    ----------
    activities : DataFrame
        The ``activities`` table: ``local_date``, ``hr_z1_s`` .. ``hr_z5_s`` [s] and
        ``is_run``. Activities without zone times (no heart rate) are left out.
    by : {"auto", "month", "week", "quarter", "year", "total"}
        One bar per calendar month, per local Monday week, per quarter, per year, or one
        bar for everything (:data:`INTENSITY_PERIODS`); ``"auto"`` takes months, else
        quarters, else years, the first that needs at most :data:`MAX_INTENSITY_BARS` bars.
    runs_only : bool
        Count only activities with ``is_run`` true (all when the column is absent).
    ax : Axes, optional
        Where to draw; a new pyplot figure when None.

    Returns
    -------
    Axes
        ``ax.containers[i]`` holds zone i+1: bar widths are hours, one bar per period,
        periods from the top (earliest) down.

    References
    ----------
    Edwards S. The Heart Rate Monitor Book. Polar Electro Oy, 1993 (zones of HR max).
    """
    if by != "auto" and by not in INTENSITY_PERIODS:
        raise ValueError(f"by must be one of {sorted([*INTENSITY_PERIODS, 'auto'])}")
    ax = _axes(ax, (8, 3.6))
    title = "Time in heart-rate zones"
    if len(activities) == 0:
        return _no_data(ax, title, "no activities")
    _require(activities, ("local_date",), "activities")
    acts = activities
    if runs_only and "is_run" in acts.columns:
        acts = acts[_flag(acts, "is_run")]
    zones = list(ZONES)
    secs = np.column_stack([_num(acts, z) for z in zones]) if len(acts) else np.empty((0, 5))
    has_hr = np.isfinite(secs).any(axis=1) & pd.notna(acts["local_date"]).to_numpy()
    if not has_hr.any():
        return _no_data(ax, title, "no heart-rate data")
    dates = pd.to_datetime(acts["local_date"][has_hr])
    if by == "auto":
        by = next((p for p in ("month", "quarter") if
                   INTENSITY_PERIODS[p][0](dates).nunique() <= MAX_INTENSITY_BARS), "year")
    key, label_of, period_label = INTENSITY_PERIODS[by]
    hours = pd.DataFrame(np.nan_to_num(secs[has_hr]) / 3600.0, columns=zones,
                         index=dates.index)
    per = hours.groupby(key(dates).to_numpy()).sum().sort_index()
    labels = [label_of(pd.Timestamp(p)) for p in per.index]
    y = np.arange(len(per))
    left = np.zeros(len(per))
    for i, z in enumerate(zones):
        lo, hi, _ = ZONES[z]
        band = f"{lo:.0%}-{hi:.0%}" if math.isfinite(hi) else f"over {lo:.0%}"
        ax.barh(y, per[z].to_numpy(), left=left, height=0.7, color=PALETTE[f"zone{i + 1}"],
                label=f"zone {i + 1} ({band} HRmax)", edgecolor="white", lw=0.5)
        left += per[z].to_numpy()
    ax.set_yticks(y, labels)
    ax.set_ylim(len(per) - 0.5, -0.5)
    ax.set_xlim(0, _finite_max(left) * 1.05)
    subject = "runs" if runs_only and "is_run" in activities.columns else "activities"
    _style(ax, f"Time in heart-rate zones ({subject} with heart rate)", "time [h]",
           period_label)
    ax.grid(axis="x", color="#EEEEEE")
    ax.set_axisbelow(True)
    _legend(ax, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


# --------------------------------------------------------------------------- factors


def plot_factors(factors, *, ax: Axes | None = None, q_mark: float = Q_MARK) -> Axes:
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


# --------------------------------------------------------------------------- output


def figure_svg(fig: Figure, *, title: str | None = None, id_prefix: str | None = None) -> str:
    """The figure as an inline ``<svg>`` element for an HTML5 page.

    Text stays text (``svg.fonttype: none``, set only for this call), so the SVG is small
    and searchable; the XML prolog, doctype and matplotlib's metadata block are left out.
    A figure with a layout engine (``layout="constrained"``, as :func:`plot_*` make) is
    saved at its size; one without is cropped to its drawn extent (``bbox_inches="tight"``,
    which draws it twice).
    Every element id gets ``id_prefix`` (by default a random one per call) and repeated ids
    a ``-2``, ``-3``... suffix, with ``url(#...)`` and ``href="#..."`` references following,
    so several figures can share a page without id clashes; the root ``<svg>`` gets the id
    ``<id_prefix>chart`` and matplotlib's stylesheet is scoped to it.

    Parameters
    ----------
    fig : Figure
        The figure (``ax.figure`` of any chart).
    title : str, optional
        Accessible name, added as the SVG's first ``<title>`` child.
    id_prefix : str, optional
        Prefix of every id in the SVG; pass distinct ones for a reproducible page.

    Returns
    -------
    str
        Markup starting with ``<svg``.
    """
    buf = io.StringIO()
    laid_out = fig.get_layout_engine() is not None
    with mpl.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches=None if laid_out else "tight",
                    pad_inches=0.05,
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    prefix = id_prefix if id_prefix is not None else f"rb{uuid.uuid4().hex[:8]}-"
    svg = _unique_ids(text[text.index("<svg"):].rstrip(), prefix)
    # matplotlib's <style> applies to "*", which inline would mean every SVG of the page
    root = f"{prefix}chart"
    svg = svg.replace("<svg ", f'<svg id="{root}" ', 1)
    svg = svg.replace('<style type="text/css">*{', f'<style type="text/css">#{root} *{{', 1)
    if title:
        head = svg.index(">") + 1
        svg = f"{svg[:head]}\n<title>{html.escape(title)}</title>{svg[head:]}"
    return svg


def _unique_ids(svg: str, prefix: str) -> str:
    """Prefix every id (whitespace made ``_``), number repeats, and follow the references."""
    seen: dict[str, int] = {}

    def rename(match: re.Match) -> str:
        name = _SPACE.sub("_", match.group(1))
        seen[name] = seen.get(name, 0) + 1
        suffix = f"-{seen[name]}" if seen[name] > 1 else ""
        return f'id="{prefix}{name}{suffix}"'

    def refer(match: re.Match) -> str:
        return match.group(1) + prefix + _SPACE.sub("_", match.group(2))

    return _REF.sub(refer, _ID.sub(rename, svg))
