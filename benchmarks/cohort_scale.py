"""How ``runback cohort`` scales: athletes, cores, memory, and pooled power.

Run by hand: ``python benchmarks/cohort_scale.py [--quick]``. Athletes are generated with
:mod:`runback.simulate` (a year each, after 60 days for the load averages to settle) and
written as one long activity table
(Parquet, one row group per athlete) and one long diary: each task imports its athlete's
rows, builds the daily and weekly tables, the design and the athlete's own fit, which is
the work a cohort of real athletes costs once their files are parsed (parsing itself is
``benchmarks/import_speed.py``'s subject).

Printed in one run, each figure beside its baseline from the same run:

* time and peak memory per worker for 25, 50, 100 and 200 athletes on every core (baseline:
  25 athletes; target: 200 athletes at most 2.3 times 100, memory per worker flat);
* time for the same cohort with 1, 2 and all cores (baseline: 1 worker; target: 2 workers
  at least 1.6 times faster);
* pooled power: the share of generated cohorts of 24 athletes in which a planted trigger
  (a trail run raises the flare-up hazard of the next 3 days by ``--planted-or``) is found,
  with the pooled odds ratio, beside the share of single athletes who show it alone, and the
  share of null cohorts (no trigger) with any finding;
* what 10,000 athletes would need, from these figures.

``--quick`` (a few minutes on 2 cores): 25 and 50 athletes, 5 cohorts for power. The
figures are written to the ``cohort_scale`` section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _results import record  # noqa: E402

from runback.cohort import Cohort  # noqa: E402
from runback.simulate import simulate_season  # noqa: E402
from tests.cohort_files import long_tables  # noqa: E402

TRIGGER = "uneven_terrain"
BURN_IN_D = 60


def season(seed: int, **kw):
    """A simulated year after the burn-in."""
    return simulate_season(seed, days=365 + BURN_IN_D, **kw).iloc[BURN_IN_D:]


def make_cohort(n: int, folder: Path, seed: int = 0) -> tuple[Path, Path]:
    """A long activity table (one row group per athlete) and a long diary of n athletes."""
    seasons = {f"a{i:04d}": season(seed * 100_000 + i, trigger="trail") for i in range(n)}
    acts, diary = long_tables(seasons)
    table, diary_path = folder / f"club{n}.parquet", folder / f"diary{n}.csv"
    rows = int(acts.groupby("Athlete").size().max())
    acts.to_parquet(table, row_group_size=rows)
    diary.to_csv(diary_path, index=False)
    return table, diary_path


def peak_rss_mib() -> float:
    """Peak resident memory of this process. [MiB]"""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_on_cluster(table: Path, diary: Path, workers: int, cache: str) -> tuple[float, float]:
    """Seconds for the cohort on a fresh LocalCluster of ``workers``, and the largest
    worker's peak memory [MiB]."""
    import logging

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(workers)
        start = time.perf_counter()
        Cohort.from_paths([table], diary_table=diary).run(scheduler=cluster.scheduler_address,
                                                          cache_dir=cache)
        took = time.perf_counter() - start
        peaks = client.run(peak_rss_mib)
    return took, max(peaks.values())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="25 and 50 athletes, 5 cohorts")
    parser.add_argument("--planted-or", type=float, default=3.0,
                        help="hazard ratio of the planted trigger (default 3)")
    args = parser.parse_args(argv)
    sizes = (25, 50) if args.quick else (25, 50, 100, 200)
    n_power = 5 if args.quick else 20
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="runback-cohort-bench-"))
    cache = str(work / "cache")

    print(f"machine: {cores} cores; athletes: one simulated year each")
    print("scale (all cores):")
    times: dict[int, float] = {}
    for n in sizes:
        table, diary = make_cohort(n, work)
        took, peak = run_on_cluster(table, diary, cores, cache)
        times[n] = took
        base = times[sizes[0]]
        print(f"  {n:4d} athletes: {took:7.2f} s  ({took / n * 1000:6.1f} ms per athlete; "
              f"{took / base:5.2f} x the {sizes[0]}-athlete run for {n / sizes[0]:.0f} x the "
              f"athletes)  peak memory per worker {peak:6.0f} MiB")
    if 200 in times and 100 in times:
        print(f"  200 / 100 athletes: {times[200] / times[100]:.2f} (target <= 2.3)")

    n_cores = sizes[-1] if args.quick else 100
    table, diary = make_cohort(n_cores, work)
    print(f"cores ({n_cores} athletes):")
    by_workers = {}
    for w in sorted({1, min(2, cores), cores}):
        by_workers[w], _ = run_on_cluster(table, diary, w, cache)
        print(f"  {w} worker{'s' if w > 1 else ' '}: {by_workers[w]:7.2f} s  "
              f"({by_workers[1] / by_workers[w]:.2f} x faster than 1 worker)")

    print(f"pooled power ({n_power} generated cohorts of 24 athletes, trail trigger with "
          f"hazard ratio {args.planted_or:g}):")
    found, ors, alone, n_alone, null_any = 0, [], 0, 0, 0
    start = time.perf_counter()
    for seed in range(n_power):
        planted = {f"a{i:02d}": season(7_000 + 100 * seed + i, trigger="trail",
                                       trigger_or=args.planted_or) for i in range(24)}
        res = Cohort.from_daily(planted).run(workers=1)
        found += TRIGGER in {f["factor"] for f in res.findings}
        ors.append(float(res.factors.set_index("factor").loc[TRIGGER, "odds_ratio"]))
        own = res.athletes[res.athletes["factor"] == TRIGGER]
        alone += int((own["own_q_value"] <= 0.10).sum())
        n_alone += len(own)
        null = {f"a{i:02d}": season(9_000 + 100 * seed + i) for i in range(24)}
        null_any += bool(Cohort.from_daily(null).run(workers=1).findings)
    ors = [v for v in ors if v == v]
    print(f"  pooled: trigger found in {found} of {n_power} cohorts "
          f"({100 * found / n_power:.0f} %); pooled uneven-terrain odds ratio median "
          f"{statistics.median(ors):.2f} per athlete's SD")
    print(f"  baseline, each athlete alone: found in {alone} of {n_alone} athletes "
          f"({100 * alone / max(n_alone, 1):.0f} %)")
    print(f"  null cohorts with any finding: {null_any} of {n_power}  "
          f"[{time.perf_counter() - start:.0f} s]")

    largest = sizes[-1]
    per_athlete_cpu = times[largest] * cores / largest
    need = 10_000 * per_athlete_cpu
    print("10,000 athletes, from these figures:")
    print(f"  {per_athlete_cpu:.2f} core-seconds per athlete -> {need / 3600:.1f} core-hours; "
          f"on a 64-core Dask cluster about {need / 64 / 60:.0f} min; memory per worker as "
          "measured above (it does not grow with athletes); the client holds only the "
          "designs (a few kB per athlete, about "
          f"{10_000 * 5 / 1024:.0f} MiB for 10,000) and the pooled fit")
    print(f"  this process: peak {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    with record("cohort_scale"):
        main()
