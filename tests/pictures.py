"""Small real pictures for the letter's logo, made without an imaging library: a PNG
(ISO/IEC 15948: signature, IHDR, zlib-compressed IDAT, IEND) and a baseline JPEG header
(SOI, JFIF APP0, SOF0 with its size, EOI) as python-docx reads it."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def badge_png(width: int = 160, height: int = 160, colour: tuple[int, int, int] = (11, 110, 79)
              ) -> bytes:
    """A round badge in ``colour`` with a white ring, on a transparent ground (RGBA)."""
    cx, cy, r = width / 2, height / 2, min(width, height) / 2 - 2
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            d = ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2) ** 0.5
            if d > r:
                row += b"\x00\x00\x00\x00"
            elif r * 0.72 < d < r * 0.8:
                row += b"\xff\xff\xff\xff"
            else:
                row += bytes(colour) + b"\xff"
        rows.append(bytes(row))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + _chunk(b"IEND", b""))


def jpeg_header(width: int = 200, height: int = 100) -> bytes:
    """The markers of a baseline JPEG of ``width`` x ``height`` (no image data)."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00"
    sof0 = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xc0" + struct.pack(">H", len(sof0) + 2) + sof0 + b"\xff\xd9")
