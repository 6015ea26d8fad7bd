"""The HTML report commands: ``report``, ``team`` and ``cohort``."""

from __future__ import annotations

import json
import os

import click

from runback.cli.group import _load, _report_options, main
from runback.cli.output import _echo_red_flags
from runback.errors import RunbackError


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
        squad = None
        if sum(1 for _, log in athletes if log.has_diary) >= 2:
            from runback.cohort import pooled_for_team

            squad = pooled_for_team(athletes)
        html = render_team(athletes, title=title, show_routes=show_routes,
                           n_permutations=permutations, squad=squad)
    except RunbackError as e:
        raise click.ClickException(str(e)) from e
    _write_report(output, html)


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
