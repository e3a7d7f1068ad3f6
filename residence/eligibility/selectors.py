"""Reading assessments: a person's eligibility as of a day, and an assessment explained in words."""

from __future__ import annotations

import datetime as dt

from residence.accounts.models import User
from residence.eligibility.models import Assessment
from residence.eligibility.situations import from_json
from residence.people.selectors import person_get_for_user
from residence_rules import RULES_VERSION, evaluate, render


def assessment_explain(*, assessment: Assessment, lang: str = "zh") -> str:
    """The assessment's explanation as an indented tree: every value, parameter (with its source) and "because".

    The engine is deterministic, so the tree is rebuilt from the stored inputs; when the rules changed since the
    assessment was made, the first line says so (a decision's stored trace still holds what it relied on)."""
    outputs = list(assessment.outputs)
    result = evaluate(outputs, [from_json(assessment.inputs)], assessment.as_of, assessment.locality, trace=True,
                      names=[f"person {assessment.person_id}"])
    text = render(result, 0, lang)
    if assessment.rules_version != RULES_VERSION:
        note = {"zh": f"注意:评估时的规则版本为 {assessment.rules_version},现按当前规则 {RULES_VERSION} 重算",
                "en": f"note: assessed under rules version {assessment.rules_version}, replayed under "
                      f"{RULES_VERSION}"}
        text = (note["en"] if lang == "en" else note["zh"]) + "\n" + text
    return text


def latest_assessment(*, user: User, person_id: int, as_of: dt.date | None = None) -> Assessment | None:
    """The person's latest stored assessment (as of `as_of`, when given), if the user may see the person."""
    person_get_for_user(user=user, person_id=person_id)
    found = Assessment.objects.filter(person_id=person_id)
    if as_of is not None:
        found = found.filter(as_of=as_of)
    return found.order_by("-created_at", "-pk").first()
