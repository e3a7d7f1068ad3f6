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
