"""Helpers of the report tests: small athletes written on the spot, and an HTML outline."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from runback.log import TrainingLog
from tests.builders import DENVER, gpx, track

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
DIARY_HEADER = ("date,pain,location,pain_type,timing,sleep_hours,stress,interventions,red_flags,"
                "notes")


def write_athlete(folder: Path, *, km: float = 8.0, label: str = "Easy", start: str = "2025-03-03",
                  days: int = 63, where=DENVER, flare_days=(24, 45), onset_note: str = "",
                  red_flag_day: int | None = None, red_flag_note: str = "",
                  diary: bool = True, run_names: dict | None = None) -> Path:
    """An athlete folder: a GPX run every day but Monday, and a pain diary.

    Runs start at 14:00 UTC (morning in Denver, afternoon in Europe), ``km`` long at 3 m/s,
    named ``"<label> run <day>"`` unless ``run_names`` gives a name for that day. The diary
    logs pain 2 every day, and a flare-up (6, 5, 4) from each of ``flare_days``.
    """
    acts = folder / "activities"
    acts.mkdir(parents=True)
    first = pd.Timestamp(start)
    minutes = km * 1000 / 3.0 / 60
    for i in range(days):
        day = first + pd.Timedelta(days=i)
        if day.day_of_week == 0:
            continue
        name = (run_names or {}).get(i, f"{label} run {i}")
        points = track(f"{day:%Y-%m-%d}T14:00:00Z", minutes=minutes, step_s=20, where=where)
        (acts / f"{day:%Y-%m-%d}.gpx").write_bytes(gpx(points, name=escape(name)))
    if diary:
        rows = [DIARY_HEADER]
        for i in range(days):
            day = first + pd.Timedelta(days=i)
            pain, note, flags = 2, "", ""
            for f in flare_days:
                if 0 <= i - f < 3:
                    pain = 6 - (i - f)
                if i == f:
                    note = onset_note
            if i == red_flag_day:
                flags, note = "night_pain", red_flag_note
            quoted = '"' + note.replace('"', '""') + '"' if note else ""
            rows.append(f"{day:%Y-%m-%d},{pain},lower,ache,morning,7,3,,{flags},{quoted}")
        (folder / "pain_diary.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def load(folder: Path, cache: Path, **kwargs) -> TrainingLog:
    """The athlete of ``write_athlete`` as a TrainingLog."""
    diary = folder / "pain_diary.csv"
    return TrainingLog.from_paths([folder / "activities"],
                                  diary=diary if diary.exists() else None,
                                  cache_dir=cache, **kwargs)


XSS_NOTE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
XSS_NAME = "<b onmouseover=alert(4)>Hill</b>"
XSS_FILE = "<img src=x onerror=alert(3)>.gpx"


class Outline(HTMLParser):
    """Section ids in document order, every <svg>/<img>, every id, chart figures."""

    def __init__(self):
        super().__init__()
        self.sections, self.ids, self.svgs, self.imgs, self.figures = [], [], 0, [], 0
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "section":
            self.sections.append(a.get("id"))
        elif tag == "svg":
            self.svgs += 1
        elif tag == "img":
            self.imgs.append(a.get("src", ""))
        elif tag == "figure" and "chart" in a.get("class", ""):
            self.figures += 1
        elif tag == "script":
            self.scripts += 1


def outline(html: str) -> Outline:
    o = Outline()
    o.feed(html)
    return o


def section(html: str, sid: str) -> str:
    start = html.index(f'<section id="{sid}"')
    return html[start:html.index("</section>", start)]


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))
