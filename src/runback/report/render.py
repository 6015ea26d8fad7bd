"""The runner's HTML report: one self-contained file, red flags first.

:func:`athlete_context` gathers everything one athlete's report shows from a
:class:`~runback.log.TrainingLog` (the factor analysis is run once and shared by the
summary, the charts and the table); :func:`render_report` lays it out with the jinja2
templates in ``templates/`` (autoescaping on: every piece of user text, from diary notes to
file names, is escaped) and :func:`write_atomic` writes it.

The page fetches nothing: the style sheet is inlined, charts are inline SVG from
:mod:`runback.plots`, and a Content-Security-Policy forbids scripts and every network
request. It holds no GPS coordinates unless the user asks for route drawings
(``show_routes``), and those are shapes in box coordinates, never latitudes or longitudes.
Sections, in order: red flags, summary, charts, factors, data quality, method and limits,
not medical advice.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, cast

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from matplotlib.figure import Figure

from runback import __version__, plots
from runback.factors import FACTORS
from runback.pain import ADVICE, intervention_summary
from runback.report import fmt, routes, summary
from runback.report.shapes import (
    AthleteLog,
    ContextRun,
    FactorRow,
    InterventionRow,
    RedFlagRow,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from runback.factors import FactorResult
    from runback.profile import AthleteProfile

#: What a template shows of one thing (a chart, a row, a section): names -> values.
Context = dict[str, object]
#: A chart to draw: id, title, size [in], drawing on an Axes, caption.
_ChartSpec = tuple[str, str, tuple[float, float], "Callable[[Axes], object]", str]

__all__ = [
    "SECTIONS",
    "SENSITIVITY_PERMUTATIONS",
    "ROUTE_RUNS",
    "athlete_context",
    "render_report",
    "write_atomic",
    "environment",
]

#: Section ids in the order the report shows them (an athlete's ids in a team report carry
#: the prefix ``athlete-<slug>-``).
SECTIONS = ("red-flags", "summary", "charts", "factors", "data-quality", "method",
            "disclaimer")
#: Circular shifts per cell of the sensitivity grid (9 re-analyses; the main table uses all
#: shifts unless told otherwise), which keeps a year's report within seconds.
SENSITIVITY_PERMUTATIONS = 200
#: Files without an activity listed one by one in "data quality"; more are counted by reason.
MAX_LISTED_SKIPS = 20
#: Runs drawn with ``show_routes`` (the latest ones with a GPS track).
ROUTE_RUNS = 12
#: Chart sizes. [in]
WIDE = (8.0, 3.2)
CALENDAR = (8.0, 2.1)
TALL = (8.0, 4.4)

_TOPIC = {f.name: f.claim for f in FACTORS}
#: Profile attribute -> (label, unit, how a note about it starts).
PROFILE_FIELDS = {
    "hr_max": ("HR max", "bpm", "HR max"),
    "hr_rest": ("HR rest", "bpm", "HR rest"),
    "hr_threshold": ("threshold HR", "bpm", "threshold HR"),
    "threshold_pace_s_per_km": ("threshold pace", "s/km", "threshold pace"),
    "sex": ("sex (TRIMP weighting)", "", "sex"),
    "timezone": ("time zone", "", "time zone"),
    "flare_k": ("flare threshold k", "NRS points", "flare"),
    "hazard_window_days": ("hazard window", "days", "hazard window"),
}


@cache
def environment() -> Environment:
    """The jinja2 environment of the report templates (autoescaping on)."""
    return Environment(loader=PackageLoader("runback.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder.

    A reader never sees a half-written report: the file appears complete or not at all.
    The file gets the mode of the file it replaces, else the usual mode for new files.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.exists(path):
        mode = os.stat(path).st_mode & 0o777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# ----------------------------------------------------------------------------------------
# Charts
# ----------------------------------------------------------------------------------------

def _svg(draw: Callable[[Axes], object], size: tuple[float, float], title: str) -> Markup:
    """Draw on a new pyplot-free figure and return it as inline SVG."""
    fig = Figure(figsize=size, layout="constrained")
    draw(fig.add_subplot())
    return Markup(plots.figure_svg(fig, title=title))


def chart_list(*, weekly: pd.DataFrame, daily: pd.DataFrame, activities: pd.DataFrame,
               flares: pd.DataFrame | None, result: FactorResult | None,
               grid: pd.DataFrame | None, units: str,
               wellness: pd.DataFrame | None = None) -> list[Context]:
    """The report's charts as inline SVG, in the order shown.

    Parameters
    ----------
    weekly, daily, activities : DataFrame
        runback's tables.
    flares : DataFrame or None
        None without a diary (no pain charts).
    result : FactorResult or None
        The case-crossover result (forest plot).
    grid : DataFrame or None
        The sensitivity grid (heatmap).
    units : {"metric", "imperial"}
    wellness : DataFrame, optional
        The ``wellness`` table; its chart is shown when a device recorded sleep, resting
        heart rate or HRV.

    Returns
    -------
    list of dict
        ``id``, ``title``, ``caption``, ``svg`` (Markup).
    """
    unit = fmt.distance_unit(units)
    specs: list[_ChartSpec] = [("weekly", f"Weekly running distance ({unit})"
              + (" and pain" if flares is not None else ""), WIDE,
              lambda ax: plots.plot_weekly_mileage(weekly, flares, units=units, ax=ax),
              "Bars: running distance per local week (Monday to Sunday). "
              + ("Line: mean pain of the logged days; shaded: flare-ups."
                 if flares is not None else ""))]
    if flares is not None:
        specs.append(("pain-calendar", "Pain calendar", CALENDAR,
                      lambda ax: plots.plot_pain_calendar(daily, ax=ax),
                      "One square per day; grey days were not logged (unknown, not 0); "
                      "outlined days are flare-up onsets."))
    specs += [
        ("load", "Acute and chronic training load", WIDE,
         lambda ax: plots.plot_load(daily, ax=ax),
         "Acute (7-day) and chronic (28-day) exponentially weighted load. Their ratio is "
         "descriptive only: it is not a validated risk zone."),
        ("terrain", "Climb, descent and trail share", WIDE,
         lambda ax: plots.plot_terrain(weekly, units=units, ax=ax),
         "Weekly climbing and descent; the line is the share of running distance on trail."),
        ("intensity", "Time in heart-rate zones", WIDE,
         lambda ax: plots.plot_intensity(activities, ax=ax),
         "Running time in heart-rate zones 1-5 (50-100 % of HR max)."),
    ]
    if wellness is not None and _device_wellness(wellness):
        specs.append(("wellness", "Sleep, resting heart rate and HRV", WIDE,
                      lambda ax: plots.plot_wellness(wellness, flares, ax=ax),
                      "Per local day, from your watch or phone (the diary's sleep where you "
                      "wrote it); shaded: flare-ups. Resting heart rate and HRV enter the "
                      "factor analysis as deviations from your own 28-day baseline."))
    if result is not None:
        specs.append(("forest", "Factors before flare-ups: odds ratios", TALL,
                      lambda ax: plots.plot_factors(result, ax=ax),
                      "Odds ratio with 95 % confidence interval per factor (log scale); "
                      "1 means no difference from comparable days."))
    if grid is not None:
        specs.append(("sensitivity", "Sensitivity: flare threshold and window", TALL,
                      lambda ax: plots.plot_sensitivity(grid, ax=ax),
                      "Odds ratios when the flare threshold k and the hazard window change: "
                      "a finding that holds only in one cell is fragile."))
    return [{"id": key, "title": title, "caption": caption, "svg": _svg(draw, size, title)}
            for key, title, size, draw, caption in specs]


def _device_wellness(wellness: pd.DataFrame) -> bool:
    """Whether a device (not only the diary) recorded wellness values."""
    if wellness is None or wellness.empty or "source" not in wellness:
        return False
    return bool(wellness["source"].astype("string").fillna("").ne("diary").any())


def wellness_sources(wellness: pd.DataFrame | None) -> list[str]:
    """``"123 days: garmin"``, one line per source of the wellness table."""
    if wellness is None or wellness.empty or "source" not in wellness:
        return []
    counts = wellness["source"].astype("string").fillna("unknown").value_counts()
    return [f"{n} day{'s' if n != 1 else ''}: {src}" for src, n in counts.items()]


# ----------------------------------------------------------------------------------------
# Sections
# ----------------------------------------------------------------------------------------

def red_flag_rows(red_flags: pd.DataFrame, pain: pd.DataFrame) -> list[Context]:
    """Red flags as the report lists them, with the diary notes of the days they were logged.

    Returns
    -------
    list of dict
        ``urgency``, ``message``, ``advice``, ``dates`` (text), ``notes`` (list of str).
    """
    rows: list[Context] = []
    for row in red_flags.itertuples():
        f = cast(RedFlagRow, row)
        dates = fmt.day(f.date) if f.days <= 1 else (
            f"{f.days} days, {fmt.day(f.first_date)} to {fmt.day(f.date)}")
        notes: list[str] = []
        if len(pain) and "red_flags" in pain:
            logged = pain["red_flags"].astype("string").fillna("").str.split(";").map(
                lambda flags, name=f.flag: name in flags)
            notes = [str(n) for n in pain.loc[logged.to_numpy(dtype=bool), "notes"].dropna()
                     if str(n).strip()]
        rows.append({"urgency": f.urgency, "message": f.message, "advice": f.advice,
                     "dates": dates, "notes": notes})
    return rows


def factor_rows(result: FactorResult) -> list[Context]:
    """The factor table, strongest evidence first (smallest p; no estimate last).

    ``flagged`` marks a finding: a factor that survives the false discovery rate, whose
    95 % interval excludes 1 and that the data can size (the summary states exactly
    these).
    """
    f = result.factors.copy()
    f["_p"] = pd.to_numeric(f["p_value"], errors="coerce")
    f = f.sort_values("_p", na_position="last", kind="stable")
    rows: list[Context] = []
    for row in f.itertuples():
        r = cast(FactorRow, row)
        has = pd.notna(r.odds_ratio)
        rows.append({
            "factor": str(r.factor).replace("_", " "),
            "claim": _TOPIC.get(str(r.factor), ""),
            "odds_ratio": fmt.ratio(r.odds_ratio) if has else "no estimate",
            "ci": f"{fmt.ratio(r.ci_low)} to {fmt.ratio(r.ci_high)}" if has else "-",
            "p": fmt.pvalue(r.p_value),
            "q": fmt.pvalue(r.q_value),
            "n": int(r.n_onsets),
            "description": r.description if isinstance(r.description, str) else "",
            "flagged": bool(getattr(r, "finding", False)),
        })
    return rows


def diary_completeness(daily_pain: pd.DataFrame) -> Context | None:
    """Days logged against days in the diary's span, and the longest gap.

    Parameters
    ----------
    daily_pain : DataFrame
        :func:`runback.pain.daily_pain` output (indexed by the logged days).

    Returns
    -------
    dict or None
        ``first``, ``last`` (text), ``logged``, ``span`` [d], ``share`` (text),
        ``longest_gap`` [d] (consecutive days without an entry), ``gap_from`` (text); None
        for an empty diary.
    """
    if daily_pain.empty:
        return None
    days = pd.DatetimeIndex(daily_pain.index).sort_values()
    span = int((days[-1] - days[0]).days) + 1
    gaps = (days[1:] - days[:-1]).days.to_numpy() - 1
    longest = int(gaps.max()) if len(gaps) else 0
    gap_from = (fmt.day(days[int(gaps.argmax())] + pd.Timedelta(days=1))
                if longest > 0 else "")
    return {"first": fmt.day(days[0]), "last": fmt.day(days[-1]), "logged": len(days),
            "span": span, "share": fmt.percent(len(days) / span), "longest_gap": longest,
            "gap_from": gap_from}


def profile_rows(profile: AthleteProfile) -> list[Context]:
    """The profile's values, each marked ``estimated`` when a profile note says so."""
    rows: list[Context] = []
    for attr, (label, unit, prefix) in PROFILE_FIELDS.items():
        value = getattr(profile, attr)
        notes = [n for n in profile.notes if n.lower().startswith(prefix.lower())]
        if value is None:
            shown = "not set"
        elif isinstance(value, float):
            shown = f"{value:g} {unit}".strip()
        else:
            shown = f"{value} {unit}".strip()
        rows.append({"label": label, "value": shown, "note": "; ".join(notes),
                     "estimated": bool(notes)})
    return rows


