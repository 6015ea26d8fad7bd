"""A worker's side of an import: read a batch of files, summarise them together, store them.

::

    entries of one batch -> bytes -> content key -> stored already? hand it back
                         -> reader (runback.io) -> raw tables, joined across the batch
                         -> session summaries and heart-rate histograms in one pass
                         -> one cache pack -> the batch's activities and hr_hist handed back

Everything here runs in a worker process (or in the main process for a small import) and
never raises for a bad file: its outcome says why it was skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from runback import schema
from runback.errors import NotAnActivityError, ReadError, RunbackError
from runback.io._dispatch import read_tables
from runback.io.base import ParsedColumns, ParsedFile
from runback.io.exports import Entry
from runback.metrics.intensity import hr_histogram
from runback.metrics.session import MAX_SPEED_M_S, summarize_samples
from runback.store import Piece, Store

__all__ = ["FileOutcome", "BatchTables", "process_batch", "empty_hist", "is_unexpected"]

#: Parts of one file in a batch summary: activity id = file number * stride + part.
_PART_STRIDE = 1_000_000


@dataclass
class FileOutcome:
    """What one file gave: the key of its rows in the tables, or the reason it was skipped.

    Attributes
    ----------
    name, root, rel : str
        As :class:`runback.io.exports.Entry` names the file.
    key : str or None
        Its content key (None when its bytes could not be read).
    warnings : list of str
        Things the user should know about the file.
    skip : str or None
        Why the file gave no activity.
    not_activity : bool
        The file is valid but holds no activity (never a failure, even when strict).
    cached : bool
        It came from the cache, not from a reader in this run.
    pack : str or None
        The cache pack holding it.
    """

    name: str
    root: str
    rel: str
    key: str | None = None
    warnings: list[str] = field(default_factory=list)
    skip: str | None = None
    not_activity: bool = False
    cached: bool = False
    pack: str | None = None


#: The ``activities`` and ``hr_hist`` rows of a batch, each table one frame with a column
#: ``key`` (None when it has no rows).
BatchTables = dict[str, "pd.DataFrame | None"]


class Rows(NamedTuple):
    """Rows of one of a batch's tables, with the number of the file (its place in the
    batch) each row came from."""

    frame: pd.DataFrame
    files: np.ndarray


def empty_hist() -> pd.DataFrame:
    """A long heart-rate histogram without rows: part, bpm, seconds."""
    return pd.DataFrame({"part": pd.Series([], dtype="int64"),
                         "bpm": pd.Series([], dtype="int64"),
                         "seconds": pd.Series([], dtype="float64")})


def is_unexpected(out: FileOutcome) -> bool:
    """Whether the outcome is a bug's error (never cached, so it is retried)."""
    return out.skip is not None and out.skip.startswith("unexpected error")


def _unexpected(e: Exception) -> str:
    return f"unexpected error while reading ({type(e).__name__}: {e}); please report it"


