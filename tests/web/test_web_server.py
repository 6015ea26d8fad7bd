"""runback serve for real: a waitress server on 127.0.0.1, and the command itself."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from runback.cli import main
from runback.io.diary import read_diary
from runback.web import Athlete, ServeConfig, create_app, is_loopback, needs_secret
from tests.web.helpers import HEADER, csrf_of, local_today, running

REPO = Path(__file__).resolve().parents[2]


class Browser:
    """One visitor with its own cookies (its own session and CSRF token)."""

    def __init__(self, base: str):
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                                  _NoRedirect)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def post(self, path: str, fields: dict) -> int:
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def server(tmp_path):
    """The application on a real waitress server, 127.0.0.1, a free port."""
    diary = tmp_path / "pain_diary.csv"
    diary.write_text(HEADER)
    with running(create_app(ServeConfig([Athlete("me", [], diary)]))) as base:
        yield base, diary


def test_twenty_phones_saving_at_once_lose_nothing(server):
    base, diary = server
    today = local_today()
    phones = [Browser(base) for _ in range(20)]
    forms = []
    for i, phone in enumerate(phones):
        status, html = phone.get(f"/?date={today - dt.timedelta(days=i)}")
        assert status == 200
        forms.append({"csrf_token": csrf_of(html), "replaces": "",
                      "date": (today - dt.timedelta(days=i)).isoformat(),
                      "pain": str(i % 11), "notes": f"phone {i}, <b>hi</b>"})
    start = threading.Barrier(20)
    results: list[int] = [0] * 20

    def save(i):
        start.wait()
        results[i] = phones[i].post("/", forms[i])

    threads = [threading.Thread(target=save, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == [303] * 20
    d = read_diary(diary)
    assert d.problems == []
    assert sorted(d.pain["notes"]) == sorted(f"phone {i}, <b>hi</b>" for i in range(20))
    assert sorted(p.name for p in diary.parent.iterdir()) == ["pain_diary.csv",
                                                              "pain_diary.csv.lock"]


def test_the_same_day_from_two_phones_keeps_both(server):
    base, diary = server
    a, b = Browser(base), Browser(base)
    day = local_today().isoformat()
    fa, fb = (csrf_of(p.get("/")[1]) for p in (a, b))
    assert a.post("/", {"csrf_token": fa, "date": day, "pain": "3", "replaces": ""}) == 303
    assert b.post("/", {"csrf_token": fb, "date": day, "pain": "5", "replaces": ""}) == 303
    assert sorted(read_diary(diary).pain["pain"]) == [3, 5]


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
    ("myhost.local", False)])
def test_only_loopback_goes_without_a_secret(host, loopback):
    assert is_loopback(host) is loopback
    assert needs_secret(host) is not loopback


def test_serve_help_has_an_example():
    r = CliRunner().invoke(main, ["serve", "--help"])
    assert r.exit_code == 0
    assert "Example:" in r.output and "runback serve watch_exports/" in r.output
    for option in ("--diary", "--host", "--port", "--token", "--team"):
        assert option in r.output


@pytest.mark.parametrize(("args", "words"), [
    ([], "--diary"),
    (["--team"], "athlete folder"),
    (["--team", "no/such/folder"], "not a folder"),
    (["--diary", "."], "is a directory"),
    (["--diary", "d.csv", "--tz", "Mars/Olympus"], "Mars/Olympus"),
    (["--diary", "d.csv", "--token", " "], "must not be empty"),
])
def test_serve_refuses_bad_options_in_one_line(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["serve", *args])
    assert r.exit_code in (1, 2)
    assert words in r.output
    assert list(tmp_path.iterdir()) == []                       # nothing written


def _start(args, cwd, env=None):
    proc = subprocess.Popen([sys.executable, "-m", "runback", "serve", *args], cwd=cwd,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src"), **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    m = re.search(r"open (http://\S+)", line)
    if not m:
        proc.kill()
        pytest.fail(f"no address printed: {line!r} {proc.stderr.read()}")
    return proc, m.group(1)


@pytest.mark.slow
def test_a_network_bind_prints_a_secret_and_answers_401_without_it(tmp_path):
    diary = tmp_path / "pain_diary.csv"
    proc, url = _start(["--diary", str(diary), "--host", "0.0.0.0", "--port", "0"], tmp_path)
    try:
        parts = urllib.parse.urlsplit(url)
        token = urllib.parse.parse_qs(parts.query)["token"][0]
        assert len(token) >= 20
        base = f"http://127.0.0.1:{parts.port}"
        status, body = Browser(base).get("/")
        assert status == 401 and "<form" not in body
        assert Browser(base).get("/?token=" + token[:-1] + "x")[0] == 401
        phone = Browser(base)
        assert phone.get(f"/?token={token}")[0] == 303           # session opened
        status, html = phone.get("/")
        assert status == 200
        day = local_today().isoformat()
        assert phone.post("/", {"csrf_token": csrf_of(html), "date": day, "pain": "2",
                                "replaces": ""}) == 303
    finally:
        proc.send_signal(signal.SIGINT)                          # Ctrl-C
        proc.communicate(timeout=30)
    assert list(read_diary(diary).pain["pain"]) == [2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pain_diary.csv",
                                                          "pain_diary.csv.lock"]


@pytest.mark.slow
def test_loopback_by_default_and_a_busy_port_is_one_line(tmp_path):
    proc, url = _start(["--diary", "d.csv", "--port", "0"], tmp_path)
    try:
        assert url.startswith("http://127.0.0.1:") and "token" not in url
        port = urllib.parse.urlsplit(url).port
        assert Browser(f"http://127.0.0.1:{port}").get("/")[0] == 200
        busy = subprocess.run([sys.executable, "-m", "runback", "serve", "--diary", "d.csv",
                               "--port", str(port)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(REPO / "src")})
        assert busy.returncode == 1
        assert busy.stderr.strip().count("\n") == 0 and f"127.0.0.1:{port}" in busy.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert list(tmp_path.iterdir()) == []                       # nothing saved, nothing written
