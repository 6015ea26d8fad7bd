"""The Flask application of ``runback serve``: configuration and the guards on every request.

Guards, in the order a request meets them:

1. **Host.** Without a secret (the default loopback bind), a request must name this
   computer (``127.0.0.1``, ``localhost``, ``[::1]``) in its Host header: a web page
   elsewhere cannot reach the diary by pointing its own domain name at 127.0.0.1 (DNS
   rebinding).
2. **Secret.** With a secret (required for a non-loopback bind), every request, the style
   sheet included, answers 401 unless its session was opened with ``?token=SECRET`` (the
   URL ``runback serve`` prints; the token is then dropped from the address bar) or it
   sends ``Authorization: Bearer SECRET``. Tokens are compared in constant time.
3. **Cross-site requests.** Every form carries a token tied to the session (Flask-WTF's
   CSRF protection); a post without it, or with another session's, is refused with 400 and
   nothing is written.
4. **Content-Security-Policy** on every answer. The application's pages allow no script at
   all (every function works without JavaScript), styles only from the application's own
   style sheet, and no framing. The report is the self-contained page ``runback report``
   writes, with its style inline and charts as inline SVG; it is served with a policy that
   allows inline style only, and with ``sandbox``, which runs it in an opaque origin with
   scripts disabled: even if a piece of user text escaped escaping, it could neither run
   nor reach the diary's session or forms. A nonce would only help pages that need script;
   the report needs none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from flask import Flask, Response, redirect, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect  # type: ignore[import-untyped]

from runback import __version__
from runback.web.config import (
    APP_CSP,
    LOOPBACK_NAMES,
    REPORT_CSP,
    SESSION_DAYS,
    ServeConfig,
)

__all__ = ["ServeConfig", "create_app", "APP_CSP", "REPORT_CSP", "LOOPBACK_NAMES"]

def create_app(config: ServeConfig, *, secret_key: bytes | None = None) -> Flask:
    """The application.

    Parameters
    ----------
    config : ServeConfig
    secret_key : bytes, optional
        Signs the session cookie (default: derived from the token, so a phone stays signed
        in across restarts; without a token, random for each run).

    Returns
    -------
    Flask
    """
    app = Flask(__name__, static_folder="static", template_folder="templates")
    if secret_key is None:
        secret_key = (hashlib.blake2b(config.token.encode(), person=b"runback-session").digest()
                      if config.token else secrets.token_bytes(32))
    app.config.update(
        SECRET_KEY=secret_key,
        SESSION_COOKIE_NAME="runback_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=SESSION_DAYS),
        WTF_CSRF_TIME_LIMIT=None,       # valid for the session: a form may stay open all day
        WTF_CSRF_SSL_STRICT=False,      # served over plain HTTP on a home network
        MAX_CONTENT_LENGTH=64 * 1024,   # a diary entry is a few hundred bytes [byte]
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.jinja_env.autoescape = True     # .j2 templates too: every piece of user text escaped
    app.extensions["runback"] = config

    @app.before_request
    def guard() -> ResponseReturnValue | None:
        if config.token is None:
            if _hostname(request.host) not in LOOPBACK_NAMES:
                return _plain(403, "This address is not this computer's; open runback "
                                   "through 127.0.0.1 or localhost.")
            return None
        return _check_secret(config.token)

    CSRFProtect(app)  # after the guards: a visitor without the secret gets 401, not 400

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", APP_CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(e: CSRFError) -> ResponseReturnValue:
        return render_template("error.html.j2", status=400, title="Not saved",
                               message="This form was not sent from runback's own page in "
                                       "this browser (its session token is missing or "
                                       "stale). Nothing was written: reload the page and "
                                       "save again."), 400

    @app.context_processor
    def globals_() -> dict[str, object]:
        return {"version": __version__, "team": config.team}

    from runback.web.routes import bp

    app.register_blueprint(bp)
    return app


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[:host.find("]") + 1]
    return host.rsplit(":", 1)[0].lower()


def _digest(token: str) -> str:
    return hmac.new(token.encode(), b"runback-serve-auth", "sha256").hexdigest()


def _check_secret(token: str) -> ResponseReturnValue | None:
    want = _digest(token)
    if hmac.compare_digest(session.get("auth", ""), want):
        return None
    given = request.args.get("token")
    if given is not None and hmac.compare_digest(_digest(given), want):
        session["auth"] = want
        session.permanent = True
        args = request.args.to_dict(flat=False)
        args.pop("token")
        target = request.path
        if args:
            from urllib.parse import urlencode

            target += "?" + urlencode(args, doseq=True)
        return redirect(target, code=303)
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and hmac.compare_digest(_digest(header[7:].strip()),
                                                             want):
        return None
    response = _plain(401, "runback: this diary needs its secret. Open the address "
                           "runback serve printed (it ends with ?token=...).")
    response.headers["WWW-Authenticate"] = 'Bearer realm="runback"'
    return response


def _plain(status: int, text: str) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")
