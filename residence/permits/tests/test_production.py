"""Production and issue through the services: batches, the once-only reveal, cards ready, the issue; every refusal
changes nothing; the manifest and the print sheet."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
import segno
from django.utils import timezone, translation

from residence.audit.models import Event
from residence.core.errors import NotFound, ValidationError
from residence.people.identity import reveal_id_number
from residence.permits.epermit.keys import permit_keys
from residence.permits.epermit.services import card_token
from residence.permits.epermit.tokens import decode_permit
from residence.permits.models import (
    ApplicationStep,
    Permit,
    PermitApplication,
    PermitCard,
    PermitEvent,
    ProductionBatch,
)
from residence.permits.printing import manifest_columns, manifest_xlsx, print_sheet_pdf
from residence.permits.production import (
    batch_cards,
    batch_create,
    batch_ready,
    batch_reveal,
    batches_for_user,
    endorsement_due,
    issue_timing,
    issuing_authority,
    luhn_digit,
    permit_issue,
    permit_number,
    permit_number_valid,
    production_queue,
)
from residence.permits.services import (
    application_accept,
    application_approve,
    application_start_review,
    application_submit,
)
from residence.places.models import AcceptancePoint
from residence.registrations.models import Registration
from residence.registrations.tests.test_timeline import _stream, pdf_text

ALL = ["id_card", "photo", "address_proof", "employment_proof"]


def approved(people, person) -> PermitApplication:
    app = application_submit(actor=people["clerk"], point_code="", person_id=person.pk, materials=ALL)
    application_accept(actor=people["clerk"], application_id=app.pk, materials=ALL)
    application_start_review(actor=people["reviewer"], application_id=app.pk)
    application_approve(actor=people["reviewer"], application_id=app.pk)
    app.refresh_from_db()
    return app


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """The services' words in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def staff(people, make_user) -> dict:
    return {**people, "producer": make_user("prod", "production"),
            "luohu_producer": make_user("prod_lh", "production", "440303")}


def statuses(*apps: PermitApplication) -> list[str]:
    return [PermitApplication.objects.get(pk=a.pk).status for a in apps]


def snapshot() -> tuple[int, int, int, int, int]:
    return (ProductionBatch.objects.count(), ApplicationStep.objects.count(), Permit.objects.count(),
            PermitEvent.objects.count(), Event.objects.exclude(action="permit.production.listed").count())


# --- numbers ------------------------------------------------------------------------------------------------
def test_the_permit_number_format() -> None:
    assert luhn_digit("7992739871") == "3"  # the textbook Luhn example
    number = permit_number(county_code="440308", year=2026, application_id=1234)
    assert number == "440308202600001234" + luhn_digit("440308202600001234")
    assert len(number) == 19
    assert permit_number_valid(number)
    assert not permit_number_valid(number[:-1] + str((int(number[-1]) + 1) % 10))
    assert permit_number(county_code="440308", year=2026, application_id=123456789)[10:19] == "123456789"


def test_issuing_authority_is_the_points_police_station(people) -> None:
    assert issuing_authority(people["police"]) == people["police"].name
    station = people["station"]  # a community station: the police station of its street
    street_path = "/".join(station.jurisdiction.path.split("/")[:4]) + "/"
    expected = AcceptancePoint.objects.filter(kind="police_station", jurisdiction__path=street_path) \
        .order_by("code").first()
    assert expected is not None
    assert issuing_authority(station) == expected.name


def test_issue_timing_by_the_rules() -> None:
    day = dt.date(2026, 3, 20)
    assert issue_timing(due_on=dt.date(2026, 3, 20), issued_on=day) == ("on_time", False)
    assert issue_timing(due_on=dt.date(2026, 3, 19), issued_on=day) == ("late", True)
    assert issue_timing(due_on=None, issued_on=day) == ("on_time", False)
    assert endorsement_due(dt.date(2026, 3, 15)) == dt.date(2027, 3, 15)  # a year after the issue (Nat Art. 10)


