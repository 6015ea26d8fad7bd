"""HTML reports: the runner's report and the coach's team view.

::

    from runback.report import render_report, render_team, write_atomic
    html = render_report(log)                      # one athlete, self-contained HTML
    html = render_team([("ana", log_a), ("ben", log_b)])

Everything the pages show is escaped by the templates (jinja2, autoescape on); the pages
fetch nothing and carry no GPS coordinates unless routes are asked for.
"""

from runback.report.render import SECTIONS, athlete_context, render_report, write_atomic
from runback.report.team import render_team, team_row

__all__ = ["SECTIONS", "athlete_context", "render_report", "render_team", "team_row",
           "write_atomic"]
