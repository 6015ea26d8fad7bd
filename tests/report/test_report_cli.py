"""``runback report`` and ``runback team`` through click's CliRunner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from runback.cli import main
from tests.report.helpers import SAMPLE, outline, section, text_of, write_athlete


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def athlete(tmp_path_factory):
    return write_athlete(tmp_path_factory.mktemp("cli") / "sam", red_flag_day=12)


def test_report_command_writes_the_file(athlete, tmp_path):
    out = tmp_path / "report.html"
    r = run("report", athlete / "activities", "--diary", athlete / "pain_diary.csv", "-o", out,
            "--units", "imperial", "--title", "Sam's season", "--permutations", "30")
    assert r.exit_code == 0, r.output
    assert r.stdout == f"report written to {out}\n"
    html = out.read_text(encoding="utf-8")
    assert "<title>Sam&#39;s season</title>" in html
    assert " mi a week" in text_of(section(html, "summary"))
    assert "washouts of 14, 21 and 28 days" in html
    # red flags are on stderr, before the file is written
    assert "RED FLAG (urgent)" in r.stderr
    assert outline(html).sections[0] == "red-flags"


def test_report_needs_an_output(athlete):
    r = run("report", athlete / "activities")
    assert r.exit_code == 2
    assert "Missing option '-o' / '--output'" in r.stderr


def test_bad_diary_is_a_one_line_error(athlete, tmp_path):
    out = tmp_path / "report.html"
    r = run("report", athlete / "activities", "--diary", tmp_path / "missing.csv", "-o", out)
    assert r.exit_code == 1
    errors = [line for line in r.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "missing.csv" in errors[0]
    assert "Traceback" not in r.output
    assert not out.exists()


def test_unwritable_output_is_a_one_line_error(athlete, tmp_path):
    out = tmp_path / "no-such-folder" / "report.html"
    r = run("report", athlete / "activities", "-o", out, "--permutations", "0")
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1].startswith(f"Error: cannot write {out}")


def test_team_command_over_the_sample_team(tmp_path):
    out = tmp_path / "team.html"
    bare = write_athlete(tmp_path / "dana", diary=False)
    r = run("team", SAMPLE / "team" / "ana", SAMPLE / "team" / "ben", bare, "-o", out,
            "--permutations", "50")
    assert r.exit_code == 0, r.output
    assert r.stdout == f"report written to {out}\n"
    assert "night" in r.stderr and "RED FLAG (urgent)" in r.stderr
    html = out.read_text(encoding="utf-8")
    o = outline(html)
    assert o.sections[0] == "team-red-flags"
    assert o.sections[1] == "team-findings"     # two diaries: the squad's pooled analysis
    assert 'href="#athlete-ben-red-flags"' in section(html, "team-red-flags")
    for name in ("ana", "ben", "dana"):
        assert f'<a href="#athlete-{name}">{name}</a>' in section(html, "team")
        assert f"athlete-{name}" in o.ids
    # Ben keeps no profile: his estimated heart-rate values are marked in his section
    ben = html[html.index('<section id="athlete-ben"'):html.index('<section id="athlete-dana"')]
    assert "estimated or assumed: HR max" in ben
    # Ana's planted pattern: flare-ups after mileage jumps
    ana = html[html.index('<section id="athlete-ana"'):html.index('<section id="athlete-ben"')]
    assert "7-day distance" in text_of(ana)


def test_team_needs_a_folder(tmp_path):
    r = run("team", "-o", tmp_path / "t.html")
    assert r.exit_code == 2 and "athlete folder" in r.stderr


@pytest.mark.parametrize("command", ["report", "team"])
def test_help_has_an_example(command):
    r = run(command, "--help")
    assert r.exit_code == 0 and "Example:" in r.stdout and "--output" in r.stdout
    assert "--format" not in r.stdout
