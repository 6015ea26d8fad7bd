"""The table commands: ``activities``, ``weekly``, ``flares``, ``wellness``, ``factors``."""

from __future__ import annotations

import json

import click
import pandas as pd

from runback.cli.group import _common, _load, _washout, main
from runback.cli.output import _dist, _echo_red_flags, _elev, _emit, _hms, _iso_date, _iso_utc
from runback.errors import RunbackError


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
    factor's odds ratio is adjusted (for distance, days since the last flare-up and, with
    enough flare-ups, the time trend; acute with chronic load; climb, descent and uneven
    terrain together), with a 95 % profile interval, a p-value and a Benjamini-Hochberg q
    over the pre-specified factor family. Findings are the factors that stand out and that
    the data can size. These are associations in your own data, not causes, and not
    medical advice.

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
