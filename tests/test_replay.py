"""Replay of unchanged commands: the same bytes, without loading the analysis; never stale."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runback import replay
from tests.builders import gpx, track

REPO = Path(__file__).resolve().parents[1]

#: Runs the command through the front door, then says whether pandas was loaded.
_PROBE = """
import sys
from runback import replay
try:
    replay.main(sys.argv[1:])
except SystemExit as e:
    code = e.code
print(f"exit={code} pandas={'pandas' in sys.modules}", file=sys.stderr)
"""


@pytest.fixture
def runs(tmp_path) -> Path:
    folder = tmp_path / "runs"
    folder.mkdir()
    for i, start in enumerate(("2024-05-01T17:00:00Z", "2024-05-03T17:00:00Z",
                               "2024-05-06T06:30:00Z")):
        (folder / f"run{i}.gpx").write_bytes(gpx(track(start, minutes=20)))
    (tmp_path / "pain_diary.csv").write_text("date,pain\n2024-05-02,3\n2024-05-04,6\n")
    return folder


def _probe(args: list[str], cache: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src"),
                               "RUNBACK_CACHE_DIR": str(cache), **env},
                          timeout=300)


def _tail(err: bytes) -> tuple[bytes, str]:
    """The command's stderr and the probe's last line."""
    *lines, last = err.rstrip(b"\n").split(b"\n")
    return b"\n".join(lines) + b"\n", last.decode()


def test_an_unchanged_command_is_replayed_byte_for_byte_without_pandas(runs, tmp_path):
    args = ["weekly", str(runs), "--diary", str(tmp_path / "pain_diary.csv"), "--format",
            "json"]
    cache = tmp_path / "cache"
    first = _probe(args, cache)
    err1, probe1 = _tail(first.stderr)
    assert probe1 == "exit=0 pandas=True", first.stderr.decode()
    assert b"imported 3, skipped 0" in err1 and first.stdout.startswith(b"[")
    again = _probe(args, cache)
    err2, probe2 = _tail(again.stderr)
    assert probe2 == "exit=0 pandas=False"
    assert again.stdout == first.stdout and err2 == err1
    assert len(list((cache / "results").glob("*.out"))) == 1


def test_replay_off_and_failed_runs_store_nothing(runs, tmp_path):
    cache = tmp_path / "cache"
    off = _probe(["activities", str(runs), "--format", "csv"], cache, RUNBACK_REPLAY="0")
    assert _tail(off.stderr)[1] == "exit=0 pandas=True"
    bad = _probe(["activities", str(runs), "--tz", "Mars/Olympus"], cache)
    assert _tail(bad.stderr)[1].startswith("exit=1") or _tail(bad.stderr)[1].startswith(
        "exit=2")
    assert not list((cache / "results").glob("*.out"))
    again = _probe(["activities", str(runs), "--format", "csv"], cache, RUNBACK_REPLAY="0")
    assert _tail(again.stderr)[1] == "exit=0 pandas=True"   # computed again, not replayed


def test_a_damaged_stored_answer_is_recomputed(runs, tmp_path):
    args = ["activities", str(runs), "--format", "json"]
    cache = tmp_path / "cache"
    first = _probe(args, cache)
    [stored] = (cache / "results").glob("*.out")
    stored.write_bytes(stored.read_bytes()[:-5])  # cut short
    second = _probe(args, cache)
    assert _tail(second.stderr)[1] == "exit=0 pandas=True"
    assert second.stdout == first.stdout
    assert _tail(_probe(args, cache).stderr)[1] == "exit=0 pandas=False"  # stored again
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert oct((cache / "results").stat().st_mode & 0o777) == "0o700"


def _changes(runs: Path, diary: Path, monkeypatch):
    """Each change to what ``runback weekly`` reads, made in turn."""
    first = sorted(runs.glob("*.gpx"))[0]
    yield "a file's time", lambda: os.utime(first, ns=(0, 10**18))
    data = first.read_bytes()
    yield "a file's bytes, same size", lambda: first.write_bytes(data.replace(b"<ele>", b"<ele>"
                                                                              [::-1]))
    yield "a new file", lambda: (runs / "new.gpx").write_bytes(data)
    yield "a file removed", lambda: (runs / "new.gpx").unlink()
    yield "a file in a subfolder", lambda: ((runs / "sub").mkdir(), (runs / "sub" /
                                                                     "x.fit").write_bytes(b"x"))
    yield "the diary", lambda: diary.write_text(diary.read_text() + "2024-05-05,2\n")
    yield "a profile beside the folder", lambda: (runs.parent / "runback.toml").write_text(
        "[athlete]\nhr_max = 190\n")
    yield "the environment", lambda: monkeypatch.setenv("RUNBACK_SOMETHING", "1")
    yield "the date", lambda: monkeypatch.setattr(
        replay.time, "localtime", lambda *a: time.struct_time((2031, 1, 2, 3, 4, 5, 3, 2, 0)))


def test_any_change_to_what_the_command_reads_changes_the_fingerprint(runs, tmp_path,
                                                                      monkeypatch):
    diary = tmp_path / "pain_diary.csv"
    args = ["weekly", str(runs), "--diary", str(diary)]
    before = replay.fingerprint(args)
    assert before is not None and replay.fingerprint(args) == before   # stable
    seen = {before}
    for what, change in _changes(runs, diary, monkeypatch):
        change()
        now = replay.fingerprint(args)
        assert now not in seen, f"not seen: {what}"
        seen.add(now)
    assert replay.fingerprint([*args, "--format", "csv"]) not in seen   # another option
    assert replay.fingerprint(["weekly", f"--diary={diary}", str(runs)]) not in seen


def test_commands_that_write_or_cannot_be_fingerprinted_are_not_replayed(runs, tmp_path):
    assert replay.fingerprint(["report", str(runs), "-o", str(tmp_path / "r.html")]) is None
    assert replay.fingerprint(["diary", "add", "--pain", "3"]) is None
    assert replay.fingerprint(["weekly", "--help"]) is None
    assert replay.fingerprint([]) is None
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (runs / "linked").symlink_to(elsewhere, target_is_directory=True)
    assert replay.fingerprint(["weekly", str(runs)]) is None


def test_a_redrawn_line_is_not_kept_and_old_answers_are_pruned(tmp_path, monkeypatch):
    import io

    tee = replay._Tee(io.StringIO())
    tee.write("note: fine\n")
    assert tee.keep and tee.getvalue() == b"note: fine\n"
    tee.write("\rimporting  [####      ]  40%")
    assert not tee.keep
    monkeypatch.setattr(replay, "KEEP", 2)
    results = tmp_path / "results"
    results.mkdir()
    for i in range(4):
        replay._store(results, f"k{i}", f"out{i}".encode(), b"")
        os.utime(results / f"k{i}.out", ns=(i * 10**9, i * 10**9))
    assert sorted(p.name for p in results.glob("*.out")) == ["k2.out", "k3.out"]
    assert replay._read(results / "k3.out") == (b"out3", b"")
    assert not list(results.glob(".result-*"))


def test_the_command_keeps_its_exit_status_and_output_when_it_ends_quickly(runs, tmp_path):
    def command(*args):
        return subprocess.run([sys.executable, "-m", "runback", *args], capture_output=True,
                              env={**os.environ, "PYTHONPATH": str(REPO / "src"),
                                   "RUNBACK_CACHE_DIR": str(tmp_path / "cache")},
                              timeout=300)

    args = ["activities", str(runs), "--format", "csv"]
    first, again = command(*args), command(*args)
    assert first.returncode == again.returncode == 0
    assert first.stdout.count(b"\n") == 4 and again.stdout == first.stdout
    assert again.stderr == first.stderr and first.stderr.endswith(b"imported 3, skipped 0\n")
    bad = command("activities", str(runs), "--tz", "Mars/Olympus")
    assert bad.returncode == 1 and b"unknown time zone" in bad.stderr
    usage = command("weekly")
    assert usage.returncode == 2 and b"give at least one PATH" in usage.stderr
