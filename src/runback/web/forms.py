"""The diary form: what it offers, what a post becomes, and where each problem is shown.

The form validates nothing on its own: a posted entry is checked by
:func:`runback.io.diary.check_entry`, the very checks the CSV diary reader makes, and each
problem is shown beside the field it names.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from werkzeug.datastructures import MultiDict

from runback.io.diary import INTERVENTIONS, LOCATIONS, PAIN_TYPES, RED_FLAGS, TIMINGS

__all__ = ["FIELDS", "CHOICES", "LABELS", "entry_from_form", "form_from_entry",
           "problems_by_field"]

#: The form's fields, in the order the page shows them.
FIELDS = ("pain", "location", "pain_type", "timing", "sleep_hours", "stress",
          "interventions", "red_flags", "flare", "notes")
#: The words a single-choice or list field offers (the diary's own vocabulary).
CHOICES = {"location": LOCATIONS, "pain_type": PAIN_TYPES, "timing": TIMINGS,
           "interventions": INTERVENTIONS, "red_flags": RED_FLAGS}
#: Plain words for the vocabulary.
LABELS = {
    "during_run": "during a run", "after_run": "after a run", "foam_roller": "foam roller",
    "chiro": "chiropractor", "physio": "physiotherapist", "nsaid": "anti-inflammatory (NSAID)",
    "rest": "rest",
    "bladder_bowel": "change in bladder or bowel control",
    "saddle_numbness": "numbness in the saddle or genital area",
    "leg_weakness": "leg weakness", "both_legs": "pain or sciatica in both legs",
    "fever": "fever", "weight_loss": "unexplained weight loss",
    "trauma": "a fall or an accident", "night_pain": "pain at night that rest does not ease",
    "cancer_history": "a history of cancer",
}
#: How each problem sentence of the diary checks starts -> the field it is about.
_PROBLEM_FIELD = (("date", "date"), ("pain is", "pain"), ("pain '", "pain"),
                  ("sleep hours", "sleep_hours"), ("stress", "stress"),
                  ("unknown location", "location"), ("one location", "location"),
                  ("unknown pain type", "pain_type"), ("one pain type", "pain_type"),
                  ("unknown timing", "timing"), ("one timing", "timing"),
                  ("unknown interventions", "interventions"),
                  ("unknown red flags", "red_flags"), ("flare", "flare"))


def entry_from_form(form: MultiDict[str, str], date: str) -> dict[str, object]:
    """The diary entry a posted form holds, as :func:`runback.io.diary.save_entry` takes it.

    Parameters
    ----------
    form : werkzeug MultiDict
        The posted fields.
    date : str
        The day the form is for, as posted (checked with the rest of the entry).

    Returns
    -------
    dict
        ``date`` and ``pain`` always (``pain`` may be empty: the check says it is missing);
        the other fields when given. ``flare`` only when ticked, so a diary without a
        ``flare`` column does not gain one from every save.
    """
    entry: dict[str, object] = {"date": date.strip(), "pain": form.get("pain", "").strip()}
    for name in ("location", "pain_type", "timing", "sleep_hours", "stress", "notes"):
        value = form.get(name, "").strip()
        if value:
            entry[name] = value
    for name in ("interventions", "red_flags"):
        words = [w.strip() for w in form.getlist(name) if w.strip()]
        if words:
            entry[name] = ";".join(words)
    if form.get("flare"):
        entry["flare"] = True
    return entry


def form_from_entry(entry: dict[str, Any] | None) -> dict[str, Any]:
    """Form values (text, or lists for the checkboxes) of a diary row from the reader."""
    values: dict[str, Any] = {f: "" for f in FIELDS}
    values["interventions"] = []
    values["red_flags"] = []
    if entry is None:
        return values
    for name in FIELDS:
        v = entry.get(name)
        if v is None or v is False or pd.isna(v):
            continue
        if name in ("interventions", "red_flags"):
            values[name] = [w for w in str(v).split(";") if w]
        elif name == "flare":
            values[name] = bool(v)
        elif isinstance(v, float):
            values[name] = f"{v:g}"
        else:
            values[name] = str(v)
    return values


def form_from_post(form: MultiDict[str, str]) -> dict[str, Any]:
    """Form values of a posted form, to show it again with its problems."""
    values: dict[str, Any] = {f: form.get(f, "").strip() for f in FIELDS}
    values["interventions"] = form.getlist("interventions")
    values["red_flags"] = form.getlist("red_flags")
    values["flare"] = bool(form.get("flare"))
    return values


def problems_by_field(problems: list[str]) -> dict[str, list[str]]:
    """The problems grouped by the field they name (``""``: no single field)."""
    out: dict[str, list[str]] = {}
    for p in problems:
        name = next((f for start, f in _PROBLEM_FIELD if p.startswith(start)), "")
        out.setdefault(name, []).append(p)
    return out
