"""Events as sentences a manager reads: "受理员 张三 查看了 李四 的登记信息，用途：在工作台打开".

The one place that words an event. The sentence of each action, and the words for the codes events record, are in
actions.py beside the action's name; who and what an event names come from the subject types that the upper apps
register (subjects.py), each answering only with what the viewer may see.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from residence.audit.actions import KINDS, SENTENCES, VALUES, action_label
from residence.audit.models import Event
from residence.audit.subjects import subject_names, subject_type

# which word list (actions.VALUES) words each data key, per action where it differs
_REASONS = {"account.resident.code_withheld": "code_withheld", "account.locked": "locked",
            "account.login.failed": "login_failed", "registration.cancelled": "cancel_reason"}


def event_sentences(*, viewer: object, events: list[Event]) -> list[Event]:
    """Set `sentence` (plain text) and `sentence_html` (names kept on one line) on each event, in the active
    language, naming only what `viewer` may see; two or three queries for the whole list."""
    wanted = {("user", str(e.actor_id)) for e in events if e.actor_id is not None}
    wanted |= {(e.subject_type, e.subject_id) for e in events if e.subject_type and e.subject_id}
    for e in events:
        if e.action == "audit.trail.viewed":
            filters = e.data.get("filters", {})
            if filters.get("actor"):
                wanted.add(("user", str(filters["actor"])))
            if filters.get("subject_type") and filters.get("subject_id"):
                wanted.add((filters["subject_type"], str(filters["subject_id"])))
    names = subject_names(viewer, wanted)
    for e in events:
        e.sentence = _sentence(e, names, html=False)  # type: ignore[attr-defined]
        e.sentence_html = _sentence(e, names, html=True)  # type: ignore[attr-defined]
    return events


def event_sentence(*, viewer: object, event: Event) -> str:
    return str(event_sentences(viewer=viewer, events=[event])[0].sentence)  # type: ignore[attr-defined]


def _name(text: str, html: bool) -> str:
    return format_html('<span class="nb">{}</span>', text) if html else text


def _actor(e: Event, names: dict[tuple[str, str], str]) -> str:
    if e.actor_id is None:
        return _("The system")
    return names.get(("user", str(e.actor_id))) or e.actor_label or _("A deleted account")


def _subject(e: Event, names: dict[tuple[str, str], str]) -> str:
    if not e.subject_type:
        return ""
    named = names.get((e.subject_type, e.subject_id))
    if named:
        return named
    kind = subject_type(e.subject_type)
    if kind is None:  # a file name, a job, a key: the id is its name
        return e.subject_id
    return str(kind.unnamed)


def _word(action: str, key: str, value: Any) -> Any:
    table = VALUES.get(_REASONS.get(action, "") if key == "reason" else key, {})
    if isinstance(value, str) and value in table:
        return str(table[value])
    return value


def _filters(e: Event, names: dict[tuple[str, str], str]) -> str:
    f = e.data.get("filters", {})
    parts = []
    if f.get("from") or f.get("to"):
        parts.append(_("dates %(from)s to %(to)s") % {"from": f.get("from") or "…", "to": f.get("to") or "…"})
    if f.get("kind") in KINDS:
        parts.append(_("kind: %(kind)s") % {"kind": KINDS[f["kind"]][0]})
    if f.get("actor"):
        parts.append(_("actor: %(actor)s") % {"actor": names.get(("user", str(f["actor"])), _("an account"))})
    if f.get("actor_unknown"):
        parts.append(_("an actor that no account matches"))
    if f.get("subject_type"):
        kind = subject_type(f["subject_type"])
        named = names.get((f["subject_type"], str(f.get("subject_id", ""))))
        parts.append(_("about: %(subject)s") % {
            "subject": named or (kind.unnamed if kind and f.get("subject_id") else kind.noun if kind else "")})
    if f.get("action"):
        parts.append(_("action: %(action)s") % {"action": action_label(f["action"])})
    if f.get("older"):
        parts.append(_("older pages"))
    return _("; ").join(str(p) for p in parts) if parts else _("no filters")


def _variant(e: Event) -> str:
    if e.action in {"account.login.failed", "account.login.locked_out"} and not e.subject_id:
        return ":unknown"
    if e.action == "access.refused":
        if e.data.get("reason") == "role":
            return ":role"
        if not e.subject_type:
            return ":page"
        if not e.subject_id:
            return ":missing"
    if e.action == "person.identity.unmasked" and "persons" in e.data:
        return ":bulk"
    return ""


def _sentence(e: Event, names: dict[tuple[str, str], str], *, html: bool) -> str:
    actor = _actor(e, names)
    template = SENTENCES.get(e.action + _variant(e)) or SENTENCES.get(e.action)
    params: dict[str, Any] = {k: _word(e.action, k, v) for k, v in e.data.items()}
    if e.action == "audit.trail.viewed":
        params["filters"] = _filters(e, names)
    if e.action == "access.refused":
        kind = subject_type(e.subject_type)
        params["kind"] = str(kind.noun) if kind else e.subject_type
    params.setdefault("address", _("an unknown address"))
    if html:
        params = {k: v if isinstance(v, int) else conditional_escape(str(v)) for k, v in params.items()}
    params["actor"] = _name(conditional_escape(actor) if html else actor, html)
    subject = _subject(e, names)
    params["subject"] = _name(conditional_escape(subject) if html else subject, html)
    text: str
    try:
        if template is None:
            raise KeyError(e.action)
        text = str(template % params)  # a plural picks its form from the count in params
    except (KeyError, TypeError, ValueError):  # an event older than its sentence, or an action without one
        label = conditional_escape(action_label(e.action)) if html else action_label(e.action)
        text = _("%(actor)s: %(action)s") % {"actor": params["actor"], "action": label}
        if subject:
            text += _(" (%(subject)s)") % {"subject": params["subject"]}
    return mark_safe(text) if html else text  # noqa: S308  # translated templates, every value escaped above

