"""Serving the application: loopback by default, a secret for any other address.

The server is waitress, a production-grade pure-Python WSGI server with a pool of threads:
several phones may save at once (the diary writer's lock orders them), and ``Ctrl-C``
stops it after the requests in progress (an interrupted diary write removes its temporary
file).
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["is_loopback", "needs_secret", "new_token", "open_url", "serve_app", "THREADS"]

#: Worker threads answering requests.
THREADS = 8


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this computer."""
    name = host.strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def needs_secret(host: str) -> bool:
    """Whether a bind on ``host`` must require a secret (any address but loopback)."""
    return not is_loopback(host)


def new_token() -> str:
    """A fresh secret: 128 bits, URL-safe."""
    return secrets.token_urlsafe(16)


def open_url(host: str, port: int, token: str | None) -> str:
    """The address to open: this computer's network address for a wildcard bind."""
    shown = host
    if host in ("0.0.0.0", "::", ""):
        shown = _lan_address() or socket.gethostname()
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def _lan_address() -> str | None:
    """The address other machines on the network reach this one at (no packet is sent:
    connecting a UDP socket only picks the route)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            return str(s.getsockname()[0])
    except OSError:
        return None


def serve_app(app: WSGIApplication, host: str, port: int,
              announce: Callable[[int], None] | None = None) -> None:
    """Serve ``app`` until interrupted (``Ctrl-C``).

    Parameters
    ----------
    app : WSGI application
    host : str
    port : int
        0 picks a free port.
    announce : callable, optional
        Called with the port listened on once the socket is bound.

    Raises
    ------
    OSError
        When the address cannot be bound (in use, not this machine's).
    """
    from waitress.server import create_server  # type: ignore[import-untyped]

    server = create_server(app, host=host, port=port, threads=THREADS,
                           ident="runback", clear_untrusted_proxy_headers=True)
    if announce is not None:
        announce(int(server.effective_port))
    server.run()  # returns on Ctrl-C, after the worker threads are told to stop
