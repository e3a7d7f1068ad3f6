"""Pages are in Chinese unless the user chose English; the choice holds for that request only."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_chinese_by_default_english_by_choice_whatever_the_browser_says(client: Client) -> None:
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans"
    assert "登录" in page.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "en"
    assert "Log in" in page.content.decode()


def test_a_request_does_not_leave_its_language_behind(client: Client) -> None:
    with translation.override("en"):
        client.get("/accounts/login/")  # a Chinese page
        assert translation.get_language() == "en"
