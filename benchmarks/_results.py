"""Keep each benchmark's latest figures in ``benchmarks/RESULTS.md``.

A benchmark runs its ``main`` inside :func:`record`: what it prints still goes to the
terminal, and when it ends without an error its section of RESULTS.md (between
``<!-- begin NAME -->`` and ``<!-- end NAME -->``) is replaced by that output, with the
date, the command line and the machine (cores, platform, Python). The other sections are
kept as they are; a section not there yet is added at the end. A run that fails or is
interrupted leaves the file unchanged. ``RUNBACK_BENCH_RECORD=0`` turns the writing off.

The file is replaced atomically (a temporary file in the same folder, then a rename), and
paths of this machine are written relative to the repository (``../shared/realdata``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import platform
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "RESULTS.md"

HEADER = """# Benchmark results

The latest figures of each benchmark, written by the benchmark itself when it ends (see
`benchmarks/_results.py`). Every figure is printed beside its baseline measured in the same
run: compare ratios, not seconds, across machines and runs. Timings on a shared machine vary
by 10-30 % from run to run.
"""


class _Tee(io.TextIOBase):
    """Writes to the terminal and keeps a copy."""

    def __init__(self, terminal: TextIO) -> None:
        self.terminal = terminal
        self.copy = io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.terminal.write(text)

    def flush(self) -> None:
        self.terminal.flush()

    def isatty(self) -> bool:
        return self.terminal.isatty()


def machine() -> str:
    """Cores, platform and Python of this machine, in one line."""
    cores = os.cpu_count() or 0
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = cores
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = ", " + line.split(":", 1)[1].strip()
                break
    used = f" ({usable} usable)" if usable != cores else ""
    return (f"{cores} cores{used}{model}; {platform.system()} {platform.machine()}; "
            f"Python {platform.python_version()}")


def scrub(text: str, repo: Path = REPO) -> str:
    """``text`` with paths of this machine written relative to the repository: the
    repository itself as ``.``, its parent folder as ``..``, the home folder as ``~``."""
    for path, short in ((repo, "."), (repo.parent, ".."), (Path.home(), "~")):
        if str(path) not in ("/", "."):
            text = re.sub(re.escape(str(path)) + r"(?=/|\b|$)", short, text)
    return text


def section(name: str, output: str, command: str, when: dt.datetime, host: str) -> str:
    """The text of one benchmark's section, markers included."""
    body = output.rstrip("\n").replace("```", "'''")
    return (f"<!-- begin {name} -->\n"
            f"## {name}\n\n"
            f"Last run {when:%Y-%m-%d %H:%M} UTC, `{command}`, on {host}.\n\n"
            f"```text\n{body}\n```\n"
            f"<!-- end {name} -->\n")


def replace_section(document: str, name: str, text: str) -> str:
    """``document`` with the section ``name`` replaced by ``text`` (added at the end when
    it has none).

    Raises
    ------
    ValueError
        When the document holds the section's begin marker without its end marker, or
        either marker twice.
    """
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    n_begin, n_end = document.count(begin), document.count(end)
    if n_begin == n_end == 0:
        return document.rstrip("\n") + "\n\n" + text
    if n_begin != 1 or n_end != 1 or document.index(begin) > document.index(end):
        raise ValueError(f"{RESULTS.name}: the markers of section {name!r} are broken; "
                         "fix them by hand")
    start = document.index(begin)
    stop = document.index(end) + len(end)
    if document[stop:stop + 1] == "\n":
        stop += 1
    return document[:start] + text + document[stop:]


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` at once: a reader sees the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save(name: str, output: str, *, command: str, path: Path = RESULTS,
         when: dt.datetime | None = None, host: str | None = None) -> None:
    """Write ``output`` as the section ``name`` of the results file at ``path``."""
    when = when or dt.datetime.now(dt.UTC)
    host = host or machine()
    document = path.read_text(encoding="utf-8") if path.exists() else HEADER
    text = section(name, scrub(output), scrub(command), when, host)
    write_atomic(path, replace_section(document, name, text))


@contextlib.contextmanager
def record(name: str, *, path: Path = RESULTS) -> Iterator[None]:
    """Print as usual, and on success save what was printed as the section ``name``."""
    tee = _Tee(sys.stdout)
    saved, sys.stdout = sys.stdout, tee
    try:
        yield
    finally:
        sys.stdout = saved
    if os.environ.get("RUNBACK_BENCH_RECORD", "1") == "0":
        return
    command = " ".join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    save(name, tee.copy.getvalue(), command=command, path=path)
    print(f"(figures written to {scrub(str(path))})", file=sys.stderr)
