"""The main process's side of an import: one ``activities`` table from every file's rows.

::

    outcomes + the rows of each file (workers' batches, the cache index)
          -> ids, sources, entry paths -> activities.csv rows joined to the files they name
          -> device totals where the record stream gives none -> local days (timezones)
          -> surface, is_run -> duplicates merged (runback.dedupe) -> ImportResult
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass

import numpy as np
import pandas as pd

from runback import schema, timezones
from runback.dedupe import LOG_FORMATS, LOG_TOTALS, merge_duplicates
from runback.importer.batch import BatchTables, FileOutcome, empty_hist
from runback.metrics.terrain import TERRAIN_COLUMNS, surfaces
from runback.store import Store
from runback.timezones import resolve_local_dates

__all__ = ["ImportResult", "assemble_result", "index_rows"]

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


def index_rows(outcomes: list[FileOutcome],
                tables: list[BatchTables]) -> dict[str, pd.DataFrame]:
    """Index rows for the outcomes stored in this run, with the batch ``tables`` of their
    rows (see :func:`runback.importer.batch.process_batch`)."""
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
    "hr_hist": lambda: empty_hist().assign(key=pd.Series([], dtype="string")),
}


def assemble_result(outcomes: list[FileOutcome], tables: list[BatchTables],
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
    # a treadmill has no grade: its load counts, its terrain does not (docs/methods.md section 3)
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
    # each row's file (keys are unique in ``files``): a lookup, not a join of the frames
    where = pd.Index(files["key"]).get_indexer(acts["key"])
    for col in files.columns.drop("key"):
        acts[col] = files[col].array.take(where, allow_fill=True)
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
    wide = long.groupby(["activity_id", "bpm"])["seconds"].sum().unstack("bpm", fill_value=0.0)
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
