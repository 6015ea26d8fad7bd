"""The parse cache: what files yielded, stored as Parquet, keyed by their content hash.

Files parsed together (a worker's batch) are stored together as one *pack*::

    <cache dir>/v<PARSER_VERSION>/packs/<pack>/
        meta.json                {"pack", "version", "entries", "files", "sizes", "digests"}
        activities-0.parquet     the activities (with their session summaries) of the files
                                 of one column layout, with a column ``key``
        samples-0.parquet        the record streams, likewise
        laps-0.parquet
        hr_hist-0.parquet        seconds at each heart rate, per activity
    <cache dir>/v<PARSER_VERSION>/index-{files,activities,hr_hist}.arrow
                                 the small tables of every entry, for fast re-runs
                                 (Arrow IPC files: read without loading the Parquet
                                 machinery, which a re-run on unchanged files never needs)

``entries`` maps each file's key to what it gave: ``name``, ``warnings``, ``skip``,
``not_activity`` and ``tables`` (table -> the Parquet file holding its rows). Writing a
few files per batch instead of five per file is what keeps a first import fast: on an
ordinary disk, creating a file costs about as much as parsing one.

The cache folder is ``$RUNBACK_CACHE_DIR`` when set, else the platform's user cache folder
(``~/.cache/runback`` on Linux). Its folders are created readable by their owner only
(0700) and its files 0600.

A pack is written into a private temporary folder beside its final place and renamed into
place in one step, so a crash (even ``kill -9``) leaves either the whole pack or none; the
temporary folder a killed write leaves behind (``.pack.*``) is never read, and is removed
by a later import once it is :data:`STALE_TMP_S` old. Nothing is trusted without a check:
a pack whose meta.json is missing, unreadable, or names another pack or version, whose
Parquet files are missing or not the size meta.json records, or whose bytes do not match
the BLAKE2b digest meta.json records, is treated as absent and removed; its files are
parsed again when they are met. The index is derived data: it is used only for keys whose
pack passes the same size check, and a lost index costs speed, never data, because the
packs' meta.json files name every key they hold. Changing a reader or a summary bumps
``PARSER_VERSION``; old versions are simply never read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc

from runback.cache_folder import default_cache_dir

__all__ = ["PARSER_VERSION", "STALE_TMP_S", "Piece", "Store", "content_key",
           "default_cache_dir", "key_column"]

#: Bump whenever readers, stored summaries or the layout change: old entries are ignored.
PARSER_VERSION = 3
_TABLES = ("activities", "samples", "laps", "hr_hist")
_INDEX_TABLES = ("files", "activities", "hr_hist")
#: Columns the ``files`` index table must have to be used.
_INDEX_FILES_COLUMNS = ("key", "pack", "skip", "not_activity", "warnings")
#: Age after which a temporary folder left by a killed write is removed. [s]
STALE_TMP_S = 3600.0
#: Parquet files of packs kept in memory by one :class:`Store` (see :meth:`Store.load`).
_KEEP_LOADED = 8


def content_key(data: bytes) -> str:
    """The cache key of a file: BLAKE2b-128 of its (decompressed) bytes, in hex."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True, eq=False)
class Piece:
    """Rows of one table for some entries of a pack (or of a worker's hand-back).

    Attributes
    ----------
    frame : DataFrame
        The rows, without a ``key`` column.
    row_keys : ndarray of str
        The key of the entry each row belongs to, one per row.
    keys : list of str
        The entries whose table this piece is: those of ``row_keys`` and any entry
        whose table has no rows but has this piece's layout.
    """

    frame: pd.DataFrame
    row_keys: np.ndarray
    keys: list[str]

    def __post_init__(self):
        if "key" in self.frame.columns:
            raise ValueError("a piece's frame must not have a column 'key'")
        if len(self.row_keys) != len(self.frame):
            raise ValueError("a piece needs one key per row")

    @classmethod
    def of(cls, frame: pd.DataFrame, key: str) -> Piece:
        """The piece of one entry's table."""
        return cls(frame, np.full(len(frame), key, dtype=object), [key])

    def keyed(self) -> pd.DataFrame:
        """The frame with a column ``key`` naming each row's entry."""
        return self.frame.assign(key=key_column(self.row_keys))


