"""The coach's view: one row per athlete, each athlete's full report below it.

One self-contained page: red flags of any athlete first, then the team table (a row per
athlete, named by the folder), then each athlete's full report as its own section
``id="athlete-<slug>"``, linked from the row. Each section is built from that athlete's
:class:`~runback.log.TrainingLog` alone, so no figure can cross between athletes.

"This week" is the latest local week in the athlete's own data (its date is shown), never
the machine's clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

import pandas as pd
from markupsafe import Markup
from matplotlib.figure import Figure

from runback import __version__, plots
from runback.report import fmt, summary
from runback.report.render import Context, athlete_context, environment
from runback.report.shapes import AthleteLog

if TYPE_CHECKING:
    from runback.cohort.pooled import CohortResult
    from runback.factors import FactorResult

__all__ = ["RECENT_DAYS", "SPARK_WEEKS", "team_row", "render_team"]

#: Flare-ups counted in the team table: onsets in the last this many days of the data. [d]
RECENT_DAYS = 28
#: Weeks drawn in each row's sparkline.
SPARK_WEEKS = 12
#: Sparkline size. [in]
SPARK_SIZE = (2.0, 0.5)


class Week(TypedDict):
    """The team table's "this week" cell: texts."""

    label: str
    distance: str
    change: str


class TeamRow(TypedDict):
    """One athlete's row of the team table (:func:`team_row`): texts and a sparkline."""

    name: str
    href: str
    sparkline: Markup
    week: Week
    load: str
    pain: str
    flares_recent: str
    factor: str
    red_flag: str
    red_flag_href: str


def _sparkline(weekly: pd.DataFrame, units: str) -> Markup:
    fig = Figure(figsize=SPARK_SIZE, layout="constrained")
    plots.plot_sparkline(weekly, weeks=SPARK_WEEKS, units=units, ax=fig.add_subplot())
    return Markup(plots.figure_svg(fig, title=f"weekly distance, last {SPARK_WEEKS} weeks"))


def _this_week(weekly: pd.DataFrame, units: str) -> Week:
    if weekly.empty:
        return {"label": "no activities", "distance": "-", "change": "-"}
    last = weekly.iloc[-1]
    days = int(last["days"])
    label = f"week of {fmt.day(last['week_start'])}"
    if days < 7:
        label += f" ({days} day{'s' if days != 1 else ''} of data)"
    return {"label": label, "distance": fmt.distance(last["distance_m"], units),
            "change": fmt.percent(last["distance_change"], signed=True)}


def _load(daily: pd.DataFrame) -> str:
    if daily.empty:
        return "-"
    last = daily.iloc[-1]
    acute, chronic = last["acute_load"], last["chronic_load"]
    if pd.isna(acute) or pd.isna(chronic):
        return "-"
    text = f"{acute:.0f} / {chronic:.0f}"
    if pd.notna(last["acwr"]):
        text += f" (ratio {last['acwr']:.2f})"
    return text


def team_row(name: str, slug: str, log: AthleteLog, result: FactorResult | None) -> TeamRow:
    """One athlete's row of the team table.

    Parameters
    ----------
    name : str
        The athlete's folder name.
    slug : str
        Their section id part (``athlete-<slug>``).
    log : TrainingLog
        Their data.
    result : FactorResult or None
        Their factor analysis (None without a diary).

    Returns
    -------
    dict
        ``name``, ``href``, ``sparkline`` (SVG Markup), ``week`` (label, distance, change),
        ``load`` (acute / chronic on the last day), ``pain``, ``flares_recent``,
        ``factor``, ``red_flag`` (urgency or ""), ``red_flag_href``.
    """
    units = log.units
    daily = log.daily
    last_day = pd.Timestamp(daily["date"].max()) if len(daily) else None
    row: TeamRow = {
        "name": name, "href": f"#athlete-{slug}", "sparkline": _sparkline(log.weekly, units),
        "week": _this_week(log.weekly, units), "load": _load(daily),
        "pain": "no diary", "flares_recent": "no diary", "factor": "no diary",
        "red_flag": "", "red_flag_href": f"#athlete-{slug}-red-flags"}
    if not log.has_diary:
        return row
    dp = log.daily_pain
    if len(dp):
        when = dp.index.max()
        row["pain"] = f"{dp.loc[when, 'pain']:g}/10 on {fmt.day(when)}"
    else:
        row["pain"] = "no entries"
    if last_day is not None:
        start = last_day - pd.Timedelta(days=RECENT_DAYS - 1)
        onsets = pd.to_datetime(log.flares["onset"])
        row["flares_recent"] = str(int(((onsets >= start) & (onsets <= last_day)).sum()))
    row["factor"] = summary.factor_status(result)
    flags = log.red_flags
    if len(flags):
        row["red_flag"] = str(flags["urgency"].iloc[0])
    return row


