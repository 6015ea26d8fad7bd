"""Charts: each Axes holds the data it was given, in the right units, and empty input says so.

Axes come from :class:`matplotlib.figure.Figure` (Agg canvas, no display, no pyplot state)
except in the one test of ``ax=None``.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from runback import plots, schema
from runback.errors import SchemaError
from runback.factors import FactorResult
from runback.metrics.intensity import ZONES

MI = 1609.344
FT = 0.3048
REPO = Path(__file__).resolve().parents[1]


def new_ax(size=(8, 3)):
    return Figure(figsize=size, layout="constrained").add_subplot()


def day(s: str) -> float:
    return float(mdates.date2num(np.datetime64(s)))


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def is_no_data(ax) -> bool:
    return any(t.startswith("no data:") for t in texts(ax))


def twins(ax):
    """The other Axes of the figure that share ax's x axis (twinx)."""
    return [a for a in ax.figure.axes if a is not ax and a.get_shared_x_axes().joined(a, ax)]


def by_gid(artists, gid):
    return [a for a in artists if a.get_gid() == gid]


# --------------------------------------------------------------------------- tables


@pytest.fixture
def weekly():
    """Three weeks: 10 km, a rest week with no diary, exactly 10 miles."""
    return schema.conform(pd.DataFrame({
        "week_start": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20"]),
        "distance_m": [10_000.0, 0.0, 10 * MI],
        "elevation_gain_m": [100.0, 0.0, 1000 * FT],
        "elevation_loss_m": [50.0, 0.0, 2000 * FT],
        "trail_share": [0.5, np.nan, 1.0],
        "pain_mean": [2.0, np.nan, 5.0],
        "pain_max": [3.0, np.nan, 7.0],
    }), "weekly")


@pytest.fixture
def flares():
    return schema.conform(pd.DataFrame({
        "onset": pd.to_datetime(["2025-01-08", "2025-01-21"]),
        "end": pd.to_datetime(["2025-01-10", "2025-01-21"]),
        "peak": [6.0, 7.0],
    }), "flares")


@pytest.fixture
def daily():
    """Ten days from Wednesday 1 January 2025; days 4, 5 and 9 not logged."""
    dates = pd.date_range("2025-01-01", periods=10, freq="D")
    pain = [1.0, 2.0, 3.0, np.nan, np.nan, 8.0, 4.0, 0.0, np.nan, 10.0]
    return schema.conform(pd.DataFrame({
        "date": dates,
        "acute_load": np.linspace(10, 100, 10),
        "chronic_load": np.linspace(5, 50, 10),
        "pain": pain,
        "logged": [not math.isnan(p) for p in pain],
        "flare_onset": [False] * 5 + [True] + [False] * 4,
    }), "daily")


@pytest.fixture
def activities():
    """Two January runs, one February run, a run without heart rate, and a bike ride."""
    frame = pd.DataFrame({
        "activity_id": ["a", "b", "c", "d", "e"],
        "source_path": ["a.fit", "b.fit", "c.fit", "d.gpx", "e.fit"],
        "format": ["fit", "fit", "fit", "gpx", "fit"],
        "sport": ["running", "running", "running", "running", "cycling"],
        "is_run": [True, True, True, True, False],
        "local_date": pd.to_datetime(["2025-01-06", "2025-01-30", "2025-02-03",
                                      "2025-02-04", "2025-01-07"]),
        "hr_z1_s": [600.0, 0.0, 360.0, np.nan, 9999.0],
        "hr_z2_s": [1200.0, 1800.0, 0.0, np.nan, 9999.0],
        "hr_z3_s": [1800.0, 3600.0, 720.0, np.nan, 9999.0],
        "hr_z4_s": [0.0, 360.0, 1080.0, np.nan, 9999.0],
        "hr_z5_s": [0.0, 0.0, 1440.0, np.nan, 9999.0],
    })
    return schema.conform(frame, "activities")


