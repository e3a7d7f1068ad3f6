"""The import page over real HTTP, as a browser uses it (log-in, CSRF, multipart upload): what waits between the check
and the confirm is encrypted and private, is removed after the commit or once it has expired, and an oversized file
is refused with its real size. Each import's template downloads, uploads back untouched and previews without an
error; the preview shows the first 50 rows with each cell's errors beside it, ID and phone numbers masked."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from residence.audit.models import Event
from residence.core.columns import Column
from residence.core.storage import DIRECTORY_MODE
from residence.core.tests.test_storage import mode, overhead, private_storages
from residence.core.uploads import upload_purge_expired
from residence.people.identity import id_index
from residence.people.models import Person
from residence.places import imports as address_imports
from residence.places.models import Building, Unit
from residence.registrations import imports as resident_imports
from residence.registrations.tests.test_resident_import import HEADER, idn, row, sjis_csv

pytestmark = pytest.mark.django_db(transaction=True)
PAGE = "/registrations/import/"
PASSWORD = "Test-pass#2026"  # conftest's


def csrf(html: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert m is not None
    return m.group(1)


def log_in(base: str, username: str) -> requests.Session:
    s = requests.Session()
    r = s.post(f"{base}/accounts/login/", allow_redirects=False, headers={"Referer": f"{base}/accounts/login/"},
               data={"username": username, "password": PASSWORD,
                     "csrfmiddlewaretoken": csrf(s.get(f"{base}/accounts/login/").text)})
    assert r.status_code == 302
    return s


def upload(s: requests.Session, base: str, name: str, data: bytes, page_url: str = PAGE) -> str:
    page = s.get(base + page_url).text
    r = s.post(base + page_url, data={"csrfmiddlewaretoken": csrf(page)}, files={"file": (name, data, "text/csv")},
               headers={"Referer": base + page_url})
    assert r.status_code == 200
    return r.text


def confirm(s: requests.Session, base: str, token: str, page_url: str = PAGE) -> requests.Response:
    page = s.get(base + page_url).text
    return s.post(base + page_url, data={"csrfmiddlewaretoken": csrf(page), "token": token, "mode": "all"},
                  headers={"Referer": base + page_url})


def token_of(page: str) -> str:
    m = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    assert m is not None
    return m.group(1)


@pytest.fixture
def site(city, make_user, live_server, settings, tmp_path: Path) -> Iterator[tuple[str, requests.Session, str]]:
    private_storages(settings, tmp_path)
    make_user("yt-admin", "admin", "440308")
    unit = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    assert unit is not None
    with log_in(live_server.url, "yt-admin") as session:  # closed before the server's database goes
        yield live_server.url, session, unit.code


def test_an_upload_waits_encrypted_0600_and_is_removed_after_the_commit(site, tmp_path: Path) -> None:
    base, s, unit = site
    (tmp_path / "imports").mkdir(mode=0o755)  # a store left by an older version, readable by everyone
    data = (HEADER + row(1, unit) + row(2, unit, name="李华", phone="13900002222")).encode()
    token = token_of(upload(s, base, "居民.csv", data))
    stored = tmp_path / "imports" / f"{token}.csv"
    assert sorted(os.listdir(tmp_path / "imports")) == [stored.name]
    raw = stored.read_bytes()
    for plain in (idn(1), idn(2), "13800001111", "13900002222", "王小明", "身份证号"):
        for encoding in ("utf-8", "gbk"):
            assert plain.encode(encoding) not in raw
    assert len(raw) == len(data) + overhead()
    assert (mode(stored), mode(tmp_path / "imports")) == (0o600, DIRECTORY_MODE)
    r = confirm(s, base, token)
    assert [h.status_code for h in r.history] == [302]
    assert r.status_code == 200
    assert Person.objects.filter(id_number_index__in=[id_index(idn(1)), id_index(idn(2))]).count() == 2
    assert os.listdir(tmp_path / "imports") == []


def test_an_expired_upload_is_purged_and_a_confirm_after_it_is_refused(site, tmp_path: Path) -> None:
    base, s, unit = site
    token = token_of(upload(s, base, "居民.csv", (HEADER + row(1, unit)).encode()))
    stored = tmp_path / "imports" / f"{token}.csv"
    assert upload_purge_expired() == 0  # fresh: kept
    assert upload_purge_expired(now=timezone.now() + dt.timedelta(minutes=59)) == 0
    assert not Event.objects.filter(action="import.uploads.purged").exists()
    assert upload_purge_expired(now=timezone.now() + dt.timedelta(minutes=61)) == 1
    assert not stored.exists()
    event = Event.objects.get(action="import.uploads.purged")
    assert (event.actor_id, event.data) == (None, {"removed": 1, "ttl_minutes": 60})
    page = confirm(s, base, token).text
    with translation.override("zh-hans"):
        assert _("The upload has expired; upload the file again.") in page
    assert not Person.objects.filter(id_number_index=id_index(idn(1))).exists()


def test_an_upload_older_than_the_setting_is_refused_even_before_the_purge(site, settings, tmp_path: Path) -> None:
    base, s, unit = site
    settings.UPLOAD_TTL_MINUTES = 5
    token = token_of(upload(s, base, "居民.csv", (HEADER + row(1, unit)).encode()))
    stored = tmp_path / "imports" / f"{token}.csv"
    six_minutes_ago = time.time() - 6 * 60
    os.utime(stored, (six_minutes_ago, six_minutes_ago))
    page = confirm(s, base, token).text
    with translation.override("zh-hans"):
        assert _("The upload has expired; upload the file again.") in page
    assert not stored.exists()
    assert not Person.objects.filter(id_number_index=id_index(idn(1))).exists()


def test_an_oversized_upload_is_refused_with_its_real_size(site, tmp_path: Path) -> None:
    base, s, _unit = site
    page = upload(s, base, "big.csv", b"1" * (25 * 1024 * 1024))
    with translation.override("zh-hans"):
        expected = _("The file is %(size).1f MB (%(bytes)s bytes); the limit is %(limit)d MB.") % {
            "size": 25.0, "bytes": "26,214,400", "limit": 20}
    assert expected in page
    assert not (tmp_path / "imports").exists() or os.listdir(tmp_path / "imports") == []


def test_shift_jis_is_flagged_on_the_preview_page(site) -> None:
    base, s, unit = site
    page = upload(s, base, "jp.csv", sjis_csv(unit))
    m = re.search(r'<p class="error" id="encoding-warning">([^<]+)</p>', page)
    assert m is not None
    assert "GB 2312" in m.group(1)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def coded_rows(columns: list[Column]) -> list[tuple[str, str, str, str]]:
    """The code sheet the template must carry: every code of every coded column, in order."""
    return [(c.label, "" if c.kind.by_name else code.code, code.name, "、".join(code.aliases))
            for c in columns for code in c.kind.codes]


@pytest.mark.parametrize(("page_url", "columns", "filename"), [
    ("/places/import/", address_imports.COLUMNS, "地址导入模板.xlsx"),
    ("/registrations/import/", resident_imports.COLUMNS, "导入居住人员模板.xlsx"),
])
def test_the_template_downloads_and_uploaded_back_untouched_its_example_row_imports(
        site, page_url: str, columns: list[Column], filename: str) -> None:
    base, s, _unit = site
    page = s.get(base + page_url).text
    assert f'<a href="{page_url}?template=xlsx" class="button" id="template-link" download>下载模板</a>' in page
    r = s.get(f"{base}{page_url}?template=xlsx")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == XLSX
    assert r.headers["Content-Disposition"] == f"attachment; filename*=utf-8''{requests.utils.quote(filename)}"
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["数据", "代码表", "填写说明"]
    data, codes, notes = wb.worksheets
    assert [c.value for c in data[1]] == [c.label for c in columns]
    assert data.max_row == 2  # the header and the example row
    drop_downs = {str(v.sqref): v.formula1 for v in data.data_validations.dataValidation}
    assert drop_downs == {f"{get_column_letter(i)}2:{get_column_letter(i)}1001":
                          '"' + ",".join(code.name for code in c.kind.codes) + '"'
                          for i, c in enumerate(columns, start=1) if c.kind.codes}
    assert list(codes.iter_rows(min_row=1, max_row=1, values_only=True)) == [("列", "代码", "名称", "也可填写")]
    assert [tuple(v or "" for v in r) for r in codes.iter_rows(min_row=2, values_only=True)] == coded_rows(columns)
    assert [r[0] for r in notes.iter_rows(min_row=2, values_only=True)] == [c.label for c in columns]
    assert [r[1] or "" for r in notes.iter_rows(min_row=2, values_only=True)] == [
        "必填" if c.required else "" for c in columns]

    before = (Person.objects.count(), Unit.objects.count(), Building.objects.count())
    preview = upload(s, base, filename, r.content, page_url)
    assert '<p id="preview-summary">共读取 1 行（XLSX）：有效 1 行，有错误 0 行。' in preview
    assert '<tr id="row-2"><td>2</td>' in preview
    assert 'class="cell-error"' not in preview
    assert (Person.objects.count(), Unit.objects.count(), Building.objects.count()) == before  # checked only
    done = confirm(s, base, token_of(preview), page_url)
    assert done.status_code == 200
    example = {c.value: v.value for c, v in zip(data[1], data[2], strict=True)}
    if page_url == PAGE:
        person = Person.objects.get(id_number_index=id_index(example["身份证号"]))
        assert (person.name, person.education, person.ethnicity) == ("张三", "20", "01")
        assert '<li class="msg success">已导入 1 名居住人员。</li>' in done.text
    else:
        unit = Unit.objects.get(code=example["房屋编码"])
        assert (unit.building.address_code, unit.kind, unit.is_rental, unit.safety_grade) == (
            example["地址编码"], "flat", True, "A")
        assert '<li class="msg success">已导入 1 套房屋。</li>' in done.text
    # downloaded again, the template's example is fresh: it still imports, and the first is not offered twice
    again = load_workbook(io.BytesIO(s.get(f"{base}{page_url}?template=xlsx").content)).worksheets[0]
    key = "身份证号" if page_url == PAGE else "房屋编码"
    fresh = {c.value: v.value for c, v in zip(again[1], again[2], strict=True)}
    assert fresh[key] != example[key]
    assert '有效 1 行，有错误 0 行' in upload(s, base, filename, s.get(f"{base}{page_url}?template=xlsx").content,
                                             page_url)


def test_the_preview_shows_the_first_50_rows_with_each_cells_errors_and_masks_numbers(site) -> None:
    base, s, unit = site
    rows = [row(i, unit, phone=f"1390000{i:04d}") for i in range(1, 61)]
    rows[1] = row(2, unit, edu="高级中学学历", phone="13900000002")  # row 3
    rows[3] = row(4, unit, name="<script>alert(1)</script>", phone="13900000004")  # row 5: not echoed
    rows[55] = row(56, unit, date="2025-13-01", phone="13900000056")  # row 57: after the shown rows
    page = upload(s, base, "居民.csv", (HEADER + "".join(rows)).encode())
    assert '<p id="preview-summary">共读取 60 行（UTF-8）：有效 57 行，有错误 3 行。' in page
    assert "<h2>前 50 行</h2>" in page
    shown = re.findall(r'<tr id="row-(\d+)"', page)
    assert shown == [str(n) for n in range(2, 52)]
    row3 = page.split('<tr id="row-3" class="bad">')[1].split("</tr>")[0]
    assert ('<td class="cell-error">高级中学学历<div class="error">无法识别“高级中学学历”，可填：10 研究生、'
            '20 大学本科、30 大学专科、40 中等职业教育、60 普通高级中学、70 初级中学、80 小学、90 其他，或其名称。'
            '</div></td>') in row3
    row5 = page.split('<tr id="row-5" class="bad">')[1].split("</tr>")[0]
    assert '<td class="cell-error"><div class="error">姓名应为1至30个汉字，可用间隔号（·）分隔。</div></td>' in row5
    assert "script" not in page.split('id="preview"')[1].split("</table>")[0]
    later = page.split('<ul class="errorlist" id="later-errors">')[1].split("</ul>")[0]
    assert later == "<li>第 57 行「居住起始日期」：日期格式为 YYYY-MM-DD。</li>"
    for i in range(1, 61):  # numbers masked as on every screen: the division code, the phone's last four digits
        assert idn(i) not in page
        assert f"1390000{i:04d}" not in page
    assert f"<td>{idn(1)[:6]}************</td><td>王小明</td><td>*******0001</td>" in page
