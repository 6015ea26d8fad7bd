"""Import speed on a real multi-year FIT history, against plain decoder loops in the same run.

Prints, for the history (default: ../shared/realdata/shaonianche__running-data-sync/FIT_OUT):

- records and files;
- the plain fitparse loop (every message of every file) and the fitdecode loop, when
  fitdecode is installed (``pip install -e .[bench]``);
- cold import, end to end: ``runback activities FOLDER --format json`` in a new process with
  an empty cache (process start included), the median of :data:`COLD_RUNS` runs, and its
  ratio to the fitparse loop;
- warm re-run: ``runback weekly FOLDER`` on the unchanged files (the tables loaded from
  the cache of parsed files), whole process, the median of :data:`WARM_RUNS` runs, beside
  its cold run and beside the bare start of the command (``runback --version``: the
  interpreter and the imports ``runback.cli`` needs) and beside ``python -c 'import
  pandas'`` (the floor of any command that loads a table) in the same run; the outputs of
  cold and warm runs are compared; the CPU time of each is shown beside its wall time
  (steadier on a busy machine);
- peak memory (max RSS of the largest process, workers included) of the cold import, and
  how many cores it kept busy (CPU time / wall time);
- cores: a cold import with one worker process and with one per core;
- scaling: cold import of 1x, 2x and 4x copies of the history (each copy's files differ by
  their file_id serial number, so every copy is parsed; the copies are then merged as the
  same runs, so the activity count stays the same), with the time per copy, the peak memory
  and the cores busy at each size.

Usage::

    python benchmarks/import_speed.py [FOLDER] [--skip-baselines] [--no-scaling]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _results import record
from fit_decode import fitdecode_loop, fitparse_loop
from history import default_folder

#: Cold imports timed (each in a new process with an empty cache); the median is reported.
COLD_RUNS = 5
#: Warm re-runs timed; the median is reported.
WARM_RUNS = 5
#: Where the commands run by this benchmark keep their compiled bytecode (set in main).
PYCACHE = Path(tempfile.gettempdir())

#: Runs the command as the ``runback`` command does and, on the way out, writes the peak
#: memory of the process and its worker processes (max RSS, KiB) to the file named by
#: argv[1].
_WRAP = """
import atexit, resource, sys
out, args = sys.argv[1], sys.argv[2:]

def peak():
    kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    open(out, "w").write(str(kib))

