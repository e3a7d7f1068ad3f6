from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from residence.core import crypto


def test_round_trip_and_fresh_nonce() -> None:
    a = crypto.encrypt("11010519491231002X", context="person.id_number")
    b = crypto.encrypt("11010519491231002X", context="person.id_number")
    assert a != b
    assert b"11010519491231002X" not in a
    assert crypto.decrypt(a, context="person.id_number") == "11010519491231002X"


def test_context_is_bound() -> None:
    token = crypto.encrypt("13800138000", context="person.phone")
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, context="person.id_number")


def test_blind_index_is_deterministic_keyed_and_context_separated() -> None:
    one = crypto.blind_index("13800138000", context="person.phone")
    assert one == crypto.blind_index("13800138000", context="person.phone")
    assert one != crypto.blind_index("13800138000", context="person.id_number")
    assert len(one) == 64
    import hashlib

    assert one != hashlib.sha256(b"13800138000").hexdigest()


def test_batch_forms_agree_with_the_single_forms() -> None:
    values = ["11010519491231002X", "13800138000", "张三"]
    assert crypto.blind_index_many(values, context="person.phone") == [
        crypto.blind_index(v, context="person.phone") for v in values
    ]
    tokens = crypto.encrypt_many(values, context="person.phone")
    assert [crypto.decrypt(t, context="person.phone") for t in tokens] == values
    assert len({t[1:13] for t in tokens}) == len(values)  # a fresh nonce each
