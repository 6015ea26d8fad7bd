"""Calibration of the factor analysis on simulated seasons.

For each scenario, simulates seasons (``runback.simulate``), runs the factor analysis as
``runback factors`` does, and prints:

- the share of seasons with any finding (what the summary would claim);
- per-factor type-I error: the share of seasons with p <= 0.05, for factors that have no
  effect in the scenario (every factor of a null season);
- power: the share of seasons where the planted trigger's factor is a finding;
- false findings: the share of seasons where another factor of the load, cold or sleep
  kind is a finding;
- bias: the median log odds ratio per SD of the planted factor.

Cohort scenarios (``runback cohort``, the pooled analysis): cohorts of 24 athletes with a
year each, analysed together. Printed: the share of cohorts with any pooled finding, the
pooled per-factor type-I error, the power for a planted trigger, and as baseline, in the
same run, the share of cohorts in which at least one athlete analysed alone shows a factor
at q <= 0.10 (what a team table of per-athlete analyses showed). Target: a null cohort has
a pooled finding in at most 1 of 10.

The single seasons' figures are written to the ``calibration`` section of
``benchmarks/RESULTS.md``, the cohorts' to ``calibration_cohorts``.

Targets (issue "honest answers"): null seasons, a finding in at most 10 % of seasons and
per-factor p <= 0.05 in 3-7 %; a planted trigger (OR >= 3, two years, >= 15 flare-ups,
easing) found in >= 80 % and load, cold or sleep found in <= 10 %; a trail trigger is
found as uneven terrain, not climb. Baseline, in the same run (``--baseline``): the same
seasons analysed with the previous design's rule: any onset is a case, only referents are
kept 7 days from a flare-up, referents of the same calendar month, each factor alone.

    python benchmarks/calibration.py            # full run
    python benchmarks/calibration.py --quick    # under 10 minutes
    python benchmarks/calibration.py --cohorts 0  # single seasons only
    python benchmarks/calibration.py --seasons 0  # cohorts only
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from _results import record  # noqa: E402

from runback import factors as fx  # noqa: E402
from runback.simulate import simulate_season  # noqa: E402

#: name -> simulate_season keyword arguments, and the factor the trigger should show as.
SCENARIOS = {
    "null, no easing": ({"ease_days": 0}, None),
    "null, easing 14 d": ({"ease_days": 14}, None),
    "null, easing 21 d": ({"ease_days": 21}, None),
    "null, diary gaps": ({"ease_days": 21, "logged_share": 0.75, "gap_days": 6}, None),
    "null, HR on half the runs": ({"ease_days": 21, "hr_share": 0.5}, None),
    "null, training build-up": ({"ease_days": 21, "build": 0.5}, None),
    "trail OR 3, easing": ({"ease_days": 21, "trigger": "trail", "trigger_or": 3.0},
                           "uneven_terrain"),
    "trail OR 3, no easing": ({"ease_days": 0, "trigger": "trail", "trigger_or": 3.0},
                              "uneven_terrain"),
    "trail OR 5, easing": ({"ease_days": 21, "trigger": "trail", "trigger_or": 5.0},
                           "uneven_terrain"),
    "descent OR 3, easing": ({"ease_days": 21, "trigger": "descent", "trigger_or": 3.0},
                             "descent"),
    "descent OR 2, easing": ({"ease_days": 21, "trigger": "descent", "trigger_or": 2.0},
                             "descent"),
    "mileage jump OR 3, easing": ({"ease_days": 21, "trigger": "mileage_jump",
                                   "trigger_or": 3.0}, "distance_change"),
}
QUICK = ("null, easing 21 d", "null, no easing", "null, HR on half the runs",
         "trail OR 3, easing", "descent OR 3, easing")
#: Cohort scenarios: simulate_season keyword arguments for every athlete, and the factor
#: the trigger should show as.
COHORT_SCENARIOS = {
    "cohort null, easing 21 d": ({"ease_days": 21}, None),
    "cohort null, HR on half, build-up": ({"ease_days": 21, "hr_share": 0.5, "build": 0.5},
                                          None),
    "cohort trail OR 2, easing": ({"ease_days": 21, "trigger": "trail", "trigger_or": 2.0},
                                  "uneven_terrain"),
    "cohort trail OR 3, easing": ({"ease_days": 21, "trigger": "trail", "trigger_or": 3.0},
                                  "uneven_terrain"),
}
COHORT_QUICK = ("cohort null, easing 21 d", "cohort trail OR 3, easing")
#: Athletes per generated cohort, and the days simulated before each athlete's year (for
#: the load averages to settle).
COHORT_SIZE, BURN_IN_D = 24, 60

#: Factors whose finding in a trigger season counts as a false finding.
OFF_TARGET = ("distance", "acute_load", "chronic_load", "monotony", "intensity", "cold",
              "sleep", "stress", "distance_change", "session_spike", "climb")


def one(args):
    name, seed, options = args
    kwargs, target = SCENARIOS[name]
    daily = simulate_season(seed, **kwargs)
    options = dict(options)
    adjust = options.pop("adjust", True)
    design = fx.case_crossover_design(daily, **options)
    res = fx.fit_design(design, ci="flagged", adjust=adjust)
    f = res.factors.set_index("factor")
    return {
        "onsets": res.n_onsets,
        "flares": int(daily["flare_onset"].fillna(False).sum()),
        "any": bool(f["finding"].any()),
        "p": f["p_value"].to_dict(),
        "finding": f["finding"].to_dict(),
        "coef": f["coef"].to_dict(),
        "target": target,
    }


def one_cohort(args):
    """One generated cohort of :data:`COHORT_SIZE` athletes, analysed pooled."""
    from runback.cohort import Cohort

    name, seed = args
    kwargs, target = COHORT_SCENARIOS[name]
    seasons = {f"a{i:02d}": simulate_season(100_000 + 1_000 * seed + i, days=365 + BURN_IN_D,
                                            **kwargs).iloc[BURN_IN_D:]
               for i in range(COHORT_SIZE)}
    res = Cohort.from_daily(seasons).run(workers=1)
    f = res.factors.set_index("factor")
    found = {d["factor"] for d in res.findings}
    own = res.athletes
    return {
        "onsets": int(res.n_onsets),
        "flares": sum(int(d["flare_onset"].fillna(False).sum()) for d in seasons.values()),
        "any": bool(found),
        "p": f["p_value"].to_dict(),
        "finding": {k: k in found for k in f.index},
        "coef": {k: math.log(v) if v == v and v > 0 else math.nan
                 for k, v in f["odds_ratio"].items()},
        "alone_any": bool((own["own_q_value"] <= 0.10).any()),
        "alone_target": (float((own.loc[own["factor"] == target, "own_q_value"] <= 0.10).mean())
                         if target else math.nan),
        "target": target,
    }


def summarise_cohorts(name: str, rows: list[dict]) -> str:
    """One line per cohort scenario, the per-athlete baseline beside it."""
    line = summarise(name, rows, unit="cohorts")
    alone = np.mean([r["alone_any"] for r in rows])
    line += f"  | baseline, each athlete alone: any athlete with q<=0.10 {alone:6.1%}"
    if rows[0]["target"] is not None:
        line += (f", athletes who show the trigger alone "
                 f"{np.nanmean([r['alone_target'] for r in rows]):6.1%}")
    return line


def summarise(name: str, rows: list[dict], unit: str = "seasons") -> str:
    target = rows[0]["target"]
    n = len(rows)
    any_rate = np.mean([r["any"] for r in rows])
    flares = np.median([r["flares"] for r in rows])
    onsets = np.median([r["onsets"] for r in rows])
    line = (f"{name:<28} {unit} {n:3d}  flare-ups {flares:4.0f}  used {onsets:4.0f}  "
            f"any finding {any_rate:6.1%}")
    if target is None:
        ps = [p for r in rows for k, p in r["p"].items() if p == p]
        t1 = np.mean(np.array(ps) <= 0.05) if ps else math.nan
        by = {}
        for r in rows:
            for k, p in r["p"].items():
                if p == p:
                    by.setdefault(k, []).append(p <= 0.05)
        worst = max(by, key=lambda k: np.mean(by[k])) if by else ""
        line += (f"  per-factor p<=0.05 {t1:6.1%} (distance {np.mean(by.get('distance', [0])):.0%},"
                 f" chronic load {np.mean(by.get('chronic_load', [0])):.0%}, highest "
                 f"{worst.replace('_', ' ')} {np.mean(by.get(worst, [0])):.0%})")
    else:
        power = np.mean([bool(r["finding"].get(target)) for r in rows])
        off = np.mean([any(r["finding"].get(k) for k in OFF_TARGET if k != target)
                       for r in rows])
        coefs = [r["coef"].get(target) for r in rows]
        coefs = [c for c in coefs if c == c]
        bias = np.median(coefs) if coefs else math.nan
        line += (f"  power ({target}) {power:6.1%}  other load/cold/sleep/climb found "
                 f"{off:6.1%}  median log OR/SD {bias:+.2f}")
        if target == "uneven_terrain":
            climb = np.mean([bool(r["finding"].get("climb")) for r in rows])
            line += f"  climb found {climb:6.1%}"
    return line


def run(names, seasons, options, workers):
    jobs = [(name, seed, options) for name in names for seed in range(seasons)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(one, jobs, chunksize=4))
    out = {}
    for (name, _, _), r in zip(jobs, results, strict=True):
        out.setdefault(name, []).append(r)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer scenarios and seasons")
    ap.add_argument("--seasons", type=int, default=None,
                    help="seasons per scenario (0: none; default 300, quick 100)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--washout", default="auto", type=lambda v: v if v == "auto" else int(v))
    ap.add_argument("--referents", default="weeks")
    ap.add_argument("--cohorts", type=int, default=None,
                    help="generated cohorts per cohort scenario (0: none; default 50, "
                         "quick 20)")
    ap.add_argument("--baseline", action="store_true",
                    help="also run the previous design: 7-day block after flare-ups")
    args = ap.parse_args(argv)
    names = QUICK if args.quick else tuple(SCENARIOS)
    seasons = args.seasons if args.seasons is not None else (100 if args.quick else 300)
    configs = [("runback", {"washout_days": args.washout, "referents": args.referents})]
    if args.baseline:
        configs.append(("baseline: previous design (referents-only 7-day block, month "
                        "referents, one factor at a time)",
                        {"washout_days": 7, "referents": "month", "symmetric": False,
                         "adjust": False}))
    if seasons:
        with record("calibration"):
            for label, options in configs:
                t0 = time.perf_counter()
                out = run(names, seasons, options, args.workers)
                print(f"== {label}: {options}  ({time.perf_counter() - t0:.0f} s)")
                for name in names:
                    print(summarise(name, out[name]))
                sys.stdout.flush()
    n_cohorts = args.cohorts if args.cohorts is not None else (20 if args.quick else 50)
    if n_cohorts:
        with record("calibration_cohorts"):
            cohorts(COHORT_QUICK if args.quick else tuple(COHORT_SCENARIOS), n_cohorts,
                    args.workers)


def cohorts(names, n_cohorts: int, workers: int) -> None:
    """Print the cohort scenarios' lines, :data:`COHORT_SIZE` athletes per cohort."""
    jobs = [(name, seed) for name in names for seed in range(n_cohorts)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(one_cohort, jobs))
    print(f"== cohorts of {COHORT_SIZE} athletes, a year each, pooled (runback cohort)  "
          f"({time.perf_counter() - t0:.0f} s)")
    for name in names:
        print(summarise_cohorts(name, [r for (n, _), r in zip(jobs, results, strict=True)
                                       if n == name]))


if __name__ == "__main__":
    main()
