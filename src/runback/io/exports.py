"""Find activity files in what a user hands over: files, folders, ``.gz`` and ``.zip`` archives.

Every activity file becomes an :class:`Entry` whose bytes are read lazily, already
decompressed. Archives are read in memory: nothing is ever extracted next to the user's
files or anywhere else, so a hostile member name (``../../x``, ``/etc/passwd``) is only a
name. Strava bulk exports (``activities.csv`` + ``activities/...``) and Garmin Connect
exports (FIT files inside zips inside the zip) are walked like any other archive; the join of
``activities.csv`` rows to their files happens in :mod:`runback.importer` through
:attr:`Entry.root` and :attr:`Entry.rel`.

Limits (a "zip bomb" or "gzip bomb" is refused with the reason):

=====================  =========================================================
``MAX_FILE_BYTES``     largest decompressed activity file (512 MiB)
``MAX_RATIO``          largest compression ratio for a member over 1 MiB (200)
``MAX_ARCHIVE_BYTES``  largest total decompressed size of one archive (8 GiB)
``MAX_DEPTH``          archives inside archives, at most this deep (3)
=====================  =========================================================
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import posixpath
import re
import tempfile
import typing
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from runback.errors import NotAnActivityError, ReadError, UnsupportedFormatError
from runback.io.base import read_regular_file

__all__ = ["Entry", "Skip", "iter_entries", "FORMATS", "format_of", "wellness_format_of",
           "STREAMED", "STREAM_MAX_BYTES"]

#: File extensions runback reads, by format.
FORMATS = {".fit": "fit", ".gpx": "gpx", ".tcx": "tcx", ".csv": "csv"}
#: Formats read as a stream while the folder or archive is walked (Apple Health's
#: ``export.xml``, often over 1 GB): the entry then holds the small extract, not the file.
STREAMED = frozenset({"apple_health"})
#: Why a named streamed file of another kind gives nothing.
_NOT_STREAMED = {"apple_health": "not an Apple Health export (no <HealthData> root element)"}
#: Largest streamed file (decompressed).
STREAM_MAX_BYTES = 64 * 2**30
#: Files known by their name whatever folder holds them (lower-cased name -> format).
_NAMED = (
    (re.compile(r"^export\.xml$"), "apple_health"),
    (re.compile(r"^exercise(-[\d-]+)?\.json$"), "fitbit"),  # exercise-100, exercise-2024-01-01
)
#: Daily wellness files (:mod:`runback.wellness`), by lower-cased name.
_WELLNESS = (
    (re.compile(r"^export\.xml$"), "apple_health"),
    (re.compile(r"sleepdata.*\.json$|^udsfile.*\.json$|healthstatusdata.*\.json$"),
     "garmin_wellness"),
    (re.compile(r"^(sleep|resting_heart_rate)-.*\.json$"), "fitbit_wellness"),
    (re.compile(r"\.csv$"), "wellness_csv"),
)
MAX_FILE_BYTES = 512 * 2**20
MAX_RATIO = 200
MAX_ARCHIVE_BYTES = 8 * 2**30
MAX_DEPTH = 3
_RATIO_FLOOR = 2**20
#: What :mod:`zipfile` raises on a damaged or unsupported archive (NotImplementedError for
#: an unknown compression method or zip version).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError,
               EOFError, OSError)
#: Names inside folders and archives that are never activities (ignored silently).
_IGNORED_PREFIXES = ("__MACOSX/", "._")
#: File names of a pain diary's write machinery (:func:`runback.io.diary.append_entry`): the
#: lock sidecar ``<diary>.lock`` and the temporary ``.<diary>.<random>.tmp`` of a write in
#: progress. Never activities, and never worth a "skipped" line, wherever they are.
_DIARY_SIDECAR = re.compile(r"\.lock$|^\..+\.tmp$", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One activity file, wherever it lives.

    Attributes
    ----------
    name : str
        What messages call it: a path, or ``archive.zip:member`` inside an archive.
    format : str
        ``fit``, ``gpx``, ``tcx`` or ``csv``.
    root : str
        The folder or archive it was found in (the file itself when named directly).
    rel : str
        Its path relative to ``root`` with ``/`` separators (as ``activities.csv`` names it).
    chain : tuple of str
        The file on disk, then the member names of each archive level down to the entry.
    gz : bool
        The entry itself is gzip-compressed.
    """

    name: str
    format: str
    root: str
    rel: str
    chain: tuple[str, ...]
    gz: bool = False
    data: bytes | None = field(default=None, repr=False, compare=False)

    def load(self) -> bytes:
        """The decompressed bytes of the entry (a streamed format's extract, already
        made); raises :class:`ReadError`."""
        if self.data is not None:
            return self.data
        if len(self.chain) == 1:
            data = _read_file(self.chain[0])
        else:
            with _open_zip(self.chain[0]) as zf:
                data = _read_member(zf, zf.getinfo(self.chain[1]),
                                    f"{self.chain[0]}:{self.chain[1]}")
            for i, member in enumerate(self.chain[2:], start=2):
                label = ":".join(self.chain[: i + 1])
                try:
                    zf = zipfile.ZipFile(io.BytesIO(data))
                    data = _read_member(zf, zf.getinfo(member), label)
                except (*_ZIP_ERRORS, KeyError) as e:
                    raise ReadError(label, f"cannot read archive member ({e})") from e
        return _gunzip(data, self.name) if self.gz else data


