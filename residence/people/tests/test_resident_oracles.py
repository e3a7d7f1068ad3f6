"""No oracle in residents' sign-up and password reset, over real HTTP as a browser posts: a real or a made-up ID
number, the right or a wrong phone, an account or none get byte-identical answers (apart from the CSRF token) at
both steps, and step 1 is limited per client address and per ID number."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from residence.accounts.services import user_create
from residence.accounts.tests.http import post_form, session_from, without_csrf
from residence.core.idnumber import check_character
from residence.people.models import PhoneChallenge
from residence.people.services import person_create

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13912345678"
VARYING = {"Date", "Expires", "Set-Cookie", "X-Request-ID"}  # they change with the clock, not the case


def id_number(seq: int) -> str:
    first = f"44030819900101{seq:03d}"
    return first + check_character(first)


def answers(base: str, flow: str, idn: str, phone: str, address: str) -> tuple[Any, ...]:
    """What a client sees for step 1 and a wrong code at step 2, with only the CSRF token and the session blanked."""
    s = session_from(address)
    first = post_form(s, f"{base}/me/{flow}/", {"id_number": idn, "phone": phone})
    code_page = s.get(f"{base}/me/{flow}/code/", allow_redirects=False)
    wrong = post_form(s, f"{base}/me/{flow}/code/", {"code": "000000", "password": "Lantern-river#2026",
                                                      "password_again": "Lantern-river#2026"})

    def seen(r: requests.Response) -> tuple[Any, ...]:
        headers = {k: v for k, v in r.headers.items() if k not in VARYING}
        return r.status_code, headers, sorted(r.cookies.keys()), without_csrf(r.text)

    return seen(first), seen(code_page), seen(wrong)


def test_sign_up_and_reset_answer_alike_for_anyone(live_server, sms_outbox) -> None:
    base = live_server.url.replace("localhost", "127.0.0.1")
    person_create(actor=None, id_number=id_number(1), name="林小雨", phone=PHONE)
    with_account = person_create(actor=None, id_number=id_number(2), name="林大雨", phone=PHONE)
    user_create(actor=None, username=f"resident-{with_account.pk}", password="Lantern-river#2026", role="resident",
                person_id=with_account.pk)

    signup = [answers(base, "signup", idn, phone, f"127.0.0.{n + 10}") for n, (idn, phone) in enumerate([
        (id_number(1), PHONE),  # on record, no account yet: the one case that gets a code
        (id_number(1), "13900000000"),  # a wrong phone
        (id_number(3), PHONE),  # a number on no record
        (id_number(2), PHONE),  # an account is already open
    ])]
    assert [phone for phone, _text in sms_outbox] == [PHONE]
    assert signup[0][0][0] == 302
    assert signup[0][0][1]["Location"] == "/me/signup/code/"
    assert signup[0][2][0] == 400  # the wrong code, told as such
    assert all(a == signup[0] for a in signup[1:])

    sms_outbox.clear()
    reset = [answers(base, "reset", idn, phone, f"127.0.0.{n + 20}") for n, (idn, phone) in enumerate([
        (id_number(2), PHONE),  # an account: the one case that gets a code
        (id_number(2), "13900000000"),
        (id_number(3), PHONE),
        (id_number(1), PHONE),  # no account to reset
    ])]
    assert [phone for phone, _text in sms_outbox] == [PHONE]
    assert reset[0][0][1]["Location"] == "/me/reset/code/"
    assert all(a == reset[0] for a in reset[1:])
    assert PhoneChallenge.objects.filter(person__isnull=True).count() == 6  # the decoys: made like the others


def test_the_eleventh_try_from_one_address_or_for_one_id_number_is_refused(live_server, settings,
                                                                          sms_outbox) -> None:
    assert settings.RESIDENT_CODE_TRIES_PER_HOUR == 10
    base = live_server.url.replace("localhost", "127.0.0.1")
    person_create(actor=None, id_number=id_number(1), name="林小雨", phone=PHONE)

    def try_(flow: str, idn: str, address: str) -> requests.Response:
        return post_form(session_from(address), f"{base}/me/{flow}/", {"id_number": idn, "phone": "13900000000"})

    # one address, ten made-up numbers (sign-up and reset share the count), then the eleventh
    tries = [try_("signup" if n % 2 else "reset", id_number(100 + n), "127.0.0.5").status_code for n in range(10)]
    assert tries == [302] * 10
    refused = try_("signup", id_number(1), "127.0.0.5")
    assert refused.status_code == 400
    assert "尝试次数过多" in refused.text
    # one ID number, from ten addresses, then the eleventh; the right phone is refused too, and no code is sent
    assert [try_("signup", id_number(1), f"127.0.1.{n}").status_code for n in range(10)] == [302] * 10
    right = post_form(session_from("127.0.1.99"), f"{base}/me/signup/", {"id_number": id_number(1), "phone": PHONE})
    assert right.status_code == 400
    assert "尝试次数过多" in right.text
    assert sms_outbox == []
    assert try_("signup", id_number(2), "127.0.1.98").status_code == 302  # other numbers, other addresses: fine
