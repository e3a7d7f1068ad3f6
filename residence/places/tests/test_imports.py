from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from residence.audit.models import Event
from residence.core.errors import PermissionDenied, ValidationError
from residence.places.imports import address_import_commit, address_import_preview
from residence.places.models import Building, Jurisdiction, Unit

pytestmark = pytest.mark.django_db
GRID = "440308001001001"
HEADER = "网格代码,地址编码,道路,门牌号,楼栋名称,房屋编码,房号,房屋类型,是否出租屋,治安等级\n"


def addr(i: int) -> str:
    return f"{GRID}9{i:05d}"


def good(i: int) -> str:
    return f"{GRID},{addr(i)},海景路,{i}号,A栋,UNIT{i:04d},101,住宅,是,A\n"


@pytest.fixture
def admin(city, make_user):
    return make_user("importer", "admin", "440308")


def test_utf8_csv_imports_all_rows(admin) -> None:
    data = (HEADER + good(1) + good(2)).encode()
    preview = address_import_preview(actor=admin, filename="a.csv", data=data)
    assert (len(preview.valid), preview.errors, preview.encoding) == (2, [], "UTF-8")
    before = Unit.objects.count()
    address_import_commit(actor=admin, filename="a.csv", data=data, mode="all")
    assert Unit.objects.count() == before + 2
    assert Building.objects.get(address_code=addr(1)).grid.code == GRID
    assert Unit.objects.get(code="UNIT0002").is_rental is True
    e = Event.objects.get(action="place.addresses.imported")
    assert e.data == {"mode": "all", "units": 2, "buildings": 2, "rows_with_errors": 0}


@pytest.mark.parametrize(("encode", "label"), [(lambda s: s.encode("gbk"), "GBK/GB18030"),
                                               (lambda s: b"\xef\xbb\xbf" + s.encode(), "UTF-8 (BOM)")])
def test_gbk_and_bom_csv_are_read(admin, encode, label: str) -> None:
    preview = address_import_preview(actor=admin, filename="a.csv", data=encode(HEADER + good(1)))
    assert (preview.encoding, len(preview.valid), preview.errors) == (label, 1, [])
    assert preview.valid[0].road == "海景路"


def test_row_errors_name_row_and_column_and_all_mode_writes_nothing(admin) -> None:
    bad = (HEADER + good(1)
           + f"{GRID},{addr(2)},<script>alert(1)</script>,2号,,UNIT0002,101,住宅,是,A\n"
           + "\n"
           + f"999999999999999,{addr(3)},海景路,3号,,UNIT0003,101,住宅,否,\n"
           + f"{GRID},{addr(4)},=HYPERLINK(\"x\"),4号,,UNIT0004,101,住宅,否,\n"
           + f"{GRID},{addr(5)},海景路,5号,,UNIT0001,101,住宅,否,\n"
           + f"{GRID},{addr(6)},海景路,6号,,UNIT0006,101,别墅,也许,Z\n")
    data = bad.encode()
    preview = address_import_preview(actor=admin, filename="b.csv", data=data)
    assert [(e.row, e.column) for e in preview.errors] == [
        (3, "道路"), (5, "网格代码"), (6, "道路"), (7, "房屋编码"), (8, "房屋类型"), (8, "是否出租屋"), (8, "治安等级")]
    assert preview.skipped_empty == [4]
    assert preview.errors[3].text == "第 7 行「房屋编码」：与第 2 行重复。"
    before = (Building.objects.count(), Unit.objects.count())
    with pytest.raises(ValidationError) as err:
        address_import_commit(actor=admin, filename="b.csv", data=data, mode="all")
    assert err.value.code == "row_errors"
    assert (Building.objects.count(), Unit.objects.count()) == before
    assert not Event.objects.filter(action="place.addresses.imported").exists()
    address_import_commit(actor=admin, filename="b.csv", data=data, mode="valid_rows")
    assert (Building.objects.count(), Unit.objects.count()) == (before[0] + 1, before[1] + 1)
    assert Unit.objects.filter(code="UNIT0001").exists()