@pytest.fixture
def factor_table():
    return schema.conform(pd.DataFrame({
        "factor": ["descent", "distance", "treadmill", "sleep", "climb"],
        "odds_ratio": [2.0, 0.5, np.nan, 3.0, 0.02],
        "ci_low": [1.2, 0.0, np.nan, 0.9, 0.0001],
        "ci_high": [3.3, 5.0, np.nan, np.inf, 0.5],
        "p_value": [0.01, 0.6, np.nan, 0.2, 0.03],
        "q_value": [0.04, 0.7, np.nan, np.nan, 0.003],
        "n_onsets": [9, 9, 9, 9, 9],
    }), "factors")


@pytest.fixture
def grid():
    rows = []
    for k in (2.0, 1.5):
        for w in (3, 1):
            rows.append({"k": k, "window_days": w, "factor": "descent",
                         "odds_ratio": 2.0 * k * w})
            rows.append({"k": k, "window_days": w, "factor": "sleep",
                         "odds_ratio": np.nan if (k, w) == (1.5, 3) else 0.25})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- weekly


def test_weekly_bars_are_kilometres_centred_on_each_week(weekly):
    ax = plots.plot_weekly_mileage(weekly, ax=new_ax())
    bars = ax.containers[0]
    assert [b.get_height() for b in bars] == pytest.approx([10.0, 0.0, MI * 10 / 1000])
    centres = [b.get_x() + b.get_width() / 2 for b in bars]
    assert centres == pytest.approx([day("2025-01-06") + 3.5, day("2025-01-13") + 3.5,
                                     day("2025-01-20") + 3.5])
    assert "[km]" in ax.get_ylabel()
    assert ax.get_title(loc="left")


def test_weekly_bars_in_miles(weekly):
    ax = plots.plot_weekly_mileage(weekly, units="imperial", ax=new_ax())
    assert [b.get_height() for b in ax.containers[0]] == pytest.approx(
        [10_000 / MI, 0.0, 10.0])
    assert "[mi]" in ax.get_ylabel()


def test_weekly_pain_on_a_twin_0_10_axis(weekly):
    ax = plots.plot_weekly_mileage(weekly, ax=new_ax())
    (twin,) = twins(ax)
    mean, highest = twin.lines
    np.testing.assert_array_equal(mean.get_ydata(), [2.0, np.nan, 5.0])
    np.testing.assert_array_equal(highest.get_ydata(), [3.0, np.nan, 7.0])
    assert twin.get_ylim() == pytest.approx((0, 10.5))
    assert "0-10" in twin.get_ylabel()


def test_weekly_without_diary_has_no_pain_axis(weekly):
    no_pain = weekly.assign(pain_mean=np.nan, pain_max=np.nan)
    ax = plots.plot_weekly_mileage(no_pain, ax=new_ax())
    assert twins(ax) == []
    assert "pain" not in ax.get_title(loc="left").lower()
    assert ax.get_legend() is not None


def test_weekly_flare_spans_run_from_onset_to_end_of_last_day(weekly, flares):
    ax = plots.plot_weekly_mileage(weekly, flares, ax=new_ax())
    spans = by_gid(ax.patches, "flare")
    assert [s.get_x() for s in spans] == pytest.approx([day("2025-01-08"), day("2025-01-21")])
    assert [s.get_x() + s.get_width() for s in spans] == pytest.approx(
        [day("2025-01-11"), day("2025-01-22")])
    labels = ax.get_legend().get_texts()
    assert [t.get_text() for t in labels].count("flare-up") == 1


def test_weekly_flare_without_end_is_one_day(weekly):
    open_flare = pd.DataFrame({"onset": pd.to_datetime(["2025-01-15"]),
                               "end": pd.to_datetime([pd.NaT])})
    ax = plots.plot_weekly_mileage(weekly, open_flare, ax=new_ax())
    (span,) = by_gid(ax.patches, "flare")
    assert (span.get_x(), span.get_width()) == pytest.approx((day("2025-01-15"), 1.0))


def test_weekly_no_flares_no_spans(weekly):
    ax = plots.plot_weekly_mileage(weekly, schema.empty("flares"), ax=new_ax())
    assert by_gid(ax.patches, "flare") == []


