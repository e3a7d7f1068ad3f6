from __future__ import annotations

import pytest
from django.core.management import call_command

from residence.audit.models import Event
from residence.audit.selectors import chain_verify
from residence.audit.services import event_record
from residence.places.models import Jurisdiction

pytestmark = pytest.mark.django_db


# The task worker closes its database connection after a batch, so this test cannot run inside a test transaction.
@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_tasks_and_seals_the_audit_chain(settings, capsys, tmp_path) -> None:
    from residence.core.tests.test_storage import private_storages

    private_storages(settings, tmp_path)  # the checkout's var/imports may hold an expired upload to purge
    settings.AUDIT_SEAL_GRACE_SECONDS = 0
    for i in range(3):
        event_record(actor=None, action="test.thing.done", subject_id=i)
    call_command("worker", once=True)
    assert "audit.seal: 3" in capsys.readouterr().out
    # the events recorded before the run are sealed (jobs that run after the seal, such as a purge of uploads other
    # tests left, may add events of their own for the next run)
    assert not Event.objects.filter(action="test.thing.done", block_seq__isnull=True).exists()
    assert chain_verify().ok


def test_createuser_refuses_staff_without_area(capsys) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as err:
        call_command("createuser", "nobody", role="clerk", password="Long-enough#2026")
    assert "jurisdiction_code" in str(err.value)
    with pytest.raises(CommandError, match="no jurisdiction has the code '440308'"):
        call_command("createuser", "somebody", role="clerk", jurisdiction="440308", password="Long-enough#2026")
    Jurisdiction.objects.create(code="440308", name="盐田区", level="district", path="/440308/", official=True)
    call_command("createuser", "somebody", role="clerk", jurisdiction="440308", password="Long-enough#2026")
    assert "created somebody (clerk)" in capsys.readouterr().out


def test_demo_serves_with_the_worker_beside_it_and_stopping_it_stops_both(tmp_path) -> None:
    """`residence demo` as the README runs it, in its own process group: while it serves, the worker seals the
    audit trail; when the server is stopped, the worker leaves too."""
    import contextlib
    import os
    import signal
    import socket
    import sqlite3
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3", "RESIDENCE_VAR_DIR": str(tmp_path),
           "RESIDENCE_KEY_DIR": str(tmp_path / "keys"), "RESIDENCE_AUDIT_WITNESS": str(tmp_path / "witness.jsonl")}
    env.pop("RESIDENCE_SECRET_KEY", None)
    env.pop("RESIDENCE_DEBUG", None)  # served as the README's demo serves: debug off
    env["PYTHONFAULTHANDLER"] = "1"  # a stop that hangs is reported with every process's Python stacks (below)
    output = (tmp_path / "demo-output.txt").open("wb")  # a file, not a pipe nobody reads while it serves
    demo = subprocess.Popen([sys.executable, "-m", "residence.cli", "demo", "--persons", "60", "--port", str(port)],
                            env=env, start_new_session=True, stdout=output, stderr=subprocess.STDOUT)
    try:
        blocks = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not blocks:
            time.sleep(1)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
                    blocks = db.execute("SELECT count(*) FROM audit_block").fetchone()[0]
            except (OSError, sqlite3.Error):
                continue
        assert blocks > 0, "no audit block was sealed while the demo served"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=5)
        page = missing.value.read().decode()
        assert missing.value.code == 404
        assert "页面不存在" in page  # the Chinese page,
        assert "Using the URLconf" not in page  # not the debug page
        for asset in ("/static/css/app.css", "/favicon.ico"):  # served with debug off too
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{asset}", timeout=5) as r:
                assert r.status == 200, asset
                assert len(r.read()) > 100, asset
        assert (tmp_path / "witness.jsonl").read_text().count("\n") == blocks
        workers = subprocess.run(["pgrep", "-f", f"worker --parent-pid {demo.pid}"], capture_output=True, text=True)
        assert workers.stdout.strip(), "the worker is not running beside the server"
        os.kill(demo.pid, signal.SIGTERM)  # the server alone, not its process group
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the demo did not stop within 60 s of SIGTERM:\n" + _hang_report(demo.pid, tmp_path))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and subprocess.run(
                ["pgrep", "-f", f"worker --parent-pid {demo.pid}"], capture_output=True).returncode == 0:
            time.sleep(0.5)
        assert subprocess.run(["pgrep", "-f", f"worker --parent-pid {demo.pid}"],
                              capture_output=True).returncode == 1, "the worker outlived the server"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(demo.pid, signal.SIGKILL)
        output.close()


def _hang_report(session: int, tmp_path) -> str:
    """What the processes of a hung demo are doing: their states, then the Python stacks of all their threads
    (SIGABRT makes faulthandler print them into the demo's output), then what the demo printed."""
    import contextlib
    import os
    import signal
    import subprocess
    import time

    ps = subprocess.run(["ps", "-s", str(session), "-L", "-o", "pid,lwp,ppid,stat,wchan:32,comm,args"],
                        capture_output=True, text=True).stdout
    for line in ps.splitlines()[1:]:
        pid, lwp = line.split()[:2]
        if pid == lwp:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGABRT)
    time.sleep(3)
    return ps + "\n" + (tmp_path / "demo-output.txt").read_text(errors="replace")[-20000:]
