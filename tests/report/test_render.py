"""The runner's HTML report: section order, inline charts, escaping, privacy, files."""

from __future__ import annotations

import os
import re

import pandas as pd
import pytest
from matplotlib.figure import Figure

from runback.report import SECTIONS, fmt
from tests.report.helpers import (
    XSS_FILE,
    XSS_NAME,
    XSS_NOTE,
    load,
    outline,
    section,
    text_of,
    write_athlete,
)

NETWORK = re.compile(r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)"""
                     r"""|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)


def test_sample_report_sections_in_order(sample_report):
    html = sample_report.read_text(encoding="utf-8")
    o = outline(html)
    # the sample runner logs no red flag, so the report starts with the summary
    assert o.sections == [s for s in SECTIONS if s != "red-flags"]
    assert len(o.ids) == len(set(o.ids))


def test_sample_report_charts_are_inline(sample_report):
    html = sample_report.read_text(encoding="utf-8")
    o = outline(html)
    charts = section(html, "charts")
    # weekly, pain calendar, load, terrain, intensity, forest plot, sensitivity
    assert o.figures == 7
    assert charts.count("<svg") == 7
    assert all(src.startswith("data:image/") for src in o.imgs)
    assert not NETWORK.search(html), NETWORK.search(html)
    assert 'http-equiv="Content-Security-Policy"' in html
    assert o.scripts == 0


def test_sample_report_has_the_disclaimer_and_the_method(sample_report):
    html = sample_report.read_text(encoding="utf-8")
    assert "not medical advice" in text_of(section(html, "disclaimer")).lower()
    method = text_of(section(html, "method"))
    for words in ("case-crossover", "Firth-penalised", "Benjamini-Hochberg", "underpowered",
                  "descriptive only", "not causes", "washout", "days since the last flare-up",
                  "washouts of 14, 21 and 28 days", "one scale per athlete"):
        assert words in method, words


def test_sample_summary_names_the_planted_trigger(sample_report, sample_truth):
    html = sample_report.read_text(encoding="utf-8")
    text = text_of(section(html, "summary"))
    first, last = (fmt.day(sample_truth[k]) for k in ("first_day", "last_day"))
    assert f"Your data cover {first} to {last}" in text
    onsets = sample_truth["flare_onsets"]
    assert f"shows {len(onsets)} flare-ups" in text
    assert f"the last began on {fmt.day(onsets[-1])}" in text
    # the planted cause: steep descents on shuttle runs
    assert "steeper than -10 %" in text
    assert "you ran more steep downhill (grades steeper than -10 %)" in text
    assert "per 10 min" in text and "q = " in text
    assert "Nothing stands out" not in text
    # descent and at most one other factor are stated, each as one finding sentence
    assert 1 <= text.count("than on comparable days") <= 2
    assert "timing alone cannot rule out" in text
    assert "caus" not in text.replace("not proof of cause", "")


def test_sample_factor_table_puts_descent_first(sample_report):
    html = sample_report.read_text(encoding="utf-8")
    table = section(html, "factors")
    rows = re.findall(r'<tr[^>]*><th scope="row">([^<]+)</th>', table)
    assert rows[0] == "descent"
    assert {"treadmill", "cold"} <= set(rows)
    assert "no estimate" in table


def test_user_text_is_escaped(hostile_report):
    html = hostile_report.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;b onmouseover=alert(4)&gt;Hill&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=alert(3)&gt;.gpx" in html
    for raw in (XSS_NOTE, XSS_NAME, XSS_FILE, "<script", "<img src=x", "<b onmouseover"):
        assert raw not in html
    assert outline(html).scripts == 0


def test_red_flags_come_first_with_their_notes(hostile_report):
    html = hostile_report.read_text(encoding="utf-8")
    o = outline(html)
    assert o.sections == list(SECTIONS)
    flags = text_of(section(html, "red-flags"))
    assert "pain at night" in flags and "Wed 2 Apr 2025" in flags
    assert "alert(1)" in flags          # the day's note, escaped, beside the flag


def test_no_machine_paths_in_the_report(hostile_report, hostile_athlete):
    html = hostile_report.read_text(encoding="utf-8")
    assert str(hostile_athlete.parent) not in html
    skipped = text_of(section(html, "data-quality"))
    assert "activities/<img src=x onerror=alert(3)>.gpx" in skipped.replace("&lt;", "<").replace(
        "&gt;", ">")


# Distinctive coordinates, in Switzerland (the time zone comes from them).
WHERE = (46.9876543, 7.4567891)


@pytest.fixture(scope="module")
def located(tmp_path_factory):
    folder = write_athlete(tmp_path_factory.mktemp("located") / "athlete", where=WHERE)
    return load(folder, tmp_path_factory.mktemp("located-cache"))


def coordinate_digits(html: str) -> list[str]:
    return [d for d in ("46.9876", "46.98765", "7.45678", "7.4567891") if d in html]


def test_no_coordinates_without_show_routes(located):
    # the digits are in the data, so the check could fail
    assert f"{located.activities['start_lat_deg'].iloc[0]:.7f}" == "46.9876543"
    assert f"{located.samples()['longitude_deg'].iloc[0]:.4f}" == "7.4568"
    html = located.report()
    assert coordinate_digits(html) == []
    assert 'class="route"' not in html


