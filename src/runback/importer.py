"""Import everything a runner hands over into one ``activities`` table.

::

    paths -> io.exports.iter_entries -> (load bytes, content key)
          -> store hit?  yes: stored activities + heart-rate histogram
                         no:  reader -> session summary -> store
          -> activities.csv rows joined to the files they name (Strava exports)
          -> local days (timezones) -> surface, is_run -> duplicates merged

One unreadable file never stops the batch: it is recorded in ``skipped`` with the reason
and the import carries on (``strict=True`` raises instead). Files that are valid but hold
no activity (FIT monitoring, settings; GPX routes) are skipped with their reason too, but
never count as failures, even with ``strict``.
"""

from __future__ import annotations

import json
import os
import posixpath
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from runback import schema, timezones
from runback.dedupe import LOG_FORMATS, LOG_TOTALS, merge_duplicates
from runback.errors import NotAnActivityError, ReadError, RunbackError
from runback.io._dispatch import read_tables
from runback.io.base import ParsedColumns, ParsedFile
from runback.io.exports import Entry, Skip, iter_entries
from runback.metrics.intensity import hr_histogram
from runback.metrics.session import MAX_SPEED_M_S, summarize_samples
from runback.metrics.terrain import TERRAIN_COLUMNS, surfaces
from runback.store import Store, content_key, key_column
from runback.timezones import resolve_local_dates

__all__ = ["ImportResult", "import_activities", "process_entry", "process_entries",
           "FileOutcome"]

#: Process files in parallel when at least this many need parsing.
PARALLEL_MIN_FILES = 24
#: Files summarised together in one vectorised pass.
BATCH_FILES = 64

_SUMMARY_FALLBACKS = {
    # activities column <- device / log column, used when the record stream gives nothing
    "elapsed_time_s": "device_elapsed_s",
    "moving_time_s": "device_moving_s",
    "elevation_gain_m": "device_ascent_m",
    "elevation_loss_m": "device_descent_m",
    "avg_hr_bpm": "device_avg_hr_bpm",
    "max_hr_bpm": "device_max_hr_bpm",
}


@dataclass
class FileOutcome:
    """What one file gave: its activities (part-keyed) or the reason it was skipped."""

    name: str
    root: str
    rel: str
    key: str | None = None
    activities: pd.DataFrame | None = None
    hr_hist: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)
    skip: str | None = None
    not_activity: bool = False
    cached: bool = False
    pack: str | None = None


@dataclass
class ImportResult:
    """The outcome of an import.

    Attributes
    ----------
    activities : DataFrame
        The ``activities`` table, one row per run or other activity, sorted by start.
    hr_hist : DataFrame
        Seconds at each heart rate: index activity_id, columns bpm.
    skipped : DataFrame
        name, reason, not_activity (bool) for every file that gave no activity.
    warnings : list of str
        Things the user should know ("file.fit: file is truncated at byte ...").
    n_files : int
        Files looked at.
    n_parsed : int
        Files parsed in this run (the rest came from the cache); the same bytes given
        twice are parsed once.
    """

    activities: pd.DataFrame
    hr_hist: pd.DataFrame
    skipped: pd.DataFrame
    warnings: list[str]
    n_files: int
    n_parsed: int
    store: Store

    @property
    def n_imported(self) -> int:
        """Files that gave at least one activity."""
        return self.n_files - len(self.skipped)

    def samples(self, activity_ids=None) -> pd.DataFrame:
        """The record stream of the given activities (all when None), from the cache."""
        acts = self.activities
        if activity_ids is not None:
            acts = acts[acts["activity_id"].isin(list(activity_ids))]
        frames = []
        for key, rows in acts.groupby("file_key", sort=False):
            s = self.store.load_many([key], "samples")
            if s is None:
                continue
            parts = dict(zip(rows["part"], rows["activity_id"], strict=True))
            s = s[s["part"].isin(list(parts))]
            s = s.assign(activity_id=s["part"].map(parts)).drop(columns=["part", "key"])
            frames.append(s)
        if not frames:
            return schema.empty("samples")
        return schema.conform(pd.concat(frames, ignore_index=True), "samples", extra=False)


