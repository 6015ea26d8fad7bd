"""Time of `runback factors` and of the factor analysis alone, on one year of data.

Run by hand: ``python benchmarks/factors_speed.py [--repeat N] [--days D]``.

- the analysis alone (``case_crossover`` with every profile interval) on a simulated year
  (``runback.simulate``), and with intervals only for flagged factors, as the calibration
  benchmark runs it;
- the whole command, ``runback factors`` in a new process, on the bundled sample runner's
  folder (the target: under 10 s for a year); baseline in the same run: ``runback weekly``
  on the same folder, which imports the same files but fits no model.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _results import record

from runback.factors import FACTORS, case_crossover
from runback.simulate import simulate_season

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data" / "runner"


def _median_run(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env={**os.environ})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median shown)")
    parser.add_argument("--days", type=int, default=365, help="length of the season [d]")
    args = parser.parse_args(argv)

    daily = simulate_season(0, days=args.days, flares_per_year=12.0, ease_days=21)
    for ci in (True, "flagged"):
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = case_crossover(daily, ci=ci)
            times.append(time.perf_counter() - start)
        print(f"case_crossover (intervals: {ci}): median {statistics.median(times):.3f} s over "
              f"{args.repeat} runs; {args.days} days, {int(daily['flare_onset'].sum())} "
              f"flare-ups ({result.n_onsets} usable), {len(FACTORS)} factors")
    runback = [sys.executable, "-m", "runback"]
    diary = str(SAMPLE / "pain_diary.csv")
    weekly = _median_run([*runback, "weekly", str(SAMPLE), "--diary", diary], args.repeat)
    factors = _median_run([*runback, "factors", str(SAMPLE), "--diary", diary], args.repeat)
    print(f"runback weekly (baseline, same files, no model): {weekly:.2f} s")
    print(f"runback factors on the sample runner (59 weeks): {factors:.2f} s "
          f"({factors - weekly:+.2f} s over the baseline; target under 10 s)")


if __name__ == "__main__":
    with record("factors_speed"):
        main()
