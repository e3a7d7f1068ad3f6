from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command

from residence.accounts.models import User
from residence.accounts.services import api_token_authenticate
from residence.audit.models import Event
from residence.core.idnumber import parse_id_number
from residence.demo.services import DEMO_PASSWORD, demo_city_generate
from residence.people.identity import reveal_id_number
from residence.people.models import Person
from residence.places.models import AcceptancePoint, Building, Jurisdiction, Obligor, Unit
from residence.registrations.models import Registration

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot() -> list[tuple[str, str, str]]:
    return [(reveal_id_number(p.id_number_enc), p.name, p.phone_masked) for p in Person.objects.order_by("pk")]


def test_demo_city_has_the_yantian_shape_and_valid_people() -> None:
    result = demo_city_generate(persons=500, seed=3)
    assert (result.persons, result.buildings, result.units, result.obligors) == (500, 2000, 20000, 500)
    assert AcceptancePoint.objects.filter(kind="police_station", jurisdiction__path__contains="/440308/").count() == 5
    assert AcceptancePoint.objects.filter(kind="rental_station").count() == 18
    assert Building.objects.count() == 2000
    assert Unit.objects.count() == 20000
    rental = Unit.objects.filter(is_rental=True).count()
    assert 7000 < rental < 9000  # about 40%
    assert set(Obligor.objects.values_list("kind", flat=True)) == {"landlord", "employer", "hotel", "hourly_rental"}
    assert Jurisdiction.objects.filter(level="grid").count() > 50
    people = snapshot()
    assert len({p[0] for p in people}) == 500
    for idn, name, _phone in people:
        parsed = parse_id_number(idn)
        assert parsed.value == idn
        assert 2 <= len(name) <= 4
    assert Registration.objects.filter(ended_on__isnull=True).count() > 350
    with pytest.raises(RuntimeError):
        demo_city_generate(persons=10, seed=3)


def test_same_seed_same_city() -> None:
    demo_city_generate(persons=200, seed=5)
    first = snapshot()
    Registration.objects.all().delete()
    Person.objects.all().delete()
    Unit.objects.all().delete()
    Building.objects.all().delete()
    Obligor.objects.all().delete()
    AcceptancePoint.objects.all().delete()
    for level in ["grid", "community", "street", "district", "city"]:
        Jurisdiction.objects.filter(level=level).delete()
    demo_city_generate(persons=200, seed=5)
    assert snapshot() == first


def test_demo_command_prints_logins_for_every_role(capsys, monkeypatch) -> None:
    from django.conf import settings

    monkeypatch.setattr(settings, "LOCALITY", settings.LOCALITY)  # the command sets both: put them back after
    monkeypatch.setenv("RESIDENCE_LOCALITY", "")
    monkeypatch.delenv("RESIDENCE_LOCALITY")
    call_command("demo", persons=50, seed=1, no_serve=True)
    out = capsys.readouterr().out
    assert "Rules of locality yantian" in out  # the demo city's own rules unless RESIDENCE_LOCALITY says otherwise
    for username in ["admin", "clerk", "clerk_luohu", "reviewer", "production", "gridworker", "enforcement",
                     "manager", "landlord", "employer", "hotel", "hourly"]:
        assert f"  {username} " in out
    for username, kind in [("landlord", "landlord"), ("employer", "employer"), ("hotel", "hotel"),
                           ("hourly", "hourly_rental")]:
        assert User.objects.get(username=username).obligor.kind == kind
    key = re.search(r"Hotel API key[^\n]*\n\s+(res_\S+)", out)
    assert key is not None
    assert api_token_authenticate(key.group(1)).username == "hotel"  # type: ignore[union-attr]
    printed = re.search(r"(?:password for all|密码)[^:：]*[:：]\s*([^\s)）]+)", out)  # as tools read it
    assert printed is not None
    assert printed.group(1) == DEMO_PASSWORD
    validate_password(DEMO_PASSWORD)  # long enough for a staff password (12 characters)
    assert User.objects.get(username="landlord").obligor.kind == "landlord"
    resident = User.objects.get(role="resident")  # its log-in is the ID number, printed in full (synthetic)
    assert reveal_id_number(Person.objects.get(pk=resident.person_id).id_number_enc) in out
    assert Event.objects.filter(action="person.identity.unmasked", subject_id=str(resident.person_id)).exists()
    call_command("demo", persons=50, seed=1, no_serve=True)
    assert "already present" in capsys.readouterr().out
    assert Person.objects.count() == 50


def test_every_hotel_employer_and_hourly_rental_gets_units_whatever_their_count() -> None:
    """The special units go to each obligor of their kind in turn: with 3 or 6 hotels (a multiple of the three
    kinds), the first ones (the demo log-ins' premises) had none, and the bench's hotel could not check anyone in."""
    import numpy as np

    from residence.demo.generator import unit_plan

    for per_kind in (1, 2, 3, 6):
        obligors = [(i, f"o{i}", k) for i, k in enumerate(
            ["landlord"] * 10 + ["employer"] * per_kind + ["hotel"] * per_kind + ["hourly_rental"] * per_kind)]
        plan = unit_plan(np.random.default_rng(1), 2_000, 200, obligors)
        owners = set(plan.obligor.tolist())
        assert all(i in owners for i, _name, _kind in obligors), per_kind
