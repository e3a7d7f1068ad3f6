"""Administration of declaration obligors at /manage/obligors/: create, bind an account, see the units, and the
import of obligors with their units (preview, then all or nothing). Scope tried as an attack: a Luohu manager
never reaches a Yantian obligor, nor moves a Yantian obligor's account to one of their own."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from residence.accounts.models import User
from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.core.errors import ValidationError
from residence.places.imports import obligor_import_commit, obligor_import_preview
from residence.places.models import Jurisdiction, Obligor, Unit

pytestmark = pytest.mark.django_db
PASSWORD = "Harbour-lamp#2026"
HEADER = ["义务人编号", "义务人名称", "义务人类型", "所属辖区代码", "房屋编码"]


@pytest.fixture
def manager(city, make_user, client: Client) -> User:
    user = make_user("mgr_yt", "manager", "440308")
    client.force_login(user)
    return user


def free_units(district: str, n: int) -> list[str]:
    return list(Unit.objects.filter(obligor__isnull=True, building__grid__path__contains=f"/{district}/")
                .order_by("code").values_list("code", flat=True)[:n])


def errors(response) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*><li>(.*?)</li>', response.content.decode())


def test_the_demo_obligors_are_administered_where_their_units_are(city) -> None:
    assert not Obligor.objects.filter(jurisdiction__isnull=True, units__isnull=False).exists()
    for obligor in Obligor.objects.filter(units__isnull=False).distinct()[:50]:
        paths = set(obligor.units.values_list("building__grid__path", flat=True))
        assert all(p.startswith(obligor.jurisdiction.path) for p in paths)


def test_create_an_obligor_give_it_an_account_and_the_account_sees_its_units(manager, client: Client) -> None:
    response = client.post("/manage/obligors/new/", {"name": " 海景 旅馆 ", "kind": "hotel",
                                                     "jurisdiction_code": "440308", "code": "HT-0001"})
    obligor = Obligor.objects.get(code="HT-0001")
    assert (response.status_code, response["Location"]) == (302, f"/manage/obligors/{obligor.pk}/")
    assert (obligor.name, obligor.kind, obligor.jurisdiction.code) == ("海景 旅馆", "hotel", "440308")
    assert Event.objects.get(action="place.obligor.created").data == {"kind": "hotel", "jurisdiction": "440308",
                                                                     "code": "HT-0001"}
    Unit.objects.filter(code__in=free_units("440308", 2)).update(obligor=obligor)
    response = client.post(f"/manage/obligors/{obligor.pk}/", {"action": "account", "username": "haijing",
                                                               "password": PASSWORD}, follow=True)
    assert "该账号现在可以查看此义务人的房屋。" in response.content.decode()
    account = User.objects.get(username="haijing")
    assert (account.kind, account.role, Obligor.objects.get(pk=obligor.pk).account_id) == ("obligor", "hotel",
                                                                                           account.pk)
    page = client.get(f"/manage/obligors/{obligor.pk}/").content.decode()
    assert page.count('<td data-label="房屋编码" class="mono">') == 2
    hotel = Client()
    hotel.force_login(account)
    assert hotel.get("/places/mine/").content.decode().count('data-label="房间"') == 2


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "<img src=x onerror=alert(1)>"}, "不超过 100 个字符，且不含 &lt; &gt; 或控制字符。"),
    ({"jurisdiction_code": "440303"}, "您的辖区内没有代码为 440303 的辖区。"),
    ({"jurisdiction_code": "abc"}, "您的辖区内没有代码为 abc 的辖区。"),
    ({"code": "=cmd|x"}, "应为 4–32 位字母、数字或连字符。"),
    ({"kind": "admin"}, "选择一个有效的选项。 admin 不在可用的选项中。"),
])
def test_bad_obligor_input_is_refused_and_nothing_is_written(manager, client: Client, data, message) -> None:
    before = Obligor.objects.count()
    response = client.post("/manage/obligors/new/", {"name": "某房东", "kind": "landlord",
                                                     "jurisdiction_code": "440308", **data})
    assert response.status_code == 400
    assert message in errors(response)
    assert Obligor.objects.count() == before


def test_a_luohu_manager_cannot_reach_or_take_over_a_yantian_obligor(city, make_user, client: Client) -> None:
    yantian = Obligor.objects.filter(jurisdiction__path__contains="/440308/").order_by("pk").first()
    owner = user_create(actor=None, username="yt_landlord", password=PASSWORD, role=yantian.kind)
    Obligor.objects.filter(pk=yantian.pk).update(account=owner)
    mine = Obligor.objects.create(name="罗湖房东", kind=yantian.kind,
                                  jurisdiction=Jurisdiction.objects.get(code="440303"))
    client.force_login(make_user("mgr_lh", "manager", "440303"))
    assert client.get(f"/manage/obligors/{yantian.pk}/").status_code == 404
    assert client.post(f"/manage/obligors/{yantian.pk}/", {"action": "bind",
                                                           "username": "x"}).status_code == 404
    assert f"/manage/obligors/{yantian.pk}/" not in client.get("/manage/obligors/?q=").content.decode()
    # binding the Yantian obligor's account to a Luohu obligor would move it: refused, as if unknown
    response = client.post(f"/manage/obligors/{mine.pk}/", {"action": "bind", "username": "yt_landlord"})
    assert response.status_code == 400
    assert "没有此用户名的申报义务人账号。" in errors(response)
    assert Obligor.objects.get(pk=yantian.pk).account_id == owner.pk
    assert not Event.objects.filter(action="place.obligor.bound").exists()


def csv_of(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in [HEADER, *rows]).encode()


def xlsx_of(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for r in [HEADER, *rows]:
        wb.active.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_import_page_previews_then_imports_obligors_with_their_units(manager, client: Client) -> None:
    u = free_units("440308", 3)
    data = xlsx_of([["LD-0001", "张房东", "房东", "440308", u[0]], ["LD-0001", "张房东", "房东", "440308", u[1]],
                    ["HT-0009", "海景旅馆", "旅馆", "440308", u[2]]])
    page = client.post("/manage/obligors/import/", {"file": SimpleUploadedFile("义务人.xlsx", data)})
    body = page.content.decode()
    assert page.status_code == 200
    assert not Obligor.objects.filter(code="LD-0001").exists()  # the preview writes nothing
    token = body.split('name="token" value="')[1][:32]
    assert 'value="valid_rows"' not in body
    done = client.post("/manage/obligors/import/", {"token": token, "mode": "all"}, follow=True)
    assert "已导入 2 个申报义务人，共 3 套房屋。" in done.content.decode()
    landlord, hotel = Obligor.objects.get(code="LD-0001"), Obligor.objects.get(code="HT-0009")
    assert (landlord.name, landlord.kind, landlord.jurisdiction.code) == ("张房东", "landlord", "440308")
    assert sorted(landlord.units.values_list("code", flat=True)) == u[:2]
    assert list(hotel.units.values_list("code", flat=True)) == [u[2]]
    assert Event.objects.get(action="place.obligors.imported").data == {"obligors": 2, "units": 3}
    new = Obligor.objects.create(name="之后", kind="hotel")  # the sequence moved past the imported ids
    assert new.pk > hotel.pk


def test_any_row_error_imports_nothing_and_names_row_and_column(manager) -> None:
    u = free_units("440308", 4)
    taken = Unit.objects.filter(obligor__isnull=False, building__grid__path__contains="/440308/").first().code
    luohu = free_units("440303", 1)[0]
    street = Unit.objects.get(code=u[3]).building.grid.path.strip("/").split("/")[2]
    other_street = Unit.objects.filter(obligor__isnull=True, building__grid__path__contains="/440308/").exclude(
        building__grid__path__contains=f"/{street}/").values_list("code", flat=True).first()
    data = csv_of([
        ["LD-0001", "张房东", "房东", "440308", u[0]],
        ["LD-0001", "李房东", "房东", "440308", u[1]],  # same code, another name
        ["LD-0002", "王房东", "业主", "440308", u[2]],  # unknown kind
        ["LD-0003", "赵房东", "房东", "440303", u[3]],  # an area outside the importer's
        ["LD-0004", "钱房东", "房东", "440308", u[0]],  # the same unit twice
        ["LD-0005", "孙房东", "房东", "440308", taken],  # a unit that has an obligor
        ["LD-0006", "周房东", "房东", "440308", luohu],  # a unit outside the importer's area
        ["LD-0007", "吴房东", "房东", street, other_street],  # a unit outside the obligor's area
        ["=1+1", "郑房东", "房东", "440308", "NOSUCHUNIT"],  # a formula; an unknown unit
        ["LD-0008", "冯<script>", "房东", "440308", u[3]],
    ])
    preview = obligor_import_preview(actor=manager, filename="o.csv", data=data)
    assert preview.valid == []
    assert [(e.row, e.column, e.message) for e in preview.errors] == [
        (3, "义务人编号", "与第 2 行的义务人编号相同，但名称、类型或辖区不同。"),
        (4, "义务人类型", "应为以下之一：房东、用人单位、旅馆、时租房。"),
        (5, "所属辖区代码", "辖区不存在或不在您的辖区内。"),
        (6, "房屋编码", "与第 2 行房屋编码重复。"),
        (7, "房屋编码", "该房屋已有申报义务人。"),
        (8, "房屋编码", "房屋不存在或不在您的辖区内。"),
        (9, "房屋编码", "该房屋不在义务人所属辖区内。"),
        (10, "义务人编号", "疑似公式，请填写纯文本。"),
        (11, "义务人名称", "不超过 100 个字符，且不含 < > 或控制字符。"),
    ]
    before = (Obligor.objects.count(), Unit.objects.filter(obligor__isnull=False).count(), Event.objects.count())
    with pytest.raises(ValidationError) as refused:
        obligor_import_commit(actor=manager, filename="o.csv", data=data, mode="all")
    assert refused.value.code == "row_errors"
    with pytest.raises(ValidationError):
        obligor_import_commit(actor=manager, filename="o.csv", data=data, mode="valid_rows")
    assert (Obligor.objects.count(), Unit.objects.filter(obligor__isnull=False).count(),
            Event.objects.count()) == before


def test_bulk_set_leaves_rows_already_set_alone_so_the_commit_can_tell(manager) -> None:
    """The commit binds units with only_null and undoes everything when fewer rows changed than it checked (a
    unit bound by someone else between its check and its write)."""
    from residence.core.bulk import bulk_set

    u = list(Unit.objects.filter(code__in=free_units("440308", 2)).order_by("code"))
    first, other = Obligor.objects.order_by("pk")[:2]
    Unit.objects.filter(pk=u[1].pk).update(obligor=other)
    assert bulk_set(Unit, "obligor_id", [(u[0].pk, first.pk), (u[1].pk, first.pk)], only_null=True) == 1
    assert [x.obligor_id for x in Unit.objects.filter(pk__in=[u[0].pk, u[1].pk]).order_by("code")] == [
        first.pk, other.pk]
    assert bulk_set(Unit, "obligor_id", [(u[1].pk, first.pk)], batch=1) == 1  # without only_null: set


@pytest.mark.parametrize(("name", "data", "message"), [
    ("o.xlsx", b"PK\x03\x04 not really a workbook", "文件不是可读取的 .xlsx 工作簿。"),
    ("o.csv", "义务人编号,义务人名称\nLD-1,张\n".encode(), "缺少列：义务人类型、所属辖区代码、房屋编码。"),
    ("o.csv", b"\xff\xfe\x00\x81\x30\x00\xff", "文件既不是 UTF-8 也不是 GBK 编码的文本。"),
])
def test_garbled_files_are_refused_in_chinese(manager, client: Client, name: str, data: bytes,
                                              message: str) -> None:
    page = client.post("/manage/obligors/import/", {"file": SimpleUploadedFile(name, data)})
    assert message in page.content.decode()
    assert 'name="token"' not in page.content.decode()


def test_an_oversized_file_is_refused(manager, client: Client, settings) -> None:
    page = client.post("/manage/obligors/import/", {"file": SimpleUploadedFile("o.csv", b"x" * (20 * 1024 * 1024 + 1))})
    assert "上限为 20 MB" in page.content.decode()


def test_only_administrators_and_managers_import_obligors(city, make_user, client: Client) -> None:
    client.force_login(make_user("clerk_yt", "clerk", "440308"))
    assert client.get("/manage/obligors/import/").status_code == 404
    assert client.post("/manage/obligors/import/", {"file": SimpleUploadedFile("o.csv", csv_of([]))}
                       ).status_code == 404
