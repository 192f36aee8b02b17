"""Read a list file into a table: cleaned header names and data rows with line numbers.

CSV follows RFC 4180 as Excel writes it: ``,`` ``;`` or tab between fields (sniffed from
the header line, or given by Excel's ``sep=;`` first line), fields in double quotes may
hold separators, doubled quotes and line breaks, and lines end in CRLF, LF or CR. Blank
lines are skipped and counted; trailing empty columns are dropped. YAML lists are a
sequence of mappings, one per row.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from mailer.errors import ListError
from mailer.lists.decode import decode_list_bytes
from mailer.yamlfile import Node, parse_yaml

YAML_SUFFIXES = (".yaml", ".yml")
DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_NEWLINE = re.compile(r"\r\n|\r|\n")
_INVISIBLE = re.compile(r"[\u00a0\u200b\u200c\u200d\u2060\ufeff]")


@dataclass(slots=True)
class RawRow:
    """One data row as read.

    Attributes:
        line: 1-based line where the row starts (CSV) or its mapping starts (YAML).
        cells: one string per header column (short rows padded with ``""``), stripped.
        given: how many fields the row really had (before padding); equals the header
            width for YAML rows.
        extra: True when the row had non-empty fields beyond the header's columns.
    """

    line: int
    cells: list[str]
    given: int
    extra: bool = False


@dataclass
class Table:
    """A list file read as a table.

    Attributes:
        header: column names, whitespace-trimmed and collapsed; ``""`` for a nameless one.
        rows: data rows (blank lines left out).
        blank_lines: blank lines (or rows of empty cells) after the header, skipped.
        format: ``csv`` or ``yaml``.
        encoding: see :class:`mailer.lists.decode.Decoded`.
        delimiter: the CSV field separator (``""`` for YAML).
        header_line: 1-based line of the header (for YAML, of the first entry; 0 when none).
    """

    path: Path
    header: list[str]
    rows: list[RawRow]
    blank_lines: int = 0
    format: str = "csv"
    encoding: str = "utf-8"
    delimiter: str = ","
    header_line: int = 1
    warnings: list[str] = field(default_factory=list)

    @property
    def delimiter_name(self) -> str:
        """``comma``, ``semicolon`` or ``tab``."""
        return _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


class TableStream:
    """A list file opened for reading row by row: the header is known at once, the data
    rows are produced one at a time (a large list is never held as rows, only as its
    text). Same attributes as :class:`Table`; ``blank_lines`` is complete once
    :meth:`rows` has been read to the end.

    Reading the rows raises :class:`~mailer.errors.ListError` for an unclosed or stray
    quote, as :func:`read_table` does.
    """

    def __init__(self, path: Path, header: list[str], rows: Iterable[RawRow] = (), *,
                 blank_lines: int = 0, format: str = "csv", encoding: str = "utf-8",
                 delimiter: str = ",", header_line: int = 1,
                 counter: list[int] | None = None,
                 records: CsvRecords | None = None) -> None:
        self.path = path
        self.header = header
        self.format = format
        self.encoding = encoding
        self.delimiter = delimiter
        self.header_line = header_line
        self.warnings: list[str] = []
        self._blank = counter if counter is not None else [blank_lines]
        self._rows = iter(rows)
        self._records = records
        self._head: list[RawRow] = []

    @property
    def blank_lines(self) -> int:
        """Blank lines after the header seen so far (all of them after :meth:`rows`)."""
        return self._blank[0]

    @property
    def delimiter_name(self) -> str:
        """``comma``, ``semicolon`` or ``tab``."""
        return _DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def head(self, count: int) -> list[RawRow]:
        """The first ``count`` data rows (kept, and given again by :meth:`rows`)."""
        if self._records is not None:
            return self._records.peek(count)
        while len(self._head) < count:
            row = next(self._rows, None)
            if row is None:
                break
            self._head.append(row)
        return self._head[:count]

    def records(self) -> CsvRecords | None:
        """For a CSV file, its data rows as :class:`CsvRecords` (:meth:`head`'s among
        them); ``None`` for YAML. Read the rows this way or by :meth:`rows`, once."""
        return self._records

    def rows(self) -> Iterator[RawRow]:
        """Every data row once, in file order (call once)."""
        if self._records is not None:
            return self._records.rows()
        head, self._head = self._head, []
        return itertools.chain(head, self._rows)

    def to_table(self) -> Table:
        """Read every row into a :class:`Table`."""
        rows = list(self.rows())
        table = Table(path=self.path, header=self.header, rows=rows,
                      blank_lines=self.blank_lines, format=self.format,
                      encoding=self.encoding, delimiter=self.delimiter,
                      header_line=self.header_line)
        table.warnings.extend(self.warnings)
        return table


def clean_header(name: str) -> str:
    """Trim a column name and collapse inner whitespace (non-breaking spaces included)."""
    return " ".join(_INVISIBLE.sub(" ", name).split())


def read_table(path: Path) -> Table:
    """Read the CSV or YAML (by suffix ``.yaml``/``.yml``) list at ``path``.

    Raises:
        ListError: missing, unreadable, empty (0 bytes) or blank file; undecodable bytes;
            an unclosed quote (naming the line where it opens) or a stray quote; a YAML
            list that is not a sequence of mappings.
    """
    return open_table(path).to_table()


def open_table(path: Path) -> TableStream:
    """Open the CSV or YAML list at ``path`` for reading row by row (see
    :class:`TableStream`): the file is decoded and the header read now, the rows as they
    are asked for.

    Raises:
        ListError: as :func:`read_table`; an unclosed or stray quote after the header is
            raised while the rows are read.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ListError("the list file does not exist.", path=path) from None
    except IsADirectoryError:
        raise ListError("this is a folder, not a list file.", path=path) from None
    except OSError as exc:
        raise ListError(f"the list file cannot be read ({exc.strerror}).", path=path) from None
    if not raw:
        raise ListError(
            "the list file is empty (0 bytes). Export the list again from your records "
            "system.",
            path=path,
        )
    decoded = decode_list_bytes(raw, path)
    if path.suffix.lower() in YAML_SUFFIXES:
        del raw  # the text is all that is needed from here on
        table = _read_yaml(decoded.text, path, decoded.encoding)
        stream = TableStream(path, table.header, iter(table.rows),
                             blank_lines=table.blank_lines, format="yaml",
                             encoding=table.encoding, delimiter="", header_line=table.header_line)
        stream.warnings.extend(table.warnings)
        return stream
    encoding = decoded.encoding
    # Checked: the rows are read from the file again, a block at a time, as they are
    # asked for; neither the bytes nor the text are kept whole meanwhile, only their size
    # and digest, to refuse a file that is no longer the one checked.
    checked = (len(raw), hashlib.blake2b(raw).digest())
    del decoded, raw
    return _open_csv(_file_lines(path, encoding, checked), path, encoding,
                     lambda: _whole_text(path))


