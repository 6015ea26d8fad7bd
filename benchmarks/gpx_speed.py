"""How fast GPX files read: gpxpy's bare parse, runback's reader, and a cold import.

Run by hand (it is not a test)::

    python benchmarks/gpx_speed.py [FOLDER] [--repeat 3]

FOLDER defaults to the real-data folder (``$RUNBACK_REALDATA`` or ``../shared/realdata``
beside the repository); every ``.gpx`` and ``.gpx.gz`` file under it is used. Printed, all
measured in this run, each the median of ``--repeat`` runs (taken in turn: gpxpy, reader,
columns, cold import, then again):

- gpxpy: ``gpxpy.parse`` of every file, from bytes in memory (gzip already undone), the
  objects it builds and nothing more; a file gpxpy refuses counts the time it took to;
- reader: :func:`runback.io.gpx.read_gpx` of the same bytes, canonical frames out (a file
  it refuses, a route say, counts the time it took to);
- columns: :func:`runback.io.gpx.read_gpx_columns`, the reader as the import calls it: the
  same tables left as arrays, which the import joins across files before making frames;
- cold import: ``runback activities FILE... --format json`` in a new process with an empty
  cache (``RUNBACK_CACHE_DIR`` in a temporary folder): process start, reading the files
  from disk, the import's summaries, terrain and time zones, and the JSON output;

with each runback figure's speed-up over gpxpy (gpxpy time / runback time). Each is given
as wall time and as CPU time (of this process for gpxpy and the reader; of the command's
processes, its workers included, for the cold import): on a machine shared with other
work the CPU times, and their ratios, are the steadier figures. The figures are written to
``benchmarks/RESULTS.md`` (see ``benchmarks/_results.py``).
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import record

REPO = Path(__file__).resolve().parents[1]


def default_folder() -> Path:
    """The real-data folder, or exit with a message naming where it was looked for."""
    folder = Path(os.environ.get("RUNBACK_REALDATA") or REPO.parent / "shared" / "realdata")
    if not folder.is_dir():
        sys.exit(f"no real-data folder at {folder}; pass a folder or set RUNBACK_REALDATA")
    return folder


def gpx_files(folder: Path) -> list[Path]:
    """Every GPX file under ``folder``, gzipped or not, in name order."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.name.lower().endswith((".gpx", ".gpx.gz")))


def load(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.lower().endswith(".gz") else data


def gpxpy_loop(datas: list[bytes]) -> int:
    """Track points through ``gpxpy.parse``; a refused file adds none."""
    import gpxpy

    points = 0
    for data in datas:
        try:
            parsed = gpxpy.parse(data)
        except Exception:  # noqa: BLE001 - a file gpxpy refuses counts the time it took
            continue
        points += sum(len(s.points) for t in parsed.tracks for s in t.segments)
    return points


def reader_loop(datas: list[bytes]) -> int:
    """Samples through :func:`runback.io.gpx.read_gpx`; a refused file adds none."""
    from runback.errors import RunbackError
    from runback.io.gpx import read_gpx

    samples = 0
    for i, data in enumerate(datas):
        try:
            samples += len(read_gpx(data, name=f"file{i}.gpx").samples)
        except RunbackError:
            continue
    return samples


def columns_loop(datas: list[bytes]) -> int:
    """Samples through :func:`runback.io.gpx.read_gpx_columns`; a refused file adds none."""
    from runback.errors import RunbackError
    from runback.io.gpx import read_gpx_columns

    samples = 0
    for i, data in enumerate(datas):
        try:
            samples += read_gpx_columns(data, f"file{i}.gpx").samples.n
        except RunbackError:
            continue
    return samples


def cold_import(paths: list[Path], tmp: Path, run: int) -> tuple[float, float]:
    """Wall and CPU time of ``runback activities`` over ``paths`` in a new process with an
    empty cache (CPU: the command's processes, its workers included)."""
    runback = Path(sys.executable).with_name("runback")
    if not runback.is_file():
        sys.exit(f"no runback command beside {sys.executable}; pip install -e . first")
    env = dict(os.environ, RUNBACK_CACHE_DIR=str(tmp / f"cache{run}"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(runback), "activities", *map(str, paths), "--format", "json"],
                          env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"runback activities failed:\n{proc.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(call, repeat: int) -> tuple[list[float], list[float], object]:
    """Wall and CPU times of ``repeat`` calls, and the last call's result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = call()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return walls, cpus, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="folder searched for GPX files")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (median kept)")
    args = parser.parse_args(argv)
    paths = gpx_files(args.folder or default_folder())
    if not paths:
        sys.exit("no GPX files found")
    datas = [load(p) for p in paths]
    repeat = max(args.repeat, 1)
    print(f"{len(paths)} GPX files, {sum(map(len, datas)) / 1e6:.1f} MB (gzip undone)")
    reader_loop(datas[:1])  # imports outside the timing

    def show(label, walls, cpus, base=None, what=""):
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        ratio = "" if base is None else f"  {base[0] / wall:5.1f}x gpxpy (wall), " \
                                        f"{base[1] / cpu:5.1f}x (CPU)"
        print(f"{label:>12}: {wall:7.2f} s wall (runs {', '.join(f'{w:.2f}' for w in walls)})"
              f"  {cpu:7.2f} s CPU{ratio}{what}", flush=True)
        return wall, cpu

    # one run of each in turn, repeated, so that a change in the machine's load falls on
    # all three alike
    runs: dict[str, tuple[list[float], list[float]]] = {k: ([], []) for k in
                                                         ("gpxpy", "reader", "columns",
                                                          "cold")}

    def keep(key: str, wall: float, cpu: float) -> None:
        runs[key][0].append(wall)
        runs[key][1].append(cpu)

    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            walls, cpus, points = timed(lambda: gpxpy_loop(datas), 1)
            keep("gpxpy", walls[0], cpus[0])
            walls, cpus, samples = timed(lambda: reader_loop(datas), 1)
            keep("reader", walls[0], cpus[0])
            walls, cpus, _ = timed(lambda: columns_loop(datas), 1)
            keep("columns", walls[0], cpus[0])
            keep("cold", *cold_import(paths, Path(tmp), i))
    base = show("gpxpy", *runs["gpxpy"], what=f"  [{points:,} track points]")
    show("reader", *runs["reader"], base, f"  [{samples:,} samples]")
    show("columns", *runs["columns"], base)
    show("cold import", *runs["cold"], base)


if __name__ == "__main__":
    with record("gpx_speed"):
        main()
