"""What ``runback serve`` serves and the security policies of its answers.

Shared by the application (:mod:`runback.web.app`) and its pages
(:mod:`runback.web.routes`), so neither imports the other's module to learn them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from runback.web.athletes import Athlete

__all__ = ["ServeConfig", "APP_CSP", "REPORT_CSP", "SESSION_DAYS", "LOOPBACK_NAMES"]

#: Content-Security-Policy of the application's pages.
APP_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; manifest-src 'self'; "
           "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
#: Content-Security-Policy of the served report (see the module docstring).
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "form-action 'none'; base-uri 'none'; frame-ancestors 'none'; sandbox")
#: Days a browser stays signed in after opening the address with the secret. [d]
SESSION_DAYS = 30
#: Host names that mean this computer.
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


@dataclass
class ServeConfig:
    """What ``runback serve`` serves.

    Attributes
    ----------
    athletes : list of Athlete
        One athlete, or several with ``team``.
    team : bool
        Serve the coach view at ``/`` and each athlete under ``/a/<name>/``.
    token : str, optional
        The secret every request must carry; None on a loopback bind without --token.
    prebuild : bool
        Rebuild an athlete's report in the background after each save.
    """

    athletes: list[Athlete]
    team: bool = False
    token: str | None = None
    prebuild: bool = False
    by_name: dict[str, Athlete] = field(init=False)

    def __post_init__(self) -> None:
        if not self.athletes:
            raise ValueError("no athlete to serve")
        if not self.team and len(self.athletes) != 1:
            raise ValueError("several athletes need the team view")
        self.by_name = {a.name: a for a in self.athletes}
        if len(self.by_name) != len(self.athletes):
            raise ValueError("two athletes have the same name")
