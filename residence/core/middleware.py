"""Request id: taken from X-Request-ID when well-formed, otherwise made; available to services for audit events."""

from __future__ import annotations

import contextvars
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")  # request.headers would copy every header first
        rid = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = rid
        return response


class LanguageMiddleware:
    """Simplified Chinese unless the user chose another language (the set_language cookie).

    Unlike Django's LocaleMiddleware, the browser's Accept-Language is not consulted: a government counter PC
    with an English browser still gets the Chinese UI by default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        lang = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = lang  # type: ignore[attr-defined]
        if translation.get_language() == lang:  # the thread's language already (most requests): nothing to restore
            response = self.get_response(request)
        else:
            with translation.override(lang):  # for this request only: the thread's language is restored after it
                response = self.get_response(request)
        response.headers.setdefault("Content-Language", lang)
        return response


class NoStoreMiddleware:
    """Every answer the application itself makes (pages, fragments, API answers, redirects) is sent with
    `Cache-Control: no-store`, so that no browser, proxy or shared computer keeps a copy of personal data: nearly
    every page carries some, and a rule by exception would miss the next one. Static files, served by WhiteNoise
    before this middleware, stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers["Cache-Control"] = NO_STORE  # a view's own caching never outlives this rule
        response.headers["Expires"] = http_date(time.time())  # as Django's add_never_cache_headers writes both
        return response


NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


class SessionlessApiMiddleware:
    """A request to the JSON API that no session can speak for goes straight to its view, past the middleware below
    this one, which serves browsers: the session, CSRF, the log-in and its second factor, messages, lock-outs, and
    the frame and content-security headers of pages. Such a request is one that carries an Authorization header (a
    system with its bearer key, judged by that header alone, `accounts.api_auth`), or one to a public endpoint that
    answers everyone alike and reads no account (`public_api_register`: the e-permit check, which schools' and
    hospitals' systems call thousands of times an hour).

    It is judged never by a session or a cookie, so it needs no CSRF token, and its answer is JSON, not a page a
    browser would frame or run. What the middleware above gives every request still holds: the client's address
    from trusted proxies, the security headers, `no-store`, the request id (audit events carry it) and the language
    of the messages. The API's documentation page is a page: it takes the long way."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.view = _ViewOnlyHandler().chain

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        bearer = "HTTP_AUTHORIZATION" in request.META and path.startswith(API_PREFIX) and not path.startswith(API_DOCS)
        if not bearer and path not in _PUBLIC_API:
            return self.get_response(request)
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()  # until a bearer key names its account
        short = None if bearer else _PUBLIC_API[path]
        response = short(request) if short is not None else None
        return response if response is not None else self.view(request)  # type: ignore[no-any-return]


API_PREFIX, API_DOCS = "/api/", "/api/docs"
ShortWay = Callable[[HttpRequest], HttpResponse | None]
_PUBLIC_API: dict[str, ShortWay | None] = {}


def public_api_register(path: str, short_way: ShortWay | None = None) -> None:
    """Mark the API endpoint at `path` public and sessionless (an app's ready()). `short_way`, if given, answers the
    anonymous requests it can without URL resolution or the API framework, and None for the rest (a malformed body,
    a wrong method), which the endpoint's own view answers in its own words."""
    _PUBLIC_API[path] = short_way


class _ViewOnlyHandler(BaseHandler):
    """Django's request handling without middleware: the URL resolved, the view called, its errors answered."""

    def __init__(self) -> None:
        super().__init__()
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        self.chain: Callable[[HttpRequest], Any] = convert_exception_to_response(
            self._get_response)  # type: ignore[attr-defined]


class NulCharacterMiddleware:
    """A page request whose query string or form holds a NUL character (U+0000) is answered 400 with a page that
    says so, before any view reads it: no field accepts one (Django's form fields refuse it too), and PostgreSQL
    can neither store nor compare text that holds one (a search for "%00" was a server error). Last in the chain,
    so that the answer is a page like any other (the user's menu, the security headers). A JSON body is the API
    parser's to refuse (`residence.api.JsonParser`); a multipart form is left to its view, which reads its files."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _request_holds_nul(request):
            return self.get_response(request)
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        return render(request, "400.html", status=400, context={
            "reason": _("The address or the form holds a NUL character (U+0000), which no field accepts. "
                        "Remove it and try again.")})


def _request_holds_nul(request: HttpRequest) -> bool:
    """Whether a value or name of the query string or of a URL-encoded form holds U+0000 (the text is searched for
    "%00" first: decoding costs more)."""
    if "%00" in request.META.get("QUERY_STRING", "") and holds_nul(dict(request.GET.lists())):
        return True
    return (request.method == "POST" and request.content_type == "application/x-www-form-urlencoded"
            and b"%00" in request.body and holds_nul(dict(request.POST.lists())))


def holds_nul(value: Any) -> bool:
    """Whether text, or any name or value in nested dicts and lists of it (a parsed JSON body, a form's fields),
    holds U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False
