"""Hostile and broken inputs: refused or salvaged with a reason, never a traceback or a hang.

Every case of ``tests/hostile/make_corpus.py`` goes through :func:`runback.import_activities`
and through ``runback activities``; then the whole corpus at once.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from runback import import_activities
from runback.cli import main
from runback.errors import ReadError
from runback.io.diary import read_diary
from runback.io.exports import MAX_DEPTH, MAX_FILE_BYTES, MAX_RATIO
from tests.hostile.make_corpus import GZIP_BOMB_GIB, SECRET, build, diary_cases

#: Longest one case may take, library or command line. [s]
CASE_SECONDS = 5.0
#: Most a bomb may add to the resident memory of the process refusing it. [MiB]
BOMB_RSS_MIB = 64

# The cases are parameters, so the corpus is built when the module is collected, into a
# temporary folder removed when the test process ends.
DEST = Path(tempfile.mkdtemp(prefix="runback-hostile-"))
atexit.register(shutil.rmtree, DEST, ignore_errors=True)
CASES = build(DEST)
ACTS = DEST / "activities"


def _param(case):
    marks = [pytest.mark.skip(reason=case.skip)] if case.skip else []
    return pytest.param(case, id=case.name, marks=marks)


PARAMS = [_param(c) for c in CASES.values()]


def _path(case) -> Path:
    return ACTS / case.path


def _timed(call):
    t0 = time.perf_counter()
    out = call()
    elapsed = time.perf_counter() - t0
    assert elapsed < CASE_SECONDS, f"took {elapsed:.1f} s"
    return out


def _nothing_escaped():
    assert list((DEST / "outside").iterdir()) == []
    assert not Path("/tmp/runback_abs_slip.gpx").exists()


def _named(rows: pd.DataFrame, path: Path) -> pd.DataFrame:
    return rows[rows["name"].str.startswith(str(path))]


@pytest.mark.parametrize("case", PARAMS)
def test_case_through_the_library(case, tmp_path):
    path = _path(case)
    res = _timed(lambda: import_activities([path], cache_dir=tmp_path, workers=1))
    text = repr(res.skipped.to_dict()) + repr(res.warnings)
    assert SECRET not in text
    assert res.n_imported == case.n_imported
    assert len(res.skipped) == case.n_skipped
    if case.outcome == "refused":
        mine = _named(res.skipped, path)
        assert len(mine) == case.n_skipped and not mine["not_activity"].any()
        for reason in mine["reason"]:
            assert re.search(case.pattern, reason), reason
        with pytest.raises(ReadError, match=case.pattern) as err:
            import_activities([path], cache_dir=tmp_path, strict=True, workers=1)
        assert str(err.value).startswith(str(path))
    elif case.outcome == "ignored":
        assert res.activities.empty
        if case.pattern:
            assert _named(res.skipped, path)["not_activity"].all()
            assert re.search(case.pattern, res.skipped["reason"].iloc[0])
        import_activities([path], cache_dir=tmp_path, strict=True, workers=1)
    else:
        acts = res.activities
        assert len(acts) >= 1 and (acts["n_samples"] >= case.min_records).all()
        assert acts["source_path"].str.startswith(str(path)).all()
        for column, (low, high) in case.expect.items():
            assert acts[column].between(low, high).all(), (column, acts[column].tolist())
        if case.pattern:
            hits = [w for w in res.warnings if re.search(case.pattern, w)]
            assert hits and all(w.startswith(str(path)) for w in hits), res.warnings
        if case.outcome == "salvaged":
            samples = res.samples()
            assert len(samples) >= case.min_records
            assert samples["timestamp"].notna().all()
    _nothing_escaped()


@pytest.mark.parametrize("case", PARAMS)
def test_case_through_the_cli(case):
    path = _path(case)
    runner = CliRunner()
    res = _timed(lambda: runner.invoke(main, ["activities", str(path), "--format", "json"]))
    out, err = res.stdout, res.stderr
    assert res.exit_code == 0, (out, err)
    assert res.exception is None
    assert "Traceback" not in out + err and SECRET not in out + err
    rows = json.loads(out)
    assert f"imported {case.n_imported}, skipped {case.n_skipped}" in err
    if case.outcome == "refused":
        lines = [ln for ln in f"\n{err}".split("\nskipped ") if ln.startswith(str(path))]
        assert len(lines) == case.n_skipped
        assert all(re.search(case.pattern, ln) for ln in lines), err
        strict = runner.invoke(main, ["activities", str(path), "--strict"])
        assert strict.exit_code == 1
        assert "Traceback" not in strict.output + strict.stderr
        assert str(path) in strict.stderr and re.search(case.pattern, strict.stderr)
    elif case.outcome == "ignored":
        assert rows == []
    else:
        assert rows and all(r["source"].startswith(str(path)) for r in rows)
        if case.pattern:
            assert re.search(f"warning: {re.escape(str(path))}.*{case.pattern}", err), err


def test_whole_corpus_gives_the_expected_counts(tmp_path):
    cases = CASES.values()
    res = import_activities([ACTS], cache_dir=tmp_path)
    assert res.n_imported == sum(c.n_imported for c in cases)
    assert len(res.skipped) == sum(c.n_skipped for c in cases)
    refused = {c.path for c in cases if c.outcome == "refused"}
    for name in res.skipped.loc[~res.skipped["not_activity"], "name"]:
        rel = os.path.relpath(name.split(".zip:")[0] + (".zip" if ".zip:" in name else ""), ACTS)
        assert rel in refused, name
    _nothing_escaped()


def test_whole_corpus_through_the_cli_and_strict():
    runner = CliRunner()
    res = runner.invoke(main, ["activities", str(ACTS), "--format", "json"])
    n_imported = sum(c.n_imported for c in CASES.values())
    n_skipped = sum(c.n_skipped for c in CASES.values())
    assert res.exit_code == 0 and "Traceback" not in res.output + res.stderr
    assert f"imported {n_imported}, skipped {n_skipped}" in res.stderr
    strict = runner.invoke(main, ["activities", str(ACTS), "--strict"])
    assert strict.exit_code == 1 and "Traceback" not in strict.output + strict.stderr
    assert len(strict.stderr.strip().splitlines()) == 1


_RSS_SCRIPT = """
import resource, sys
from runback import import_activities
import_activities([sys.argv[1]], cache_dir=sys.argv[3], workers=1)  # warm up
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
res = import_activities([sys.argv[2]], cache_dir=sys.argv[4], workers=1)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before, len(res.skipped), "; ".join(res.skipped["reason"]))
"""


@pytest.mark.parametrize("name", ["gzip_bomb", "zip_ratio_bomb", "xml_billion_laughs",
                                  "xml_deep_nesting", "fit_header_claims_gigabytes"])
def test_bombs_never_allocate_what_they_claim(name, tmp_path):
    warm = _path(CASES["zip_nested_ok"])
    args = [warm, _path(CASES[name]), tmp_path / "warm", tmp_path / "bomb"]
    out = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, *map(str, args)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    grown_kib, n_skipped, reason = out.split(" ", 2)
    assert int(grown_kib) < BOMB_RSS_MIB * 1024, f"max RSS grew by {int(grown_kib) // 1024} MiB"
    assert int(n_skipped) == CASES[name].n_skipped
    if CASES[name].outcome == "refused":
        assert re.search(CASES[name].pattern, reason)


def test_the_gzip_bomb_really_claims_gigabytes():
    """The bomb is what it says: its members would inflate to GZIP_BOMB_GIB GiB."""
    import gzip

    data = _path(CASES["gzip_bomb"]).read_bytes()
    member_end = data.index(b"\x1f\x8b\x08", 10)
    one = gzip.decompress(data[:member_end])
    assert len(one) * (len(data) // member_end) >= GZIP_BOMB_GIB * 2**30 > MAX_FILE_BYTES
    assert len(one) > MAX_RATIO * member_end


def test_limits_are_what_the_report_quotes():
    assert (MAX_FILE_BYTES, MAX_RATIO, MAX_DEPTH) == (512 * 2**20, 200, 3)


@pytest.mark.parametrize("case", diary_cases().values(), ids=lambda c: c.name)
def test_diary_rows_reported_with_their_lines_and_valid_rows_count(case):
    res = read_diary(DEST / "diaries" / case.path)
    lines = [int(p.split(":")[0].removeprefix("line ")) for p in res.problems]
    assert tuple(lines) == case.problem_lines
    assert tuple(res.pain["line"]) == case.kept_lines
    for line, pattern in case.patterns.items():
        (problem,) = [p for p in res.problems if p.startswith(f"line {line}:")]
        assert re.search(pattern, problem), problem
    assert all("\x00" not in p and "\n" not in p for p in res.problems)


@pytest.mark.parametrize("case", diary_cases().values(), ids=lambda c: c.name)
def test_diary_problems_through_the_cli(case):
    path = DEST / "diaries" / case.path
    res = CliRunner().invoke(main, ["flares", "--diary", str(path), "--format", "json"])
    assert res.exit_code == 0 and "Traceback" not in res.output + res.stderr
    for line in case.problem_lines:
        assert f"{path}: line {line}: " in res.stderr


def test_diary_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    from runback.errors import DiaryError

    fifo = tmp_path / "pain_diary.csv"
    os.mkfifo(fifo)
    with pytest.raises(DiaryError, match="not a regular file"):
        _timed(lambda: read_diary(fifo))
