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

Modules
-------
common    palette, display units, font sizes and the helpers every chart shares
training  weekly mileage, load, terrain, intensity, sparkline
pain      pain calendar, wellness
factors   forest plot and sensitivity heatmap
svg       figure_svg

Stored tables are SI; ``units="imperial"`` shows miles and feet (:data:`UNITS`). The
acute:chronic workload ratio is never drawn as a risk zone: it is descriptive only
(docs/methods.md section 1).

References
----------
Okabe M, Ito K. Color Universal Design (CUD): how to make figures and presentations that
are friendly to colorblind people. J*Fly, 2008. https://jfly.uni-koeln.de/color/
"""

from runback.metrics.intensity import ZONES as ZONES
from runback.plots.common import LABEL_SIZE as LABEL_SIZE
from runback.plots.common import NOTE_SIZE as NOTE_SIZE
from runback.plots.common import PALETTE, UNITS
from runback.plots.common import TICK_SIZE as TICK_SIZE
from runback.plots.common import TITLE_SIZE as TITLE_SIZE
from runback.plots.factors import OR_CLIP as OR_CLIP
from runback.plots.factors import OR_CMAP as OR_CMAP
from runback.plots.factors import Q_MARK as Q_MARK
from runback.plots.factors import plot_factors, plot_sensitivity
from runback.plots.pain import PAIN_CMAP as PAIN_CMAP
from runback.plots.pain import plot_pain_calendar, plot_wellness
from runback.plots.svg import figure_svg
from runback.plots.training import (
    INTENSITY_PERIODS,
    MAX_INTENSITY_BARS,
    plot_intensity,
    plot_load,
    plot_sparkline,
    plot_terrain,
    plot_weekly_mileage,
)
from runback.plots.training import SPARK_LABEL_SHARE as SPARK_LABEL_SHARE

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