def _file_lines(path: Path, encoding: str, checked: tuple[int, bytes]) -> Iterator[str]:
    """The physical lines of the list file (as :func:`raw_lines` of its bytes), read and
    decoded a block at a time; the file is closed at the end (or when the reading is
    given up). ``checked``: the size and BLAKE2b digest of the bytes that were checked;
    the bytes read must be the same.

    Raises:
        ListError: the file can no longer be read, no longer decodes as ``encoding``, or
            is not the file that was checked (it was changed while it was read); raised
            at the latest after its last line, before the reading is complete.
    """
    size, digest = checked
    try:
        with path.open("rb") as fh:
            if os.fstat(fh.fileno()).st_size != size:
                raise ListError(_CHANGED_WHILE_READ, path=path)
            seen = _DigestReader(fh)
            yield from io.TextIOWrapper(io.BufferedReader(seen), encoding=encoding,
                                        newline="")
            if seen.size != size or seen.hash.digest() != digest:
                raise ListError(_CHANGED_WHILE_READ, path=path)
    except (OSError, UnicodeDecodeError):
        raise ListError(_CHANGED_WHILE_READ, path=path) from None


class _DigestReader(io.RawIOBase):
    """A binary file read through, counting and hashing (BLAKE2b) the bytes it gives."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.size = 0
        self.hash = hashlib.blake2b()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = self.fh.readinto(buffer)
        if n:
            self.size += n
            self.hash.update(memoryview(buffer)[:n])
        return n or 0


_CHANGED_WHILE_READ = ("the list file changed (or went) while mailer was reading it. Wait "
                       "until it is saved, then run the command again.")


def _whole_text(path: Path) -> str:
    """The list file's text, read again (to find the line of a CSV error)."""
    try:
        return decode_list_bytes(path.read_bytes(), path).text
    except OSError:
        raise ListError(_CHANGED_WHILE_READ, path=path) from None