def test_terrain_paired_bars_and_trail_share(weekly):
    ax = plots.plot_terrain(weekly, ax=new_ax())
    climb, descent = ax.containers
    assert [b.get_height() for b in climb] == pytest.approx([100.0, 0.0, 1000 * FT])
    assert [b.get_height() for b in descent] == pytest.approx([50.0, 0.0, 2000 * FT])
    assert all(c.get_x() + c.get_width() <= d.get_x() + 1e-9
               for c, d in zip(climb, descent, strict=True))
    (twin,) = twins(ax)
    np.testing.assert_array_equal(twin.lines[0].get_ydata(), [50.0, np.nan, 100.0])
    assert twin.get_ylim()[0] == 0 and twin.get_ylim()[1] >= 100
    assert "[m]" in ax.get_ylabel() and "[%]" in twin.get_ylabel()


def test_terrain_in_feet(weekly):
    ax = plots.plot_terrain(weekly, units="imperial", ax=new_ax())
    climb, descent = ax.containers
    assert [b.get_height() for b in climb] == pytest.approx([100 / FT, 0.0, 1000.0])
    assert [b.get_height() for b in descent] == pytest.approx([50 / FT, 0.0, 2000.0])
    assert "[ft]" in ax.get_ylabel()


def test_sparkline_shows_the_last_weeks_and_marks_the_last(weekly):
    ax = plots.plot_sparkline(weekly, weeks=2, units="imperial", ax=new_ax((2, 0.5)))
    line, last = ax.lines
    np.testing.assert_allclose(line.get_ydata(), [0.0, 10.0])
    np.testing.assert_allclose(last.get_ydata(), [10.0])
    assert not ax.axison
    assert texts(ax) == ["10 mi"]


def test_sparkline_sorts_weeks(weekly):
    ax = plots.plot_sparkline(weekly.iloc[::-1], weeks=12, ax=new_ax((2, 0.5)))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [10.0, 0.0, MI * 10 / 1000])


@pytest.mark.parametrize("units", ["km", "Imperial", ""])
def test_unknown_units_are_refused(weekly, units):
    with pytest.raises(ValueError, match="metric"):
        plots.plot_weekly_mileage(weekly, units=units, ax=new_ax())


# --------------------------------------------------------------------------- daily


def test_load_lines_and_onset_ticks(daily):
    ax = plots.plot_load(daily, ax=new_ax())
    acute, chronic = ax.lines
    np.testing.assert_allclose(acute.get_ydata(), daily["acute_load"])
    np.testing.assert_allclose(chronic.get_ydata(), daily["chronic_load"])
    np.testing.assert_allclose(acute.get_xdata(), [day("2025-01-01") + i for i in range(10)])
    (ticks,) = by_gid(ax.collections, "flare_onset")
    assert isinstance(ticks, LineCollection)
    assert [seg[0][0] for seg in ticks.get_segments()] == pytest.approx([day("2025-01-06")])
    labels = [t.get_text().lower() for t in ax.get_legend().get_texts()]
    assert not any("acwr" in s or "ratio" in s or "risk" in s for s in labels)
    assert "[AU]" in ax.get_ylabel()


def test_load_without_flare_column(daily):
    ax = plots.plot_load(daily.drop(columns=["flare_onset"]), ax=new_ax())
    assert by_gid(ax.collections, "flare_onset") == []
    assert len(ax.lines) == 2


def test_calendar_one_cell_per_day_in_week_columns(daily):
    ax = plots.plot_pain_calendar(daily, ax=new_ax((8, 2)))
    (scored,) = by_gid(ax.collections, "pain")
    (missing,) = by_gid(ax.collections, "not_logged")
    assert len(scored.get_paths()) + len(missing.get_paths()) == len(daily)
    assert len(missing.get_paths()) == 3
    cmap, norm = mpl.colormaps[plots.PAIN_CMAP], mpl.colors.Normalize(0, 10)
    pain = daily["pain"].dropna().to_numpy()
    np.testing.assert_allclose(scored.get_facecolors(), cmap(norm(pain)))
    assert {tuple(c) for c in missing.get_facecolors()} == {to_rgba(plots.PALETTE["not_logged"])}
    assert not any(np.allclose(c, to_rgba(plots.PALETTE["not_logged"]))
                   for c in scored.get_facecolors())
    corners = [tuple(np.floor(p.vertices.min(axis=0))) for p in scored.get_paths()]
    # Wed 1 Jan: week 0, row 2; Mon 6 Jan: week 1, row 0; Fri 10 Jan: week 1, row 4.
    assert corners[0] == (0, 2) and corners[3] == (1, 0) and corners[-1] == (1, 4)
    (outline,) = by_gid(ax.collections, "flare_onset")
    assert [tuple(np.floor(p.vertices.min(axis=0))) for p in outline.get_paths()] == [(1, 0)]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Jan 2025"]
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Mon"