def process_batch(entries: list[Entry], cache_root: str, keys: list[str],
                  packs: list[str | None]) -> tuple[list[FileOutcome], BatchTables]:
    """Read a batch of entries through the cache. Never raises for a bad file.

    Parameters
    ----------
    entries : list of Entry
        The files of the batch.
    cache_root : str
        The cache folder.
    keys : list of str
        The content key of each entry.
    packs : list of str or None
        The pack holding each key (:meth:`runback.store.Store.locate`), None when no pack
        does: the cache is not searched again here.

    Returns
    -------
    outcomes : list of FileOutcome
        One per entry, in order.
    tables : dict
        The ``activities`` and ``hr_hist`` rows of every file read, each table one frame
        with a column ``key`` (None when empty): a worker hands back a few frames instead
        of two per file, and the tables are never cut apart per file.

    Each file is read on its own; the session summaries of every file read are then
    computed in one vectorised pass over all their records (:func:`_summarize`), which
    costs a fraction of summarising file by file, and they are stored together as one
    pack (:meth:`runback.store.Store.put_pieces`).
    """
    store = Store(cache_root)
    outcomes, parsed_files, metas = [], [], []
    # what came from the cache, one entry at a time, is handed back, not stored again
    handed: dict[str, list[Piece]] = {"activities": [], "hr_hist": []}
    for entry, key, pack in zip(entries, keys, packs, strict=True):
        out, found = _read_entry(entry, store, key, pack)
        outcomes.append(out)
        if isinstance(found, dict):
            for table in handed:
                handed[table].append(Piece.of(found[table], out.key))
        elif found is not None:
            parsed_files.append((entry, out, found))
        elif out.key is not None and out.skip is not None and not out.cached \
                and not is_unexpected(out):
            metas.append((out.key, {"name": entry.name, "skip": out.skip,
                                    "not_activity": out.not_activity}))
    pieces: dict[str, list[Piece]] = {t: [] for t in ("activities", "samples", "laps",
                                                      "hr_hist")}
    try:
        batch = _Batch.of([p for _, _, p in parsed_files])
    except Exception:  # noqa: BLE001 - a bug must not stop the batch: find the file
        parsed_files = _as_frames(parsed_files)
        batch = _Batch.of([p for _, _, p in parsed_files])
    errors, acts, hists = _summarize(batch)
    file_keys = np.array([o.key for _, o, _ in parsed_files], dtype=object)
    stored: list[FileOutcome] = []
    for (entry, out, parsed), error in zip(parsed_files, errors, strict=True):
        if isinstance(error, RunbackError):
            out.skip = getattr(error, "reason", None) or str(error)
            out.not_activity = isinstance(error, NotAnActivityError)
            metas.append((out.key, {"name": entry.name, "skip": out.skip,
                                    "not_activity": out.not_activity}))
        elif error is not None:  # a bug must not stop the batch; not cached
            out.skip = _unexpected(error)
        else:
            out.warnings = list(parsed.warnings)
            stored.append(out)
    good = np.array([j for j, e in enumerate(errors) if e is None], dtype="int64")
    if len(good):
        for table in ("samples", "laps"):
            frame, files = batch.tables[table]
            if len(good) < batch.n:
                keep = np.isin(files, good)
                frame, files = frame[keep].reset_index(drop=True), files[keep]
            # one piece holds the table of every file stored, rows or none
            pieces[table].append(Piece(frame, file_keys[files], list(file_keys[good])))
    for table, parts in (("activities", acts), ("hr_hist", hists)):
        # each file's table is the piece holding its rows; a file without rows (no heart
        # rate) takes the first piece's, of the same layout
        named = [Piece(frame, file_keys[files], list(dict.fromkeys(file_keys[files])))
                 for frame, files in parts]
        if named:
            covered = {k for p in named for k in p.keys}
            named[0].keys.extend(k for k in file_keys[good] if k not in covered)
        pieces[table] += named
    for frame, files in acts:  # GPS fixes dropped for a spike, per file
        for j in np.unique(files[frame["gps_spikes"].to_numpy("float64", na_value=0) > 0]
                           if "gps_spikes" in frame.columns else []):
            parsed_files[j][1].warnings += _spike_warnings(frame[files == j])
    metas += [(o.key, {"name": o.name, "warnings": o.warnings}) for o in stored]
    pack = store.put_pieces(metas, pieces) if metas else None
    written = {k for k, _ in metas} if pack is not None else set()
    for out in outcomes:
        if out.key in written:
            out.pack = pack
    tables: BatchTables = {}
    for table in ("activities", "hr_hist"):
        kept = [p for p in handed[table] + pieces[table] if len(p.frame)]
        tables[table] = None if not kept else pd.concat([p.keyed() for p in kept],
                                                        ignore_index=True)
    return outcomes, tables


def _as_frames(parsed_files: list) -> list:
    """The ``(entry, outcome, parsed)`` items whose tables make frames on their own; the
    outcome of a file whose tables do not says why (never cached, so it is retried)."""
    kept = []
    for entry, out, parsed in parsed_files:
        try:
            kept.append((entry, out, parsed.to_parsed() if isinstance(parsed, ParsedColumns)
                         else parsed))
        except Exception as e:  # noqa: BLE001 - reported for this file only
            out.skip = _unexpected(e)
    return kept