# --- the whole way ---------------------------------------------------------------------------------------
def test_batch_reveal_ready_issue(staff) -> None:
    a, b = approved(staff, staff["persons"][1]), approved(staff, staff["persons"][2])
    producer = staff["producer"]
    assert [x.pk for x in production_queue(user=producer)] == [a.pk, b.pk]
    batch = batch_create(actor=producer, application_ids=[b.pk, a.pk])
    assert statuses(a, b) == ["in_production", "in_production"]
    assert list(PermitApplication.objects.filter(batch=batch).order_by("pk").values_list("pk", flat=True)) == [
        a.pk, b.pk]
    assert production_queue(user=producer) == []
    created = Event.objects.get(action="permit.batch.created")
    assert (created.actor_id, created.subject_type, created.subject_id, created.data) == (
        producer.pk, "production_batch", str(batch), {"count": 2})
    assert Event.objects.filter(action="permit.application.sent_to_production").count() == 2
    [row] = batches_for_user(user=producer)
    assert (row.batch.pk, row.cards, row.in_production, row.ready, row.issued) == (batch.pk, 2, 2, 0, 0)

    same, cards = batch_reveal(actor=producer, batch_id=batch.pk, purpose="制作卡片 440308199001011234")
    assert same.revealed_at is not None
    assert [c.id_number for c in cards] == [reveal_id_number(p.id_number_enc) for p in
                                            (staff["persons"][1], staff["persons"][2])]
    revealed = Event.objects.get(action="permit.batch.revealed")
    assert (revealed.subject_type, revealed.subject_id, revealed.data) == (
        "production_batch", str(batch), {"count": 2, "purpose": "制作卡片 ******************"})

    batch_ready(actor=producer, batch_id=batch.pk)
    assert statuses(a, b) == ["ready", "ready"]
    batch.refresh_from_db()
    assert batch.ready_at is not None
    assert Event.objects.get(action="permit.batch.ready").data == {"count": 2}

    clerk = staff["clerk"]
    permit = permit_issue(actor=clerk, application_id=a.pk, delivery="counter")
    a.refresh_from_db()
    today = timezone.localdate()
    person = staff["persons"][1]
    reg = Registration.objects.current().filter(person=person).select_related("unit__building").get()
    year = timezone.localtime(batch.created_at).year
    assert (a.status, a.delivery, a.tracking_number, a.receipt_number) == (
        "issued", "counter", "", f"R{today:%Y%m%d}{a.pk:08d}")
    assert permit.number == permit_number(county_code="440308", year=year, application_id=a.pk)
    assert (permit.person_id, permit.application_id, permit.status, permit.issued_on, permit.anchor_on,
            permit.endorsed_years, permit.card_seq) == (person.pk, a.pk, "valid", today, today, 0, 1)
    assert permit.endorsement_due_on == endorsement_due(today)
    assert (permit.issuing_authority, permit.acceptance_point_id) == (staff["police"].name, staff["police"].pk)
    assert (permit.area_path, permit.residence_address) == (reg.area_path, str(reg.unit))
    event = PermitEvent.objects.get(permit=permit)
    assert (event.kind, event.actor_id, event.data) == ("issued", clerk.pk, {
        "delivery": "counter", "receipt_number": a.receipt_number, "tracking_number": "", "issue_status": "on_time",
        "issue_late": False, "due_on": a.due_on.isoformat()})
    issued = Event.objects.get(action="permit.card.issued")
    assert (issued.subject_id, issued.data) == (str(person.pk), {
        "permit": permit.number, "delivery": "counter", "issue_status": "on_time",
        "receipt_number": a.receipt_number, "tracking_number": ""})
    assert list(ApplicationStep.objects.filter(application=a).values_list("transition", flat=True)
                .order_by("pk")) == ["accept", "start_review", "approve", "produce", "make_ready", "issue"]

    # mailed, and late: the deadline passed while the card waited
    PermitApplication.objects.filter(pk=b.pk).update(due_on=today - dt.timedelta(days=2))
    mailed = permit_issue(actor=clerk, application_id=b.pk, delivery="mail", tracking_number=" SF1234567890 ")
    b.refresh_from_db()
    assert (b.status, b.delivery, b.tracking_number, b.receipt_number) == ("issued", "mail", "SF1234567890", "")
    assert PermitEvent.objects.get(permit=mailed).data["issue_status"] == "late"
    assert PermitEvent.objects.get(permit=mailed).data["issue_late"] is True
    [row] = batches_for_user(user=producer)
    assert (row.cards, row.in_production, row.ready, row.issued) == (2, 0, 0, 2)


def test_a_batch_of_all_approved_in_the_area(staff) -> None:
    a, b = approved(staff, staff["persons"][1]), approved(staff, staff["persons"][2])
    batch = batch_create(actor=staff["producer"])
    assert sorted(batch.applications.values_list("pk", flat=True)) == [a.pk, b.pk]
    with pytest.raises(ValidationError) as e:  # nothing approved is left
        batch_create(actor=staff["producer"])
    assert (e.value.code, e.value.message) == ("empty", "没有可以制证的已核准申领。")