def test_calendar_month_labels_across_a_year_end():
    dates = pd.date_range("2024-11-20", "2025-02-10", freq="D")
    daily = pd.DataFrame({"date": dates, "pain": 2.0})
    ax = plots.plot_pain_calendar(daily, ax=new_ax((8, 2)), colorbar=False)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Nov 2024", "Dec", "Jan 2025", "Feb"]
    assert by_gid(ax.collections, "not_logged") == []
    assert len(by_gid(ax.collections, "pain")[0].get_paths()) == len(dates)


# --------------------------------------------------------------------------- intensity


def test_intensity_hours_per_month_runs_only(activities):
    ax = plots.plot_intensity(activities, ax=new_ax())
    assert len(ax.containers) == 5
    jan = np.array([600.0, 3000.0, 5400.0, 360.0, 0.0]) / 3600
    feb = np.array([360.0, 0.0, 720.0, 1080.0, 1440.0]) / 3600
    for zone, bars in enumerate(ax.containers):
        assert [b.get_width() for b in bars] == pytest.approx([jan[zone], feb[zone]])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Jan 2025", "Feb 2025"]
    lefts = [b.get_x() for b in ax.containers[4]]
    assert lefts == pytest.approx([jan[:4].sum(), feb[:4].sum()])
    assert "[h]" in ax.get_xlabel()


def test_intensity_total_and_weekly(activities):
    ax = plots.plot_intensity(activities, by="total", ax=new_ax())
    assert [b.get_width() for b in ax.containers[2]] == pytest.approx([(5400 + 720) / 3600])
    ax = plots.plot_intensity(activities, by="week", runs_only=False, ax=new_ax())
    # weeks of 6 Jan (a run and the ride), 27 Jan, 3 Feb
    assert [b.get_width() for b in ax.containers[0]] == pytest.approx(
        [(600 + 9999) / 3600, 0.0, 360 / 3600])


def test_intensity_period_must_be_known(activities):
    with pytest.raises(ValueError, match="month"):
        plots.plot_intensity(activities, by="fortnight", ax=new_ax())


@pytest.mark.parametrize(("months", "labels"), [
    (3, ["Jan 2020", "Feb 2020", "Mar 2020"]),
    (30, ["Q1 2020", "Q2 2020", "Q3 2020", "Q4 2020", "Q1 2021", "Q2 2021", "Q3 2021",
          "Q4 2021", "Q1 2022", "Q2 2022"]),
    (100, [str(y) for y in range(2020, 2029)]),
])
def test_intensity_auto_keeps_a_long_history_readable(months, labels):
    dates = pd.date_range("2020-01-01", periods=months, freq="MS") + pd.Timedelta(days=14)
    acts = pd.DataFrame({"local_date": dates, "is_run": True,
                         **{z: 3600.0 for z in plots.ZONES}})
    ax = plots.plot_intensity(acts, ax=new_ax())
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    assert len(labels) <= plots.MAX_INTENSITY_BARS
    # every hour is counted once, whatever the period
    assert sum(b.get_width() for b in ax.containers[0]) == pytest.approx(months)


def test_intensity_without_heart_rate(activities):
    no_hr = activities.assign(**{z: np.nan for z in ("hr_z1_s", "hr_z2_s", "hr_z3_s",
                                                     "hr_z4_s", "hr_z5_s")})
    ax = plots.plot_intensity(no_hr, ax=new_ax())
    assert "no data: no heart-rate data" in texts(ax)


# --------------------------------------------------------------------------- factors


