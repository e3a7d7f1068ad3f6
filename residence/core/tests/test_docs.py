"""The README and docs stand on their own in a fresh clone: every relative link points to a file in the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_every_relative_link_in_the_docs_resolves_inside_the_repository() -> None:
    pages = [ROOT / "README.md", ROOT / "AGENTS.md", *sorted((ROOT / "docs").rglob("*.md"))]
    checked, broken = 0, []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
                continue
            path = (page.parent / target).resolve()
            checked += 1
            if not path.is_relative_to(ROOT) or not path.exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert checked > 10
    assert broken == []


def test_the_docs_have_the_projects_own_domain_guide() -> None:
    guide = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    for term in ("申报义务人", "居住证", "签注", "180 days", "GB 11643"):
        assert term in guide
