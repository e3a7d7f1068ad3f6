"""A landlord uploads declarations in real Chromium, on a phone and on a desktop: from the residents page to the
template, an upload with bad rows named in the preview, the valid rows declared, and the residents list showing
them."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from residence.registrations.models import Registration
from residence.registrations.tests.test_uploads import day, ident, premises, store
from residence.workbench.tests.test_browser import ARTIFACTS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["premises", "store"]  # fixtures
PASSWORD = "Test-pass#2026"  # the fixture's
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(("width", "height", "label"), [(390, 844, "phone"), (1280, 800, "desktop")])
def test_a_landlord_uploads_declarations_sees_the_bad_rows_and_declares_the_valid_ones(
        live_server, browser: Browser, premises, store, width: int, height: int, label: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    rental, flat = premises["jia"]["units"]
    base = live_server.url
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "up_jia")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"{base}/registrations/mine/")
    page.click("#upload-link a")
    expect(page.locator("h1")).to_have_text("上传申报")
    page.screenshot(path=str(ARTIFACTS / f"declarations-upload-{label}.png"), full_page=True)
    with page.expect_download() as info:
        page.click("#template-link")
    download = info.value
    assert download.suggested_filename == "上传申报模板.xlsx"
    wb = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]

    def put(values: dict[str, str]) -> None:
        ws.append([values.get(h, "") for h in header])  # type: ignore[arg-type]

    put({"申报类型": "到达", "房屋编码": flat, "身份证号": ident(31), "姓名": "孙悟", "到达日期": day(1)})
    put({"申报类型": "到达", "房屋编码": "NOT-MINE-1", "身份证号": ident(32), "姓名": "猪八", "到达日期": day(1)})
    put({"申报类型": "到达", "房屋编码": flat, "身份证号": ident(33)[:-1] + "Y", "姓名": "沙僧", "到达日期": day(1)})
    put({"申报类型": "离开", "房屋编码": rental, "身份证号": ident(34), "离开日期": day(0)})
    buf = io.BytesIO()
    wb.save(buf)
    page.set_input_files("#id_file", files=[{"name": "申报.xlsx", "mimeType": XLSX, "buffer": buf.getvalue()}])
    page.click("main button[type=submit]")
    expect(page.locator("#preview-summary")).to_contain_text("共读取 5 行（XLSX）：有效 1 行，有错误 4 行。")
    expect(page.locator("#row-2 td.cell-error .error")).to_have_text(
        "这是模板中的示例行（虚构的人员）：上传前请删除。")  # the template's example: never declared
    expect(page.locator("#row-4 td").nth(1)).to_have_text("有错误：房屋编码")
    expect(page.locator("#row-4 td.cell-error .error")).to_have_text("不是您的房屋（编码见“我的房屋”页）。")
    expect(page.locator("#row-5 td").nth(1)).to_have_text("有错误：身份证号")
    expect(page.locator("#row-6 td.cell-error .error")).to_have_text("此房屋现在没有登记持此身份证号的人员。")
    assert ident(31) not in page.content()  # masked in the preview
    page.screenshot(path=str(ARTIFACTS / f"declarations-preview-{label}.png"), full_page=True)
    page.click("button[name=mode][value=valid_rows]")
    expect(page.locator(".msg.success")).to_have_text("已上传 1 条申报：到达 1 人，离开 0 人。4 行有错误，未导入。")
    page.goto(f"{base}/registrations/mine/")
    listed = page.locator("table.list tbody")
    expect(listed).to_contain_text("孙悟")
    expect(listed).not_to_contain_text("张三")  # the template's made-up example was not declared
    page.screenshot(path=str(ARTIFACTS / f"declarations-residents-{label}.png"), full_page=True)
    page.close()
    assert Registration.objects.filter(channel="upload").count() == 1
