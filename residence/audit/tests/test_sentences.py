"""Events read as sentences with names, in Chinese by default and in English when the page is: exact strings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from residence.accounts.services import user_create
from residence.audit.actions import ACTIONS, SENTENCES
from residence.audit.models import Event
from residence.audit.sentences import event_sentence, event_sentences
from residence.audit.services import event_record
from residence.core.idnumber import check_character
from residence.people.services import person_create
from residence.places.models import Building, Jurisdiction, Unit
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db
ID = "44030819850505002" + check_character("44030819850505002")


@pytest.fixture
def town() -> dict[str, Any]:
    city = Jurisdiction.objects.create(code="440300", name="深圳市", level="city", path="/440300/", official=True)
    yt = Jurisdiction.objects.create(code="440308", name="盐田区", level="district", parent=city,
                                     path="/440300/440308/", official=True)
    Jurisdiction.objects.create(code="440303", name="罗湖区", level="district", parent=city,
                                path="/440300/440303/", official=True)
    grid = Jurisdiction.objects.create(code="440308001001001", name="一网格", level="grid", parent=yt,
                                       path="/440300/440308/440308001001001/", official=False)
    building = Building.objects.create(address_code="4403080010010010001", road="沙头角路", door_plate="1号",
                                       name="海景楼", grid=grid)
    unit = Unit.objects.create(building=building, label="101")
    person = person_create(actor=None, id_number=ID, name="李四", phone="13912345678")
    Registration.objects.create(person=person, unit=unit, started_on=dt.date(2024, 1, 1))

    def account(username: str, role: str, code: str, name: str) -> Any:
        return user_create(actor=None, username=username, password="x", role=role, jurisdiction_code=code,
                           display_name=name, check_password=False)

    return {"person": person, "building": building,
            "clerk": account("zhangsan", "clerk", "440308", "张三"),
            "grid": account("wangwu", "grid_worker", "440308", "王五"),
            "manager": account("zhaoliu", "manager", "440300", "赵六"),
            "lh_manager": account("sunba", "manager", "440303", "孙八")}


def said(viewer: Any, lang: str = "zh-hans", **event: Any) -> str:
    with translation.override(lang):
        return event_sentence(viewer=viewer, event=event_record(**event))


def test_a_read_of_a_person_names_the_clerk_and_the_person_with_the_purpose(town) -> None:
    read = {"actor": town["clerk"], "action": "person.record.viewed", "subject_type": "person",
            "subject_id": town["person"].pk, "data": {"purpose": "窗口办理"}}
    assert said(town["manager"], **read) == "受理员 张三 查看了 李四 的登记信息，用途：窗口办理"
    assert said(town["manager"], "en", **read) == "Counter clerk 张三 opened the record of 李四, purpose: 窗口办理"
    # a manager of another district is not told whom: the person lies outside their area
    assert said(town["lh_manager"], **read) == "受理员 张三 查看了 您辖区外的人员 的登记信息，用途：窗口办理"
    opened = {**read, "data": {"purpose": "record.opened"}}
    assert said(town["manager"], **opened) == "受理员 张三 查看了 李四 的登记信息，用途：在工作台查阅"


def test_a_search_says_how_and_how_many_in_words(town) -> None:
    search = {"actor": town["grid"], "action": "person.searched", "data": {"by": "name", "results": 50}}
    assert said(town["manager"], **search) == "网格员 王五 搜索了人员（按姓名），得到 50 条结果"
    assert said(town["manager"], "en", **search) == "Grid worker 王五 searched for persons (by name) and found 50"
    one = {**search, "data": {"by": "id_number", "results": 1}}
    assert said(town["manager"], **one) == "网格员 王五 搜索了人员（按身份证号），得到 1 条结果"


def test_log_ins_failures_lockouts_and_log_outs(town) -> None:
    clerk, manager = town["clerk"], town["manager"]
    assert said(manager, actor=clerk, action="account.login.succeeded", subject_type="user", subject_id=clerk.pk,
                data={"door": "staff", "address": "10.0.0.7"}) == "受理员 张三 从 10.0.0.7 登录"
    assert said(manager, actor=None, action="account.login.failed", subject_type="user", subject_id=clerk.pk,
                data={"door": "staff", "address": "10.0.0.7", "reason": "password"}) == \
        "有人从 10.0.0.7 以 受理员 张三 的账号登录失败：用户名或密码错误"
    assert said(manager, "en", actor=None, action="account.login.failed", subject_type="user",
                subject_id=clerk.pk, data={"door": "staff", "address": "10.0.0.7", "reason": "otp"}) == \
        "A log-in as Counter clerk 张三 from 10.0.0.7 failed: wrong or missing one-time code"
    assert said(manager, actor=None, action="account.login.failed",
                data={"door": "resident", "address": "10.0.0.8", "reason": "password"}) == \
        "有人从 10.0.0.8 登录失败：所输用户名不属于任何账号"
    assert said(manager, actor=None, action="account.login.locked_out", subject_type="user", subject_id=clerk.pk,
                data={"door": "staff", "address": "10.0.0.7", "failures": 5, "minutes": 30}) == \
        "来自 10.0.0.7 的登录连续失败 5 次后被锁定，最后一次以 受理员 张三 的账号登录"
    assert said(manager, "en", actor=None, action="account.login.locked_out",
                data={"door": "staff", "address": "10.0.0.9", "failures": 1, "minutes": 30}) == \
        "Log-ins from 10.0.0.9 were locked out after 1 failure"
    assert said(manager, actor=None, action="account.login.failures_unrecorded", data={"limit": 120}) == \
        "一分钟内登录失败超过 120 次：该分钟其余的失败不再逐条记录（锁定仍会计数）"
    assert said(manager, actor=clerk, action="account.logged_out", subject_type="user", subject_id=clerk.pk,
                data={"door": "staff"}) == "受理员 张三 退出了登录"


def test_refused_pages(town) -> None:
    grid, manager, person = town["grid"], town["manager"], town["person"]
    page = {"page": "/people/<int:person_id>/", "reason": "scope"}
    assert said(manager, actor=grid, action="access.refused", subject_type="person", subject_id=person.pk,
                data=page) == "网格员 王五 试图打开 李四，被拒绝：不在其辖区内（页面 /people/<int:person_id>/）"
    assert said(manager, actor=grid, action="access.refused", subject_type="person", data=page) == \
        "网格员 王五 试图打开不存在的人员（页面 /people/<int:person_id>/）"
    assert said(manager, actor=grid, action="access.refused", subject_type="building",
                subject_id=town["building"].address_code,
                data={"page": "/places/building/<str:address_code>/", "reason": "scope"}) == \
        "网格员 王五 试图打开 沙头角路1号海景楼，被拒绝：不在其辖区内（页面 /places/building/<str:address_code>/）"
    assert said(manager, actor=grid, action="access.refused", data={"page": "/audit/", "reason": "role"}) == \
        "网格员 王五 试图打开其角色无权访问的页面（页面 /audit/）"
    assert said(manager, "en", actor=grid, action="access.refused", data={"page": "/audit/", "reason": "role"}) \
        == "Grid worker 王五 tried to open a page that their role may not see (page /audit/)"


def test_browsing_the_trail_says_the_filters_in_words(town) -> None:
    manager, clerk = town["manager"], town["clerk"]
    assert said(manager, actor=manager, action="audit.trail.viewed", data={"filters": {
        "from": "2026-12-01", "to": "2026-12-01", "kind": "logins", "actor": clerk.pk}, "shown": 12}) == \
        ("管理人员 赵六 查看了审计日志（日期 2026-12-01 至 2026-12-01；类别：登录与退出；操作人：受理员 张三），"
         "显示 12 条")
    assert said(manager, actor=manager, action="audit.trail.viewed", data={"filters": {}, "shown": 50}) == \
        "管理人员 赵六 查看了审计日志（未筛选），显示 50 条"
    assert said(manager, "en", actor=manager, action="audit.trail.viewed",
                data={"filters": {"kind": "refused", "actor_unknown": True}, "shown": 1}) == \
        "Manager 赵六 browsed the audit trail (kind: Refused pages; an actor that no account matches), 1 event shown"


def test_the_system_deleted_accounts_and_actions_without_a_sentence(town) -> None:
    manager = town["manager"]
    assert said(manager, actor=None, action="import.uploads.purged", subject_type="import",
                data={"removed": 3, "ttl_minutes": 60}) == "系统 删除了 3 个未导入的上传文件"
    event = Event(action="account.user.deactivated", actor_id=999999, actor_label="gone", subject_type="user",
                  subject_id=str(town["clerk"].pk), data={})
    with translation.override("zh-hans"):  # its data lacks the reason its sentence needs: the action's label
        assert event_sentence(viewer=manager, event=event) == "gone：停用了工作人员账号（受理员 张三）"
        event.action = "account.not.yet.known"  # an action without words: its code
        assert event_sentence(viewer=manager, event=event) == "gone：account.not.yet.known（受理员 张三）"
    old = Event(action="person.searched", actor_id=town["grid"].pk, data={"i": 1})  # an event older than its words
    with translation.override("zh-hans"):
        assert event_sentence(viewer=manager, event=old) == "网格员 王五：查询人员"


def test_names_are_escaped_in_the_page_and_kept_on_one_line(town) -> None:
    hostile = user_create(actor=None, username="evil", password="x", role="clerk", jurisdiction_code="440308",
                          display_name='<img src=x onerror="alert(1)">', check_password=False)
    e = event_record(actor=hostile, action="person.record.viewed", subject_type="person",
                     subject_id=town["person"].pk, data={"purpose": "<script>x</script>"})
    with translation.override("zh-hans"):
        (shown,) = event_sentences(viewer=town["manager"], events=[e])
    assert shown.sentence_html == (  # type: ignore[attr-defined]
        '<span class="nb">受理员 &lt;img src=x onerror=&quot;alert(1)&quot;&gt;</span> 查看了 '
        '<span class="nb">李四</span> 的登记信息，用途：&lt;script&gt;x&lt;/script&gt;')


def test_every_action_has_a_sentence() -> None:
    assert set(ACTIONS) - {key.split(":")[0] for key in SENTENCES} == set()
