"""Helpers for tests over real HTTP (pytest-django's live_server and `requests`), as a browser or a client would
call: Django's test client skips the CSRF check, these do not."""

from __future__ import annotations

import re
from typing import Any

import requests
from requests.adapters import HTTPAdapter

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class FromAddress(HTTPAdapter):
    """Connect from a given local address (127.0.0.2 …): another client, or a proxy, on the same machine."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address: str | None = None) -> requests.Session:
    s = requests.Session()
    if address:
        s.mount("http://", FromAddress(address))
    return s


def form_token(s: requests.Session, url: str, **kwargs: Any) -> str:
    """The CSRF token of the form on the page at `url` (the cookie lands in the session)."""
    page = s.get(url, **kwargs)
    match = CSRF_FIELD.search(page.text)
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def post_form(s: requests.Session, url: str, data: dict[str, str], **kwargs: Any) -> requests.Response:
    """Load the form's page, then post it with its CSRF token and the page as Referer, as a browser does."""
    headers = {"Referer": url, **kwargs.pop("headers", {})}
    token = form_token(s, url, headers=headers, **kwargs)
    return s.post(url, data={**data, "csrfmiddlewaretoken": token}, headers=headers, allow_redirects=False,
                  **kwargs)


def without_csrf(html: str) -> str:
    """A page with its CSRF token blanked, to compare two answers byte for byte."""
    return CSRF_FIELD.sub('name="csrfmiddlewaretoken" value=""', html)
