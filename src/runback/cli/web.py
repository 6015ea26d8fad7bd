"""The web diary command: ``serve``."""

from __future__ import annotations

import os

import click

from runback.cli.group import DIARY_FILE_DEFAULT, main
from runback.errors import RunbackError
from runback.timezones import parse_zone


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
