"""The pages of ``runback serve``: today's entry, the diary, the report, the coach view.

One athlete is served at ``/`` (entry), ``/diary`` and ``/report``; with ``--team`` the
coach view is ``/`` and each athlete's pages are under ``/a/<name>/``. Every page works
without JavaScript: a save is a plain form post answered by a redirect to the day it saved
(so reloading never posts twice), and the date is chosen with links or a GET form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pandas as pd
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from flask import url_for as flask_url_for
from flask.typing import ResponseReturnValue

from runback.errors import RunbackError
from runback.io.diary import check_entry, save_entry
from runback.pain import ADVICE, RED_FLAG_TEXT, daily_pain, find_flares, red_flags
from runback.web import forms
from runback.web.athletes import Athlete
from runback.web.config import REPORT_CSP, ServeConfig

__all__ = ["bp", "DIARY_WEEKS", "COACH_FLAG_DAYS"]

bp = Blueprint("web", __name__)

#: Weeks the diary page shows, the current one included.
DIARY_WEEKS = 8
#: Red flags logged this many days back put an athlete first in the coach view. [d]
COACH_FLAG_DAYS = 28


def _config() -> ServeConfig:
    return cast(ServeConfig, current_app.extensions["runback"])


def _athlete(name: str | None) -> Athlete:
    cfg = _config()
    if cfg.team:
        if name is None or name not in cfg.by_name:
            abort(404)
        return cfg.by_name[name]
    if name is not None:
        abort(404)
    return cfg.athletes[0]


def page_url(kind: str, athlete: Athlete, **args: Any) -> str:
    """The URL of an athlete's page (``today``, ``diary`` or ``report``)."""
    if _config().team:
        return flask_url_for(f"web.athlete_{kind}", name=athlete.name, **args)
    return flask_url_for(f"web.{kind}", **args)


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    return {"page_url": page_url, "label": lambda w: forms.LABELS.get(w, w.replace("_", " "))}


# --- today's entry ---------------------------------------------------------------------

@bp.route("/", methods=["GET", "POST"])
def today() -> ResponseReturnValue:
    """Today's entry, or the coach view with --team."""
    if _config().team:
        if request.method != "GET":
            abort(405)
        return coach()
    return _entry_page(_athlete(None))


@bp.route("/a/<name>/", methods=["GET", "POST"])
def athlete_today(name: str) -> ResponseReturnValue:
    return _entry_page(_athlete(name))


def _parse_day(text: str | None, today: dt.date) -> tuple[dt.date, str]:
    """The day a page is for, and a problem when ``text`` names no usable day."""
    word = (text or "today").strip().lower()
    if word == "today":
        return today, ""
    if word == "yesterday":
        return today - dt.timedelta(days=1), ""
    try:
        day = dt.date.fromisoformat(word)
    except ValueError:
        return today, f"date '{text}' is not a date; write it as YYYY-MM-DD"
    if day > today:
        return today, f"date '{text}' is in the future"
    return day, ""


def _entry_page(athlete: Athlete) -> ResponseReturnValue:
    today = athlete.today()
    if request.method == "POST":
        return _save(athlete, today)
    day, problem = _parse_day(request.args.get("date"), today)
    try:
        diary = athlete.read_diary()
    except RunbackError as e:
        return _error(500, "The diary cannot be read", str(e))
    entry = diary.entry(request.args.get("entry"), day)
    n_day = len(diary.day(day))
    return _render_entry(athlete, today, day, forms.form_from_entry(entry),
                         replaces=entry["key"] if entry else "",
                         n_day=n_day, problems={"": [problem]} if problem else {},
                         saved=request.args.get("saved", ""),
                         flags=_flags_of(entry["red_flags"] if entry else None))


def _save(athlete: Athlete, today: dt.date) -> ResponseReturnValue:
    form = request.form
    raw_date = form.get("date", "")
    entry = forms.entry_from_form(form, raw_date)
    day, _ = _parse_day(raw_date, today)
    problems = check_entry(entry, today=today)
    values = forms.form_from_post(form)
    if problems:
        return _render_entry(athlete, today, day, values, replaces=form.get("replaces", ""),
                             n_day=None, problems=forms.problems_by_field(problems),
                             saved="", flags=[], status=422)
    try:
        outcome = save_entry(athlete.diary, entry, replaces=form.get("replaces") or None,
                             today=today)
    except RunbackError as e:
        return _render_entry(athlete, today, day, values, replaces=form.get("replaces", ""),
                             n_day=None, problems={"": [str(e)]}, saved="", flags=[],
                             status=500)
    if outcome != "unchanged" and _config().prebuild:
        athlete.prebuild()
    return redirect(page_url("today", athlete, date=day.isoformat(), saved=outcome), code=303)


def _flags_of(text: object) -> list[dict[str, str]]:
    """Advice for the red flags of one entry, emergencies first."""
    if not isinstance(text, str) or not text:
        return []
    out = []
    for flag in str(text).split(";"):
        if flag in RED_FLAG_TEXT:
            urgency, message = RED_FLAG_TEXT[flag]
            out.append({"flag": flag, "urgency": urgency, "message": message,
                        "advice": ADVICE[urgency]})
    return sorted(out, key=lambda f: f["urgency"] != "emergency")