@dataclass(frozen=True)
class Skip:
    """A file that was found but cannot be offered to a reader, with the reason."""

    name: str
    reason: str


def format_of(name: str) -> tuple[str | None, bool, bool]:
    """``(format, gzipped, is_zip)`` from a file name; format None when unknown."""
    low = name.lower()
    if low.endswith(".zip"):
        return None, False, True
    base = posixpath.basename(low.replace("\\", "/"))
    for pattern, fmt in _NAMED:
        if pattern.search(base):
            return fmt, False, False
    gz = low.endswith(".gz")
    if gz:
        low = low[:-3]
    return FORMATS.get(os.path.splitext(low)[1]), gz, False


def wellness_format_of(name: str) -> tuple[str | None, bool, bool]:
    """:func:`format_of` for the daily wellness files :mod:`runback.wellness` reads:
    ``apple_health``, ``garmin_wellness``, ``fitbit_wellness`` or ``wellness_csv``."""
    low = name.lower()
    if low.endswith(".zip"):
        return None, False, True
    base = posixpath.basename(low.replace("\\", "/"))
    for pattern, fmt in _WELLNESS:
        if pattern.search(base):
            return fmt, False, False
    return None, False, False


@dataclass(frozen=True)
class _Options:
    """How a walk classifies names and where it keeps the extracts of streamed files."""

    classify: Callable[[str], tuple[str | None, bool, bool]] = format_of
    extract_dir: str | None = None


_DEFAULT = _Options()


def iter_entries(paths: Iterable[str | os.PathLike[str]], *,
                 exclude: Iterable[str | os.PathLike[str]] = (),
                 classify: Callable[[str], tuple[str | None, bool, bool]] = format_of,
                 extract_dir: str | os.PathLike[str] | None = None
                 ) -> Iterator[Entry | Skip]:
    """Yield an :class:`Entry` per activity file under ``paths``, or a :class:`Skip`.

    Named files with an unknown extension are skipped with the reason; inside folders and
    archives, files of other kinds (JSON, images, ...) are passed over silently, and so are
    a diary's lock and temporary files wherever they are named. Order is deterministic
    (sorted names).

    Parameters
    ----------
    paths : iterable of path
        Files, folders and archives.
    exclude : iterable of path
        Files left out silently, named or met in a folder walk (the pain diary given
        beside the activities); compared by resolved path, so ``./d.csv`` and a symbolic
        link to it are the same file.
    classify : callable
        ``name -> (format, gzipped, is_zip)``: :func:`format_of` (activity files, the
        default) or :func:`wellness_format_of`.
    extract_dir : path, optional
        Where the extracts of :data:`STREAMED` files are kept between runs (in the cache
        folder), keyed by the file's path, size and modification time: an unchanged Apple
        Health export is not read again.
    """
    opts = _Options(classify, None if extract_dir is None else os.fspath(extract_dir))
    excluded = frozenset(os.path.realpath(os.fspath(p)) for p in exclude)
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            yield from _walk_folder(p, excluded, opts)
        elif os.path.exists(p):
            if os.path.realpath(p) not in excluded:
                yield from _named_file(p, opts)
        else:
            yield Skip(p, "no such file or folder")


def _named_file(path: str, opts: _Options = _DEFAULT) -> Iterator[Entry | Skip]:
    fmt, gz, is_zip = opts.classify(path)
    if _DIARY_SIDECAR.search(os.path.basename(path)):
        return
    if is_zip:
        yield from _walk_zip_path(path, opts)
    elif fmt is None:
        yield Skip(path, str(UnsupportedFormatError(
            None, f"unsupported file type {_ext(path)!r}; runback reads .fit, .gpx, .tcx, "
                  ".csv (each optionally .gz), .zip, Apple Health's export.xml and Fitbit's "
                  "exercise-N.json")))
    elif fmt in STREAMED:
        yield _streamed(path, fmt, path, os.path.basename(path), (path,),
                        lambda: open(path, "rb"), opts=opts) or Skip(path, _NOT_STREAMED[fmt])
    else:
        yield Entry(path, fmt, path, os.path.basename(path), (path,), gz)