def test_grid_outside_the_importers_area_is_refused(city, make_user) -> None:
    luohu = make_user("lh-admin", "admin", "440303")
    preview = address_import_preview(actor=luohu, filename="a.csv", data=(HEADER + good(1)).encode())
    assert [(e.row, e.column) for e in preview.errors] == [(2, "网格代码")]


def test_oversized_file_is_refused_before_parsing(admin) -> None:
    with pytest.raises(ValidationError) as err:
        address_import_preview(actor=admin, filename="big.csv", data=b"x" * (50 * 1024 * 1024))
    assert (err.value.code, err.value.field) == ("too_large", "file")
    assert "50.0 MB" in err.value.message


def test_missing_columns_and_wrong_type_and_undecodable(admin) -> None:
    with pytest.raises(ValidationError) as err:
        address_import_preview(actor=admin, filename="a.csv", data="道路,门牌号\n海景路,1号\n".encode())
    assert err.value.code == "columns"
    assert "网格代码" in err.value.message
    with pytest.raises(ValidationError) as err:
        address_import_preview(actor=admin, filename="a.txt", data=b"x")
    assert err.value.code == "file_type"
    with pytest.raises(ValidationError) as err:
        address_import_preview(actor=admin, filename="a.csv", data=b"\xff\xfe\xfa\x80\x81")
    assert err.value.code == "encoding"


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_is_read_and_formula_cells_are_refused(admin) -> None:
    header = HEADER.strip().split(",")
    ok = xlsx([header, good(1).strip().split(","), [None] * 10, good(2).strip().split(",")])
    preview = address_import_preview(actor=admin, filename="a.xlsx", data=ok)
    assert (len(preview.valid), preview.skipped_empty, preview.encoding) == (2, [3], "XLSX")
    row = good(3).strip().split(",")
    row[2] = "=1+1"
    with pytest.raises(ValidationError) as err:
        address_import_preview(actor=admin, filename="f.xlsx", data=xlsx([header, row]))
    assert err.value.code == "formula"
    assert "2/道路" in err.value.message


def test_only_capable_roles_may_import(city, make_user) -> None:
    clerk = make_user("cl", "clerk", "440308")
    with pytest.raises(PermissionDenied):
        address_import_preview(actor=clerk, filename="a.csv", data=(HEADER + good(1)).encode())


def test_import_page_previews_then_imports_valid_rows(client, admin) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin)
    data = (HEADER + good(1) + f"{GRID},{addr(2)},海景路,2号,,UNIT0002,101,住宅,也许,\n").encode("gbk")
    r = client.post("/places/import/", {"file": SimpleUploadedFile("地址.csv", data)})
    body = r.content.decode()
    assert r.status_code == 200
    assert "GBK/GB18030" in body
    assert "是否出租屋" in body  # the error names the column
    assert not Unit.objects.filter(code="UNIT0001").exists()
    token = body.split('name="token" value="')[1][:32]
    r = client.post("/places/import/", {"token": token, "mode": "valid_rows"})
    assert r.status_code == 302
    assert Unit.objects.filter(code="UNIT0001").exists()
    assert not Unit.objects.filter(code="UNIT0002").exists()
    r = client.post("/places/import/", {"token": token, "mode": "valid_rows"})  # the upload is used up
    assert Unit.objects.filter(code__startswith="UNIT000").count() == 1


def other_grid() -> str:
    code = (Jurisdiction.objects.filter(level="grid", path__contains="/440308/").exclude(code=GRID)
            .order_by("code").values_list("code", flat=True).first())
    assert code is not None
    return code


