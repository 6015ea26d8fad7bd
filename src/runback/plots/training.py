"""Charts of the training log: weekly distance, terrain, training load, heart-rate
zones and the weekly-distance sparkline."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from runback.metrics.intensity import ZONES
from runback.plots.common import (
    _DAY,
    LABEL_SIZE,
    PALETTE,
    TICK_SIZE,
    _axes,
    _date_axis,
    _days,
    _finite_max,
    _flag,
    _legend,
    _no_data,
    _num,
    _require,
    _shade_flares,
    _style,
    _units,
)

#: Share of a sparkline's width kept free right of the last point for its value.
SPARK_LABEL_SHARE = 0.3


def _week_key(dates: pd.Series[pd.Timestamp]) -> pd.Series[pd.Timestamp]:
    return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")


def _month_key(dates: pd.Series[pd.Timestamp]) -> pd.Series[pd.Timestamp]:
    return dates.dt.to_period("M").dt.start_time


def _quarter_key(dates: pd.Series[pd.Timestamp]) -> pd.Series[pd.Timestamp]:
    return dates.dt.to_period("Q").dt.start_time


def _year_key(dates: pd.Series[pd.Timestamp]) -> pd.Series[pd.Timestamp]:
    return dates.dt.to_period("Y").dt.start_time


def _total_key(dates: pd.Series[pd.Timestamp]) -> pd.Series[pd.Timestamp]:
    return pd.Series(dates.min(), index=dates.index)


#: Periods of the intensity chart: name -> (key of each local date, bar label of a key,
#: axis label).
_Key = Callable[["pd.Series[pd.Timestamp]"], "pd.Series[pd.Timestamp]"]
INTENSITY_PERIODS: dict[str, tuple[_Key, Callable[[pd.Timestamp], str], str]] = {
    "month": (_month_key, lambda key: key.strftime("%b %Y"), "month"),
    "week": (_week_key, lambda key: key.strftime("%d %b %Y"), "week starting"),
    "quarter": (_quarter_key, lambda key: f"Q{key.quarter} {key.year}", "quarter"),
    "year": (_year_key, lambda key: f"{key.year}", "year"),
    "total": (_total_key, lambda key: "all", ""),
}
#: Most bars ``plot_intensity(by="auto")`` draws: months, else quarters, else years.
MAX_INTENSITY_BARS = 24


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
    only (docs/methods.md section 1). Flare-up onsets are short ticks at the bottom.

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