def _ext(path: str) -> str:
    base = os.path.basename(path)
    return os.path.splitext(base)[1] or base


def _walk_folder(root: str, excluded: frozenset[str],
                 opts: _Options = _DEFAULT) -> Iterator[Entry | Skip]:
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError as e:
            yield Skip(folder, f"cannot open folder: {e.strerror}")
            continue
        if (st.st_dev, st.st_ino) in seen:  # a symlink loop or a folder linked twice
            continue
        seen.add((st.st_dev, st.st_ino))
        try:
            names = sorted(os.listdir(folder))
        except OSError as e:
            yield Skip(folder, f"cannot list folder: {e.strerror}")
            continue
        subfolders = []
        for n in names:
            full = os.path.join(folder, n)
            if n.startswith("._"):
                continue
            if os.path.isdir(full):
                subfolders.append(full)
                continue
            if excluded and os.path.realpath(full) in excluded:
                continue
            fmt, gz, is_zip = opts.classify(n)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if is_zip:
                yield from _walk_zip_path(full, opts)
            elif fmt in STREAMED:
                item = _streamed(full, fmt, root, rel, (full,),
                                 _file_opener(full), opts=opts)
                if item is not None:
                    yield item
            elif fmt is not None:
                yield Entry(full, fmt, root, rel, (full,), gz)
        stack.extend(reversed(subfolders))


def _read_file(path: str) -> bytes:
    return read_regular_file(path, path, max_bytes=MAX_FILE_BYTES)


