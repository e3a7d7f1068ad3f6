"""The production centre's and the clerk's issue pages over HTTP, per role and scope, and one Chromium journey: the
production centre makes a batch and marks it ready, the clerk issues the card."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from playwright.sync_api import Browser, Page, expect

from residence.audit.models import Event
from residence.people.identity import reveal_id_number
from residence.permits.models import Permit, PermitApplication, ProductionBatch
from residence.permits.production import batch_create, batch_ready
from residence.permits.tests.conftest import PASSWORD
from residence.permits.tests.test_production import approved
from residence.places.models import AcceptancePoint

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """The services' words in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def staff(people, make_user) -> dict:
    return {**people, "producer": make_user("prod", "production"),
            "luohu_producer": make_user("prod_lh", "production", "440303")}


def _rows(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_the_production_page_batches_reveals_once_and_marks_ready(client: Client, staff) -> None:
    a, b = approved(staff, staff["persons"][1]), approved(staff, staff["persons"][2])
    full = {x.pk: reveal_id_number(x.person.id_number_enc) for x in (a, b)}
    client.force_login(staff["producer"])
    page = client.get("/permits/production/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "居住证制证" in body
    for x in (a, b):
        assert f'name="application" value="{x.pk}"' in body
        assert x.person.id_number_masked in body
        assert full[x.pk] not in body
    assert Event.objects.filter(action="permit.production.listed", actor_id=staff["producer"].pk).get().data == {
        "results": 2}

    # nothing chosen: told so, nothing made
    response = client.post("/permits/production/", {})
    assert response.status_code == 400
    assert "没有可以制证的已核准申领。" in response.content.decode()
    assert ProductionBatch.objects.count() == 0

    response = client.post("/permits/production/", {"application": [str(a.pk)]})
    assert response.status_code == 302
    batch = ProductionBatch.objects.get()
    assert list(batch.applications.values_list("pk", flat=True)) == [a.pk]
    body = client.get("/permits/production/").content.decode()
    assert f"已生成批次 {batch}：1 张卡进入制证。" in body
    assert f'name="application" value="{b.pk}"' in body
    assert f"/permits/production/{batch.pk}/manifest.xlsx" in body
    assert "1 张制证中" in body

    manifest = client.get(f"/permits/production/{batch.pk}/manifest.xlsx")
    assert (manifest.status_code, manifest["Content-Type"]) == (200, XLSX)
    assert manifest["Content-Disposition"] == f'attachment; filename="manifest-{batch}.xlsx"'
    assert [r[5] for r in _rows(manifest.content)[1:]] == [a.person.id_number_masked]
    sheet = client.get(f"/permits/production/{batch.pk}/print-sheet.pdf")
    assert (sheet.status_code, sheet["Content-Type"]) == (200, "application/pdf")
    assert sheet.content.startswith(b"%PDF-")
    assert list(Event.objects.filter(action="permit.batch.downloaded").values_list("data", flat=True)
                .order_by("pk")) == [{"file": "manifest", "count": 1}, {"file": "print_sheet", "count": 1}]

    assert client.get(f"/permits/production/{batch.pk}/reveal/").status_code == 405
    revealed = client.post(f"/permits/production/{batch.pk}/reveal/", {"purpose": "制作居住证"})
    assert (revealed.status_code, revealed["Content-Type"]) == (200, XLSX)
    assert "no-store" in revealed["Cache-Control"]
    assert [r[5] for r in _rows(revealed.content)[1:]] == [full[a.pk]]
    again = client.post(f"/permits/production/{batch.pk}/reveal/", {"purpose": "再次制作"}, follow=True)
    assert again.status_code == 200
    assert "只能查看一次" in again.content.decode()
    assert full[a.pk] not in again.content.decode()
    assert Event.objects.filter(action="permit.batch.revealed").count() == 1

    response = client.post(f"/permits/production/{batch.pk}/ready/", follow=True)
    assert f"批次 {batch} 的居住证已制成，在各受理点待领。" in response.content.decode()
    assert PermitApplication.objects.get(pk=a.pk).status == "ready"
    again = client.post(f"/permits/production/{batch.pk}/ready/", follow=True)
    assert "本批次的居住证已标记为制成待领。" in again.content.decode()

    # the "all" button takes the rest
    client.post("/permits/production/", {"all": "1"})
    assert PermitApplication.objects.get(pk=b.pk).status == "in_production"


def test_another_areas_production_centre_and_other_roles_find_nothing(client: Client, staff) -> None:
    a = approved(staff, staff["persons"][1])
    batch = batch_create(actor=staff["producer"], application_ids=[a.pk])
    client.force_login(staff["luohu_producer"])
    page = client.get("/permits/production/")
    assert page.status_code == 200
    assert a.person.name not in page.content.decode()
    assert str(batch) not in page.content.decode()
    for url in (f"/permits/production/{batch.pk}/manifest.xlsx", f"/permits/production/{batch.pk}/print-sheet.pdf"):
        assert client.get(url).status_code == 404
    assert client.post(f"/permits/production/{batch.pk}/reveal/", {"purpose": "x"}).status_code == 404
    assert client.post(f"/permits/production/{batch.pk}/ready/").status_code == 404
    assert client.post("/permits/production/", {"application": [str(a.pk)]}).status_code == 404
    batch.refresh_from_db()
    assert (batch.revealed_at, batch.ready_at) == (None, None)
    assert not Event.objects.filter(action__in=["permit.batch.revealed", "permit.batch.ready",
                                                "permit.batch.downloaded"]).exists()
    for who in ("clerk", "reviewer", "grid", "resident"):
        client.force_login(staff[who])
        assert client.get("/permits/production/").status_code == 404, who
        assert client.get(f"/permits/production/{batch.pk}/manifest.xlsx").status_code == 404, who
        assert client.post(f"/permits/production/{batch.pk}/ready/").status_code == 404, who
    assert PermitApplication.objects.get(pk=a.pk).status == "in_production"


def _ready(staff) -> PermitApplication:
    app = approved(staff, staff["persons"][1])
    batch = batch_create(actor=staff["producer"], application_ids=[app.pk])
    batch_ready(actor=staff["producer"], batch_id=batch.pk)
    app.refresh_from_db()
    return app


def test_the_clerk_issues_by_mail_or_at_the_counter(client: Client, staff, make_user) -> None:
    app = _ready(staff)
    url = f"/permits/issue/{app.pk}/"
    client.force_login(staff["clerk"])
    listing = client.get("/permits/issue/").content.decode()
    assert url in listing
    assert app.person.id_number_masked in listing
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert app.person.name in body
    assert app.person.id_number_masked in body
    assert reveal_id_number(app.person.id_number_enc) not in body
    viewed = Event.objects.filter(action="person.record.viewed", subject_id=str(app.person_id)).get()
    assert viewed.data == {"purpose": "permit.issue", "application": app.pk}

    response = client.post(url, {"delivery": "mail", "tracking_number": ""})
    assert response.status_code == 400
    assert "邮寄的居住证须填写快递单号。" in response.content.decode()
    assert PermitApplication.objects.get(pk=app.pk).status == "ready"
    assert not Permit.objects.exists()

    response = client.post(url, {"delivery": "counter"})
    assert response.status_code == 302
    assert response["Location"] == f"/permits/issue/{app.pk}/receipt/"
    app.refresh_from_db()
    permit = Permit.objects.get()
    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    text = receipt.content.decode()
    for value in (app.receipt_number, permit.number, app.person.name, app.person.id_number_masked,
                  permit.issuing_authority, f"{permit.endorsement_due_on:%Y-%m-%d}"):
        assert value in text
    assert "居住证领取回执" in text
    # issued: the page says so, and a second issue is refused
    assert f"居住证 {permit.number}" in client.get(url).content.decode()
    again = client.post(url, {"delivery": "counter"})
    assert again.status_code == 400
    assert Permit.objects.count() == 1


def test_who_may_open_the_issue_pages(client: Client, staff, make_user) -> None:
    app = _ready(staff)
    other_point = AcceptancePoint.objects.filter(kind="police_station", jurisdiction__code__startswith="440308") \
        .exclude(pk=staff["police"].pk).order_by("code").first()
    elsewhere = make_user("clerk_other", "clerk")
    elsewhere.acceptance_point_code = other_point.code
    elsewhere.save()
    refused = [elsewhere, make_user("clerk_lh", "clerk", "440303"), staff["producer"], staff["reviewer"],
               staff["grid"], staff["resident"]]
    for who in refused:
        client.force_login(who)
        assert client.get(f"/permits/issue/{app.pk}/").status_code == 404, who
        assert client.post(f"/permits/issue/{app.pk}/", {"delivery": "counter"}).status_code == 404, who
        assert client.get(f"/permits/issue/{app.pk}/receipt/").status_code == 404, who
        listing = client.get("/permits/issue/")
        assert listing.status_code == (200 if who.role == "clerk" else 404), who
        assert f"/permits/issue/{app.pk}/" not in listing.content.decode()
    assert PermitApplication.objects.get(pk=app.pk).status == "ready"
    assert not Permit.objects.exists()
    assert not Event.objects.filter(action="person.record.viewed").exists()
    client.force_login(staff["clerk"])
    assert client.get(f"/permits/issue/{app.pk}/receipt/").status_code == 404  # not issued yet
    assert client.get("/permits/issue/999999999/").status_code == 404


def test_the_workbench_tiles(client: Client, staff) -> None:
    client.force_login(staff["producer"])
    body = client.get("/").content.decode()
    assert 'href="/permits/production/"' in body
    assert "制证中心" in body
    assert 'href="/permits/issue/"' not in body
    client.force_login(staff["clerk"])
    body = client.get("/").content.decode()
    assert 'href="/permits/issue/"' in body
    assert 'href="/permits/production/"' not in body
    client.force_login(staff["reviewer"])
    body = client.get("/").content.decode()
    assert 'href="/permits/issue/"' not in body
    assert 'href="/permits/production/"' not in body


# --- the journey in Chromium ------------------------------------------------------------------------------
def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    expect(page.locator("h1")).to_have_text("工作台")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_batch_is_made_marked_ready_and_the_clerk_issues_the_card(live_server, browser: Browser, staff) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    app = approved(staff, staff["persons"][1])
    person = app.person
    base = live_server.url

    centre = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    log_in(centre, base, "prod")
    centre.click("a.tile:has-text('制证中心')")
    expect(centre.locator("h1")).to_have_text("居住证制证")
    centre.check(f"#app-{app.pk}")
    centre.click("#batch-chosen")
    batch = ProductionBatch.objects.get()
    expect(centre.locator(".messages")).to_contain_text(f"已生成批次 {batch}：1 张卡进入制证。")
    row = centre.locator(f"#batch-{batch.pk}")
    expect(row.locator(".status")).to_have_text("1 张制证中")
    with centre.expect_download() as download:
        row.locator("a", has_text="打印单").click()
    assert download.value.suggested_filename == f"print-sheet-{batch}.pdf"
    row.locator("input[name=purpose]").fill("制作居住证")
    with centre.expect_download() as download:
        row.locator("button", has_text="查看完整号码并下载").click()
    assert download.value.suggested_filename == f"manifest-{batch}-full.xlsx"
    centre.reload()
    expect(row).to_contain_text("已于")
    expect(row.locator("input[name=purpose]")).to_have_count(0)
    centre.screenshot(path=str(ARTIFACTS / "permit-production-desktop.png"), full_page=True)
    row.locator("button", has_text="卡已制成：标记待领").click()
    expect(centre.locator(".messages")).to_contain_text(f"批次 {batch} 的居住证已制成，在各受理点待领。")
    expect(centre.locator(f"#batch-{batch.pk} .status")).to_have_text("1 张待领")

    clerk = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    log_in(clerk, base, "clerk_ps")
    clerk.click("a.tile:has-text('待发放的居住证')")
    expect(clerk.locator("#ready")).to_contain_text(person.name)
    clerk.locator("#ready a", has_text="发放").click()
    expect(clerk.locator("h1")).to_have_text("发放居住证")
    expect(clerk.locator("#card-facts")).to_contain_text(person.id_number_masked)
    clerk.check("input[name=delivery][value=mail]")
    clerk.click("#issue")
    expect(clerk.locator(".errorlist")).to_contain_text("邮寄的居住证须填写快递单号。")
    clerk.screenshot(path=str(ARTIFACTS / "permit-issue-phone.png"), full_page=True)
    clerk.check("input[name=delivery][value=counter]")
    clerk.click("#issue")
    expect(clerk.locator("#receipt h1")).to_have_text("居住证领取回执")
    permit = Permit.objects.get()
    app.refresh_from_db()
    expect(clerk.locator("#receipt")).to_contain_text(app.receipt_number)
    expect(clerk.locator("#receipt")).to_contain_text(permit.number)
    clerk.screenshot(path=str(ARTIFACTS / "permit-receipt-phone.png"), full_page=True)
    assert (app.status, app.delivery, permit.person_id) == ("issued", "counter", person.pk)
    assert reveal_id_number(person.id_number_enc) not in clerk.content()
    for p in (centre, clerk):
        p.close()
