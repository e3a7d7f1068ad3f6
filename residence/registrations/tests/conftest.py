"""The registrations tests' landlords: one in Yantian (440308) and one in Luohu (440303), each with a rental unit."""

from __future__ import annotations

import pytest

from residence.accounts.services import user_create
from residence.core.idnumber import check_character
from residence.places.models import Obligor, Unit
from residence.places.services import obligor_account_bind
from residence.workbench.tests.test_browser import PASSWORD


def ident(n: int) -> str:
    first = f"44030819880808{n:03d}"
    return first + check_character(first)


@pytest.fixture
def landlords(city) -> dict:
    out = {}
    for name, district in [("yt", "440308"), ("lh", "440303")]:
        obligor = Obligor.objects.create(name=f"房东{name}", kind="landlord")
        account = user_create(actor=None, username=f"ll_{name}", password=PASSWORD, role="landlord",
                              check_password=False)
        obligor_account_bind(actor=None, obligor_id=obligor.pk, username=f"ll_{name}")
        unit = (Unit.objects.filter(building__grid__path__contains=f"/{district}/", obligor__isnull=True)
                .order_by("pk").first())
        Unit.objects.filter(pk=unit.pk).update(obligor=obligor, is_rental=True)
        out[name] = {"obligor": Obligor.objects.get(pk=obligor.pk), "account": account, "unit": unit.code}
    return out