# --- refusals ----------------------------------------------------------------------------------------------
def test_batch_refusals_change_nothing(staff) -> None:
    a = approved(staff, staff["persons"][1])
    pending = application_submit(actor=staff["clerk"], point_code="", person_id=staff["persons"][2].pk)
    before = snapshot()
    with pytest.raises(ValidationError) as e:  # not approved: named, and the approved one is not batched either
        batch_create(actor=staff["producer"], application_ids=[a.pk, pending.pk])
    assert e.value.code == "transition"
    assert e.value.message == f"只有已核准的申领才能制证；以下不能：{pending} (已提交)。"
    with pytest.raises(NotFound):  # another area's production centre
        batch_create(actor=staff["luohu_producer"], application_ids=[a.pk])
    with pytest.raises(ValidationError) as e:
        batch_create(actor=staff["luohu_producer"])
    assert e.value.code == "empty"
    with pytest.raises(NotFound):  # no such application
        batch_create(actor=staff["producer"], application_ids=[a.pk, 10**9])
    with pytest.raises(NotFound):  # a role without the capability
        batch_create(actor=staff["reviewer"], application_ids=[a.pk])
    with pytest.raises(ValidationError) as e:
        batch_create(actor=staff["producer"], application_ids=[])
    assert e.value.code == "empty"
    assert snapshot() == before
    assert statuses(a, pending) == ["approved", "submitted"]


def test_reveal_once_and_ready_once(staff) -> None:
    a = approved(staff, staff["persons"][1])
    batch = batch_create(actor=staff["producer"], application_ids=[a.pk])
    before = snapshot()
    with pytest.raises(ValidationError) as e:
        batch_reveal(actor=staff["producer"], batch_id=batch.pk, purpose="  ")
    assert (e.value.code, e.value.field) == ("purpose", "purpose")
    with pytest.raises(NotFound):
        batch_reveal(actor=staff["luohu_producer"], batch_id=batch.pk, purpose="制卡")
    with pytest.raises(NotFound):
        batch_reveal(actor=staff["clerk"], batch_id=batch.pk, purpose="制卡")
    with pytest.raises(NotFound):
        batch_ready(actor=staff["luohu_producer"], batch_id=batch.pk)
    with pytest.raises(NotFound):
        batch_ready(actor=staff["producer"], batch_id=batch.pk + 1)
    assert snapshot() == before
    batch.refresh_from_db()
    assert (batch.revealed_at, batch.ready_at) == (None, None)

    batch_reveal(actor=staff["producer"], batch_id=batch.pk, purpose="制卡")
    before = snapshot()
    with pytest.raises(ValidationError) as e:
        batch_reveal(actor=staff["producer"], batch_id=batch.pk, purpose="再次制卡")
    assert e.value.code == "revealed"
    assert e.value.message.startswith("本批次的完整身份证号已于 ")
    assert e.value.message.endswith(" 查看过，只能查看一次。")
    assert snapshot() == before
    assert Event.objects.filter(action="permit.batch.revealed").count() == 1

    batch_ready(actor=staff["producer"], batch_id=batch.pk)
    before = snapshot()
    with pytest.raises(ValidationError) as e:
        batch_ready(actor=staff["producer"], batch_id=batch.pk)
    assert (e.value.code, e.value.message) == ("transition", "本批次的居住证已标记为制成待领。")
    assert snapshot() == before


