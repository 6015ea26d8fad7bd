"""The ``runback`` command: parse the options, call the library, format the answer.

Every command is a thin door onto :class:`runback.log.TrainingLog`; the JSON keys are the
ones in the command-line contract and never change. A runback error becomes one line on
stderr and exit status 1; a usage error exits with 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
import pandas as pd

from runback.errors import RunbackError
from runback.io.diary import INTERVENTIONS, LOCATIONS, PAIN_TYPES, RED_FLAGS, TIMINGS
from runback.timezones import parse_zone

KM_PER_MILE = 1.609344
FT_PER_M = 3.280839895

_EPILOG_PATHS = (
    "PATH is any mix of activity files (.fit .gpx .tcx .csv, each optionally .gz), folders "
    "(searched recursively) and export archives (.zip: Strava or Garmin Connect exports)."
)


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


def _json_value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            return None
    return v


def _emit(df: pd.DataFrame, fmt: str, table: pd.DataFrame | None = None) -> None:
    """Print ``df`` as JSON records or CSV, or ``table`` (a display frame) as text."""
    if fmt == "json":
        records = [{k: _json_value(v) for k, v in row.items()}
                   for row in df.to_dict(orient="records")]
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    else:
        shown = df if table is None else table
        if shown.empty:
            click.echo("(nothing to show)")
        else:
            click.echo(shown.to_string(index=False, na_rep="-"))


def _iso_utc(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype(object).where(
        ts.notna(), None)


def _iso_date(d: pd.Series) -> pd.Series:
    return d.dt.strftime("%Y-%m-%d").astype(object).where(d.notna(), None)


def _hms(seconds) -> str:
    if seconds is None or pd.isna(seconds):
        return "-"
    s = int(round(float(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _dist(m, units: str) -> float:
    return round(m / 1000 / (KM_PER_MILE if units == "imperial" else 1), 2)


def _elev(m, units: str) -> float:
    return round(m * (FT_PER_M if units == "imperial" else 1))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_common
def activities(paths, tz, strict, units, fmt, verbose):
    """One row per imported activity, on the runner's local days.

    \b
    Example:
      runback activities watch_exports/ strava_export.zip --format json
      runback activities run.fit --tz America/Denver
    """
    try:
        log = _load(paths, tz=tz, strict=strict, verbose=verbose, units=units)
        acts = log.activities
        units = log.units
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    out = pd.DataFrame({
        "activity_id": acts["activity_id"].astype(object),
        "source": acts["source_path"].astype(object),
        "format": acts["format"].astype(object),
        "sport": acts["sport"].astype(object),
        "sub_sport": acts["sub_sport"].astype(object),
        "surface": acts["surface"].astype(object),
        "start_time_utc": _iso_utc(acts["start_time"]),
        "local_date": _iso_date(acts["local_date"]),
        "timezone": acts["timezone"].astype(object),
        "distance_km": (acts["distance_m"] / 1000).round(3),
        "moving_time_s": acts["moving_time_s"].round(1),
        "elapsed_time_s": acts["elapsed_time_s"].round(1),
        "elevation_gain_m": acts["elevation_gain_m"].round(1),
        "elevation_loss_m": acts["elevation_loss_m"].round(1),
        "avg_hr_bpm": acts["avg_hr_bpm"].round(1),
        "load": acts["load"].round(1),
    })
    dist_label = "mi" if units == "imperial" else "km"
    elev_label = "ft" if units == "imperial" else "m"
    table = pd.DataFrame({
        "date": out["local_date"],
        "start": acts["start_time"].dt.tz_convert("UTC").dt.strftime("%H:%MZ"),
        "sport": out["sport"],
        "surface": out["surface"],
        dist_label: [_dist(m, units) if pd.notna(m) else None for m in acts["distance_m"]],
        "moving": [_hms(s) for s in acts["moving_time_s"]],
        f"gain {elev_label}": [_elev(m, units) if pd.notna(m) else None
                               for m in acts["elevation_gain_m"]],
        "avg HR": acts["avg_hr_bpm"].round(0),
        "load": acts["load"].round(0),
        "source": [str(s).rsplit("/", 1)[-1] for s in out["source"]],
    })
    _emit(out, fmt, table)


WEEKLY_KEYS = ("week_start", "distance_km", "runs", "moving_time_s", "elevation_gain_m",
               "elevation_loss_m", "load", "distance_change", "acute_load", "chronic_load",
               "acwr", "monotony", "strain", "pain_mean", "pain_max", "days_logged",
               "flare_onsets")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diary", type=click.Path(dir_okay=False),
              help="Pain diary CSV (date,pain,...): adds the pain columns.")
@_common
def weekly(paths, diary, tz, strict, units, fmt, verbose):
    """Weekly table: weeks start on the runner's local Monday.

    Distance and time count running only; load counts every session. A Sunday-evening run
    belongs to the week that ends that Sunday.

    \b
    Example:
      runback weekly watch_exports/ --diary pain_diary.csv
      runback weekly strava_export.zip --format csv > weeks.csv
    """
    try:
        log = _load(paths, tz=tz, strict=strict, verbose=verbose, diary=diary, units=units)
        w = log.weekly
        units = log.units
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    out = pd.DataFrame({
        "week_start": _iso_date(w["week_start"]),
        "distance_km": (w["distance_m"] / 1000).round(3),
        "runs": w["runs"],
        "moving_time_s": w["moving_time_s"].round(1),
        "elevation_gain_m": w["elevation_gain_m"].round(1),
        "elevation_loss_m": w["elevation_loss_m"].round(1),
        "load": w["load"].round(1),
        "distance_change": w["distance_change"].round(4),
        "acute_load": w["acute_load"].round(1),
        "chronic_load": w["chronic_load"].round(1),
        "acwr": w["acwr"].round(3),
        "monotony": w["monotony"].round(3),
        "strain": w["strain"].round(1),
        "pain_mean": w["pain_mean"].round(2),
        "pain_max": w["pain_max"],
        "days_logged": w["days_logged"],
        "flare_onsets": w["flare_onsets"],
    })[list(WEEKLY_KEYS)]
    dist_label = "mi" if units == "imperial" else "km"
    elev_label = "ft" if units == "imperial" else "m"
    table = pd.DataFrame({
        "week": out["week_start"],
        dist_label: [_dist(m, units) for m in w["distance_m"]],
        "runs": out["runs"],
        "time": [_hms(s) for s in w["moving_time_s"]],
        f"climb {elev_label}": [_elev(m, units) for m in w["elevation_gain_m"]],
        f"descent {elev_label}": [_elev(m, units) for m in w["elevation_loss_m"]],
        "change": [f"{x:+.0%}" if pd.notna(x) else None for x in w["distance_change"]],
        "load": out["load"].round(0),
        "acute": out["acute_load"].round(0),
        "chronic": out["chronic_load"].round(0),
        "monotony": out["monotony"].round(2),
    })
    if log.has_diary:
        table["pain avg"] = out["pain_mean"].round(1)
        table["pain max"] = out["pain_max"]
        table["flares"] = out["flare_onsets"]
    _emit(out, fmt, table)


def _echo_red_flags(flags: pd.DataFrame) -> None:
    """Red flags go first, on stderr, in plain words: never hidden behind an analysis."""
    for _, f in flags.iterrows():
        click.echo(f"RED FLAG ({f['urgency']}): {f['message']} {f['advice']}", err=True)


@main.command()
@click.option("--diary", type=click.Path(dir_okay=False), required=True,
              help="Pain diary CSV (date,pain,...).")
@click.option("--k", "k", type=float, default=2.0, show_default=True,
              help="Flare threshold: pain at least k points over the 14-day baseline.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True, help="Output format.")
def flares(diary, k, fmt):
    """Flare-up episodes found in the pain diary.

    An onset is a day whose pain is at least k points over the median of the previous 14
    days (needing 7 logged days); a flare ends after 2 days below that level, and a new one
    needs 7 flare-free days. Days you mark with flare=yes count too.

    \b
    Example:
      runback flares --diary pain_diary.csv
      runback flares --diary pain_diary.csv --k 3 --format json
    """
    from runback.io.diary import read_diary
    from runback.pain import daily_pain, find_flares, red_flags

    try:
        d = read_diary(diary)
        for p in d.problems:
            click.echo(f"note: {diary}: {p}", err=True)
        fl = find_flares(daily_pain(d.pain), k=k)
        _echo_red_flags(red_flags(d.pain, fl))
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    out = pd.DataFrame({
        "onset": _iso_date(fl["onset"]),
        "end": _iso_date(fl["end"]),
        "peak": fl["peak"],
        "duration_d": fl["duration_d"],
        "baseline": fl["baseline"],
    })
    _emit(out, fmt)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diary", type=click.Path(dir_okay=False),
              help="Pain diary CSV: its sleep_hours and stress win where both exist.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True, help="Output format.")
def wellness(paths, diary, fmt):
    """Sleep, resting heart rate, HRV and stress per local day.

    Read from a Garmin Connect export (sleep, stress, resting HR, HRV), an Apple Health
    export (sleep analysis, resting HR, HRV SDNN), a Fitbit Takeout (sleep, resting HR), an
    intervals.icu wellness CSV, and the diary. A night's sleep counts on the day it ends
    on; where two sources give the same value, the diary wins, then a watch. HRV is of one
    kind (RMSSD or SDNN, never mixed); implausible values are refused with a warning.

    \b
    Example:
      runback wellness ~/Downloads/garmin_export.zip --diary pain_diary.csv
      runback wellness export.zip wellness.csv --format json
    """
    from runback.io.diary import read_diary
    from runback.wellness import read_wellness

    if not paths and diary is None:
        raise click.UsageError("give at least one PATH (file, folder or .zip) or --diary")
    try:
        pain = None
        if diary is not None:
            d = read_diary(diary)
            pain = d.pain
            for p in d.problems:
                click.echo(f"note: {diary}: {p}", err=True)
        found = read_wellness(paths, pain=pain, exclude=() if diary is None else (diary,))
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    for name, reason in zip(found.skipped["name"], found.skipped["reason"], strict=True):
        click.echo(f"skipped {name}: {reason}", err=True)
    for w in found.warnings:
        click.echo(f"warning: {w}", err=True)
    w = found.table
    out = pd.DataFrame({
        "date": _iso_date(w["date"]),
        "sleep_h": w["sleep_h"].round(2),
        "resting_hr_bpm": w["resting_hr_bpm"].round(1),
        "hrv_ms": w["hrv_ms"].round(1),
        "hrv_kind": w["hrv_kind"],
        "stress": w["stress"].round(1),
        "stress_scale": w["stress_scale"],
        "source": w["source"],
    })
    _emit(out, fmt, out.astype(object).where(out.notna(), "-"))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diary", type=click.Path(dir_okay=False), required=True,
              help="Pain diary CSV (date,pain,...).")
@click.option("--window", "window", type=click.IntRange(1, 28), default=None,
              help="Hazard window: days before each onset whose exposure counts "
                   "[default: 3, or the profile's].")
@click.option("--washout", "washout", default="auto", show_default=True, metavar="DAYS|auto",
              callback=lambda ctx, param, v: _washout(v),
              help="Days after each flare-up left out while you ease back into training; "
                   "auto estimates your own return to normal training (else 21).")
@click.option("--permutations", type=click.IntRange(0), default=None, hidden=True,
              help="Ignored; kept for old scripts (p-values no longer use permutations).")
@_common
def factors(paths, diary, window, washout, permutations, tz, strict, units, fmt, verbose):
    """Which factors come before flare-ups (case-crossover).

    Each flare-up onset is compared with days of the same weekday around it; only days
    outside every flare-up and the weeks after it (while you ease back) take part. Each
    factor's odds ratio is adjusted (for distance and days since the last flare-up; acute
    with chronic load; climb, descent and uneven terrain together), with a 95 % profile
    interval, a p-value and a Benjamini-Hochberg q over the pre-specified factor family.
    Findings are the factors that stand out and that the data can size. These are
    associations in your own data, not causes, and not medical advice.

    \b
    Example:
      runback factors watch_exports/ --diary pain_diary.csv
      runback factors export.zip --diary pain_diary.csv --window 7 --format json
    """
    try:
        log = _load(paths, tz=tz, strict=strict, verbose=verbose, diary=diary, units=units)
        _echo_red_flags(log.red_flags)
        result = log.factors(window_days=window, washout_days=washout)
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(units=log.units), indent=2, ensure_ascii=False))
        return
    f = result.factors
    out = f[["factor", "odds_ratio", "ci_low", "ci_high", "p_value", "q_value", "n_onsets",
             "description"]]
    if fmt == "csv":
        _emit(out, "csv")
        return
    from runback import display
    from runback.report.summary import finding_sentences

    click.echo(f"{result.n_onsets} flare-up onsets ({result.power}); "
               f"window: {result.window_days} days before each onset; "
               f"washout: {result.washout_days} days after each flare-up")
    for sentence in finding_sentences(result, units=log.units):
        click.echo(sentence)
    click.echo("")
    table = pd.DataFrame({
        "factor": f["factor"],
        "odds ratio/SD": [display.ratio_text(v) for v in f["odds_ratio"]],
        "95% CI": [f"{display.ratio_text(lo)} to {display.ratio_text(hi)}"
                   if pd.notna(lo) and pd.notna(hi) else "-"
                   for lo, hi in zip(f["ci_low"], f["ci_high"], strict=True)],
        "p": f["p_value"].round(3),
        "q": f["q_value"].round(3),
        "finding": ["yes" if v else "" for v in f["finding"].fillna(False)],
    })
    _emit(out, "table", table)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo("\nAssociations in your own data, not causes; not medical advice.")


# --- HTML reports ----------------------------------------------------------------------

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


def _write_report(output: str, html: str) -> None:
    from runback.report import write_atomic

    try:
        write_atomic(output, html)
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from e
    click.echo(f"report written to {output}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diary", type=click.Path(dir_okay=False),
              help="Pain diary CSV (date,pain,...): adds flare-ups and factors.")
@_report_options
def report(paths, diary, output, show_routes, title, permutations, tz, strict, units,
           verbose):
    """One self-contained HTML report: red flags, summary, charts, factors, data quality.

    The file loads nothing from the internet and holds no GPS coordinates unless you ask
    for route drawings with --show-routes. Not medical advice.

    \b
    Example:
      runback report watch_exports/ --diary pain_diary.csv -o report.html
      runback report export.zip --diary pain_diary.csv --units imperial -o report.html
    """
    try:
        log = _load(paths, tz=tz, strict=strict, verbose=verbose, diary=diary, units=units)
        _echo_red_flags(log.red_flags)
        html = log.report(show_routes=show_routes, title=title,
                          n_permutations=permutations, roots=paths)
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    _write_report(output, html)


@main.command()
@click.argument("dirs", nargs=-1, type=click.Path(exists=True, file_okay=False))
@click.option("--diary-name", default="pain_diary.csv", show_default=True,
              help="Name of the pain diary inside each athlete's folder.")
@_report_options
def team(dirs, diary_name, output, show_routes, title, permutations, tz, strict, units,
         verbose):
    """Coach view: a row per athlete, each athlete's full report below, in one HTML file.

    Each DIR is one athlete's folder (named by the folder): activity files, the pain diary
    (DIR/pain_diary.csv, optional) and runback.toml (optional). "This week" is each
    athlete's latest week of data.

    \b
    Example:
      runback team athletes/ana athletes/ben -o team.html
      runback team athletes/*/ --units imperial -o team.html
    """
    from runback.report import render_team

    if not dirs:
        raise click.UsageError("give at least one athlete folder (DIR)")
    athletes = []
    try:
        for d in dirs:
            name = os.path.basename(os.path.normpath(os.path.abspath(d)))
            diary = os.path.join(d, diary_name)
            click.echo(f"athlete {name}:", err=True)
            log = _load([d], tz=tz, strict=strict, verbose=verbose, units=units,
                        diary=diary if os.path.isfile(diary) else None)
            _echo_red_flags(log.red_flags)
            athletes.append((name, log))
        html = render_team(athletes, title=title, show_routes=show_routes,
                           n_permutations=permutations)
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    _write_report(output, html)


# --- the cohort ------------------------------------------------------------------------

@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diary-table", type=click.Path(dir_okay=False),
              help="Long pain diary (CSV or Parquet) with an athlete column: the diary of "
                   "every athlete whose folder has no pain_diary.csv.")
@click.option("--diary-name", default="pain_diary.csv", show_default=True,
              help="Name of the pain diary inside each athlete's folder.")
@click.option("--scheduler", metavar="ADDR", envvar="RUNBACK_SCHEDULER",
              help="A running Dask scheduler (tcp://HOST:PORT; $RUNBACK_SCHEDULER). Default: "
                   "this machine's cores. The workers read the files: paths must be visible "
                   "to them.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes on this machine (default: one per core).")
@click.option("--tables", "tables", type=click.Path(file_okay=False), metavar="DIR",
              help="Write activities, daily and weekly as Parquet datasets partitioned by "
                   "athlete (DIR/weekly/athlete=NAME/...).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the cohort page (self-contained HTML) here.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--window", "window", type=click.IntRange(min=1), default=3, show_default=True,
              help="Hazard window before each flare-up [days].")
@click.option("--title", help="Page title of the HTML.")
def cohort(paths, diary_table, diary_name, scheduler, workers, tables, output, fmt, window,
           title):
    """Pooled analysis over many athletes: which factors come before their flare-ups.

    Each PATH is an athlete's folder (activities, pain_diary.csv, optional runback.toml;
    named by the folder) or a long activity table (CSV or Parquet, one row per session,
    with athlete, start_time and distance_m columns). Strata are athlete x flare-up, with
    each athlete's own comparison days and exposures per their own SD; one
    Benjamini-Hochberg family for the whole cohort; heterogeneity between athletes
    (tau2, I2) and each athlete's estimate shrunk toward the pooled one.

    \b
    Example:
      runback cohort squad/ana squad/ben squad/chris -o cohort.html
      runback cohort club_runs.parquet --diary-table club_diary.csv --format json
      runback cohort squad/*/ --tables tables/ --scheduler tcp://10.0.0.5:8786
    """
    from runback.cohort import Cohort

    if not paths:
        raise click.UsageError("give at least one athlete folder or long activity table")
    try:
        group = Cohort.from_paths(paths, diary_table=diary_table, diary_name=diary_name)
        if not group.sources:
            raise RunbackError("no athlete found in " + ", ".join(paths))
        result = group.run(scheduler=scheduler, workers=workers, tables=tables,
                           window_days=window)
        if all(o.error is not None for o in group.outcomes):
            raise RunbackError("no athlete could be read: " + "; ".join(
                f"{o.name}: {o.error}" for o in group.outcomes))
        html = group.report(title=title) if output else None
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(f"{result.n_athletes} athletes, {result.n_onsets} flare-ups "
                   f"({result.power})")
        for f in result.findings:
            click.echo(f["sentence"])
        if not result.findings:
            click.echo("No factor stands out across the athletes.")
        shown = result.factors[["factor", "odds_ratio", "ci_low", "ci_high", "q_value",
                                "n_athletes", "tau2", "i2"]].round(3)
        click.echo(shown.to_string(index=False, na_rep="-"))
    if tables:
        click.echo(f"tables written to {tables}", err=True)
    if html is not None:
        from runback.report import write_atomic

        try:
            write_atomic(output, html)
        except OSError as e:
            raise click.ClickException(f"cannot write {output}: {e.strerror or e}") from e
        click.echo(f"cohort page written to {output}", err=True)


# --- the pain diary --------------------------------------------------------------------

DIARY_FILE_DEFAULT = "pain_diary.csv"
#: Columns ``runback diary show`` prints, in order (empty ones are left out).
SHOW_COLUMNS = ("date", "pain", "location", "pain_type", "timing", "sleep_hours", "stress",
                "interventions", "red_flags", "flare", "notes")


def _diary_file_option(f):
    return click.option(
        "--file", "file", type=click.Path(), envvar="RUNBACK_DIARY",
        default=DIARY_FILE_DEFAULT, show_default=True,
        help="The diary CSV file; $RUNBACK_DIARY when set, else pain_diary.csv in the "
             "current folder.")(f)


@main.group()
def diary():
    """Keep the pain diary: add today's entry, look at the last ones.

    The diary is a CSV file (date,pain,location,...) that you may also edit by hand or in
    a spreadsheet; runback keeps its delimiter, line ends and extra columns.

    \b
    Example:
      runback diary add --pain 3 --location lower --timing morning
      runback diary show --last 7
    """


def _diary_date(text: str) -> str:
    """``today``, ``yesterday`` (local days) or the text itself (checked by the diary)."""
    word = text.strip().lower()
    if word == "today":
        return dt.date.today().isoformat()
    if word == "yesterday":
        return (dt.date.today() - dt.timedelta(days=1)).isoformat()
    return text.strip()


def _vocab(words) -> str:
    return ", ".join(words)


def _entry_red_flags(red_flags: str, day: str, file: str) -> pd.DataFrame:
    """The red-flag advice for one entry's ``red_flags`` text, read as the diary reads it
    (so aliases such as ``incontinence`` count)."""
    from runback.io.diary import read_diary
    from runback.pain import red_flags as find_red_flags

    buf = io.StringIO()
    csv.writer(buf).writerows([("date", "pain", "red_flags"), (day, "0", red_flags)])
    return find_red_flags(read_diary(buf.getvalue().encode(), name=file).pain)


@diary.command("add")
@click.option("--pain", required=True, metavar="N",
              help="Pain now or today on the 0-10 scale (0 none, 10 worst imaginable); "
                   "decimals such as 3.5 are allowed.")
@click.option("--date", "date", metavar="D", default="today", show_default=True,
              help="The day: YYYY-MM-DD, today or yesterday (local); never a future day.")
@click.option("--location", metavar="WHERE", help=f"Where: {_vocab(LOCATIONS)}.")
@click.option("--pain-type", metavar="TYPE", help=f"What kind: {_vocab(PAIN_TYPES)}.")
@click.option("--timing", metavar="WHEN", help=f"When: {_vocab(TIMINGS)}.")
@click.option("--sleep-hours", metavar="H", help="Hours slept last night (0-24).")
@click.option("--stress", metavar="S", help="Stress on a 0-10 scale.")
@click.option("--interventions", metavar="A;B",
              help=f"What you did for it, separated by ';': {_vocab(INTERVENTIONS)}.")
@click.option("--red-flags", metavar="A;B",
              help=f"Warning signs, separated by ';': {_vocab(RED_FLAGS)}. runback then "
                   "tells you how urgently to see a doctor.")
@click.option("--flare/--no-flare", default=None,
              help="Mark the day as a flare-up (or as not one) in the diary's flare column.")
@click.option("--notes", metavar="TEXT", help="Free text.")
@_diary_file_option
def diary_add(pain, date, location, pain_type, timing, sleep_hours, stress, interventions,
              red_flags, flare, notes, file):
    """Append one entry to the pain diary, safely.

    The entry is checked before anything is written; the file is created with the standard
    header when missing. Several entries a day are fine. Concurrent writers never lose an
    entry and an interrupted write never damages the file (a lock file <diary>.lock stays
    beside it).

    \b
    Example:
      runback diary add --pain 6 --location lower --pain-type spasm --timing during_run \\
          --notes "locked up at km 8"
      runback diary add --pain 2 --date yesterday --interventions "stretching;core"
      RUNBACK_DIARY=~/back/pain_diary.csv runback diary add --pain 0
    """
    from runback.io.diary import append_entry, read_diary

    day = _diary_date(date)
    given = {"location": location, "pain_type": pain_type, "timing": timing,
             "sleep_hours": sleep_hours, "stress": stress, "interventions": interventions,
             "red_flags": red_flags, "flare": flare, "notes": notes}
    entry = {"date": day, "pain": pain.strip(),
             **{k: v for k, v in given.items() if v is not None}}
    try:
        append_entry(file, entry)
        n = len(read_diary(file).pain)
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"added {day} pain {float(pain):g} to {file} "
               f"({n} {'entry' if n == 1 else 'entries'})")
    if red_flags:
        _echo_red_flags(_entry_red_flags(red_flags, day, file))


@diary.command("show")
@click.option("--last", "last", type=click.IntRange(1), default=14, show_default=True,
              help="How many of the latest entries to show.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True, help="Output format.")
@_diary_file_option
def diary_show(last, fmt, file):
    """The latest entries of the pain diary, oldest first; problems are listed on stderr.

    \b
    Example:
      runback diary show
      runback diary show --last 30 --file ~/back/pain_diary.csv
    """
    from runback.io.diary import read_diary

    try:
        d = read_diary(file)
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    for p in d.problems:
        click.echo(f"note: {file}: {p}", err=True)
    pain = d.pain.tail(last)
    out = pd.DataFrame({c: pain[c].astype(object).where(pain[c].notna(), None)
                        for c in SHOW_COLUMNS})
    out["date"] = _iso_date(pain["date"])
    out["flare"] = ["yes" if f else None for f in pain["flare"]]
    shown = out[[c for c in SHOW_COLUMNS if c in ("date", "pain") or out[c].notna().any()]]
    _emit(out, fmt, shown.map(lambda v: "-" if v is None else v))


# --- the web diary ---------------------------------------------------------------------

@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--diary", "diary_file", type=click.Path(dir_okay=False), default=None,
              help="The diary CSV (created at the first save). With --team: its name "
                   "inside each athlete's folder [default: pain_diary.csv].")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback (e.g. 0.0.0.0, to log "
                   "from a phone on the same network) requires a secret.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on.")
@click.option("--token", metavar="T", envvar="RUNBACK_TOKEN",
              help="The secret every visitor must bring ($RUNBACK_TOKEN); generated and "
                   "printed with the address when the host is not loopback.")
@click.option("--team", is_flag=True,
              help="Coach view: each PATH is one athlete's folder with its own diary.")
@click.option("--tz", "tz", metavar="ZONE",
              help="The runner's time zone for 'today' (default: the profile's, else this "
                   "computer's).")
def serve(paths, diary_file, host, port, token, team, tz):
    """A local web page for the pain diary: today's entry, the diary, the live report.

    Log a day in ten seconds from a phone or a laptop; correct it later; see the report of
    PATH... and the diary, rebuilt when they change. Saves go to the diary file through the
    same locked, atomic writer as 'runback diary add'. It listens on 127.0.0.1 unless told
    otherwise; any other address needs a secret, and every page answers 401 without it.
    Ctrl-C stops it.

    \b
    Example:
      runback serve watch_exports/ --diary pain_diary.csv
      runback serve watch_exports/ --diary pain_diary.csv --host 0.0.0.0
      runback serve squad/ana squad/ben --team
    """
    from runback.web import Athlete, ServeConfig, create_app, open_url, serve_app
    from runback.web.athletes import slug
    from runback.web.server import needs_secret, new_token

    if tz is not None:
        try:
            parse_zone(tz)
        except RunbackError as e:
            raise click.ClickException(str(e)) from e
    try:
        if team:
            if not paths:
                raise click.UsageError("--team needs at least one athlete folder (PATH)")
            missing = [p for p in paths if not os.path.isdir(p)]
            if missing:
                raise click.UsageError(f"--team: not a folder: {missing[0]}")
            name = diary_file or DIARY_FILE_DEFAULT
            athletes = [Athlete(slug(p), [p], os.path.join(p, name), tz=tz) for p in paths]
            names = [a.name for a in athletes]
            if len(set(names)) != len(names):
                raise click.UsageError("two athlete folders have the same name")
        else:
            if diary_file is None:
                raise click.UsageError("give the diary file with --diary F (created at "
                                       "the first save)")
            athletes = [Athlete("me", list(paths), diary_file, tz=tz)]
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    if token is not None and not token.strip():
        raise click.UsageError("--token must not be empty")
    if token is None and needs_secret(host):
        token = new_token()
    app = create_app(ServeConfig(athletes, team=team, token=token, prebuild=True))

    def announce(bound: int) -> None:
        click.echo(f"runback serve: open {open_url(host, bound, token)}  (Ctrl-C stops)",
                   err=True)

    try:
        serve_app(app, host, port, announce)
    except OSError as e:
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from e