def timezone_rows(activities: pd.DataFrame) -> list[str]:
    """The time zones used for local days, with where each came from and how often."""
    if activities.empty:
        return []
    tz = activities["timezone"].astype("string").fillna("unknown")
    src = activities["tz_source"].astype("string").fillna("unknown")
    counts = pd.DataFrame({"tz": tz, "src": src}).value_counts(sort=True)
    return [f"{zone} (from {source}): {n} activit{'y' if n == 1 else 'ies'}"
            for (zone, source), n in cast("Iterable[tuple[tuple[str, str], int]]",
                                          counts.items())]


def method_text(result: FactorResult | None, *,
                sensitivity_permutations: int | None) -> list[str]:
    """The method and its limits in short paragraphs."""
    out = [
        "Flare-ups: a day whose pain is at least k points above the median of the previous "
        "14 days (needing 7 logged days), or a day you marked as a flare-up. A day without "
        "a diary entry is unknown, never 0.",
    ]
    if result is not None:
        out.append(
            f"Which factors come before flare-ups: {result.method}. Each flare-up is "
            "compared with days of the same weekday close to it, so season and weekly "
            "routine cancel out. One rule decides which days take part, flare-up days and "
            "comparison days alike: they and the days before them lie outside every "
            "flare-up and the weeks after it (while you ease back into training, your "
            "running is not comparable), and the diary was kept on all of them.")
        out.append(
            f"Evidence: {result.n_onsets} usable flare-up"
            f"{'s' if result.n_onsets != 1 else ''}, so the results are "
            f"'{result.power}' (under 8: descriptive only; 8-19: underpowered). A factor is "
            "named in the summary only when it stands out among all the factors checked "
            "(false discovery rate 10 %) and the data can size it. Read the confidence "
            "intervals first: an interval from below 1 to above 1 means not known.")
    if sensitivity_permutations is not None:
        out.append(
            "The sensitivity grid repeats the analysis for flare thresholds k = 1.5, 2 and "
            "3, windows of 1, 3 and 7 days and washouts of 14, 21 and 28 days, one choice "
            "at a time.")
    out += [
        "Training load: one scale per athlete, the one known for most sessions (TRIMP from "
        "heart rate, session RPE, rTSS-like or distance); sessions without it are "
        "calibrated to it from another measure, never summed in other units. Acute and "
        "chronic load are exponentially weighted averages over 7 and 28 days; their ratio "
        "(ACWR) is shown for description only, never as a risk zone.",
        "Limits: these are associations in your own data, not causes. Altitude from GPS "
        "is noisy, treadmill runs have no grade, wrist temperature reads warm. Studies of "
        "running injuries are mostly about the legs; none is specific to back pain.",
    ]
    return out


