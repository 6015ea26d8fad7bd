"""Import everything a runner hands over into one ``activities`` table.

::

    paths -> scan: files, their content keys, what the cache index knows
          -> batch (worker processes): read, summarise and store the files to parse
          -> assemble: every file's rows -> ids, Strava join, device totals, local days,
             surfaces, duplicates merged -> ImportResult

One unreadable file never stops the batch: it is recorded in ``skipped`` with the reason
and the import carries on (``strict=True`` raises instead). Files that are valid but hold
no activity (FIT monitoring, settings; GPX routes) are skipped with their reason too, but
never count as failures, even with ``strict``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from os import PathLike

from runback import timezones
from runback.errors import ReadError
from runback.importer.assemble import ImportResult, assemble_result, index_rows
from runback.importer.batch import BatchTables, FileOutcome, process_batch
from runback.importer.scan import scan_paths
from runback.io.exports import Entry
from runback.store import Store

__all__ = ["ImportResult", "FileOutcome", "import_activities", "PARALLEL_MIN_FILES",
           "BATCH_FILES"]

#: Process files in parallel when at least this many need parsing.
PARALLEL_MIN_FILES = 24
#: Files summarised together in one vectorised pass.
BATCH_FILES = 64

#: A progress callback: ``progress(done, total)``, counted in files.
Progress = Callable[[int, int], None]


def import_activities(paths: Iterable[str | PathLike[str]], *, tz: str | None = None,
                      tz_source: str = "option", strict: bool = False,
                      cache_dir: str | PathLike[str] | None = None, workers: int | None = None,
                      progress: Progress | None = None,
                      exclude: Iterable[str | PathLike[str]] = ()) -> ImportResult:
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
    index = store.read_index()
    found = scan_paths(paths, index, exclude=exclude, extract_dir=store.root / "extracts")
    outcomes, todo = found.outcomes, found.todo
    for o in outcomes:
        _check_strict(o, strict)
    # files stored by an import whose index write was lost (or another running import)
    stored = store.locate(todo) if todo else {}
    # largest files first, so the last batches are short and no core waits long at the end
    order = sorted(todo, key=lambda k: -found.sizes[k])
    fresh, tables = _process_all([(k, todo[k], stored.get(k)) for k in order],
                                 str(store.root), workers, progress, strict,
                                 done=len(outcomes))
    place = {k: i for i, k in enumerate(todo)}
    fresh.sort(key=lambda o: place.get(o.key or "", len(place)))  # back in the order found
    by_key = {o.key: o for o in fresh}
    fresh += [replace(by_key[key], name=e.name, root=e.root, rel=e.rel)
              for e, key in found.again]
    if fresh:
        store.update_index(index_rows(fresh, tables))
    else:  # nothing parsed: the index is unchanged, only stale temporary files go
        store.sweep()
    if index:
        wanted = {o.key for o in outcomes if o.key is not None}
        if wanted.issuperset(found.indexed):  # every file the index knows: all its rows
            tables.append({t: index[t] for t in ("activities", "hr_hist")})
        else:
            tables.append({t: index[t][index[t]["key"].isin(wanted)]
                           for t in ("activities", "hr_hist")})
    return assemble_result(outcomes + fresh, tables, store, tz=tz, tz_source=tz_source)


def _check_strict(o: FileOutcome, strict: bool) -> None:
    if strict and o.skip and not o.not_activity:
        raise ReadError(o.name, o.skip)


def _process_all(todo: list[tuple[str, Entry, str | None]], cache_root: str,
                 workers: int | None, progress: Progress | None, strict: bool, done: int = 0
                 ) -> tuple[list[FileOutcome], list[BatchTables]]:
    """Outcomes of the ``(key, entry, pack)`` items of ``todo``, and their batches' tables."""
    total = len(todo) + done
    results: list[FileOutcome] = []
    tables: list[BatchTables] = []

    def record(batch: tuple[list[FileOutcome], BatchTables]) -> None:
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
        # loaded here: a re-run that parses nothing never starts a worker
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=n_workers) as pool:
            done_batches = pool.map(process_batch, *args)
            timezones.load_finder()  # while the workers parse: local days need it next
            for batch in done_batches:
                record(batch)
    else:
        for batch in map(process_batch, *args):
            record(batch)
    return results, tables
