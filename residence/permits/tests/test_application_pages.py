"""The application pages over HTTP with their CSRF tokens: the resident's application and its page, the counter's
queue, acceptance and filing from the person page, the grid worker's filing, the reviewer's queue and decisions.
Every refusal of the services is shown on the page in its words and changes nothing; out of scope is "not found"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from residence.accounts.models import User
from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.eligibility.models import Assessment
from residence.employment.models import Evidence
from residence.people.models import Person
from residence.permits import services
from residence.permits.models import ApplicationStep, Permit, PermitApplication
from residence.permits.services import (
    application_accept,
    application_request_information,
    application_start_review,
    application_submit,
)
from residence.permits.views import explanation_tree
from residence.places.models import AcceptancePoint
from residence.registrations.models import Registration

ALL = ["id_card", "photo", "address_proof", "employment_proof"]
TODAY = timezone.localdate
NOT_FOR_OTHERS = ("此申领人不能代为申领：只有监护人（未满16周岁）或近亲属（行动不便的老年人、残疾人）可以代为申领，"
                  "能到场的成年人须本人申领。")


def _client(user: User) -> Client:
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    return c


def _post(c: Client, url: str, data: dict, page: str) -> object:
    """POST as a browser does: with the CSRF token of the page the form is on."""
    assert c.get(page).status_code == 200
    return c.post(url, {**data, "csrfmiddlewaretoken": c.cookies["csrftoken"].value})


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def _state() -> tuple:
    return (list(PermitApplication.objects.order_by("pk").values_list("pk", "status", "materials", "due_on")),
            ApplicationStep.objects.count(), Assessment.objects.count())


def _submitted(people, materials=ALL) -> PermitApplication:  # type: ignore[no-untyped-def]
    return application_submit(actor=people["resident"], point_code=people["police"].code, materials=materials)


def _accepted(people) -> PermitApplication:  # type: ignore[no-untyped-def]
    app = _submitted(people)
    return application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)


# --- the resident ----------------------------------------------------------------------------------------------
def test_a_resident_sees_they_appear_eligible_and_applies(people) -> None:
    c = _client(people["resident"])
    me = _page(c.get("/me/"))
    assert '<section class="card permit-section" id="permit">' in me
    assert "您尚未申领居住证。" in me
    assert 'href="/permits/apply/"' in me
    page = _page(c.get("/permits/apply/"))
    assert "根据您的记录，您看来符合申领条件" in page
    assert "您已在本地连续居住登记 730 天。" in page
    assert "您满足的条件：合法稳定就业。" in page
    police = AcceptancePoint.objects.filter(kind="police_station", jurisdiction__path__contains="/440308/")
    for point in police:  # the police stations of the district take applications; community stations do not
        assert f'value="{point.code}"' in page
    assert f'value="{people["station"].code}"' not in page
    assert Assessment.objects.count() == 0  # the first check is not stored
    r = _post(c, "/permits/apply/", {"point": people["police"].code, "claimed_basis": "none",
                                     "materials": ["id_card", "photo"]}, "/permits/apply/")
    app = PermitApplication.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/permits/applications/{app.pk}/"
    assert (app.channel, app.relation, app.materials, app.acceptance_point_id) == (
        "online", "self", ["id_card", "photo"], people["police"].pk)
    page = _page(c.get(r["Location"]))
    assert f"申请已提交。请携带材料到{people['police'].name}：材料经核验后即视为受理。" in page
    assert '<li class="current" data-step="submitted" aria-current="step">' in page
    assert '<ul class="missing"><li>住所证明</li><li>就业证明</li></ul>' in page
    assert f'action="/permits/applications/{app.pk}/withdraw/"' in page
    assert 'id="accept"' not in page  # the clerk's form is the clerk's
    me = _page(c.get("/me/"))
    assert f"SQ{app.pk:08d}</span> · <strong>已提交</strong>" in me
    assert 'href="/permits/apply/"' not in me  # one application at a time
    # back on the apply page: the application in progress, no second form
    again = _page(c.get("/permits/apply/"))
    assert "您已有一份申请正在办理（已提交）。" in again
    assert 'id="apply"' not in again


def test_a_resident_not_yet_eligible_is_told_what_is_missing(people) -> None:
    person = people["persons"][0]
    Registration.objects.filter(person=person, ended_on__isnull=True).update(started_on=TODAY() - dt.timedelta(days=30))
    Evidence.objects.filter(person=person).delete()
    page = _page(_client(people["resident"]).get("/permits/apply/"))
    assert "根据您的记录，您暂不符合申领条件" in page
    assert "您已在本地连续居住登记 30 天。" in page
    assert ("尚不满足：连续居住 30 天，还差 150 天；无合法稳定就业（最接近的就业条件还差 3 个月）、"
            "合法稳定住所或连续就读。") in page
    assert "目前只登记不发证。" in page
    assert 'id="apply"' in page  # they may apply all the same


def test_the_residents_refusals_are_shown_and_change_nothing(people) -> None:
    c = _client(people["resident"])
    before = _state()
    r = _post(c, "/permits/apply/", {"claimed_basis": "none"}, "/permits/apply/")
    assert r.status_code == 400
    assert '<ul class="errorlist" id="id_point_error"><li>请选择受理点。</li></ul>' in _page(r)
    r = _post(c, "/permits/apply/", {"point": people["station"].code, "claimed_basis": "none"}, "/permits/apply/")
    assert r.status_code == 400
    assert f"选择一个有效的选项。 {people['station'].code} 不在可用的选项中。" in _page(r)
    Permit.objects.create(number="P-1", person=people["persons"][0], status="valid", issued_on=TODAY(),
                          anchor_on=TODAY(), endorsement_due_on=TODAY(), issuing_authority="盐田分局",
                          acceptance_point=people["police"], area_path="/440308/", residence_address="x",
                          status_changed_at=timezone.now(), created_at=timezone.now())
    r = _post(c, "/permits/apply/", {"point": people["police"].code, "claimed_basis": "none"}, "/permits/apply/")
    assert r.status_code == 400
    assert "此人已持有居住证，请办理签注、变更或换领。" in _page(r)
    Permit.objects.all().delete()
    Registration.objects.filter(person=people["persons"][0]).update(ended_on=TODAY() - dt.timedelta(days=1))
    page = _page(c.get("/permits/apply/"))
    assert "您没有有效的居住登记：须先办理居住登记。" in page
    assert 'id="apply"' not in page
    assert _state() == before


def test_an_application_is_its_persons_and_its_areas_only(people, make_user) -> None:
    app = _submitted(people)
    other = user_create(actor=None, username="other-resident", password="Test-pass#2026", role="resident",
                        person_id=people["persons"][1].pk, check_password=False)
    outsider = _client(other)
    assert outsider.get(f"/permits/applications/{app.pk}/").status_code == 404
    r = outsider.post(f"/permits/applications/{app.pk}/withdraw/", {"note": ""})
    assert r.status_code in (403, 404)  # without a token the CSRF check refuses first
    assert _client(people["luohu_reviewer"]).get(f"/permits/applications/{app.pk}/").status_code == 404
    station_clerk = make_user("clerk_cs", "clerk")
    User.objects.filter(pk=station_clerk.pk).update(acceptance_point_code=AcceptancePoint.objects.filter(
        kind="police_station", jurisdiction__path__contains="/440308/").exclude(pk=people["police"].pk)
        .order_by("code").first().code)  # type: ignore[union-attr]
    station_clerk.refresh_from_db()
    c = _client(station_clerk)
    assert c.get(f"/permits/applications/{app.pk}/").status_code == 404
    assert f"/permits/applications/{app.pk}/" not in _page(c.get("/permits/counter/"))
    before = _state()
    r = _post(c, f"/permits/applications/{app.pk}/accept/", {"materials": ALL}, "/permits/counter/")
    assert r.status_code == 404
    assert _state() == before
    assert c.get("/permits/applications/999999/").status_code == 404


def test_the_resident_provides_information_and_withdraws(people) -> None:
    app = _accepted(people)
    application_start_review(actor=people["reviewer"], application_id=app.pk)
    application_request_information(actor=people["reviewer"], application_id=app.pk, note="请补充劳动合同原件")
    c = _client(people["resident"])
    url = f"/permits/applications/{app.pk}/"
    page = _page(c.get(url))
    assert "审核人员要求补充：</strong> 请补充劳动合同原件" in page
    assert '<li class="attention" data-step="in_review" aria-current="step">' in page
    assert '<span class="badge paused">时限暂停</span>' in page
    assert f'action="{url}provide/"' in page
    r = _post(c, f"{url}provide/", {"note": "已补充原件", "materials": ["housing_proof"]}, url)
    assert r.status_code == 302
    assert "已补充：审核继续，时限顺延等待的天数。" in _page(c.get(url))
    app.refresh_from_db()
    assert (app.status, app.materials) == ("in_review", sorted([*ALL, "housing_proof"]))
    r = _post(c, f"{url}provide/", {"note": "again"}, url)  # nothing asked any more
    assert "申领当前为“审核中”，不能办理此项。" in _page(c.get(url))
    r = _post(c, f"{url}withdraw/", {"note": "不需要了"}, url)
    assert r.status_code == 302
    page = _page(c.get(url))
    assert "申请已撤销。" in page
    assert '<li class="stopped" data-step="in_review" aria-current="step">' in page
    assert f'action="{url}withdraw/"' not in page
    before = _state()
    _post(c, f"{url}withdraw/", {"note": ""}, url)
    assert "申领当前为“已撤销”，不能办理此项。" in _page(c.get(url))
    assert _state() == before
    assert Event.objects.filter(action="permit.application.withdrawn", actor_id=people["resident"].pk).count() == 1


# --- the counter -----------------------------------------------------------------------------------------------
def test_the_clerk_accepts_at_the_counter_with_every_missing_material_named(people) -> None:
    app = _submitted(people, materials=["id_card"])
    c = _client(people["clerk"])
    queue = _page(c.get("/permits/counter/"))
    assert f'<tr id="app-{app.pk}">' in queue
    assert people["persons"][0].name in queue
    assert people["persons"][0].id_number_masked in queue
    url = f"/permits/applications/{app.pk}/"
    page = _page(c.get(url))
    assert f'action="{url}accept/"' in page
    assert Event.objects.filter(action="person.record.viewed", actor_id=people["clerk"].pk,
                                data__purpose="permit application").count() == 1
    before = _state()
    r = _post(c, f"{url}accept/", {"materials": ["id_card", "photo"]}, url)
    assert r.status_code == 400
    assert "<li>尚缺以下材料（一次性告知）：住所证明、就业证明。</li>" in _page(r)
    assert _state() == before
    r = _post(c, f"{url}accept/", {"materials": ALL}, url)
    assert r.status_code == 302
    due = TODAY() + dt.timedelta(days=15)
    page = _page(c.get(url))
    assert f"已受理。应于 {due:%Y-%m-%d} 前发证。" in page
    assert f"应于 {due:%Y-%m-%d} 前发证" in page
    assert 'id="accept"' not in page
    before = _state()
    r = _post(c, f"{url}accept/", {"materials": ALL}, "/permits/counter/")  # a second clerk, a moment late
    assert r.status_code == 302
    assert "申领当前为“已受理”，不能办理此项。" in _page(c.get(url))
    assert _state()[:2] == before[:2]


def test_the_clerk_files_from_the_person_page_and_is_told_each_refusal(people) -> None:
    person = people["persons"][1]
    c = _client(people["clerk"])
    detail = f"/people/{person.pk}/"
    page = _page(c.get(detail))
    assert 'id="file-permit"' in page
    assert f'action="/permits/person/{person.pk}/apply/"' in page
    assert "申请在您所在的受理点受理。" in page  # the clerk's own point, no choice of point
    url = f"/permits/person/{person.pk}/apply/"
    before = _state()
    r = _post(c, url, {"relation": "close_relative", "claimed_basis": "none"}, detail)
    assert r.status_code == 400
    assert ('<ul class="errorlist" id="pf_applicant_name_error"><li>请填写代为申领的监护人或近亲属姓名。</li></ul>'
            in _page(r))
    r = _post(c, url, {"relation": "close_relative", "applicant_name": "李四", "claimed_basis": "none"}, detail)
    assert r.status_code == 400
    assert NOT_FOR_OTHERS in _page(r)
    assert _state() == before
    r = _post(c, url, {"relation": "self", "claimed_basis": "employment", "materials": ALL}, detail)
    app = PermitApplication.objects.get(person=person)
    assert r["Location"] == f"/permits/applications/{app.pk}/"
    assert (app.channel, app.relation, app.acceptance_point_id, app.claimed_basis) == (
        "counter", "self", people["police"].pk, "employment")
    assert 'id="file-permit"' not in _page(c.get(detail))  # one application at a time
    assert f'id="permit-app-{app.pk}"' in _page(c.get(detail))
    before = _state()
    r = _post(c, url, {"relation": "self", "claimed_basis": "none"}, url)
    assert r.status_code == 400
    assert "此人已有正在办理的申领。" in _page(r)
    assert _state() == before


def test_the_grid_worker_files_for_an_elderly_resident_with_a_relative(people) -> None:
    elderly = people["persons"][2]
    Person.objects.filter(pk=elderly.pk).update(birth_date=dt.date(1944, 3, 9))
    c = _client(people["grid"])
    url = f"/permits/person/{elderly.pk}/apply/"
    page = _page(c.get(url))
    assert f'value="{people["police"].code}"' in page  # a grid worker chooses the point
    r = _post(c, url, {"relation": "close_relative", "claimed_basis": "none"}, url)
    assert r.status_code == 400
    assert '<ul class="errorlist" id="pf_point_error"><li>请选择受理点。</li></ul>' in _page(r)
    r = _post(c, url, {"relation": "close_relative", "applicant_name": "王小明", "unable_to_attend": "on",
                       "point": people["police"].code, "claimed_basis": "none", "materials": ["id_card"]}, url)
    app = PermitApplication.objects.get(person=elderly)
    assert r["Location"] == f"/permits/applications/{app.pk}/"
    assert (app.channel, app.relation, app.applicant_name, app.unable_to_attend) == (
        "grid_worker", "close_relative", "王小明", True)
    page = _page(c.get(r["Location"]))
    assert "近亲属 · 王小明 · 本人无法到场" in page
    assert '<ul class="missing"><li>照片</li><li>住所证明</li><li>就业证明</li></ul>' in page
    assert c.get("/permits/counter/").status_code == 404  # a grid worker files; the counter accepts
    # a person of another district: not found, nothing filed
    luohu = Registration.objects.filter(area_path__contains="/440303/", ended_on__isnull=True).exclude(
        person__registrations__area_path__contains="/440308/").values_list("person_id", flat=True).first()
    before = _state()
    assert c.get(f"/permits/person/{luohu}/apply/").status_code == 404
    r = _post(c, f"/permits/person/{luohu}/apply/", {"relation": "self", "claimed_basis": "none",
                                                   "point": people["police"].code}, url)
    assert r.status_code == 404
    assert _state() == before


# --- the review ------------------------------------------------------------------------------------------------
def test_the_review_queue_puts_the_overdue_first_in_red_and_shows_the_paused(people, make_user) -> None:
    first = _accepted(people)
    second = application_submit(actor=people["grid"], point_code=people["police"].code,
                                person_id=people["persons"][1].pk, materials=ALL)
    application_accept(actor=people["clerk"], application_id=second.pk, materials=ALL)
    third = application_submit(actor=people["grid"], point_code=people["police"].code,
                               person_id=people["persons"][2].pk, materials=ALL)
    application_accept(actor=people["clerk"], application_id=third.pk, materials=ALL)
    PermitApplication.objects.filter(pk=second.pk).update(due_on=TODAY() - dt.timedelta(days=3))
    application_start_review(actor=people["reviewer"], application_id=third.pk)
    application_request_information(actor=people["reviewer"], application_id=third.pk, note="补充租赁合同")
    PermitApplication.objects.filter(pk=third.pk).update(due_on=TODAY() - dt.timedelta(days=9))
    page = _page(_client(people["reviewer"]).get("/permits/review/"))
    rows = [page.index(f'id="app-{a.pk}"') for a in (second, third, first)]
    assert rows == sorted(rows)  # the overdue first; the paused one is not overdue, whatever its date
    assert f'<tr id="app-{second.pk}" class="overdue">' in page
    assert '<span class="badge late">已超期 3 天</span>' in page
    assert f'<tr id="app-{third.pk}" class="paused">' in page
    assert '<span class="badge paused">暂停</span>' in page
    assert "已超期 9 天" not in page
    assert f'id="app-{first.pk}"' not in _page(_client(people["luohu_reviewer"]).get("/permits/review/"))


def test_the_reviewer_reads_the_explanation_and_decides(people) -> None:
    app = _accepted(people)
    person = people["persons"][0]
    c = _client(people["reviewer"])
    url = f"/permits/review/{app.pk}/"
    page = _page(c.get(url))
    assert person.id_number_masked in page
    assert Event.objects.filter(action="person.record.viewed", actor_id=people["reviewer"].pk,
                                data__purpose="permit application review").count() == 1
    assert '<span class="what">符合居住证申领条件</span>: <strong class="value">是</strong>' in page
    assert "连续居住登记730天,达到180天" in page
    assert '<code class="name">continuity_met</code>' in page
    assert f'action="/permits/review/{app.pk}/start/"' in page
    assert f'action="/permits/review/{app.pk}/approve/"' not in page  # review starts first
    before = _state()
    _post(c, f"{url}approve/", {"note": ""}, url)
    assert "申领当前为“已受理”，不能办理此项。" in _page(c.get(url))
    assert _state()[:2] == before[:2]
    r = _post(c, f"{url}start/", {}, url)
    assert r["Location"] == url
    page = _page(c.get(url))
    assert "已开始审核。" in page
    for action in ("approve", "refuse", "request"):
        assert f'action="/permits/review/{app.pk}/{action}/"' in page
    before = _state()
    _post(c, f"{url}refuse/", {"note": " "}, url)
    assert "请说明不予核准的理由。" in _page(c.get(url))
    _post(c, f"{url}request/", {"note": ""}, url)
    assert "请说明需要补充的材料。" in _page(c.get(url))
    assert _state() == before
    # the person's registration ends: the rules no longer find them eligible, and approval is refused
    reg = Registration.objects.filter(person=person, ended_on__isnull=True)
    started = reg.values_list("started_on", flat=True).get()
    reg.update(started_on=TODAY() - dt.timedelta(days=20))
    _post(c, f"{url}approve/", {"note": ""}, url)
    assert "按规则此人目前不符合申领条件：请说明理由不予核准，或要求补充材料。" in _page(c.get(url))
    assert PermitApplication.objects.get(pk=app.pk).status == "in_review"
    Registration.objects.filter(person=person, ended_on__isnull=True).update(started_on=started)
    _post(c, f"{url}request/", {"note": "补充劳动合同原件"}, url)
    page = _page(c.get(url))
    assert "已要求补充材料；时限暂停。" in page
    assert "要求补充：</strong> 补充劳动合同原件" in page
    services.application_provide_information(actor=people["resident"], application_id=app.pk, note="已补充")
    _post(c, f"{url}approve/", {"note": "材料齐全"}, url)
    page = _page(c.get(url))
    assert "已核准：转入制证。" in page
    assert '<li class="current" data-step="approved" aria-current="step">' in page
    app.refresh_from_db()
    assert (app.status, app.decided_by_id, app.decision_note) == ("approved", people["reviewer"].pk, "材料齐全")


def test_a_refusal_with_its_reason(people) -> None:
    app = _accepted(people)
    application_start_review(actor=people["reviewer"], application_id=app.pk)
    c = _client(people["reviewer"])
    url = f"/permits/review/{app.pk}/"
    _post(c, f"{url}refuse/", {"note": "居住证明不实"}, url)
    assert "已决定不予核准；申领人将看到理由。" in _page(c.get(url))
    page = _page(_client(people["resident"]).get(f"/permits/applications/{app.pk}/"))
    assert "不予核准。理由：</strong> 居住证明不实" in page
    assert '<li class="stopped" data-step="approved" aria-current="step">' in page


def test_two_reviewers_at_once_the_second_is_told_it_moved_on(people, make_user, monkeypatch) -> None:
    app = _accepted(people)
    other = make_user("rev2", "reviewer")
    c1, c2 = _client(people["reviewer"]), _client(other)
    url = f"/permits/review/{app.pk}/"
    assert c2.get(url).status_code == 200  # the second reviewer has the page open too
    _post(c1, f"{url}start/", {}, url)
    # the second reads the application before the first's change is visible to them, then writes: moved on
    real = services.application_get_for_user

    def stale(**kw):  # type: ignore[no-untyped-def]
        found = real(**kw)
        found.status = "accepted"
        return found

    monkeypatch.setattr(services, "application_get_for_user", stale)
    before = _state()
    r = _post(c2, f"{url}start/", {}, url)
    monkeypatch.undo()
    assert r.status_code == 302
    assert "他人刚刚办理了此申领，请刷新页面查看最新状态。" in _page(c2.get(url))
    assert _state() == before
    # and without the race: a step the workflow no longer allows
    _post(c2, f"{url}start/", {}, url)
    assert "申领当前为“审核中”，不能办理此项。" in _page(c2.get(url))
    assert _client(people["luohu_reviewer"]).post(f"{url}approve/", {"note": ""}).status_code in (403, 404)
    r = _post(_client(people["luohu_reviewer"]), f"{url}approve/", {"note": ""}, "/permits/review/")
    assert r.status_code == 404
    assert _client(people["luohu_reviewer"]).get(url).status_code == 404
    assert _client(people["reviewer"]).post(f"{url}unknown/").status_code in (403, 404)


# --- every role ------------------------------------------------------------------------------------------------
PAGES = {"/permits/apply/": {"resident"}, "/permits/counter/": {"admin", "clerk"},
         "/permits/review/": {"admin", "reviewer"}}


@pytest.mark.parametrize("role", ["admin", "clerk", "reviewer", "production", "grid_worker", "enforcement", "manager",
                                  "landlord", "resident"])
def test_every_role_reaches_its_own_pages_only(people, make_user, role: str) -> None:
    user = people["resident"] if role == "resident" else make_user(f"r-{role}", role,
                                                                   "" if role == "landlord" else "440308")
    c = _client(user)
    for url, allowed in PAGES.items():
        assert c.get(url).status_code == (200 if role in allowed else 404), (url, role)
    person = people["persons"][1]
    assert c.get(f"/permits/person/{person.pk}/apply/").status_code == (
        200 if role in {"admin", "clerk", "grid_worker"} else 404), role
    home = c.get("/")
    if home.status_code == 200:
        assert ('href="/permits/counter/"' in _page(home)) is (role in {"admin", "clerk"})
        assert ('href="/permits/review/"' in _page(home)) is (role in {"admin", "reviewer"})


def test_anonymous_is_sent_to_log_in(client: Client) -> None:
    assert client.get("/permits/apply/")["Location"].startswith("/me/login/")
    for url in ("/permits/counter/", "/permits/review/", "/permits/applications/1/", "/permits/review/1/",
                "/permits/person/1/apply/"):
        assert client.get(url)["Location"].startswith("/accounts/login/"), url


def test_the_explanation_tree_nests_values_under_what_they_came_from() -> None:
    text = ("situation 'person 1' — as of 2026-01-01\n"
            "  - eligible = 是  (符合居住证申领条件)\n"
            "      because: 属直接申领政策\n"
            "      - continuity_met = 是  (居住满半年)\n"
            "          parameter permit.continuity.min_days = 180 [national]\n"
            "              source: 条例\n"
            "          - registration_intervals = 2024–…  (居住登记记录)  [given]\n"
            "  - continuity_met = 是  (see above)\n")
    header, roots = explanation_tree(text)
    assert header == "situation 'person 1' — as of 2026-01-01"
    assert [(n.name, n.value, n.label, n.seen) for n in roots] == [
        ("eligible", "是", "符合居住证申领条件", False), ("continuity_met", "是", "居住满半年", True)]
    assert roots[0].notes == [("because", "属直接申领政策")]
    child = roots[0].children[0]
    assert child.notes == [("parameter", "permit.continuity.min_days = 180 [national]"), ("source", "条例")]
    assert [(g.name, g.tag) for g in child.children] == [("registration_intervals", "given")]


def test_a_ready_card_in_the_counter_queue_leads_to_issuing_it(people) -> None:
    app = _submitted(people)
    PermitApplication.objects.filter(pk=app.pk).update(status="ready")
    queue = _page(_client(people["clerk"]).get("/permits/counter/"))
    assert f'<a class="button" href="/permits/issue/{app.pk}/">发放居住证</a>' in queue
