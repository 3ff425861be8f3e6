"""Open a tick file (plain, gzip or zstd, told apart by their magic bytes) and stream it as string batches."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from core_server.model.errors import InvalidArgument

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
SAMPLE_BYTES = 256 * 1024
BLOCK_BYTES = 4 * 1024 * 1024  # one pyarrow block = one chunk = one transaction (~80k rows of ~50 bytes)
BOM = b"\xef\xbb\xbf"


def compression_of(path: Path) -> str | None:
    with path.open("rb") as raw:
        head = raw.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return None


def _open(path: Path) -> tuple[pa.NativeFile, pa.NativeFile]:
    """(the decoded stream, the raw file whose position tells the progress)."""
    raw = pa.OSFile(str(path), "rb")
    codec = compression_of(path)
    if codec is None:
        return raw, raw
    return pa.CompressedInputStream(raw, codec), raw


def read_sample(path: Path) -> str:
    """The first complete lines of the decoded file, up to SAMPLE_BYTES."""
    stream, raw = _open(path)
    try:
        head = stream.read(SAMPLE_BYTES)
    except (OSError, pa.ArrowException) as exc:
        raise InvalidArgument("file", f"cannot read {path.name}: {exc}") from None
    finally:
        stream.close()
        raw.close()
    if head.startswith(BOM):
        head = head[len(BOM) :]
    if len(head) == SAMPLE_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n")]
    return bytes(head).decode("utf-8", errors="replace")


def starts_with_bom(path: Path) -> bool:
    stream, raw = _open(path)
    try:
        return bytes(stream.read(3)) == BOM
    finally:
        stream.close()
        raw.close()


@dataclass(slots=True)
class InvalidLines:
    """Lines pyarrow could not split into the expected number of fields (line numbers are 1-based)."""

    lines: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)

    def handler(self, row: Any) -> str:
        (self.empty if not row.text.strip() else self.lines).append(int(row.number))
        return "skip"


class BatchStream:
    """Record batches of one file, every column as text; `position` is how far into the raw file it is."""

    def __init__(
        self, path: Path, *, separator: str, column_count: int, skip_lines: int, block_bytes: int = BLOCK_BYTES
    ) -> None:
        self.size = os.path.getsize(path)
        self._stream, self._raw = _open(path)
        self.invalid = InvalidLines()
        names = [f"c{i}" for i in range(column_count)]
        # Through a Python file object pyarrow reads one block at a time; given its own file it reads ahead
        # without a bound we could set (most of a 160 MB file before the third block was asked for).
        self._reader = pacsv.open_csv(
            pa.PythonFile(_Reads(self._stream), mode="r"),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=skip_lines, use_threads=False, block_size=block_bytes
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=separator, quote_char='"', ignore_empty_lines=False, invalid_row_handler=self.invalid.handler
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names}, check_utf8=False, strings_can_be_null=False
            ),
        )

    @property
    def position(self) -> int:
        try:
            return int(self._raw.tell())
        except (OSError, ValueError):
            return self.size

    def next_batch(self) -> pa.RecordBatch | None:
        try:
            return self._reader.read_next_batch()
        except StopIteration:
            return None
        except pa.ArrowInvalid as exc:
            raise InvalidArgument("file", f"the file cannot be read as {exc}") from None

    def close(self) -> None:
        for closer in (self._reader.close, self._stream.close, self._raw.close):
            _quietly(closer)


class _Reads:
    """The least file object pa.PythonFile needs, over a pyarrow stream."""

    closed = False

    def __init__(self, stream: pa.NativeFile) -> None:
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        return bytes(self._stream.read(size if size is not None and size >= 0 else None))

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


def _quietly(call: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):  # closing a half-read compressed stream may complain; nothing is lost
        call()
