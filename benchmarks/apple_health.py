"""How fast, and in how much memory, runback reads a large Apple Health ``export.xml``.

Run by hand (it is not a test)::

    python benchmarks/apple_health.py [--size 200] [--keep DIR]

A synthetic export of ``--size`` MB (default 200; 1000 for the 1 GB figure) is written to a
temporary folder: a year and more of Apple Watch data as Apple writes it (heart-rate records
with their motion-context metadata, step counts and distances, one workout a day with its
statistics and route reference, sleep stages, resting heart rate, HRV). Each pass runs in
a process of its own, so its peak memory (maximum resident set) is its own:

- baseline: a plain ``xml.etree.ElementTree.iterparse`` pass over the file (end events,
  each element cleared), the least any reader of the whole file does;
- scan: :func:`runback.io.apple_health.scan_export`, the streaming reader;
- import: ``runback activities FOLDER`` on an empty cache (walk, scan, workouts to
  activities, local days), then again on the filled cache (the export's extract kept:
  ``export.xml`` is not read again);
- wellness: ``runback wellness FOLDER`` on another empty cache.

The scan is also run on a file of a quarter of the size: its peak memory should not grow
with the file. Every figure is printed beside the baseline of the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 11 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
]>
<HealthData locale="en_US">
 <ExportDate value="2025-01-01 09:00:00 -0500"/>
 <Me HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
"""
WATCH = ('&lt;&lt;HKDevice: 0x283c0c1e0&gt;, name:Apple Watch, manufacturer:Apple Inc., '
         'model:Watch, hardware:Watch6,2, software:10.2&gt;')


def _t(day: int, minute: int) -> str:
    d = time.gmtime(1672549200 + day * 86400 + minute * 60)  # 2023-01-01 05:00 UTC
    return time.strftime("%Y-%m-%d %H:%M:%S", d) + " -0500"


def write_export(path: Path, size_mb: float, seed: int = 0) -> int:
    """Write a synthetic ``export.xml`` of about ``size_mb`` MB; returns the workouts."""
    rng = random.Random(seed)
    target = int(size_mb * 1e6)
    n = 0
    day = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        written = len(HEAD)
        while written < target:
            parts = []
            for minute in range(0, 1440, 5):  # heart rate every 5 minutes
                t = _t(day, minute)
                parts.append(
                    f' <Record type="HKQuantityTypeIdentifierHeartRate" sourceName="Watch" '
                    f'sourceVersion="10.2" device="{WATCH}" unit="count/min" '
                    f'creationDate="{t}" startDate="{t}" endDate="{t}" '
                    f'value="{rng.randint(48, 170)}">\n'
                    '  <MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>\n'
                    ' </Record>\n')
                if minute % 15 == 0:
                    parts.append(
                        f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="Watch" '
                        f'device="{WATCH}" unit="count" creationDate="{t}" startDate="{t}" '
                        f'endDate="{t}" value="{rng.randint(0, 900)}"/>\n')
            s, e = _t(day, 60), _t(day, 105)
            parts.append(
                f' <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="45" '
                f'durationUnit="min" sourceName="Watch" device="{WATCH}" creationDate="{e}" '
                f'startDate="{s}" endDate="{e}">\n'
                '  <MetadataEntry key="HKIndoorWorkout" value="0"/>\n'
                f'  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="{s}" '
                f'endDate="{e}" average="150" minimum="95" maximum="172" unit="count/min"/>\n'
                '  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" '
                f'startDate="{s}" endDate="{e}" sum="{rng.uniform(5, 15):.2f}" unit="km"/>\n'
                f'  <WorkoutRoute sourceName="Watch" startDate="{s}" endDate="{e}">\n'
                f'   <FileReference path="/workout-routes/route_{day}.gpx"/>\n'
                '  </WorkoutRoute>\n </Workout>\n')
            n += 1
            for k, stage in enumerate(("AsleepCore", "AsleepDeep", "AsleepREM", "AsleepCore")):
                parts.append(
                    f' <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Watch" '
                    f'device="{WATCH}" creationDate="{_t(day, 0)}" '
                    f'startDate="{_t(day, -360 + 90 * k)}" endDate="{_t(day, -270 + 90 * k)}" '
                    f'value="HKCategoryValueSleepAnalysis{stage}"/>\n')
            parts.append(
                ' <Record type="HKQuantityTypeIdentifierRestingHeartRate" sourceName="Watch" '
                f'unit="count/min" startDate="{_t(day, 0)}" endDate="{_t(day, 1439)}" '
                f'value="{rng.randint(45, 58)}"/>\n'
                ' <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" '
                f'sourceName="Watch" unit="ms" startDate="{_t(day, 0)}" '
                f'endDate="{_t(day, 1)}" value="{rng.uniform(30, 90):.1f}"/>\n')
            block = "".join(parts)
            out.write(block)
            written += len(block)
            day += 1
        out.write("</HealthData>\n")
    return n


