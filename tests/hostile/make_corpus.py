"""Generate the hostile-files corpus: broken, malicious and odd inputs with expected outcomes.

Nothing is downloaded and nothing but this script is kept in the repository: every file is
made here, from :func:`tests.fitkit.encode.encode_activity` (FIT) and ``tests/builders``
(GPX, TCX), then broken on purpose. :func:`build` writes::

    <dest>/activities/<case files and folders>   one entry per activity case
    <dest>/diaries/<case>.csv                     pain diaries with invalid rows
    <dest>/outside/                               must stay empty (zip slip target)
    <dest>/secret.txt                             what an XML external entity points at

and returns every :class:`Case` by name. Outcomes:

``imported``
    The file gives its activities (``n_imported`` files); odd, not broken.
``salvaged``
    The file gives at least ``min_records`` records and a warning matching ``pattern``.
``refused``
    The file is skipped with a reason matching ``pattern``; ``--strict`` fails on it.
``ignored``
    Nothing is imported: either passed over silently (``pattern`` None) or skipped as
    holding no activity, which ``--strict`` does not count as a failure.

Run ``python tests/hostile/make_corpus.py OUTDIR`` to write the corpus for a person to
inspect; it prints each case with its expected outcome.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import struct
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make ``tests`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.builders import DENVER, gpx, tcx_treadmill, track, zip_of  # noqa: E402
from tests.fitkit.encode import encode_activity, fit_crc  # noqa: E402

__all__ = ["Case", "DiaryCase", "OUTCOMES", "SECRET", "build", "diary_cases"]

OUTCOMES = ("imported", "salvaged", "refused", "ignored")
#: The content of ``secret.txt``; it must never appear in any output.
SECRET = "TOP-SECRET-CONTENT-4711"
#: Gigabytes a gzip bomb claims once decompressed (it is a few megabytes on disk).
GZIP_BOMB_GIB = 4


@dataclass(frozen=True)
class Case:
    """One hostile input and what runback must make of it.

    Attributes
    ----------
    name : str
        Case id (the test id).
    path : str
        File or folder, relative to ``<dest>/activities``.
    outcome : str
        One of :data:`OUTCOMES`.
    pattern : str or None
        Regular expression the skip reason (refused, ignored) or a warning (salvaged,
        imported) must match.
    n_imported, n_skipped : int
        Files the case gives as imported and as skipped in an import.
    min_records : int
        Fewest samples a salvaged or imported case keeps.
    expect : dict
        ``activities`` column -> (low, high): bounds every imported activity meets.
    skip : str or None
        Why the case cannot be tested on this machine (running as root).
    """

    name: str
    path: str
    outcome: str
    pattern: str | None = None
    n_imported: int = 0
    n_skipped: int = 0
    min_records: int = 0
    expect: dict = field(default_factory=dict)
    skip: str | None = None


@dataclass(frozen=True)
class DiaryCase:
    """A pain diary with broken rows: the lines reported and the lines kept."""

    name: str
    path: str
    problem_lines: tuple[int, ...]
    kept_lines: tuple[int, ...]
    patterns: dict = field(default_factory=dict)


T0 = pd.Timestamp("2024-05-01 06:00:00", tz="UTC")


def _records(n: int = 120, start: pd.Timestamp = T0, step_s: int = 5) -> pd.DataFrame:
    """A steady 3 m/s run north from Denver, heart rate rising."""
    times = pd.date_range(start, periods=n, freq=f"{step_s}s")
    d = np.arange(n) * 3.0 * step_s
    return pd.DataFrame({
        "timestamp": times,
        "latitude_deg": DENVER[0] + d / 111_195.0,
        "longitude_deg": np.full(n, DENVER[1]),
        "distance_m": d,
        "altitude_m": 1600.0 + np.arange(n) * 0.1,
        "speed_m_s": np.full(n, 3.0),
        "heart_rate_bpm": np.linspace(120, 160, n).round(),
        "cadence_spm": np.full(n, 170.0),
    })


def _day(i: int) -> str:
    """A distinct start (one day apart) so no two cases are the same run."""
    return str((T0 + pd.Timedelta(days=i)).tz_localize(None))


def _gpx(i: int, **kw) -> bytes:
    return gpx(track(_day(i), minutes=10, **kw))


def _fit(i: int, n: int = 120) -> bytes:
    return encode_activity(_records(n, start=T0 + pd.Timedelta(days=i)))


def _billion_laughs(root: str) -> bytes:
    lines = ['<!ENTITY lol "lol">'] + [
        f'<!ENTITY lol{k} "{("&lol" + (str(k - 1) if k > 1 else "") + ";") * 10}">'
        for k in range(1, 10)]
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n' + "\n".join(lines) + "\n]>\n"
            f"<{root}><trk><name>&lol9;</name></trk></{root}>\n").encode()


def _xxe(root: str, secret: Path, parameter: bool) -> bytes:
    uri = secret.resolve().as_uri()
    decl = (f'<!ENTITY % xxe SYSTEM "{uri}"> %xxe;' if parameter
            else f'<!ENTITY xxe SYSTEM "{uri}">')
    return (f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{decl}]>\n'
            f"<{root}><trk><name>&xxe;</name></trk></{root}>\n").encode()


def _deep(depth: int = 100_000) -> bytes:
    return (b'<?xml version="1.0"?><gpx version="1.1">' + b"<a>" * depth + b"x"
            + b"</a>" * depth + b"</gpx>")


def _gzip_bomb(gib: int) -> bytes:
    """Concatenated gzip members of 16 MiB of zeros each: ``gib`` GiB from a few MB."""
    member = gzip.compress(bytes(16 * 2**20), compresslevel=9, mtime=0)
    return member * (gib * 64)


def _zip_ratio_bomb() -> bytes:
    """One member of 64 MiB of zeros: about 64 KiB compressed, a ratio near 1000:1."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("bomb.gpx", bytes(64 * 2**20))
    return buf.getvalue()


