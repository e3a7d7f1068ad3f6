"""Keys: separate rings per kind, never from SECRET_KEY; serve refuses weak ones; rotation keeps data readable."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from residence.core import crypto, keys
from residence.people.identity import ID_CONTEXT, id_index, reveal_id_number, reveal_phone
from residence.people.models import Person
from residence.people.services import person_create

pytestmark = pytest.mark.django_db
GOOD = base64.b64encode(os.urandom(32)).decode()
STRONG_SECRET = "k" + base64.b64encode(os.urandom(45)).decode()


def test_key_files_are_private_and_each_kind_has_its_own_key(own_keys) -> None:
    assert stat.S_IMODE(own_keys.stat().st_mode) == 0o700
    for kind in keys.KINDS:
        assert stat.S_IMODE((own_keys / f"{kind}.json").stat().st_mode) == 0o600
    assert len({keys.keyring(k).active for k in keys.KINDS}) == len(keys.KINDS) == 4


def test_keys_do_not_follow_the_secret_key(settings, own_keys) -> None:
    before = crypto.blind_index("11010519491231002X", context=ID_CONTEXT)
    settings.SECRET_KEY = "another-" + STRONG_SECRET
    crypto.reset_key_cache()
    assert crypto.blind_index("11010519491231002X", context=ID_CONTEXT) == before


def test_a_key_ring_readable_by_others_is_refused(own_keys) -> None:
    os.chmod(own_keys / "field.json", 0o644)
    crypto.reset_key_cache()
    with pytest.raises(ImproperlyConfigured, match="readable by others"):
        keys.keyring("field")


@pytest.mark.parametrize(("value", "message"), [
    ("a", "not base64"),
    (base64.b64encode(os.urandom(16)).decode(), "exactly 32 bytes, got 16"),
    (base64.b64encode(b"a" * 32).decode(), "does not look random"),
])
def test_environment_keys_must_be_32_random_bytes(monkeypatch, value, message) -> None:
    monkeypatch.setenv("RESIDENCE_INDEX_KEY", value)
    keys.keyring.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match=message):
            keys.keyring("index")
    finally:
        monkeypatch.delenv("RESIDENCE_INDEX_KEY")
        crypto.reset_key_cache()


def test_serve_refuses_a_weak_secret_key_and_names_it(monkeypatch) -> None:
    for weak in ("a", "a" * 56, "bars-secret-key-0123456789abcdef01234", "django-insecure-" + STRONG_SECRET):
        monkeypatch.setenv("RESIDENCE_SECRET_KEY", weak)
        with pytest.raises(CommandError, match="RESIDENCE_SECRET_KEY is not fit to protect real data"):
            call_command("serve", port=1)
    monkeypatch.setenv("RESIDENCE_SECRET_KEY", STRONG_SECRET)
    assert keys.keys_check() == []


def test_serve_refuses_a_missing_key(monkeypatch, own_keys) -> None:
    monkeypatch.setenv("RESIDENCE_SECRET_KEY", STRONG_SECRET)
    (own_keys / "audit.json").unlink()
    crypto.reset_key_cache()
    with pytest.raises(CommandError, match=r"No audit key\. Set RESIDENCE_AUDIT_KEY"):
        call_command("serve", port=1)


def test_demo_key_rings_accept_a_shorter_secret_for_synthetic_data(settings, tmp_path, monkeypatch) -> None:
    settings.KEY_DIR = tmp_path / "demo-keys"
    crypto.reset_key_cache()
    try:
        assert keys.keys_init(demo=True) == ["field", "index", "audit", "permit"]
        assert keys.secret_key_problem("bars-secret-key-0123456789abcdef0123456789") == ""
        assert keys.secret_key_problem("a") == "it has 1 distinct characters; at least 5 are needed"
        assert keys.secret_key_problem("abcdefgh") == "it is 8 characters long; at least 32 are needed"
        assert keys.keys_init(demo=True) == []  # a second run keeps the keys
    finally:
        crypto.reset_key_cache()


def test_rotating_the_field_key_re_encrypts_and_old_data_stays_readable(own_keys) -> None:
    person = person_create(actor=None, id_number="11010519491231002X", name="张三", phone="13800138000")
    old_id = keys.keyring("field").active_id
    written_under_old_key = crypto.encrypt("kept elsewhere", context="test.other")
    call_command("rotatekey", "field")
    ring = keys.keyring("field")
    assert ring.active_id != old_id
    assert set(ring.keys) == {old_id, ring.active_id}
    person.refresh_from_db()
    assert crypto.key_id_of(person.id_number_enc) == ring.active_id  # re-encrypted
    assert reveal_id_number(person.id_number_enc) == "11010519491231002X"
    assert reveal_phone(person.phone_enc) == "13800138000"
    assert crypto.decrypt(written_under_old_key, context="test.other") == "kept elsewhere"  # old key still reads


def test_rotating_the_index_key_recomputes_every_index(own_keys) -> None:
    person = person_create(actor=None, id_number="11010519491231002X", name="张三", phone="13800138000")
    before = person.id_number_index
    call_command("rotatekey", "index")
    person.refresh_from_db()
    assert person.id_number_index != before
    assert person.id_number_index == id_index("11010519491231002X")
    assert Person.objects.filter(id_number_index=id_index("11010519491231002X")).count() == 1


def test_a_ring_from_the_environment_is_rotated_by_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RESIDENCE_AUDIT_KEY", GOOD)
    keys.keyring.cache_clear()
    try:
        with pytest.raises(CommandError, match="set a new RESIDENCE_AUDIT_KEY"):
            call_command("rotatekey", "audit")
    finally:
        monkeypatch.delenv("RESIDENCE_AUDIT_KEY")
        crypto.reset_key_cache()
