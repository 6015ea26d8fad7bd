"""Helpers of the web diary tests: the application, a browser-like form client, a real server."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from runback.web import Athlete, ServeConfig, create_app

HEADER = "date,pain,location,pain_type,timing,sleep_hours,stress,interventions,red_flags,notes\n"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_REPLACES = re.compile(r'name="replaces" value="([^"]*)"')


def local_today() -> dt.date:
    """Today on this computer (the athletes below are served in its zone)."""
    return dt.date.today()


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def replaces_of(html: str) -> str:
    m = _REPLACES.search(html)
    assert m, "no replaces field in the page"
    return m.group(1)


def make_app(diary, paths=(), *, token=None, team=False, athletes=None):
    athletes = athletes or [Athlete("me", list(paths), diary)]
    app = create_app(ServeConfig(athletes, team=team, token=token))
    app.config["TESTING"] = True
    return app


class Page:
    """A GET of a form page and a post of its form, as a browser would send them."""

    def __init__(self, client, url="/"):
        self.client = client
        self.url = url
        self.response = client.get(url)
        assert self.response.status_code == 200, self.response.get_data(as_text=True)
        self.html = self.response.get_data(as_text=True)

    def post(self, action="/", **fields):
        data = {"csrf_token": csrf_of(self.html), "replaces": replaces_of(self.html)}
        data.update({k: v for k, v in fields.items() if v is not None})
        return self.client.post(action, data=data)


@contextmanager
def running(app) -> Iterator[str]:
    """Serve ``app`` with waitress on 127.0.0.1 (a free port) in a thread; yields its URL."""
    from waitress import wasyncore
    from waitress.server import create_server

    srv = create_server(app, host="127.0.0.1", port=0, threads=8)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.effective_port}"
    finally:
        srv.task_dispatcher.shutdown()
        srv.close()
        wasyncore.close_all(srv._map)
        thread.join(timeout=10)