def test_forest_odds_ratios_on_a_log_axis(factor_table):
    ax = plots.plot_factors(factor_table, ax=new_ax((6, 3)))
    assert ax.get_xscale() == "log"
    for name, value in [("descent", 2.0), ("distance", 0.5), ("sleep", 3.0), ("climb", 0.02)]:
        (marker,) = by_gid(ax.lines, f"or:{name}")
        assert marker.get_xdata()[0] == pytest.approx(value)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(factor_table["factor"])
    assert any(line.get_xdata()[0] == 1.0 and line.get_linestyle() == "--"
               for line in ax.lines)
    lo, hi = ax.get_xlim()
    assert lo > 0
    for line in ax.lines:
        x = np.asarray(line.get_xdata(), dtype=float)
        assert np.all((x >= lo * 0.999) & (x <= hi * 1.001))


def test_forest_marks_discoveries_and_greys_missing_estimates(factor_table):
    ax = plots.plot_factors(factor_table, ax=new_ax((6, 3)))
    (descent,) = by_gid(ax.lines, "or:descent")
    (distance,) = by_gid(ax.lines, "or:distance")
    assert to_rgba(descent.get_markerfacecolor()) == to_rgba(descent.get_color())
    assert to_rgba(distance.get_markerfacecolor()) == to_rgba("white")
    shown = texts(ax)
    assert "q=0.04" in shown and "q<0.01" in shown and "q=0.70" not in shown
    assert sum("no estimate" in s for s in shown) == 1
    assert by_gid(ax.lines, "or:treadmill") == []
    colours = {t.get_text(): to_rgba(t.get_color()) for t in ax.get_yticklabels()}
    assert colours["treadmill"] == to_rgba(plots.PALETTE["muted"])
    assert colours["descent"] != to_rgba(plots.PALETTE["muted"])


def test_forest_clips_infinite_and_zero_interval_ends_with_arrows(factor_table):
    ax = plots.plot_factors(factor_table, ax=new_ax((6, 3)))
    lo, hi = ax.get_xlim()
    (sleep_arrow,) = by_gid(ax.lines, "clip:sleep")  # ci_high = inf
    assert sleep_arrow.get_marker() == ">" and sleep_arrow.get_xdata()[0] == pytest.approx(hi)
    (dist_arrow,) = by_gid(ax.lines, "clip:distance")  # ci_low = 0
    assert dist_arrow.get_marker() == "<" and dist_arrow.get_xdata()[0] == pytest.approx(lo)
    (climb_arrow,) = by_gid(ax.lines, "clip:climb")  # ci_low = 1e-4 < 1 / OR_CLIP
    assert climb_arrow.get_marker() == "<"
    assert by_gid(ax.lines, "clip:descent") == []
    (ci,) = by_gid(ax.lines, "ci:descent")
    assert list(ci.get_xdata()) == pytest.approx([1.2, 3.3])


def test_forest_takes_a_factor_result(factor_table):
    result = FactorResult(n_onsets=9, onsets=[], power="underpowered", window_days=3,
                          method="case-crossover", factors=factor_table)
    ax = plots.plot_factors(result, ax=new_ax((6, 3)))
    assert by_gid(ax.lines, "or:sleep")[0].get_xdata()[0] == pytest.approx(3.0)


def test_forest_with_no_estimate_at_all(factor_table):
    none = factor_table.assign(odds_ratio=np.nan, ci_low=np.nan, ci_high=np.nan)
    ax = plots.plot_factors(none, ax=new_ax((6, 3)))
    assert sum("no estimate" in s for s in texts(ax)) == len(none)
    assert ax.get_xlim()[0] > 0


def test_sensitivity_heatmap_log_odds_with_blank_missing_cells(grid):
    ax = plots.plot_sensitivity(grid, ax=new_ax((6, 3)))
    image = ax.images[0]
    values = image.get_array()
    assert values.shape == (2, 4)
    # columns sorted (k, window): (1.5, 1), (1.5, 3), (2, 1), (2, 3); rows descent, sleep
    np.testing.assert_allclose(values[0], np.log([3.0, 9.0, 4.0, 12.0]))
    assert values.mask[1].tolist() == [False, True, False, False]
    assert texts(ax).count("0.25") == 3 and len(ax.texts) == 7
    assert "12" in texts(ax)
    assert image.norm.vmin == pytest.approx(-image.norm.vmax)
    assert [t.get_text() for t in ax.get_xticklabels()][1] == "k=1.5\n3 d"
    assert len(ax.figure.axes) == 2  # the colour bar


