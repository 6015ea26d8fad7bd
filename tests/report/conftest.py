"""Fixtures of the report tests: the sample season and an athlete writing HTML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runback.log import TrainingLog
from tests.report.helpers import SAMPLE, XSS_FILE, XSS_NAME, XSS_NOTE, load, write_athlete


@pytest.fixture(scope="session")
def sample_runner_log(tmp_path_factory) -> TrainingLog:
    """The bundled sample season of the Denver runner (its planted pattern: steep descents)."""
    runner = SAMPLE / "runner"
    return TrainingLog.from_paths([runner / "activities"], diary=runner / "pain_diary.csv",
                                  cache_dir=tmp_path_factory.mktemp("runner-cache"))


@pytest.fixture(scope="session")
def sample_truth() -> dict:
    """What the sample generator planted for the runner."""
    return json.loads((SAMPLE / "runner" / "planted.json").read_text())


@pytest.fixture(scope="session")
def sample_report(sample_runner_log, tmp_path_factory) -> Path:
    """The sample runner's report, written to a file."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    sample_runner_log.report(path)
    return path


@pytest.fixture(scope="session")
def hostile_athlete(tmp_path_factory) -> Path:
    """An athlete whose diary notes, activity names and file names carry HTML."""
    folder = tmp_path_factory.mktemp("hostile") / "athlete"
    write_athlete(folder, onset_note=XSS_NOTE, red_flag_day=30, red_flag_note=XSS_NOTE,
                  run_names={23: XSS_NAME, 44: XSS_NAME})
    (folder / "activities" / XSS_FILE).write_bytes(b"<gpx><trk>")
    return folder


@pytest.fixture(scope="session")
def hostile_report(hostile_athlete, tmp_path_factory) -> Path:
    """The hostile athlete's report, written to a file."""
    log = load(hostile_athlete, tmp_path_factory.mktemp("hostile-cache"))
    path = tmp_path_factory.mktemp("hostile-report") / "report.html"
    log.report(path, roots=[hostile_athlete / "activities"])
    return path
