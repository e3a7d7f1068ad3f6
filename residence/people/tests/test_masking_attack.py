"""The masking attack (issue 11), as an outside acceptance check makes it, by every account that may not
unmask: take everything it is shown about a person (search results, the person's page, API answers, the audit trail),
enumerate the ID numbers consistent with it and with the check character, and try them by exact search.

Before this change a grid worker saw the division code, the last two characters and the birth date: at most 10
candidates, confirmed in at most 9 searches. Now at least 182,500 remain, and the 20th search that finds nobody
locks the account."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from residence.accounts.models import User
from residence.accounts.roles import GRANTS, Capability, Role
from residence.accounts.services import api_client_create, user_create
from residence.audit.models import Event
from residence.core.idnumber import check_character
from residence.people.models import Person
from residence.people.services import person_create, person_unmask
from residence.places.models import Unit
from residence.registrations.models import Registration

PASSWORD = "Attack-pass#2026"
FIRST17 = "44030819900715123"  # Yantian, born 1990-07-15 (not a leap year), sequence 123 (a man)
ID = FIRST17 + check_character(FIRST17)
PHONE = "13912345678"
NAME = "萧默言"
EXPECTED_ID_CANDIDATES = 365 * 100 * 5  # days of 1990 × two free sequence digits × five digits of his parity
EXPECTED_PHONE_CANDIDATES = 7 * 10**5  # 1, then 3–9, then five unknown digits before the last four

SEEING_WITHOUT_UNMASK = sorted(
    role for role, caps in GRANTS.items()
    if Capability.PERSON_UNMASK not in caps and caps & {Capability.PERSON_VIEW, Capability.PERSON_SEARCH}
    and role != Role.DEPARTMENT)
BLIND = sorted(role for role, caps in GRANTS.items()
               if not caps & {Capability.PERSON_VIEW, Capability.PERSON_SEARCH, Capability.PERSON_UNMASK})


def test_the_roles_under_attack_are_the_four_that_see_persons_without_unmasking() -> None:
    """If roles.py grants a new role sight of persons, it joins the attack below by itself; this pins today's."""
    assert SEEING_WITHOUT_UNMASK == ["enforcement", "grid_worker", "manager", "production"]
    assert BLIND == ["employer", "hotel", "hourly_rental", "landlord", "resident"]


# --- what the attacker reads ---------------------------------------------------------------------------------------

@dataclass
class Shown:
    """Everything an account was shown about the person, by label (as it reads the page) and by API field."""

    texts: list[str] = field(default_factory=list)
    labelled: list[tuple[str, str]] = field(default_factory=list)
    fields: list[dict[str, object]] = field(default_factory=list)

    def add_html(self, page: str) -> None:
        page = re.sub(r"<script.*?</script>|<style.*?</style>", "", page, flags=re.S)
        self.texts.append(html.unescape(re.sub(r"<[^>]+>", " ", page)))
        for label, value in re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", page, flags=re.S):
            self.labelled.append((html.unescape(label).strip(), html.unescape(re.sub(r"<[^>]+>", "", value)).strip()))
        for label, value in re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', page, flags=re.S):
            self.labelled.append((html.unescape(label).strip(), html.unescape(re.sub(r"<[^>]+>", "", value)).strip()))

    def add_json(self, answer: object) -> None:
        self.texts.append(json.dumps(answer, ensure_ascii=False))
        for item in answer if isinstance(answer, list) else [answer]:
            if isinstance(item, dict):
                self.fields.append(item)

    def values(self, label: str, key: str) -> list[str]:
        with translation.override("zh-hans"):
            word = gettext(label)
        return ([v for lab, v in self.labelled if lab == word]
                + [str(f[key]) for f in self.fields if f.get(key) is not None])


