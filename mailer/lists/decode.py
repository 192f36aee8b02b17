"""Bytes of a list file to text: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's
"Unicode Text"), else Windows-1252 (Excel's "CSV (Comma delimited)" on a Western
Windows machine).

A file that is none of these, or mixes two of them, is refused with the line of the first
byte that cannot be read, rather than read as garbled names.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from mailer.errors import ListError

_SAVE_AS_UTF8 = "In Excel use File > Save As > 'CSV UTF-8 (Comma delimited)'."


@dataclass(frozen=True)
class Decoded:
    """A list file's text.

    Attributes:
        text: the decoded text, BOM removed, line ends untouched.
        encoding: ``utf-8``, ``utf-8-sig`` (with BOM), ``utf-16`` or ``cp1252``.
    """

    text: str
    encoding: str


def _line_of(raw: bytes, offset: int) -> int:
    """1-based line holding byte ``offset`` (CRLF, LF and lone CR all end a line)."""
    head = raw[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def decode_list_bytes(raw: bytes, path: Path) -> Decoded:
    """Decode the bytes of a list file.

    Order: a UTF-16 BOM means UTF-16; otherwise UTF-8 (BOM optional); otherwise
    Windows-1252, but only when no valid UTF-8 multi-byte sequence came before the first
    non-UTF-8 byte (such a file mixes two encodings and would come out garbled).

    Raises:
        ListError: for a spreadsheet (.xlsx/.xls) given instead of CSV, NUL bytes (not a
            text file), mixed encodings, or a byte Windows-1252 leaves undefined; the
            message names the line holding the first bad byte.
    """
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise ListError(
            f"this is an Excel workbook, not a CSV file. {_SAVE_AS_UTF8}", path=path
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(raw.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise ListError(
                "the file starts like UTF-16 text but has bytes that cannot be read. "
                + _SAVE_AS_UTF8,
                path=path,
                line=_line_of(raw, exc.start),
            ) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise ListError(
            "the file holds NUL bytes, so it is not a text (CSV) file. " + _SAVE_AS_UTF8,
            path=path,
            line=_line_of(raw, nul),
        )
    try:
        if raw.startswith(codecs.BOM_UTF8):
            return Decoded(raw.decode("utf-8-sig"), "utf-8-sig")
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        bad = exc.start
    if any(b >= 0x80 for b in raw[:bad]):
        raise ListError(
            f"the file mixes two text encodings: earlier lines are UTF-8 but byte "
            f"0x{raw[bad]:02x} on this line is not, so names would come out garbled. "
            + _SAVE_AS_UTF8,
            path=path,
            line=_line_of(raw, bad),
        )
    try:
        return Decoded(raw.decode("cp1252"), "cp1252")
    except UnicodeDecodeError as exc:
        raise ListError(
            f"the file is neither UTF-8 nor Windows-1252 text: byte 0x{raw[exc.start]:02x} "
            "cannot be read. " + _SAVE_AS_UTF8,
            path=path,
            line=_line_of(raw, exc.start),
        ) from None
