"""The declarations upload over HTTP: the template, bad files refused with clear Chinese messages and nothing
written, a large file handed to the worker (the real django-tasks queue) with a progress page that only its owner
sees."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from residence.core.models import ImportJob
from residence.people.models import Person
from residence.registrations.models import Registration
from residence.registrations.tests.test_uploads import HEADER, arrival, ident, mixed, premises, store, xlsx

__all__ = ["mixed", "premises", "store"]  # fixtures
PAGE = "/registrations/mine/upload/"


def token_of(page: str) -> str:
    m = re.search(r'name="token" value="([0-9a-f]{32})"', page)
    assert m is not None
    return m.group(1)


@pytest.fixture
def jia(premises, client: Client) -> dict[str, Any]:
    client.force_login(premises["jia"]["account"])
    return premises["jia"]


def post_file(client: Client, name: str, data: bytes) -> str:
    r = client.post(PAGE, {"file": SimpleUploadedFile(name, data)})
    assert r.status_code == 200
    return r.content.decode()


def file_error(page: str) -> str:
    m = re.search(r'<ul class="errorlist"[^>]*><li>([^<]+)</li>', page)
    assert m is not None, page
    return m.group(1)


@pytest.mark.django_db
def test_the_residents_page_links_to_the_upload_and_the_template_is_the_obligors(jia, client: Client) -> None:
    assert f'href="{PAGE}"' in client.get("/registrations/mine/").content.decode()
    page = client.get(PAGE).content.decode()
    assert "<h1>上传申报</h1>" in page
    assert f'<a href="{PAGE}?template=xlsx" class="button" id="template-link" download>下载模板</a>' in page
    r = client.get(PAGE + "?template=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADER
    example = {c.value: v.value for c, v in zip(ws[1], ws[2], strict=True)}
    assert (example["申报类型"], example["房屋编码"]) == ("到达", jia["units"][0])


@pytest.mark.django_db
def test_bad_files_are_refused_over_http_and_nothing_is_written(jia, client: Client, store) -> None:
    before = (Person.objects.count(), Registration.objects.count())
    big = b"x" * (50 * 1024 * 1024)
    assert file_error(post_file(client, "big.xlsx", big)) == (
        "文件大小为 50.0 MB（52,428,800 字节），上限为 20 MB。")
    utf16 = ",".join(HEADER).encode("utf-16")
    assert file_error(post_file(client, "d.csv", utf16)) == "文件既不是 UTF-8 也不是 GBK 编码的文本。"
    assert file_error(post_file(client, "d.xlsx", xlsx([]))) == "文件在标题行下没有数据行：没有可申报的内容。"
    assert file_error(post_file(client, "d.xlsx", xlsx([{"名字": "张三"}], header=["名字", "电话"]))).startswith(
        "第 1 行应为表头")
    assert file_error(post_file(client, "d.xlsx", xlsx([{"姓名": "张三"}], header=["姓名"]))) == (
        "缺少列：申报类型、房屋编码、身份证号。")
    gbk = (",".join(HEADER) + "\n" + f"到达,{jia['units'][1]},{ident(9)},张三\n").encode("gbk")
    page = post_file(client, "d.csv", gbk)  # GBK is read: the missing arrival date is the only error
    assert "共读取 1 行（GBK/GB18030）：有效 0 行，有错误 1 行。" in page
    assert "到达申报必填。" in page
    assert (Person.objects.count(), Registration.objects.count()) == before


@pytest.mark.django_db(transaction=True)  # committed as in production: the task is queued at the commit
def test_a_large_file_goes_to_the_worker_and_its_page_shows_the_progress_to_its_owner_only(
        mixed, client: Client, store, settings, premises) -> None:
    settings.IMPORT_JOB_ROWS = 10
    client.force_login(mixed["account"])
    page = post_file(client, "big.xlsx", mixed["data"])
    assert "此文件较大：将在后台导入" in page
    r = client.post(PAGE, {"token": token_of(page), "mode": "valid_rows"})
    job = ImportJob.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/jobs/{job.pk}/"
    assert (job.status, job.total, job.params["mode"]) == ("queued", 13, "valid_rows")
    waiting = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/jobs/{job.pk}/progress/" hx-trigger="every 1s"' in waiting
    assert '<progress id="job-bar" max="100" value="0"' in waiting
    assert "排队中" in waiting
    # someone else — another landlord, a clerk — is told there is no such job
    other = Client()
    other.force_login(premises["yi"]["account"])
    assert other.get(f"/jobs/{job.pk}/").status_code == 404
    assert other.get(f"/jobs/{job.pk}/progress/").status_code == 404
    assert DBTaskResult.objects.get().args_kwargs == {"args": [job.pk], "kwargs": {}}
    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)  # the worker's task queue
    job.refresh_from_db()
    assert (job.status, job.done) == ("done", 13)
    done = client.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in done  # the polling stops
    assert '<progress id="job-bar" max="100" value="100"' in done
    assert "已上传 4 条申报：到达 3 人，离开 1 人。9 行有错误，未导入。" in done
    assert "第 3 行「身份证号」" in done
    assert '<a class="button" id="job-back" href="/registrations/mine/">返回</a>' in done
    assert Registration.objects.filter(channel="upload").count() == 3


@pytest.mark.django_db
def test_a_small_file_is_declared_at_once(jia, client: Client, store) -> None:
    page = post_file(client, "d.xlsx", xlsx([arrival(jia["units"][1], 20)]))
    r = client.post(PAGE, {"token": token_of(page), "mode": "all"}, follow=True)
    assert "已上传 1 条申报：到达 1 人，离开 0 人。" in r.content.decode()
    assert not ImportJob.objects.exists()
    assert Registration.objects.filter(channel="upload", unit__code=jia["units"][1]).count() == 1