class Store:
    """A content-addressed cache of parsed files, stored in packs.

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
        self.packs = self.base / "packs"
        self._where: dict[str, str] | None = None      # key -> pack, from the packs' meta
        self._checked: dict[str, dict | None] = {}     # pack -> its checked meta
        self._loaded: dict[tuple[str, str], pd.DataFrame] = {}

    # -- finding entries
    def _locate(self) -> dict[str, str]:
        """Key -> pack for every key an intact pack holds (read once per Store)."""
        if self._where is None:
            where: dict[str, str] = {}
            for folder in sorted(_subfolders(self.packs)):
                meta = self.pack_meta(folder.name)
                if meta is not None:
                    where.update(dict.fromkeys(meta["entries"], folder.name))
            self._where = where
        return self._where

    def pack_meta(self, pack: str) -> dict | None:
        """A pack's meta data, or None (and the pack is removed) when it is not trustworthy.

        Checks the pack name, the version, the layout of meta.json, and that every
        Parquet file is there with the size meta.json records (a stat each; the digests
        are checked when a file is read).
        """
        if self._checked.get(pack) is not None:
            return self._checked[pack]
        folder = self.packs / pack
        meta = None
        try:
            with open(folder / "meta.json", encoding="utf-8") as fh:
                meta = json.load(fh)
        except FileNotFoundError:  # not cached: another import may write it later
            return None
        except (OSError, ValueError):
            meta = None
        if meta is not None and not (_trusted_meta(meta, pack, self.version) and all(
                _size(folder / f"{f}.parquet") == meta["sizes"][f] for f in meta["files"])):
            meta = None
        if meta is None:
            self._remove(pack)
        else:
            self._checked[pack] = meta
        return meta

    def locate(self, keys) -> dict[str, str]:
        """The pack of each of ``keys`` some intact pack holds (one look at every pack)."""
        where = self._locate()
        return {k: where[k] for k in keys if k in where}

    def meta(self, key: str, pack: str | None = None) -> dict | None:
        """What the entry of ``key`` records, or None when no intact pack holds it.

        ``name``, ``warnings``, ``skip``, ``not_activity``, ``tables`` (the names of its
        stored tables), ``key`` and ``pack``. With ``pack`` (from :meth:`locate`), only
        that pack is looked at.
        """
        pack = pack or self._locate().get(key)
        meta = self.pack_meta(pack) if pack is not None else None
        if meta is None or key not in meta["entries"]:
            return None
        entry = meta["entries"][key]
        return dict(entry, key=key, pack=pack, tables=sorted(entry.get("tables", {})))

    # -- reading
    def load(self, key: str, table: str) -> pd.DataFrame | None:
        """One stored table of an entry, or None (and its pack removed) when broken.

        The bytes of the pack's file must match the digest meta.json records before they
        are parsed. The last few files read stay in memory, so loading the entries of one
        pack one by one reads each of its files once.
        """
        found = self.load_many([key], table)
        if found is None:
            return None
        return found.drop(columns="key").reset_index(drop=True)

    def load_many(self, keys, table: str) -> pd.DataFrame | None:
        """The rows of ``table`` of every entry in ``keys``, with a column ``key``.

        None when any of them is absent, lacks the table or sits in a broken pack (which
        is then removed).
        """
        by_file: dict[tuple[str, str], list[str]] = {}
        for key in dict.fromkeys(keys):
            entry = self.meta(key)
            if entry is None or table not in entry["tables"]:
                return None
            pack = entry["pack"]
            name = self._checked[pack]["entries"][key]["tables"][table]
            by_file.setdefault((pack, name), []).append(key)
        frames = []
        for (pack, name), wanted in by_file.items():
            df = self._read(pack, name)
            if df is None:
                return None
            frames.append(df[df["key"].isin(wanted)] if len(wanted) > 1 else
                          df[df["key"] == wanted[0]])
        if not frames:
            return None
        return pd.concat(frames, ignore_index=True)

    def _read(self, pack: str, name: str) -> pd.DataFrame | None:
        """One Parquet file of a pack, digest-checked, through a small in-memory cache."""
        loaded = self._loaded.get((pack, name))
        if loaded is not None:
            return loaded
        meta = self.pack_meta(pack)
        if meta is None:
            return None
        try:
            with open(self.packs / pack / f"{name}.parquet", "rb") as fh:
                data = fh.read()
            if _digest(data) != meta["digests"][name]:
                raise ValueError("digest mismatch")
            df = pd.read_parquet(io.BytesIO(data))
            if "key" not in df.columns:
                raise ValueError("no key column")
        except Exception:  # noqa: BLE001 - any failure to read means "rebuild"
            self._remove(pack)
            return None
        if len(self._loaded) >= _KEEP_LOADED:
            self._loaded.pop(next(iter(self._loaded)))
        self._loaded[pack, name] = df
        return df

    # -- writing
    def put_pieces(self, entries: list[tuple[str, dict]],
                   tables: dict[str, list[Piece]]) -> str | None:
        """Store entries as one pack, atomically, from tables already joined across them.

        ``entries`` are ``(key, meta)``: ``meta`` holds ``name``, ``warnings`` and, for a
        file that gave no activity, ``skip`` and ``not_activity``. Each table (one of
        ``activities``, ``samples``, ``laps``, ``hr_hist``) is a list of :class:`Piece`; an
        entry has a table when a piece names it. Pieces of a table with the same columns
        and dtypes go to one Parquet file. Returns the pack's name, or None when nothing
        could be written (an unwritable cache only costs speed).
        """
        unknown = set(tables) - set(_TABLES)
        if unknown:
            raise ValueError(f"table must be one of {sorted(_TABLES)}")
        if not entries:
            return None
        pack = _pack_name(k for k, _ in entries)
        kept = self.pack_meta(pack)
        if kept is not None:  # the same files, stored already (and intact)
            if self._where is not None:
                self._where.update(dict.fromkeys(kept["entries"], pack))
            return pack
        records, blobs = _pack_tables(entries, tables)
        try:
            self._ensure_root()
            tmp = Path(tempfile.mkdtemp(prefix=".pack.", dir=self.packs))
        except OSError:
            return None
        try:
            sizes, digests = {}, {}
            for name, data in blobs.items():
                _write_private(tmp / f"{name}.parquet", data)
                sizes[name], digests[name] = len(data), _digest(data)
            record = {"pack": pack, "version": self.version, "entries": records,
                      "files": sorted(blobs), "sizes": sizes, "digests": digests}
            _write_private(tmp / "meta.json", json.dumps(record).encode())
            final = self.packs / pack
            if final.exists():  # a broken copy (an intact one was kept above)
                shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
        except OSError:
            return None  # another process won the race, or the disk is full
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        self._checked.pop(pack, None)
        if self._where is not None:
            self._where.update(dict.fromkeys(records, pack))
        return pack

    # -- the index: every entry's small tables in one place, so a warm run reads one file
    def read_index(self) -> dict[str, pd.DataFrame]:
        """The index tables (``files``, ``activities``, ``hr_hist``), each with a ``key``.

        An index that is missing, does not load or lacks its columns is empty: the packs
        stay the truth and the index is rebuilt from them as files are met again. Rows of
        keys whose pack fails :meth:`pack_meta` are left out.
        """
        arrow = {}
        for table in _INDEX_TABLES:
            try:
                data = self.index_path(table).read_bytes()
                arrow[table] = pa.ipc.open_file(pa.py_buffer(data)).read_all()
            except Exception:  # noqa: BLE001 - a broken index is an empty index
                return {}
        if not set(_INDEX_FILES_COLUMNS) <= set(arrow["files"].column_names) or not all(
                "key" in arrow[t].column_names for t in _INDEX_TABLES):
            return {}
        file_keys = arrow["files"].column("key").to_pylist()
        keys = set(file_keys)
        # distinct first: hr_hist holds a key per row
        if not all(set(pc.unique(arrow[t].column("key")).to_pylist()) <= keys
                   for t in _INDEX_TABLES):
            return {}
        packs = arrow["files"].column("pack").to_pylist()
        intact = {p for p in set(packs) if isinstance(p, str) and self.pack_meta(p) is not None}
        held = [p in intact and k in self._checked[p]["entries"]
                for k, p in zip(file_keys, packs, strict=True)]
        out = {t: table.to_pandas() for t, table in arrow.items()}
        if not all(held):
            good = {k for k, h in zip(file_keys, held, strict=True) if h}
            out = {t: df[df["key"].isin(good)].reset_index(drop=True)
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
                _write_private(tmp / table, _arrow_bytes(df))
            # files last: a reader checks that every key it meets is in files
            for table in (*_INDEX_TABLES[1:], _INDEX_TABLES[0]):
                os.replace(tmp / table, self.index_path(table))
        except OSError:
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def index_path(self, table: str) -> Path:
        """The file of one index table (``files``, ``activities`` or ``hr_hist``)."""
        return self.base / f"index-{table}.arrow"

    def read_note(self, name: str):
        """A small JSON value kept beside the index (None when absent or unreadable)."""
        try:
            with open(self.base / f"note-{name}.json", encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None

    def write_note(self, name: str, value) -> None:
        """Keep a small JSON value beside the index, atomically (a failure is ignored)."""
        try:
            self._ensure_root()
            fd, tmp = tempfile.mkstemp(prefix=f".note-{name}.", dir=self.base)
            with os.fdopen(fd, "wb") as fh:
                fh.write(json.dumps(value).encode())
            os.replace(tmp, self.base / f"note-{name}.json")
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)

    def sweep(self, max_age_s: float = STALE_TMP_S) -> None:
        """Remove temporary folders (``.pack.*``, ``.index.*``) and files (``.note-*``)
        older than ``max_age_s``, and index files of the former format (Parquet).

        Younger ones may belong to an import running now and are left alone; no reader
        ever looks inside them.
        """
        now = time.time()
        for folder in (self.base, self.packs):
            for tmp in _subfolders(folder, hidden=True):
                try:
                    if now - tmp.stat().st_mtime >= max_age_s:
                        shutil.rmtree(tmp, ignore_errors=True)
                except OSError:
                    continue
        for tmp in self.base.glob(".note-*"):
            with contextlib.suppress(OSError):
                if tmp.is_file() and now - tmp.stat().st_mtime >= max_age_s:
                    tmp.unlink()
        for old in self.base.glob("index-*.parquet"):  # the index's former format
            with contextlib.suppress(OSError):
                old.unlink()

    def _remove(self, pack: str) -> None:
        shutil.rmtree(self.packs / pack, ignore_errors=True)
        self._checked.pop(pack, None)
        self._loaded = {k: v for k, v in self._loaded.items() if k[0] != pack}
        if self._where is not None:
            self._where = {k: p for k, p in self._where.items() if p != pack}

    def _ensure_root(self) -> None:
        if not self.root.exists():
            self.root.mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chmod(self.root, 0o700)
        self.base.mkdir(mode=0o700, exist_ok=True)
        self.packs.mkdir(mode=0o700, exist_ok=True)


def _pack_name(keys) -> str:
    """A pack's name: a digest of the keys it holds, so the same batch names one pack."""
    return hashlib.blake2b("\n".join(sorted(keys)).encode(), digest_size=16).hexdigest()


