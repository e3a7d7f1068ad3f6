"""The permit application's workflow: statuses and the transitions between them, as a table. Pure: no database.

    submitted → accepted → in review (⇄ information requested) → approved / refused
              → in production → ready → issued
    submitted, accepted, in review, information requested → withdrawn

An online application is accepted once the documents have been seen at the acceptance point. Every transition a
service makes is checked here and logged (`ApplicationStep`); a test covers every (status, transition) pair.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    INFORMATION_REQUESTED = "information_requested"
    APPROVED = "approved"
    REFUSED = "refused"
    IN_PRODUCTION = "in_production"
    READY = "ready"
    ISSUED = "issued"
    WITHDRAWN = "withdrawn"


class Transition(StrEnum):
    ACCEPT = "accept"
    START_REVIEW = "start_review"
    REQUEST_INFORMATION = "request_information"
    PROVIDE_INFORMATION = "provide_information"
    APPROVE = "approve"
    REFUSE = "refuse"
    PRODUCE = "produce"
    MAKE_READY = "make_ready"
    ISSUE = "issue"
    WITHDRAW = "withdraw"


class Step(NamedTuple):
    transition: Transition
    sources: frozenset[Status]
    target: Status
    past: str  # the transition done, in the audit action's words: permit.application.<past>


S = Status
STEPS: tuple[Step, ...] = (
    Step(Transition.ACCEPT, frozenset({S.SUBMITTED}), S.ACCEPTED, "accepted"),
    Step(Transition.START_REVIEW, frozenset({S.ACCEPTED}), S.IN_REVIEW, "review_started"),
    Step(Transition.REQUEST_INFORMATION, frozenset({S.IN_REVIEW}), S.INFORMATION_REQUESTED, "information_requested"),
    Step(Transition.PROVIDE_INFORMATION, frozenset({S.INFORMATION_REQUESTED}), S.IN_REVIEW, "information_provided"),
    Step(Transition.APPROVE, frozenset({S.IN_REVIEW}), S.APPROVED, "approved"),
    Step(Transition.REFUSE, frozenset({S.IN_REVIEW}), S.REFUSED, "refused"),
    Step(Transition.PRODUCE, frozenset({S.APPROVED}), S.IN_PRODUCTION, "sent_to_production"),
    Step(Transition.MAKE_READY, frozenset({S.IN_PRODUCTION}), S.READY, "made_ready"),
    Step(Transition.ISSUE, frozenset({S.READY}), S.ISSUED, "issued"),
    Step(Transition.WITHDRAW, frozenset({S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.INFORMATION_REQUESTED}),
         S.WITHDRAWN, "withdrawn"),
)
_BY_NAME = {step.transition: step for step in STEPS}

# the statuses in which the application is still open (no decision reached, or a decision not yet carried out)
OPEN = frozenset({S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.INFORMATION_REQUESTED, S.APPROVED, S.IN_PRODUCTION,
                  S.READY})
# the 15-day clock runs from acceptance until the card is ready, and pauses while information is requested
CLOCK_RUNNING = frozenset({S.ACCEPTED, S.IN_REVIEW, S.APPROVED, S.IN_PRODUCTION})


class NotAllowed(Exception):
    """The transition cannot be made from this status."""

    def __init__(self, status: Status, transition: Transition) -> None:
        super().__init__(f"{transition} is not allowed from {status}")
        self.status, self.transition = status, transition


def target(status: str, transition: str) -> Status:
    """Where `transition` leads from `status`; NotAllowed when the table has no such step."""
    step = _BY_NAME[Transition(transition)]
    current = Status(status)
    if current not in step.sources:
        raise NotAllowed(current, step.transition)
    return step.target


def allowed(status: str) -> list[Transition]:
    """The transitions open from `status`, in the table's order."""
    return [step.transition for step in STEPS if Status(status) in step.sources]


def audit_action(transition: str) -> str:
    """The audit action a service records for `transition` (its words in `audit/actions.py`)."""
    return f"permit.application.{_BY_NAME[Transition(transition)].past}"