def process_entry(entry: Entry, cache_root: str | None = None,
                  key: str | None = None) -> FileOutcome:
    """Read one entry through the cache. Never raises for a bad file."""
    return process_entries([entry], cache_root, [key])[0]


def process_entries(entries: list[Entry], cache_root: str | None = None,
                    keys: list[str | None] | None = None,
                    packs: list[str | None] | None = None) -> list[FileOutcome]:
    """Read a batch of entries through the cache. Never raises for a bad file.

    Each file is read on its own; the session summaries of every file read are then
    computed in one vectorised pass over all their records (:func:`_summarize_pieces`),
    which costs a fraction of summarising file by file, and they are stored together as
    one pack (:meth:`runback.store.Store.put_pieces`). ``keys`` are the content keys when
    the caller has them already; ``packs``, when given, the pack holding each key
    (:meth:`runback.store.Store.locate`, None for a key no pack holds), so that the
    cache is not searched again here.
    """
    outcomes, tables = _process_batch(entries, cache_root, keys, packs)
    read = {o.key: o for o in outcomes if o.skip is None and o.key is not None}
    for table in ("activities", "hr_hist"):
        if tables[table] is not None:
            for key, own in tables[table].groupby("key", sort=False):
                setattr(read[key], table, own.drop(columns="key").reset_index(drop=True))
    for o in read.values():
        if o.hr_hist is None:
            o.hr_hist = _empty_hist()
    return outcomes


def _process_batch(entries: list[Entry], cache_root: str | None, keys: list[str | None],
                   packs: list[str | None] | None = None
                   ) -> tuple[list[FileOutcome], dict[str, pd.DataFrame | None]]:
    """:func:`process_entries` with the batch's tables handed over whole.

    Returns the outcomes without their frames, and the ``activities`` and ``hr_hist``
    rows of every file read, each table one frame with a column ``key`` (None when
    empty): a worker sends a few frames back instead of two per file, and the tables
    are never cut apart per file.
    """
    store = Store(cache_root)
    keys = list(keys) if keys is not None else [None] * len(entries)
    look = [True] * len(entries) if packs is None else packs
    outcomes, parsed_files, metas = [], [], []
    # what came from the cache, one entry at a time, is handed back, not stored again
    handed: dict[str, list] = {"activities": [], "hr_hist": []}
    for entry, key, pack in zip(entries, keys, look, strict=True):
        out, parsed = _read_entry(entry, store, key, pack)
        outcomes.append(out)
        if parsed is not None:
            parsed_files.append((entry, out, parsed))
        elif out.activities is not None:
            for table in handed:
                frame = getattr(out, table)
                handed[table].append((frame, np.full(len(frame), out.key, dtype=object),
                                      [out.key]))
            out.activities = out.hr_hist = None
        elif out.key is not None and out.skip is not None and not out.cached \
                and not _is_unexpected(out):
            metas.append((out.key, {"name": entry.name, "skip": out.skip,
                                    "not_activity": out.not_activity}))
    pieces: dict[str, list] = {t: [] for t in ("activities", "samples", "laps", "hr_hist")}
    try:
        batch = _Batch.of([p for _, _, p in parsed_files])
    except Exception:  # noqa: BLE001 - a bug must not stop the batch: find the file
        parsed_files = _as_frames(parsed_files)
        batch = _Batch.of([p for _, _, p in parsed_files])
    errors, acts, hists = _summarize_pieces(batch)
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
            frame, files = batch.table(table)
            if len(good) < batch.n:
                keep = np.isin(files, good)
                frame, files = frame[keep].reset_index(drop=True), files[keep]
            # one piece holds the table of every file stored, rows or none
            pieces[table].append((frame, file_keys[files], list(file_keys[good])))
    for table, parts in (("activities", acts), ("hr_hist", hists)):
        # each file's table is the piece holding its rows; a file without rows (no heart
        # rate) takes the first piece's, of the same layout
        named, covered = [], set()
        for frame, files in parts:
            row_keys = file_keys[files]
            named.append([frame, row_keys, list(dict.fromkeys(row_keys))])
            covered.update(named[-1][2])
        if named:
            named[0][2] += [k for k in file_keys[good] if k not in covered]
        pieces[table] += [tuple(n) for n in named]
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
    tables = {}
    for table in ("activities", "hr_hist"):
        parts = [(f, r) for f, r, _ in handed[table] + pieces[table] if len(f)]
        tables[table] = None if not parts else pd.concat(
            [f.assign(key=key_column(r)) for f, r in parts], ignore_index=True)
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