# --------------------------------------------------------------------------- empty input


EMPTY_CASES = {
    "weekly": lambda ax: plots.plot_weekly_mileage(schema.empty("weekly"), ax=ax),
    "weekly frame without columns": lambda ax: plots.plot_weekly_mileage(pd.DataFrame(),
                                                                        ax=ax),
    "terrain": lambda ax: plots.plot_terrain(schema.empty("weekly"), ax=ax),
    "terrain no elevation": lambda ax: plots.plot_terrain(
        pd.DataFrame({"week_start": pd.to_datetime(["2025-01-06"]), "distance_m": [1.0]}),
        ax=ax),
    "load": lambda ax: plots.plot_load(schema.empty("daily"), ax=ax),
    "load all NA": lambda ax: plots.plot_load(
        schema.conform(pd.DataFrame({"date": pd.date_range("2025-01-01", periods=3)}),
                       "daily"), ax=ax),
    "calendar": lambda ax: plots.plot_pain_calendar(schema.empty("daily"), ax=ax),
    "calendar no diary": lambda ax: plots.plot_pain_calendar(
        schema.conform(pd.DataFrame({"date": pd.date_range("2025-01-01", periods=3)}),
                       "daily"), ax=ax),
    "intensity": lambda ax: plots.plot_intensity(schema.empty("activities"), ax=ax),
    "factors": lambda ax: plots.plot_factors(schema.empty("factors"), ax=ax),
    "sensitivity": lambda ax: plots.plot_sensitivity(pd.DataFrame(), ax=ax),
    "sparkline": lambda ax: plots.plot_sparkline(schema.empty("weekly"), ax=ax),
}


@pytest.mark.parametrize("case", list(EMPTY_CASES))
def test_empty_input_says_no_data(case):
    ax = new_ax()
    assert EMPTY_CASES[case](ax) is ax
    assert is_no_data(ax)
    assert len(ax.lines) == len(ax.patches) == len(ax.collections) == 0
    if case != "sparkline":
        assert ax.get_title(loc="left")
    assert plots.figure_svg(ax.figure).startswith("<svg")


def test_missing_key_column_names_it(weekly):
    with pytest.raises(SchemaError, match="week_start"):
        plots.plot_weekly_mileage(weekly.drop(columns=["week_start"]), ax=new_ax())


# --------------------------------------------------------------------------- output


def test_figure_svg_is_an_inline_svg_element(weekly, flares):
    ax = plots.plot_weekly_mileage(weekly, flares, ax=new_ax())
    svg = plots.figure_svg(ax.figure, title="Weekly <distance> & pain")
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "DOCTYPE" not in svg
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.attrib.get("viewBox")
    first = next(iter(root))
    assert first.tag == "{http://www.w3.org/2000/svg}title"
    assert first.text == "Weekly <distance> & pain"
    assert "Weekly running distance" in "".join(root.itertext())
    style = root.find("{http://www.w3.org/2000/svg}defs/{http://www.w3.org/2000/svg}style")
    assert style.text.startswith(f"#{root.attrib['id']} ")


def test_svg_ids_are_unique_on_a_page_and_references_resolve(weekly, flares):
    ax = plots.plot_weekly_mileage(weekly, flares, ax=new_ax())
    assert len(by_gid(ax.patches, "flare")) == 2  # one gid on two artists
    svgs = [plots.figure_svg(ax.figure), plots.figure_svg(ax.figure, id_prefix="w-")]
    ids = [re.findall(r'\bid="([^"]+)"', svg) for svg in svgs]
    for found in ids:
        assert found and len(found) == len(set(found))
        assert not any(re.search(r"\s", i) for i in found)
    assert not set(ids[0]) & set(ids[1])
    assert all(i.startswith("w-") for i in ids[1])
    for svg, found in zip(svgs, ids, strict=True):
        refs = re.findall(r'(?:url\(#|href="#)([^)"]+)', svg)
        assert refs and set(refs) <= set(found)