atexit.register(peak)
sys.argv = ["runback", *args]
from runback.cli import main
main(prog_name="runback")
"""


#: The floor of a command that loads a table: the interpreter and pandas, nothing else.
_PANDAS = "import pandas"


def run_cli(args, cache, code=_WRAP, **env_extra):
    """(wall seconds, stdout, peak MiB of the command's processes, CPU seconds used).

    ``code`` is the Python run (default: the command, as :data:`_WRAP` runs it); it gets
    the name of the peak-memory file and ``args`` as its arguments.

    The command runs as an installed runback does: with the compiled bytecode of its
    modules kept (pip compiles it on installation), here in :data:`PYCACHE`, even where
    the environment says not to write it (``PYTHONDONTWRITEBYTECODE``); the first run
    writes it.
    """
    env = dict(os.environ, RUNBACK_CACHE_DIR=str(cache), PYTHONPYCACHEPREFIX=str(PYCACHE),
               **env_extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code, rss.name, *args], env=env,
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - t
        peak_kib = int(rss.read() or 0)
    if proc.returncode != 0:
        raise SystemExit(f"runback {' '.join(args)} failed:\n{proc.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, proc.stdout, peak_kib / 1024, cpu


def with_serial(data: bytes, serial: int) -> bytes:
    """The FIT file with its file_id serial number replaced and its CRC made right again."""
    from runback.io.fit_fast import fit_crc16

    header = data[0]
    body = bytearray(data[:-2])
    # first definition message: find file_id (global 0) field 3 (serial_number, uint32z)
    pos = header
    if body[pos] & 0x40:
        arch = body[pos + 2]
        n_fields = body[pos + 5]
        offset = 0
        for i in range(n_fields):
            num, size = body[pos + 6 + 3 * i], body[pos + 7 + 3 * i]
            if num == 3 and size == 4:
                data_pos = pos + 6 + 3 * n_fields + 1 + offset
                fmt = ">I" if arch else "<I"
                body[data_pos:data_pos + 4] = struct.pack(fmt, serial)
                break
            offset += size
    return bytes(body) + struct.pack("<H", fit_crc16(bytes(body)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", default=None,
                    help="FIT history folder (default: the real-data FIT_OUT history)")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--no-scaling", action="store_true")
    args = ap.parse_args()
    folder = Path(args.folder) if args.folder else default_folder()
    files = sorted(folder.glob("*.fit"))
    if not files:
        raise SystemExit(f"no .fit files in {folder}")
    print(f"history: {folder} ({len(files)} files)")

    results = {}
    if not args.skip_baselines:
        t = time.perf_counter()
        n = fitparse_loop([f.read_bytes() for f in files])  # reading is timed too
        results["fitparse_s"] = time.perf_counter() - t
        print(f"fitparse loop:  {results['fitparse_s']:7.2f} s  {n} records "
              f"({n / results['fitparse_s']:,.0f} records/s)")
        try:
            t = time.perf_counter()
            n2 = fitdecode_loop([f.read_bytes() for f in files])
            results["fitdecode_s"] = time.perf_counter() - t
            print(f"fitdecode loop: {results['fitdecode_s']:7.2f} s  {n2} records")
        except ImportError:
            print("fitdecode loop: (fitdecode not installed)")

    with tempfile.TemporaryDirectory() as tmp:
        global PYCACHE
        PYCACHE = Path(tmp) / "pycache"
        colds = []
        for i in range(COLD_RUNS):
            cache = Path(tmp) / f"cache{i}"
            secs, cold_out, rss, cpu = run_cli(["activities", str(folder), "--format",
                                                "json"], cache)
            colds.append((secs, rss, cpu))
        cold = statistics.median(s for s, _, _ in colds)
        rss = max(r for _, r, _ in colds)
        cpu = statistics.median(c / s for s, _, c in colds)
        print(f"cold import:    {cold:7.2f} s  (runback activities, new process, empty cache; "
              f"median of {COLD_RUNS}: {', '.join(f'{s:.2f}' for s, _, _ in colds)} s; "
              f"{cpu:.1f} of {os.cpu_count()} cores busy)")
        print(f"peak memory:    {rss:7.0f} MiB (largest process of the import)")
        if "fitparse_s" in results:
            print(f"  ratio fitparse loop / cold import: {results['fitparse_s'] / cold:5.1f}x")
        if "fitdecode_s" in results:
            print(f"  ratio fitdecode loop / cold import: {results['fitdecode_s'] / cold:5.1f}x")
        weekly = ["weekly", str(folder), "--format", "json"]
        warm_cold, weekly_cold, *_ = run_cli(weekly, Path(tmp) / "cache-w")
        warms, cpus, starts, start_cpus, same = [], [], [], [], True
        floors, floor_cpus = [], []
        for _ in range(WARM_RUNS):  # interleaved, so all see the same load
            secs, weekly_warm, _, cpu = run_cli(weekly, Path(tmp) / "cache-w")
            warms.append(secs)
            cpus.append(cpu)
            same = same and json.loads(weekly_warm) == json.loads(weekly_cold)
            secs, _, _, cpu = run_cli(["--version"], Path(tmp) / "cache-v")
            starts.append(secs)
            start_cpus.append(cpu)
            secs, _, _, cpu = run_cli([], Path(tmp) / "cache-v", code=_PANDAS)
            floors.append(secs)
            floor_cpus.append(cpu)
        _, again, *_ = run_cli(["activities", str(folder), "--format", "json"], cache)
        warm, start = statistics.median(warms), statistics.median(starts)
        cpu, start_cpu = statistics.median(cpus), statistics.median(start_cpus)
        print(f"warm re-run:    {warm:7.2f} s  (runback weekly, unchanged files, tables loaded "
              f"from the cache of parsed files; median of {WARM_RUNS}: "
              f"{', '.join(f'{s:.2f}' for s in warms)} s; CPU {cpu:.2f} s; "
              f"{warm / warm_cold:.0%} of its cold run of {warm_cold:.2f} s; identical "
              f"output: {same and again == cold_out})")
        print(f"  bare start:   {start:7.2f} s  (runback --version, the interpreter and the "
              f"command's imports; CPU {start_cpu:.2f} s; {start / warm:.0%} of the warm "
              f"re-run)")
        floor, floor_cpu = statistics.median(floors), statistics.median(floor_cpus)
        print(f"  pandas alone: {floor:7.2f} s  (python -c 'import pandas', the floor of any "
              f"command that loads a table; CPU {floor_cpu:.2f} s; {floor / warm:.0%} of the "
              f"warm re-run)")

        if not args.no_scaling:
            from runback.importer import import_activities

            cores = os.cpu_count() or 1
            print("cores (cold import in this process, by the number of worker processes):")
            one = None
            for workers in sorted({1, cores}):
                t = time.perf_counter()
                import_activities([folder], cache_dir=Path(tmp) / f"cache-c{workers}",
                                  workers=workers)
                secs = time.perf_counter() - t
                one = one or secs
                gain = "" if workers == 1 else f"  ({one / secs:.1f}x faster than 1 worker)"
                print(f"  {workers} worker{'s' if workers > 1 else ''}: {secs:7.2f} s{gain}")
            print("scaling (cold import of n copies of the history):")
            base = None
            for copies in (1, 2, 4):
                work = Path(tmp) / f"x{copies}"
                for c in range(copies):
                    d = work / f"copy{c}"
                    d.mkdir(parents=True)
                    for f in files:
                        data = f.read_bytes()
                        (d / f.name).write_bytes(data if c == 0 else with_serial(data, 7000 + c))
                secs, out, peak, cpu = run_cli(["activities", str(work), "--format", "json"],
                                               Path(tmp) / f"cache-x{copies}")
                n_acts = len(json.loads(out))
                base = base or secs
                print(f"  {copies}x: {secs:7.2f} s  {n_acts} activities  "
                      f"{secs / base / copies:.2f} of 1x per copy; peak {peak:.0f} MiB; "
                      f"{cpu / secs:.1f} cores busy")
                shutil.rmtree(work)


if __name__ == "__main__":
    with record("import_speed"):
        main()
