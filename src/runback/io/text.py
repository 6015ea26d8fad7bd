"""Text files as people's tools write them: one decoding rule for every text reader.

Spreadsheets and editors save CSV files as UTF-8 (with or without a byte order mark),
UTF-16 with a byte order mark (Excel's "Unicode text") or a Windows code page. The
activity-log readers (:mod:`runback.io.activity_csv`) and the pain diary
(:mod:`runback.io.diary`) decode them with :func:`decode_text`.
"""

from __future__ import annotations

__all__ = ["TextDecodeError", "decode_text", "BINARY"]

#: Bytes looked at for a NUL, the mark of a binary file.
_SNIFF_BYTES = 4096
#: The reason given for a binary file.
BINARY = "not a text file (binary data)"


class TextDecodeError(ValueError):
    """Bytes that are not text: ``reason`` says why, ``offset`` where (None: anywhere)."""

    def __init__(self, reason: str, offset: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def decode_text(data: bytes, *, refuse_binary: bool = False) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read in.

    UTF-16 when the bytes start with its byte order mark; else UTF-8 (a byte order mark
    is dropped); else Windows-1252; else Latin-1, which reads any byte.

    Parameters
    ----------
    data : bytes
        The whole file.
    refuse_binary : bool
        Refuse bytes with a NUL in their first 4 KiB (and no UTF-16 byte order mark): a
        reader that must tell its format from other files says so; the diary reader, which
        reports a stray NUL on its line and keeps the other rows, does not.

    Returns
    -------
    text : str
    encoding : str
        ``utf-16``, ``utf-8``, ``cp1252`` or ``latin-1``: writing the text back in it
        (after a UTF-8 byte order mark when the file had one) keeps the file's encoding.

    Raises
    ------
    TextDecodeError
        UTF-16 by its byte order mark but not valid UTF-16; or, with ``refuse_binary``, a
        NUL byte in the first 4 KiB without a UTF-16 byte order mark (:data:`BINARY`).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as e:
            raise TextDecodeError("not valid UTF-16 text although it starts with a UTF-16 "
                                  "byte order mark", e.start) from e
    if refuse_binary and b"\x00" in data[:_SNIFF_BYTES]:
        raise TextDecodeError(BINARY)
    for encoding, label in (("utf-8-sig", "utf-8"), ("cp1252", "cp1252")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"