def _is_unexpected(out: FileOutcome) -> bool:
    """Whether the outcome is a bug's error (never cached, so it is retried)."""
    return out.skip is not None and out.skip.startswith("unexpected error")


def _unexpected(e: Exception) -> str:
    return f"unexpected error while reading ({type(e).__name__}: {e}); please report it"


def _read_entry(entry: Entry, store: Store, key: str | None, pack: str | bool | None = True):
    """``(outcome, parsed)``: parsed is None when the outcome is final (cached or skipped)."""
    out = FileOutcome(entry.name, entry.root, entry.rel)
    try:
        data = entry.load()
    except ReadError as e:
        out.skip = e.reason
        return out, None
    out.key = key = key or content_key(data)
    # pack: True to search the cache, a pack's name to look there only, None not to look
    meta = None if pack is None else store.meta(key, pack if isinstance(pack, str) else None)
    if meta is not None:
        if meta.get("skip"):
            out.skip, out.not_activity = meta["skip"], bool(meta.get("not_activity"))
            out.cached, out.pack = True, meta["pack"]
            return out, None
        acts = store.load(key, "activities")
        hist = store.load(key, "hr_hist")
        if acts is not None and hist is not None:
            out.activities, out.hr_hist = acts, hist
            out.warnings = list(meta.get("warnings", []))
            out.cached, out.pack = True, meta["pack"]
            return out, None
    try:
        parsed = read_tables(data, entry.format, entry.name)
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


def _spike_warnings(acts: pd.DataFrame) -> list[str]:
    """One warning per activity that lost GPS fixes to the spike rule, with the count."""
    if "gps_spikes" not in acts.columns:
        return []
    multi = len(acts) > 1
    return [f"{f'part {part}: ' if multi else ''}{int(n)} GPS {'fix' if n == 1 else 'fixes'} "
            f"dropped for an implausible speed (over {MAX_SPEED_M_S:.0f} m/s)"
            for part, n in zip(acts["part"], acts["gps_spikes"], strict=True)
            if pd.notna(n) and n > 0]


def _index_lookup(index: dict) -> dict[str, tuple]:
    """Cache index ``files`` rows by key: (pack, skip, not_activity, warnings)."""
    if not index:
        return {}
    f = index["files"]
    return dict(zip(f["key"], zip(f["pack"], f["skip"], f["not_activity"], f["warnings"],
                                  strict=True), strict=True))


def _from_index(entry: Entry, key: str, row: tuple) -> FileOutcome:
    """The outcome of a file found in the cache index; its tables stay in the index.

    ``activities`` stays None: :func:`_assemble` takes the rows of every indexed file from
    the index tables in one selection.
    """
    pack, skip, not_activity, warnings = row
    out = FileOutcome(entry.name, entry.root, entry.rel, key=key, cached=True, pack=pack)
    out.warnings = json.loads(warnings) if isinstance(warnings, str) else []
    if isinstance(skip, str):
        out.skip, out.not_activity = skip, bool(not_activity)
    return out