def id_candidates(shown: Shown, today: dt.date) -> Iterator[str]:
    """Every ID number consistent with what was shown: the best mask (most characters given), the sex, the birth
    date or year(s), registrations starting no earlier than birth, and the check character where it is given."""
    masks = [m for t in shown.texts for m in re.findall(r"(?<![0-9*])[0-9][0-9*]{16}[0-9X*](?![0-9*])", t)]
    assert masks, "no ID number, masked or not, was shown"
    mask = max(masks, key=lambda m: sum(c != "*" for c in m))
    known = {i: c for i, c in enumerate(mask) if c != "*"}
    sexes = {"男": "M", "女": "F", "M": "M", "F": "F"}
    sex = next((sexes[v] for v in shown.values("Sex", "sex") if v in sexes), None)
    dates = {dt.date.fromisoformat(v) for v in shown.values("Birth date", "birth_date") if len(v) == 10}
    latest = min([today] + [dt.date.fromisoformat(v) for v in shown.values("From", "started_on")])
    if dates:
        births: list[dt.date] = sorted(dates)
    else:
        years = [int(y) for v in shown.values("Birth year", "birth_years") for y in re.findall(r"\d{4}", v)]
        years += [int(f[k]) for f in shown.fields for k in ("born_from", "born_to") if k in f]
        first, last = (min(years), max(years)) if years else (1880, today.year)
        births = [dt.date(first, 1, 1) + dt.timedelta(days=n)
                  for n in range((min(dt.date(last, 12, 31), latest) - dt.date(first, 1, 1)).days + 1)]
    division = "".join(known.get(i, "?") for i in range(6))
    assert "?" not in division
    for birth in births:
        ds = birth.strftime("%Y%m%d")
        if any(known.get(6 + i, c) != c for i, c in enumerate(ds)):
            continue
        for seq in range(1000):
            s3 = f"{seq:03d}"
            if sex and (int(s3[2]) % 2 == 1) != (sex == "M"):
                continue
            if any(known.get(14 + i, c) != c for i, c in enumerate(s3)):
                continue
            check = check_character(division + ds + s3)
            if known.get(17, check) == check:
                yield division + ds + s3 + check


def phone_candidates(shown: Shown) -> tuple[int, Iterator[str]]:
    """How many mobile numbers fit the masked phone shown, and the first of them."""
    masks = [m for t in shown.texts for m in re.findall(r"(?<![0-9*])[0-9*]{7}[0-9]{4}(?![0-9*])", t)]
    assert masks, "no phone shown"
    mask = max(masks, key=lambda m: sum(c != "*" for c in m))
    choices = ["1"] + ["3456789"] + ["0123456789"] * 9
    options = [c if c != "*" else choices[i] for i, c in enumerate(mask)]
    count = 1
    for o in options:
        count *= len(o)
    return count, ("".join(p) for p in itertools.product(*options))


def count_and_check(candidates: Iterator[str], truth: str, cap: int = 2_000_000) -> tuple[int, list[str]]:
    """How many candidates there are (up to `cap`), asserting the truth is among them (the attacker's reasoning is
    sound, so the count means something); and the first 30 to try."""
    first: list[str] = []
    n, seen = 0, False
    for c in itertools.islice(candidates, cap):
        n += 1
        seen = seen or c == truth
        if len(first) < 30:
            first.append(c)
    assert seen, "the attacker's reasoning excluded the true number"
    return n, first


# --- the scene -----------------------------------------------------------------------------------------------------

def stage(*, careless_clerk: bool = True) -> Person:
    person = person_create(actor=None, id_number=ID, name=NAME, phone=PHONE)
    unit = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    assert unit is not None
    Registration.objects.create(person=person, unit=unit, started_on=dt.date(2024, 5, 1))
    if careless_clerk:  # a careless clerk types the number into a purpose the trail shows
        clerk = user_create(actor=None, username="careless", password=PASSWORD, role="clerk",
                            jurisdiction_code="440308", check_password=False)
        person_unmask(actor=clerk, person_id=person.pk, purpose=f"核对 {ID} 与 {PHONE}")
    return person


