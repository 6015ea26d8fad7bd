"""Formatting a command's answer: JSON records, CSV or a text table, dates, durations,
display units, and red flags on stderr.
"""

from __future__ import annotations

import json
import math

import click
import pandas as pd

KM_PER_MILE = 1.609344
FT_PER_M = 3.280839895


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


def _echo_red_flags(flags: pd.DataFrame) -> None:
    """Red flags go first, on stderr, in plain words: never hidden behind an analysis."""
    for _, f in flags.iterrows():
        click.echo(f"RED FLAG ({f['urgency']}): {f['message']} {f['advice']}", err=True)
