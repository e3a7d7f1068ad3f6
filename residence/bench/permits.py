"""The permit figures of `residence bench`: eligibility in batch from the database (assessments stored) beside the
engine's own rate on the same situations, and the reviewer's queue and the lapsed-permits count per jurisdiction at
a million permits (written set-based into the bench database first, once).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from residence.bench.measure import Figure, percentile
from residence.core.bulk import bulk_insert, deferred_indexes, next_id, reset_sequence
from residence.core.rules import locality
from residence.eligibility.models import Assessment, Purpose
from residence.eligibility.services import ELIGIBILITY_OUTPUTS, assessments_run
from residence.eligibility.situations import situations_for
from residence.people.models import Person
from residence.permits.lifecycle import lapsed_report
from residence.permits.models import Permit, PermitApplication
from residence.permits.selectors import review_queue
from residence.permits.workflow import OPEN
from residence.places.models import AcceptancePoint
from residence.registrations.models import Registration
from residence_rules import evaluate

CHUNK = 10_000  # persons assessed per call, as the batch job would


# --- eligibility in batch --------------------------------------------------------------------------------------
def eligibility_figures(n: int, say: Callable[[str], None]) -> list[Figure]:
    """Assess `n` persons (the first by id) from the database with the assessments stored, CHUNK at a time; beside
    it the engine alone on the same situations (read once beforehand, untimed)."""
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True)[:n])
    today = timezone.localdate()
    where = locality()
    say(f"eligibility: the engine alone on {len(ids):,} situations, then situations + engine + stored assessments …")
    situations = [s for start in range(0, len(ids), CHUNK)
                  for s in situations_for(ids[start:start + CHUNK], today).values()]
    evaluate(list(ELIGIBILITY_OUTPUTS), situations[:1_000], today, where)  # warm-up
    t = time.perf_counter()
    for start in range(0, len(situations), CHUNK):
        evaluate(list(ELIGIBILITY_OUTPUTS), situations[start:start + CHUNK], today, where)
    engine = len(situations) / (time.perf_counter() - t)
    before = Assessment.objects.count()
    t = time.perf_counter()
    for start in range(0, len(ids), CHUNK):
        assessments_run(person_ids=ids[start:start + CHUNK], as_of=today, purpose=Purpose.BATCH)
    stored = len(ids) / (time.perf_counter() - t)
    assert Assessment.objects.count() == before + len(ids)
    return [Figure("raw: rules engine alone (eligibility, vectorised)", engine, "persons/s"),
            Figure(f"eligibility in batch from the database, stored ({len(ids):,} persons)", stored, "persons/s",
                   "≥ 5,000", "engine alone", engine)]


# --- a million permits -----------------------------------------------------------------------------------------
def permits_fill(target: int, say: Callable[[str], None], seed: int = 3) -> int:
    """Top the permits up to `target` rows (raw COPY, one issued application each): every person with a registration
    holds one standing permit (valid mostly, some suspended: lapsed, some dormant); the rest are earlier permits of
    the same persons, cancelled. About 5% of the persons also have an application waiting for review (accepted or
    in review), a third of those overdue. Returns the permits in the table."""
    have = Permit.objects.count()
    if have >= target:
        return have
    rng = np.random.default_rng(seed)
    holders = list(Registration.objects.current().order_by("person_id").values_list("person_id", "area_path")
                   .distinct())
    standing = set(Permit.objects.exclude(status="cancelled").values_list("person_id", flat=True))
    points = list(AcceptancePoint.objects.filter(kind="police_station").values_list("pk", flat=True))
    n = target - have
    today = timezone.localdate()
    now = timezone.now()
    say(f"permits: writing {n:,} permits with their applications (COPY) …")
    fresh = [(pid, path) for pid, path in holders if pid not in standing]
    waiting = set(rng.choice(len(holders), size=len(holders) // 20, replace=False).tolist()) if holders else set()
    a0, m0 = next_id(PermitApplication), next_id(Permit)
    people = [fresh[i] if i < len(fresh) else holders[int(rng.integers(len(holders)))] for i in range(n)]
    statuses = np.where(np.arange(n) < len(fresh),
                        rng.choice(np.array(["valid", "suspended", "dormant"]), size=n, p=[.86, .1, .04]), "cancelled")
    issued = today - rng.integers(1, 5 * 365, size=n).astype("timedelta64[D]").astype(object)
    due_shift = rng.integers(1, 365, size=n)
    with transaction.atomic(), deferred_indexes(PermitApplication, Permit):
        bulk_insert(PermitApplication, [
            "id", "person_id", "status", "channel", "relation", "applicant_name", "unable_to_attend",
            "acceptance_point_id", "area_path", "claimed_basis", "materials", "submitted_at", "accepted_at",
            "due_on", "decision_note", "delivery", "tracking_number", "receipt_number"], (
            (a0 + i, pid, "issued", "counter", "self", "", False, points[i % len(points)], path, "employment", "[]",
             now, now, today, "", "counter", "", "") for i, (pid, path) in enumerate(people)))
        bulk_insert(Permit, [
            "id", "number", "person_id", "application_id", "status", "issued_on", "anchor_on", "endorsed_years",
            "endorsement_due_on", "issuing_authority", "acceptance_point_id", "area_path", "residence_address",
            "workplace", "card_seq", "status_changed_at", "cancel_reason", "created_at"], (
            (m0 + i, f"BENCH{m0 + i:012d}", pid, a0 + i, str(statuses[i]), issued[i], issued[i], 0,
             today - dt.timedelta(days=int(due_shift[i])) if statuses[i] == "suspended"
             else today + dt.timedelta(days=int(due_shift[i])), "公安分局", points[i % len(points)], path, "",
             "", 1, now, "left_deployment" if statuses[i] == "cancelled" else "", now)
            for i, (pid, path) in enumerate(people)))
        w0 = a0 + n
        busy = set(PermitApplication.objects.filter(status__in=OPEN).values_list("person_id", flat=True))
        open_rows = [holders[k] for k in sorted(waiting) if holders[k][0] not in busy]
        open_status = rng.choice(np.array(["accepted", "in_review"]), size=len(open_rows))
        due = today + rng.integers(-10, 16, size=len(open_rows)).astype("timedelta64[D]").astype(object)
        bulk_insert(PermitApplication, [
            "id", "person_id", "status", "channel", "relation", "applicant_name", "unable_to_attend",
            "acceptance_point_id", "area_path", "claimed_basis", "materials", "submitted_at", "accepted_at",
            "due_on", "decision_note", "delivery", "tracking_number", "receipt_number"], (
            (w0 + i, pid, str(open_status[i]), "online", "self", "", False, points[i % len(points)], path,
             "employment", "[]", now, now, due[i], "", "", "", "")
            for i, (pid, path) in enumerate(open_rows)))
    reset_sequence(PermitApplication)
    reset_sequence(Permit)
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE permits_permit")
        cur.execute("VACUUM ANALYZE permits_permitapplication")
    return Permit.objects.count()


def queue_figures(lookups: int, n_permits: int, say: Callable[[str], None]) -> list[Figure]:
    """p50 and p99 of the reviewer's queue (a district reviewer) and of the lapsed report per jurisdiction (city,
    district, street), each asked `lookups` times."""
    from residence.bench.measure import _bench_user

    reviewer, manager = _bench_user("reviewer"), _bench_user("manager")  # the manager: the whole city
    say(f"reviewer's queue and lapsed report at {n_permits:,} permits …")
    out = []
    for _ in range(20):
        review_queue(user=reviewer)
    lat = []
    for _ in range(lookups):
        t = time.perf_counter()
        shown = review_queue(user=reviewer)
        lat.append(time.perf_counter() - t)
    assert shown, "the reviewer's queue is empty"
    out += [Figure(f"reviewer's queue (district), p50 ({n_permits:,} permits)", percentile(lat, 50) * 1000, "ms"),
            Figure(f"reviewer's queue (district), p99 ({n_permits:,} permits)", percentile(lat, 99) * 1000, "ms",
                   "≤ 50 ms")]
    for _ in range(10):
        lapsed_report(user=manager)
    lat = []
    for _ in range(lookups):
        t = time.perf_counter()
        lapsed_report(user=manager)
        lat.append(time.perf_counter() - t)
    out += [Figure(f"lapsed report (city manager), p50 ({n_permits:,} permits)", percentile(lat, 50) * 1000,
                   "ms"),
            Figure(f"lapsed report (city manager), p99 ({n_permits:,} permits)", percentile(lat, 99) * 1000,
                   "ms", "≤ 50 ms")]
    return out