def _render_entry(athlete: Athlete, today: dt.date, day: dt.date, values: dict[str, Any], *,
                  replaces: str, n_day: int | None, problems: dict[str, list[str]],
                  saved: str, flags: list[dict[str, str]],
                  status: int = 200) -> ResponseReturnValue:
    pain_choices = [str(i) for i in range(11)]
    if values.get("pain") and values["pain"] not in pain_choices:
        pain_choices.append(values["pain"])  # a 3.5 or a refused value, shown as it is
    html = render_template(
        "today.html.j2", athlete=athlete, today=today, day=day, values=values,
        replaces=replaces, n_day=n_day, problems=problems, saved=saved, flags=flags,
        pain_choices=pain_choices, choices=forms.CHOICES,
        yesterday=today - dt.timedelta(days=1))
    return html, status


# --- the diary -------------------------------------------------------------------------

@bp.route("/diary")
def diary() -> ResponseReturnValue:
    return _diary_page(_athlete(None))


@bp.route("/a/<name>/diary")
def athlete_diary(name: str) -> ResponseReturnValue:
    return _diary_page(_athlete(name))


def _diary_page(athlete: Athlete) -> ResponseReturnValue:
    today = athlete.today()
    try:
        d = athlete.read_diary()
    except RunbackError as e:
        return _error(500, "The diary cannot be read", str(e))
    first = today - dt.timedelta(days=today.weekday() + 7 * (DIARY_WEEKS - 1))
    pain = d.pain[d.pain["date"] >= pd.Timestamp(first)]
    by_day = daily_pain(pain)["pain"] if len(pain) else pd.Series(dtype=float)
    weeks, not_logged = [], 0
    for w in range(DIARY_WEEKS):
        days = []
        for i in range(7):
            day = first + dt.timedelta(days=7 * w + i)
            raw = by_day.get(pd.Timestamp(day))
            logged = raw is not None and not pd.isna(raw)
            value = float(raw) if raw is not None and logged else 0.0
            if day <= today and not logged:
                not_logged += 1
            days.append({"date": day, "future": day > today, "logged": logged,
                         "pain": f"{value:g}" if logged else "",
                         "level": _level(value) if logged else "none"})
        weeks.append(days)
    entries = [{"date": r["date"].date(), "pain": f"{r['pain']:g}", "key": r["key"],
                "words": [forms.LABELS.get(w, w.replace("_", " ")) for c in
                          ("location", "pain_type", "timing") if not pd.isna(r[c])
                          for w in [r[c]]],
                "red_flags": [] if pd.isna(r["red_flags"]) else r["red_flags"].split(";"),
                "notes": "" if pd.isna(r["notes"]) else r["notes"]}
               for _, r in pain.iloc[::-1].iterrows()]
    flags = red_flags(pain) if len(pain) else None
    flag_rows = [] if flags is None else flags.to_dict("records")
    html = render_template("diary.html.j2", athlete=athlete, today=today, weeks=weeks,
                           not_logged=not_logged,
                           n_days=(today - first).days + 1, entries=entries,
                           flags=flag_rows, problems=d.problems, exists=d.exists,
                           weeks_shown=DIARY_WEEKS)
    return html


def _level(pain: float) -> str:
    if pain <= 0:
        return "none"
    if pain <= 3:
        return "mild"
    if pain <= 6:
        return "moderate"
    return "severe"


# --- the report ------------------------------------------------------------------------

@bp.route("/report")
def report() -> ResponseReturnValue:
    return _report_page(_athlete(None))


@bp.route("/a/<name>/report")
def athlete_report(name: str) -> ResponseReturnValue:
    return _report_page(_athlete(name))


def _report_page(athlete: Athlete) -> ResponseReturnValue:
    try:
        html = athlete.report()
    except RunbackError as e:
        return _error(500, "The report cannot be made", str(e))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


# --- the coach view --------------------------------------------------------------------

def coach() -> ResponseReturnValue:
    rows: list[dict[str, Any]] = []
    for athlete in _config().athletes:
        today = athlete.today()
        monday = today - dt.timedelta(days=today.weekday())
        row = {"athlete": athlete, "logged": 0, "days": (today - monday).days + 1,
               "latest": None, "flags": [], "urgency": 2, "error": ""}
        try:
            pain = athlete.read_diary().pain
        except RunbackError as e:
            row["error"] = str(e)
            rows.append(row)
            continue
        if len(pain):
            dates = pain["date"].dt.date
            row["logged"] = int(dates[dates >= monday].nunique())
            last = pain.iloc[-1]
            row["latest"] = {"date": last["date"].date(), "pain": f"{last['pain']:g}"}
            flags = red_flags(pain, find_flares(daily_pain(pain)))
            recent = flags[flags["date"] >= pd.Timestamp(today - dt.timedelta(
                days=COACH_FLAG_DAYS - 1))]
            row["flags"] = recent.to_dict("records")
            if len(recent):
                row["urgency"] = 0 if (recent["urgency"] == "emergency").any() else 1
        rows.append(row)
    rows.sort(key=lambda r: (r["urgency"], r["logged"], r["athlete"].name))
    return render_template("team.html.j2", rows=rows, flag_days=COACH_FLAG_DAYS)


def _error(status: int, title: str, message: str) -> ResponseReturnValue:
    return render_template("error.html.j2", status=status, title=title,
                           message=message), status
