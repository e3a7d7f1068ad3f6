"""Personal data (issue 11): what a district a person left still sees, what each role is shown of a birth date,
no copies in caches, ID and phone numbers typed the way Chinese input methods type them."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from django.test import Client

from residence.accounts.models import User
from residence.accounts.services import api_client_create, user_create
from residence.audit.models import Event
from residence.core.errors import ValidationError
from residence.core.idnumber import check_character
from residence.core.ratelimit import peek
from residence.people.identity import redact_numbers, resident_username
from residence.people.models import Person
from residence.people.selectors import birth_years_shown, person_registrations, person_search
from residence.people.services import person_create
from residence.places.models import Unit
from residence.registrations.models import Registration

PASSWORD = "Personal-data#2026"
FIRST17 = "44030819900308551"
ID = FIRST17 + check_character(FIRST17)
FULL_WIDTH = ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))


def unit_in(district: str) -> Unit:
    return Unit.objects.filter(building__grid__path__contains=f"/{district}/").order_by("pk")[0]


@pytest.fixture
def mover(city) -> tuple[Person, Registration, Registration]:
    """Lived in Luohu (440303) until January 2025, in Yantian (440308) since February."""
    p = person_create(actor=None, id_number=ID, name="迁居者", phone="13811112222")
    luohu = Registration.objects.create(person=p, unit=unit_in("440303"), started_on=dt.date(2023, 6, 1),
                                        ended_on=dt.date.today() - dt.timedelta(days=40))
    yantian = Registration.objects.create(person=p, unit=unit_in("440308"),
                                          started_on=dt.date.today() - dt.timedelta(days=39))
    return p, luohu, yantian


def staff(role: str, area: str, name: str | None = None) -> User:
    return user_create(actor=None, username=name or f"{role}-{area}", password=PASSWORD, role=role,
                       jurisdiction_code=area, check_password=False)


@pytest.mark.django_db
def test_the_district_a_person_left_sees_its_own_registration_not_their_new_address(client: Client, mover) -> None:
    person, luohu, yantian = mover
    left, now, city_manager = staff("clerk", "440303"), staff("clerk", "440308"), staff("manager", "440300")
    assert person_registrations(user=left, person=person) == [luohu]
    assert person_registrations(user=now, person=person) == [yantian]
    assert person_registrations(user=city_manager, person=person) == [yantian, luohu]
    client.force_login(left)
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert str(luohu.unit) in page
    assert str(yantian.unit) not in page
    assert yantian.unit.building.address_code not in page


@pytest.mark.django_db
def test_a_resident_sees_all_of_their_own_registrations_and_their_birth_date(client: Client, mover) -> None:
    person, luohu, yantian = mover
    resident = user_create(actor=None, username=resident_username(person.pk), password=PASSWORD, role="resident",
                           check_password=False, person_id=person.pk)
    assert person_registrations(user=resident, person=person) == [yantian, luohu]
    client.force_login(resident)
    page = client.get("/me/").content.decode()
    assert str(luohu.unit) in page
    assert str(yantian.unit) in page
    assert "1990-03-08" in page
    assert ID not in page
    assert person.id_number_masked == "440308************"


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "full"), [("admin", True), ("clerk", True), ("reviewer", True),
                                            ("production", False), ("grid_worker", False),
                                            ("enforcement", False), ("manager", False)])
def test_only_roles_that_may_unmask_see_the_birth_date(client: Client, mover, role: str, full: bool) -> None:
    person = mover[0]
    client.force_login(staff(role, "440308"))
    pages = [client.get(f"/people/{person.pk}/"), client.post("/people/", {"q": "迁居者"}),
             client.get(f"/api/people/{person.pk}")]
    assert all(r.status_code == 200 for r in pages)
    assert [("1990-03-08" in r.content.decode()) for r in pages] == [full] * 3
    assert [("出生年份" in r.content.decode()) for r in pages[:2]] == [not full] * 2
    assert client.get(f"/api/people/{person.pk}").json()["birth_date"] == ("1990-03-08" if full else None)


@pytest.mark.parametrize(("birth", "first_registered", "today", "shown"), [
    (dt.date(1990, 3, 8), dt.date(2023, 6, 1), dt.date(2025, 6, 1), (1990, 1990)),
    # born the year they were first registered, on the 3rd of January: the year would leave 3 days
    (dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2025, 6, 1), (2023, 2024)),
    # ... and someone born the year before looks the same
    (dt.date(2023, 5, 5), dt.date(2024, 1, 3), dt.date(2025, 6, 1), (2023, 2024)),
    (dt.date(2022, 12, 31), dt.date(2024, 1, 3), dt.date(2025, 6, 1), (2022, 2022)),
    # born this year, on the 2nd of January, never registered
    (dt.date(2026, 1, 2), None, dt.date(2026, 1, 5), (2025, 2026)),
])
def test_a_birth_year_never_narrows_the_birth_date_below_a_year(
        birth: dt.date, first_registered: dt.date | None, today: dt.date, shown: tuple[int, int]) -> None:
    assert birth_years_shown(birth, first_registered, today) == shown
    latest = min(today, first_registered or today)
    days = (min(dt.date(shown[1], 12, 31), latest) - dt.date(shown[0], 1, 1)).days + 1
    assert days >= 365  # × 500 sequences of the sex shown ≥ 182,500 ID numbers


def test_purposes_on_the_trail_lose_any_number_typed_into_them() -> None:
    assert redact_numbers(f"核对 {ID}") == "核对 " + "*" * 18
    assert redact_numbers("电话 139 1234 5678，案件 2025-17") == "电话 " + "*" * 13 + ",案件 2025-17"  # NFKC
    assert redact_numbers(f"核对{FULL_WIDTH}") == "核对" + "*" * 18


@pytest.mark.django_db
def test_id_numbers_and_phones_typed_full_width_or_with_spaces_are_found(client: Client, mover) -> None:
    person = mover[0]
    clerk = staff("clerk", "440308")
    spaced = f"{ID[:4]} {ID[4:8]} {ID[8:12]} {ID[12:16]} {ID[16:]}"
    for typed in (FULL_WIDTH, spaced, "４４０３０８ １９９００３０８ ５５１" + FULL_WIDTH[-1], FULL_WIDTH.lower(),
                  "１３８ １１１１ ２２２２", "138 1111 2222", "+86 13811112222"):
        assert person_search(user=clerk, query=typed) == [person], typed
    assert peek("account.failed_lookups", f"user:{clerk.pk}") == 0
    by = [e.data["by"] for e in Event.objects.filter(action="person.searched").order_by("id")]
    assert by == ["id_number"] * 4 + ["phone"] * 3
    client.force_login(clerk)
    assert f"/people/{person.pk}/" in client.post("/people/", {"q": spaced}).content.decode()
    api = client.post("/api/people/search", {"q": FULL_WIDTH}, content_type="application/json")
    assert [p["id"] for p in api.json()] == [person.pk]


@pytest.mark.django_db
def test_an_id_number_that_cannot_exist_is_refused_with_the_reason_and_not_counted(client: Client, mover) -> None:
    clerk = staff("clerk", "440308")
    wrong = FIRST17 + ("0" if ID[-1] != "0" else "1")
    with pytest.raises(ValidationError) as err:
        person_search(user=clerk, query=wrong)
    assert (err.value.field, err.value.code) == ("q", "id_check")
    client.force_login(clerk)
    page = client.post("/people/", {"q": wrong}).content.decode()
    assert f"公民身份号码校验码错误（应为{ID[-1]}）。" in page
    api = client.post("/api/people/search", {"q": wrong}, content_type="application/json")
    assert (api.status_code, api.json()["code"]) == (400, "id_check")
    assert peek("account.failed_lookups", f"user:{clerk.pk}") == 0
    assert not Event.objects.filter(action="person.searched").exists()


@pytest.mark.django_db(transaction=True)
def test_pages_and_api_answers_with_personal_data_are_not_stored(live_server, city) -> None:
    """Over real HTTP: the person page, search results, a resident's /me/ and an API answer all say no-store;
    static files (no personal data) stay cacheable."""
    p = person_create(actor=None, id_number=ID, name="缓存测", phone="13811112222")
    Registration.objects.create(person=p, unit=unit_in("440308"), started_on=dt.date(2025, 1, 1))
    staff("clerk", "440308", "cacheclerk")
    user_create(actor=None, username=resident_username(p.pk), password=PASSWORD, role="resident",
                check_password=False, person_id=p.pk)
    token = api_client_create(actor=None, name="缓存测试局", scopes=["person.view"], jurisdiction_code="440308")
    base = live_server.url

    def logged_in(path: str, username: str) -> requests.Session:
        s = requests.Session()
        csrf = s.get(base + path).text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        r = s.post(base + path, data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
                   headers={"Referer": base + path}, allow_redirects=False)
        assert r.status_code == 302, r.text[:300]
        return s

    clerk = logged_in("/accounts/login/", "cacheclerk")
    search_page = clerk.get(base + "/people/").text
    csrf = search_page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    answers = {
        "person page": clerk.get(f"{base}/people/{p.pk}/"),
        "search results": clerk.post(base + "/people/", data={"q": ID, "csrfmiddlewaretoken": csrf},
                                     headers={"Referer": base + "/people/"}),
        "own record": logged_in("/me/login/", ID).get(base + "/me/"),
        "API answer": requests.get(f"{base}/api/people/{p.pk}", headers={"Authorization": f"Bearer {token}"},
                                   timeout=30),
    }
    assert "缓存测" in answers["search results"].text
    assert "*******2222" in answers["own record"].text
    assert answers["API answer"].json()["name"] == "缓存测"
    for what, r in answers.items():
        assert r.status_code == 200, what
        assert "no-store" in r.headers["Cache-Control"], what
        assert "private" in r.headers["Cache-Control"], what
    css = requests.get(base + "/static/css/app.css", timeout=30)
    assert css.status_code == 200
    assert "no-store" not in css.headers.get("Cache-Control", "")


@pytest.mark.django_db
def test_the_migration_rewrites_old_masks_to_the_strict_ones() -> None:
    """Records written before the change kept the last two characters and the first three digits of the phone."""
    from importlib import import_module

    from django.apps import apps

    p = person_create(actor=None, id_number=ID, name="旧掩码", phone="13811112222")
    landline = person_create(actor=None, id_number=FIRST17[:-1] + "3" + check_character(FIRST17[:-1] + "3"),
                             name="座机", phone="0755-12345678")
    none = person_create(actor=None, id_number=FIRST17[:-1] + "5" + check_character(FIRST17[:-1] + "5"), name="无电话")
    Person.objects.filter(pk=p.pk).update(id_number_masked=ID[:6] + "*" * 10 + ID[-2:], phone_masked="138****2222")
    Person.objects.filter(pk=landline.pk).update(phone_masked="075*****5678")
    import_module("residence.people.migrations.0008_strict_masks").strict_masks(apps, None)
    rows = dict(Person.objects.values_list("name", "phone_masked"))
    assert rows == {"旧掩码": "*******2222", "座机": "********5678", "无电话": ""}
    assert set(Person.objects.values_list("id_number_masked", flat=True)) == {"440308************"}
    assert none.phone_masked == ""
