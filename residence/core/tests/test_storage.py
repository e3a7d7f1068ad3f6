"""Files at rest: a person's photo is stored encrypted, 0600 in 0700 directories, and reads back; an upload never
lands on disk in plain text, even when it is too large for the in-memory limit Django uses by default."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from residence.core import crypto
from residence.core.tabular import MAX_BYTES
from residence.people.models import Person
from residence.people.services import person_create

pytestmark = pytest.mark.django_db
# a JPEG's first bytes and a marker that must not be found on disk
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"portrait of 11010519491231002X " * 200 + b"\xff\xd9"


def private_storages(settings, root: Path) -> None:
    """The deployment's storages, rooted in the test's own directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": root / "media", "context": "media"}},
        "imports": {**settings.STORAGES["imports"], "OPTIONS": {"location": root / "imports", "context": "imports"}},
    }


def overhead() -> int:
    """What encryption adds to a file: the layout's header and the tag."""
    return len(crypto.encrypt_bytes(b"", context="size"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_person_photo_round_trips_encrypted_and_private(settings, tmp_path: Path) -> None:
    private_storages(settings, tmp_path)
    (tmp_path / "media").mkdir(mode=0o755)  # a root that exists already, as the umask left it
    person = person_create(actor=None, id_number="11010519491231002X", name="王小明")
    person.photo.save("wang.jpg", ContentFile(PHOTO))
    on_disk = tmp_path / "media" / person.photo.name
    assert person.photo.name == "photos/wang.jpg"
    raw = on_disk.read_bytes()
    assert b"JFIF" not in raw
    assert b"11010519491231002X" not in raw
    assert len(raw) == len(PHOTO) + overhead()
    assert mode(on_disk) == 0o600
    assert (mode(tmp_path / "media" / "photos"), mode(tmp_path / "media")) == (0o700, 0o700)
    again = Person.objects.get(pk=person.pk)
    with again.photo.open() as f:
        assert f.read() == PHOTO
    assert again.photo.size == len(PHOTO)


def test_a_photo_moved_to_another_name_on_disk_does_not_decrypt(settings, tmp_path: Path) -> None:
    """The file's name is bound to its ciphertext: someone who can write the directory cannot swap two photos."""
    private_storages(settings, tmp_path)
    a = person_create(actor=None, id_number="11010519491231002X", name="王小明")
    a.photo.save("a.jpg", ContentFile(PHOTO))
    shutil.copy(tmp_path / "media" / "photos" / "a.jpg", tmp_path / "media" / "photos" / "b.jpg")
    a.photo.name = "photos/b.jpg"
    with pytest.raises(InvalidTag):
        a.photo.open().read()


def test_a_large_upload_is_kept_in_memory_not_in_a_plain_temporary_file() -> None:
    """Django writes an upload over 2.5 MB to a temporary file in plain text; here none is written, and the size of
    an upload over the import limit is still its real size."""
    for size in (3 * 1024 * 1024, MAX_BYTES + 5 * 1024 * 1024):
        request = RequestFactory().post("/registrations/import/", {"file": SimpleUploadedFile("r.csv", b"1" * size)})
        upload = request.FILES["file"]
        assert not hasattr(upload, "temporary_file_path")
        assert upload.size == size
        assert len(upload.read()) == min(size, MAX_BYTES + 1)
