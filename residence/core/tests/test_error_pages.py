"""Refused and missing pages are Chinese pages in the site's layout, not Django's English defaults."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.views.defaults import permission_denied, server_error

pytestmark = pytest.mark.django_db


def test_missing_page_is_the_chinese_404_in_the_layout(login, client) -> None:
    login("clerk")
    r = client.get("/people/999999999/")
    assert r.status_code == 404
    text = r.content.decode()
    assert "页面不存在" in text
    assert "返回工作台" in text
    assert 'class="topbar"' in text  # the site's header, with the account's navigation
    assert "Page not found" not in text


def test_a_page_outside_the_role_is_the_chinese_404(login, client) -> None:
    login("clerk")  # a clerk opening the audit trail: refused as "not found", in Chinese
    r = client.get("/audit/")
    assert r.status_code == 404
    assert "页面不存在" in r.content.decode()


def test_forbidden_page_is_the_chinese_403() -> None:
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    r = permission_denied(request, exception=PermissionDenied())
    assert r.status_code == 403
    assert "无权访问" in r.content.decode()


def test_csrf_failure_is_a_chinese_page(make_user) -> None:
    browser = Client(enforce_csrf_checks=True)
    r = browser.post("/accounts/login/", {"username": "x", "password": "y"})
    assert r.status_code == 403
    text = r.content.decode()
    assert "表单已过期" in text
    assert "CSRF" not in text


def test_server_error_page_is_chinese_and_needs_no_database() -> None:
    r = server_error(RequestFactory().get("/"))
    assert r.status_code == 500
    assert "系统出错了" in r.content.decode()


def test_a_nul_character_in_an_address_or_a_form_is_a_chinese_400_not_a_server_error(login, client) -> None:
    """PostgreSQL can neither store nor compare text holding U+0000: a search for "%00" was a server error."""
    login("manager")
    for url in ("/manage/obligors/?q=%00", "/manage/accounts/?q=%E7%8E%8B%00", "/places/?after=%00",
                "/manage/accounts/?%00=1"):
        r = client.get(url)
        assert r.status_code == 400, url
        text = r.content.decode()
        assert "地址或表单中含有 NUL 字符" in text
        assert 'class="topbar"' in text  # the site's layout, with the account's menu
        assert r.headers["Cache-Control"].startswith("max-age=0, no-cache, no-store")
    r = client.post("/manage/accounts/new/", {"username": "clerk\x00x", "role": "clerk"})
    assert r.status_code == 400
    assert client.get("/manage/obligors/?q=%2500").status_code == 200  # the three characters "%00" are no NUL
