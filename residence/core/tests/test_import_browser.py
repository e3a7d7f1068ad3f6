"""The import page in real Chromium, on a desktop and on a phone: the template downloads from its link and imports as
it stands; a file with errors previews its rows with each error in its cell, and on a phone the wide table scrolls
inside its own box, never the page."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from residence.accounts.services import user_create
from residence.core.tests.test_storage import private_storages
from residence.demo.services import demo_city_generate
from residence.people.identity import id_index
from residence.people.models import Person
from residence.places.models import Unit
from residence.registrations.tests.test_resident_import import HEADER, idn, row
from residence.workbench.tests.test_browser import ARTIFACTS, PASSWORD, log_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAGE = "/registrations/import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check(page: Page, name: str, data: bytes, mime: str) -> None:
    page.set_input_files("#id_file", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.click("main button[type=submit]")
    expect(page.locator("#preview-summary")).to_be_visible()


@pytest.mark.parametrize(("width", "height", "label"), [(1280, 800, "desktop"), (390, 844, "phone")])
def test_template_round_trip_and_a_preview_with_errors_readable_on_desktop_and_phone(
        live_server, browser: Browser, settings, tmp_path: Path, width: int, height: int, label: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    private_storages(settings, tmp_path)
    demo_city_generate(persons=60, seed=23)
    user_create(actor=None, username="yt-admin", password=PASSWORD, role="admin", jurisdiction_code="440308",
                check_password=False)
    unit = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    assert unit is not None
    base = live_server.url
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True)
    log_in(page, base, "yt-admin")

    page.goto(base + PAGE)
    expect(page.locator("#template-link")).to_have_text("下载模板")
    page.screenshot(path=str(ARTIFACTS / f"import-upload-{label}.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#template-link")
    download = info.value
    assert download.suggested_filename == "导入居住人员模板.xlsx"
    template = Path(download.path()).read_bytes()
    check(page, download.suggested_filename, template, XLSX)
    expect(page.locator("#preview-summary")).to_contain_text("共读取 1 行（XLSX）：有效 1 行，有错误 0 行。")
    expect(page.locator("#row-2 td").nth(1)).to_have_text("可导入")
    page.click("button:has-text('导入全部行')")
    expect(page.locator(".msg.success")).to_have_text("已导入 1 名居住人员。")
    assert Person.objects.filter(name="张三").count() == 1

    rows = [row(i, unit.code) for i in range(1, 61)]
    rows[1] = row(2, unit.code, edu="高级中学学历", hukou="广东省深圳市盐田区沙头角街道海景路一百二十八号")
    rows[4] = row(5, unit.code, phone="12345", date="2025-13-01")
    page.goto(base + PAGE)
    check(page, "居民.csv", (HEADER + "".join(rows)).encode("gbk"), "text/csv")
    expect(page.locator("#preview-summary")).to_contain_text("共读取 60 行（GBK/GB18030）：有效 58 行，有错误 2 行。")
    expect(page.locator("#preview-rows tbody tr")).to_have_count(50)
    expect(page.locator("#row-3 td.cell-error .error")).to_have_text(
        "无法识别“高级中学学历”，可填：10 研究生、20 大学本科、30 大学专科、40 中等职业教育、60 普通高级中学、"
        "70 初级中学、80 小学、90 其他，或其名称。")
    expect(page.locator("#row-3 td").nth(1)).to_have_text("有错误：文化程度")  # seen without scrolling sideways
    expect(page.locator("#row-6 td").nth(1)).to_have_text("有错误：手机号、居住起始日期")
    expect(page.locator("#row-6 td.cell-error .error")).to_have_text(
        ["电话应为11位手机号或带区号的固定电话。", "日期格式为 YYYY-MM-DD。"])
    assert idn(1) not in page.content()  # ID numbers masked in the preview as everywhere
    page.screenshot(path=str(ARTIFACTS / f"import-preview-{label}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # the page itself never scrolls sideways
    box = page.evaluate("(() => { const b = document.querySelector('.table-scroll');"
                        " return [b.scrollWidth, b.clientWidth]; })()")
    if label == "phone":
        assert box[0] > box[1]  # the table is wider than the phone and scrolls inside its box
        page.locator(".table-scroll").evaluate("b => b.scrollLeft = 900")
        page.screenshot(path=str(ARTIFACTS / "import-preview-phone-scrolled.png"))
    page.click("button:has-text('仅导入 58 条有效行')")
    expect(page.locator(".msg.success")).to_have_text("已导入 58 名居住人员。")
    assert not Person.objects.filter(id_number_index__in=[id_index(idn(2)), id_index(idn(5))]).exists()
    page.close()


def test_the_address_import_offers_its_template_and_previews_its_rows_on_a_phone(
        live_server, browser: Browser, settings, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    private_storages(settings, tmp_path)
    demo_city_generate(persons=60, seed=23)
    user_create(actor=None, username="yt-admin", password=PASSWORD, role="admin", jurisdiction_code="440308",
                check_password=False)
    base = live_server.url
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN", accept_downloads=True)
    log_in(page, base, "yt-admin")
    page.goto(f"{base}/places/import/")
    with page.expect_download() as info:
        page.click("#template-link")
    template = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename == "地址导入模板.xlsx"
    wb = load_workbook(io.BytesIO(template))
    ws = wb.worksheets[0]
    ws.append([ws.cell(2, 1).value, "12345", "海景路", "9号", "", "UNIT-X1", "102", "别墅", "是", "A"])
    buf = io.BytesIO()
    wb.save(buf)
    check(page, "地址.xlsx", buf.getvalue(), XLSX)
    expect(page.locator("#preview-summary")).to_contain_text("共读取 2 行（XLSX）：有效 1 行，有错误 1 行。")
    expect(page.locator("#row-3 td").nth(1)).to_have_text("有错误：地址编码、房屋类型")
    expect(page.locator("#row-3 td.cell-error .error")).to_have_text([
        "应以 6 位 GB/T 2260 行政区划代码开头（如 440308），“12345”不是有效的区划代码。",
        "无法识别“别墅”，可填：住宅、房间、集体宿舍、旅馆。"])
    page.screenshot(path=str(ARTIFACTS / "address-import-preview-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
