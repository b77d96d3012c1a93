"""Stream records out of an import file, each with the byte offset where the next one starts.

Three containers: JSON Lines (one value per line), a JSON array (read incrementally with
`json.JSONDecoder.raw_decode`, never whole) and CSV (rows as column -> text). Every reader
starts at a `Position` (offset 0 for the whole file, or a saved position to resume) and
yields `Record`s whose `end` is a position to resume from after that record.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

BOM = codecs.BOM_UTF8
CHUNK_CHARS = 1 << 20  # characters decoded per read of a JSON array
# One JSON array element larger than this is refused: a record that never completes would
# otherwise make the reader buffer the rest of the file.
MAX_RECORD_BYTES = 16 << 20
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# An object whose first member is the array of records: an xAPI StatementResult (an LRS's
# GET /statements answer) or a POST /v1/events body. Its other members (`more`) are ignored.
WRAPPER = re.compile(r'\{\s*"(?:statements|events)"\s*:\s*\[')
WRAPPER_PEEK = 256


@dataclass(frozen=True, slots=True)
class Position:
    """Where reading (re)starts: byte offset, records and lines already read before it."""

    offset: int = 0
    record: int = 0
    line: int = 0


@dataclass(frozen=True, slots=True)
class Record:
    """One record: its 1-based number and first line, its value (or why it is unreadable)."""

    record: int
    line: int
    end: Position  # resume here to read the records after this one
    value: Any = None
    error: str | None = None  # the record could not be parsed; `value` is None


class ArrayError(ValueError):
    """The JSON array itself is malformed, so nothing after this point can be read."""


def read_jsonl(stream: IO[bytes], start: Position) -> Iterator[Record]:
    """One JSON value per line; blank lines are skipped (but counted as lines)."""
    stream.seek(start.offset)
    offset, record, line = start.offset, start.record, start.line
    for raw in stream:
        if offset == 0 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
            offset += len(BOM)
        line += 1
        offset += len(raw)
        if not raw.strip():
            continue
        record += 1
        end = Position(offset, record, line)
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            yield Record(record, line, end, error=f"not valid JSON: {exc}")
        else:
            yield Record(record, line, end, value)


def read_json_array(stream: IO[bytes], start: Position) -> Iterator[Record]:
    """The elements of a top-level JSON array (or the one value of a file that is no array).

    The array may also be the first member of an object, `{"statements": [...], "more": ...}`
    as an LRS exports statements, or `{"events": [...]}` as POST /v1/events takes them.

    A syntax error inside the array ends the reading: the rest cannot be told apart from the
    broken record, so it is reported as one unreadable record and nothing more is yielded.
    """
    reader = _ArrayReader(stream, start)
    try:
        yield from reader.records()
    except ArrayError as exc:
        yield Record(reader.record + 1, reader.line + 1, reader.position(), error=str(exc))


class _ArrayReader:
    def __init__(self, stream: IO[bytes], start: Position) -> None:
        self.stream = stream
        self.start = start
        stream.seek(start.offset)
        self.text = ""
        self.pos = 0  # in `text`
        self.offset = start.offset  # byte offset of text[pos] in the file
        self.record, self.line = start.record, start.line  # records and lines before pos
        self.eof = False
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def position(self) -> Position:
        return Position(self.offset, self.record, self.line)

    def records(self) -> Iterator[Record]:
        json_decoder = json.JSONDecoder()
        if self.start.offset == 0:
            while not self.text and not self.eof:
                self._fill()
            if self.text.startswith("\ufeff"):
                self.offset += len(BOM)
                self.pos = 1
            first = self._next_char()
            if first is None:
                return  # an empty file holds no records
            if first == "{" and self._wrapper():
                first = "["
            if first != "[":  # a single value: one record
                yield from self._element(json_decoder)
                if self._next_char() is not None:
                    raise ArrayError("unexpected data after the JSON value")
                return
            self._advance(1)
            if self._next_char() == "]":
                return
            expect_value = True
        else:
            expect_value = False  # a saved position lies just after an element
        while True:
            if not expect_value:
                char = self._next_char()
                if char == "]":
                    return
                if char != ",":
                    found = "the end of the file" if char is None else repr(char)
                    raise ArrayError(f"expected ',' or ']' after a record, found {found}")
                self._advance(1)
            if self._next_char() is None:
                raise ArrayError("the JSON array is not closed with ']'")
            yield from self._element(json_decoder)
            expect_value = False

    def _wrapper(self) -> bool:
        """At `{"statements": [` or `{"events": [`: move to the array (the rest is ignored)."""
        while len(self.text) - self.pos < WRAPPER_PEEK and not self.eof:
            self._fill()
        found = WRAPPER.match(self.text, self.pos)
        if found is None:
            return False
        self._advance(found.end() - 1 - self.pos)
        return True

    def _element(self, json_decoder: json.JSONDecoder) -> Iterator[Record]:
        while True:
            try:
                value, end = json_decoder.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof or len(self.text) - self.pos > MAX_RECORD_BYTES:
                    raise ArrayError(f"not valid JSON: {exc.msg}") from None
                self._fill()
                continue
            if end == len(self.text) and not self.eof:
                self._fill()  # a number may go on in the next chunk: "1" of "12"
                continue
            break
        first_line = self.line + 1
        self.record += 1
        self._advance(end - self.pos)
        yield Record(self.record, first_line, self.position(), value)

    def _next_char(self) -> str | None:
        """Skip whitespace; the next character, reading more as needed (None at the end)."""
        while True:
            match = _WHITESPACE.match(self.text, self.pos)
            assert match is not None
            self._advance(match.end() - self.pos)
            if self.pos < len(self.text):
                return self.text[self.pos]
            if self.eof:
                return None
            self._fill()

    def _advance(self, n: int) -> None:
        if n:
            passed = self.text[self.pos : self.pos + n]
            self.line += passed.count("\n")
            self.offset += n if passed.isascii() else len(passed.encode())
            self.pos += n

    def _fill(self) -> None:
        if self.pos > CHUNK_CHARS:  # drop what was consumed
            self.text = self.text[self.pos :]
            self.pos = 0
        chunk = self.stream.read(CHUNK_CHARS)
        if not chunk:
            self.eof = True
        try:
            self.text += self.decoder.decode(chunk, final=self.eof)
        except UnicodeDecodeError as exc:
            raise ArrayError(f"not valid UTF-8 ({exc.reason})") from None


def read_csv_header(stream: IO[bytes], delimiter: str) -> tuple[list[str], Position]:
    """The header row's column names and the position of the first data row."""
    stream.seek(0)
    lines = _Lines(stream, Position())
    reader = csv.reader(lines, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return [], lines.position(0)
    return [name.strip() for name in header], lines.position(0)


def read_csv(
    stream: IO[bytes], start: Position, header: list[str], delimiter: str
) -> Iterator[Record]:
    """Data rows as {column: text}; `start` must be at or after the first data row."""
    stream.seek(start.offset)
    lines = _Lines(stream, start)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    record = start.record
    while True:
        first_line = lines.line + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            record += 1
            yield Record(record, first_line, lines.position(record), error=f"not valid CSV: {exc}")
            continue
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        record += 1
        end = lines.position(record)
        if lines.bad_line is not None and lines.bad_line >= first_line:
            yield Record(record, first_line, end, error="not valid UTF-8 text")
        elif len(row) != len(header):
            reason = f"has {len(row)} fields where the header has {len(header)}"
            yield Record(record, first_line, end, error=reason)
        else:
            yield Record(record, first_line, end, dict(zip(header, row, strict=True)))


class _Lines:
    """Decoded lines for `csv.reader`, counting bytes and lines as they are handed out."""

    def __init__(self, stream: IO[bytes], start: Position) -> None:
        self.stream = stream
        self.offset = start.offset
        self.line = start.line
        self.bad_line: int | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self.stream.readline()
        if not raw:
            raise StopIteration
        if self.offset == 0 and raw.startswith(BOM):
            self.offset += len(BOM)
            raw = raw[len(BOM) :]
        self.offset += len(raw)
        self.line += 1
        try:
            return raw.decode()
        except UnicodeDecodeError:
            self.bad_line = self.line
            return raw.decode(errors="replace")

    def position(self, record: int) -> Position:
        return Position(self.offset, record, self.line)