def _open_zip(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except _ZIP_ERRORS as e:
        raise ReadError(path, f"not a readable zip archive ({e})") from e


def _gunzip(data: bytes, name: str) -> bytes:
    """Decompress gzip ``data`` with the size and ratio limits.

    The ratio is checked after every MiB of output against the compressed bytes consumed
    so far, so a bomb is refused after a few MiB of output, whatever size it claims.
    """
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    try:
        buf = data
        while buf:
            chunk = d.decompress(buf, 2**20)
            out += chunk
            buf = d.unconsumed_tail
            # the ratio counts the input read so far: concatenated members cannot hide a
            # bomb behind the size of the whole file
            _check_size(len(out), len(data) - len(buf) - len(d.unused_data), name)
            if d.eof:
                # concatenated gzip members: carry on with the rest
                rest = d.unused_data
                if not rest.strip(b"\x00"):
                    break
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                buf = rest
        if not d.eof:
            raise ReadError(name, "gzip data is truncated")
    except zlib.error as e:
        raise ReadError(name, f"not valid gzip data ({e})") from e
    return bytes(out)


def _check_size(n_out: int, n_in: int, name: str) -> None:
    if n_out > MAX_FILE_BYTES:
        raise ReadError(name, f"decompresses to more than {MAX_FILE_BYTES} bytes (refused)")
    if n_out > _RATIO_FLOOR and n_out > MAX_RATIO * max(n_in, 1):
        raise ReadError(name, f"compression ratio over {MAX_RATIO}:1 (a zip bomb?); refused")


def _walk_zip_path(path: str, opts: _Options = _DEFAULT) -> Iterator[Entry | Skip]:
    try:
        zf = _open_zip(path)
    except ReadError as e:
        yield Skip(path, e.reason)
        return
    with zf:
        yield from _walk_zip(zf, path, (path,), depth=1, opts=opts)


#: The latest extracts made, by (chain, size and modification time of the file on disk,
#: compressed size): the import and the wellness table walk the same export once each.
_EXTRACTS: dict[tuple[object, ...], bytes] = {}


def _streamed(name: str, fmt: str, root: str, rel: str, chain: tuple[str, ...],
              opener: Callable[[], typing.IO[bytes]], compressed: int | None = None,
              opts: _Options = _DEFAULT) -> Entry | Skip | None:
    """The entry of a :data:`STREAMED` file, its extract made now (or found made); a Skip
    when unreadable; None when it is another kind of file of the same name (another
    application's ``export.xml``), passed over as a folder's other files are.

    ``opener()`` opens the file; ``compressed`` is its compressed size inside an archive
    (the bomb ratio is checked as the stream is read).
    """
    from runback.io.apple_health import EXTRACT_VERSION, HealthExport, scan_export

    try:
        st = os.stat(chain[0])
        memo = (chain, st.st_size, st.st_mtime_ns, compressed)
    except OSError:
        memo = None
    extract = _EXTRACTS.get(memo) if memo is not None else None
    kept = None
    if extract is None and memo is not None and opts.extract_dir is not None:
        digest = hashlib.blake2b(repr((EXTRACT_VERSION, os.path.realpath(chain[0]), memo))
                                 .encode(), digest_size=16).hexdigest()
        kept = os.path.join(opts.extract_dir, f"{digest}.json")
        try:
            with open(kept, "rb") as fh:
                extract = fh.read()
            HealthExport.from_bytes(extract, name)  # a damaged copy is made again
        except (OSError, ReadError):
            extract = None
    if extract is None:
        try:
            with opener() as fh:
                extract = scan_export(_limited(fh, name, compressed), name=name).to_bytes()
        except NotAnActivityError:
            return None
        except ReadError as e:
            return Skip(name, e.reason + (f" (at byte {e.position})" if e.position is not None
                                          else ""))
        except (OSError, *_ZIP_ERRORS, zlib.error, RuntimeError) as e:
            return Skip(name, f"cannot read file ({e})")
        if kept is not None:
            _keep(kept, extract)
    if memo is not None:
        while len(_EXTRACTS) >= 4:
            _EXTRACTS.pop(next(iter(_EXTRACTS)))
        _EXTRACTS[memo] = extract
    return Entry(name, fmt, root, rel, chain, False, extract)


def _keep(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file renamed); a failure only
    means the file is read again next time."""
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".extract-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def _file_opener(path: str) -> Callable[[], typing.IO[bytes]]:
    """A function that opens ``path`` for reading bytes."""
    def opener() -> typing.IO[bytes]:
        return open(path, "rb")

    return opener


def _limited(fh: typing.IO[bytes], name: str, compressed: int | None) -> Iterator[bytes]:
    """The bytes of ``fh`` in 1 MiB pieces, refused past :data:`STREAM_MAX_BYTES` or, for
    an archive member, past :data:`MAX_RATIO` times its compressed size."""
    n = 0
    while True:
        chunk = fh.read(2**20)
        if not chunk:
            return
        n += len(chunk)
        if n > STREAM_MAX_BYTES:
            raise ReadError(name, f"larger than {STREAM_MAX_BYTES} bytes (refused)")
        if compressed is not None and n > _RATIO_FLOOR and n > MAX_RATIO * max(compressed, 1):
            raise ReadError(name, f"compression ratio over {MAX_RATIO}:1 (a zip bomb?); refused")
        yield chunk


def _walk_zip(zf: zipfile.ZipFile, name: str, chain: tuple[str, ...],
              depth: int, opts: _Options = _DEFAULT) -> Iterator[Entry | Skip]:
    if depth > MAX_DEPTH:
        yield Skip(name, f"archive nested more than {MAX_DEPTH} deep; not opened")
        return
    total = 0
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        if info.is_dir():
            continue
        member = _clean_member(info.filename)
        if not member or member.startswith(_IGNORED_PREFIXES) or "/._" in member:
            continue
        full = f"{name}:{member}"
        fmt, gz, is_zip = opts.classify(member)
        if fmt is None and not is_zip:
            continue
        total += info.file_size
        if total > MAX_ARCHIVE_BYTES:
            yield Skip(name, f"archive decompresses to more than {MAX_ARCHIVE_BYTES} bytes; "
                             "the rest is not read")
            return
        if fmt in STREAMED and info.file_size <= STREAM_MAX_BYTES and not (
            info.file_size > _RATIO_FLOOR
            and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        ):
            item = _streamed(full, fmt, name, member, chain + (info.filename,),
                             functools.partial(zf.open, info), info.compress_size, opts)
            if item is not None:
                yield item
            continue
        if info.file_size > MAX_FILE_BYTES or (
            info.file_size > _RATIO_FLOOR
            and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        ):
            yield Skip(full, f"member claims {info.file_size} bytes from {info.compress_size} "
                             "compressed (a zip bomb?); refused")
            continue
        if is_zip:
            if depth + 1 > MAX_DEPTH:
                yield Skip(full, f"archive nested more than {MAX_DEPTH} deep; not opened")
                continue
            try:
                inner = zipfile.ZipFile(io.BytesIO(_read_member(zf, info, full)))
            except ReadError as e:
                yield Skip(full, e.reason)
                continue
            except _ZIP_ERRORS as e:
                yield Skip(full, f"not a readable zip archive ({e})")
                continue
            yield from _walk_zip(inner, full, chain + (info.filename,), depth + 1, opts)
        elif fmt is not None:  # always, as is_zip is false here
            yield Entry(full, fmt, name, member, chain + (info.filename,), gz)


def _clean_member(filename: str) -> str:
    """A member name as a safe relative posix path (no drive, no root, no ``..``)."""
    name = filename.replace("\\", "/")
    parts = [p for p in posixpath.normpath("/" + name).split("/") if p not in ("", ".", "..")]
    return "/".join(parts)


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    try:
        with zf.open(info) as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError,
            RuntimeError) as e:
        raise ReadError(name, f"cannot read archive member ({e})") from e
    if len(data) > MAX_FILE_BYTES:
        raise ReadError(name, f"decompresses to more than {MAX_FILE_BYTES} bytes (refused)")
    return data