def raw_lines(raw: bytes, encoding: str) -> Iterator[str]:
    """The physical lines of ``raw`` (bytes :func:`decode_list_bytes` has accepted as
    ``encoding``), decoded a block at a time: the same lines as :func:`physical_lines`
    of the whole decoded text, without that text ever being whole in memory (a
    100,000-row list with one name outside Latin-1 is about 17 MB as one string, its
    lines about half that, and the rows are read from them at C speed)."""
    return io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline="")


# --- CSV -------------------------------------------------------------------------------




def sniff_delimiter(header_line: str) -> str:
    """The separator used most often outside quotes in ``header_line``: ``,``, ``;`` or
    tab (ties go to that order; none at all means a one-column comma file)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _offset_of_line(text: str, line: int) -> int:
    """Character offset where 1-based ``line`` starts."""
    if line <= 1:
        return 0
    for n, match in enumerate(_NEWLINE.finditer(text), start=2):
        if n == line:
            return match.end()
    return len(text)


def unclosed_quote_line(text: str, start_line: int, delimiter: str) -> int | None:
    """Scan from ``start_line`` as a CSV reader would; return the line where a quoted
    field opens that is never closed, or ``None``."""
    i = _offset_of_line(text, start_line)
    line = start_line
    quoted = False
    field_start = True
    opened = None
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "\r\n":
            if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 1
            line += 1
            if not quoted:
                field_start = True
        elif quoted:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif ch == '"' and field_start:
            quoted = True
            opened = line
        else:
            field_start = ch == delimiter
        i += 1
    return opened if quoted else None


def oversized_field(text: str, start_line: int, delimiter: str,
                    limit: int) -> tuple[int, int] | None:
    """Scan the CSV record starting on ``start_line`` as a CSV reader would; return
    (1-based line where the first field longer than ``limit`` characters starts, its
    1-based column), or ``None`` when no field of the record is that long."""
    i = _offset_of_line(text, start_line)
    line = field_line = start_line
    column, size, quoted, field_start = 1, 0, False, True
    n = len(text)
    while i < n:
        ch = text[i]
        if quoted:
            if ch == '"' and i + 1 < n and text[i + 1] == '"':
                i += 1
            elif ch == '"':
                quoted = False
                i += 1
                continue
            elif ch in "\r\n":
                if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                    i += 1
                line += 1
        elif ch in "\r\n":
            return None
        elif ch == delimiter:
            column, size, field_start, field_line = column + 1, 0, True, line
            i += 1
            continue
        elif ch == '"' and field_start:
            quoted = True
            field_start = False
            i += 1
            continue
        field_start = False
        size += 1
        if size > limit:
            return field_line, column
        i += 1
    return None


def _column_words(column: int, names: list[str]) -> str:
    """``column C ('Notes')``: a 1-based column as Excel letters it, with its heading when
    there is one."""
    letters, k = "", column
    while k:
        k, rest = divmod(k - 1, 26)
        letters = chr(ord("A") + rest) + letters
    name = names[column - 1] if 0 < column <= len(names) and names[column - 1] else ""
    return f"column {letters}" + (f" ('{name}')" if name else "")


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def physical_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time, line ends kept (CRLF, LF or a lone CR), as
    ``io.StringIO(text, newline="")`` gives them to the csv module, without copying the
    whole text."""
    return (match.group() for match in _LINE.finditer(text))


