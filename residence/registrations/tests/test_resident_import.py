"""Importing residents with their current residence: every bad row named by row and column, nothing half-written."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from openpyxl import Workbook

from residence.audit.models import Event
from residence.core.errors import PermissionDenied, ValidationError
from residence.core.idnumber import check_character
from residence.core.tabular import gb2312_han
from residence.people.models import Person
from residence.people.selectors import person_search
from residence.places.models import Unit
from residence.registrations.imports import resident_import_commit, resident_import_preview
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db
HEADER = "身份证号,姓名,手机号,民族,文化程度,婚姻状况,职业,户籍地址,房屋编码,居住起始日期\n"


def idn(seq: int, first14: str = "42010619920304") -> str:
    first = f"{first14}{seq:03d}"
    return first + check_character(first)


@pytest.fixture
def unit_code(city) -> str:
    unit = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    assert unit is not None
    return unit.code


@pytest.fixture
def luohu_unit(city) -> str:
    unit = Unit.objects.filter(building__grid__path__contains="/440303/").order_by("pk").first()
    assert unit is not None
    return unit.code


@pytest.fixture
def admin(city, make_user):
    return make_user("yt-admin", "admin", "440308")


def row(seq: int, unit: str, name: str = "王小明", **over: str) -> str:
    values = {"id": idn(seq), "name": name, "phone": "13800001111", "eth": "汉族", "edu": "大学本科", "mar": "已婚",
              "occ": "厨师", "hukou": "湖北省武汉市", "unit": unit, "date": "2025-06-01", **over}
    return ",".join(values.values()) + "\n"


def test_valid_file_imports_persons_and_registrations_visible_in_scope(admin, unit_code) -> None:
    data = (HEADER + row(1, unit_code) + row(2, unit_code, name="阿依古丽·买买提", eth="维吾尔族")).encode()
    result = resident_import_commit(actor=admin, filename="r.csv", data=data, mode="all")
    assert len(result.valid) == 2
    assert result.errors == []
    person = Person.objects.get(name="阿依古丽·买买提")
    assert person.ethnicity == "05"
    assert person.sex == "F"  # from the ID number's 17th digit (2: even)
    assert Registration.objects.filter(person=person, unit__code=unit_code, ended_on__isnull=True).exists()
    assert [p.name for p in person_search(user=admin, query=idn(2))] == ["阿依古丽·买买提"]
    assert Event.objects.filter(action="registration.residents.imported").count() == 1


@pytest.mark.parametrize(("bad_id", "words"), [
    (idn(3)[:17] + ("0" if idn(3)[17] != "0" else "1"), "校验"),  # wrong check character
    ("42010619921304003" + check_character("42010619921304003"), "出生日期"),  # month 13
    ("99999919920304003" + check_character("99999919920304003"), "行政区划"),  # unknown division
])
def test_invalid_id_numbers_are_named_by_row_and_column(admin, unit_code, bad_id: str, words: str) -> None:
    data = (HEADER + row(1, unit_code) + row(3, unit_code, id=bad_id)).encode()
    preview = resident_import_preview(actor=admin, filename="r.csv", data=data)
    assert [(e.row, e.column) for e in preview.errors] == [(3, "身份证号")]
    assert words in preview.errors[0].message
    with pytest.raises(ValidationError, match="1"):
        resident_import_commit(actor=admin, filename="r.csv", data=data, mode="all")
    assert not Person.objects.filter(name="王小明").exists()  # "all": nothing at all
    resident_import_commit(actor=admin, filename="r.csv", data=data, mode="valid_rows")
    assert Person.objects.filter(name="王小明").count() == 1  # exactly the valid row


def test_hostile_and_malformed_fields_each_named(admin, unit_code, luohu_unit) -> None:
    rows = [
        row(1, unit_code, name="<script>alert(1)</script>"),
        row(2, unit_code, phone="12345"),
        row(3, unit_code, eth="火星族", phone="138 0000 1111"),  # spaces are fine
        row(4, unit_code, date="2025-02-30"),
        row(5, luohu_unit),  # a unit outside the importer's district
        row(6, unit_code, hukou="<img src=x onerror=alert(1)>"),
        row(7, unit_code, occ="=HYPERLINK(\"http://x\")"),
        row(8, unit_code),
        row(8, unit_code),  # the same person twice
    ]
    preview = resident_import_preview(actor=admin, filename="r.csv", data=(HEADER + "".join(rows)).encode())
    assert [(e.row, e.column) for e in preview.errors] == [
        (2, "姓名"), (3, "手机号"), (4, "民族"), (5, "居住起始日期"), (6, "房屋编码"), (7, "户籍地址"), (8, "职业"),
        (10, "身份证号"),
    ]
    assert [r.row for r in preview.valid] == [9]


def test_every_problem_of_a_row_is_listed_at_once(admin, unit_code) -> None:
    bad = row(1, unit_code, id="42010619921304001X", name="<b>", phone="138", eth="火星族", date="tomorrow")
    preview = resident_import_preview(actor=admin, filename="r.csv", data=(HEADER + bad).encode())
    assert [e.column for e in preview.errors] == ["身份证号", "姓名", "手机号", "民族", "居住起始日期"]


def test_gbk_and_bom_files_are_read(admin, unit_code) -> None:
    for data, label in [((HEADER + row(1, unit_code)).encode("gbk"), "GBK/GB18030"),
                        (b"\xef\xbb\xbf" + (HEADER + row(1, unit_code)).encode(), "UTF-8 (BOM)")]:
        preview = resident_import_preview(actor=admin, filename="r.csv", data=data)
        assert preview.encoding == label
        assert len(preview.valid) == 1


def test_already_on_record_and_empty_rows_and_missing_columns(admin, unit_code) -> None:
    resident_import_commit(actor=admin, filename="r.csv", data=(HEADER + row(1, unit_code)).encode(), mode="all")
    preview = resident_import_preview(actor=admin, filename="r.csv",
                                      data=(HEADER + ",,,,,,,,,\n" + row(1, unit_code)).encode())
    assert preview.skipped_empty == [2]
    assert [(e.row, e.column) for e in preview.errors] == [(3, "身份证号")]
    with pytest.raises(ValidationError, match="房屋编码"):
        resident_import_preview(actor=admin, filename="r.csv", data="身份证号,姓名,居住起始日期\n".encode())


def test_oversized_file_and_xlsx_formulas_are_refused(admin, unit_code) -> None:
    with pytest.raises(ValidationError, match="20 MB"):
        resident_import_preview(actor=admin, filename="r.csv", data=b"x" * (50 * 1024 * 1024))
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.strip().split(","))
    ws.append([idn(1), "王小明", "13800001111", "汉族", "", "", "", "", unit_code, "2025-06-01"])
    ws.append([idn(2), "=A2", "", "", "", "", "", "", unit_code, "2025-06-01"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ValidationError, match="3/姓名"):
        resident_import_preview(actor=admin, filename="r.xlsx", data=buf.getvalue())
    assert not Person.objects.filter(name="王小明").exists()


def test_only_administrators_import(city, make_user, unit_code) -> None:
    clerk = make_user("yt-clerk", "clerk", "440308")
    with pytest.raises(PermissionDenied):
        resident_import_preview(actor=clerk, filename="r.csv", data=(HEADER + row(1, unit_code)).encode())


def test_import_page_checks_then_imports_the_valid_rows(client, admin, unit_code) -> None:
    client.force_login(admin)
    data = (HEADER + row(1, unit_code) + row(2, unit_code, name="李<b>")).encode("gbk")
    page = client.post("/registrations/import/", {"file": SimpleUploadedFile("居民.csv", data)}).content.decode()
    assert "GBK/GB18030" in page
    assert "姓名" in page
    assert "&lt;b&gt;" not in page  # the hostile value is not echoed back at all
    assert not Person.objects.filter(name="王小明").exists()  # checked, not yet written
    token = page.split('name="token" value="')[1][:32]
    assert client.post("/registrations/import/", {"token": token, "mode": "valid_rows"}).status_code == 302
    assert list(Person.objects.filter(name__in=["王小明", "李<b>"]).values_list("name", flat=True)) == ["王小明"]


def test_id_numbers_typed_full_width_or_grouped_are_normalised_before_checking(admin, unit_code) -> None:
    full_width = idn(1).translate(str.maketrans("0123456789X", "０１２３４５６７８９ｘ"))
    grouped = f"{idn(2)[:6]} {idn(2)[6:14]}\u3000{idn(2)[14:]}"
    hyphens = f"{idn(3)[:6]}-{idn(3)[6:14]}-{idn(3)[14:]}"
    again = f" {idn(1)[:6]} {idn(1)[6:]} "  # the first person again, typed another way
    data = (HEADER + row(1, unit_code, id=full_width) + row(2, unit_code, id=grouped, name="李华")
            + row(3, unit_code, id=hyphens, name="张伟") + row(4, unit_code, id=again, name="刘洋")).encode()
    preview = resident_import_preview(actor=admin, filename="r.csv", data=data)
    assert [(e.row, e.column, e.message) for e in preview.errors] == [
        (5, "身份证号", "与第 2 行重复。")]
    assert [r.ident.id_number.value for r in preview.valid] == [idn(1), idn(2), idn(3)]
    resident_import_commit(actor=admin, filename="r.csv", data=data, mode="valid_rows")
    assert [p.name for p in person_search(user=admin, query=idn(1))] == ["王小明"]
    assert [p.name for p in person_search(user=admin, query=idn(2))] == ["李华"]
    assert Person.objects.get(name="张伟").id_number_masked == idn(3)[:6] + "*" * 12  # the division code only


@pytest.mark.parametrize("cell", ["-1+cmd|' /C calc'!A0", "-=1+1", "-SUM(A1)", "-@x"])
def test_a_formula_behind_a_minus_sign_is_refused_naming_row_and_column(admin, unit_code, cell: str) -> None:
    data = (HEADER + row(1, unit_code) + row(2, unit_code, occ=cell, name="李华")).encode()
    preview = resident_import_preview(actor=admin, filename="r.csv", data=data)
    assert [(e.row, e.column, e.message) for e in preview.errors] == [
        (3, "职业", _("Looks like a formula; enter plain text."))]
    assert [r.row for r in preview.valid] == [2]


SJIS_NAMES = ["山田太郎", "佐藤花子", "鈴木一郎", "高橋健太", "田中美咲", "渡辺直樹", "王小明", "李華", "張偉"]


def sjis_csv(unit: str) -> bytes:
    """A file exported by a Japanese system: Shift-JIS, the column names as this system also accepts them."""
    lines = ["id_number,name,unit_code,started_on"]
    lines += [f"{idn(i + 1)},{name},{unit},2025-06-01" for i, name in enumerate(SJIS_NAMES)]
    return ("\r\n".join(lines) + "\r\n").encode("shift_jis")


def test_shift_jis_read_as_gbk_is_flagged_in_the_preview(admin, unit_code) -> None:
    data = sjis_csv(unit_code)
    mojibake = data.decode("gb18030")  # it decodes: this is what would be stored as the names
    assert "山田太郎" not in mojibake
    preview = resident_import_preview(actor=admin, filename="jp.csv", data=data)
    assert preview.encoding == "GBK/GB18030"
    assert len(preview.valid) == len(SJIS_NAMES)  # every garbled name is a valid Chinese name: only the flag tells
    han = [c for c in mojibake if "\u4e00" <= c <= "\u9fff"]
    rare = [c for c in han if c not in gb2312_han()]
    assert (len(han), len(rare)) == (31, 31)  # every one outside GB 2312
    assert preview.encoding_warning == _(
        "%(rare)d of the %(han)d Chinese characters (for example %(sample)s) are outside the 6,763 of GB 2312: the "
        "file is probably not GBK text but another encoding (such as Shift-JIS or Big5), and its names would be "
        "stored garbled. Save the file as UTF-8 and upload it again.") % {
        "rare": 31, "han": 31, "sample": "".join(dict.fromkeys(rare))[:8]}
    # the same names in GBK, as Chinese, are not flagged
    gbk = ("身份证号,姓名,房屋编码,居住起始日期\n" + f"{idn(1)},王小明,{unit_code},2025-06-01\n").encode("gbk")
    assert resident_import_preview(actor=admin, filename="cn.csv", data=gbk).encoding_warning == ""


def test_bad_rows_each_get_an_exact_message_naming_row_and_column_and_nothing_is_written(admin, unit_code) -> None:
    rows = [
        row(1, unit_code),
        row(2, unit_code, occ="=cmd|' /C calc'!A0"),
        row(3, unit_code, name="<script>alert(1)</script>"),
        row(4, unit_code, edu="高级中学学历", mar="单身"),
        row(5, unit_code, phone="12345", eth="火星族"),
        row(1, unit_code),  # row 2 again
        row(7, unit_code, date="1980-01-01"),  # before the person was born (1992)
        row(8, "NO-SUCH-UNIT"),
    ]
    data = (HEADER + "".join(rows)).encode("gb18030")
    preview = resident_import_preview(actor=admin, filename="居民.csv", data=data)
    assert [e.text for e in preview.errors] == [
        "第 3 行「职业」：疑似公式，请填写纯文本。",
        "第 4 行「姓名」：姓名应为1至30个汉字，可用间隔号（·）分隔。",
        "第 5 行「文化程度」：无法识别“高级中学学历”，可填：10 研究生、20 大学本科、30 大学专科、40 中等职业教育、"
        "60 普通高级中学、70 初级中学、80 小学、90 其他，或其名称。",
        "第 5 行「婚姻状况」：无法识别“单身”，可填：10 未婚、20 已婚、30 丧偶、40 离婚、90 未说明，或其名称。",
        "第 6 行「手机号」：电话应为11位手机号或带区号的固定电话。",
        "第 6 行「民族」：无法识别“火星族”，可填：01 汉族、02 蒙古族、03 回族、04 藏族、05 维吾尔族、06 苗族、07 彝族、"
        "08 壮族 等共 58 项（见模板的“代码表”），或其名称。",
        "第 7 行「身份证号」：与第 2 行重复。",
        "第 8 行「居住起始日期」：早于本人出生日期。",
        "第 9 行「房屋编码」：房屋不存在或不在您的辖区内。",
    ]
    assert [r.row for r in preview.valid] == [2]
    with pytest.raises(ValidationError) as err:
        resident_import_commit(actor=admin, filename="居民.csv", data=data, mode="all")
    assert err.value.message == "7 行有错误，未导入任何数据。"
    assert not Person.objects.filter(name="王小明").exists()
    assert not Event.objects.filter(action="registration.residents.imported").exists()


@pytest.mark.parametrize(("data", "message"), [
    ("身份证号,姓名,居住起始日期\n".encode(), "缺少列：房屋编码。"),
    ((row(1, "U") + row(2, "U")).encode(),
     "第 1 行应为表头，写列名（身份证号、姓名、手机号、民族、文化程度、婚姻状况、职业、户籍地址、房屋编码、"
     "居住起始日期），但其中没有任何可识别的列名。"),
    ("身份证号,姓名,id_number,房屋编码,居住起始日期\n".encode(), "表头（第 1 行）中“id_number”列出现了两次。"),
])
def test_header_problems_are_refused_with_an_exact_message(admin, data: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        resident_import_preview(actor=admin, filename="r.csv", data=data)
    assert (err.value.message, err.value.code) == (message, "header" if "第 1 行应为" in message else "columns")


def test_education_and_ethnicity_typed_as_people_type_them_are_stored_as_codes(admin, unit_code) -> None:
    data = (HEADER + row(1, unit_code, edu="大专", eth="汉", mar="初婚")
            + row(2, unit_code, name="李华", edu="硕士", eth="回", mar="10")
            + row(3, unit_code, name="张伟", edu="高中", eth="", mar="", date="2025/6/1")).encode()
    resident_import_commit(actor=admin, filename="r.csv", data=data, mode="all")
    got = {p.name: (p.education, p.ethnicity, p.marital_status)
           for p in Person.objects.filter(name__in=["王小明", "李华", "张伟"])}
    assert got == {"王小明": ("30", "01", "20"), "李华": ("10", "03", "10"), "张伟": ("60", "01", "")}
    assert Registration.objects.get(person__name="张伟").started_on.isoformat() == "2025-06-01"


def test_a_gb18030_file_with_names_outside_gbk_is_read_as_written(admin, unit_code) -> None:
    names = ["王小明", "李华", "张伟", "刘洋", "王䶮", "陈𠀾"]  # 䶮 (two bytes) and 𠀾 (four bytes): GB18030, not GBK
    data = (HEADER + "".join(row(i + 1, unit_code, name=n) for i, n in enumerate(names))).encode("gb18030")
    with pytest.raises(UnicodeEncodeError):
        "王䶮".encode("gbk")
    preview = resident_import_preview(actor=admin, filename="r.csv", data=data)
    assert (preview.encoding, preview.errors, preview.encoding_warning) == ("GBK/GB18030", [], "")
    assert [r.name for r in preview.valid] == names
