"""The workflow table: every (status, transition) pair, allowed or refused."""

from __future__ import annotations

import pytest

from residence.audit.actions import ACTIONS
from residence.permits.workflow import STEPS, NotAllowed, Status, Transition, allowed, audit_action, target

EXPECTED = {
    (Status.SUBMITTED, Transition.ACCEPT): Status.ACCEPTED,
    (Status.SUBMITTED, Transition.WITHDRAW): Status.WITHDRAWN,
    (Status.ACCEPTED, Transition.START_REVIEW): Status.IN_REVIEW,
    (Status.ACCEPTED, Transition.WITHDRAW): Status.WITHDRAWN,
    (Status.IN_REVIEW, Transition.REQUEST_INFORMATION): Status.INFORMATION_REQUESTED,
    (Status.IN_REVIEW, Transition.APPROVE): Status.APPROVED,
    (Status.IN_REVIEW, Transition.REFUSE): Status.REFUSED,
    (Status.IN_REVIEW, Transition.WITHDRAW): Status.WITHDRAWN,
    (Status.INFORMATION_REQUESTED, Transition.PROVIDE_INFORMATION): Status.IN_REVIEW,
    (Status.INFORMATION_REQUESTED, Transition.WITHDRAW): Status.WITHDRAWN,
    (Status.APPROVED, Transition.PRODUCE): Status.IN_PRODUCTION,
    (Status.IN_PRODUCTION, Transition.MAKE_READY): Status.READY,
    (Status.READY, Transition.ISSUE): Status.ISSUED,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("transition", list(Transition))
def test_every_pair(status: Status, transition: Transition) -> None:
    expected = EXPECTED.get((status, transition))
    if expected is None:
        with pytest.raises(NotAllowed):
            target(status, transition)
        assert transition not in allowed(status)
    else:
        assert target(status, transition) == expected
        assert transition in allowed(status)


def test_final_statuses_lead_nowhere() -> None:
    assert allowed(Status.ISSUED) == []
    assert allowed(Status.REFUSED) == []
    assert allowed(Status.WITHDRAWN) == []
    assert len(STEPS) == len(Transition)


def test_every_transition_is_audited_in_catalogued_words() -> None:
    assert [audit_action(t) for t in Transition] == [f"permit.application.{done}" for done in (
        "accepted", "review_started", "information_requested", "information_provided", "approved", "refused",
        "sent_to_production", "made_ready", "issued", "withdrawn")]
    assert {audit_action(t) for t in Transition} <= set(ACTIONS)
