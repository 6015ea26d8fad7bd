"""The ``runback`` command: parse the options, call the library, format the answer.

Every command is a thin door onto :class:`runback.log.TrainingLog`; the JSON keys are the
ones in the command-line contract and never change. A runback error becomes one line on
stderr and exit status 1; a usage error exits with 2.

Modules
-------
``group``       the click group ``main``, the shared options, loading activities
``output``      JSON, CSV and text tables; dates, durations, units; red flags on stderr
``tables``      ``activities``, ``weekly``, ``flares``, ``wellness``, ``factors``
``reports``     ``report``, ``team``, ``cohort`` (HTML pages)
``pain_diary``  ``diary add``, ``diary show``
``web``         ``serve``

Importing this package registers every command on ``main``; the libraries a command needs
are imported inside it, so ``runback --help`` stays quick.
"""

from __future__ import annotations

import gc

# The imports below (pandas, numpy, pyarrow, click) make some hundred thousand objects that
# live as long as the process. The cyclic collector is paused while they are made (its
# passes over them would find nothing), and the command itself, once it runs, tells it to
# leave them out of its passes (gc.freeze in runback.cli.group.main), the full pass when the
# interpreter exits included. A program that only imports runback.cli keeps its collector
# as it was. The warm re-run of benchmarks/import_speed.py shows what it saves.
_collecting = gc.isenabled()
gc.disable()
try:
    from runback.cli.group import main
    from runback.cli.output import FT_PER_M, KM_PER_MILE
    from runback.cli.pain_diary import SHOW_COLUMNS, diary, diary_add, diary_show
    from runback.cli.reports import cohort, report, team
    from runback.cli.tables import WEEKLY_KEYS, activities, factors, flares, weekly, wellness
    from runback.cli.web import serve
finally:
    if _collecting:
        gc.enable()

__all__ = [
    "main",
    "WEEKLY_KEYS",
    "SHOW_COLUMNS",
    "KM_PER_MILE",
    "FT_PER_M",
    "activities",
    "weekly",
    "flares",
    "wellness",
    "factors",
    "report",
    "team",
    "cohort",
    "diary",
    "diary_add",
    "diary_show",
    "serve",
]
