"""Every page loads its scripts, styles and images from this server: nothing from a CDN or another site."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/me/login/", "/api/docs"])
def test_assets_are_served_locally(client: Client, url: str) -> None:
    page = client.get(url).content.decode()
    assets = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert assets  # the pattern finds the page's assets
    assert [a for a in assets if not a.startswith("/")] == []
