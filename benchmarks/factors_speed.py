"""Time of the factor analysis on one simulated year, every circular shift included.

Run by hand: ``python benchmarks/factors_speed.py [--repeat N] [--days D]``. The season
comes from the test suite's simulator (tests/simulate_season.py), tuned to about 20
flare-up onsets a year; the target is well under 30 s for the 14 factors and all shifts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from runback.factors import FACTORS, case_crossover  # noqa: E402
from simulate_season import simulate_season  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs (median shown)")
    parser.add_argument("--days", type=int, default=365, help="length of the season [d]")
    args = parser.parse_args(argv)

    daily = simulate_season(0, days=args.days, trigger=None, flares_per_year=40.0)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        result = case_crossover(daily)
        times.append(time.perf_counter() - start)
    shifts = args.days - 2 * 28 + 1
    print(f"{args.days} days, {int(daily['flare_onset'].sum())} onsets "
          f"({result.n_onsets} with comparison days), {len(FACTORS)} factors, "
          f"{shifts} circular shifts")
    print(f"case_crossover: median {statistics.median(times):.3f} s, "
          f"max {max(times):.3f} s over {args.repeat} runs")
    for window in (1, 7):
        start = time.perf_counter()
        case_crossover(daily, window_days=window)
        print(f"window {window} d: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