def render_team(athletes: Iterable[tuple[str, AthleteLog]], *, title: str | None = None,
                show_routes: bool = False, n_permutations: int | None = None,
                squad: CohortResult | None = None) -> str:
    """The coach's page over several athletes.

    Parameters
    ----------
    athletes : sequence of (str, TrainingLog)
        Each athlete's name (their folder's name) and data, in the order shown.
    title : str, optional
        Page title (default "Team report").
    show_routes : bool
        Draw route shapes in each athlete's section (off by default, for privacy).
    n_permutations : int, optional
        Ignored (kept for old callers).
    squad : CohortResult, optional
        The squad's pooled analysis (:func:`runback.cohort.pooled_for_team` of the same
        athletes): its findings come first, and each row shows the athlete's shrunk
        estimate of them instead of the athlete's own tests.

    Returns
    -------
    str
        The HTML.
    """
    taken: set[str] = set()
    rows: list[TeamRow] = []
    sections: list[Context] = []
    flagged: list[Context] = []
    for name, log in list(athletes):
        slug = fmt.slug(name, taken)
        taken.add(slug)
        result = log.factors(n_permutations=n_permutations) if log.has_diary else None
        ctx = athlete_context(log, show_routes=show_routes, n_permutations=n_permutations,
                              prefix=f"athlete-{slug}-", result=result)
        row = team_row(name, slug, log, result)
        if squad is not None and log.has_diary:
            # one family for the squad: a row shows the squad's findings as this athlete's
            # shrunk estimates, never the athlete's own tests, 14 more per athlete
            row["factor"] = (_shrunk(squad, name) if squad.findings else "") or (
                "no squad finding (own analysis in the report below)")
        rows.append(row)
        sections.append({"name": name, "id": f"athlete-{slug}", "a": ctx})
        if row["red_flag"]:
            flagged.append({"name": name, "href": row["red_flag_href"],
                            "flags": ctx["red_flags"]})
    squad_lines = _squad_lines(squad)
    return environment().get_template("team.html.j2").render(
        title=title or "Team report", rows=rows, sections=sections, flagged=flagged,
        squad=squad_lines, recent_days=RECENT_DAYS, spark_weeks=SPARK_WEEKS,
        version=__version__)


def _squad_lines(squad: CohortResult | None) -> list[str]:
    """The squad's shared findings, or why there is none."""
    if squad is None:
        return []
    if squad.findings:
        return [f["sentence"] for f in squad.findings]
    if squad.power == "descriptive only":
        return [f"Pooled over the squad ({squad.n_onsets} usable flare-ups), no factor can "
                "be told apart from chance yet."]
    return [f"Nothing stands out across the squad: pooled over {squad.n_athletes} athletes "
            f"and {squad.n_onsets} flare-ups, no factor came before flare-ups more often "
            "than chance would explain (at a false discovery rate of 10 %)."]


def _shrunk(squad: CohortResult, name: str) -> str:
    """The athlete's own estimates of the squad's findings, shrunk toward the squad's."""
    a = squad.athletes
    if a is None or a.empty:
        return ""
    parts = []
    for f in squad.findings:
        mine = a[(a["athlete"] == name) & (a["factor"] == f["factor"])]
        if mine.empty or pd.isna(mine["odds_ratio"].iloc[0]):
            continue
        r = mine.iloc[0]
        parts.append(f"{str(f['factor']).replace('_', ' ')}: {fmt.ratio(r['odds_ratio'])} per "
                     f"SD ({fmt.ratio(r['ci_low'])} to {fmt.ratio(r['ci_high'])}), shrunk "
                     "toward the squad")
    return "; ".join(parts)