def _zip_lying_size(inner: bytes) -> bytes:
    """A zip whose directory says the member is 100 bytes while it inflates to more."""
    raw = bytearray(zip_of({"liar.gpx": inner}))
    at = raw.rindex(b"PK\x01\x02")
    struct.pack_into("<I", raw, at + 24, 100)
    return bytes(raw)


def _zip_encrypted_flag(inner: bytes) -> bytes:
    """A zip whose member claims to be encrypted (flag bit 0 in both headers)."""
    raw = bytearray(zip_of({"locked.gpx": inner}))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.index(sig)
        flags = struct.unpack_from("<H", raw, at + off)[0]
        struct.pack_into("<H", raw, at + off, flags | 1)
    return bytes(raw)


def _nested_zip(inner: bytes, depth: int) -> bytes:
    data = zip_of({"run.gpx": inner})
    for level in range(depth - 1):
        data = zip_of({f"level{level}.zip": data})
    return data


def _flip_bits(data: bytes, seed: int, n: int) -> bytes:
    """Flip one bit in each of ``n`` record values (bytes after the definitions)."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    for at in rng.integers(len(data) // 4, 3 * len(data) // 4, size=n):
        out[at] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def _header_claims(data: bytes, size: int) -> bytes:
    """A FIT file whose header says the data is ``size`` bytes long (header CRC fixed)."""
    out = bytearray(data)
    struct.pack_into("<I", out, 4, size)
    struct.pack_into("<H", out, 12, fit_crc(bytes(out[:12])))
    return bytes(out)


def _jump_records(days: int) -> pd.DataFrame:
    """A run whose clock jumps ``days`` forward halfway (a device fixing a stale clock)."""
    rec = _records(120, start=T0 + pd.Timedelta(days=40))
    late = rec.index >= 60
    rec.loc[late, "timestamp"] = rec.loc[late, "timestamp"] + pd.Timedelta(days=days)
    return rec


def _distance_reset() -> pd.DataFrame:
    """A FIT run whose distance counter falls back to 0 halfway, then climbs again."""
    rec = _records(120, start=T0 + pd.Timedelta(days=41))
    d = rec["distance_m"].to_numpy().copy()
    d[60:] = d[60:] - d[60]
    return rec.assign(distance_m=d)


def _negative_distance(i: int) -> bytes:
    """A TCX treadmill run whose distances (and lap total) turn negative past 800 m."""
    text = tcx_treadmill(_day(i), minutes=10).decode()

    def shift(m: re.Match) -> str:
        value = float(m.group(1))
        return f"<DistanceMeters>{value - 1000 if value > 800 else value:.1f}</DistanceMeters>"

    return re.sub(r"<DistanceMeters>([-\d.]+)</DistanceMeters>", shift, text).encode()


def _spiky_track(i: int, spikes: tuple[int, ...]) -> bytes:
    """A GPX run with single fixes thrown ~5 km east (an implausible jump out and back)."""
    pts = track(_day(i), minutes=10)
    for k in spikes:
        pts[k] = dict(pts[k], lon=pts[k]["lon"] + 0.06)
    return gpx(pts)


def _backwards_times(i: int) -> bytes:
    """A GPX run whose timestamps go back 5 minutes halfway (a clock reset)."""
    pts = track(_day(i), minutes=10)
    half = len(pts) // 2
    for k in range(half, len(pts)):
        pts[k] = dict(pts[k], time=pts[k]["time"] - pd.Timedelta(minutes=5))
    return gpx(pts)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _can_deny_reading() -> bool:
    """Whether chmod 000 stops this process reading (not for root)."""
    return not (hasattr(os, "geteuid") and os.geteuid() == 0)


def build(dest: Path) -> dict[str, Case]:
    """Write every activity case into ``dest/activities`` and return them by name.

    The diary cases are written too (:func:`diary_cases` lists them). ``dest`` must be an
    empty or new folder.
    """
    dest = Path(dest)
    acts = dest / "activities"
    acts.mkdir(parents=True, exist_ok=True)
    (dest / "outside").mkdir(exist_ok=True)
    secret = dest / "secret.txt"
    secret.write_text(SECRET)
    cases: list[Case] = []

    def add(name: str, rel: str, data: bytes | None, outcome: str, pattern=None, **kw):
        if data is not None:
            _write(acts / rel, data)
        cases.append(Case(name, rel, outcome, pattern, **kw))

    # -- XML -------------------------------------------------------------------------------
    add("xml_billion_laughs", "xml/billion_laughs.gpx", _billion_laughs("gpx"), "refused",
        r"entity declarations", n_skipped=1)
    add("xml_billion_laughs_tcx", "xml/billion_laughs.tcx",
        _billion_laughs("TrainingCenterDatabase"), "refused", r"entity declarations",
        n_skipped=1)
    add("xml_xxe_general", "xml/xxe_general.gpx", _xxe("gpx", secret, parameter=False),
        "refused", r"entit", n_skipped=1)
    add("xml_xxe_parameter", "xml/xxe_parameter.tcx",
        _xxe("TrainingCenterDatabase", secret, parameter=True), "refused", r"entit",
        n_skipped=1)
    add("xml_garbage_bytes", "xml/garbage.gpx",
        np.random.default_rng(1).bytes(4096), "refused", r"XML|GPX|not", n_skipped=1)
    add("xml_deep_nesting", "xml/deep.gpx", _deep(), "refused", r"nest", n_skipped=1)
    add("xml_truncated", "xml/truncated.tcx", tcx_treadmill(_day(1))[:3000], "refused",
        r"XML|truncated|not well-formed", n_skipped=1)

    # -- archives --------------------------------------------------------------------------
    slip = zip_of({"../../outside/slip_up.gpx": _gpx(2),
                   "/tmp/runback_abs_slip.gpx": _gpx(3),
                   "..\\..\\outside\\slip_win.gpx": _gpx(4)})
    add("zip_slip", "archives/slip.zip", slip, "imported", n_imported=3, min_records=50)
    add("zip_ratio_bomb", "archives/ratio_bomb.zip", _zip_ratio_bomb(), "refused",
        r"zip bomb", n_skipped=1)
    add("gzip_bomb", "archives/bomb.gpx.gz", _gzip_bomb(GZIP_BOMB_GIB), "refused",
        r"compression ratio|decompresses to more", n_skipped=1)
    add("zip_lying_size", "archives/liar.zip", _zip_lying_size(_gpx(5)), "refused",
        r"cannot read archive member", n_skipped=1)
    add("zip_encrypted", "archives/encrypted.zip", _zip_encrypted_flag(_gpx(6)), "refused",
        r"encrypted|password", n_skipped=1)
    add("zip_nested_too_deep", "archives/deep.zip", _nested_zip(_gpx(7), 5), "refused",
        r"nested more than \d+ deep", n_skipped=1)
    add("zip_nested_ok", "archives/nested.zip", _nested_zip(_gpx(8), 3), "imported",
        n_imported=1, min_records=50)
    add("zip_garbage", "archives/garbage.zip", b"PK\x03\x04" + bytes(range(256)) * 8,
        "refused", r"not a readable zip", n_skipped=1)
    add("gzip_truncated", "archives/cut.gpx.gz", gzip.compress(_gpx(9), mtime=0)[:400],
        "refused", r"gzip", n_skipped=1)

    # -- FIT -------------------------------------------------------------------------------
    whole = _fit(10)
    add("fit_truncated", "fit/truncated.fit", whole[: len(whole) * 6 // 10], "salvaged",
        r"truncated .*kept the \d+ records before the break", n_imported=1, min_records=40)
    add("fit_bit_flips", "fit/bit_flips.fit", _flip_bits(_fit(11), seed=3, n=6), "salvaged",
        r"CRC does not match|before the break", n_imported=1, min_records=20)
    add("fit_bad_crc", "fit/bad_crc.fit", _fit(12)[:-2] + b"\x00\x00", "salvaged",
        r"CRC does not match", n_imported=1, min_records=120)
    add("fit_random_bytes", "fit/random.fit", np.random.default_rng(2).bytes(3000), "refused",
        r"not a FIT file", n_skipped=1)
    add("fit_header_claims_gigabytes", "fit/huge_header.fit",
        _header_claims(_fit(13), 0xFFFFFFF0), "salvaged", r"truncated", n_imported=1,
        min_records=120)
    add("fit_csv_renamed", "fit/renamed_csv.fit",
        b"timestamp,heart_rate\n2024-01-01T10:00:00Z,120\n" * 20, "refused",
        r"not a FIT file", n_skipped=1)
    add("fit_empty", "fit/empty.fit", b"", "refused", r"empty", n_skipped=1)
    add("fit_header_only", "fit/header_only.fit", _fit(14)[:14], "refused",
        r"truncated|no records", n_skipped=1)

    # -- folders and names -----------------------------------------------------------------
    loop = acts / "loops" / "loop"
    _write(loop / "run.gpx", _gpx(15))
    os.symlink(".", loop / "self")
    os.symlink("..", loop / "parent")
    add("symlink_loop", "loops", None, "imported", n_imported=1, min_records=50)
    (acts / "folders").mkdir()
    os.symlink("does-not-exist.gpx", acts / "folders" / "dangling.gpx")
    add("dangling_symlink", "folders/dangling.gpx", None, "refused", r"(?i)no such file",
        n_skipped=1)
    locked = acts / "folders" / "locked.gpx"
    _write(locked, _gpx(16))
    locked.chmod(0)
    if _can_deny_reading():
        add("unreadable_file", "folders/locked.gpx", None, "refused", r"[Pp]ermission denied",
            n_skipped=1)
    else:
        add("unreadable_file", "folders/locked.gpx", None, "imported", n_imported=1,
            skip="running as root: chmod 000 does not stop root reading the file")
    os.mkfifo(acts / "folders" / "fifo.gpx")
    add("fifo", "folders/fifo.gpx", None, "refused", r"not a regular file", n_skipped=1)
    (acts / "folders" / "directory.fit").mkdir()
    add("directory_named_fit", "folders/directory.fit", None, "ignored")
    odd = {
        "unicode_name": "läuf 🏃 日本語.gpx",
        "spaces_name": "morning   run  .gpx",
        "newline_name": "two\nlines.gpx",
        "dash_name": "-rf --strict.gpx",
        "long_name": "l" * 240 + ".gpx",
        "hidden_name": ".hidden run.gpx",
    }
    for k, (case, fname) in enumerate(odd.items()):
        add(case, f"names/{fname}", _gpx(20 + k), "imported", n_imported=1, min_records=50)
    add("other_files_in_a_folder", "other", None, "ignored")
    _write(acts / "other" / "notes.json", json.dumps({"a": 1}).encode())
    _write(acts / "other" / "photo.jpg", b"\xff\xd8\xff\xe0" + bytes(100))

    # -- data ------------------------------------------------------------------------------
    add("time_backwards", "data/backwards.gpx", _backwards_times(30), "imported",
        r"time goes backwards .* 30 points .* left out", n_imported=1, min_records=30,
        expect={"elapsed_time_s": (290, 310), "distance_m": (850, 910)})
    add("distance_reset", "data/distance_reset.fit", encode_activity(_distance_reset()),
        "imported", n_imported=1, min_records=120, expect={"stream_distance_m": (1700, 1850)})
    add("negative_distance", "data/negative_distance.tcx", _negative_distance(32), "imported",
        n_imported=1, min_records=50, expect={"distance_m": (0, 2000)})
    add("time_jump_20_days", "data/jump.fit", encode_activity(_jump_records(20)), "imported",
        n_imported=1, min_records=120, expect={"elapsed_time_s": (0, 3600)})
    add("gps_spikes", "data/spikes.gpx", _spiky_track(31, (10, 25, 40)), "imported",
        r"3 GPS fixes dropped", n_imported=1, min_records=50,
        expect={"gps_spikes": (3, 3), "distance_m": (1600, 2000)})
    add("csv_binary", "data/binary.csv", b"\x00\x01\xff" * 500, "refused", r"binary|not",
        n_skipped=1)
    add("csv_no_rows", "data/header_only.csv",
        b"Activity ID,Activity Date,Activity Type,Elapsed Time,Distance\n",
        "ignored", r"no rows|no activit", n_skipped=1)

    _diaries(dest / "diaries")
    return {c.name: c for c in cases}


#: Pain diary cases: (file name, bytes, problem lines, kept lines, line -> pattern).
_DIARY_ROWS = [
    "date,pain,location,notes",                      # 1
    "2025-03-01,2,lower,ok",                         # 2
    "2025-03-02,11,lower,",                          # 3 pain outside 0-10
    "2025-03-03,lots,lower,",                        # 4 not a number
    "2025-02-30,3,lower,",                           # 5 impossible date
    "2099-01-01,3,lower,",                           # 6 future date
    "2025-03-06,4,knee,",                            # 7 unknown location: row kept
    '2025-03-07,4,lower,"never closed',             # 8 broken quoting
    "2025-03-08,5,upper,fine",                       # 9
]


def diary_cases() -> dict[str, DiaryCase]:
    """The pain diary cases :func:`build` writes into ``dest/diaries``."""
    patterns = {3: r"outside 0-10", 4: r"not a number", 5: r"does not exist", 6: r"future",
                7: r"'knee'", 8: r"quot"}
    common = dict(problem_lines=(3, 4, 5, 6, 7, 8), kept_lines=(2, 7, 9), patterns=patterns)
    return {
        "diary_comma": DiaryCase("diary_comma", "comma.csv", **common),
        "diary_bom_crlf": DiaryCase("diary_bom_crlf", "bom_crlf.csv", **common),
        "diary_semicolon": DiaryCase("diary_semicolon", "semicolon.csv", **common),
        "diary_nul_bytes": DiaryCase("diary_nul_bytes", "nul.csv", problem_lines=(3,),
                                     kept_lines=(2, 4), patterns={3: r"'\\x003' is not a number"}),
    }


def _diaries(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(_DIARY_ROWS) + "\n"
    (folder / "comma.csv").write_bytes(text.encode())
    (folder / "bom_crlf.csv").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    semi = "\n".join(r.replace(",", ";") for r in _DIARY_ROWS) + "\n"
    (folder / "semicolon.csv").write_bytes(semi.encode())
    (folder / "nul.csv").write_bytes(b"date,pain\n2025-03-01,2\n2025-03-02,\x003\n"
                                     b"2025-03-03,4\n")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/hostile/make_corpus.py OUTDIR", file=sys.stderr)
        return 2
    dest = Path(argv[0])
    cases = build(dest)
    for c in cases.values():
        row = {k: v for k, v in asdict(c).items() if v not in (None, {}, 0)}
        print(json.dumps(row, ensure_ascii=False))
    for d in diary_cases().values():
        print(json.dumps(asdict(d)))
    print(f"{len(cases)} activity cases and {len(diary_cases())} diaries in {dest}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