def test_issue_refusals_change_nothing(staff, make_user) -> None:
    app = approved(staff, staff["persons"][1])
    clerk = staff["clerk"]
    other_point = AcceptancePoint.objects.filter(kind="police_station", jurisdiction__code__startswith="440308") \
        .exclude(pk=staff["police"].pk).order_by("code").first()
    elsewhere = make_user("clerk_other", "clerk")
    elsewhere.acceptance_point_code = other_point.code
    elsewhere.save()
    luohu_clerk = make_user("clerk_lh", "clerk", "440303")
    before = snapshot()
    with pytest.raises(ValidationError) as e:  # approved, not made yet
        permit_issue(actor=clerk, application_id=app.pk, delivery="counter")
    assert (e.value.code, e.value.message) == (
        "transition", "只有已制成待领的居住证才能发放；本申领的状态为：已核准。")
    assert snapshot() == before
    batch = batch_create(actor=staff["producer"], application_ids=[app.pk])
    batch_ready(actor=staff["producer"], batch_id=batch.pk)
    before = snapshot()
    with pytest.raises(ValidationError) as e:  # mail without a tracking number
        permit_issue(actor=clerk, application_id=app.pk, delivery="mail", tracking_number="  ")
    assert (e.value.code, e.value.field) == ("tracking_number", "tracking_number")
    with pytest.raises(ValidationError) as e:
        permit_issue(actor=clerk, application_id=app.pk, delivery="drone")
    assert e.value.code == "delivery"
    with pytest.raises(NotFound):  # a clerk at another acceptance point
        permit_issue(actor=elsewhere, application_id=app.pk, delivery="counter")
    with pytest.raises(NotFound):  # another area
        permit_issue(actor=luohu_clerk, application_id=app.pk, delivery="counter")
    with pytest.raises(NotFound):  # the production centre does not hand cards over
        permit_issue(actor=staff["producer"], application_id=app.pk, delivery="counter")
    Registration.objects.filter(person=app.person, ended_on__isnull=True).update(
        ended_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as e:  # moved away meanwhile: no residence address for the card
        permit_issue(actor=clerk, application_id=app.pk, delivery="counter")
    assert e.value.code == "not_registered"
    assert snapshot() == before
    assert statuses(app) == ["ready"]
    Registration.objects.filter(person=app.person, ended_on=timezone.localdate() - dt.timedelta(days=1)).update(
        ended_on=None)
    permit_issue(actor=clerk, application_id=app.pk, delivery="counter")
    before = snapshot()
    with pytest.raises(ValidationError) as e:  # a second issue
        permit_issue(actor=clerk, application_id=app.pk, delivery="counter")
    assert e.value.code == "transition"
    assert snapshot() == before


# --- the files ---------------------------------------------------------------------------------------------
def _rows(data: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_the_manifest_masked_then_full_once(staff) -> None:
    a, b = approved(staff, staff["persons"][1]), approved(staff, staff["persons"][2])
    batch = batch_create(actor=staff["producer"], application_ids=[a.pk, b.pk])
    _, cards = batch_cards(user=staff["producer"], batch_id=batch.pk, file="manifest")
    assert Event.objects.get(action="permit.batch.downloaded").data == {"file": "manifest", "count": 2}
    rows = _rows(manifest_xlsx(batch, cards))
    assert rows[0] == manifest_columns()
    year = timezone.localtime(batch.created_at).year
    regs = {r.person_id: r for r in Registration.objects.current().filter(
        person__in=[a.person_id, b.person_id]).select_related("unit__building")}
    expected = []
    for app in (a, b):
        p = app.person
        expected.append([permit_number(county_code="440308", year=year, application_id=app.pk), p.name,
                         p.get_sex_display(), p.get_ethnicity_display(), p.birth_date.isoformat(),
                         p.id_number_masked, p.hukou_address or None, str(regs[p.pk].unit), staff["police"].name,
                         staff["police"].code, staff["police"].name, f"SQ{app.pk:08d}", "否"])
    assert rows[1:] == expected
    _, full = batch_reveal(actor=staff["producer"], batch_id=batch.pk, purpose="制卡")
    full_rows = _rows(manifest_xlsx(batch, full))
    assert [r[5] for r in full_rows[1:]] == [reveal_id_number(a.person.id_number_enc),
                                            reveal_id_number(b.person.id_number_enc)]
    # later downloads stay masked
    _, again = batch_cards(user=staff["producer"], batch_id=batch.pk, file="manifest")
    assert [r[5] for r in _rows(manifest_xlsx(batch, again))[1:]] == [a.person.id_number_masked,
                                                                     b.person.id_number_masked]


def test_the_print_sheet_is_a_pdf_with_the_cjk_font_and_a_qr_code(staff) -> None:
    apps = [approved(staff, p) for p in staff["persons"][1:3]]
    batch = batch_create(actor=staff["producer"], application_ids=[x.pk for x in apps])
    _, cards = batch_cards(user=staff["producer"], batch_id=batch.pk, file="print_sheet")
    data = print_sheet_pdf(batch, cards)
    assert data.startswith(b"%PDF-")
    text, fonts = pdf_text(data)
    assert any(b"/FontFile2" in body for body in fonts)
    assert any(re.search(rb"/BaseFont /[A-Z]{6}\+WenQuanYiMicroHei", body) for body in fonts)
    assert f"居住证打印单 {batch}" in text
    for card, app in zip(cards, apps, strict=True):
        assert card.number in text
        assert app.person.name in text
        assert app.person.id_number_masked in text
        assert reveal_id_number(app.person.id_number_enc) not in text
        assert reveal_id_number(app.person.id_number_enc).encode() not in data
    assert "照片" in text
    assert "签发机关" in text
    assert text.count(staff["police"].name) >= 2
    # a QR code of each card's signed e-permit token (card 1, made now), drawn as filled squares (one per dark
    # module): nothing else is filled
    tokens = [card_token(PermitCard.objects.get(permit_number=c.number, seq=1)) for c in cards]
    assert [decode_permit(tk, permit_keys().public).permit_number for tk in tokens] == [c.number for c in cards]
    objects = re.findall(rb"\d+ 0 obj\s*(.*?)endobj", data, re.S)
    pages = [_stream(body)[1] for body in objects if b"stream" in body and b"/Length1" not in body
             and b"/Subtype" not in body.partition(b"stream")[0]]
    filled = sum(len(re.findall(rb" re f\b", content)) for content in pages)
    assert filled == sum(sum(dark for row in segno.make(tk, micro=False, error="m").matrix for dark in row)
                         for tk in tokens)
    assert print_sheet_pdf(batch, cards) == data  # printed again: the same tokens, byte for byte