def test_hostile_and_inconsistent_rows_of_a_gbk_file_each_get_an_exact_message_and_nothing_is_written(admin) -> None:
    other = other_grid()
    lines = [good(1),
             f"{GRID},{addr(3)},=cmd|' /C calc'!A0,3号,,UNIT0003,101,住宅,是,A\n",
             f"{GRID},{addr(4)},<script>alert(1)</script>,4号,,UNIT0004,101,住宅,是,A\n",
             f"{GRID},12345,海景路,5号,,UNIT0005,101,住宅,是,A\n",
             f"{GRID},440303{GRID[6:]}900006,海景路,6号,,UNIT0006,101,住宅,是,A\n",
             good(1),
             f"{other},{addr(1)},海景路,8号,,UNIT0008,101,住宅,是,A\n",
             f"{GRID},{addr(9)},海景路,9号,,UNIT0009,101,别墅,也许,Z\n"]
    data = (HEADER + "".join(lines)).encode("gbk")
    preview = address_import_preview(actor=admin, filename="地址.csv", data=data)
    assert preview.encoding == "GBK/GB18030"
    assert [e.text for e in preview.errors] == [
        "第 3 行「道路」：疑似公式，请填写纯文本。",
        "第 4 行「道路」：不超过 100 个字符，且不含 < > 或控制字符。",
        "第 5 行「地址编码」：应以 6 位 GB/T 2260 行政区划代码开头（如 440308），“12345”不是有效的区划代码。",
        "第 6 行「地址编码」：以区划代码 440303 开头，但该网格位于 440308。",
        "第 7 行「房屋编码」：与第 2 行重复。",
        f"第 8 行「地址编码」：同一地址编码在第 2 行属于网格 {GRID}。",
        "第 9 行「房屋类型」：无法识别“别墅”，可填：住宅、房间、集体宿舍、旅馆。",
        "第 9 行「是否出租屋」：无法识别“也许”，可填：是、否。",
        "第 9 行「治安等级」：无法识别“Z”，可填：A 安全、B 需关注、C 隐患，或其名称。",
    ]
    assert [r.row for r in preview.valid] == [2]
    before = (Building.objects.count(), Unit.objects.count())
    with pytest.raises(ValidationError) as err:
        address_import_commit(actor=admin, filename="地址.csv", data=data, mode="all")
    assert err.value.message == "7 行有错误，未导入任何数据。"
    assert (Building.objects.count(), Unit.objects.count()) == before
    assert not Event.objects.filter(action="place.addresses.imported").exists()


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("big.csv", b"x" * (50 * 1024 * 1024), "文件大小为 50.0 MB（52,428,800 字节），上限为 20 MB。"),
    ("a.csv", "道路,门牌号\n海景路,1号\n".encode(), "缺少列：网格代码、地址编码、房屋编码、房号。"),
    ("a.csv", (good(1) + good(2)).encode(),  # the header row left out: the first row is data
     "第 1 行应为表头，写列名（网格代码、地址编码、道路、门牌号、楼栋名称、房屋编码、房号、房屋类型、是否出租屋、"
     "治安等级），但其中没有任何可识别的列名。"),
    ("a.csv", (HEADER.strip() + ",道路\n" + good(1)).encode(), "表头（第 1 行）中“道路”列出现了两次。"),
    ("a.csv", b"\xff\xfe\xfa\x80\x81", "文件既不是 UTF-8 也不是 GBK 编码的文本。"),
    ("a.txt", b"x", "请上传 .csv 或 .xlsx 文件。"),
    ("a.csv", b"", "文件为空。"),
    ("a.xlsx", b"PK\x03\x04 not a workbook", "文件不是可读取的 .xlsx 工作簿。"),
])
def test_bad_files_are_refused_with_an_exact_message_and_nothing_written(admin, filename: str, data: bytes,
                                                                           message: str) -> None:
    before = (Building.objects.count(), Unit.objects.count())
    for attempt in (lambda: address_import_preview(actor=admin, filename=filename, data=data),
                    lambda: address_import_commit(actor=admin, filename=filename, data=data, mode="valid_rows")):
        with pytest.raises(ValidationError) as err:
            attempt()
        assert (err.value.message, err.value.field) == (message, "file")
    assert (Building.objects.count(), Unit.objects.count()) == before


def test_the_first_grid_of_the_area_makes_an_example_that_imports(admin) -> None:
    from residence.places.imports import address_import_example

    example = address_import_example(actor=admin)
    first = Jurisdiction.objects.filter(level="grid", path__contains="/440308/").order_by("code").first()
    assert first is not None
    assert example == {"grid_code": first.code, "address_code": f"{first.code}900001",
                       "unit_code": f"{first.code}9000010001"}
    Unit.objects.create(code=f"{first.code}9000010001", label="101", building=Building.objects.create(
        address_code=f"{first.code}900001", road="海景路", door_plate="1号", grid=first))
    assert address_import_example(actor=admin)["address_code"] == f"{first.code}900002"  # the next free one