def _read_entry(entry: Entry, store: Store, key: str, pack: str | None):
    """``(outcome, found)``: found is the parsed file, the stored ``activities`` and
    ``hr_hist`` (a dict) when ``pack`` holds them intact, or None when the outcome is
    final (skipped)."""
    out = FileOutcome(entry.name, entry.root, entry.rel)
    try:
        data = entry.load()
    except ReadError as e:
        out.skip = e.reason
        return out, None
    out.key = key
    meta = store.meta(key, pack) if pack is not None else None
    if meta is not None:
        out.cached, out.pack = True, meta["pack"]
        if meta.get("skip"):
            out.skip, out.not_activity = meta["skip"], bool(meta.get("not_activity"))
            return out, None
        acts = store.load(key, "activities")
        hist = store.load(key, "hr_hist")
        if acts is not None and hist is not None:
            out.warnings = list(meta.get("warnings", []))
            return out, {"activities": acts, "hr_hist": hist}
        out.cached, out.pack = False, None
    try:
        parsed = (_gpx_columns(data, entry.name) if entry.format == "gpx"
                  else read_tables(data, entry.format, entry.name))
        if not len(parsed.activities):
            raise NotAnActivityError(entry.name, "no activity in the file")
    except RunbackError as e:
        out.skip = getattr(e, "reason", None) or str(e)
        out.not_activity = isinstance(e, NotAnActivityError)
        return out, None
    except Exception as e:  # noqa: BLE001 - a bug must not stop the batch; not cached
        out.skip = _unexpected(e)
        return out, None
    return out, parsed


def _gpx_columns(data: bytes, name: str) -> ParsedColumns:
    """:func:`runback.io.gpx.read_gpx_columns`: a GPX file's tables as arrays, joined
    with the batch's rather than made into frames of their own."""
    from runback.io.gpx import read_gpx_columns

    return read_gpx_columns(data, name)


def _spike_warnings(acts: pd.DataFrame) -> list[str]:
    """One warning per activity that lost GPS fixes to the spike rule, with the count."""
    if "gps_spikes" not in acts.columns:
        return []
    multi = len(acts) > 1
    return [f"{f'part {part}: ' if multi else ''}{int(n)} GPS {'fix' if n == 1 else 'fixes'} "
            f"dropped for an implausible speed (over {MAX_SPEED_M_S:.0f} m/s)"
            for part, n in zip(acts["part"], acts["gps_spikes"], strict=True)
            if pd.notna(n) and n > 0]


@dataclass
class _Batch:
    """The raw tables of a batch of parsed files, each table one frame, with the number of
    the file (its place in the batch) each row came from."""

    n: int
    tables: dict[str, Rows]

    @classmethod
    def of(cls, parsed_files: list[ParsedFile | ParsedColumns]) -> _Batch:
        """The batch of ``parsed_files``: the arrays of every file read as arrays
        (:class:`~runback.io.base.ParsedColumns`) become one frame per table at once."""
        tables = {}
        for table in ("activities", "samples", "laps"):
            arrays, frames, array_files, frame_files = [], [], [], []
            for j, p in enumerate(parsed_files):
                t = getattr(p, table)
                if t is None or not len(t):
                    continue
                as_frame = isinstance(t, pd.DataFrame)
                (frames if as_frame else arrays).append(t)
                (frame_files if as_frame else array_files).append(
                    np.full(len(t), j, dtype="int64"))
            parts = ([schema.concat_columns(f"raw_{table}", arrays)] if arrays else []) + frames
            if not parts:
                tables[table] = Rows(schema.empty(f"raw_{table}"), np.empty(0, dtype="int64"))
                continue
            frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
            tables[table] = Rows(frame, np.concatenate(array_files + frame_files))
        return cls(len(parsed_files), tables)

    def file(self, j: int) -> _Batch:
        """The batch of file ``j`` alone."""
        tables = {}
        for name, (frame, files) in self.tables.items():
            mine = files == j
            tables[name] = Rows(frame[mine].reset_index(drop=True),
                                np.zeros(int(mine.sum()), dtype="int64"))
        return _Batch(1, tables)


def _summarize(batch: _Batch) -> tuple[list, list[Rows], list[Rows]]:
    """Session summaries of a batch of files, as rows of two batch tables.

    Returns ``(errors, activities, hr_hist)``: the exception each file raised (None when
    it gave its summary), and the rows of the activities table (each file's activities
    joined with their session summary and ``n_samples``) and of the long heart-rate
    histogram (part, bpm, seconds), which cover every file without an error. When the
    batch pass fails, each file is summarised on its own, so one bad file cannot take its
    neighbours down with it.
    """
    if batch.n > 1:
        try:
            return [None] * batch.n, *_summarize_all(batch)
        except Exception:  # noqa: BLE001 - find the culprit file by file
            pass
    errors, acts, hists = [], [], []
    for j in range(batch.n):
        try:
            [(a, _)], [(h, _)] = _summarize_all(batch.file(j))  # one piece each
        except Exception as e:  # noqa: BLE001 - reported per file by the caller
            errors.append(e)
            continue
        errors.append(None)
        acts.append(Rows(a, np.full(len(a), j)))
        hists.append(Rows(h, np.full(len(h), j)))
    return errors, acts, hists


