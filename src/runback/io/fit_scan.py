"""The byte level of a FIT file for the vectorised decoder: the CRC, and where each message is.

:func:`scan_messages` walks the record headers of every FIT file chained in a buffer and
collects each definition message with the offsets of the data messages that use it; it
checks the header and file CRCs (:func:`fit_crc16`) and stops, saying where and why, at
the first byte that makes no sense. :mod:`runback.io.fit_fast` then decodes the data
messages of each definition at once. See :mod:`runback.io.fit_fast` for the protocol.

CRC
---
Every file CRC (and a non-zero header CRC) is checked; a mismatch sets ``crc_ok = False``
and keeps the data. The FIT CRC is CRC-16/ARC (reflected polynomial 0xA001, initial value 0,
no final XOR), which neither :mod:`zlib` nor :func:`binascii.crc_hqx` (CRC-16/XMODEM)
computes. Because this CRC is linear over GF(2) with a zero initial value, it is computed
chunk-wise: the bytes are zero-padded at the front to a multiple of 256 (leading zeros do
not change it), the CRC of each 256-byte chunk is the XOR of per-position table entries
(one numpy gather and one XOR reduction over all bytes), and the chunk CRCs are folded with
a "shift by 256 zero bytes" table. This checks about 500 MB/s, so it is always done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["BASE_TYPES", "BYTE_TYPE", "STRING_TYPE", "Definition", "Scan", "Stop",
           "fit_crc16", "scan_messages"]

#: FIT base type number (low 5 bits of the base type byte) -> (numpy kind, size, invalid).
#: ``None`` as invalid means NaN (floats); the string and byte types are handled apart.
BASE_TYPES: dict[int, tuple[str, int, int | None]] = {
    0: ("u1", 1, 0xFF),                   # enum
    1: ("i1", 1, 0x7F),                   # sint8
    2: ("u1", 1, 0xFF),                   # uint8
    3: ("i2", 2, 0x7FFF),                 # sint16
    4: ("u2", 2, 0xFFFF),                 # uint16
    5: ("i4", 4, 0x7FFFFFFF),             # sint32
    6: ("u4", 4, 0xFFFFFFFF),             # uint32
    7: ("S", 1, None),                    # string (UTF-8, NUL-terminated)
    8: ("f4", 4, None),                   # float32
    9: ("f8", 8, None),                   # float64
    10: ("u1", 1, 0),                     # uint8z
    11: ("u2", 2, 0),                     # uint16z
    12: ("u4", 4, 0),                     # uint32z
    13: ("B", 1, None),                   # byte (invalid when every byte is 0xFF)
    14: ("i8", 8, 0x7FFFFFFFFFFFFFFF),     # sint64
    15: ("u8", 8, 0xFFFFFFFFFFFFFFFF),     # uint64
    16: ("u8", 8, 0),                     # uint64z
}
BYTE_TYPE = 13
STRING_TYPE = 7


# --------------------------------------------------------------------------------------------
# CRC-16 of the FIT protocol, vectorised


def _crc_byte_table() -> np.ndarray:
    t = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        t = np.where(t & 1, (t >> 1) ^ 0xA001, t >> 1)
    return t.astype(np.uint16)


_CRC_CHUNK = 256
_CRC_T = _crc_byte_table()


def _crc_zero_byte(r: np.ndarray) -> np.ndarray:
    """The CRC registers ``r`` after one more zero byte."""
    shifted: np.ndarray = (r >> 8) ^ _CRC_T[r & 0xFF]
    return shifted


def _crc_tables() -> tuple[np.ndarray, list[int], list[int]]:
    # POS[j, b]: CRC contribution of byte b at position j of a chunk (255 - j bytes follow)
    pos = np.empty((_CRC_CHUNK, 256), np.uint16)
    pos[-1] = _CRC_T
    for j in range(_CRC_CHUNK - 2, -1, -1):
        pos[j] = _crc_zero_byte(pos[j + 1])
    # a register after a whole chunk of zero bytes, split by its low and high byte (linear)
    lo = np.arange(256, dtype=np.uint16)
    hi = lo << 8
    for _ in range(_CRC_CHUNK):
        lo, hi = _crc_zero_byte(lo), _crc_zero_byte(hi)
    return pos.ravel(), lo.tolist(), hi.tolist()


_CRC_POS, _CRC_SHIFT_LO, _CRC_SHIFT_HI = _crc_tables()
_CRC_COLUMN = np.arange(_CRC_CHUNK, dtype=np.intp) << 8


def fit_crc16(data: bytes, start: int = 0, stop: int | None = None) -> int:
    """CRC of ``data[start:stop]`` as the FIT protocol defines it.

    CRC-16/ARC: reflected polynomial 0xA001, initial value 0, no final XOR. The CRC of a
    FIT file including its two CRC bytes is 0.

    Parameters
    ----------
    data : bytes
        The buffer.
    start, stop : int
        The byte range (default: all of ``data``).

    Returns
    -------
    int
        The 16-bit CRC.

    References
    ----------
    .. [1] Garmin, FIT SDK, "FIT File Structure: CRC".
    """
    stop = len(data) if stop is None else stop
    n = stop - start
    if n <= 0:
        return 0
    pad = -n % _CRC_CHUNK
    chunks = np.zeros(n + pad, np.uint8)
    chunks[pad:] = np.frombuffer(data, np.uint8, n, start)
    contrib = _CRC_POS[_CRC_COLUMN + chunks.reshape(-1, _CRC_CHUNK)]
    crc = 0
    for part in np.bitwise_xor.reduce(contrib, axis=1).tolist():
        crc = _CRC_SHIFT_LO[crc & 0xFF] ^ _CRC_SHIFT_HI[crc >> 8] ^ part
    return crc


# --------------------------------------------------------------------------------------------
# Pass 1: walk the record headers


class Stop(Exception):
    """Decoding cannot go on at ``offset``."""

    def __init__(self, reason: str, offset: int):
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


@dataclass(eq=False)
class Definition:
    """One definition message and the offsets of the data messages that use it."""

    offset: int                                  # of the definition message
    global_num: int
    big_endian: bool
    fields: list[tuple[int, int, int, int]]      # (field number, offset in message, size, base)
    size: int                                    # data message size, header byte included
    positions: list[int] = field(default_factory=list)     # normal headers
    cpositions: list[int] = field(default_factory=list)    # compressed-timestamp headers


@dataclass
class Scan:
    """What the header walk found, and where it stopped."""

    definitions: list[Definition]
    file_starts: list[int]
    crc_ok: bool = True
    error: str | None = None
    error_offset: int | None = None


def _parse_definition(buf: bytes, pos: int, n: int) -> tuple[Definition, int]:
    """The definition message at ``pos`` and its length in bytes."""
    if pos + 6 > n:
        raise Stop("file is truncated inside a definition message", pos)
    big = buf[pos + 2] != 0
    order: Literal["big", "little"] = "big" if big else "little"
    global_num = int.from_bytes(buf[pos + 3:pos + 5], order)
    nfields = buf[pos + 5]
    end = pos + 6 + 3 * nfields
    dev = buf[pos] & 0x20
    if end + (1 if dev else 0) > n:
        raise Stop("file is truncated inside a definition message", pos)
    fields = []
    offset = 1
    for i in range(pos + 6, end, 3):
        size = buf[i + 1]
        fields.append((buf[i], offset, size, buf[i + 2] & 0x1F))
        offset += size
    if dev:
        ndev = buf[end]
        start = end + 1
        end = start + 3 * ndev
        if end > n:
            raise Stop("file is truncated inside a definition message", pos)
        offset += sum(buf[start + 1:end:3])
    return Definition(pos, global_num, big, fields, offset), end - pos


def scan_messages(buf: bytes) -> Scan:
    """Walk every FIT file in ``buf``; collect definitions and data message offsets."""
    n = len(buf)
    out = Scan([], [])
    pos = 0
    try:
        while True:
            start = pos
            if n - pos < 12 or buf[pos + 8:pos + 12] != b".FIT":
                what = "another FIT header or the end" if pos else "a FIT header"
                raise Stop(f"not a FIT file: expected {what}, found no .FIT signature", pos)
            header_size = buf[pos]
            if header_size < 12 or pos + header_size > n:
                raise Stop(f"invalid FIT header size {header_size}", pos)
            if header_size >= 14:
                stored = int.from_bytes(buf[pos + 12:pos + 14], "little")
                if stored and stored != fit_crc16(buf, pos, pos + 12):
                    out.crc_ok = False
            data_end = pos + header_size + int.from_bytes(buf[pos + 4:pos + 8], "little")
            out.file_starts.append(pos)
            pos += header_size
            end = min(data_end, n)
            # per header byte: size of its data message (0: none) and where its offsets go
            sizes = [0] * 256
            appends: list[Any] = [None] * 256
            owners: list[Any] = [None] * 256
            h = 0
            while pos < end:
                h = buf[pos]
                s = sizes[h]
                if s:
                    appends[h](pos)
                    pos += s
                elif h & 0xC0 == 0x40:
                    d, length = _parse_definition(buf, pos, n)
                    out.definitions.append(d)
                    local = h & 0x0F
                    for hh in (local, local | 0x10, local | 0x20, local | 0x30):
                        sizes[hh] = d.size
                        appends[hh] = d.positions.append
                        owners[hh] = d.positions
                    if local < 4:
                        first = 0x80 | local << 5
                        sizes[first:first + 32] = [d.size] * 32
                        appends[first:first + 32] = [d.cpositions.append] * 32
                        owners[first:first + 32] = [d.cpositions] * 32
                    pos += length
                else:
                    local = (h >> 5) & 0x03 if h & 0x80 else h & 0x0F
                    raise Stop(f"data message of local type {local}, which has no definition",
                                pos)
            if pos > n:
                start_of_last = owners[h].pop()
                raise Stop("file is truncated inside a data message",
                            start_of_last)
            if pos < data_end:
                raise Stop("file is truncated before the data size its header "
                            "gives", pos)
            if pos + 2 > n:
                raise Stop("file is truncated before its CRC", pos)
            if fit_crc16(buf, start, pos + 2) != 0:
                out.crc_ok = False
            pos += 2
            if pos >= n:
                return out
    except Stop as stop:
        out.error, out.error_offset = stop.reason, stop.offset
    return out
