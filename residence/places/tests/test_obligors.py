"""Binding a declaration obligor to its account: the account then sees exactly that obligor's premises."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation

from residence.audit.models import Event
from residence.places.models import Obligor
from residence.places.selectors import premises_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    """The command's messages are matched in English, the catalogue's source."""
    with translation.override("en"):
        yield


def test_bind_then_see_only_ones_own_premises(city, make_user, client: Client, capsys) -> None:
    hotel = Obligor.objects.filter(kind="hotel", units__isnull=False).order_by("pk").first()
    landlord = Obligor.objects.filter(kind="landlord", units__isnull=False).order_by("pk").first()
    assert hotel is not None
    assert landlord is not None
    user = make_user("front-desk", "hotel", "")
    with pytest.raises(CommandError, match="kind"):  # a hotel account cannot take a landlord's premises
        call_command("bindobligor", "front-desk", str(landlord.pk))
    with pytest.raises(CommandError):
        call_command("bindobligor", "front-desk", "999999")
    call_command("bindobligor", "front-desk", str(hotel.pk))
    assert f"front-desk now sees the premises of {hotel.name}" in capsys.readouterr().out
    assert Event.objects.filter(action="place.obligor.bound", subject_id=str(hotel.pk)).exists()

    obligor, units = premises_of(user=user)
    assert obligor == hotel
    assert set(units.values_list("pk", flat=True)) == set(hotel.units.values_list("pk", flat=True))
    make_user("other-desk", "hotel", "")
    with pytest.raises(CommandError, match="another account"):
        call_command("bindobligor", "other-desk", str(hotel.pk))
    make_user("clerk-x", "clerk", "440308")
    with pytest.raises(CommandError, match="obligor account"):  # staff accounts are not obligor accounts
        call_command("bindobligor", "clerk-x", str(hotel.pk))

    # the page (a request activates the browser's language, Chinese here)
    client.force_login(user)
    page = client.get("/places/mine/").content.decode()
    assert page.count('data-label="房间"') == hotel.units.count()  # one row per unit of the hotel
