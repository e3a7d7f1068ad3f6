"""Every endpoint × every role × in-scope / out-of-scope. Expected outcomes are written out here, not derived from
the grants table, so that a change in accounts/roles.py that widens access fails this test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from residence.accounts.models import ApiClient, User
from residence.accounts.services import api_client_create, user_create
from residence.audit.models import Event
from residence.core.idnumber import check_character
from residence.core.models import ImportJob
from residence.people.models import Person
from residence.people.services import person_create
from residence.permits.models import Permit, PermitApplication, ProductionBatch
from residence.places.models import AcceptancePoint, Building, Obligor, Unit
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db

ROLES = ["admin", "clerk", "reviewer", "production", "grid_worker", "enforcement", "manager", "landlord", "hotel",
         "employer", "resident"]
STAFF = {"admin", "clerk", "reviewer", "production", "grid_worker", "enforcement", "manager"}
SEARCH = STAFF
VIEW = SEARCH
UNMASK = {"admin", "clerk", "reviewer"}
BROWSE = {"admin", "clerk", "reviewer", "grid_worker", "enforcement", "manager"}
AUDIT = {"admin", "manager"}
IMPORT = {"admin"}
PREMISES = {"landlord", "hotel", "employer"}
STAYS = {"hotel"}  # the front desk of a hotel or hourly rental
OWN_RECORD = {"resident"}
RECORD = {"admin", "clerk", "grid_worker"}  # register at the counter or the door; correct, withdraw, end
MANAGE_ACCOUNTS = {"admin", "manager"}
MANAGE_OBLIGORS = {"admin", "manager"}
MANAGE_CLIENTS = {"admin"}
COMPLIANCE = {"admin", "enforcement", "manager"}  # the obligors behind their duty to declare, and one's file
PERMIT_COUNTER = {"admin", "clerk"}  # endorse, change, replace, reissue, cancel a permit
LAPSED = {"admin", "manager"}  # the lapsed permits of one's area
PRODUCE = {"admin", "production"}  # the card centre's batches, manifests and print sheets
ISSUE = {"admin", "clerk"}  # hand a ready permit card over at one's acceptance point
EVIDENCE = {"admin", "clerk"}  # evidence seen for a person (lease, labour contract…), entered at the counter
EMPLOYER = {"employer"}  # an employer's hires and separations
ACCEPT = {"admin", "clerk"}  # the counter's queue of permit applications
REVIEW = {"admin", "reviewer"}  # the reviewer's queue and page
FILE = {"admin", "clerk", "grid_worker"}  # file a permit application for a person of one's area
EVERYONE = set(ROLES)
NOBODY: set[str] = set()  # a job's page is its owner's alone: no role sees another's
ID = "440308199001010013"[:17] + check_character("44030819900101001")
ID2 = "44030819900101002" + check_character("44030819900101002")


@pytest.fixture
def target(city) -> dict[str, object]:
    person = person_create(actor=None, id_number=ID, name="测试人", phone="13600000000")
    unit = Unit.objects.filter(building__grid__path__contains="/440308/", obligor__isnull=True).order_by("pk").first()
    assert unit is not None
    registration = Registration.objects.create(person=person, unit=unit, started_on=dt.date(2025, 3, 1))
    staff = user_create(actor=None, username="matrix-target", password="x", role="clerk", jurisdiction_code="440308",
                        check_password=False)
    obligor = Obligor.objects.filter(jurisdiction__path__contains="/440308/").order_by("pk").first()
    assert obligor is not None
    api_client_create(actor=None, name="矩阵局", scopes=["person.view"], jurisdiction_code="440308")
    job = ImportJob.objects.create(owner=staff, kind="registrations.declarations", total=1)
    point = AcceptancePoint.objects.filter(kind="police_station", jurisdiction__path__contains="/440308/") \
        .order_by("code").first()
    application = PermitApplication.objects.create(person=person, channel="online", acceptance_point=point,
                                                   area_path=unit.building.grid.path, submitted_at=timezone.now())
    # a second person's card, ready at the point (one open application per person)
    holder = person_create(actor=None, id_number=ID2, name="测试二", phone="13600000001")
    Registration.objects.create(person=holder, unit=unit, started_on=dt.date(2025, 3, 1))
    batch = ProductionBatch.objects.create(created_at=timezone.now(), created_by=staff)
    ready = PermitApplication.objects.create(person=holder, channel="counter", acceptance_point=point,
                                             area_path=unit.building.grid.path, submitted_at=timezone.now(),
                                             status="ready", batch=batch)
    permit = Permit.objects.create(
        number="440308000000009999", person=person, issued_on=dt.date(2025, 6, 1), anchor_on=dt.date(2025, 6, 1),
        endorsement_due_on=dt.date(2026, 6, 1), issuing_authority="盐田分局", acceptance_point=point,
        area_path=registration.area_path, residence_address="x", status_changed_at=timezone.now(),
        created_at=timezone.now())
    return {"person": person, "building": unit.building, "unit": unit, "area": "440308001", "staff": staff.username,
            "obligor": obligor.pk, "client": ApiClient.objects.get(name="矩阵局").pk,
            "registration": registration.pk, "job": job.pk, "batch": batch.pk, "ready": ready.pk,
            "application": application.pk, "permit": permit.pk}


def endpoints(t: dict[str, object]) -> list[tuple[str, str, str, set[str], dict[str, str] | None]]:
    p: Person = t["person"]  # type: ignore[assignment]
    b: Building = t["building"]  # type: ignore[assignment]
    u: Unit = t["unit"]  # type: ignore[assignment]
    return [
        ("home", "get", "/", STAFF, None),
        ("premises", "get", "/places/mine/", PREMISES, None),
        ("stays-desk", "get", "/stays/", STAYS, None),
        ("residents-mine", "get", "/registrations/mine/", PREMISES, None),
        ("registration", "get", f"/registrations/{t['registration']}/", RECORD, None),
        ("self-declare", "get", "/registrations/declare/", OWN_RECORD, None),
        ("pending-declarations", "get", "/registrations/pending/", RECORD, None),
        ("declarations-upload", "get", "/registrations/mine/upload/", PREMISES, None),
        ("declarations-template", "get", "/registrations/mine/upload/?template=xlsx", PREMISES, None),
        ("import-job", "get", f"/jobs/{t['job']}/", NOBODY, None),  # the job's owner only (see below)
        ("import-job-progress", "get", f"/jobs/{t['job']}/progress/", NOBODY, None),
        ("otp", "get", "/accounts/otp/", STAFF, None),
        ("own-record", "get", "/me/", OWN_RECORD, None),
        ("search", "post", "/people/", SEARCH, {"q": ID}),
        ("detail", "get", f"/people/{p.pk}/", VIEW, None),
        ("unmask", "post", f"/people/{p.pk}/unmask/", UNMASK, {"purpose": "matrix"}),
        ("browse", "get", "/places/", BROWSE, None),
        ("area", "get", f"/places/area/{t['area']}/", BROWSE, None),
        ("building", "get", f"/places/building/{b.address_code}/", BROWSE, None),
        ("unit", "get", f"/places/unit/{u.pk}/", BROWSE, None),
        ("audit", "get", "/audit/", AUDIT, None),
        ("import", "get", "/places/import/", IMPORT, None),
        ("resident-import", "get", "/registrations/import/", IMPORT, None),
        ("import-template", "get", "/places/import/?template=xlsx", IMPORT, None),
        ("resident-import-template", "get", "/registrations/import/?template=xlsx", IMPORT, None),
        ("api-search", "json", "/api/people/search", SEARCH, {"q": ID}),
        ("api-detail", "get", f"/api/people/{p.pk}", VIEW, None),
        ("password-code-page", "get", "/accounts/password/", EVERYONE, None),
        ("manage-accounts", "get", "/manage/accounts/", MANAGE_ACCOUNTS, None),
        ("manage-account-new", "get", "/manage/accounts/new/", MANAGE_ACCOUNTS, None),
        ("manage-account", "get", f"/manage/accounts/{t['staff']}/", MANAGE_ACCOUNTS, None),
        ("manage-password-code", "post", f"/manage/accounts/{t['staff']}/password-code/", MANAGE_ACCOUNTS, {}),
        ("manage-obligors", "get", "/manage/obligors/", MANAGE_OBLIGORS, None),
        ("manage-obligor-new", "get", "/manage/obligors/new/", MANAGE_OBLIGORS, None),
        ("manage-obligor-import", "get", "/manage/obligors/import/", MANAGE_OBLIGORS, None),
        ("manage-obligor", "get", f"/manage/obligors/{t['obligor']}/", MANAGE_OBLIGORS, None),
        ("manage-clients", "get", "/manage/clients/", MANAGE_CLIENTS, None),
        ("manage-client-new", "get", "/manage/clients/new/", MANAGE_CLIENTS, None),
        ("manage-client-rotate", "post", f"/manage/clients/{t['client']}/rotate/", MANAGE_CLIENTS, {}),
        ("compliance", "get", "/compliance/", COMPLIANCE, None),
        ("compliance-obligor", "get", f"/compliance/{t['obligor']}/", COMPLIANCE, None),
        # a refused replacement (the old card not handed back): answered at the counter, changes nothing
        ("permit-replace", "post", f"/permits/{t['permit']}/replace/", PERMIT_COUNTER, {}),
        ("permits-lapsed", "get", "/permits/lapsed/", LAPSED, None),
        ("permit-production", "get", "/permits/production/", PRODUCE, None),
        ("permit-manifest", "get", f"/permits/production/{t['batch']}/manifest.xlsx", PRODUCE, None),
        ("permit-print-sheet", "get", f"/permits/production/{t['batch']}/print-sheet.pdf", PRODUCE, None),
        ("permit-issue-list", "get", "/permits/issue/", ISSUE, None),
        ("permit-issue", "get", f"/permits/issue/{t['ready']}/", ISSUE, None),
        ("employment-mine", "get", "/employment/mine/", EMPLOYER, None),
        ("employment-upload", "get", "/employment/mine/upload/", EMPLOYER, None),
        ("employment-template", "get", "/employment/mine/upload/?template=xlsx", EMPLOYER, None),
        ("evidence-add", "post", f"/employment/evidence/{p.pk}/", EVIDENCE,
         {"kind": "lease", "started_on": "2025-03-01", "document": "租赁合同 M-1"}),
        ("permit-apply", "get", "/permits/apply/", OWN_RECORD, None),
        ("permit-counter", "get", "/permits/counter/", ACCEPT, None),
        ("permit-review-queue", "get", "/permits/review/", REVIEW, None),
        ("permit-application", "get", f"/permits/applications/{t['application']}/", STAFF, None),
        ("permit-review", "get", f"/permits/review/{t['application']}/", REVIEW, None),
        ("permit-file", "get", f"/permits/person/{p.pk}/apply/", FILE, None),
    ]


def scoped(name: str) -> bool:
    """Endpoints whose answer depends on where the record is (home, the audit page and one's own pages do not)."""
    return name not in {"home", "audit", "browse", "import", "resident-import", "import-template",
                        "resident-import-template", "premises", "stays-desk", "residents-mine", "own-record", "otp",
                        "self-declare", "pending-declarations",
                        "declarations-upload", "declarations-template", "import-job", "import-job-progress",
                        "password-code-page", "manage-accounts", "manage-account-new", "manage-obligors",
                        "manage-obligor-new", "manage-obligor-import", "manage-clients", "manage-client-new",
                        "compliance", "permit-production", "permit-issue-list", "employment-mine",
                        "employment-upload", "employment-template", "permit-apply", "permit-counter",
                        "permit-review-queue", "permits-lapsed"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("district", ["440308", "440303"])
def test_matrix(client: Client, make_user, target, role: str, district: str) -> None:
    in_scope = district == "440308"
    user = make_user(f"{role}-{district}", role, district if role in STAFF else "")
    if role == "employer":  # an employer (its pages are its own: none depends on the district)
        Obligor.objects.filter(pk=Obligor.objects.filter(kind="employer").order_by("pk")[0].pk).update(account=user)
    if role in {"landlord", "hotel"}:  # an obligor bound to premises (out of scope: the other district's)
        unit = Unit.objects.filter(building__grid__path__contains=f"/{district}/", obligor__isnull=False).first()
        assert unit is not None
        assert unit.obligor is not None
        unit.obligor.account = user
        unit.obligor.save()
    if role == "resident":  # a resident bound to a person of the district (never the target: see own-record)
        user.person_id = Registration.objects.filter(unit__building__grid__path__contains=f"/{district}/").exclude(
            person=target["person"]).values_list("person_id", flat=True).first()
        user.save()
    client.force_login(user)
    for name, method, url, allowed, data in endpoints(target):
        unmasked_before = Event.objects.filter(action="person.identity.unmasked").count()
        if method == "json":
            response = client.post(url, data, content_type="application/json")
        else:
            response = client.post(url, data) if method == "post" else client.get(url)
        ok = role in allowed and (in_scope or not scoped(name))
        if name == "search" and role in allowed:
            ok_status = 200  # a search answers, with or without the person
            assert response.status_code == ok_status, (name, role, district)
            assert (ID[:6] + "************" in response.content.decode()) is in_scope, (name, role)
            # the full number shows only where the clerk typed it, never in the results
            assert response.content.decode().count(ID) == 1, (name, role)
            continue
        if name == "api-search" and role in allowed:
            assert response.status_code == 200, (name, role, district)
            assert len(response.json()) == (1 if in_scope else 0), (name, role, district)
            continue
        if name == "home" and role not in allowed:  # obligors and residents are sent to their own page
            assert response.status_code == 302, (role, district)
            assert response["Location"] == {"landlord": "/places/mine/", "hotel": "/places/mine/",
                                            "employer": "/places/mine/", "resident": "/me/"}[role]
            continue
        if name == "evidence-add":  # recorded, then back to the person's page; only where the page answers
            assert response.status_code == (302 if ok else 404), (name, role, district, response.status_code)
            recorded = Event.objects.filter(action="employment.evidence.recorded", actor_id=user.pk).count()
            assert recorded == (1 if ok else 0), (role, district)
            continue
        if name == "permit-replace":  # back to the person page with the refusal; the card is unchanged
            assert response.status_code == (302 if ok else 404), (role, district)
            assert Permit.objects.get(pk=target["permit"]).card_seq == 1
            continue
        expected = 200 if ok else 404
        assert response.status_code == expected, (name, role, district, response.status_code)
        if name in {"building", "unit"} and ok:  # its residents, masked: the division code, never the number
            assert "测试人" in response.content.decode(), (name, role)
            assert ID not in response.content.decode(), (name, role)
        if name in {"detail", "api-detail"} and ok:  # the birth date only where unmasking is allowed anyway
            assert ("1990-01-01" in response.content.decode()) is (role in UNMASK), (name, role)
        if name == "own-record" and ok:  # their own record, never the target's, and the read is logged
            assert target["person"].name not in response.content.decode()  # type: ignore[attr-defined]
            assert Event.objects.filter(action="person.record.viewed", actor_id=user.pk,
                                        subject_id=str(user.person_id)).exists()
        if name.endswith("template") and ok:  # the XLSX itself, not the page
            assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if name == "manage-password-code":  # a code is issued only where the page answers
            issued = Event.objects.filter(action="account.password_code.issued", actor_id=user.pk).count()
            assert issued == (1 if ok else 0), (role, district)
        if name == "manage-client-rotate":
            rotated = Event.objects.filter(action="account.token.rotated", actor_id=user.pk).count()
            assert rotated == (1 if ok else 0), (role, district)
        if name in {"manage-accounts", "manage-clients", "manage-obligors"} and ok:  # lists show only the area
            shown = response.content.decode()
            marker = {"manage-accounts": "matrix-target", "manage-clients": "矩阵局",
                      "manage-obligors": f"/manage/obligors/{target['obligor']}/"}[name]
            assert (marker in shown) is in_scope, (name, role, district)
        if name == "permit-counter" and ok:  # the counter's queue holds its area's applications only
            assert (f"/permits/applications/{target['application']}/" in response.content.decode()) is in_scope
        if name == "compliance-obligor":  # a read of personal data: recorded where it answered, only there
            viewed = Event.objects.filter(action="obligor.compliance.viewed", actor_id=user.pk).count()
            assert viewed == (1 if ok else 0), (role, district)
        if name == "unmask":
            after = Event.objects.filter(action="person.identity.unmasked").count()
            assert after == unmasked_before + (1 if ok else 0), (role, district)
            assert (ID in response.content.decode()) is ok, (role, district)


def test_a_job_page_is_its_owners(client: Client, target) -> None:
    """The one account that sees an import job's pages: the one that started it (every role is refused above)."""
    client.force_login(User.objects.get(username=target["staff"]))
    assert client.get(f"/jobs/{target['job']}/").status_code == 200
    assert client.get(f"/jobs/{target['job']}/progress/").status_code == 200
    assert client.get(f"/jobs/{target['job'] + 1}/").status_code == 404


@pytest.mark.parametrize(("url", "method"), [("/", "get"), ("/people/", "post"), ("/people/1/", "get"),
                                             ("/places/", "get"), ("/audit/", "get"), ("/people/1/unmask/", "post"),
                                             ("/places/mine/", "get"), ("/me/", "get"), ("/places/unit/1/", "get"),
                                             ("/registrations/import/", "get"),
                                             ("/registrations/import/?template=xlsx", "get"),
                                             ("/places/import/?template=xlsx", "get"),
                                             ("/manage/accounts/", "get"), ("/manage/obligors/", "get"),
                                             ("/manage/clients/", "get"), ("/compliance/", "get"),
                                             ("/compliance/1/", "get"),
                                             ("/manage/accounts/matrix-target/unlock/", "post"),
                                             ("/registrations/mine/upload/", "get"), ("/jobs/1/", "get"),
                                             ("/jobs/1/progress/", "get"), ("/permits/production/", "get"),
                                             ("/permits/issue/", "get"), ("/permits/issue/1/", "get"),
                                             ("/permits/counter/", "get"), ("/permits/review/", "get"),
                                             ("/permits/applications/1/", "get"), ("/permits/lapsed/", "get"),
                                             ("/permits/1/endorse/", "post")])
def test_anonymous_is_sent_to_log_in(client: Client, url: str, method: str) -> None:
    response = client.post(url, {"purpose": "x"}) if method == "post" else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/me/login/" if url == "/me/" else "/accounts/login/")
    assert not Event.objects.filter(action="person.identity.unmasked").exists()


def test_anonymous_api_is_401(client: Client) -> None:
    assert client.post("/api/people/search", {"q": "x"}, content_type="application/json").status_code == 401
    assert client.get("/api/people/1").status_code == 401
    assert client.post("/api/v1/stays/check-ins", {"items": []}, content_type="application/json").status_code == 401
    assert client.get("/api/v1/stays/units").status_code == 401


RESIDENT_CSV = "身份证号,姓名,房屋编码,居住起始日期\n{id},矩阵测,{unit},2025-01-01\n"


@pytest.mark.parametrize("role", ROLES)
def test_a_denied_import_commit_writes_nothing(client: Client, make_user, city, role: str) -> None:
    """An administrator checks a file; anybody else posting its token to commit it changes nothing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    unit = Unit.objects.filter(building__grid__path__contains="/440308/").order_by("pk").first()
    assert unit is not None
    first = "43010219800101055"
    data = RESIDENT_CSV.format(id=first + check_character(first), unit=unit.code).encode()
    admin = make_user("matrix-admin", "admin", "440308")
    client.force_login(admin)
    page = client.post("/registrations/import/", {"file": SimpleUploadedFile("r.csv", data)}).content.decode()
    token = page.split('name="token" value="')[1][:32]
    user = admin if role == "admin" else make_user(f"matrix-{role}", role, "440308" if role in STAFF else "")
    client.force_login(user)
    persons, registrations = Person.objects.count(), Registration.objects.count()
    response = client.post("/registrations/import/", {"token": token, "mode": "all"})
    if role in IMPORT:
        assert response.status_code == 302
        assert Person.objects.count() == persons + 1
    else:
        assert response.status_code == 404
        assert (Person.objects.count(), Registration.objects.count()) == (persons, registrations)
