"""Files at rest: encrypted (AES-GCM, `crypto.encrypt_bytes`) and readable only by the service user.

`EncryptedFileSystemStorage` is Django's file-system storage that encrypts on save and decrypts on open. It is the
default storage (person photos) and the import store (uploads waiting between check and confirm), see `STORAGES`
in the settings. Each file's name and the storage's `context` are bound as associated data, so a file renamed or
moved on disk no longer decrypts. Files are created 0600 and every directory from the storage's root down 0700,
whatever the umask.

`BoundedMemoryUploadHandler` keeps an upload in memory up to a limit and only counts the rest, so that no
plain-text temporary file is ever written and the real size of an oversized upload is still known.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers
from django.utils.deconstruct import deconstructible

from residence.core import crypto
from residence.core.tabular import MAX_BYTES

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


@deconstructible(path="residence.core.storage.EncryptedFileSystemStorage")
class EncryptedFileSystemStorage(FileSystemStorage):
    def __init__(self, location: str | os.PathLike[str] | None = None, base_url: str | None = None, *,
                 context: str = "media") -> None:
        super().__init__(location, base_url, file_permissions_mode=FILE_MODE,
                         directory_permissions_mode=DIRECTORY_MODE)
        self.context = context

    def _associated(self, name: str) -> str:
        return f"file:{self.context}:{name.replace(os.sep, '/')}"

    def _private_directories(self, directory: str) -> None:
        """Create `directory` and make it and every directory above it up to the root 0700 (os.makedirs leaves
        intermediate directories to the umask, and an existing root keeps whatever mode it had)."""
        root = Path(self.location)
        target = Path(directory)
        target.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        for d in [target, *target.parents]:
            os.chmod(d, DIRECTORY_MODE)
            if d == root or root not in d.parents:
                break

    def _save(self, name: str, content: Any) -> str:
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        while True:
            full = self.path(name)
            self._private_directories(os.path.dirname(full))
            try:
                fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
            except FileExistsError:
                name = self.get_available_name(name)
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(crypto.encrypt_bytes(data, context=self._associated(name)))
            os.chmod(full, FILE_MODE)
            return str(name).replace("\\", "/")

    def _read(self, name: str) -> bytes:
        return crypto.decrypt_bytes(Path(self.path(name)).read_bytes(), context=self._associated(name))

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode != "rb":
            raise ValueError("encrypted files open for reading in binary mode only")
        return ContentFile(self._read(name), name=name)

    def size(self, name: str) -> int:
        return len(self._read(name))


class BoundedMemoryUploadHandler(FileUploadHandler):
    """Every uploaded file in memory, at most `LIMIT` bytes of it kept (more is counted, not kept): no temporary
    file on disk. A view refuses a file whose `size` is over its own limit, naming that size."""

    LIMIT = MAX_BYTES + 1  # the import limit and one byte to tell that a file is over it

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.received = 0
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = self.LIMIT - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])
        self.received += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(file=self.buffer, field_name=self.field_name, name=self.file_name,
                                    content_type=self.content_type, size=self.received,
                                    charset=self.charset, content_type_extra=self.content_type_extra)
