"""Enrolling and removing the TOTP second factor of a staff account: services, the /accounts/otp/ page, log-in."""

from __future__ import annotations

import datetime as dt
import re
import time
from base64 import b32encode
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from residence.accounts.models import User
from residence.accounts.services import (
    otp_device_confirm,
    otp_device_confirmed,
    otp_device_prepare,
    otp_device_remove,
)
from residence.audit.models import Event
from residence.conftest import PASSWORD
from residence.core.errors import NotFound, PermissionDenied, ValidationError
from residence.places.models import Jurisdiction, Level

pytestmark = pytest.mark.django_db

URL = "/accounts/otp/"
WRONG = "This code is wrong, expired or already used. Enter the code the app shows now, or wait for the next one."


@pytest.fixture(autouse=True)
def area(db: None) -> None:
    """Staff accounts are bound to a jurisdiction that exists; these tests need the district, not the demo city."""
    city, _ = Jurisdiction.objects.get_or_create(code="440300", defaults={
        "name": "深圳市", "level": Level.CITY, "path": "/440300/"})
    Jurisdiction.objects.get_or_create(code="440308", defaults={
        "name": "盐田区", "level": Level.DISTRICT, "parent": city, "path": "/440300/440308/"})


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    """Messages are asserted word for word, in English (the catalogue's source), whatever the translation says."""
    with translation.override("en"):
        yield