def _summarize_all(batch: _Batch) -> tuple[list[Rows], list[Rows]]:
    """The activities and heart-rate rows of :func:`_summarize`, in one pass."""
    samples, files = batch.tables["samples"]
    summary, hists = None, []
    ids = np.empty(0, dtype="int64")
    if len(samples):
        ids = files * _PART_STRIDE + samples["part"].to_numpy(dtype="int64")
        s = samples.drop(columns="part")
        s["activity_id"] = ids  # numbers: cheaper to make and to group than strings
        summary = summarize_samples(s)
        summary.index = summary.index.astype("int64")
        wide = hr_histogram(s)
        wide.index = wide.index.astype("int64")
        long = wide.stack()
        long = long[long > 0]
        hid = long.index.get_level_values(0).to_numpy()
        table = pd.DataFrame({
            "part": hid % _PART_STRIDE,
            "bpm": long.index.get_level_values(1).astype("int64"),
            "seconds": long.to_numpy(dtype="float64"),
        })
        hists.append(Rows(table, hid // _PART_STRIDE))
    else:
        hists.append(Rows(empty_hist(), np.empty(0, dtype="int64")))
    acts = _with_summaries(*batch.tables["activities"], summary, ids)
    return acts, hists


def _with_summaries(activities: pd.DataFrame, file_no: np.ndarray,
                    summary: pd.DataFrame | None, ids: np.ndarray) -> list[Rows]:
    """The batch's ``activities`` (file numbers ``file_no``) joined with their rows of the
    batch ``summary`` (on file and ``part``), with ``n_samples``, the count of their
    samples in ``ids``, as rows of one table.

    ``summary`` is indexed and ``ids`` are numbered as file number * :data:`_PART_STRIDE`
    + part. The files whose every activity has a summary row (usually all) are joined in
    one pass, into one frame; the others are joined one by one, which gives the columns a
    file without samples has, and the dtypes an activity without a summary row gives.
    """
    if not len(activities):
        return []
    act_ids = file_no * _PART_STRIDE + activities["part"].to_numpy(dtype="int64")
    counted, counts = np.unique(ids, return_counts=True)
    at = np.searchsorted(counted, act_ids)
    found = at < len(counted)
    found[found] = counted[at[found]] == act_ids[found]
    n_samples = np.zeros(len(act_ids), dtype="int64")
    n_samples[found] = counts[at[found]]
    if summary is None:
        return [Rows(activities.assign(n_samples=n_samples), file_no)]
    n_files = int(file_no.max()) + 1
    sid = summary.index.to_numpy()
    pos = summary.index.get_indexer(act_ids)
    unmatched = np.bincount(file_no[pos < 0], minlength=n_files) > 0
    summarised = np.isin(np.arange(n_files), sid // _PART_STRIDE)
    whole = summarised & ~unmatched
    rows = whole[file_no]
    labels = list(activities.columns)
    extra = summary.drop(columns=[c for c in summary.columns if c in labels])
    out: list[Rows] = []
    if rows.any():
        own = activities if rows.all() else activities[rows].reset_index(drop=True)
        joined = pd.concat([own, extra.iloc[pos[rows]].reset_index(drop=True)], axis=1)
        joined["n_samples"] = n_samples[rows]
        out.append(Rows(joined, file_no[rows]))
    by_part = summary.set_axis(pd.Index(sid % _PART_STRIDE, name="part"), axis=0)
    for j in np.unique(file_no[~rows]):
        mine = file_no == j
        a = activities[mine].reset_index(drop=True)
        if summarised[j]:
            own = by_part[sid // _PART_STRIDE == j]
            a = a.join(own.drop(columns=[c for c in own.columns if c in a.columns]), on="part")
        out.append(Rows(a.assign(n_samples=n_samples[mine]), file_no[mine]))
    return out
