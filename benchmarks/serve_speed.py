"""Time of ``runback serve``'s pages on a year of data (the issue: form under 0.2 s, report
under 3 s, warm).

Run by hand: ``python benchmarks/serve_speed.py [--weeks N] [--repeat N]``. The year is the
one ``benchmarks/report_speed.py`` writes (the bundled sample runner run on to 52 weeks:
FIT, GPX, TCX, Strava export, hand log and a pain diary of a row a day). Timed in one run,
with the import cache warm (filled once before anything is timed):

1. baseline: ``runback report`` as a subprocess, the command a runner would run instead;
2. today's entry page (GET ``/``) and the diary page (GET ``/diary``), median of
   ``--repeat`` requests through the application (no network);
3. a save (POST ``/``, the diary rewritten under its lock);
4. the report page after the diary changed (rebuilt in the server's process from the
   import cache), and again unchanged (served from memory).

Each figure is printed beside its target and as a share of the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_speed import write_year  # noqa: E402

FORM_TARGET_S = 0.2
REPORT_TARGET_S = 3.0


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def show(label: str, seconds: float, baseline: float, target: float | None = None) -> None:
    goal = ""
    if target is not None:
        goal = f"  target {target:g} s: {'met' if seconds <= target else 'MISSED'}"
    print(f"{label:<44} {seconds:8.3f} s  ({seconds / baseline:6.1%} of the baseline){goal}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52, help="season length [weeks]")
    parser.add_argument("--repeat", type=int, default=15, help="requests per page timed")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = write_year(root, args.weeks)
        os.environ["RUNBACK_CACHE_DIR"] = str(root / "cache")
        acts = folder / "activities"
        diary = root / "pain_diary.csv"
        shutil.copy(folder / "pain_diary.csv", diary)  # outside the activities' folder

        from runback.log import TrainingLog
        from runback.web import Athlete, ServeConfig, create_app

        TrainingLog.from_paths([acts], diary=diary)  # fills the import cache
        n_rows = sum(1 for _ in diary.open()) - 1
        print(f"diary: {n_rows} rows")

        cmd = [sys.executable, "-m", "runback", "report", str(acts), "--diary", str(diary),
               "-o", str(root / "report.html")]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        baseline = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"runback report failed: {done.stderr.strip()}")
        print(f"{'baseline: runback report (subprocess, warm)':<44} {baseline:8.3f} s")

        athlete = Athlete("me", [acts], diary)
        app = create_app(ServeConfig([athlete]))
        client = app.test_client()
        client.get("/")  # the first request loads the templates

        def get(url):
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
            return r.get_data(as_text=True)

        t_form, _ = timed(lambda: get("/"), args.repeat)
        show("today's entry page (median)", t_form, baseline, FORM_TARGET_S)
        t_diary, _ = timed(lambda: get("/diary"), args.repeat)
        show("diary page, 8 weeks (median)", t_diary, baseline, FORM_TARGET_S)

        html = get("/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        day = re.search(r'name="date" value="([^"]+)"', html).group(1)
        t0 = time.perf_counter()
        r = client.post("/", data={"csrf_token": token, "date": day, "pain": "2",
                                   "replaces": ""})
        t_save = time.perf_counter() - t0
        assert r.status_code == 303, r.status_code
        show("save an entry (POST, locked atomic write)", t_save, baseline, FORM_TARGET_S)

        t0 = time.perf_counter()
        get("/report")  # the diary changed: rebuilt from the import cache
        t_build = time.perf_counter() - t0
        show("report page, rebuilt after a save", t_build, baseline, REPORT_TARGET_S)
        t_cached, _ = timed(lambda: get("/report"), args.repeat)
        show("report page, unchanged (median)", t_cached, baseline, REPORT_TARGET_S)


if __name__ == "__main__":
    main()