def _csv_error(exc: csv.Error, start: int, line_num: int, path: Path, delimiter: str,
               names: list[str], whole_text: Callable[[], str]) -> ListError:
    """The :class:`ListError` for a csv error in the record that starts on line ``start``
    (``line_num``: the csv reader's line when it gave up). ``names``: the header's column
    names once known (for messages); ``whole_text``: gives the file's text, to find where
    the error is."""
    text = whole_text()
    opened = unclosed_quote_line(text, start, delimiter)
    if opened is not None:
        return ListError(
            "a quoted field opens on this line and is never closed, so the rest of the "
            "file would be read as one field. Add the closing '\"' (a quote mark inside "
            "a field is written twice: \"\").",
            path=path,
            line=opened,
        )
    # Python's csv module refuses a field over csv.field_size_limit() (131,072
    # characters). No cell of a parent list (an address, a name, a year group) comes
    # near that; such a cell is a pasted document or a damaged export, so it is
    # refused in words rather than read with a higher limit.
    big = oversized_field(text, start, delimiter, csv.field_size_limit())
    if big is not None:
        return ListError(
            f"the cell in {_column_words(big[1], names)} is over "
            f"{csv.field_size_limit():,} characters long. No cell of a parent list comes "
            "near that: it is probably a document pasted into the cell, or a damaged "
            "export. Correct the cell and save the list again.",
            path=path,
            line=big[0],
        )
    return ListError(
        f"this line cannot be read as CSV ({exc}). A field that contains a quote mark "
        "must be wholly in quotes, with the inner quote written twice (\"\").",
        path=path,
        line=line_num,
    )


class CsvRecords:
    """The data rows of a CSV list after its header, as the csv module gives them: for
    :meth:`rows` (every row as a :class:`RawRow`), or for a reader that takes most rows'
    cells straight from :attr:`reader` (the list reader's common rows) and the others
    through :meth:`row`.

    Attributes:
        reader: the ``csv.reader``; its ``line_num`` is the line the last record ended on.
        prev: the line the last record read so far ended on (the header's, at first).
        ahead: (start line, cells) of the records :meth:`peek` has read, to be read again.
        width: the header's number of columns.
    """

    def __init__(self, reader: Any, prev: int, width: int, blank: list[int], path: Path,
                 delimiter: str, names: list[str], whole_text: Callable[[], str]) -> None:
        self.reader = reader
        self.prev = prev
        self.ahead: list[tuple[int, list[str]]] = []
        self.width = width
        self._blank = blank
        self._path = path
        self._delimiter = delimiter
        self._names = names
        self._whole_text = whole_text

    def row(self, start: int, cells: list[str]) -> RawRow | None:
        """The :class:`RawRow` of the record ``cells`` that starts on line ``start``:
        cells stripped, padded or cut to the header's width; ``None`` for a blank one
        (counted in the table's ``blank_lines``)."""
        raw = _raw_row(start, cells, self.width)
        if raw is None:
            self._blank[0] += 1
        return raw

    def error(self, exc: csv.Error, start: int) -> ListError:
        """The :class:`ListError` for ``exc``, raised by :attr:`reader` reading the record
        that starts on line ``start`` (see :func:`_csv_error`)."""
        return _csv_error(exc, start, self.reader.line_num, self._path, self._delimiter,
                          self._names, self._whole_text)

    def peek(self, count: int) -> list[RawRow]:
        """The first ``count`` data rows (fewer when the list has fewer), blank ones left
        out; their records are kept in :attr:`ahead`, to be read again.

        Raises:
            ListError: a record the csv module refuses."""
        width = self.width
        rows = [raw for start, cells in self.ahead
                if (raw := _raw_row(start, cells, width)) is not None]
        reader, prev = self.reader, self.prev
        try:
            while len(rows) < count:
                cells = next(reader, None)
                if cells is None:
                    break
                start, prev = prev + 1, reader.line_num
                self.ahead.append((start, cells))
                raw = _raw_row(start, cells, width)
                if raw is not None:
                    rows.append(raw)
        except csv.Error as exc:
            raise self.error(exc, prev + 1) from None
        self.prev = prev
        return rows[:count]

    def rows(self) -> Iterator[RawRow]:
        """Every data row (:attr:`ahead` first), as :meth:`row` gives it: blank ones
        counted and left out.

        Raises:
            ListError: a record the csv module refuses."""
        ahead, self.ahead = self.ahead, []
        row = self.row
        for start, cells in ahead:
            raw = row(start, cells)
            if raw is not None:
                yield raw
        del ahead
        reader, prev = self.reader, self.prev
        try:
            for cells in reader:
                start, prev = prev + 1, reader.line_num
                raw = row(start, cells)
                if raw is not None:
                    yield raw
        except csv.Error as exc:
            raise self.error(exc, prev + 1) from None


