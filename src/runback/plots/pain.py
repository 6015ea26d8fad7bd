"""Charts of the body: the daily pain calendar and sleep, resting heart rate and HRV."""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.patches import Patch, Rectangle

from runback.plots.common import (
    _DAY,
    LABEL_SIZE,
    NOTE_SIZE,
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
)

#: Sequential colour map of pain 0-10 (light yellow to dark red).
PAIN_CMAP = "YlOrRd"

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
        kinds = (list(wellness["hrv_kind"].dropna().unique()) if "hrv_kind" in wellness
                 else [])
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

    def cells(mask: npt.NDArray[np.bool_]) -> list[Rectangle]:
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
