"""The import progress bar: drawn on a terminal during a parallel import, never in a pipe."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from runback.importer import PARALLEL_MIN_FILES
from tests.builders import gpx, track

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX only")

REPO = Path(__file__).resolve().parents[1]
N_FILES = 30


@pytest.fixture
def many_runs(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    t0 = pd.Timestamp("2024-05-01T13:00:00Z")
    for i in range(N_FILES):
        start = (t0 + pd.Timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        (folder / f"run{i:02d}.gpx").write_bytes(gpx(track(start, minutes=5)))
    return folder


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "runback", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "100"}


def run_with_terminal_stderr(args: list[str]) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal: (exit status, stdout, what the terminal got)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, env=env())
    finally:
        os.close(slave)
    out_fd = proc.stdout.fileno()
    got: dict[int, list[bytes]] = {master: [], out_fd: []}
    open_fds = list(got)
    try:
        while open_fds:
            ready, _, _ = select.select(open_fds, [], [], 120)
            if not ready:
                proc.kill()
                raise AssertionError("the command gave no output for 120 s")
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:  # every writer closed the terminal (EIO on Linux)
                    data = b""
                if data:
                    got[fd].append(data)
                else:
                    open_fds.remove(fd)
        proc.wait(timeout=60)
    finally:
        os.close(master)
        proc.stdout.close()
    stdout, terminal = (b"".join(got[fd]).decode() for fd in (out_fd, master))
    return proc.returncode, stdout, terminal


def test_enough_files_for_the_parallel_path():
    assert N_FILES >= PARALLEL_MIN_FILES


@pytest.mark.slow
def test_bar_is_drawn_on_a_terminal_during_a_parallel_import(many_runs):
    status, stdout, terminal = run_with_terminal_stderr(
        cli("activities", str(many_runs), "--format", "csv"))
    assert status == 0, terminal
    assert len(stdout.splitlines()) == N_FILES + 1
    frames = [f for f in terminal.split("\r") if "importing" in f]
    # the bar redraws as files finish, and reaches the end
    assert len(frames) >= 5
    assert "100%" in frames[-1] and "[" + "#" * 10 in frames[-1]
    assert any("%" in f and "100%" not in f for f in frames)
    assert terminal.rstrip().splitlines()[-1].endswith(f"imported {N_FILES}, skipped 0")


@pytest.mark.slow
def test_error_after_a_bar_starts_on_its_own_line(many_runs):
    (many_runs / "run15b.gpx").write_bytes(b"<gpx><trk>")
    status, _, terminal = run_with_terminal_stderr(
        cli("activities", str(many_runs), "--strict"))
    assert status == 1
    assert "importing" in terminal
    lines = terminal.replace("\r\n", "\n").split("\n")
    error = [ln for ln in lines if "run15b.gpx" in ln]
    assert len(error) == 1 and error[0].startswith("Error: ")
    # the bar hid the cursor; it is shown again
    assert terminal.rfind("\x1b[?25h") > terminal.rfind("\x1b[?25l")


@pytest.mark.slow
def test_no_bar_when_stderr_is_a_pipe(many_runs):
    proc = subprocess.run(cli("activities", str(many_runs), "--format", "csv"),
                          capture_output=True, text=True, env=env(), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == N_FILES + 1
    assert "importing" not in proc.stderr and "\r" not in proc.stderr
    assert "\x1b" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == f"imported {N_FILES}, skipped 0"
