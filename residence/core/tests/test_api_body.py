"""A body that is not JSON, over real HTTP: a 400 that says why, and the OpenAPI schema
documents that answer on every operation that takes a body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from django.utils import translation
from django.utils.translation import gettext as _

from residence.core.tests.test_uploads import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(make_user, live_server) -> Iterator[requests.Session]:
    """A staff session with its CSRF token, as the browser's scripts call the API. (A department token would be
    the other client; its POSTs are refused by the CSRF check until bearer clients skip it, issue 11.)"""
    make_user("yt-clerk", "clerk", "440308")
    with log_in(live_server.url, "yt-clerk") as session:
        session.headers.update({"X-CSRFToken": session.cookies["csrftoken"], "Content-Type": "application/json",
                                "Referer": live_server.url + "/"})
        yield session


@pytest.mark.parametrize(("body", "message"), [
    ('{"q": "王"'.encode(), ("The request body is not JSON: %(problem)s at line %(line)d, column %(column)d.",
                    {"problem": "Expecting ',' delimiter", "line": 1, "column": 10})),
    (b"q=%E7%8E%8B", ("The request body is not JSON: %(problem)s at line %(line)d, column %(column)d.",
                      {"problem": "Expecting value", "line": 1, "column": 1})),
    ("{\"q\": \"王\"}".encode("gbk"), ("The request body is not JSON: it is not UTF-8 text.", {})),
])
def test_a_body_that_is_not_json_is_answered_400_saying_why(live_server, staff, body: bytes,
                                                            message: tuple[str, dict[str, object]]) -> None:
    r = staff.post(f"{live_server.url}/api/people/search", data=body)
    assert r.status_code == 400
    with translation.override("zh-hans"):
        assert r.json() == {"detail": _(message[0]) % message[1]}
    assert staff.post(f"{live_server.url}/api/people/search", json={"q": "王"}).status_code == 200


def test_the_schema_documents_the_400_on_every_operation_with_a_body(live_server) -> None:
    schema = requests.get(f"{live_server.url}/api/openapi.json", timeout=30).json()
    with_body = [(path, method) for path, ops in schema["paths"].items() for method, op in ops.items()
                 if "requestBody" in op]
    assert ("/api/people/search", "post") in with_body
    for path, method in with_body:
        assert schema["paths"][path][method]["responses"]["400"]["content"] == {
            "application/json": {"schema": {"$ref": "#/components/schemas/UnparseableOut"}}}
    assert schema["components"]["schemas"]["UnparseableOut"] == {
        "description": "The request body could not be read as JSON (400), and why.",
        "properties": {"detail": {"title": "Detail", "type": "string"}},
        "required": ["detail"], "title": "UnparseableOut", "type": "object"}
    assert "400" not in schema["paths"]["/api/people/{person_id}"]["get"]["responses"]  # no body, no such answer