def test_show_routes_draws_shapes_without_coordinates(located):
    html = located.report(show_routes=True)
    charts = section(html, "charts")
    assert charts.count('class="route"') == 12          # the latest 12 runs
    assert "Routes of your latest runs" in charts
    assert coordinate_digits(html) == []
    assert not NETWORK.search(html)


def test_imperial_report_shows_miles(tmp_path):
    folder = write_athlete(tmp_path / "athlete", km=8.0)
    log = load(folder, tmp_path / "cache", units="imperial")
    html = log.report()
    summary_text = text_of(section(html, "summary"))
    assert re.search(r"\d+\.\d mi a week", summary_text)
    assert " km" not in summary_text
    assert "Weekly running distance (mi)" in html
    assert "distance [mi]" in section(html, "charts")


def test_report_without_a_diary(tmp_path):
    folder = write_athlete(tmp_path / "athlete", diary=False)
    log = load(folder, tmp_path / "cache")
    html = log.report(title="Training <only>")
    o = outline(html)
    assert o.sections == [s for s in SECTIONS if s != "red-flags"]
    assert "No pain diary was given" in text_of(section(html, "summary"))
    assert "<title>Training &lt;only&gt;</title>" in html
    assert o.figures == 4                       # no pain calendar, forest plot or grid


def test_report_with_a_diary_but_no_flare_up(tmp_path):
    folder = write_athlete(tmp_path / "athlete", flare_days=())
    log = load(folder, tmp_path / "cache")
    html = log.report()
    assert "shows no flare-up" in text_of(section(html, "summary"))
    assert "no flare-up onset" in text_of(section(html, "factors"))


def test_report_writes_atomically_and_computes_factors_once(tmp_path, monkeypatch):
    folder = write_athlete(tmp_path / "athlete")
    log = load(folder, tmp_path / "cache")
    calls = []
    original = log.factors

    def counting(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(log, "factors", counting)
    out = tmp_path / "out"
    out.mkdir()
    html = log.report(out / "r.html", n_permutations=50)
    assert len(calls) == 1
    assert (out / "r.html").read_text(encoding="utf-8") == html
    assert sorted(p.name for p in out.iterdir()) == ["r.html"]
    umask = os.umask(0)
    os.umask(umask)
    assert (out / "r.html").stat().st_mode & 0o777 == 0o666 & ~umask
    assert "washouts of 14, 21 and 28 days" in html


@pytest.mark.parametrize("method", ["plot_weekly_mileage", "plot_load", "plot_terrain",
                                    "plot_intensity", "plot_factors", "plot_sensitivity",
                                    "plot_pain_calendar"])
def test_log_plot_methods_draw_on_the_given_axes(located, method):
    ax = Figure().add_subplot()
    assert getattr(located, method)(ax=ax) is ax
    assert ax.get_title(loc="left")
    assert len(ax.patches) + len(ax.lines) + len(ax.collections) + len(ax.images) > 0


def test_many_files_without_an_activity_are_counted_by_reason(tmp_path):
    from runback.report import render

    athlete = write_athlete(tmp_path / "ana", days=20)
    routes = athlete / "activities" / "routes"
    routes.mkdir()
    n = render.MAX_LISTED_SKIPS + 5
    for i in range(n):   # GPX routes: valid files that hold no activity
        (routes / f"route{i:03d}.gpx").write_text(
            '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
            f'<rte><name>r{i}</name><rtept lat="46.1" lon="7.1"/></rte></gpx>')
    (athlete / "activities" / "broken.fit").write_bytes(b"not a fit file at all")
    log = load(athlete, tmp_path / "cache")
    quality = text_of(section(log.report(), "data-quality"))
    assert f"{n + 1} skipped" in quality
    assert "broken.fit" in quality                      # unreadable: always by name
    assert f"{n} files" in quality and "route000.gpx" not in quality


def test_the_wellness_chart_shows_only_with_device_data_and_sources_are_counted():
    from runback.report import render

    days = pd.date_range("2025-01-01", periods=40)
    diary_only = pd.DataFrame({"date": days, "sleep_h": 7.0, "resting_hr_bpm": float("nan"),
                               "hrv_ms": float("nan"), "hrv_kind": pd.NA, "source": "diary"})
    watch = diary_only.assign(resting_hr_bpm=48.0, hrv_ms=60.0, hrv_kind="RMSSD",
                              source=["garmin"] * 30 + ["diary"] * 10)
    assert not render._device_wellness(diary_only)
    assert render._device_wellness(watch)
    assert render.wellness_sources(watch) == ["30 days: garmin", "10 days: diary"]
    weekly = pd.DataFrame({"week_start": [days[0]], "distance_m": [10_000.0]})
    charts = render.chart_list(weekly=weekly, daily=pd.DataFrame(), activities=pd.DataFrame(),
                               flares=None, result=None, grid=None, units="metric",
                               wellness=watch)
    assert "wellness" in [c["id"] for c in charts]
    charts = render.chart_list(weekly=weekly, daily=pd.DataFrame(), activities=pd.DataFrame(),
                               flares=None, result=None, grid=None, units="metric",
                               wellness=diary_only)
    assert "wellness" not in [c["id"] for c in charts]
