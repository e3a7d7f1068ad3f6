"""The integrator API over real HTTP, as a hotel's property-management system calls it: bearer key, no cookie, no
CSRF token; one answer per item; exactly once under retries; nothing across premises."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from residence.accounts.services import user_create
from residence.audit.models import Event
from residence.core.idnumber import check_character
from residence.places.models import Obligor, Unit
from residence.places.services import obligor_account_bind
from residence.stays.models import Stay, StayEvent, StayKey
from residence.stays.services import stay_key_issue, stay_keys_purge

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Test-pass#2026"


def ident(n: int) -> str:
    first = f"44030819900101{n:03d}"
    return first + check_character(first)


def hotel(name: str, units: list[Unit]) -> tuple[Obligor, str]:
    obligor = Obligor.objects.create(name=name, kind="hotel")
    user_create(actor=None, username=f"pms_{obligor.pk}", password=PASSWORD, role="hotel", check_password=False)
    obligor_account_bind(actor=None, obligor_id=obligor.pk, username=f"pms_{obligor.pk}")
    Unit.objects.filter(pk__in=[u.pk for u in units]).update(obligor=obligor)
    _token, key = stay_key_issue(actor=None, obligor_id=obligor.pk)
    return obligor, key


@pytest.fixture
def premises(city) -> dict[str, Any]:
    units = list(Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk")[:4])
    a, key_a = hotel("海景酒店", units[:2])
    b, key_b = hotel("山间客栈", units[2:])
    return {"a": a, "key_a": key_a, "b": b, "key_b": key_b, "units_a": [u.code for u in units[:2]],
            "units_b": [u.code for u in units[2:]]}


def post(base: str, path: str, key: str, body: Any, **params: Any) -> requests.Response:
    return requests.post(f"{base}/api/v1/stays/{path}", json=body, params=params,
                         headers={"Authorization": f"Bearer {key}"}, timeout=30)


def at(minutes_ago: int) -> str:
    return (timezone.localtime() - dt.timedelta(minutes=minutes_ago)).isoformat()


def check_in(key: str, n: int, unit: str, minutes_ago: int = 10, **extra: Any) -> dict[str, Any]:
    return {"idempotency_key": key, "id_number": ident(n), "name": "李四", "unit_code": unit,
            "arrived_at": at(minutes_ago), **extra}


def test_a_batch_gets_one_answer_per_item_in_order_and_a_bad_item_blocks_nothing(live_server, premises) -> None:
    base, key, unit = live_server.url, premises["key_a"], premises["units_a"][0]
    bad_id = ident(2)[:-1] + ("0" if ident(2)[-1] != "0" else "1")
    r = post(base, "check-ins", key, {"items": [
        check_in("k1", 1, unit),
        check_in("k2", 2, unit) | {"id_number": bad_id},
        check_in("k3", 3, "NO-SUCH-UNIT"),
        check_in("k4", 4, unit, minutes_ago=90),  # declared 90 minutes after arrival: late (60 at most)
        check_in("k5", 5, unit) | {"arrived_at": "yesterday"},
    ]})
    assert r.status_code == 200
    body = r.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 0, 3)
    res = body["results"]
    assert [x["status"] for x in res] == ["accepted", "rejected", "rejected", "accepted", "rejected"]
    assert [x["index"] for x in res] == [0, 1, 2, 3, 4]
    assert [x["idempotency_key"] for x in res] == ["k1", "k2", "k3", "k4", "k5"]
    assert res[0]["on_time"] is True
    assert res[3]["on_time"] is False
    assert [(e["field"], e["code"]) for e in res[1]["errors"]] == [("id_number", "id_check")]
    assert [(e["field"], e["code"]) for e in res[2]["errors"]] == [("unit_code", "unit_unknown")]
    assert [(e["field"], e["code"]) for e in res[4]["errors"]] == [("arrived_at", "datetime")]
    stays = Stay.objects.filter(obligor=premises["a"]).order_by("id")
    assert [s.stay_id for s in stays] == [res[0]["stay_id"], res[3]["stay_id"]]
    assert [s.late for s in stays] == [False, True]
    assert all(s.area_path.startswith("/440300/440308/") or "/440308/" in s.area_path for s in stays)
    assert set(StayKey.objects.filter(obligor=premises["a"]).values_list("key", flat=True)) == {"k1", "k4"}
    event = Event.objects.get(action="stay.checked_in")
    assert event.data["stays"] == [res[0]["stay_id"], res[3]["stay_id"]]
    assert event.data["rejected"] == 3
    assert ident(1) not in str(event.data)


def test_a_retry_is_a_duplicate_with_the_first_answer_and_a_changed_item_is_key_reused(live_server, premises) -> None:
    base, key, unit = live_server.url, premises["key_a"], premises["units_a"][0]
    item = check_in("room-101-a", 7, unit)
    first = post(base, "check-ins", key, {"items": [item]}).json()["results"][0]
    again = post(base, "check-ins", key, {"items": [item, item]}).json()
    assert [x["status"] for x in again["results"]] == ["duplicate", "duplicate"]
    assert {x["stay_id"] for x in again["results"]} == {first["stay_id"]}
    assert again["results"][0]["on_time"] == first["on_time"]
    changed = post(base, "check-ins", key, {"items": [item | {"name": "王五"}]}).json()["results"][0]
    assert changed["status"] == "rejected"
    assert changed["errors"][0]["code"] == "key_reused"
    assert Stay.objects.filter(obligor=premises["a"]).count() == 1
    # a corrected item may come back under the key its rejected version had
    bad = post(base, "check-ins", key, {"items": [check_in("fix-me", 8, "NOPE")]}).json()["results"][0]
    assert bad["status"] == "rejected"
    good = post(base, "check-ins", key, {"items": [check_in("fix-me", 8, unit)]}).json()["results"][0]
    assert good["status"] == "accepted"


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite's in-memory test database locks whole tables under "
                    "concurrent requests; on SQLite's file database writers queue on the write lock instead")
def test_the_same_batch_three_times_at_once_is_written_once(live_server, premises) -> None:
    base, key, units = live_server.url, premises["key_a"], premises["units_a"]
    batch = {"items": [check_in(f"c{n}", 100 + n, units[n % 2]) for n in range(200)]}
    answers: list[dict[str, Any]] = []

    def send() -> None:
        answers.append(post(base, "check-ins", key, batch).json())

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 3
    assert sorted(a["accepted"] for a in answers) == [0, 0, 200]
    assert sorted(a["duplicate"] for a in answers) == [0, 200, 200]
    ids = [[x["stay_id"] for x in a["results"]] for a in answers]
    assert ids[0] == ids[1] == ids[2]
    assert Stay.objects.filter(obligor=premises["a"], event=StayEvent.CHECK_IN).count() == 200
    assert StayKey.objects.filter(obligor=premises["a"]).count() == 200


def test_check_out_by_stay_number_or_by_guest_and_unit_and_never_twice(live_server, premises) -> None:
    base, key, unit = live_server.url, premises["key_a"], premises["units_a"][0]
    res = post(base, "check-ins", key, {"items": [check_in("in-1", 11, unit, 120), check_in("in-2", 12, unit, 120)]})
    s1, s2 = (x["stay_id"] for x in res.json()["results"])
    r = post(base, "check-outs", key, {"items": [
        {"idempotency_key": "out-1", "stay_id": s1, "departed_at": at(5)},
        {"idempotency_key": "out-2", "id_number": ident(12), "unit_code": unit, "departed_at": at(200)},
        {"idempotency_key": "out-3", "id_number": ident(12), "unit_code": unit, "departed_at": at(5)},
        {"idempotency_key": "out-4", "stay_id": 999999999, "departed_at": at(5)},
    ]}).json()
    assert [x["status"] for x in r["results"]] == ["accepted", "rejected", "accepted", "rejected"]
    assert r["results"][1]["errors"][0]["code"] == "before_arrival"
    assert r["results"][2]["stay_id"] == s2
    assert r["results"][3]["errors"][0]["code"] == "stay_unknown"
    again = post(base, "check-outs", key, {"items": [
        {"idempotency_key": "out-5", "stay_id": s1, "departed_at": at(1)}]}).json()["results"][0]
    assert again["status"] == "rejected"
    assert again["errors"][0]["code"] == "stay_unknown"
    assert Stay.objects.filter(event=StayEvent.CHECK_OUT).count() == 2
    assert not StayKey.objects.filter(key__in=["out-2", "out-4", "out-5"]).exists()


def test_a_front_desk_clock_a_few_minutes_ahead_is_on_time_and_further_ahead_is_refused(live_server,
                                                                                       premises) -> None:
    """A desk's clock may run ahead of ours (CLOCK_SKEW): an arrival or departure a few minutes "in the future" is
    accepted as declared on time, never a server error; beyond the allowance it is refused, naming the field."""
    base, key, unit = live_server.url, premises["key_a"], premises["units_a"][0]
    res = post(base, "check-ins", key, {"items": [check_in("skew-in", 21, unit, -5),
                                                  check_in("far-in", 22, unit, -60)]})
    assert res.status_code == 200
    ahead, far = res.json()["results"]
    assert (ahead["status"], ahead["on_time"]) == ("accepted", True)
    assert (far["status"], far["errors"][0]["field"], far["errors"][0]["code"]) == ("rejected", "arrived_at", "future")
    # an arrival before the guest was born (a mistyped year: 0001, 1900) is refused too, naming the field
    for moment in ("0001-01-01T12:00:00+08:00", "1989-12-31T23:00:00+08:00"):  # ident(…) is born 1990-01-01
        r = post(base, "check-ins", key, {"items": [{**check_in(f"old{moment[:4]}", 23, unit), "arrived_at": moment}]})
        assert r.json()["results"][0]["errors"] == [{"field": "arrived_at", "code": "before_birth",
                                                     "message": "入住时间早于旅客的出生日期（据身份证号码）。"}]
    res = post(base, "check-outs", key, {"items": [
        {"idempotency_key": "skew-out", "stay_id": ahead["stay_id"], "departed_at": at(-7)}]})
    assert res.status_code == 200
    out = res.json()["results"][0]
    assert (out["status"], out["on_time"], out["stay_id"]) == ("accepted", True, ahead["stay_id"])
    assert Stay.objects.filter(stay_id=ahead["stay_id"], event=StayEvent.CHECK_OUT).count() == 1


def test_a_guest_checked_in_elsewhere_is_accepted_flagged_and_the_earlier_stay_closed(live_server, premises) -> None:
    base = live_server.url
    first = post(base, "check-ins", premises["key_a"], {"items": [check_in("a", 21, premises["units_a"][0], 300)]})
    earlier = first.json()["results"][0]["stay_id"]
    second = post(base, "check-ins", premises["key_b"], {"items": [check_in("b", 21, premises["units_b"][0], 5)]})
    result = second.json()["results"][0]
    assert result["status"] == "accepted"
    assert [(f["code"], f["stay_id"]) for f in result["flags"]] == [("overlap", earlier)]
    closing = Stay.objects.get(stay_id=earlier, event=StayEvent.DEPARTURE_MISSING)
    assert closing.overlaps == result["stay_id"]
    assert closing.obligor_id == premises["a"].pk


def test_a_returning_guest_whose_earlier_stay_was_checked_out_is_not_flagged(live_server, premises) -> None:
    base = live_server.url
    first = post(base, "check-ins", premises["key_a"], {"items": [check_in("r1", 22, premises["units_a"][0], 300)]})
    earlier = first.json()["results"][0]["stay_id"]
    out = post(base, "check-outs", premises["key_a"], {"items": [
        {"idempotency_key": "r1-out", "stay_id": earlier, "departed_at": at(200)}]}).json()["results"][0]
    assert out["status"] == "accepted"
    again = post(base, "check-ins", premises["key_b"], {"items": [check_in("r2", 22, premises["units_b"][0], 5)]})
    result = again.json()["results"][0]
    assert result["status"] == "accepted"
    assert result["flags"] == []  # the closed stay is not open: nothing overlaps
    assert not Stay.objects.filter(stay_id=earlier, event=StayEvent.DEPARTURE_MISSING).exists()
    third = post(base, "check-ins", premises["key_a"], {"items": [check_in("r3", 22, premises["units_a"][0], 1)]})
    assert [f["code"] for f in third.json()["results"][0]["flags"]] == ["overlap"]  # the open one at b is


def test_one_premises_key_cannot_touch_another_premises_units_or_stays(live_server, premises) -> None:
    base = live_server.url
    mine = post(base, "check-ins", premises["key_a"], {"items": [check_in("x", 31, premises["units_a"][0])]})
    stay_a = mine.json()["results"][0]["stay_id"]
    r = post(base, "check-ins", premises["key_b"], {"items": [check_in("y", 32, premises["units_a"][0])]}).json()
    assert r["results"][0]["errors"][0]["code"] == "unit_unknown"
    r = post(base, "check-outs", premises["key_b"], {"items": [
        {"idempotency_key": "z", "stay_id": stay_a, "departed_at": at(1)}]}).json()
    assert r["results"][0]["errors"][0]["code"] == "stay_unknown"
    assert not Stay.objects.filter(stay_id=stay_a, event=StayEvent.CHECK_OUT).exists()
    units = requests.get(f"{base}/api/v1/stays/units", headers={"Authorization": f"Bearer {premises['key_b']}"},
                         timeout=10).json()
    assert [u["code"] for u in units] == sorted(premises["units_b"])


def test_dry_run_answers_and_writes_nothing(live_server, premises) -> None:
    r = post(live_server.url, "check-ins", premises["key_a"], {"items": [check_in("d", 41, premises["units_a"][0])]},
             dry_run="true").json()
    assert r["dry_run"] is True
    assert r["results"][0]["status"] == "accepted"
    assert not Stay.objects.exists()
    assert not StayKey.objects.exists()
    assert not Event.objects.filter(action="stay.checked_in").exists()


def test_reconciliation_lists_the_days_declarations_with_numbers_and_keys(live_server, premises) -> None:
    base, key, unit = live_server.url, premises["key_a"], premises["units_a"][0]
    s = post(base, "check-ins", key, {"items": [check_in("r1", 51, unit, 30)]}).json()["results"][0]["stay_id"]
    post(base, "check-outs", key, {"items": [{"idempotency_key": "r2", "stay_id": s, "departed_at": at(2)}]})
    today = timezone.localdate().isoformat()
    rows = requests.get(f"{base}/api/v1/stays/reconciliation", params={"date": today},
                        headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert [(x["stay_id"], x["event"], x["idempotency_key"]) for x in rows] == [(s, "check_in", "r1"),
                                                                                 (s, "check_out", "r2")]
    assert "id_number" not in rows[0]
    other = requests.get(f"{base}/api/v1/stays/reconciliation", params={"date": today},
                         headers={"Authorization": f"Bearer {premises['key_b']}"}, timeout=10).json()
    assert other == []


def test_bad_requests_get_clear_answers_and_write_nothing(live_server, premises) -> None:
    base, key, unit = live_server.url, premises["key_a"], premises["units_a"][0]
    too_many = {"items": [check_in(f"m{n}", 1, unit) for n in range(1001)]}
    r = post(base, "check-ins", key, too_many)
    assert r.status_code == 413
    assert r.json()["code"] == "batch_too_large"
    assert "1001" in r.json()["message"]
    r = requests.post(f"{base}/api/v1/stays/check-ins", data=b'{"items": [', timeout=10,
                      headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["detail"].startswith("请求正文不是 JSON")
    # a NUL character (PostgreSQL refuses it in text) anywhere in the body, and a stay number beyond a bigint
    r = post(base, "check-ins", key, {"items": [check_in("nul", 1, unit + "\u0000")]})
    assert (r.status_code, r.json()["detail"]) == (400, "请求正文含有 NUL 字符（U+0000），任何字段都不接受。")
    r = post(base, "check-ins", key, {"items": [check_in("text", 1, unit, name="李\\u0000四")]})
    assert r.status_code == 200  # the six characters \u0000 as text are no NUL: refused as a name, not as a body
    assert r.json()["results"][0]["errors"][0]["field"] == "name"
    for huge in (2**63, 10**30):
        r = post(base, "check-outs", key, {"items": [{"idempotency_key": f"big{huge}", "stay_id": huge,
                                                      "departed_at": at(1)}]})
        assert r.status_code == 200
        assert r.json()["results"][0]["errors"][0]["field"] == "stay_id"
    for wrong in (key + "x", "res_00000000_nothing"):
        assert post(base, "check-ins", wrong, {"items": [check_in("w", 1, unit)]}).status_code == 401
    # a new key revokes the old one
    _token, new_key = stay_key_issue(actor=None, obligor_id=premises["a"].pk)
    assert post(base, "check-ins", key, {"items": [check_in("w", 1, unit)]}).status_code == 401
    assert post(base, "check-ins", new_key, {"items": [check_in("w", 1, unit)]}).status_code == 200
    # a logged-in landlord's session cannot declare stays through the integrator API
    s = requests.Session()
    assert s.post(f"{base}/api/v1/stays/check-ins", json={"items": []}, timeout=10).status_code == 401
    assert Stay.objects.count() == 1


def test_createkey_prints_the_key_once_on_its_last_line_and_refuses_a_landlord(premises, capsys) -> None:
    call_command("createkey", str(premises["a"].pk))
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("res_")
    landlord = Obligor.objects.create(name="张房东", kind="landlord")
    user_create(actor=None, username="ll", password=PASSWORD, role="landlord", check_password=False)
    obligor_account_bind(actor=None, obligor_id=landlord.pk, username="ll")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="只有旅馆和钟点房申报住宿"):
        call_command("createkey", str(landlord.pk))
    with pytest.raises(CommandError, match="没有编号为 999999 的申报义务人"):
        call_command("createkey", "999999")


def test_keys_older_than_the_keeping_period_are_purged(premises, settings) -> None:
    old = timezone.now() - dt.timedelta(days=31)
    StayKey.objects.create(obligor=premises["a"], key="old", digest="x", created_at=old)
    StayKey.objects.create(obligor=premises["a"], key="new", digest="x", created_at=timezone.now())
    assert stay_keys_purge() == 1
    assert list(StayKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_a_single_check_ins_inserts_are_planned_once_per_connection(premises) -> None:
    """A one-item check-in writes its key, its new guest and its stay by one-row INSERTs: prepared, so that
    PostgreSQL plans each once per connection rather than on every declaration (the stay table has a partition a
    month)."""
    from residence.stays.services import stays_check_in

    account = Obligor.objects.get(pk=premises["a"].pk).account
    for n in range(3):
        res = stays_check_in(actor=account, obligor=premises["a"],
                             items=[check_in(f"prep{n}", 70 + n, premises["units_a"][0])])
        assert res[0]["status"] == "accepted"
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%%INSERT INTO%%'")
        inserts = [row[0] for row in cur.fetchall()]
    for table in ('"stays_staykey"', '"people_person"', '"stays_stay"'):
        assert sum(f"INSERT INTO {table} " in s for s in inserts) == 1, (table, inserts)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's; SQLite keeps one table")
def test_stays_land_in_their_months_partition_on_postgresql(premises) -> None:
    from residence.stays.partitions import stay_partitions, stay_partitions_ensure
    from residence.stays.services import stays_check_in

    month = timezone.now().astimezone(dt.UTC)
    this_month = f"stays_stay_y{month.year}m{month.month:02d}"
    assert this_month in stay_partitions()
    assert stay_partitions()[-1] == "stays_stay_default"
    account = Obligor.objects.get(pk=premises["a"].pk).account
    res = stays_check_in(actor=account, obligor=premises["a"], items=[check_in("p", 61, premises["units_a"][0])])
    with connection.cursor() as cur:
        cur.execute("SELECT tableoid::regclass::text FROM stays_stay WHERE stay_id = %s", [res[0]["stay_id"]])
        assert cur.fetchone()[0] == this_month
        cur.execute("SELECT count(*) FROM stays_stay_default")
        assert cur.fetchone()[0] == 0
    cur = connection.cursor()
    cur.execute("SHOW jit")  # a look-up across every partition must not pay seconds of JIT compilation
    assert cur.fetchone()[0] == "off"
    cur.execute("SHOW max_parallel_workers_per_gather")  # nor milliseconds of starting parallel workers
    assert cur.fetchone()[0] == "0"
    assert stay_partitions_ensure(dt.date(2025, 1, 15), dt.date(2025, 2, 1)) == 2
    assert stay_partitions_ensure(dt.date(2025, 1, 15), dt.date(2025, 2, 1)) == 0
    assert {"stays_stay_y2025m01", "stays_stay_y2025m02"} <= set(stay_partitions())


def test_only_a_hotels_or_hourly_rentals_key_declares_stays(live_server, premises) -> None:
    from residence.accounts.models import User
    from residence.accounts.services import api_client_create, token_issue

    department = api_client_create(actor=None, name="教育局", scopes=["person.search"], jurisdiction_code="440308")
    landlord = user_create(actor=None, username="ll2", password=PASSWORD, role="landlord", check_password=False)
    _t, landlord_key = token_issue(actor=None, owner=User.objects.get(pk=landlord.pk), scopes=["premises.own"])
    item = {"items": [check_in("q", 71, premises["units_a"][0])]}
    for key in (department, landlord_key):
        r = post(live_server.url, "check-ins", key, item)
        assert r.status_code == 403
        assert r.json()["code"] == "not_allowed"
        r = requests.get(f"{live_server.url}/api/v1/stays/units", headers={"Authorization": f"Bearer {key}"},
                         timeout=10)
        assert r.status_code == 403
    assert not Stay.objects.exists()


def test_the_documented_example_client_declares_a_check_in_and_its_check_out(live_server, premises) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    client = Path(__file__).resolve().parents[3] / "docs" / "examples" / "pms_client.py"
    base = ["--base", live_server.url, "--key", premises["key_a"]]

    def run(*args: str) -> Any:
        done = subprocess.run([sys.executable, str(client), *base, *args], capture_output=True, text=True,
                              timeout=60, check=True)
        return json.loads(done.stdout)

    units = run("units")
    assert [u["code"] for u in units] == sorted(premises["units_a"])
    args = ("check-in", "--id-number", ident(81), "--name", "赵六", "--unit", units[0]["code"],
            "--idempotency-key", "pms-81", "--arrived-at", at(30))  # a retry sends the same item, time included
    first = run(*args)
    assert first["results"][0]["status"] == "accepted"
    assert run(*args)["results"][0]["status"] == "duplicate"  # a retry with the same key
    stay = first["results"][0]["stay_id"]
    out = run("check-out", "--stay-id", str(stay))
    assert out["results"][0]["status"] == "accepted"
    day = run("reconcile", "--date", timezone.localdate().isoformat())
    assert [(r["stay_id"], r["event"]) for r in day] == [(stay, "check_in"), (stay, "check_out")]


def test_the_answer_a_key_is_claimed_with_is_the_answer_written_after() -> None:
    import json

    from residence.stays.services import Outcome, _planned_json, _result_json

    due = timezone.localtime()
    for late in (False, True):
        out = Outcome("accepted", stay_id=12345, on_time=not late, due_at=due.isoformat())
        assert json.loads(_planned_json(12345, due, late)) == json.loads(_result_json(out))
