"""The pain diary commands: ``diary add`` and ``diary show``."""

from __future__ import annotations

import csv
import datetime as dt
import io

import click
import pandas as pd

from runback.cli.group import DIARY_FILE_DEFAULT, main
from runback.cli.output import _echo_red_flags, _emit, _iso_date
from runback.errors import RunbackError
from runback.io.diary import INTERVENTIONS, LOCATIONS, PAIN_TYPES, RED_FLAGS, TIMINGS

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
