"""Receiving a multipart/form-data upload without holding files in memory.

The request body is streamed (`request.stream()`) through python-multipart's
incremental parser; each file part goes straight into its own temp file in
the scratch directory, and the per-file byte limit is enforced while the
bytes arrive, so a 2 GB upload is refused after `upload_max_bytes`, not after
it has filled a disk or the memory. Whatever goes wrong, the partial files
are deleted before the error leaves this module.

Nothing here looks at what the files contain: checking them is the job of
`server.photos.services` (by decoding, never by name or MIME type).

Note: we import `python_multipart`, not `multipart`: Litestar depends on a
different package that is also importable as `multipart`.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any, BinaryIO

from litestar import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from server.errors import Invalid
from server.i18n import _
from server.photos.errors import TooLarge, UnsupportedMedia
from server.photos.staged import StagedFile
from server.photos.storage import scratch_dir
from server.settings import get_settings

MAX_FILES_PER_REQUEST = 20
MAX_FIELD_BYTES = 64 * 1024
"""Plain form fields (descriptions, ids) are small; anything bigger is abuse."""


@dataclass
class Upload:
    """The fields and staged files of one request. Use it as a context
    manager (`with await receive_upload(request) as upload:`) so scratch files
    are removed whatever happens; files already moved into storage are gone
    from scratch and are left alone."""

    fields: dict[str, list[str]] = dataclass_field(default_factory=dict)
    files: list[StagedFile] = dataclass_field(default_factory=list)

    def field(self, name: str, default: str | None = None) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else default

    def files_for(self, name: str) -> list[StagedFile]:
        return [f for f in self.files if f.field == name]

    def discard(self) -> None:
        for staged in self.files:
            staged.path.unlink(missing_ok=True)

    def __enter__(self) -> "Upload":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()


class _Receiver:
    """python-multipart callbacks that sort parts into fields and temp files."""

    def __init__(self, upload: Upload, max_file_bytes: int, max_files: int) -> None:
        self.upload = upload
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.scratch = scratch_dir()
        self.error: Exception | None = None
        self.finished = False
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._file: BinaryIO | None = None
        self._staged: StagedFile | None = None
        self._name = ""
        self._value = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    # Header names and values may arrive split across chunks: accumulate.
    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_part_begin(self) -> None:
        self._headers = {}
        self._name, self._value = "", bytearray()

    def on_header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" not in params:
            return  # a plain field
        if len(self.upload.files) >= self.max_files:
            self._fail(TooLarge(_("Too many files at once (at most %(n)s).", n=self.max_files)))
            return
        fd, path = tempfile.mkstemp(dir=self.scratch, prefix="upload-", suffix=".part")
        # Register before writing a byte, so discard() finds even an empty file.
        self._staged = StagedFile(field=self._name, filename=params[b"filename"].decode("utf-8", "replace"),
                                  path=Path(path))
        self.upload.files.append(self._staged)
        self._file = os.fdopen(fd, "wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        chunk = data[start:end]
        if self._staged is None:
            if len(self._value) + len(chunk) > MAX_FIELD_BYTES:
                self._fail(TooLarge(_("A form field is too long.")))
            else:
                self._value += chunk
            return
        if self._staged.size + len(chunk) > self.max_file_bytes:
            mb = max(1, self.max_file_bytes // (1024 * 1024))
            self._fail(TooLarge(_("The photo is larger than %(n)s MB.", n=mb)))
            return
        # Writes land in the page cache (microseconds for one network chunk),
        # so they are done here rather than paying a thread hop per chunk.
        assert self._file is not None
        self._file.write(chunk)
        self._staged.size += len(chunk)

    def on_part_end(self) -> None:
        if self._staged is not None:
            self.close_file()
            # A browser sends an empty, unnamed part for a file input left
            # empty: that is "no file", not a zero-byte photo.
            if self._staged.size == 0 and not self._staged.filename:
                self._staged.path.unlink(missing_ok=True)
                self.upload.files.remove(self._staged)
            self._staged = None
        elif self._name:
            self.upload.fields.setdefault(self._name, []).append(self._value.decode("utf-8", "replace"))

    def on_end(self) -> None:
        self.finished = True

    def _fail(self, error: Exception) -> None:
        self.error = self.error or error
        self.close_file()

    def close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _boundary(request: Request) -> bytes:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMedia(_("Send photos as a multipart/form-data upload."))
    return boundary


async def receive_upload(request: Request, *, max_file_bytes: int | None = None,
                         max_files: int = MAX_FILES_PER_REQUEST) -> Upload:
    """Stream the request body into fields and staged files (see module doc)."""
    boundary = _boundary(request)
    upload = Upload()
    receiver = _Receiver(upload, max_file_bytes or get_settings().upload_max_bytes, max_files)
    parser = MultipartParser(boundary, receiver.callbacks())
    try:
        # Litestar's stream() also enforces the app-wide body limit (413).
        async for chunk in request.stream():
            if chunk:
                parser.write(chunk)
            if receiver.error is not None:
                raise receiver.error  # stop reading: the rest is not wanted
        parser.finalize()
        if not receiver.finished:
            raise Invalid(_("The upload was interrupted. Please try again."))
    except BaseException as exc:  # also a client gone away or a cancelled task
        receiver.close_file()
        upload.discard()
        if isinstance(exc, FormParserError):
            raise Invalid(_("The upload could not be read. Please try again.")) from None
        raise
    return upload
