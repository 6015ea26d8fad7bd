"""The pain diary and its write machinery are never taken for activities."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from runback.cli import main
from runback.importer import import_activities
from runback.io.diary import append_entry
from runback.log import TrainingLog
from tests.builders import DENVER, gpx, track, zip_of

REPO = Path(__file__).resolve().parents[1]
DIARY_TEXT = "date,pain,location\n2024-05-01,2,lower\n2024-05-02,3,lower\n"


@pytest.fixture
def athlete(tmp_path):
    """An athlete folder as the team layout has it: runs in a subfolder, diary at the top."""
    root = tmp_path / "athlete"
    runs = root / "activities"
    runs.mkdir(parents=True)
    for i, start in enumerate(["2024-05-01T13:00:00Z", "2024-05-02T13:00:00Z"]):
        (runs / f"run{i}.gpx").write_bytes(gpx(track(start, where=DENVER)))
    (root / "pain_diary.csv").write_text(DIARY_TEXT)
    return root


def names(res):
    return sorted(os.path.basename(n) for n in res.skipped["name"])


def test_walk_without_exclusion_still_reports_the_diary_with_a_hint(athlete):
    res = import_activities([athlete])
    assert len(res.activities) == 2
    assert names(res) == ["pain_diary.csv"]
    assert "--diary" in res.skipped.loc[0, "reason"]
    assert bool(res.skipped.loc[0, "not_activity"])


def test_excluded_diary_is_left_out_silently(athlete):
    res = import_activities([athlete], exclude=[athlete / "pain_diary.csv"])
    assert len(res.activities) == 2
    assert res.skipped.empty
    assert res.n_files == 2


def test_exclusion_compares_resolved_paths(athlete, monkeypatch):
    link = athlete.parent / "diary_link.csv"
    link.symlink_to(athlete / "pain_diary.csv")
    monkeypatch.chdir(athlete / "activities")
    # a relative spelling with '..' and a symbolic link both name the same file
    for excluded in ("../pain_diary.csv", str(link)):
        res = import_activities([athlete], exclude=[excluded])
        assert res.skipped.empty, excluded
    # a symbolic link met in the walk resolves to the excluded file too
    res = import_activities([athlete.parent], exclude=[athlete / "pain_diary.csv"])
    assert res.skipped.empty and len(res.activities) == 2


def test_exclusion_leaves_other_diaries_reported(athlete, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "pain_diary.csv").write_text(DIARY_TEXT)
    res = import_activities([athlete, other], exclude=[athlete / "pain_diary.csv"])
    assert [os.path.relpath(n, tmp_path) for n in res.skipped["name"]] == [
        os.path.join("other", "pain_diary.csv")]


def test_named_excluded_diary_is_left_out(athlete):
    runs = athlete / "activities"
    res = import_activities([runs / "run0.gpx", athlete / "pain_diary.csv"],
                            exclude=[athlete / "pain_diary.csv"])
    assert len(res.activities) == 1 and res.skipped.empty


def test_lock_and_temporary_files_are_never_activities(athlete):
    diary = athlete / "pain_diary.csv"
    append_entry(diary, {"date": "2024-05-03", "pain": 4})
    assert (athlete / "pain_diary.csv.lock").exists()
    # a write in progress elsewhere: its temporary file, named as append_entry names it
    tmp = athlete / "activities" / ".pain_diary.csv.k2j4h1x9.tmp"
    tmp.write_text(DIARY_TEXT)
    (athlete / "activities" / "pain_diary.csv.lock").touch()
    found = [p for p in athlete.rglob("*") if p.is_file() and p.suffix != ".gpx"]
    assert len(found) == 4
    # walked, named one by one (as a shell glob names them) and inside an archive
    walked = import_activities([athlete], exclude=[diary])
    named = import_activities(sorted(athlete.rglob("*.lock")) + [tmp], exclude=[diary])
    archive = athlete.parent / "export.zip"
    archive.write_bytes(zip_of({"a/pain_diary.csv.lock": b"",
                                "a/.pain_diary.csv.abcdefgh.tmp": DIARY_TEXT.encode(),
                                "a/run.gpx": gpx(track("2024-05-04T13:00:00Z"))}))
    zipped = import_activities([archive])
    assert walked.skipped.empty and len(walked.activities) == 2
    assert named.skipped.empty and named.n_files == 0
    assert zipped.skipped.empty and len(zipped.activities) == 1


def test_a_named_file_of_another_unknown_type_is_still_reported(tmp_path):
    odd = tmp_path / "notes.txt"
    odd.write_text("x")
    res = import_activities([odd])
    assert names(res) == ["notes.txt"]
    assert "unsupported file type" in res.skipped.loc[0, "reason"]


def test_training_log_passes_its_diary(athlete):
    log = TrainingLog.from_paths([athlete], diary=athlete / "pain_diary.csv")
    assert log.import_result.skipped.empty
    assert len(log.activities) == 2
    assert log.has_diary and len(log.pain) == 2


def test_cli_on_the_sample_runner_does_not_skip_its_diary():
    runner = REPO / "sample_data" / "runner"
    cli = CliRunner()
    with_diary = cli.invoke(main, ["weekly", str(runner), "--diary",
                                   str(runner / "pain_diary.csv"), "--format", "csv"])
    alone = cli.invoke(main, ["activities", str(runner / "activities"), "--format", "csv"])
    assert with_diary.exit_code == 0 and alone.exit_code == 0, with_diary.stderr
    assert "pain_diary.csv" not in with_diary.stderr
    counts = [re.search(r"^imported (\d+), skipped (\d+)$", r.stderr, re.M).groups()
              for r in (with_diary, alone)]
    assert counts[0] == counts[1]
    assert counts[0][1] == "0" and int(counts[0][0]) > 100
