"""What starting the command line costs: the libraries it loads and the collector's state."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "runner" / "activities"
#: Libraries only the reports, the factor analysis, the cohort and the web page need.
HEAVY = ("matplotlib", "scipy", "statsmodels", "dask", "distributed", "jinja2", "flask",
         "waitress")


def _python(code: str, *args: str, cache: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, RUNBACK_CACHE_DIR=str(cache))
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_importing_the_cli_leaves_the_collector_as_it_was_and_a_command_freezes_it(tmp_path):
    code = ("import gc, json, sys\n"
            "if sys.argv[1] == 'off': gc.disable()\n"
            "import runback.cli\n"
            "imported = [gc.isenabled(), gc.get_freeze_count()]\n"
            "runback.cli.main(['flares', '--help'], standalone_mode=False)\n"
            "print(json.dumps(imported + [gc.get_freeze_count()]))")
    for state, enabled in (("on", True), ("off", False)):
        proc = _python(code, state, cache=tmp_path)
        assert proc.returncode == 0, proc.stderr
        is_enabled, frozen_on_import, frozen_by_command = json.loads(
            proc.stdout.strip().splitlines()[-1])
        assert is_enabled is enabled  # as the importer left it
        assert frozen_on_import == 0  # a program that only imports the CLI keeps its collector
        # a command puts pandas, numpy and click out of the collector's passes
        assert frozen_by_command > 10_000


def test_weekly_loads_none_of_the_report_or_analysis_libraries(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    for f in sorted((SAMPLE / "garmin").glob("*.fit"))[:5]:
        shutil.copy(f, runs / f.name)
    code = ("import json, sys\n"
            "from runback.cli import main\n"
            "try:\n"
            "    main(sys.argv[1:], standalone_mode=False)\n"
            "finally:\n"
            f"    heavy = {HEAVY!r}\n"
            "    loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
            "    print(json.dumps(loaded), file=sys.stderr)\n")
    for _ in range(2):  # the first run parses the files, the second reads them from the cache
        proc = _python(code, "weekly", str(runs), "--format", "json", cache=tmp_path / "c")
        assert proc.returncode == 0, proc.stderr
        assert len(json.loads(proc.stdout)) >= 1
        assert json.loads(proc.stderr.strip().splitlines()[-1]) == []
