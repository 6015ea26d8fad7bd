"""The reference FIT decoder: fitparse, message by message, into runback's decoder contract.

:func:`decode_fitparse` fills the same :class:`~runback.io.fit_messages.FitMessages` as the
vectorised :func:`runback.io.fit_fast.decode_fast`, through fitparse's reader. It is slow
and reaches into fitparse's internals to salvage broken files as runback does (a CRC
mismatch, truncation, COROS definitions whose field sizes misfit their base types), which
is why it lives with the tests: they pass it to :func:`runback.io.fit.read_fit` as
``decoder=`` and require the same tables from both decoders on every real FIT file.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pandas as pd
from fitparse import FitFile
from fitparse.records import BASE_TYPES, Crc
from fitparse.utils import FitEOFError, FitHeaderError, FitParseError

from runback.io.fit_messages import (
    FIT_EPOCH_S,
    KINDS,
    MIN_DATE_TIME,
    USED_FIELDS,
    Columns,
    FitMessages,
)

__all__ = ["decode_fitparse"]


class _NoProcessing:
    """A fitparse data processor that changes nothing.

    fitparse's default processor looks up three hook methods per field by name (and turns
    ``date_time`` into ``datetime`` one value at a time); the frames are converted column
    by column instead.
    """

    @staticmethod
    def _skip(_):
        return None

    run_type_processor = run_field_processor = run_unit_processor = _skip
    run_message_processor = _skip


class _SalvagingFitFile(FitFile):
    """fitparse's reader, noting a CRC mismatch (``crc_ok``) instead of raising."""

    crc_ok = True

    def _read_and_assert_crc(self, allow_zero=False):
        computed, stored = self._crc.value, self._read_struct(Crc.FMT)
        if not (computed == stored or (allow_zero and stored == 0)):
            self.crc_ok = False


def _byte_fallback(definition: bytes) -> bytes:
    """A definition message with every field whose size misfits its base type made bytes.

    COROS watches write, for example, 1-byte ``uint32`` fields; the FIT SDK reads a field
    whose size is not a multiple of its base type's size as a byte array.
    """
    out = bytearray(definition)
    for i in range(out[5]):
        size_at = 6 + 3 * i + 1
        base = BASE_TYPES.get(out[size_at + 1])
        if base is not None and out[size_at] % base.size:
            out[size_at + 1] = 0x0D
    return bytes(out)


def _repair_definition(ff: _SalvagingFitFile, fh: io.BytesIO, data: bytes, pos: int,
                       crc_before: int):
    """Re-read the definition message at ``pos`` with misfit fields as bytes.

    Returns the parsed definition, or None when the message at ``pos`` is not a definition
    that the fallback changes. The CRC is carried on over the file's original bytes.
    """
    header = data[pos]
    if header & 0x80 or not header & 0x40 or pos + 6 > len(data):
        return None
    end = pos + 6 + 3 * data[pos + 5]
    if end > len(data):
        return None
    patched = _byte_fallback(data[pos:end])
    if patched == data[pos:end]:
        return None
    ff._bytes_left += fh.tell() - pos
    fh.seek(pos)
    fh.write(patched)
    fh.seek(pos)
    message = ff._parse_message()
    ff._crc.value = Crc.calculate(data[pos:fh.tell()], crc_before)
    return message


#: What fitparse raises, besides its own errors, on bytes that make no sense as FIT data.
_DECODE_ERRORS = (FitParseError, TypeError, ValueError, KeyError, IndexError, struct.error)


def decode_fitparse(data: bytes, name: str) -> FitMessages:
    """Decode FIT bytes with fitparse into :class:`~runback.io.fit_messages.FitMessages`.

    Salvages what it can: a file CRC mismatch keeps the data (``crc_ok = False``);
    truncation, an undefined local message or a bad header of a chained part keep every
    message decoded before the break (``error``, ``error_offset``); definitions whose field
    sizes misfit their base types (COROS) are read with those fields as bytes. Chained FIT
    files are decoded part after part. When the first ``file_id`` says the file is not an
    activity, decoding stops there: the frames then hold only ``file_id``.

    Parameters
    ----------
    data : bytes
        The whole file.
    name : str
        What the file is called; the reader passes it so that a decoder may
        use it in its diagnostics (fitparse's decoder reports through ``error`` only).

    Returns
    -------
    FitMessages
    """
    fh = io.BytesIO(data)
    try:
        ff = _SalvagingFitFile(fh, data_processor=_NoProcessing())
    except (FitHeaderError, FitEOFError):
        return FitMessages(error="not a FIT file (bad header)", error_offset=0)
    rows: dict[str, list[tuple]] = {m: [] for m in USED_FIELDS}
    error = offset = None
    file_type_seen = False
    while not ff._complete:
        pos, crc_before = fh.tell(), ff._crc.value
        try:
            message = ff._parse_message()
        except FitEOFError:
            error, offset = "file is truncated", pos
            break
        except FitHeaderError:
            error, offset = "bad header of a chained FIT part", pos
            break
        except FitParseError as e:
            try:
                message = _repair_definition(ff, fh, data, pos, crc_before)
            except _DECODE_ERRORS:
                message = None
            if message is None:
                error, offset = f"FIT data cannot be decoded ({e})", pos
                break
        except _DECODE_ERRORS as e:
            error, offset = f"FIT data cannot be decoded ({type(e).__name__}: {e})", pos
            break
        if message is None or message.type != "data":
            continue
        mesg = message.def_mesg.mesg_type
        wanted = USED_FIELDS.get(mesg.name) if mesg is not None else None
        if wanted is None:
            continue
        values = {}
        for fd in message.fields:
            field = fd.field
            # A component (compressed_speed_distance -> distance) fills a field only when
            # the message has no value of its own for it: an empty component never erases one.
            if (field is not None and field.field_type != "devfield"
                    and values.get(field.name) is None):
                values[field.name] = fd.value
        rows[mesg.name].append(tuple(map(values.get, wanted)))
        if mesg.name == "file_id" and not file_type_seen:
            file_type_seen = True
            if values.get("type") not in (None, "activity"):
                break
    tables = {m: _columns(m, r) for m, r in rows.items() if r}
    return FitMessages(tables, crc_ok=ff.crc_ok, error=error, error_offset=offset)


def _columns(message: str, rows: list[tuple]) -> Columns:
    """One message's rows as columns converted by the profile's types."""
    kinds = KINDS[message]
    columns = zip(*rows, strict=True)
    return Columns(len(rows), {n: _convert(c, kinds[n]) for n, c in zip(kinds, columns,
                                                                         strict=True)})


def _first_item(value):
    """The first element of an array field's tuple, else the value itself."""
    return value[0] if isinstance(value, tuple) and value else value


def _convert(values: tuple, kind: str) -> np.ndarray:
    """Decoded values of one field as a column: float, str or datetime64[ns]."""
    if kind == "text":
        return np.array([None if v is None else str(_first_item(v)) for v in values],
                        dtype=object)
    try:
        numbers = np.array(values, dtype="float64")
    except (TypeError, ValueError):
        numbers = None
    if numbers is None or numbers.ndim != 1:
        numbers = pd.to_numeric(pd.Series([_first_item(v) for v in values], dtype=object),
                                errors="coerce").to_numpy("float64")
    if kind == "num":
        return numbers
    dated = numbers >= MIN_DATE_TIME
    seconds = np.where(dated, numbers, 0).astype("int64") + FIT_EPOCH_S
    stamps = seconds.astype("datetime64[s]").astype("datetime64[ns]")
    stamps[~dated] = np.datetime64("NaT")
    return stamps


