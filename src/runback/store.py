"""The parse cache: what a file yielded, stored as Parquet, keyed by its content hash.

Layout::

    <cache dir>/v<PARSER_VERSION>/<key[:2]>/<key>/
        meta.json            {"key", "version", "name", "warnings", "skip"}
        activities.parquet   the file's activities with their session summaries
        samples.parquet      the record stream
        laps.parquet
        hr_hist.parquet      seconds at each heart rate, per activity
    <cache dir>/v<PARSER_VERSION>/index-{files,activities,hr_hist}.parquet
                             the small tables of every entry, for fast re-runs

The cache folder is ``$RUNBACK_CACHE_DIR`` when set, else the platform's user cache folder
(``~/.cache/runback`` on Linux). It is created readable by its owner only.

An entry is written into a private temporary folder beside its final place and renamed
into place in one step, so a crash (even ``kill -9``) leaves either the whole entry or none.
Nothing is trusted without a check: an entry whose meta.json is missing, unreadable, or
names another key or version, or whose Parquet files do not load, is treated as absent,
removed and rebuilt. Changing a reader or a summary bumps ``PARSER_VERSION``; old versions
are simply never read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import platformdirs

__all__ = ["PARSER_VERSION", "Store", "content_key", "default_cache_dir"]

#: Bump whenever readers or stored summaries change: old cache entries are then ignored.
PARSER_VERSION = 2
_TABLES = ("activities", "samples", "laps", "hr_hist")
_INDEX_TABLES = ("files", "activities", "hr_hist")


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
        """The entry's meta data, or None when the entry is absent or not trustworthy."""
        path = self._dir(key) / "meta.json"
        try:
            with open(path, encoding="utf-8") as fh:
                meta = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            self.discard(key)
            return None
        if not isinstance(meta, dict) or meta.get("key") != key or \
                meta.get("version") != self.version:
            self.discard(key)
            return None
        tables = meta.get("tables", [])
        if not all((self._dir(key) / f"{t}.parquet").is_file() for t in tables):
            self.discard(key)
            return None
        return meta

    def load(self, key: str, table: str) -> pd.DataFrame | None:
        """One stored table of an entry, or None (and the entry is discarded) when broken."""
        try:
            return pd.read_parquet(self._dir(key) / f"{table}.parquet")
        except Exception:  # noqa: BLE001 - any failure to read means "rebuild"
            self.discard(key)
            return None

    def put(self, key: str, meta: dict, tables: dict[str, pd.DataFrame]) -> None:
        """Store an entry atomically. A failure to write leaves the cache as it was."""
        unknown = set(tables) - set(_TABLES)
        if unknown:
            raise ValueError(f"table must be one of {sorted(_TABLES)}")
        final = self._dir(key)
        try:
            self._ensure_root()
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
        except OSError:
            return  # an unwritable cache only costs speed
        try:
            for name, df in tables.items():
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            record = dict(meta, key=key, version=self.version, tables=sorted(tables))
            with open(tmp / "meta.json", "w", encoding="utf-8") as fh:
                json.dump(record, fh)
                fh.flush()
                os.fsync(fh.fileno())
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

        An index that is missing or does not load is empty: the per-entry data stays the
        truth and the index is rebuilt from it as files are met again.
        """
        out = {}
        for table in _INDEX_TABLES:
            try:
                out[table] = pd.read_parquet(self.base / f"index-{table}.parquet")
            except Exception:  # noqa: BLE001 - a broken index is an empty index
                return {}
        keys = set(out["files"]["key"])
        if not all(set(out[t]["key"]) <= keys for t in _INDEX_TABLES):
            return {}
        return out

    def update_index(self, tables: dict[str, pd.DataFrame]) -> None:
        """Add or replace the index rows of the keys in ``tables['files']``, atomically."""
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
                df.to_parquet(tmp / f"{table}.parquet", index=False)
            # files last: a reader checks that every key it meets is in files
            for table in (*_INDEX_TABLES[1:], _INDEX_TABLES[0]):
                os.replace(tmp / f"{table}.parquet", self.base / f"index-{table}.parquet")
        except OSError:
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def discard(self, key: str) -> None:
        """Remove an entry (used when it fails a check)."""
        shutil.rmtree(self._dir(key), ignore_errors=True)

    def _ensure_root(self) -> None:
        if not self.root.exists():
            self.root.mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chmod(self.root, 0o700)
        self.base.mkdir(mode=0o700, exist_ok=True)