BASELINE = """
import sys, xml.etree.ElementTree as ET
n = 0
for _, el in ET.iterparse(sys.argv[1], events=("end",)):
    n += 1
    el.clear()
print(n)
"""

SCAN = """
import sys
from runback.io.apple_health import scan_export
e = scan_export(sys.argv[1])
print(len(e.workouts), len(e.records), sum(e.skipped.values()))
"""

PEAK = """
import atexit, resource, runpy, sys
def _peak():
    kib = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    sys.stderr.write(f"\\nPEAK_KIB {kib}\\n")
atexit.register(_peak)
code = sys.argv.pop(1)
if code == "-m":
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__")
else:
    exec(compile(code, "<bench>", "exec"))
"""


def run(args: list[str], env: dict) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak MiB, stdout) of ``python PEAK args`` in a new process."""
    before = os.times()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK, *args], capture_output=True, text=True,
                          env=env, check=False)
    wall = time.perf_counter() - t0
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"{args[:2]} failed:\n{proc.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    peak = next(int(line.split()[1]) for line in proc.stderr.splitlines()
                if line.startswith("PEAK_KIB"))
    return wall, cpu, peak / 1024, proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=200.0, help="export.xml size [MB]")
    ap.add_argument("--keep", type=Path, help="write the exports here and keep them")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = opts.keep or Path(tmp)
        big, small = root / "big" / "apple_health_export", root / "small" / "apple_health_export"
        for folder, size in ((big, opts.size), (small, opts.size / 4)):
            folder.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            n = write_export(folder / "export.xml", size)
            mb = (folder / "export.xml").stat().st_size / 1e6
            print(f"wrote {folder / 'export.xml'}: {mb:.0f} MB, {n} workouts "
                  f"({time.perf_counter() - t0:.1f} s)")
        env = dict(os.environ, RUNBACK_CACHE_DIR=str(root / "cache"))
        xml = str(big / "export.xml")
        mb = big.joinpath("export.xml").stat().st_size / 1e6
        base = run([BASELINE, xml], env)
        print(f"\nbaseline (ElementTree.iterparse): {base[0]:6.1f} s  cpu {base[1]:6.1f} s  "
              f"peak {base[2]:5.0f} MiB  {mb / base[0]:5.0f} MB/s  ({base[3]} elements)")
        rows = [("scan (scan_export)", [SCAN, xml]),
                ("scan, 1/4 size", [SCAN, str(small / "export.xml")]),
                ("import (runback activities)", ["-m", "runback", "activities", str(big),
                                                 "--format", "csv", "--tz", "UTC"]),
                ("import again (extract kept)", ["-m", "runback", "activities", str(big),
                                                 "--format", "csv", "--tz", "UTC"]),
                ("wellness (runback wellness)", ["-m", "runback", "wellness", str(big),
                                                 "--format", "csv"])]
        for label, args in rows:
            if label.startswith("wellness"):
                env = dict(env, RUNBACK_CACHE_DIR=str(root / "cache-wellness"))
            wall, cpu, peak, out = run(args, env)
            what = out if len(out) < 60 else f"{len(out.splitlines()) - 1} rows"
            print(f"{label:29s} {wall:6.1f} s  cpu {cpu:6.1f} s  peak {peak:5.0f} MiB  "
                  f"{wall / base[0]:4.2f}x the baseline's time, "
                  f"{peak / base[2]:4.2f}x its memory  ({what})")


if __name__ == "__main__":
    main()
