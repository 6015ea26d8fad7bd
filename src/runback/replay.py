"""The ``runback`` command's front door: an unchanged command prints its stored answer.

``runback activities``, ``weekly``, ``factors`` and ``flares`` only read: files, options,
the environment. Run again when nothing they read has changed, they print the same bytes.
This module checks that first, before the analysis code is loaded (loading pandas alone
takes longer than the whole replay), and prints the stored output and exits when it can.
Otherwise it runs the command (:func:`runback.cli.main`) and keeps what it printed for the
next time. A re-run of ``runback weekly`` on an unchanged history then takes a few
hundredths of a second instead of the half second the cache of parsed files needs.

What "unchanged" means: the run's fingerprint, a BLAKE2b hash of

- the command line (every argument) and the working folder;
- the whole environment, today's local date and the machine's UTC offset and time zone
  (``/etc/localtime``), whether each standard stream is a terminal;
- every file and folder the arguments name (an option's value included), walked
  recursively: each entry's relative path, type, size, modification time and inode;
  and the ``runback.toml`` in and beside each (the profile the commands look for);
- runback's own code (size and modification time of each file of the package, compiled
  ``__pycache__`` files aside) and the Python installation: the interpreter, its version,
  and the modification time of every folder on the import path, which changes when a
  package is installed, upgraded or removed.

Anything else means no replay: a folder holding a link to another folder, a path that
cannot be read. Only a run that exits with status 0 is kept, and only when its output
redraws no line (a progress bar on a terminal is not kept). Stored answers live in
``<cache>/results/`` (files 0600, folder 0700, written atomically); the newest
:data:`KEEP` are kept. ``RUNBACK_REPLAY=0`` turns replay off.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import hashlib
import io
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

from runback.cache_folder import default_cache_dir

__all__ = ["run", "main", "fingerprint", "REPLAYED_COMMANDS", "KEEP"]

#: Commands whose output depends only on what :func:`fingerprint` covers.
REPLAYED_COMMANDS = frozenset({"activities", "weekly", "factors", "flares"})
#: Stored answers kept (the least recently written go first).
KEEP = 64
#: Arguments after which nothing is replayed (they print help or the version: fast anyway).
_NEVER = frozenset({"-h", "--help", "--version"})
_MAGIC = b"runback-replay-1\n"
_PROFILE = "runback.toml"


#: Set when the command run may end without the interpreter's teardown (see :func:`run`).
_QUICK_EXIT = False


def run() -> None:
    """The ``runback`` command: :func:`main`, then the exit.

    After a read-only command, the process ends as soon as the exit handlers have run and
    the output is flushed: freeing every object of an import one by one, as the
    interpreter's teardown does, takes a tenth of a second and changes nothing.
    """
    try:
        main()
    except SystemExit as e:
        if not _QUICK_EXIT:
            raise
        code = e.code
    else:
        if not _QUICK_EXIT:
            return
        code = 0
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code or 0)


def main(argv: list[str] | None = None) -> None:
    """Run ``runback`` with ``argv`` (default: the process's arguments)."""
    args = list(sys.argv[1:] if argv is None else argv)
    key = fingerprint(args) if os.environ.get("RUNBACK_REPLAY", "1") != "0" else None
    results = _results_dir() if key is not None else None
    if key is not None and results is not None:
        stored = _read(results / f"{key}.out")
        if stored is not None:
            _write_through(sys.stdout, stored[0])
            _write_through(sys.stderr, stored[1])
            raise SystemExit(0)
    from runback.cli import main as cli_main

    if key is None or results is None:
        cli_main(args, prog_name="runback")
        return
    global _QUICK_EXIT
    _QUICK_EXIT = True  # only stdout, stderr and the cache (closed as written) are written
    gc.freeze()  # what the imports built: collections skip it, forked workers share it
    out, err = _Tee(sys.stdout), _Tee(sys.stderr)
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli_main(args, prog_name="runback")
    except SystemExit as e:
        code = e.code
    if code in (0, None) and out.keep and err.keep:
        _store(results, key, out.getvalue(), err.getvalue())
    raise SystemExit(code)


def fingerprint(args: list[str]) -> str | None:
    """The fingerprint of a run of ``runback *args`` (see the module docstring), or None
    when the command is not replayed or what it reads cannot be fingerprinted."""
    if not args or args[0] not in REPLAYED_COMMANDS or _NEVER.intersection(args):
        return None
    h = hashlib.blake2b(digest_size=20)
    now = time.localtime()
    head = [_MAGIC.decode(), repr(args), os.getcwd(), sys.executable, sys.version,
            time.strftime("%Y-%m-%d", now), str(now.tm_gmtoff), str(now.tm_zone),
            repr(sorted(os.environ.items())),
            repr([_isatty(s) for s in (sys.stdin, sys.stdout, sys.stderr)])]
    h.update("\0".join(head).encode("utf-8", "surrogateescape"))
    try:
        for place in ("/etc/localtime", "/etc/timezone"):
            _stat_into(h, place)
        for entry in sys.path:
            if entry and os.path.isdir(entry):
                _stat_into(h, entry)
        _walk_into(h, os.path.dirname(os.path.abspath(__file__)))
        for value in _path_values(args[1:]):
            if os.path.isdir(value):
                _walk_into(h, value)
                folder = value
            else:
                _stat_into(h, value)
                folder = os.path.dirname(os.path.abspath(value))
            for where in (folder, os.path.dirname(os.path.abspath(folder))):
                _stat_into(h, os.path.join(where, _PROFILE))
    except _NotReplayable:
        return None
    return h.hexdigest()


class _NotReplayable(Exception):
    pass


def _path_values(args: list[str]):
    """Every argument, and the value of each ``--option=value``, that names an existing
    file or folder."""
    for a in args:
        for value in (a, a.partition("=")[2] if a.startswith("--") else ""):
            if value and os.path.lexists(value):
                yield value


def _stat_into(h, path: str) -> None:
    """Add what ``path`` is (or that it is absent) to the hash ``h``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        h.update(f"\0absent {path}".encode("utf-8", "surrogateescape"))
        return
    except OSError as e:
        raise _NotReplayable(path) from e
    h.update(f"\0{os.path.abspath(path)} {st.st_mode} {st.st_size} {st.st_mtime_ns} "
             f"{st.st_ino} {st.st_dev}".encode("utf-8", "surrogateescape"))


def _walk_into(h, folder: str) -> None:
    """Add every entry under ``folder`` (recursively, in name order) to the hash ``h``."""
    _stat_into(h, folder)
    stack = [os.path.abspath(folder)]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            raise _NotReplayable(here) from e
        for e in entries:
            if e.name == "__pycache__":
                continue  # written by Python itself as it runs
            if e.is_dir(follow_symlinks=False):
                stack.append(e.path)
            elif e.is_symlink() and os.path.isdir(e.path):
                raise _NotReplayable(e.path)  # a linked folder: not followed here
            _stat_into(h, e.path)


def _isatty(stream) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _results_dir() -> Path | None:
    """``<cache>/results``, made private when it is new; None when it cannot be made."""
    root = default_cache_dir()
    results = root / "results"
    try:
        if not results.is_dir():
            root.mkdir(parents=True, mode=0o700, exist_ok=True)
            results.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return results


def _read(path: Path) -> tuple[bytes, bytes] | None:
    """The stored ``(stdout, stderr)`` in ``path``, or None when absent or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 16
    if len(data) < head or not data.startswith(_MAGIC):
        return None
    n_out, n_err = struct.unpack("<QQ", data[len(_MAGIC):head])
    if head + n_out + n_err != len(data):
        return None
    return data[head:head + n_out], data[head + n_out:]


def _store(results: Path, key: str, out: bytes, err: bytes) -> None:
    """Write the answer atomically (a reader never sees half of it), then prune."""
    blob = _MAGIC + struct.pack("<QQ", len(out), len(err)) + out + err
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=results, prefix=".result-")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, results / f"{key}.out")
        tmp = None
        stored = sorted(results.glob("*.out"), key=lambda p: p.stat().st_mtime_ns)
        for old in stored[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written costs the next run its replay, nothing else
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _write_through(stream, data: bytes) -> None:
    """Write the stored bytes to ``stream`` as they were written the first time."""
    if not data:
        return
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode("utf-8", "surrogateescape"))
        stream.flush()


class _Tee(io.TextIOBase):
    """A text stream writing through to ``stream`` and keeping what was written as the
    stream encodes it. ``keep`` turns False when a line is redrawn (a progress bar)."""

    def __init__(self, stream):
        self._stream = stream
        self._parts: list[str] = []
        self.keep = True

    @property
    def encoding(self):
        return getattr(self._stream, "encoding", None) or "utf-8"

    @property
    def errors(self):
        return getattr(self._stream, "errors", None) or "strict"

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        if "\r" in s or "\x1b" in s:
            self.keep = False
        self._parts.append(s)
        return self._stream.write(s)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return _isatty(self._stream)

    def fileno(self) -> int:
        return self._stream.fileno()

    def writable(self) -> bool:
        return True

    def getvalue(self) -> bytes:
        return "".join(self._parts).encode(self.encoding, self.errors)
