"""How fast FIT files decode: a plain fitparse loop, a fitdecode loop and ``decode_fast``.

Run by hand (it is not a test)::

    python benchmarks/fit_decode.py [FOLDER] [--only fast] [--repeat 3]

FOLDER defaults to the 691-file history of the real-data set
(``$RUNBACK_REALDATA`` or ``../shared/realdata`` beside the repository, then
``shaonianche__running-data-sync/FIT_OUT``). Files are read into memory first, so only
decoding is timed. Each decoder counts the ``record`` messages it yields; a decoder that
stops on a broken file counts what it yielded before the break. The best of ``--repeat``
runs is reported for each decoder, as wall time and as CPU time of this process (the
steadier figure on a busy machine).
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

from _results import record
from history import default_folder


def fitparse_loop(datas: list[bytes]) -> int:
    """Records through fitparse, one value dict per record, as a plain importer does."""
    import fitparse

    records = 0
    for data in datas:
        try:
            for message in fitparse.FitFile(data, check_crc=False).get_messages():
                if message.name == "record":
                    message.get_values()
                    records += 1
        except Exception:  # noqa: BLE001 - a broken file counts what came before the break
            continue
    return records


def fitdecode_loop(datas: list[bytes]) -> int:
    """Records through fitdecode, one value dict per record."""
    import fitdecode

    records = 0
    for data in datas:
        try:
            with fitdecode.FitReader(io.BytesIO(data),
                                     check_crc=fitdecode.CrcCheck.DISABLED) as reader:
                for frame in reader:
                    if frame.frame_type == fitdecode.FIT_FRAME_DATA and frame.name == "record":
                        {f.name: f.value for f in frame.fields}
                        records += 1
        except Exception:  # noqa: BLE001 - a broken file counts what came before the break
            continue
    return records


def fast_loop(datas: list[bytes]) -> int:
    """Records through :func:`runback.io.fit_fast.decode_fast` (frames ready to use)."""
    from runback.io.fit_fast import decode_fast

    return sum(len(decode_fast(data, "file.fit").get("record")) for data in datas)


DECODERS = {"fitparse": fitparse_loop, "fitdecode": fitdecode_loop, "fast": fast_loop}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="folder of .fit files")
    parser.add_argument("--only", choices=sorted(DECODERS), action="append",
                        help="run only this decoder (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per decoder (best kept)")
    args = parser.parse_args(argv)
    folder = args.folder or default_folder()
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".fit")
    datas = [p.read_bytes() for p in paths]
    print(f"{len(paths)} FIT files, {sum(map(len, datas)) / 1e6:.1f} MB in {folder}")
    DECODERS["fast"](datas[:1])  # imports and one-time tables outside the timing
    results = {}
    for name in args.only or list(DECODERS):
        wall = cpu = float("inf")
        for _ in range(max(args.repeat, 1)):
            start, start_cpu = time.perf_counter(), time.process_time()
            records = DECODERS[name](datas)
            wall = min(wall, time.perf_counter() - start)
            cpu = min(cpu, time.process_time() - start_cpu)
        results[name] = (wall, cpu)
        print(f"{name:>10}: {records:>9,} records  {wall:7.2f} s wall  {cpu:7.2f} s CPU  "
              f"{records / wall:>11,.0f} records/s", flush=True)
    if "fast" in results:
        fast_wall, fast_cpu = results["fast"]
        for name, (wall, cpu) in results.items():
            if name != "fast":
                print(f"decode_fast is {wall / fast_wall:5.1f}x faster than {name} "
                      f"(wall), {cpu / fast_cpu:5.1f}x (CPU)")


if __name__ == "__main__":
    with record("fit_decode"):
        main()