def _route_cards(log: AthleteLog, n: int) -> list[Context]:
    acts = log.activities
    samples = log.samples(routes.route_runs(acts, n)["activity_id"])
    cards = routes.route_cards(acts, samples, last_n=n, units=log.units)
    return [{**c, "svg": Markup(c["svg"])} for c in cards]


def _context_run(row: object) -> ContextRun:
    return cast(ContextRun, row)


def _intervention_row(row: object) -> InterventionRow:
    return cast(InterventionRow, row)


def _ids(prefix: str) -> dict[str, str]:
    return {s.replace("-", "_"): f"{prefix}{s}" for s in SECTIONS}


def athlete_context(log: AthleteLog, *, show_routes: bool = False,
                    n_permutations: int | None = None,
                    roots: Iterable[str | os.PathLike[str]] | None = None, prefix: str = "",
                    route_runs: int = ROUTE_RUNS,
                    sensitivity_permutations: int = SENSITIVITY_PERMUTATIONS,
                    result: FactorResult | None = None) -> Context:
    """Everything one athlete's report shows, ready for the templates.

    Parameters
    ----------
    log : TrainingLog
        The athlete's data.
    show_routes : bool
        Draw the last ``route_runs`` GPS tracks (shapes only). Off by default: start
        points reveal where people live.
    n_permutations : int, optional
        Circular shifts for the factor table (default: all).
    roots : iterable of str, optional
        The PATHs given, so file names show relative to them (default: the folders the
        activities were found in).
    prefix : str
        Prefix of every section id (a team report gives ``athlete-<slug>-``).
    route_runs : int
        How many runs ``show_routes`` draws.
    sensitivity_permutations : int
        Circular shifts per cell of the sensitivity grid (fewer if ``n_permutations`` is).
    result : FactorResult, optional
        The factor analysis when the caller already has it (it is computed once).

    Returns
    -------
    dict
        Template context (see ``templates/athlete.html.j2``).
    """
    units = log.units
    res = log.import_result
    acts = log.activities
    if roots is None:
        roots = list(acts["entry_root"].dropna().unique()) if "entry_root" in acts else []
    roots = [os.fspath(r) for r in roots]
    has_diary = log.has_diary
    grid = sens = None
    flares = log.flares if has_diary else None
    if not has_diary:
        result = None
    else:
        if result is None:
            result = log.factors(n_permutations=n_permutations)
        sens = sensitivity_permutations if n_permutations is None else min(
            n_permutations, sensitivity_permutations)
        grid = log.sensitivity()
    window = result.window_days if result is not None else log.profile.hazard_window_days
    sentences = summary.summary_sentences(
        weekly=log.weekly, daily=log.daily, activities=acts, flares=flares, result=result,
        units=units, window_days=window)
    context_rows: list[Context] = []
    if has_diary and len(log.flares):
        ctx = summary.flare_context(acts, log.flares, window_days=window)
        notes = summary.onset_notes(log.pain, log.flares)
        for onset, part in ctx.groupby("onset", sort=False):
            runs = [{"date": fmt.day(r.date), "name": r.name if isinstance(r.name, str) else "",
                     "surface": r.surface if isinstance(r.surface, str) else "",
                     "distance": fmt.distance(r.distance_m, units),
                     "climb": fmt.elevation(r.elevation_gain_m, units),
                     "descent": fmt.elevation(r.elevation_loss_m, units),
                     "steep": fmt.duration(r.downhill_10_s)}
                    for r in map(_context_run, part.itertuples()) if pd.notna(r.date)]
            context_rows.append({"onset": fmt.day(onset), "runs": runs,
                                 "notes": notes.get(cast(pd.Timestamp, onset), [])})
    patterns: list[str] = []
    if has_diary and len(log.flares):
        table = summary.pattern_table(log.daily, acts, log.flares, window_days=window,
                                      units=units)
        patterns = summary.pattern_sentences(table, window_days=window)
    skipped = [{"name": fmt.display_name(n, roots), "reason": fmt.scrub_paths(r, roots),
                "kind": "not an activity" if na else "unreadable"}
               for n, r, na in zip(res.skipped["name"], res.skipped["reason"],
                                   res.skipped["not_activity"], strict=True)]
    # an export holds thousands of files that are no activity (monitoring, settings...):
    # every unreadable file is listed, the others by reason once there are many
    quiet = [s for s in skipped if s["kind"] == "not an activity"]
    if len(quiet) > MAX_LISTED_SKIPS:
        skipped = [s for s in skipped if s["kind"] != "not an activity"]
        by_reason = pd.Series([s["reason"] for s in quiet]).value_counts(sort=True)
        skipped += [{"name": f"{n} file{'s' if n != 1 else ''}", "reason": str(reason),
                     "kind": "not an activity"} for reason, n in by_reason.items()]
    profile_notes = set(log.profile.notes)
    interventions: list[Context] = []
    if has_diary and len(log.flares):
        iv = intervention_summary(log.flares, log.daily_pain)
        interventions = [{"name": r.intervention.replace("_", " "),
                          "with": f"{r.flares_with} ({r.median_days_with:g} days)",
                          "without": (f"{r.flares_without} ({r.median_days_without:g} days)"
                                      if pd.notna(r.median_days_without)
                                      else f"{r.flares_without}")}
                         for r in map(_intervention_row, iv.itertuples())]
    wellness = log.wellness
    period = ""
    if len(log.daily):
        period = f"{fmt.day(log.daily['date'].min())} to {fmt.day(log.daily['date'].max())}"
    return {
        "ids": _ids(prefix),
        "units": units,
        "period": period,
        "has_diary": has_diary,
        "red_flags": red_flag_rows(log.red_flags, log.pain) if has_diary else [],
        "advice": ADVICE,
        "summary": sentences,
        "flare_context": context_rows,
        "patterns": patterns,
        "window_days": window,
        "charts": chart_list(weekly=log.weekly, daily=log.daily, activities=acts,
                             flares=flares, result=result, grid=grid, units=units,
                             wellness=wellness),
        "routes": _route_cards(log, route_runs) if show_routes else None,
        "factors": factor_rows(result) if result is not None else [],
        "factor_power": result.power if result is not None else "",
        "factor_warnings": ([fmt.scrub_paths(w, roots) for w in result.warnings]
                            if result is not None else []),
        "interventions": interventions,
        "quality": {
            "n_files": res.n_files,
            "n_imported": res.n_imported,
            "n_activities": len(acts),
            "n_runs": int(acts["is_run"].fillna(False).astype(bool).sum()) if len(acts) else 0,
            "skipped": skipped,
            "n_skipped": len(res.skipped),
            "warnings": [fmt.scrub_paths(w, roots) for w in res.warnings],
            "notes": [fmt.scrub_paths(n, roots) for n in log.notes if n not in profile_notes],
            "diary": diary_completeness(log.daily_pain) if has_diary else None,
            "wellness": wellness_sources(wellness),
            "profile": profile_rows(log.profile),
            "timezones": timezone_rows(acts),
        },
        "method": method_text(result, sensitivity_permutations=sens),
    }


def render_report(log: AthleteLog, *, show_routes: bool = False, title: str | None = None,
                  n_permutations: int | None = None,
                  roots: Iterable[str | os.PathLike[str]] | None = None) -> str:
    """The runner's report as one self-contained HTML page.

    Parameters
    ----------
    log : TrainingLog
    show_routes : bool
        Draw route shapes of the latest runs (off by default, for privacy).
    title : str, optional
        Page title (default "Training and back pain report").
    n_permutations : int, optional
        Circular shifts for the factor analysis (default: all).
    roots : iterable of str, optional
        The PATHs given, for file names relative to them.

    Returns
    -------
    str
        The HTML.
    """
    athlete = athlete_context(log, show_routes=show_routes, n_permutations=n_permutations,
                              roots=roots)
    return environment().get_template("report.html.j2").render(
        title=title or "Training and back pain report", a=athlete, level=2,
        version=__version__)
