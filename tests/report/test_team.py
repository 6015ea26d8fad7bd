"""The coach's team page: one row per athlete, sections that never mix athletes."""

from __future__ import annotations

import re

import pytest

from runback.report import fmt, render_team
from tests.report.helpers import load, outline, section, text_of, write_athlete


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """Three athletes with distinct planted data; the third keeps no diary."""
    root = tmp_path_factory.mktemp("team")
    cache = tmp_path_factory.mktemp("team-cache")
    specs = {
        "Alpha Runner": dict(km=5.0, label="Alphaway", onset_note="alpha-note",
                             start="2025-03-03"),
        "bravo": dict(km=13.0, label="Bravoroute", onset_note="bravo-note",
                      start="2025-04-07", red_flag_day=20, red_flag_note="bravo-night"),
        "charlie": dict(km=9.0, label="Charlieloop", start="2025-05-05", diary=False),
    }
    logs = [(name, load(write_athlete(root / name, **kw), cache)) for name, kw in specs.items()]
    from runback.cohort import pooled_for_team

    return logs, render_team(logs, title="Squad <B>", squad=pooled_for_team(logs))


def athlete_section(html: str, slug: str) -> str:
    start = html.index(f'<section id="athlete-{slug}" class="athlete">')
    end = html.find('<section id="athlete-', start + 10)
    while end != -1 and html[end:].startswith(f'<section id="athlete-{slug}-'):
        end = html.find('<section id="athlete-', end + 10)
    return html[start:] if end == -1 else html[start:end]


def test_every_athlete_has_a_row_linking_to_their_section(team):
    logs, html = team
    table = section(html, "team")
    o = outline(html)
    assert len(o.ids) == len(set(o.ids))
    rows = re.findall(r'<th scope="row"><a href="#([^"]+)">([^<]+)</a></th>', table)
    assert [name for _, name in rows] == [name for name, _ in logs]
    for target, _ in rows:
        assert o.ids.count(target) == 1
    for href in re.findall(r'href="#([^"]+)"', html):
        assert href in o.ids
    assert "<title>Squad &lt;B&gt;</title>" in html


def test_sections_never_mix_athletes(team):
    logs, html = team
    planted = {"alpha-runner": ("Alphaway", "alpha-note"), "bravo": ("Bravoroute", "bravo-note"),
               "charlie": ("Charlieloop", None)}
    for (name, log), (slug, words) in zip(logs, planted.items(), strict=True):
        part = athlete_section(html, slug)
        assert f"<h2>{name}</h2>" in part
        others = [w for s, ws in planted.items() if s != slug for w in ws if w]
        mine = [w for w in words if w]
        if log.has_diary:
            assert all(w in part for w in mine)
        assert not any(w in part for w in others), slug
        # the summary's weekly figure is this athlete's own
        recent = log.weekly[log.weekly["days"] >= 7]["distance_m"].iloc[-4:].mean()
        assert f"weeks you ran {fmt.distance(recent, 'metric')} a week" in text_of(part)


def test_rows_show_each_athletes_latest_week_and_pain(team):
    logs, html = team
    rows = section(html, "team").split("<tr>")[2:]
    assert len(rows) == len(logs)
    for (_, log), row in zip(logs, rows, strict=True):
        last = log.weekly.iloc[-1]
        assert f"week of {fmt.day(last['week_start'])}" in row
        assert fmt.distance(last["distance_m"], "metric") in row
        assert row.count("<svg") == 1
        if log.has_diary:
            day = log.daily_pain.index.max()
            assert f"{log.daily_pain.loc[day, 'pain']:g}/10 on {fmt.day(day)}" in row
            assert "no diary" not in row
        else:
            assert row.count("no diary") == 3


def test_red_flags_come_first_and_link_to_the_athlete(team):
    _, html = team
    o = outline(html)
    assert o.sections[0] == "team-red-flags"
    box = section(html, "team-red-flags")
    assert 'href="#athlete-bravo-red-flags"' in box and "pain at night" in box
    assert "alpha" not in box.lower() and "charlie" not in box.lower()
    bravo = athlete_section(html, "bravo")
    assert bravo.index('id="athlete-bravo-red-flags"') < bravo.index('id="athlete-bravo-summary"')
    assert "bravo-night" in bravo


def test_each_athlete_section_keeps_the_report_order(team):
    _, html = team
    o = outline(html)
    alpha = [s for s in o.sections if s and s.startswith("athlete-alpha-runner-")]
    assert alpha == [f"athlete-alpha-runner-{s}" for s in
                     ("summary", "charts", "factors", "data-quality", "method", "disclaimer")]


def test_the_squad_findings_come_first_and_rows_never_show_own_tests(team):
    logs, html = team
    squad = section(html, "team-findings")
    assert html.index('id="team-findings"') < html.index('id="team"')
    text = text_of(squad)
    assert "Pooled over every athlete with a diary" in text
    # two short seasons: too few pooled flare-ups to test, and the page says so
    assert "no factor can be told apart from chance yet" in text
    rows = text_of(section(html, "team"))
    # without a squad finding a row never names the athlete's own strongest result
    assert "no squad finding" in rows
    assert "strongest" not in rows


def test_shrunk_estimates_read_per_squad_finding():
    from types import SimpleNamespace

    import pandas as pd

    from runback.report.team import _shrunk

    squad = SimpleNamespace(
        findings=[{"factor": "descent", "sentence": "s"}],
        athletes=pd.DataFrame({"athlete": ["a", "a", "b"],
                               "factor": ["descent", "climb", "descent"],
                               "odds_ratio": [2.0, 1.1, 1.5], "ci_low": [1.2, 0.5, 0.9],
                               "ci_high": [3.3, 2.0, 2.4]}))
    assert _shrunk(squad, "a") == "descent: 2.0 per SD (1.2 to 3.3), shrunk toward the squad"
    assert _shrunk(squad, "c") == ""
