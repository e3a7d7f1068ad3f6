"""Every action the code writes has words on the trail page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from residence.audit.actions import ACTIONS, action_label

ROOT = Path(__file__).resolve().parents[2]


def written_actions() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'event_record\([^)]*?action="([a-z_.]+)"', text, re.S))
    return found


def test_every_written_action_is_catalogued() -> None:
    written = written_actions()
    assert "person.record.viewed" in written  # the scan finds what it should
    assert written - set(ACTIONS) == set()


@pytest.mark.parametrize(("lang", "expected"), [("zh-hans", "查阅人员信息"), ("en", "Opened a person's record")])
def test_labels_are_translated(lang: str, expected: str) -> None:
    with translation.override(lang):
        assert action_label("person.record.viewed") == expected
    assert action_label("unknown.thing.done") == "unknown.thing.done"
