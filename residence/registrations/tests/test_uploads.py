"""An obligor's declarations uploaded as a table: every row error named by row and column, all-or-nothing and valid
rows only, deadlines from the rules, items of persons on record updated with their history, one audit event per
upload; large files through the worker's job with its progress, a failed job writing nothing."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import Workbook

from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.core import jobs
from residence.core.errors import NotFound, ValidationError
from residence.core.idnumber import check_character
from residence.core.models import ImportJob
from residence.people.identity import id_index
from residence.people.models import Person, PersonRevision, PersonSearchKey
from residence.places.models import Obligor, Unit
from residence.places.services import obligor_account_bind
from residence.registrations import uploads
from residence.registrations.models import Registration
from residence.registrations.services import registration_declare_arrival
from residence.registrations.uploads import COLUMNS, declarations_commit, declarations_preview

PASSWORD = "Test-pass#2026"
HEADER = [c.label for c in COLUMNS]


def ident(n: int) -> str:
    first = f"44030819900303{n:03d}"
    return first + check_character(first)


def xlsx(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    header = header or HEADER
    ws.append(header)
    for r in rows:
        ws.append([r.get(h, "") for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def day(n: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=n)).isoformat()


@pytest.fixture
def premises(city) -> dict[str, Any]:
    """Two landlords: 甲 with two units in Yantian (one rented out), 乙 with one in Luohu."""
    out: dict[str, Any] = {}
    for name, district, n in [("jia", "440308", 2), ("yi", "440303", 1)]:
        obligor = Obligor.objects.create(name=f"房东{name}", kind="landlord")
        account = user_create(actor=None, username=f"up_{name}", password=PASSWORD, role="landlord",
                              check_password=False)
        obligor_account_bind(actor=None, obligor_id=obligor.pk, username=f"up_{name}")
        units = list(Unit.objects.filter(building__grid__path__contains=f"/{district}/", obligor__isnull=True)
                     .order_by("pk")[:n])
        Unit.objects.filter(pk__in=[u.pk for u in units]).update(obligor=obligor)
        Unit.objects.filter(pk=units[0].pk).update(is_rental=True)
        out[name] = {"obligor": Obligor.objects.get(pk=obligor.pk), "account": account,
                     "units": [u.code for u in units]}
    return out


def arrival(unit: str, n: int, **extra: str) -> dict[str, str]:
    return {"申报类型": "到达", "房屋编码": unit, "身份证号": ident(n), "姓名": "李四", "到达日期": day(1), **extra}


def departure(unit: str, n: int, **extra: str) -> dict[str, str]:
    return {"申报类型": "离开", "房屋编码": unit, "身份证号": ident(n), "离开日期": day(0), **extra}


@pytest.fixture
def mixed(premises) -> dict[str, Any]:
    """A file with every kind of row error beside valid arrivals and departures (rows numbered as in Excel)."""
    jia, yi = premises["jia"], premises["yi"]
    rental, flat = jia["units"]
    known = registration_declare_arrival(actor=jia["account"], obligor=jia["obligor"], unit_code=flat,
                                         id_number=ident(50), name="王五", started_on=timezone.localdate()
                                         - dt.timedelta(days=30))
    leaving = registration_declare_arrival(actor=jia["account"], obligor=jia["obligor"], unit_code=rental,
                                           id_number=ident(51), name="赵六", started_on=timezone.localdate()
                                           - dt.timedelta(days=5))
    registration_declare_arrival(actor=jia["account"], obligor=jia["obligor"], unit_code=rental,
                                 id_number=ident(52), name="钱七", started_on=timezone.localdate()
                                 - dt.timedelta(days=5))
    bad_check = ident(2)[:-1] + ("0" if ident(2)[-1] != "0" else "1")
    rows = [
        arrival(rental, 1, 手机号="13800138000", 居住事由="务工", 预计离开日期=day(-90)),  # 2 valid, on time
        arrival(rental, 2, 身份证号=bad_check),  # 3 wrong check character
        arrival(yi["units"][0], 3),  # 4 another landlord's unit
        departure(rental, 4),  # 5 not registered there
        departure(rental, 52, 离开日期=day(10)),  # 6 departure before the arrival on record
        arrival(flat, 1),  # 7 declared twice in the file
        arrival(rental, 5, 姓名="@SUM(A1)", 职业="<script>alert(1)</script>"),  # 8 hostile strings
        arrival(rental, 50, 姓名="王五", 手机号="13900139000", 职业="电工", 文化程度="大专"),  # 9 on record
        departure(rental, 51, 离开日期=day(1)),  # 10 a valid departure
        arrival(rental, 6, 到达日期=day(10)),  # 11 a late arrival (3 days for a rented unit)
        arrival(flat, 7, 到达日期=day(3), 离开日期=day(5)),  # 12 departure before arrival in the row
        arrival(flat, 8, 姓名=""),  # 13 an arrival needs a name
        departure(flat, 50),  # 14 a departure of someone declared (row 9) in the file already
    ]
    return {**jia, "rows": rows, "data": xlsx(rows), "known": known, "leaving": leaving}


ERRORS = [
    (3, "身份证号"), (4, "房屋编码"), (5, "身份证号"), (6, "离开日期"), (7, "身份证号"), (8, "姓名"), (8, "职业"),
    (12, "离开日期"), (13, "姓名"), (14, "身份证号"),
]


@pytest.mark.django_db
def test_the_preview_names_each_error_by_row_and_column_and_writes_nothing(mixed) -> None:
    before = (Person.objects.count(), Registration.objects.count(), Event.objects.count())
    preview = declarations_preview(actor=mixed["account"], obligor=mixed["obligor"], filename="d.xlsx",
                                   data=mixed["data"])
    assert [(e.row, e.column) for e in preview.errors] == ERRORS
    said = {(e.row, e.column): e.message for e in preview.errors}
    assert "校验码" in said[(3, "身份证号")]
    assert said[(4, "房屋编码")] == "不是您的房屋（编码见“我的房屋”页）。"
    assert said[(5, "身份证号")] == "此房屋现在没有登记持此身份证号的人员。"
    assert said[(6, "离开日期")] == f"早于到达日期（{day(5)}）。"
    assert said[(7, "身份证号")] == "此人已在第 2 行申报；一个文件中每人只申报一次。"
    assert said[(8, "姓名")] == "疑似公式，请填写纯文本。"
    assert said[(8, "职业")] == "不超过 60 个字符，且不含 < > 或控制字符。"  # the value is not echoed
    assert said[(12, "离开日期")] == "早于到达日期。"
    assert said[(13, "姓名")] == "到达申报必填。"
    assert said[(14, "身份证号")] == "此人已在第 9 行申报；一个文件中每人只申报一次。"
    assert [r.row for r in preview.valid] == [2, 9, 10, 11]
    assert (preview.total, preview.error_rows) == (13, 9)
    assert (Person.objects.count(), Registration.objects.count(), Event.objects.count()) == before


@pytest.mark.django_db
def test_all_rows_is_refused_while_any_row_has_an_error_and_nothing_is_written(mixed) -> None:
    before = (Person.objects.count(), Registration.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError, match="9 行有错误，未导入任何数据"):
        declarations_commit(actor=mixed["account"], obligor=mixed["obligor"], filename="d.xlsx",
                            data=mixed["data"], mode="all")
    assert (Person.objects.count(), Registration.objects.count(), Event.objects.count()) == before


@pytest.mark.django_db
def test_the_valid_rows_are_declared_with_their_deadlines_history_and_one_audit_event(mixed) -> None:
    persons = Person.objects.count()
    result = declarations_commit(actor=mixed["account"], obligor=mixed["obligor"], filename="d.xlsx",
                                 data=mixed["data"], mode="valid_rows")
    assert result.counts == {"arrivals": 3, "departures": 1, "persons_created": 2, "persons_updated": 1}
    assert Person.objects.count() == persons + 2
    rental, _flat = mixed["units"]
    today = timezone.localdate()
    new = Registration.objects.get(person__id_number_index=id_index(ident(1)))
    assert (new.unit.code, new.channel, new.declared_by, new.declared_by_account_id, new.late, new.reason,
            new.expected_ended_on, new.status) == (rental, "upload", "obligor", mixed["account"].pk, False, "work",
                                                   today + dt.timedelta(days=90), "confirmed")
    assert new.area_path.startswith("/440300/440308/")
    assert new.area_path == str(new.unit.building.grid.path)
    assert new.person.phone_masked == "*******8000"
    late = Registration.objects.get(person__id_number_index=id_index(ident(6)))
    assert late.late is True  # a rented unit's tenant within 3 days (Yantian's rules)
    assert timezone.localtime(late.due_at).date() == today - dt.timedelta(days=7)
    gone = Registration.objects.get(pk=mixed["leaving"].pk)
    assert (gone.ended_on, gone.departure_channel, gone.departure_declared_by, gone.departure_late) == (
        today - dt.timedelta(days=1), "upload", "obligor", False)
    # the person on record: a second registration, and the items the row gave updated, with their history
    known = Person.objects.get(id_number_index=id_index(ident(50)))
    assert Registration.objects.filter(person=known).count() == 2
    assert (known.occupation, known.education, known.phone_masked) == ("电工", "30", "*******9000")
    [revision] = PersonRevision.objects.filter(person=known)
    assert revision.before == {"occupation": "", "education": "", "phone": ""}
    assert revision.after == {"occupation": "电工", "education": "30", "phone": "*******9000"}
    assert (revision.by_id, revision.source) == (mixed["account"].pk, "registration.declarations.uploaded")
    # searchable by name where they live, the departed one's key ended
    assert PersonSearchKey.objects.filter(person=new.person, form="lisi", area_path=new.area_path,
                                          ended_on=None).exists()
    assert PersonSearchKey.objects.get(person=gone.person, form="赵六").ended_on == today - dt.timedelta(days=1)
    [event] = Event.objects.filter(action="registration.declarations.uploaded")
    assert event.data == {"mode": "valid_rows", "rows": 4, "rows_with_errors": 9, "arrivals": 3, "departures": 1,
                          "persons_created": 2, "persons_updated": 1}
    assert (event.actor_id, event.subject_id) == (mixed["account"].pk, "d.xlsx")
    assert not Event.objects.filter(action__in=["registration.arrival.declared", "person.items.updated"],
                                    actor_id=mixed["account"].pk, occurred_at__gte=revision.at).exists()
    assert ident(1) not in str(event.data)


@pytest.mark.django_db
def test_bad_files_are_refused_with_a_clear_message(premises) -> None:
    jia = premises["jia"]

    def check(name: str, data: bytes) -> str:
        with pytest.raises(ValidationError) as caught:
            declarations_preview(actor=jia["account"], obligor=jia["obligor"], filename=name, data=data)
        return caught.value.message

    assert check("d.xlsx", xlsx([])) == "文件在标题行下没有数据行：没有可申报的内容。"
    assert check("d.xlsx", xlsx([{"a": "1"}], header=["a", "b"])).startswith("第 1 行应为表头")
    assert check("d.xlsx", xlsx([{"姓名": "张三"}], header=["姓名", "手机号"])) == (
        "缺少列：申报类型、房屋编码、身份证号。")
    assert check("d.csv", "申报类型,房屋编码\n到达,x\n".encode("utf-16")) == "文件既不是 UTF-8 也不是 GBK 编码的文本。"
    gbk = ",".join(HEADER) + "\n" + f"到达,{jia['units'][1]},{ident(9)},张三,,,,,,,,{day(1)},,\n"
    preview = declarations_preview(actor=jia["account"], obligor=jia["obligor"], filename="d.csv",
                                   data=gbk.encode("gbk"))
    assert (preview.encoding, len(preview.valid), preview.errors) == ("GBK/GB18030", 1, [])
    assert preview.valid[0].name == "张三"


@pytest.mark.django_db
def test_the_templates_made_up_example_row_is_never_declared(premises) -> None:
    from residence.registrations.imports import _example_id

    jia = premises["jia"]
    example = arrival(jia["units"][1], 0, 身份证号=_example_id(123), 姓名="张三")
    preview = declarations_preview(actor=jia["account"], obligor=jia["obligor"], filename="d.xlsx",
                                   data=xlsx([example, arrival(jia["units"][1], 1)]))
    assert [(e.row, e.column, e.message) for e in preview.errors] == [
        (2, "身份证号", "这是模板中的示例行（虚构的人员）：上传前请删除。")]
    assert [r.row for r in preview.valid] == [3]


@pytest.mark.django_db
def test_only_the_obligor_previews_its_own_premises(premises) -> None:
    jia, yi = premises["jia"], premises["yi"]
    with pytest.raises(NotFound):
        declarations_preview(actor=yi["account"], obligor=jia["obligor"], filename="d.xlsx",
                             data=xlsx([arrival(jia["units"][1], 1)]))


@pytest.fixture
def store(settings, tmp_path) -> None:
    from residence.core.tests.test_storage import private_storages

    private_storages(settings, tmp_path)


@pytest.mark.django_db
def test_a_job_runs_queued_running_done_with_its_progress(mixed, store, monkeypatch) -> None:
    seen: list[tuple[str, int]] = []
    write = jobs.Progress._write

    def spy(self: jobs.Progress, *, force: bool) -> None:
        seen.append((self.current, self.done))
        write(self, force=force)

    monkeypatch.setattr(jobs.Progress, "_write", spy)
    monkeypatch.setattr(uploads, "CHUNK", 2)  # several chunks, each reported
    job = jobs.job_create(owner=mixed["account"], kind=uploads.KIND, filename="big.xlsx", data=mixed["data"],
                          total=13, params={"mode": "valid_rows", "back": "/registrations/mine/"})
    assert (job.status, job.phase, job.done) == ("queued", "waiting", 0)
    assert Event.objects.filter(action="import.job.queued", subject_id=str(job.pk), data__rows=13).exists()
    ran = jobs.job_run(job.pk)
    assert ran is not None
    job.refresh_from_db()
    assert (job.status, job.phase, job.done, job.total, job.error) == ("done", "finished", 13, 13, "")
    assert job.result["summary"] == "已上传 4 条申报：到达 3 人，离开 1 人。9 行有错误，未导入。"
    assert job.result["counts"]["arrivals"] == 3
    assert len(job.result["errors"]) == 10
    assert job.result["errors"][0].startswith("第 3 行「身份证号」")
    assert job.started_at is not None
    assert job.finished_at is not None
    assert seen[0] == ("writing", 0)  # rows checked and written as they are read
    assert seen[-1] == ("writing", 13)
    assert len(seen) > 4  # every chunk reported
    assert [d for _p, d in seen] == sorted(d for _p, d in seen)
    assert jobs.job_run(job.pk) is None  # claimed once only
    assert Registration.objects.filter(channel="upload").count() == 3


@pytest.mark.django_db
def test_a_failed_job_says_why_and_writes_nothing(mixed, store, monkeypatch) -> None:
    before = (Person.objects.count(), Registration.objects.count(), PersonRevision.objects.count(),
              PersonSearchKey.objects.count())
    refused = jobs.job_create(owner=mixed["account"], kind=uploads.KIND, filename="big.xlsx", data=mixed["data"],
                              total=13, params={"mode": "all"})
    jobs.job_run(refused.pk)
    refused.refresh_from_db()
    assert (refused.status, refused.error) == ("failed", "9 行有错误，未导入任何数据。")

    def broken(*args: Any) -> None:  # the arrivals of the chunk are written; then the departures fail
        raise RuntimeError("disk full")

    monkeypatch.setattr(uploads, "_write_departures", broken)
    crashed = jobs.job_create(owner=mixed["account"], kind=uploads.KIND, filename="big.xlsx", data=mixed["data"],
                              total=13, params={"mode": "valid_rows"})
    jobs.job_run(crashed.pk)
    crashed.refresh_from_db()
    assert (crashed.status, crashed.error) == ("failed", "导入因意外错误（RuntimeError）而中止；未写入任何内容。")
    assert (Person.objects.count(), Registration.objects.count(), PersonRevision.objects.count(),
            PersonSearchKey.objects.count()) == before
    assert not Event.objects.filter(action="registration.declarations.uploaded").exists()
    assert Event.objects.filter(action="import.job.failed").count() == 2


@pytest.mark.django_db
def test_a_running_jobs_progress_is_read_while_its_data_transaction_is_open(premises, settings, tmp_path) -> None:
    from django.db import connection, transaction

    settings.VAR_DIR = tmp_path
    owner = premises["jia"]["account"]
    job = ImportJob.objects.create(owner=owner, kind=uploads.KIND, total=10, status="running")
    progress = jobs.Progress(job.pk)
    with transaction.atomic():  # the job's data transaction
        progress.phase("writing", 4)
        if connection.vendor == "sqlite":  # one writer: the side file (PostgreSQL: a second connection)
            seen = jobs.job_get_for_owner(user=owner, job_id=job.pk)
            assert (seen.phase, seen.done, seen.percent) == ("writing", 4, 40)
    progress.close()
    assert not (tmp_path / "jobs" / f"{job.pk}.json").exists()
    with pytest.raises(NotFound):
        jobs.job_get_for_owner(user=premises["yi"]["account"], job_id=job.pk)