class Browser:
    """An account over real HTTP, as the security check drives it: log-in form, CSRF tokens, POSTed searches."""

    def __init__(self, base: str, username: str) -> None:
        self.base, self.s = base, requests.Session()
        self.responses: list[requests.Response] = []
        r = self.form_post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert r.status_code == 302, r.text[:400]

    def _token(self, path: str) -> str:
        m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.s.get(self.base + path).text)
        return m.group(1) if m else ""

    def form_post(self, path: str, data: dict[str, str]) -> requests.Response:
        r = self.s.post(self.base + path, data={**data, "csrfmiddlewaretoken": self._token(path)},
                        headers={"Referer": self.base + path}, allow_redirects=False)
        self.responses.append(r)
        return r

    def get(self, path: str) -> requests.Response:
        r = self.s.get(self.base + path, allow_redirects=False)
        self.responses.append(r)
        return r

    def api_post(self, path: str, body: dict[str, str]) -> requests.Response:
        self.s.get(self.base + "/people/")  # the CSRF cookie a session client sends back in its header
        r = self.s.post(self.base + path, json=body, allow_redirects=False,
                        headers={"X-CSRFToken": self.s.cookies.get("csrftoken", ""), "Referer": self.base + "/"})
        self.responses.append(r)
        return r


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", SEEING_WITHOUT_UNMASK)
def test_masked_record_leaves_at_least_10000_id_numbers_and_guessing_locks_the_account(
        live_server, city, role: str) -> None:
    person = stage()
    district = "440300" if role == "manager" else "440308"  # a city manager sees the most, the trail included
    user_create(actor=None, username="attacker", password=PASSWORD, role=role, jurisdiction_code=district,
                check_password=False)
    b = Browser(live_server.url, "attacker")
    shown = Shown()
    results = b.form_post("/people/", {"q": NAME})
    assert f"/people/{person.pk}/" in results.text
    shown.add_html(results.text)
    shown.add_html(b.get(f"/people/{person.pk}/").text)
    shown.add_json(b.get(f"/api/people/{person.pk}").json())
    api = b.api_post("/api/people/search", {"q": NAME})
    assert api.status_code == 200, api.text
    shown.add_json(api.json())
    if role == "manager":
        trail = b.get("/audit/")
        assert trail.status_code == 200
        shown.add_html(trail.text)
    assert ID not in " ".join(shown.texts)
    n_ids, ids = count_and_check(id_candidates(shown, dt.date.today()), ID)
    assert n_ids == EXPECTED_ID_CANDIDATES
    assert all("no-store" in r.headers.get("Cache-Control", "") for r in b.responses)
    n_phones, phones = phone_candidates(shown)
    assert n_phones == EXPECTED_PHONE_CANDIDATES
    assert ID not in ids
    assert PHONE not in itertools.islice(phones, 30)

    # the attack: try the candidates, ID numbers and phones in turn; the 20th that finds nobody locks the account
    guesses = [g for pair in zip(ids, phones, strict=False) for g in pair][:20]
    for n, guess in enumerate(guesses, 1):
        r = b.form_post("/people/", {"q": guess})
        if n < 20:
            assert r.status_code == 200, n
            assert f"/people/{person.pk}/" not in r.text, n
            assert User.objects.get(username="attacker").is_active, n
    assert (r.status_code, r.headers["Location"]) == (302, "/accounts/login/")
    locked = User.objects.get(username="attacker")
    assert (locked.is_active, locked.locked_reason) == (False, "failed_lookups")
    alert = Event.objects.get(action="account.locked")
    assert (alert.actor_id, alert.subject_id, alert.data) == (
        locked.pk, str(locked.pk), {"reason": "failed_lookups", "failed_lookups": 20})
    # locked: even the right number finds nothing, and the password no longer logs in
    assert b.form_post("/people/", {"q": ID}).status_code == 302
    again = requests.Session()
    page = again.get(live_server.url + "/accounts/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = again.post(live_server.url + "/accounts/login/", allow_redirects=False,
                   data={"username": "attacker", "password": PASSWORD, "csrfmiddlewaretoken": token},
                   headers={"Referer": live_server.url + "/accounts/login/"})
    assert r.status_code == 200  # the form again, not a redirect into the workbench
    assert Event.objects.filter(action="person.searched", actor_id=locked.pk).count() == 22  # 2 by name, 20 guesses


@pytest.mark.django_db
@pytest.mark.parametrize("role", BLIND)
def test_accounts_without_sight_of_persons_are_shown_nothing_of_them(client: Client, city, role: str) -> None:
    person = stage(careless_clerk=False)
    user = user_create(actor=None, username="blind", password=PASSWORD, role=role, check_password=False)
    client.force_login(user)
    pages = [client.post("/people/", {"q": ID}), client.get(f"/people/{person.pk}/"),
             client.post("/api/people/search", {"q": ID}, content_type="application/json"),
             client.get(f"/api/people/{person.pk}")]
    assert [p.status_code for p in pages] == [404, 404, 404, 404]
    assert all(NAME not in p.content.decode() and ID[:6] + "*" not in p.content.decode() for p in pages)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.django_db
