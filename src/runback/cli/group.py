"""The ``runback`` click group, the options its commands share, and loading activities
for a command (with the progress bar and the import report on stderr).
"""

from __future__ import annotations

import gc
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from runback.timezones import parse_zone

_EPILOG_PATHS = (
    "PATH is any mix of activity files (.fit .gpx .tcx .csv, each optionally .gz), folders "
    "(searched recursively) and export archives (.zip: Strava or Garmin Connect exports)."
)
#: The diary file of `runback diary` and of each folder of `runback serve --team`.
DIARY_FILE_DEFAULT = "pain_diary.csv"


def _input_options(f):
    """Options of every command that imports activities."""
    f = click.option("--strict", is_flag=True,
                     help="Fail on the first unreadable file instead of skipping it.")(f)
    f = click.option("--tz", "tz", metavar="ZONE",
                     help="Time zone for local days (IANA name, e.g. America/Denver); "
                          "overrides the automatic choice.")(f)
    f = click.option("--units", type=click.Choice(["metric", "imperial"]), default=None,
                     help="Display units (default: the profile's, else metric).")(f)
    f = click.option("-v", "--verbose", is_flag=True,
                     help="List every skipped file, not only the unreadable ones.")(f)
    return f


def _common(f):
    """Options every table command shares."""
    f = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                     default="table", show_default=True, help="Output format.")(f)
    return _input_options(f)


def _washout(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        days = int(value)
    except ValueError:
        days = -1
    if days < 0:
        raise click.BadParameter(f"{value!r} is neither 'auto' nor a number of days >= 0")
    return days


def _report_options(f):
    """Options of the HTML report commands (no --format: the output is one HTML file)."""
    f = click.option("--permutations", type=click.IntRange(0), default=None, hidden=True,
                     help="Ignored; kept for old scripts (p-values no longer use "
                          "permutations).")(f)
    f = click.option("--title", help="Page title.")(f)
    f = click.option("--show-routes", is_flag=True,
                     help="Draw the shapes of the latest runs' routes (no map). Off by "
                          "default: start points reveal where you live.")(f)
    f = click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
                     help="HTML file to write (replaced atomically).")(f)
    return _input_options(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="runback", prog_name="runback")
def main():
    """runback: relate your training load to back pain.

    Import your watch exports and a pain diary, then see weekly load, terrain, intensity and
    pain side by side, and which factors come before your flare-ups.

    \b
    Example:
      runback activities ~/Downloads/export_12345.zip
      runback weekly my_runs/ --diary pain_diary.csv
    """
    # what the imports built lives as long as the command: out of the collector's passes,
    # the one at exit included (runback.cli explains); the command's own garbage is
    # collected as usual
    gc.freeze()


def _load(paths, *, tz, strict, verbose, diary=None, units=None):
    from runback.log import TrainingLog

    if not paths:
        raise click.UsageError("give at least one PATH (file, folder or .zip)")
    if tz is not None:
        parse_zone(tz)  # a wrong zone fails before any work
    with _progress_bar() as progress:
        log = TrainingLog.from_paths(paths, diary=diary, tz=tz, strict=strict, units=units,
                                     progress=progress)
    _report_import(log, verbose)
    return log


@contextmanager
def _progress_bar() -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback drawing on stderr when it is a terminal, else None.

    The bar appears once at least 20 files need parsing, and is always finished on the way
    out, so an error stopping the import starts on a fresh line with the cursor shown.
    """
    if not sys.stderr.isatty():
        yield None
        return
    bars: list = []

    def update(done: int, total: int) -> None:
        if not bars:
            if total < 20:
                return
            bars.append(click.progressbar(length=total, label="importing", file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield update
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


def _report_import(log, verbose: bool) -> None:
    res = log.import_result
    skipped = res.skipped
    broken = skipped[~skipped["not_activity"]]
    quiet = skipped[skipped["not_activity"]]
    for name, reason in zip(broken["name"], broken["reason"], strict=True):
        click.echo(f"skipped {name}: {reason}", err=True)
    if verbose or len(quiet) <= 10:
        for name, reason in zip(quiet["name"], quiet["reason"], strict=True):
            click.echo(f"skipped {name}: {reason}", err=True)
    else:
        kinds = Counter(quiet["reason"])
        top = "; ".join(f"{r} ({n})" for r, n in kinds.most_common(3))
        click.echo(f"skipped {len(quiet)} files that hold no activity: {top}; "
                   "--verbose lists them", err=True)
    for w in res.warnings:
        click.echo(f"warning: {w}", err=True)
    for note in log.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"imported {res.n_imported}, skipped {len(skipped)}", err=True)
