"""Where a cold import of a FIT history spends its time, stage by stage, per file.

Run by hand (it is not a test)::

    python benchmarks/import_stages.py [FOLDER] [--repeat 3]

FOLDER defaults to the 691-file history of the real-data set (``$RUNBACK_REALDATA`` or
``../shared/realdata`` beside the repository, then
``shaonianche__running-data-sync/FIT_OUT``). Files are read into memory first and every
stage runs in this one process, on the output of the stage before it:

- ``decode``: :func:`runback.io.fit_fast.decode_fast` (the vectorised FIT decoder);
- ``read_fit``: :func:`runback.io.fit.read_fit_columns` after decoding (its decoder is a
  look-up of the messages decoded in the first stage): the raw tables of
  each file as arrays, as a worker reads them;
- ``summary``: in batches of :data:`runback.importer.BATCH_FILES` files as a worker
  makes them, the batch's tables as one frame each, then the session summaries and
  heart-rate histograms;
- ``store``: writing each batch to an empty cache as one pack (``Store.put_pieces``), and
  the batch's tables a worker hands back;
- ``assemble``: the main process's work after the workers: the cache index and the
  ``activities`` table of the whole history (ids, local days, surfaces, duplicates).

Each stage is run ``--repeat`` times and its best CPU time of this process is reported
(the steadier figure on a busy machine), with its wall time, as ms per file and in total.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _results import record
from history import default_folder

from runback import importer
from runback.importer import assemble as assembly
from runback.importer import batch
from runback.io import fit
from runback.io.fit_fast import decode_fast
from runback.store import Piece, Store, content_key


def timed(stage, repeat: int):
    """``(result, wall_s, cpu_s)``: the result of the last run, the best times of all."""
    wall = cpu = float("inf")
    for _ in range(max(repeat, 1)):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = stage()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return result, wall, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="folder of .fit files")
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage (best kept)")
    args = parser.parse_args(argv)
    folder = args.folder or default_folder()
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".fit")
    if not paths:
        sys.exit(f"no .fit files in {folder}")
    names = [p.name for p in paths]
    datas = [p.read_bytes() for p in paths]
    keys = [content_key(d) for d in datas]
    n = len(paths)
    print(f"{n} FIT files, {sum(map(len, datas)) / 1e6:.1f} MB in {folder}")

    decoder = decode_fast
    decoder(datas[0], names[0])  # imports and one-time tables outside the timing
    decoded, wall, cpu = timed(lambda: [decoder(d, m) for d, m in zip(datas, names,
                                                                      strict=True)], args.repeat)
    rows = [("decode", wall, cpu)]

    by_name = dict(zip(names, decoded, strict=True))

    def looked_up(_data, name):
        return by_name[name]

    parsed, wall, cpu = timed(lambda: [fit.read_fit_columns(d, m, looked_up) for d, m in
                                       zip(datas, names, strict=True)], args.repeat)
    rows.append(("read_fit", wall, cpu))

    size = importer.BATCH_FILES
    starts = range(0, n, size)
    def summarize():
        batches = [batch._Batch.of(parsed[i:i + size]) for i in starts]
        return batches, [batch._summarize(b) for b in batches]

    (batches, summaries), wall, cpu = timed(summarize, args.repeat)
    rows.append(("summary", wall, cpu))

    outcomes = [importer.FileOutcome(str(path), str(folder), path.name, key=key,
                                     warnings=list(p.warnings))
                for path, key, p in zip(paths, keys, parsed, strict=True)]

    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10**9))

        def put_all():
            """As the workers do: one pack per batch, and the batch's keyed tables."""
            store = Store(Path(tmp) / f"cache{next(counter)}")
            tables = []
            for i, b, (_, acts, hists) in zip(starts, batches, summaries, strict=True):
                members = outcomes[i:i + size]
                file_keys = np.array([o.key for o in members], dtype=object)
                pieces = {}
                for t in ("samples", "laps"):
                    frame, files = b.tables[t]
                    pieces[t] = [Piece(frame, file_keys[files], list(file_keys))]
                for t, parts in (("activities", acts), ("hr_hist", hists)):
                    pieces[t] = [Piece(f, file_keys[j], list(file_keys)) for f, j in parts]
                pack = store.put_pieces([(o.key, {"name": o.name, "warnings": o.warnings})
                                         for o in members], pieces)
                tables.append({t: pd.concat([p.keyed() for p in pieces[t]], ignore_index=True)
                               for t in ("activities", "hr_hist")})
                for o in members:
                    o.pack = pack
            return store, tables

        (store, tables), wall, cpu = timed(put_all, args.repeat)
        rows.append(("store", wall, cpu))

        def assemble():
            store.update_index(assembly.index_rows(outcomes, tables))
            return assembly.assemble_result(outcomes, tables, store, tz=None, tz_source="option")

        result, wall, cpu = timed(assemble, args.repeat)
        rows.append(("assemble", wall, cpu))

    print(f"{'stage':>10}  {'ms/file CPU':>11}  {'ms/file wall':>12}  {'total CPU s':>11}")
    for stage, wall, cpu in rows:
        print(f"{stage:>10}  {1e3 * cpu / n:11.2f}  {1e3 * wall / n:12.2f}  {cpu:11.2f}")
    total = sum(cpu for _, _, cpu in rows)
    print(f"{'all':>10}  {1e3 * total / n:11.2f}  {'':>12}  {total:11.2f}"
          f"   ({len(result.activities)} activities)")


if __name__ == "__main__":
    with record("import_stages"):
        main()