def _raw_row(start: int, cells: list[str], width: int) -> RawRow | None:
    """The :class:`RawRow` of csv record ``cells`` starting on line ``start`` of a list
    ``width`` columns wide; ``None`` when every cell is blank."""
    stripped = list(map(str.strip, cells))
    if not any(stripped):
        return None
    given = len(stripped)
    if given == width:  # most rows
        return RawRow(start, stripped, given, False)
    extra = any(stripped[width:])
    return RawRow(start, stripped[:width] + [""] * max(0, width - given), given, extra)


def _open_csv(lines: Iterator[str], path: Path, encoding: str,
              whole_text: Callable[[], str]) -> TableStream:
    """The table of the physical ``lines`` of a CSV file (line ends kept), read as they
    are asked for; ``whole_text`` gives the file's text (only for the line of an error)."""
    # The lines up to the first that is not blank: the first says whether Excel's "sep="
    # line is there, the first non-blank one which delimiter the file uses.
    peeked: list[str] = []
    for line in lines:
        peeked.append(line)
        if line.strip():
            break
    first = peeked[0].rstrip("\r\n") if peeked else ""
    sep_line = re.fullmatch(r"\s*sep=(.)\s*", first)
    delimiter = (sep_line.group(1) if sep_line
                 else sniff_delimiter(peeked[-1].rstrip("\r\n") if peeked else ""))
    reader = csv.reader(itertools.chain(peeked, lines), delimiter=delimiter, strict=True)
    prev = 0
    try:
        for cells in reader:
            start, prev = prev + 1, reader.line_num
            if sep_line and start == 1:
                continue
            if not any(c.strip() for c in cells):
                continue
            names = [clean_header(c) for c in cells]
            while names and not names[-1]:
                names.pop()
            blank = [0]
            records = CsvRecords(reader, prev, len(names), blank, path, delimiter, names,
                                 whole_text)
            return TableStream(path, names, format="csv", encoding=encoding,
                               delimiter=delimiter, header_line=start, counter=blank,
                               records=records)
    except csv.Error as exc:
        raise _csv_error(exc, prev + 1, reader.line_num, path, delimiter, [],
                         whole_text) from None
    raise ListError(
        "the list file holds only blank lines: there is no header line with column "
        "names.",
        path=path,
    )


# --- YAML ------------------------------------------------------------------------------


def _yaml_cell(value: object, path: Path, line: int | None, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (str, int, float, dt.date)):
        return str(value).strip()
    if isinstance(value, list) and all(
        isinstance(v, (str, int, float)) or v is None for v in value
    ):
        return "; ".join(str(v).strip() for v in value if v is not None)
    raise ListError(
        f"'{key}' must be a single value or a list of values, not a nested section.",
        path=path,
        line=line,
    )


def _read_yaml(text: str, path: Path, encoding: str) -> Table:
    data = parse_yaml(text, path, ListError)
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ListError(
            "a YAML list must be a sequence of entries, each starting with '- ' (for example "
            "'- email: parent@example.org').",
            path=path,
            line=getattr(data, "line", 1),
        )
    header: list[str] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(data, start=1):
        if not isinstance(item, Node):
            raise ListError(
                f"entry {number} of the list is not a set of 'name: value' lines (such as "
                "'- email: parent@example.org' with the entry's other lines under it).",
                path=path, line=_yaml_entry_line(text, number - 1),
            )
        for key in item:
            name = clean_header(str(key))
            if name not in seen:
                seen[name] = len(header)
                header.append(name)
    rows: list[RawRow] = []
    blank = 0
    for item in data:
        cells = [""] * len(header)
        for key, value in item.items():
            cells[seen[clean_header(str(key))]] = _yaml_cell(
                value, path, item.line_of(key), str(key)
            )
        if any(cells):
            rows.append(RawRow(item.line or 0, cells, len(header)))
        else:
            blank += 1
    # The "header" of a YAML list is the names used by its entries: problems with it (no
    # address among them) are reported at the first entry.
    first = data[0].line if data and isinstance(data[0], Node) else None
    return Table(path=path, header=header, rows=rows, blank_lines=blank, format="yaml",
                 encoding=encoding,
                 delimiter="", header_line=first or 0)


def _yaml_entry_line(text: str, index: int) -> int | None:
    """1-based line where entry ``index`` (0-based) of a YAML list starts; only used for
    messages, on a file that has already been parsed."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    if isinstance(node, yaml.SequenceNode) and index < len(node.value):
        return int(node.value[index].start_mark.line) + 1
    return None
