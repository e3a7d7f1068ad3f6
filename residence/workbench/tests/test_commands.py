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
def test_worker_once_runs_tasks_and_seals_the_audit_chain(settings, capsys) -> None:
    settings.AUDIT_SEAL_GRACE_SECONDS = 0
    for i in range(3):
        event_record(actor=None, action="test.thing.done", subject_id=i)
    call_command("worker", once=True)
    assert "audit.seal: 3" in capsys.readouterr().out
    assert not Event.objects.filter(block_seq__isnull=True).exists()
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
