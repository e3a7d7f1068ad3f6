"""Log-ins, failed log-ins, lockouts, log-outs, refused pages and browsing of the trail go on the audit trail, over
real HTTP with CSRF as a browser sends them: exact events, and never a password or a typed ID number in them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import requests
from django.utils import timezone

from residence.accounts.models import User
from residence.accounts.services import api_client_create, user_create
from residence.accounts.tests.http import form_token, post_form, session_from
from residence.audit.models import Event
from residence.core.idnumber import check_character
from residence.people.services import person_create
from residence.places.models import Building, Jurisdiction

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Lantern-river#2026"
WRONG = "Wrong-password#1"
ID = "44030819850505002" + check_character("44030819850505002")  # a resident's
STRANGER_ID = "44030819900101003" + check_character("44030819900101003")  # on no record
NOT_RECORDED = ("account.user.created", "person.created", "account.api_client.created", "account.token.issued")


@pytest.fixture
def site(live_server) -> dict[str, Any]:
    city = Jurisdiction.objects.create(code="440300", name="深圳市", level="city", path="/440300/", official=True)
    yt = Jurisdiction.objects.create(code="440308", name="盐田区", level="district", parent=city,
                                     path="/440300/440308/", official=True)
    lh = Jurisdiction.objects.create(code="440303", name="罗湖区", level="district", parent=city,
                                     path="/440300/440303/", official=True)
    grid = Jurisdiction.objects.create(code="440308001001001", name="一网格", level="grid", parent=yt,
                                       path="/440300/440308/440308001001001/", official=False)
    building = Building.objects.create(address_code="4403080010010010001", road="沙头角路", door_plate="1号",
                                       grid=grid)
    users = {name: user_create(actor=None, username=name, password=PASSWORD, role=role, jurisdiction_code=code,
                               display_name=display)
             for name, role, code, display in [("clerk", "clerk", "440308", "张三"),
                                               ("clerk_lh", "clerk", "440303", "钱七"),
                                               ("manager", "manager", "440300", "赵六")]}
    person = person_create(actor=None, id_number=ID, name="林小雨", phone="13912345678")
    users["resident"] = user_create(actor=None, username=f"resident-{person.pk}", password=PASSWORD,
                                    role="resident", person_id=person.pk, display_name="林小雨")
    base = str(live_server.url).replace("localhost", "127.0.0.1")
    return {"base": base, "users": users, "person": person, "building": building, "lh": lh}


def events(*actions: str) -> list[tuple[str, int | None, str, str, dict[str, Any]]]:
    qs = Event.objects.exclude(action__in=NOT_RECORDED).order_by("id")
    if actions:
        qs = qs.filter(action__in=actions)
    return [(e.action, e.actor_id, e.subject_type, e.subject_id, e.data) for e in qs]


def all_event_text() -> str:
    return json.dumps([[e.actor_label, e.subject_id, e.data] for e in Event.objects.all()], ensure_ascii=False)


def log_in(base: str, username: str, password: str = PASSWORD, *, door: str = "/accounts/login/",
           address: str | None = None) -> Any:
    s = session_from(address)
    r = post_form(s, f"{base}{door}", {"username": username, "password": password})
    return s, r


def test_a_staff_log_in_and_log_out_are_recorded(site) -> None:
    clerk = site["users"]["clerk"]
    s, r = log_in(site["base"], "clerk")
    assert r.status_code == 302
    token = form_token(s, f"{site['base']}/")
    assert s.post(f"{site['base']}/accounts/logout/", data={"csrfmiddlewaretoken": token},
                  headers={"Referer": f"{site['base']}/"}, allow_redirects=False).status_code == 302
    assert events() == [
        ("account.login.succeeded", clerk.pk, "user", str(clerk.pk), {"door": "staff", "address": "127.0.0.1"}),
        ("account.logged_out", clerk.pk, "user", str(clerk.pk), {"door": "staff"}),
    ]
    assert PASSWORD not in all_event_text()


def test_failed_log_ins_name_the_account_only_when_one_was_named_and_keep_nothing_typed(site) -> None:
    clerk, resident = site["users"]["clerk"], site["users"]["resident"]
    base = site["base"]
    assert log_in(base, "clerk", WRONG)[1].status_code == 200
    assert log_in(base, ID, WRONG)[1].status_code == 200  # an ID number typed at the staff door
    assert log_in(base, resident.username)[1].status_code == 200  # a resident's right password, wrong door
    assert log_in(base, ID, WRONG, door="/me/login/", address="127.0.0.2")[1].status_code == 200
    assert log_in(base, STRANGER_ID, WRONG, door="/me/login/", address="127.0.0.2")[1].status_code == 200
    r = log_in(base, ID, door="/me/login/", address="127.0.0.3")[1]
    assert (r.status_code, r.headers["Location"]) == (302, "/")
    assert events() == [
        ("account.login.failed", None, "user", str(clerk.pk),
         {"door": "staff", "address": "127.0.0.1", "reason": "password"}),
        ("account.login.failed", None, "", "", {"door": "staff", "address": "127.0.0.1", "reason": "password"}),
        ("account.login.failed", None, "user", str(resident.pk),
         {"door": "staff", "address": "127.0.0.1", "reason": "door"}),
        ("account.login.failed", None, "user", str(resident.pk),
         {"door": "resident", "address": "127.0.0.2", "reason": "password"}),
        ("account.login.failed", None, "", "", {"door": "resident", "address": "127.0.0.2", "reason": "password"}),
        ("account.login.succeeded", resident.pk, "user", str(resident.pk),
         {"door": "resident", "address": "127.0.0.3"}),
    ]
    text = all_event_text()
    for secret in (ID, STRANGER_ID, ID[:17], STRANGER_ID[:17], WRONG, PASSWORD):
        assert secret not in text


def test_a_locked_account_trying_to_log_in_is_recorded_as_such(site) -> None:
    clerk = site["users"]["clerk"]
    User.objects.filter(pk=clerk.pk).update(is_active=False, locked_at=timezone.now(), locked_reason="x")
    assert log_in(site["base"], "clerk")[1].status_code == 200
    assert events() == [("account.login.failed", None, "user", str(clerk.pk),
                         {"door": "staff", "address": "127.0.0.1", "reason": "inactive"})]


def test_a_lockout_is_recorded_once_and_tries_during_it_add_nothing(site, settings) -> None:
    clerk = site["users"]["clerk"]
    limit = settings.AXES_FAILURE_LIMIT
    answers = [log_in(site["base"], "clerk", WRONG)[1].status_code for _ in range(limit + 3)]
    assert answers == [200] * (limit - 1) + [429] * 4
    assert log_in(site["base"], "clerk")[1].status_code == 429  # the right password, during the lockout
    failed = ("account.login.failed", None, "user", str(clerk.pk),
              {"door": "staff", "address": "127.0.0.1", "reason": "password"})
    # axes announces the lockout while it counts the failure that reached the limit, before that failure is recorded
    assert events() == [failed] * (limit - 1) + [
        ("account.login.locked_out", None, "user", str(clerk.pk),
         {"door": "staff", "address": "127.0.0.1", "failures": limit, "minutes": 30}),
        failed,
    ]


def test_a_flood_of_failures_from_many_addresses_writes_a_bounded_number_of_events(site, settings) -> None:
    settings.LOGIN_FAILURE_EVENTS_PER_MINUTE = 3
    for n in range(2, 8):  # six addresses, one failure each: no lockout stops them
        assert log_in(site["base"], f"nobody{n}", WRONG, address=f"127.0.0.{n}")[1].status_code == 200
    failed = [("account.login.failed", None, "", "", {"door": "staff", "address": f"127.0.0.{n}",
                                                      "reason": "password"}) for n in (2, 3, 4)]
    assert events() == [*failed, ("account.login.failures_unrecorded", None, "", "", {"limit": 3})]


def test_refused_pages_are_recorded_with_the_pattern_and_only_subjects_that_exist(site) -> None:
    base, person, building = site["base"], site["person"], site["building"]
    s, r = log_in(base, "clerk_lh")  # a Luohu clerk: the person and the building are in Yantian
    assert r.status_code == 302
    for path in (f"/people/{person.pk}/", f"/people/{ID[:17]}0/", f"/places/building/{building.address_code}/",
                 "/places/building/440308198505050021/", "/audit/?subject_id=" + ID):
        assert s.get(f"{base}{path}", allow_redirects=False).status_code == 404
    lh = site["users"]["clerk_lh"].pk
    assert events("access.refused") == [
        ("access.refused", lh, "person", str(person.pk), {"page": "/people/<int:person_id>/", "reason": "scope"}),
        ("access.refused", lh, "person", "", {"page": "/people/<int:person_id>/", "reason": "scope"}),
        ("access.refused", lh, "building", building.address_code,
         {"page": "/places/building/<str:address_code>/", "reason": "scope"}),
        ("access.refused", lh, "building", "", {"page": "/places/building/<str:address_code>/", "reason": "scope"}),
        ("access.refused", lh, "", "", {"page": "/audit/", "reason": "role"}),
    ]
    text = all_event_text()
    assert ID[:17] not in text
    assert "440308198505050021" not in text


def test_refused_pages_of_one_account_are_capped_per_minute(site, settings) -> None:
    settings.REFUSAL_EVENTS_PER_MINUTE = 2
    s, _r = log_in(site["base"], "clerk")
    for _ in range(5):
        assert s.get(f"{site['base']}/audit/", allow_redirects=False).status_code == 404
    clerk = site["users"]["clerk"].pk
    refused = ("access.refused", clerk, "", "", {"page": "/audit/", "reason": "role"})
    assert events("access.refused", "access.refusals_unrecorded") == [
        refused, refused, ("access.refusals_unrecorded", clerk, "", "", {"limit": 2})]


def test_anonymous_requests_are_sent_to_log_in_and_record_nothing(site) -> None:
    r = session_from().get(f"{site['base']}/people/{site['person'].pk}/", allow_redirects=False)
    assert r.status_code == 302
    assert events() == []


def test_browsing_the_trail_is_recorded_with_its_filters_and_nothing_typed_that_names_no_one(site) -> None:
    base, clerk, manager = site["base"], site["users"]["clerk"], site["users"]["manager"]
    s, _r = log_in(base, "manager")
    assert s.get(f"{base}/audit/?period=yesterday&kind=logins&actor=clerk").status_code == 200
    assert s.get(f"{base}/audit/?actor={ID}&subject_type=person&subject_id={ID}").status_code == 200
    created = Event.objects.get(action="person.created").pk
    older = f"{base}/audit/?subject_type=person&subject_id={site['person'].pk}&before={created + 1}"
    assert s.get(older).status_code == 200
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert events("audit.trail.viewed") == [
        ("audit.trail.viewed", manager.pk, "", "",
         {"filters": {"from": yesterday, "to": yesterday, "kind": "logins", "actor": clerk.pk}, "shown": 0}),
        ("audit.trail.viewed", manager.pk, "", "",
         {"filters": {"actor_unknown": True, "subject_type": "person"}, "shown": 0}),
        ("audit.trail.viewed", manager.pk, "", "",
         {"filters": {"subject_type": "person", "subject_id": str(site["person"].pk), "older": True},
          "shown": 1}),  # the person's creation
    ]
    assert ID not in all_event_text()


def test_a_district_manager_sees_failed_log_ins_as_its_own_accounts_but_not_others(site) -> None:
    yt_manager = user_create(actor=None, username="manager_yt", password=PASSWORD, role="manager",
                             jurisdiction_code="440308")
    assert log_in(site["base"], "clerk", WRONG)[1].status_code == 200
    assert log_in(site["base"], "clerk_lh", WRONG, address="127.0.0.2")[1].status_code == 200
    s, _r = log_in(site["base"], "manager_yt", address="127.0.0.3")
    page = s.get(f"{site['base']}/audit/?kind=failed_logins").text
    assert "受理员 张三" in page
    assert "钱七" not in page
    assert Event.objects.filter(action="audit.trail.viewed", actor_id=yt_manager.pk).get().data["shown"] == 1


def test_malformed_trail_filters_get_a_chinese_error_naming_the_field(site) -> None:
    s, _r = log_in(site["base"], "manager")
    r = s.get(f"{site['base']}/audit/?date_from=2026-12-02&date_to=2026-12-01&actor={'x' * 151}")
    assert r.status_code == 400
    assert "结束日期早于开始日期。" in r.text
    assert "确保该变量包含不超过 150 字符 (目前字符数 151)。" in r.text
    r = s.get(f"{site['base']}/audit/?date_from=2026-13-45&kind=%3Cscript%3E")
    assert r.status_code == 400
    assert "<script>" not in r.text
    assert "输入一个有效的日期。" in r.text
    assert "选择一个有效的选项。 &lt;script&gt; 不在可用的选项中。" in r.text


def test_a_department_client_refused_a_person_over_the_api_is_recorded_too(site) -> None:
    token = api_client_create(actor=None, name="罗湖区教育局", scopes=["person.view"], jurisdiction_code="440303")
    r = requests.get(f"{site['base']}/api/people/{site['person'].pk}", headers={"Authorization": f"Bearer {token}"},
                     timeout=10)
    assert r.status_code == 404
    account = User.objects.get(username="dept:罗湖区教育局")
    assert events("access.refused") == [("access.refused", account.pk, "person", str(site["person"].pk),
                                         {"page": "/api/people/<person_id>", "reason": "scope"})]