def test_department_token_is_shown_as_little_and_locks_after_20_failed_lookups(client: Client, city) -> None:
    """With Django's test client, to read the answers closely; the same attack over real HTTP follows."""
    person = stage()
    token = api_client_create(actor=None, name="攻击测试局", scopes=["person.view", "person.search"],
                              jurisdiction_code="440308")
    shown = Shown()
    found = client.post("/api/people/search", {"q": NAME}, content_type="application/json", **bearer(token))
    assert found.status_code == 200
    assert [p["id"] for p in found.json()] == [person.pk]
    shown.add_json(found.json())
    record = client.get(f"/api/people/{person.pk}?purpose=check", **bearer(token))
    shown.add_json(record.json())
    n_ids, ids = count_and_check(id_candidates(shown, dt.date.today()), ID)
    assert n_ids == EXPECTED_ID_CANDIDATES
    assert record.json()["birth_date"] is None
    assert (record.json()["born_from"], record.json()["born_to"]) == (1990, 1990)
    assert all("no-store" in r.get("Cache-Control", "") for r in (found, record))
    assert phone_candidates(shown)[0] == EXPECTED_PHONE_CANDIDATES
    account = User.objects.get(username="dept:攻击测试局")
    for n, guess in enumerate(ids[:20], 1):
        r = client.post("/api/people/search", {"q": guess}, content_type="application/json", **bearer(token))
        if n < 20:
            assert (r.status_code, r.json()) == (200, []), n
    assert (r.status_code, r.json()["code"]) == (429, "account_locked")
    account.refresh_from_db()
    assert (account.is_active, account.locked_reason) == (False, "failed_lookups")
    assert Event.objects.filter(action="account.locked", actor_id=account.pk).count() == 1
    # the token is refused from now on, even with the right number
    assert client.post("/api/people/search", {"q": ID}, content_type="application/json",
                       **bearer(token)).status_code == 401
    assert client.get(f"/api/people/{person.pk}", **bearer(token)).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_department_token_over_real_http_locks_after_20_failed_lookups(live_server, city) -> None:
    person = stage(careless_clerk=False)
    token = api_client_create(actor=None, name="攻击测试局", scopes=["person.view", "person.search"],
                              jurisdiction_code="440308")
    auth = {"Authorization": f"Bearer {token}"}
    shown = Shown()
    r = requests.post(live_server.url + "/api/people/search", json={"q": NAME}, timeout=30, headers=auth)
    assert r.status_code == 200, r.text
    shown.add_json(r.json())
    record = requests.get(f"{live_server.url}/api/people/{person.pk}?purpose=check", timeout=30, headers=auth)
    assert record.status_code == 200
    shown.add_json(record.json())
    assert all("no-store" in x.headers["Cache-Control"] for x in (r, record))
    n_ids, ids = count_and_check(id_candidates(shown, dt.date.today()), ID)
    assert n_ids == EXPECTED_ID_CANDIDATES
    codes = [requests.post(live_server.url + "/api/people/search", json={"q": g}, timeout=30,
                           headers=auth).status_code for g in ids[:21]]
    assert codes == [200] * 19 + [429, 401]


@pytest.mark.django_db
def test_an_unlocked_account_searches_again_with_a_fresh_count(client: Client, city, settings) -> None:
    settings.FAILED_LOOKUPS_PER_DAY = 3
    person = stage(careless_clerk=False)
    user = user_create(actor=None, username="unlucky", password=PASSWORD, role="grid_worker",
                       jurisdiction_code="440308", check_password=False)
    client.force_login(user)
    for phone in ("13900000001", "13900000002"):
        assert client.post("/people/", {"q": phone}).status_code == 200
    assert client.post("/people/", {"q": ID}).status_code == 200  # found: not counted
    assert client.post("/people/", {"q": "13900000003"})["Location"] == "/accounts/login/"
    assert not User.objects.get(pk=user.pk).is_active
    call_command("unlock", "unlucky", reason="ticket 7: the worker mistyped")
    user.refresh_from_db()
    assert (user.is_active, user.locked_at, user.locked_reason) == (True, None, "")
    unlocked = Event.objects.get(action="account.unlocked")
    assert (unlocked.subject_id, unlocked.data) == (str(user.pk), {"was": "failed_lookups",
                                                                    "reason": "ticket 7: the worker mistyped"})
    client.force_login(user)
    for phone in ("13900000004", "13900000005"):  # the count started again
        assert client.post("/people/", {"q": phone}).status_code == 200
    assert f"/people/{person.pk}/" in client.post("/people/", {"q": PHONE}).content.decode()
