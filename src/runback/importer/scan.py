"""Discovery: what a user hands over, as files to parse, files the cache knows, and skips.

::

    paths -> runback.io.exports.iter_entries -> each entry's bytes -> content key
          -> in the cache index? its outcome now, its rows from the index later
          -> else to parse (the same bytes twice: parsed once)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import pandas as pd

from runback.errors import ReadError
from runback.importer.batch import FileOutcome
from runback.io.exports import Entry, Skip, iter_entries
from runback.store import content_key

__all__ = ["Scan", "scan_paths"]


@dataclass
class Scan:
    """What :func:`scan_paths` found.

    Attributes
    ----------
    outcomes : list of FileOutcome
        The files skipped before parsing and those found in the cache index, in the
        order found.
    todo : dict
        Content key -> entry, of the files to parse (the first of each content).
    sizes : dict
        Content key -> size of the file to parse. [bytes]
    again : list of (Entry, str)
        Entries whose bytes are those of a file in ``todo``, with their key.
    indexed : set of str
        Every content key the cache index holds (those of other folders too).
    """

    outcomes: list[FileOutcome] = field(default_factory=list)
    todo: dict[str, Entry] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    again: list[tuple[Entry, str]] = field(default_factory=list)
    indexed: set[str] = field(default_factory=set)


def scan_paths(paths: Iterable[str | PathLike[str]], index: dict[str, pd.DataFrame], *,
               exclude: Iterable[str | PathLike[str]] = (),
               extract_dir: str | PathLike[str] | None = None) -> Scan:
    """Find the files in ``paths`` and sort them by what the cache ``index`` knows.

    Parameters
    ----------
    paths : iterable of path
        Files, folders and archives (see :func:`runback.io.exports.iter_entries`).
    index : dict
        The cache index (:meth:`runback.store.Store.read_index`), empty when none.
    exclude : iterable of path
        Files to leave out silently.
    extract_dir : path, optional
        Where the extracts of streamed files (Apple Health's ``export.xml``) are kept
        between runs (see :func:`runback.io.exports.iter_entries`).
    """
    found = list(iter_entries(paths, exclude=exclude, extract_dir=extract_dir))
    out = Scan([FileOutcome(s.name, s.name, s.name, skip=s.reason)
                for s in found if isinstance(s, Skip)])
    known = _index_lookup(index)
    out.indexed = set(known)
    for entry in (e for e in found if isinstance(e, Entry)):
        try:
            data = entry.load()
            key = content_key(data)
        except ReadError as e:
            out.outcomes.append(FileOutcome(entry.name, entry.root, entry.rel, skip=e.reason))
            continue
        row = known.get(key)
        if row is not None:
            out.outcomes.append(_from_index(entry, key, row))
        elif key in out.todo:
            out.again.append((entry, key))
        else:
            out.todo[key], out.sizes[key] = entry, len(data)
    return out


def _index_lookup(index: dict[str, pd.DataFrame]) -> dict[str, tuple[Any, ...]]:
    """Cache index ``files`` rows by key: (pack, skip, not_activity, warnings)."""
    if not index:
        return {}
    f = index["files"]
    columns = (f[c].tolist() for c in ("key", "pack", "skip", "not_activity", "warnings"))
    key, *rest = columns
    return dict(zip(key, zip(*rest, strict=True), strict=True))


def _from_index(entry: Entry, key: str, row: tuple[Any, ...]) -> FileOutcome:
    """The outcome of a file found in the cache index; its rows stay in the index."""
    pack, skip, not_activity, warnings = row
    out = FileOutcome(entry.name, entry.root, entry.rel, key=key, cached=True, pack=pack)
    # most files have no warnings: their "[]" needs no JSON parser
    out.warnings = (json.loads(warnings) if isinstance(warnings, str) and warnings != "[]"
                    else [])
    if isinstance(skip, str):
        out.skip, out.not_activity = skip, bool(not_activity)
    return out
