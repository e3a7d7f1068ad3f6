"""Declaration uploads in `residence bench`: an XLSX of 100,000 arrivals committed by the worker's job.

The figure: the demo landlord's upload of `rows` arrivals of persons not yet on record (the costly case: each is a
new person, its ID number encrypted and indexed, its search keys written), generated with openpyxl's write-only
workbook, queued as an `ImportJob` and run in a subprocess (`residence bench_upload_job`) exactly as the worker
runs it: read the file, check every row, write everything in one transaction. The subprocess reports the job's
seconds and its peak resident memory (VmHWM in /proc/self/status), which the targets bound: ≤ 60 s and ≤ 300 MB
for 100,000 rows.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils import timezone

from residence.bench.measure import Figure
from residence.core.idnumber import check_character

if TYPE_CHECKING:
    from residence.accounts.models import User

NAMES = ["王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄强", "周婷", "吴斌", "徐娟", "孙涛"]
DAYS = 18_250  # birth dates spread over fifty years from 1940, then the sequence number


def bench_landlord() -> tuple[User, list[str]]:
    """The demo's landlord account and the codes of its units (`residence demo` binds the `landlord` log-in)."""
    from residence.accounts.models import User
    from residence.places.models import Unit

    user = User.objects.filter(username="landlord").first()
    units = list(Unit.objects.filter(obligor__account=user).order_by("code").values_list("code", flat=True))
    if user is None or not units:
        raise RuntimeError("no demo landlord with units: run the demo generation and demo_users_create first")
    return user, units


def arrival_ids(start: int, n: int) -> list[str]:
    """`n` valid, distinct ID numbers (Shanghai Xuhui, 310104; born 1940–1989), from the `start`-th on."""
    out = []
    for k in range(start, start + n):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=k % DAYS)
        first = f"310104{born:%Y%m%d}{(k // DAYS) % 1000:03d}"
        out.append(first + check_character(first))
    return out


def declarations_xlsx(units: list[str], ids: list[str]) -> bytes:
    """An upload of one arrival per ID number, at the units in turn, every column filled (openpyxl write-only)."""
    from openpyxl import Workbook

    from residence.registrations.uploads import COLUMNS

    today = timezone.localdate()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([c.label for c in COLUMNS])
    for i, number in enumerate(ids):
        ws.append(["到达", units[i % len(units)], number, NAMES[i % len(NAMES)], f"139{i % 100_000_000:08d}",
                   "汉族", "大学专科", "未婚", "快递员", "广东省深圳市盐田区", "务工",
                   (today - dt.timedelta(days=i % 20)).isoformat(), (today + dt.timedelta(days=180)).isoformat(),
                   ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload_job_prepare(rows: int) -> tuple[int, int]:
    """Queue the landlord's upload of `rows` new arrivals as a job (without enqueuing the task: the bench runs it);
    returns (job id, file size in bytes). Each run declares persons the earlier runs did not."""
    from residence.core.jobs import job_create
    from residence.core.models import ImportJob
    from residence.core.tabular import MAX_ROWS
    from residence.registrations.uploads import KIND

    user, units = bench_landlord()
    run = ImportJob.objects.filter(kind=KIND, owner=user).count()
    data = declarations_xlsx(units, arrival_ids(run * MAX_ROWS, rows))  # each run its own persons
    job = job_create(owner=user, kind=KIND, filename="bench-declarations.xlsx", data=data, total=rows,
                     params={"mode": "all", "bench": True})
    return job.pk, len(data)


def measured_run(job_id: int) -> dict[str, float | str]:
    """Run the job here (the subprocess's side): its seconds, this process's peak RSS in MB, its outcome."""
    import time

    from residence.core.jobs import job_run

    start = time.perf_counter()
    job = job_run(job_id)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "vmhwm_mb": vmhwm_mb(), "status": job.status if job else "not run",
            "error": job.error if job else ""}


def vmhwm_mb() -> float:
    """This process's peak resident set (VmHWM), in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def upload_figures(rows: int, say: Callable[[str], None]) -> list[Figure]:
    """The upload figures: the job run in its own process, as the worker runs it."""
    from residence.core.models import ImportJob
    from residence.registrations.models import Registration

    say(f"declarations upload: writing an XLSX of {rows:,} arrivals …")
    job_id, size = upload_job_prepare(rows)
    say(f"  {size / 1024 / 1024:.1f} MB; running the job in a subprocess (residence bench_upload_job) …")
    exe = os.path.join(os.path.dirname(sys.executable), "residence")
    out = subprocess.run([exe, "bench_upload_job", str(job_id)], capture_output=True, text=True, check=True,  # noqa: S603
                         env=dict(os.environ))
    result = json.loads(out.stdout.strip().splitlines()[-1])
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.DONE:
        raise RuntimeError(f"the upload job failed: {job.error}")
    stored = Registration.objects.filter(channel="upload", declared_at__gte=job.started_at).count()
    say(f"  {stored:,} registrations stored, {result['seconds']:.1f} s, VmHWM {result['vmhwm_mb']:.0f} MB")
    return [Figure(f"XLSX upload of {rows:,} arrivals: job seconds", result["seconds"], "s", "≤ 60 s"),
            Figure(f"XLSX upload of {rows:,} arrivals: job peak RSS (VmHWM)", result["vmhwm_mb"], "MB", "≤ 300 MB")]