def test_charts_leave_rcparams_alone(weekly, flares, daily, activities, factor_table, grid):
    before = dict(mpl.rcParams)
    axes = [
        plots.plot_weekly_mileage(weekly, flares, units="imperial", ax=new_ax()),
        plots.plot_load(daily, ax=new_ax()),
        plots.plot_terrain(weekly, ax=new_ax()),
        plots.plot_intensity(activities, ax=new_ax()),
        plots.plot_factors(factor_table, ax=new_ax()),
        plots.plot_sensitivity(grid, ax=new_ax()),
        plots.plot_pain_calendar(daily, ax=new_ax()),
        plots.plot_sparkline(weekly, ax=new_ax()),
    ]
    for ax in axes:
        plots.figure_svg(ax.figure)
    assert dict(mpl.rcParams) == before


def test_without_ax_a_pyplot_figure_is_made(weekly):
    plt = pytest.importorskip("matplotlib.pyplot")
    plt.switch_backend("agg")
    ax = plots.plot_weekly_mileage(weekly)
    try:
        assert plt.fignum_exists(ax.figure.number)
        assert [b.get_height() for b in ax.containers[0]][0] == pytest.approx(10.0)
    finally:
        plt.close(ax.figure)


def test_palette_has_the_named_colours():
    needed = {"distance", "pain", "flare", "acute", "chronic", "climb", "descent", "trail",
              "zone1", "zone2", "zone3", "zone4", "zone5", "not_logged"}
    assert needed <= set(plots.PALETTE)
    for colour in plots.PALETTE.values():
        to_rgba(colour)
    zones = [plots.PALETTE[f"zone{i}"] for i in range(1, 6)]
    assert len(set(zones)) == 5


# --------------------------------------------------------------------------- sample season


@pytest.fixture(scope="module")
def season():
    from runback.log import TrainingLog

    return TrainingLog.from_paths([REPO / "sample_data" / "runner" / "activities"],
                                  diary=REPO / "sample_data" / "runner" / "pain_diary.csv")


def test_sample_season_every_chart(season):
    weekly, daily, flares = season.weekly, season.daily, season.flares
    ax = plots.plot_weekly_mileage(weekly, flares, ax=new_ax())
    np.testing.assert_allclose([b.get_height() for b in ax.containers[0]],
                               weekly["distance_m"] / 1000)
    assert len(by_gid(ax.patches, "flare")) == len(flares) > 0
    assert len(twins(ax)) == 1

    ax = plots.plot_pain_calendar(daily, ax=new_ax((10, 2.5)))
    cells = sum(len(c.get_paths()) for c in ax.collections if c.get_gid() != "flare_onset")
    assert cells == len(daily)
    assert len(by_gid(ax.collections, "flare_onset")[0].get_paths()) == int(
        daily["flare_onset"].sum())

    ax = plots.plot_load(daily, ax=new_ax())
    assert len(by_gid(ax.collections, "flare_onset")[0].get_segments()) == len(flares)

    result = season.factors(n_permutations=20)
    ax = plots.plot_factors(result, ax=new_ax((6, 5)))
    estimated = result.factors.dropna(subset=["odds_ratio"])
    for name, value in zip(estimated["factor"], estimated["odds_ratio"], strict=True):
        assert by_gid(ax.lines, f"or:{name}")[0].get_xdata()[0] == pytest.approx(value)

    ax = plots.plot_intensity(season.activities, ax=new_ax())
    runs = season.activities[season.activities["is_run"].fillna(False)]
    total = sum(b.get_width() for c in ax.containers for b in c)
    assert total == pytest.approx(runs[list(ZONES)].sum().sum() / 3600)

    for ax in (plots.plot_terrain(weekly, units="imperial", ax=new_ax()),
               plots.plot_sparkline(weekly, ax=new_ax((2, 0.5)))):
        ET.fromstring(plots.figure_svg(ax.figure))
