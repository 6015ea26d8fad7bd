"""The parse cache: what a file yielded, stored as Parquet, keyed by its content hash.

Layout::

    <cache dir>/v<PARSER_VERSION>/<key[:2]>/<key>/
        meta.json            {"key", "version", "name", "warnings", "skip", "tables",
                              "sizes", "digests"}
        activities.parquet   the file's activities with their session summaries
        samples.parquet      the record stream
        laps.parquet
        hr_hist.parquet      seconds at each heart rate, per activity
    <cache dir>/v<PARSER_VERSION>/index-{files,activities,hr_hist}.parquet
                             the small tables of every entry, for fast re-runs

The cache folder is ``$RUNBACK_CACHE_DIR`` when set, else the platform's user cache folder
(``~/.cache/runback`` on Linux). Its folders are created readable by their owner only
(0700) and its files 0600.

An entry is written into a private temporary folder beside its final place and renamed
into place in one step, so a crash (even ``kill -9``) leaves either the whole entry or none;
the temporary folder a killed write leaves behind (``.<key>.*``) is never read, and is
removed by a later import once it is :data:`STALE_TMP_S` old. Nothing is trusted without a
check: an entry whose meta.json is missing, unreadable, or names another key or version,
whose table files are missing or not the size meta.json records, or whose bytes do not
match the BLAKE2b digest meta.json records, is treated as absent, removed and rebuilt. The
index is used only for the keys whose entry passes the same size check. Changing a reader
or a summary bumps ``PARSER_VERSION``; old versions are simply never read again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
import platformdirs
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["PARSER_VERSION", "STALE_TMP_S", "Store", "content_key", "default_cache_dir"]

#: Bump whenever readers or stored summaries change: old cache entries are then ignored.
PARSER_VERSION = 2
_TABLES = ("activities", "samples", "laps", "hr_hist")
_INDEX_TABLES = ("files", "activities", "hr_hist")
#: Columns the ``files`` index table must have to be used.
_INDEX_FILES_COLUMNS = ("key", "skip", "not_activity", "warnings")
#: Age after which a temporary folder left by a killed write is removed. [s]
STALE_TMP_S = 3600.0


def content_key(data: bytes) -> str:
    """The cache key of a file: BLAKE2b-128 of its (decompressed) bytes, in hex."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def default_cache_dir() -> Path:
    """``$RUNBACK_CACHE_DIR`` or the platform's user cache folder for runback."""
    env = os.environ.get("RUNBACK_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("runback"))


class Store:
    """A content-addressed cache of parsed files.

    Parameters
    ----------
    root : path, optional
        Cache folder; :func:`default_cache_dir` when None.
    version : int
        Parser version the entries belong to.
    """

    def __init__(self, root=None, version: int = PARSER_VERSION):
        self.root = Path(root) if root is not None else default_cache_dir()
        self.version = version
        self.base = self.root / f"v{version}"

    def _dir(self, key: str) -> Path:
        return self.base / key[:2] / key

    def meta(self, key: str) -> dict | None:
        """The entry's meta data, or None when the entry is absent or not trustworthy.

        Checks the key, the version and that every table file is there with the size
        meta.json records (a stat each; the digests are checked by :meth:`load`).
        """
        folder = self._dir(key)
        try:
            with open(folder / "meta.json", encoding="utf-8") as fh:
                meta = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self.discard(key)
            return None
        if not _trusted_meta(meta, key, self.version) or not all(
                _size(folder / f"{t}.parquet") == meta["sizes"][t] for t in meta["tables"]):
            self.discard(key)
            return None
        return meta

    def load(self, key: str, table: str) -> pd.DataFrame | None:
        """One stored table of an entry, or None (and the entry is discarded) when broken.

        The bytes must match the digest meta.json records before they are parsed.
        """
        meta = self.meta(key)
        if meta is None or table not in meta["tables"]:
            return None
        try:
            with open(self._dir(key) / f"{table}.parquet", "rb") as fh:
                data = fh.read()
            if _digest(data) != meta["digests"][table]:
                raise ValueError("digest mismatch")
            return pd.read_parquet(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - any failure to read means "rebuild"
            self.discard(key)
            return None

    def put(self, key: str, meta: dict, tables: dict[str, pd.DataFrame]) -> None:
        """Store an entry atomically. A failure to write leaves the cache as it was."""
        self.put_many([(key, meta, tables)])

    def put_many(self, entries: list[tuple[str, dict, dict[str, pd.DataFrame]]]) -> None:
        """Store many entries ``(key, meta, tables)``, each atomically, as :meth:`put` does.

        Tables of the same name and layout are converted to Arrow in one pass and cut
        apart again, which costs a fraction of converting them entry by entry.
        """
        for _, _, tables in entries:
            unknown = set(tables) - set(_TABLES)
            if unknown:
                raise ValueError(f"table must be one of {sorted(_TABLES)}")
        for (key, meta, _), blobs in zip(entries, _parquet_many([t for _, _, t in entries]),
                                         strict=True):
            self._put_bytes(key, meta, blobs)

    def _put_bytes(self, key: str, meta: dict, blobs: dict[str, bytes]) -> None:
        final = self._dir(key)
        try:
            self._ensure_root()
            final.parent.mkdir(mode=0o700, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
        except OSError:
            return  # an unwritable cache only costs speed
        try:
            sizes, digests = {}, {}
            for name, data in blobs.items():
                _write_private(tmp / f"{name}.parquet", data)
                sizes[name], digests[name] = len(data), _digest(data)
            record = dict(meta, key=key, version=self.version, tables=sorted(blobs),
                          sizes=sizes, digests=digests)
            _write_private(tmp / "meta.json", json.dumps(record).encode())
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
        except OSError:
            pass  # another process won the race, or the disk is full: the cache stays valid
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)

    # -- the index: every entry's small tables in one place, so a warm run reads one file
    def read_index(self) -> dict[str, pd.DataFrame]:
        """The index tables (``files``, ``activities``, ``hr_hist``), each with a ``key``.

        An index that is missing, does not load or lacks its columns is empty: the
        per-entry data stays the truth and the index is rebuilt from it as files are met
        again. Rows of keys whose entry fails :meth:`meta` are left out (and the entry is
        rebuilt when its file is met).
        """
        out = {}
        for table in _INDEX_TABLES:
            try:
                out[table] = pd.read_parquet(self.base / f"index-{table}.parquet")
            except Exception:  # noqa: BLE001 - a broken index is an empty index
                return {}
        if not set(_INDEX_FILES_COLUMNS) <= set(out["files"].columns) or not all(
                "key" in out[t].columns for t in _INDEX_TABLES):
            return {}
        keys = set(out["files"]["key"])
        if not all(set(out[t]["key"]) <= keys for t in _INDEX_TABLES):
            return {}
        intact = [k for k in keys if self.meta(k) is not None]
        if len(intact) < len(keys):
            out = {t: df[df["key"].isin(intact)].reset_index(drop=True)
                   for t, df in out.items()}
        return out

    def update_index(self, tables: dict[str, pd.DataFrame]) -> None:
        """Add or replace the index rows of the keys in ``tables['files']``, atomically.

        Also removes the temporary folders of writes killed :data:`STALE_TMP_S` ago or more.
        """
        self.sweep()
        if tables["files"].empty:
            return
        current = self.read_index()
        new_keys = set(tables["files"]["key"])
        merged = {}
        for table in _INDEX_TABLES:
            parts = [tables[table]]
            if current:
                old = current[table]
                parts.insert(0, old[~old["key"].isin(new_keys)])
            parts = [p for p in parts if len(p)]
            merged[table] = pd.concat(parts, ignore_index=True) if parts else tables[table]
        try:
            self._ensure_root()
            tmp = Path(tempfile.mkdtemp(prefix=".index.", dir=self.base))
        except OSError:
            return
        try:
            for table, df in merged.items():
                _write_private(tmp / f"{table}.parquet", _parquet_bytes(df))
            # files last: a reader checks that every key it meets is in files
            for table in (*_INDEX_TABLES[1:], _INDEX_TABLES[0]):
                os.replace(tmp / f"{table}.parquet", self.base / f"index-{table}.parquet")
        except OSError:
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def sweep(self, max_age_s: float = STALE_TMP_S) -> None:
        """Remove temporary folders (``.<key>.*``, ``.index.*``) older than ``max_age_s``.

        Younger ones may belong to an import running now and are left alone; no reader
        ever looks inside them.
        """
        now = time.time()
        for folder in (self.base, *_subfolders(self.base)):
            for tmp in _subfolders(folder, hidden=True):
                try:
                    if now - tmp.stat().st_mtime >= max_age_s:
                        shutil.rmtree(tmp, ignore_errors=True)
                except OSError:
                    continue

    def discard(self, key: str) -> None:
        """Remove an entry (used when it fails a check)."""
        shutil.rmtree(self._dir(key), ignore_errors=True)

    def _ensure_root(self) -> None:
        if not self.root.exists():
            self.root.mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chmod(self.root, 0o700)
        self.base.mkdir(mode=0o700, exist_ok=True)


def _trusted_meta(meta, key: str, version: int) -> bool:
    """Whether meta.json is well formed and belongs to this key and version."""
    if not isinstance(meta, dict) or meta.get("key") != key or meta.get("version") != version:
        return False
    tables, sizes, digests = meta.get("tables"), meta.get("sizes"), meta.get("digests")
    return (isinstance(tables, list) and isinstance(sizes, dict) and isinstance(digests, dict)
            and all(t in _TABLES and t in sizes and t in digests for t in tables))


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _parquet_many(entries: list[dict[str, pd.DataFrame]]) -> list[dict[str, bytes]]:
    """Parquet bytes of every table of every entry, as :func:`_parquet_bytes` gives them.

    Frames with the same name, columns and dtypes are concatenated, converted to Arrow
    once, and each entry's rows written from a zero-copy slice.
    """
    out: list[dict[str, bytes]] = [{} for _ in entries]
    groups: dict[tuple, list[tuple[int, str, pd.DataFrame]]] = {}
    for i, tables in enumerate(entries):
        for name, df in tables.items():
            layout = (name, tuple(df.columns), tuple(map(str, df.dtypes)))
            groups.setdefault(layout, []).append((i, name, df))
    for members in groups.values():
        if len(members) == 1:
            i, name, df = members[0]
            out[i][name] = _parquet_bytes(df)
            continue
        table = pa.Table.from_pandas(pd.concat([df for _, _, df in members], ignore_index=True),
                                     preserve_index=False)
        start = 0
        for i, name, df in members:
            buf = io.BytesIO()
            pq.write_table(table.slice(start, len(df)), buf)
            out[i][name] = buf.getvalue()
            start += len(df)
    return out


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file readable by its owner only.

    No fsync: a killed process loses nothing the kernel has, and what a power cut may lose
    fails the size and digest checks on the next read.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _subfolders(folder: Path, hidden: bool = False) -> list[Path]:
    """The subfolders of ``folder`` (only the dot-named ones when ``hidden``)."""
    try:
        with os.scandir(folder) as it:
            return [Path(e.path) for e in it
                    if e.is_dir(follow_symlinks=False) and e.name.startswith(".") == hidden]
    except OSError:
        return []
