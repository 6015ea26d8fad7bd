"""``runback serve``: a local web application for the pain diary and the live report.

::

    from runback.web import Athlete, ServeConfig, create_app
    app = create_app(ServeConfig([Athlete("me", ["watch/"], "pain_diary.csv")]))

Pages: today's entry (``/``), the last weeks of the diary (``/diary``), the report
(``/report``); with several athletes, a coach view at ``/`` and each athlete under
``/a/<name>/``. Diary writes go through :func:`runback.io.diary.save_entry` (locked,
atomic, validated as the CSV reader validates). See :mod:`runback.web.app` for the guards
on every request.
"""

from runback.web.app import create_app
from runback.web.athletes import Athlete
from runback.web.config import APP_CSP, REPORT_CSP, ServeConfig
from runback.web.server import is_loopback, needs_secret, new_token, open_url, serve_app

__all__ = ["APP_CSP", "REPORT_CSP", "Athlete", "ServeConfig", "create_app", "is_loopback",
           "needs_secret", "new_token", "open_url", "serve_app"]