def _pack_tables(entries, tables) -> tuple[dict[str, dict], dict[str, bytes]]:
    """The ``entries`` record of a pack's meta.json and the bytes of its Parquet files.

    Pieces of a table with the same columns and dtypes go to one file, with a column
    ``key`` naming the entry each row belongs to.
    """
    records: dict[str, dict] = {}
    for key, meta in entries:
        record = {k: meta[k] for k in ("name", "warnings", "skip", "not_activity") if k in meta}
        record["tables"] = {}
        records[key] = record
    blobs: dict[str, bytes] = {}
    for name, pieces in tables.items():
        groups: dict[tuple, list] = {}
        for piece in pieces:
            df = piece.frame
            groups.setdefault((tuple(df.columns), tuple(map(str, df.dtypes))), []).append(piece)
        for number, members in enumerate(groups.values()):
            file = f"{name}-{number}"
            joined = pd.concat([m.frame for m in members], ignore_index=True)
            joined["key"] = key_column(np.concatenate([m.row_keys for m in members]))
            blobs[file] = _parquet_bytes(joined, **_PACK_PARQUET)
            for member in members:
                for key in member.keys:
                    records[key]["tables"][name] = file
    return records, blobs


def key_column(row_keys: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A ``key`` column (a pack file's, a worker's hand-back): each row's key, as strings.

    A batch has few keys and many rows; the strings are made from the distinct keys by
    pyarrow (a dictionary decoded in C), not converted row by row.
    """
    codes, uniques = pd.factorize(row_keys)
    if len(codes) and codes.min() < 0:  # a missing key: as pandas converts it
        return pd.array(row_keys, dtype="str")
    keys = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)),
                                          pa.array(np.asarray(uniques, dtype=object),
                                                   pa.string()))
    return pd.array(keys.cast(pa.string()), dtype="str")


def _trusted_meta(meta, pack: str, version: int) -> bool:
    """Whether meta.json is well formed and belongs to this pack and version."""
    if not isinstance(meta, dict) or meta.get("pack") != pack or meta.get("version") != version:
        return False
    entries, files = meta.get("entries"), meta.get("files")
    sizes, digests = meta.get("sizes"), meta.get("digests")
    if not (isinstance(entries, dict) and isinstance(files, list) and isinstance(sizes, dict)
            and isinstance(digests, dict)):
        return False
    if not all(isinstance(f, str) and f in sizes and f in digests for f in files):
        return False
    return all(isinstance(e, dict) and isinstance(e.get("tables", {}), dict)
               and all(t in _TABLES and f in files for t, f in e.get("tables", {}).items())
               for e in entries.values())


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _arrow_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as an Arrow IPC file, pandas dtypes kept.

    Uncompressed: read on every re-run, its columns are then taken as they lie in the
    file's bytes, with nothing to decode (a few kB per activity file).
    """
    table = pa.Table.from_pandas(df, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _parquet_bytes(df: pd.DataFrame, **options) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False, **options)
    return buf.getvalue()


#: Parquet options of a pack's files: written once, read on re-runs, so write fast and
#: read fast (LZ4; a dictionary only for the repetitive ``key``; no column statistics).
_PACK_PARQUET = {"compression": "lz4", "use_dictionary": ["key"], "write_statistics": False}


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
