"""Time of the runner's HTML report on a year of data (the issue: under 10 s).

Run by hand: ``python benchmarks/report_speed.py [--weeks N] [--keep DIR]``. The year is the
bundled sample runner (sample_data/make_sample_data.py) with the season run on to 52 weeks:
the generator's monthly Denver temperatures are extended to October-December, everything
else is its own plan (FIT, GPX, TCX, Strava export, hand log, pain diary). Timed in one run:

1. the import with a cold cache (every file parsed) and the tables;
2. the analyses: the factor table (every circular shift) and the sensitivity grid;
3. the charts (inline SVG);
4. the report in-process (analyses, charts, summary and HTML on warm tables);
5. the whole ``runback report`` command as a subprocess, with a warm cache.

Each figure is printed with its share of the 10 s budget.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "sample_data"))

import make_sample_data as sample  # noqa: E402
from _results import record  # noqa: E402

from runback.log import TrainingLog  # noqa: E402
from runback.report.render import SENSITIVITY_PERMUTATIONS, chart_list  # noqa: E402

BUDGET_S = 10.0
#: Denver daily mean temperature for the months the sample season does not reach. [degC]
LATE_SEASON_C = {10: 11.0, 11: 4.0, 12: -1.0}


def write_year(out: Path, weeks: int) -> Path:
    """The sample runner's season run on to ``weeks`` weeks; returns the athlete folder."""
    for month, temp in LATE_SEASON_C.items():
        sample.DENVER_MEAN_C.setdefault(month, temp)
    start = sample.RUNNER.start
    end = f"{sample.pd.Timestamp(start) + sample.pd.Timedelta(weeks=weeks, days=-1):%Y-%m-%d}"
    runner = dataclasses.replace(sample.RUNNER, end=end)
    truth = sample.write_athlete(runner, out, None, sample.SEED)
    print(f"season {truth['first_day']} to {truth['last_day']}: {truth['n_activities']} "
          f"activities, {len(truth['flare_onsets'])} flare-ups")
    return out / runner.folder


def line(label: str, seconds: float) -> None:
    print(f"{label:<46} {seconds:7.2f} s  ({seconds / BUDGET_S:6.1%} of {BUDGET_S:g} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52, help="season length [weeks]")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the data and reports here instead of a temporary folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        folder = write_year(root, args.weeks)
        cache = root / "cache"
        os.environ["RUNBACK_CACHE_DIR"] = str(cache)
        acts, diary = folder / "activities", folder / "pain_diary.csv"

        t0 = time.perf_counter()
        log = TrainingLog.from_paths([acts], diary=diary)
        tables = (log.activities, log.daily, log.weekly, log.flares)
        t_import = time.perf_counter() - t0
        print(f"{len(tables[0])} activities, {len(tables[1])} days, {len(tables[3])} flare-ups")
        line("import, cold cache, and tables", t_import)

        t0 = time.perf_counter()
        result = log.factors()
        t_factors = time.perf_counter() - t0
        t0 = time.perf_counter()
        grid = log.sensitivity(n_permutations=SENSITIVITY_PERMUTATIONS)
        t_grid = time.perf_counter() - t0
        line("factor table (all shifts)", t_factors)
        line(f"sensitivity grid ({SENSITIVITY_PERMUTATIONS} shifts per cell)", t_grid)

        t0 = time.perf_counter()
        charts = chart_list(weekly=log.weekly, daily=log.daily, activities=log.activities,
                            flares=log.flares, result=result, grid=grid, units=log.units)
        t_charts = time.perf_counter() - t0
        line(f"charts ({len(charts)} inline SVG)", t_charts)

        t0 = time.perf_counter()
        html = log.report(root / "report_inprocess.html")
        t_report = time.perf_counter() - t0
        line("report in-process (analyses, charts, HTML)", t_report)
        print(f"report size {len(html) / 1e6:.2f} MB")

        out = root / "report.html"
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "runback", "report", str(acts),
                               "--diary", str(diary), "-o", str(out)],
                              capture_output=True, text=True, check=False)
        t_cli = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"runback report failed: {done.stderr.strip()}")
        line("runback report (subprocess, warm cache)", t_cli)
        line("cold import + report in-process", t_import + t_report)
        verdict = "within" if t_cli <= BUDGET_S else "OVER"
        print(f"runback report: {t_cli / BUDGET_S:.2f} of the {BUDGET_S:g} s budget ({verdict})")


if __name__ == "__main__":
    with record("report_speed"):
        main()