@pytest.fixture
def english(client: Client) -> Client:
    """A browser that chose English (pages pick their language per request, from the cookie)."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the user's app shows, `steps_ahead` time steps from now (each accepted code must be newer than the
    last one, so a second code in one test comes from the next step, within the device's tolerance of one)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A well-formed code that no step within the tolerance accepts."""
    near = {code(device, k) for k in range(-2, 3)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def enrolled(user: User) -> TOTPDevice:
    device = otp_device_prepare(user=user)
    return otp_device_confirm(user=user, token=code(device))


def events(action: str) -> list[tuple[int | None, str, str, dict]]:
    return [(e.actor_id, e.subject_type, e.subject_id, e.data)
            for e in Event.objects.filter(action=action).order_by("pk")]


# --- services ---------------------------------------------------------------------------------------------------


def test_prepare_creates_one_unconfirmed_device_and_reuses_it(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    first = otp_device_prepare(user=clerk)
    again = otp_device_prepare(user=clerk)
    assert again.pk == first.pk
    assert again.key == first.key
    assert list(TOTPDevice.objects.filter(user=clerk).values_list("confirmed", flat=True)) == [False]
    assert otp_device_confirmed(user=clerk) is None
    assert events("account.otp.enrolment_started") == [(clerk.pk, "user", str(clerk.pk), {})]


def test_correct_code_confirms_the_device_and_records_it(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    device = otp_device_prepare(user=clerk)
    confirmed = otp_device_confirm(user=clerk, token=code(device))
    assert confirmed.pk == device.pk
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True
    assert otp_device_confirmed(user=clerk) == confirmed
    assert events("account.otp.enrolled") == [(clerk.pk, "user", str(clerk.pk), {"device": device.pk})]


@pytest.mark.parametrize("typed", ["{a} {b}", " {a}-{b} ", "{wide}"])
def test_code_may_be_typed_with_a_space_or_in_full_width_digits(make_user, typed: str) -> None:
    clerk = make_user("otp_clerk", "clerk")
    device = otp_device_prepare(user=clerk)
    token = code(device)
    wide = token.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    otp_device_confirm(user=clerk, token=typed.format(a=token[:3], b=token[3:], wide=wide))
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True


def test_wrong_code_is_refused_and_the_device_stays_unconfirmed(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    device = otp_device_prepare(user=clerk)
    with pytest.raises(ValidationError) as err:
        otp_device_confirm(user=clerk, token=wrong_code(device))
    assert (err.value.code, err.value.field, err.value.message) == ("wrong_code", "token", WRONG)
    device.refresh_from_db()
    assert device.confirmed is False
    assert device.throttling_failure_count == 1  # the failure was committed, not rolled back with the refusal
    assert events("account.otp.enrolled") == []


def test_a_quick_retry_after_a_wrong_code_is_told_to_wait(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    device = otp_device_prepare(user=clerk)
    with pytest.raises(ValidationError):
        otp_device_confirm(user=clerk, token=wrong_code(device))
    with pytest.raises(ValidationError) as err:
        otp_device_confirm(user=clerk, token=code(device))
    assert (err.value.code, err.value.field) == ("throttled", "token")
    assert err.value.message == "Too many wrong codes. Wait 1 second and try again."
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - dt.timedelta(seconds=2))
    otp_device_confirm(user=clerk, token=code(device))
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True


@pytest.mark.parametrize("token", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_malformed_code_is_refused_without_counting_as_a_guess(make_user, token: str) -> None:
    clerk = make_user("otp_clerk", "clerk")
    device = otp_device_prepare(user=clerk)
    with pytest.raises(ValidationError) as err:
        otp_device_confirm(user=clerk, token=token)
    assert (err.value.code, err.value.field, err.value.message) == (
        "format", "token", "Enter the 6-digit code that the app shows.")
    device.refresh_from_db()
    assert (device.confirmed, device.throttling_failure_count) == (False, 0)


def test_confirm_without_a_pending_device_is_not_found(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    with pytest.raises(NotFound):
        otp_device_confirm(user=clerk, token="123456")


def test_a_second_enrolment_is_refused(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    device = enrolled(clerk)
    with pytest.raises(ValidationError) as err:
        otp_device_prepare(user=clerk)
    assert (err.value.code, err.value.field) == ("enrolled", None)
    with pytest.raises(ValidationError) as err:
        otp_device_confirm(user=clerk, token=code(device, 1))
    assert err.value.code == "enrolled"
    assert TOTPDevice.objects.filter(user=clerk).count() == 1


@pytest.mark.parametrize("role", ["landlord", "resident"])
def test_only_staff_enrol(make_user, role: str) -> None:
    other = make_user(f"otp_{role}", role)
    for call in (lambda: otp_device_prepare(user=other), lambda: otp_device_confirm(user=other, token="123456"),
                 lambda: otp_device_remove(user=other, token="123456")):
        with pytest.raises(PermissionDenied):
            call()
    assert TOTPDevice.objects.count() == 0


def test_removal_needs_a_current_code_and_is_recorded(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    device = enrolled(clerk)
    with pytest.raises(ValidationError) as err:
        otp_device_remove(user=clerk, token=wrong_code(device))
    assert (err.value.code, err.value.field, err.value.message) == ("wrong_code", "token", WRONG)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    otp_device_remove(user=clerk, token=code(device, 1))
    assert TOTPDevice.objects.filter(user=clerk).count() == 0
    assert events("account.otp.removed") == [(clerk.pk, "user", str(clerk.pk), {"device": device.pk})]


def test_the_enrolment_code_cannot_be_replayed_to_remove(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    device = otp_device_prepare(user=clerk)
    token = code(device)
    otp_device_confirm(user=clerk, token=token)
    with pytest.raises(ValidationError) as err:
        otp_device_remove(user=clerk, token=token)
    assert err.value.code == "wrong_code"
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


def test_removal_without_a_device_is_not_found(make_user) -> None:
    clerk = make_user("otp_clerk", "clerk")
    otp_device_prepare(user=clerk)  # a pending device is not a set-up one
    with pytest.raises(NotFound):
        otp_device_remove(user=clerk, token="123456")


# --- the page ---------------------------------------------------------------------------------------------------


def test_page_shows_qr_code_and_grouped_key_and_is_not_cached(english: Client, login) -> None:
    clerk = login("clerk")
    response = english.get(URL)
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=clerk)
    assert device.confirmed is False
    body = response.content.decode()
    secret = b32encode(device.bin_key).decode()
    assert len(secret) == 32
    assert f'<p class="mono" id="otp-secret">{" ".join(secret[i:i + 4] for i in range(0, 32, 4))}</p>' in body
    qr = r'<svg viewBox="0 0 \d+ \d+" class="otp-qr"><title>QR code for the authenticator app</title>'
    assert re.search(qr, body)
    assert "<script" not in body.split("<main", 1)[1]
    assert "no-store" in response["Cache-Control"]
    assert english.get(URL).status_code == 200
    assert TOTPDevice.objects.filter(user=clerk).count() == 1


def test_enrol_through_the_page_then_log_in_needs_the_code(english: Client, login) -> None:
    clerk = login("clerk")
    english.get(URL)
    device = TOTPDevice.objects.get(user=clerk)
    response = english.post(URL, {"action": "confirm", "token": code(device)})
    assert (response.status_code, response["Location"]) == (302, URL)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is True
    assert english.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session counts as verified
    body = english.get(URL).content.decode()
    assert "The authenticator app is set up. From now on, log-in asks for its code." in body
    assert "An authenticator app is set up for your account. Log-in asks for the code it shows." in body
    assert events("account.otp.enrolled") == [(clerk.pk, "user", str(clerk.pk), {"device": device.pk})]

    other = Client()
    other.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = other.post("/accounts/login/", {"username": clerk.username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["The one-time code is missing or wrong."]
    assert "_auth_user_id" not in other.session
    response = other.post("/accounts/login/", {"username": clerk.username, "password": PASSWORD,
                                               "otp_token": code(device, 1)})
    assert response.status_code == 302
    assert other.session["_auth_user_id"] == str(clerk.pk)
    assert other.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_wrong_code_on_the_page_is_shown_on_the_field(english: Client, login) -> None:
    clerk = login("clerk")
    english.get(URL)
    device = TOTPDevice.objects.get(user=clerk)
    response = english.post(URL, {"action": "confirm", "token": wrong_code(device)})
    assert response.status_code == 400
    assert response.context["form"].errors == {"token": [WRONG]}
    assert WRONG in response.content.decode()
    assert TOTPDevice.objects.get(pk=device.pk).confirmed is False
    assert TOTPDevice.objects.filter(user=clerk).count() == 1  # the same key is shown again


def test_remove_through_the_page(english: Client, login) -> None:
    clerk = login("clerk")
    device = enrolled(clerk)
    response = english.post(URL, {"action": "remove", "token": wrong_code(device)})
    assert response.status_code == 400
    assert response.context["form"].errors == {"token": [WRONG]}
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    response = english.post(URL, {"action": "remove", "token": code(device, 1)})
    assert (response.status_code, response["Location"]) == (302, URL)
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert events("account.otp.removed") == [(clerk.pk, "user", str(clerk.pk), {"device": device.pk})]
    body = english.get(URL).content.decode()
    assert "The authenticator app has been removed. Log-in no longer asks for a code." in body
    assert list(TOTPDevice.objects.filter(user=clerk).values_list("confirmed", flat=True)) == [False]  # anew


def test_a_form_left_open_in_another_tab_does_not_act(english: Client, login) -> None:
    clerk = login("clerk")
    device = enrolled(clerk)
    response = english.post(URL, {"action": "confirm", "token": code(device, 1)}, follow=True)
    assert "An authenticator app is already set up for this account." in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()
    assert english.post(URL, {"token": code(device, 1)}).status_code == 400  # no action named: nothing done
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


@pytest.mark.parametrize("role", ["landlord", "resident"])
def test_page_is_not_found_for_others(client: Client, login, role: str) -> None:
    login(role)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"action": "confirm", "token": "123456"}).status_code == 404
    assert TOTPDevice.objects.count() == 0


def test_page_needs_log_in(client: Client) -> None:
    response = client.get(URL)
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/accounts/otp/")


def test_required_second_factor_lets_new_staff_in_only_to_set_it_up(english: Client, make_user, settings) -> None:
    """A new account may log in with its password during its enrolment window, and then reaches nothing but the
    enrolment page until its app is set up; once the window has passed, it cannot log in at all."""
    settings.STAFF_REQUIRE_OTP = True
    clerk = make_user("otp_clerk", "clerk")
    assert clerk.otp_enrol_until is not None
    response = english.post("/accounts/login/", {"username": "otp_clerk", "password": PASSWORD})
    assert response.status_code == 302
    for url in ("/", "/people/", "/places/", "/api/people/1"):
        assert english.get(url)["Location"] == URL, url
    assert english.get(URL).status_code == 200
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    assert english.post(URL, {"action": "confirm", "token": code(device)}).status_code == 302
    assert english.get("/").status_code == 200  # set up: the session is verified by the code just given
    clerk.refresh_from_db()
    assert clerk.otp_enrol_until is None

    late = make_user("otp_late", "clerk")
    User.objects.filter(pk=late.pk).update(otp_enrol_until=timezone.now() - dt.timedelta(minutes=1))
    english.logout()
    english.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"  # log-out starts a new cookie jar
    response = english.post("/accounts/login/", {"username": "otp_late", "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Staff accounts must set up an authenticator app first; ask your administrator."]


def test_administrator_removes_a_lost_phone_and_the_window_opens_again(english: Client, make_user, settings,
                                                                       capsys) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.STAFF_REQUIRE_OTP = True
    clerk = make_user("otp_lost", "clerk")
    enrolled(clerk)
    User.objects.filter(pk=clerk.pk).update(otp_enrol_until=None)
    with pytest.raises(CommandError, match="reason"):
        call_command("resetotp", "otp_lost", reason=" ")
    with pytest.raises(CommandError):
        call_command("resetotp", "nobody", reason="lost phone")
    call_command("resetotp", "otp_lost", reason="lost phone, ticket 42")
    assert "removed 1 authenticator app(s) of otp_lost" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert events("account.otp.reset")[0][3] == {"devices": 1, "reason": "lost phone, ticket 42"}
    response = english.post("/accounts/login/", {"username": "otp_lost", "password": PASSWORD})
    assert response.status_code == 302
    assert english.get("/")["Location"] == URL


def test_page_warns_when_log_in_requires_the_app(english: Client, login, settings) -> None:
    settings.STAFF_REQUIRE_OTP = True
    clerk = login("clerk")
    warning = "Staff accounts must use an authenticator app to log in: set it up before you log out."
    assert warning in english.get(URL).content.decode()
    enrolled(clerk)
    assert ("Staff accounts must use an authenticator app to log in: set up the new one before you log out, or you "
            "will not be able to log in again.") in english.get(URL).content.decode()