def _index_rows(outcomes: list[FileOutcome],
                tables: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Index rows for the outcomes stored in this run, with the batch ``tables`` of their
    rows (see :func:`_process_batch`)."""
    files = [{"key": o.key, "pack": o.pack, "skip": o.skip, "not_activity": o.not_activity,
              "warnings": json.dumps(o.warnings)}
             for o in outcomes if o.key is not None and o.pack is not None]
    stored = {f["key"] for f in files}
    files_df = pd.DataFrame(files, columns=["key", "pack", "skip", "not_activity", "warnings"])
    files_df = files_df.astype({"key": "string", "pack": "string", "skip": "string",
                                "not_activity": "bool", "warnings": "string"})
    out = {"files": files_df}
    for table in ("activities", "hr_hist"):
        frames = [t[table] for t in tables if t.get(table) is not None]
        frames = [_rows_of(f, stored) for f in frames]
        frames = [f for f in frames if len(f)]
        out[table] = pd.concat(frames, ignore_index=True) if frames else _EMPTY_INDEX[table]()
    return out


def _rows_of(frame: pd.DataFrame, keys: set[str]) -> pd.DataFrame:
    """The rows of ``frame`` whose ``key`` is in ``keys`` (a set test per row: cheaper than
    ``isin``, which converts the whole set for each frame)."""
    mine = np.fromiter((k in keys for k in frame["key"].to_numpy(object)), bool, len(frame))
    return frame if mine.all() else frame[mine]


_EMPTY_INDEX = {
    "activities": lambda: schema.empty("raw_activities").assign(
        key=pd.Series([], dtype="string")),
    "hr_hist": lambda: _empty_hist().assign(key=pd.Series([], dtype="string")),
}


#: Parts of one file in a batch summary: activity id = file number * stride + part.
_PART_STRIDE = 1_000_000


#: A part of a batch's table: ``(frame, file number of each row)``.
Piece = tuple[pd.DataFrame, np.ndarray]


def _empty_hist() -> pd.DataFrame:
    return pd.DataFrame({"part": pd.Series([], dtype="int64"),
                         "bpm": pd.Series([], dtype="int64"),
                         "seconds": pd.Series([], dtype="float64")})


@dataclass
class _Batch:
    """The raw tables of a batch of parsed files, each table one frame, with the number of
    the file (its place in the batch) each row came from."""

    n: int
    tables: dict[str, tuple[pd.DataFrame, np.ndarray]]

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
                tables[table] = (schema.empty(f"raw_{table}"), np.empty(0, dtype="int64"))
                continue
            frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
            tables[table] = (frame, np.concatenate(array_files + frame_files))
        return cls(len(parsed_files), tables)

    def table(self, name: str) -> tuple[pd.DataFrame, np.ndarray]:
        """``(frame, file number of each row)`` of ``activities``, ``samples`` or ``laps``."""
        return self.tables[name]

    def file(self, j: int) -> _Batch:
        """The batch of file ``j`` alone."""
        tables = {}
        for name, (frame, files) in self.tables.items():
            mine = files == j
            tables[name] = (frame[mine].reset_index(drop=True), np.zeros(int(mine.sum()),
                                                                        dtype="int64"))
        return _Batch(1, tables)


def _summarize_many(parsed_files: list) -> list:
    """Session summaries of many parsed files in one vectorised pass.

    Returns, per file, ``(activities, hr_hist)``: the file's activities joined with their
    session summary and ``n_samples``, and its long heart-rate histogram (part, bpm,
    seconds); or the exception that file raised. See :func:`_summarize_pieces`.
    """
    errors, acts, hists = _summarize_pieces(_Batch.of(parsed_files))
    return _cut(errors, acts, hists)


def _summarize_pieces(batch: _Batch) -> tuple[list, list[Piece], list[Piece]]:
    """Session summaries of a batch of files, as the pieces of two batch tables.

    Returns ``(errors, activities, hr_hist)``: the exception each file raised (None when
    it gave its summary), and the pieces of the activities table (each file's
    activities joined with their session summary and ``n_samples``) and of the long
    heart-rate histogram (part, bpm, seconds), which cover every file without an error.
    When the batch pass fails, each file is summarised on its own, so one bad file cannot
    take its neighbours down with it.
    """
    if batch.n > 1:
        try:
            return [None] * batch.n, *_summarize_batch_pieces(batch)
        except Exception:  # noqa: BLE001 - find the culprit file by file
            pass
    errors, acts, hists = [], [], []
    for j in range(batch.n):
        try:
            [(a, _)], [(h, _)] = _summarize_batch_pieces(batch.file(j))  # one piece each
        except Exception as e:  # noqa: BLE001 - reported per file by the caller
            errors.append(e)
            continue
        errors.append(None)
        acts.append((a, np.full(len(a), j)))
        hists.append((h, np.full(len(h), j)))
    return errors, acts, hists


def _summarize_batch(parsed_files: list) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """Session summaries (part-keyed) and long heart-rate histograms of parsed files,
    file by file (raises when the batch pass fails)."""
    acts, hists = _summarize_batch_pieces(_Batch.of(parsed_files))
    return _cut([None] * len(parsed_files), acts, hists)


def _cut(errors: list, acts: list[Piece], hists: list[Piece]) -> list:
    """Per file, ``(activities, hr_hist)`` cut from the pieces, or its error."""
    out: list = list(errors)
    own: dict[int, list] = {j: [None, _empty_hist()] for j, e in enumerate(errors) if e is None}
    for slot, pieces in ((0, acts), (1, hists)):
        for frame, files in pieces:
            for j in np.unique(files):
                own[int(j)][slot] = frame[files == j].reset_index(drop=True)
    for j, (a, h) in own.items():
        out[j] = (a, h)
    return out


def _summarize_batch_pieces(batch: _Batch) -> tuple[list[Piece], list[Piece]]:
    """The activities and heart-rate pieces of :func:`_summarize_pieces`, in one pass."""
    samples, files = batch.table("samples")
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
        hists.append((table, hid // _PART_STRIDE))
    else:
        hists.append((_empty_hist(), np.empty(0, dtype="int64")))
    acts = _with_summaries(*batch.table("activities"), summary, ids)
    return acts, hists


def _with_summaries(activities: pd.DataFrame, file_no: np.ndarray,
                    summary: pd.DataFrame | None, ids: np.ndarray) -> list[Piece]:
    """The batch's ``activities`` (file numbers ``file_no``) joined with their rows of the
    batch ``summary`` (on file and ``part``), with ``n_samples``, the count of their
    samples in ``ids``, as pieces of one table.

    ``summary`` is indexed and ``ids`` are numbered as file number * :data:`_PART_STRIDE`
    + part. The files whose every activity has a summary row (usually all) are joined in
    one pass, into one piece; the others are joined one by one, which gives the columns a
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
        return [(activities.assign(n_samples=n_samples), file_no)]
    n_files = int(file_no.max()) + 1
    sid = summary.index.to_numpy()
    pos = summary.index.get_indexer(act_ids)
    unmatched = np.bincount(file_no[pos < 0], minlength=n_files) > 0
    summarised = np.isin(np.arange(n_files), sid // _PART_STRIDE)
    whole = summarised & ~unmatched
    rows = whole[file_no]
    labels = list(activities.columns)
    extra = summary.drop(columns=[c for c in summary.columns if c in labels])
    out: list[Piece] = []
    if rows.any():
        own = activities if rows.all() else activities[rows].reset_index(drop=True)
        joined = pd.concat([own, extra.iloc[pos[rows]].reset_index(drop=True)], axis=1)
        joined["n_samples"] = n_samples[rows]
        out.append((joined, file_no[rows]))
    by_part = summary.set_axis(pd.Index(sid % _PART_STRIDE, name="part"), axis=0)
    for j in np.unique(file_no[~rows]):
        mine = file_no == j
        a = activities[mine].reset_index(drop=True)
        if summarised[j]:
            own = by_part[sid // _PART_STRIDE == j]
            a = a.join(own.drop(columns=[c for c in own.columns if c in a.columns]), on="part")
        out.append((a.assign(n_samples=n_samples[mine]), file_no[mine]))
    return out


def import_activities(paths, *, tz: str | None = None, tz_source: str = "option",
                      strict: bool = False, cache_dir=None, workers: int | None = None,
                      progress=None, exclude=()) -> ImportResult:
    """Import activity files, folders and export archives.

    Parameters
    ----------
    paths : iterable of path
        Files (.fit .gpx .tcx .csv, optionally .gz), folders and .zip archives.
    tz : str, optional
        Time zone that overrides the automatic choice for local days.
    tz_source : str
        ``option`` or ``profile``: where ``tz`` came from.
    strict : bool
        Raise on the first unreadable file instead of skipping it.
    cache_dir : path, optional
        Cache folder (default: :func:`runback.store.default_cache_dir`).
    workers : int, optional
        Processes for parsing (default: every core when many files need parsing).
    progress : callable, optional
        Called as ``progress(done, total)`` while files are processed.
    exclude : iterable of path
        Files to leave out silently even when a folder walk meets them or they are named
        (the pain diary kept beside the activities); compared by resolved path.

    Raises
    ------
    ReadError
        With ``strict``, for the first unreadable file.
    """
    store = Store(cache_dir)
    cache_root = str(store.root)
    found = list(iter_entries(paths, exclude=exclude, extract_dir=store.root / "extracts"))
    outcomes: list[FileOutcome] = [
        FileOutcome(s.name, s.name, s.name, skip=s.reason) for s in found if isinstance(s, Skip)
    ]
    if strict and outcomes:
        raise ReadError(outcomes[0].name, outcomes[0].skip)
    index = store.read_index()
    known = _index_lookup(index)
    todo: dict[str, Entry] = {}
    sizes: dict[str, int] = {}
    again: list[tuple[Entry, str]] = []  # the same bytes as a file in todo
    for entry in (e for e in found if isinstance(e, Entry)):
        try:
            data = entry.load()
            key = content_key(data)
        except ReadError as e:
            outcomes.append(FileOutcome(entry.name, entry.root, entry.rel, skip=e.reason))
            continue
        row = known.get(key)
        if row is not None:
            outcomes.append(_from_index(entry, key, row))
        elif key in todo:
            again.append((entry, key))
        else:
            todo[key], sizes[key] = entry, len(data)
    for o in outcomes:
        _check_strict(o, strict)
    # files stored by an import whose index write was lost (or another running import)
    stored = store.locate(todo) if todo else {}
    # largest files first, so the last batches are short and no core waits long at the end
    order = sorted(todo, key=lambda k: -sizes[k])
    fresh, tables = _process_all([(k, todo[k], stored.get(k)) for k in order], cache_root,
                                 workers, progress, strict, done=len(outcomes))
    place = {k: i for i, k in enumerate(todo)}
    fresh.sort(key=lambda o: place.get(o.key, len(place)))  # back in the order found
    by_key = {o.key: o for o in fresh}
    fresh += [replace(by_key[key], name=e.name, root=e.root, rel=e.rel) for e, key in again]
    store.update_index(_index_rows(fresh, tables))
    if index:
        wanted = {o.key for o in outcomes if o.key is not None}
        tables.append({t: index[t][index[t]["key"].isin(wanted)] for t in ("activities",
                                                                          "hr_hist")})
    return _assemble(outcomes + fresh, tables, store, tz=tz, tz_source=tz_source)


def _check_strict(o: FileOutcome, strict: bool) -> None:
    if strict and o.skip and not o.not_activity:
        raise ReadError(o.name, o.skip)


def _process_all(todo, cache_root, workers, progress, strict, done=0):
    """Outcomes of the ``(key, entry, pack)`` items of ``todo``, and their batches' tables."""
    total = len(todo) + done
    results: list[FileOutcome] = []
    tables: list[dict[str, pd.DataFrame]] = []

    def record(batch):
        outs, batch_tables = batch
        tables.append(batch_tables)
        for o in outs:
            _check_strict(o, strict)
            results.append(o)
        if progress is not None:
            progress(done + len(results), total)

    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    parallel = n_workers > 1 and len(todo) >= PARALLEL_MIN_FILES
    size = max(1, min(BATCH_FILES, len(todo) // (4 * n_workers))) if parallel else BATCH_FILES
    batches = [todo[i:i + size] for i in range(0, len(todo), size)]
    args = ([[e for _, e, _ in b] for b in batches], [cache_root] * len(batches),
            [[k for k, _, _ in b] for b in batches], [[p for _, _, p in b] for b in batches])
    if parallel:
        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            done_batches = pool.map(_process_batch, *args)
            timezones.load_finder()  # while the workers parse: local days need it next
            for batch in done_batches:
                record(batch)
    else:
        for batch in map(_process_batch, *args):
            record(batch)
    return results, tables


def _assemble(outcomes: list[FileOutcome], tables: list[dict[str, pd.DataFrame]],
              store: Store, *, tz, tz_source) -> ImportResult:
    """The import's result from its outcomes and the tables of their rows (with ``key``).

    Each key's rows must be in ``tables`` once; outcomes naming the same key are one file
    given twice.
    """
    warnings: list[str] = []
    skipped = []
    first: dict[str, FileOutcome] = {}
    also: dict[str, str] = {}
    for o in outcomes:
        warnings += [f"{o.name}: {w}" for w in o.warnings]
        if o.skip is not None:
            skipped.append((o.name, o.skip, o.not_activity))
            continue
        if o.key in first:  # the same file given twice
            also[o.key] = also.get(o.key, "") + f" | {o.name}"
            continue
        first[o.key] = o
    frames = [t["activities"] for t in tables if t.get("activities") is not None]
    hists = [t["hr_hist"] for t in tables if t.get("hr_hist") is not None]
    acts = _identify(frames, first, also)
    acts = _join_logs(acts)
    acts = _fill_from_device(acts)
    no_time = acts["start_time"].isna() & acts["local_start"].isna()
    if no_time.any():
        for name in acts.loc[no_time, "source_path"]:
            warnings.append(f"{name}: an activity without a date was left out")
        acts = acts[~no_time]
    acts, tz_warn = _local_dates(acts, store, tz=tz, tz_source=tz_source)
    warnings += tz_warn
    surface = surfaces(acts)
    # a log row without samples says nothing about GPS: no treadmill inference for it
    guessed = (acts["n_samples"] == 0) & (surface == "treadmill") & ~acts["sub_sport"].isin(
        ["treadmill", "indoor_running", "virtual_activity"]).fillna(False)
    acts["surface"] = surface.mask(guessed, "unknown")
    # a treadmill has no grade: its load counts, its terrain does not (science.md 3)
    acts.loc[acts["surface"] == "treadmill", list(TERRAIN_COLUMNS)] = float("nan")
    acts["is_run"] = (acts["sport"] == "running").astype("boolean")
    acts = merge_duplicates(acts)
    acts = acts.sort_values(["start_time", "activity_id"], kind="stable").reset_index(drop=True)
    acts = schema.conform(acts, "activities")
    hist = _hist_wide(hists, acts)
    skipped_df = pd.DataFrame(skipped, columns=["name", "reason", "not_activity"]).astype(
        {"name": "string", "reason": "string", "not_activity": "bool"})
    n_parsed = len({o.key for o in outcomes if o.key is not None and not o.cached})
    # a Store of its own: it finds every pack written by this import's workers
    return ImportResult(acts, hist, skipped_df, warnings, len(outcomes), n_parsed,
                        Store(store.root))


def _local_dates(acts: pd.DataFrame, store: Store, *, tz, tz_source):
    """:func:`runback.timezones.resolve_local_dates`, with the zones of places met in
    earlier runs kept in the cache (a re-run then needs no zone finder)."""
    note = store.read_note("zones")
    kept = {}
    if isinstance(note, dict):
        timezones.remember_zones(note.get("version"), note.get("zones"))
        zones = note.get("zones")
        if note.get("version") == timezones.zone_memo()[0] and isinstance(zones, dict):
            kept = zones
    result = resolve_local_dates(acts, tz=tz, source=tz_source)
    version, memo = timezones.zone_memo()
    if not set(memo) <= set(kept):
        store.write_note("zones", {"version": version, "zones": memo})
    return result


def _identify(frames: list[pd.DataFrame], first: dict[str, FileOutcome],
              also: dict[str, str]) -> pd.DataFrame:
    """One ``activities`` frame from per-file rows (with ``key``): ids, sources, entry paths.

    An activity's id is its file's key cut to 16 hex digits, with ``-<part>`` when the file
    holds several activities.
    """
    extra = {"part": pd.Series([], dtype="int64"), "file_key": pd.Series([], dtype="string"),
             "entry_root": pd.Series([], dtype="string"),
             "entry_rel": pd.Series([], dtype="string")}
    frames = [f for f in frames if len(f)]
    if not frames:
        return schema.empty("activities").assign(**extra)
    acts = pd.concat(frames, ignore_index=True)
    keys = list(first)
    files = pd.DataFrame({
        "key": pd.array(keys, dtype="string"),
        "source_path": pd.array([first[k].name for k in keys], dtype="string"),
        "sources": pd.array([first[k].name + also.get(k, "") for k in keys], dtype="string"),
        "entry_root": pd.array([first[k].root for k in keys], dtype="string"),
        "entry_rel": pd.array([first[k].rel for k in keys], dtype="string"),
    })
    acts = acts.drop(columns=[c for c in files.columns if c != "key" and c in acts.columns])
    acts = acts.merge(files, on="key", how="left", validate="many_to_one")
    acts["key"] = acts["key"].astype("string")
    short = acts["key"].str.slice(0, 16)
    multi = acts.groupby("key", sort=False)["part"].transform("size") > 1
    acts["activity_id"] = short.where(~multi, short + "-" + acts["part"].astype("string"))
    acts = acts.rename(columns={"key": "file_key"})
    # the same order whether rows came from the parser or the cache index
    acts = acts.sort_values(["source_path", "part"], kind="stable", ignore_index=True)
    return schema.conform(acts, "activities")


def _hist_wide(hists: list[pd.DataFrame], acts: pd.DataFrame) -> pd.DataFrame:
    """Seconds per bpm, one row per activity of ``acts``, from long per-file histograms."""
    hists = [h for h in hists if len(h)]
    if not hists:
        return pd.DataFrame(index=pd.Index([], name="activity_id", dtype="string"))
    long = pd.concat(hists, ignore_index=True)
    ids = acts[["file_key", "part", "activity_id"]].rename(columns={"file_key": "key"})
    long = long.astype({"key": "string"}).merge(ids, on=["key", "part"], how="inner")
    wide = long.pivot_table(index="activity_id", columns="bpm", values="seconds",
                            aggfunc="sum", fill_value=0.0)
    wide.columns = wide.columns.astype("int64")
    return wide


def _join_logs(acts: pd.DataFrame) -> pd.DataFrame:
    """Merge activity-log rows (Strava activities.csv) into the files they name.

    The log's name, description, shoe and RPE win over the file's (they are the user's own
    edits); a row whose file is absent stays as a summary-only activity.
    """
    has_ref = acts["file_ref"].notna() & acts["format"].isin(LOG_FORMATS)
    if not has_ref.any():
        return acts
    files = acts[~acts["format"].isin(LOG_FORMATS)]
    where = {(r, rel): i for i, r, rel in zip(files.index, files["entry_root"],
                                               files["entry_rel"], strict=True)}
    acts = acts.copy()
    drop = []
    for i in acts.index[has_ref]:
        base = posixpath.dirname(acts.at[i, "entry_rel"])
        ref = posixpath.normpath(posixpath.join(base, str(acts.at[i, "file_ref"])))
        target = where.get((acts.at[i, "entry_root"], ref))
        if target is None:
            continue
        for col in ("name", "description", "shoe", "rpe"):
            if pd.notna(acts.at[i, col]):
                acts.at[target, col] = acts.at[i, col]
        for col in LOG_TOTALS if acts.at[i, "format"] != "csv" else ():
            if pd.isna(acts.at[target, col]):  # a workout's totals the route lacks
                acts.at[target, col] = acts.at[i, col]
        if acts.at[target, "sport"] in ("unknown", "other") or pd.isna(acts.at[target, "sport"]):
            acts.at[target, "sport"] = acts.at[i, "sport"]
        sub = acts.at[target, "sub_sport"]
        if (pd.isna(sub) or sub in ("generic", "unknown")) and pd.notna(acts.at[i, "sub_sport"]):
            acts.at[target, "sub_sport"] = acts.at[i, "sub_sport"]
        acts.at[target, "sources"] = f"{acts.at[target, 'sources']} | {acts.at[i, 'source_path']}"
        drop.append(i)
    return acts.drop(index=drop)


def _fill_from_device(acts: pd.DataFrame) -> pd.DataFrame:
    """Where the record stream gives nothing, use the device's or the log's totals."""
    acts = acts.copy()
    # the device's own session total is the runner's number (it includes end-of-activity
    # corrections the record stream may lack); the stream's distance is kept beside it
    acts["stream_distance_m"] = acts["distance_m"]
    device = acts["device_distance_m"]
    acts["distance_m"] = device.where(device > 0, acts["distance_m"])
    for col, dev in _SUMMARY_FALLBACKS.items():
        acts[col] = acts[col].fillna(acts[dev])
    acts["moving_time_s"] = acts["moving_time_s"].fillna(acts["device_timer_s"])
    acts["elapsed_time_s"] = acts["elapsed_time_s"].fillna(acts["device_timer_s"])
    acts["has_gps"] = acts["has_gps"].fillna(False)
    acts["n_samples"] = acts["n_samples"].fillna(0)
    return acts
