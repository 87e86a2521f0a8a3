"""A draft's levels: what it demands for each severity, checked field by field."""

from collections.abc import Iterable
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.models import CriticalFunction
from policy import chains
from policy.models import (
    Audience,
    PolicyEventKind,
    PolicyLevel,
    PolicyVersion,
    Priority,
    SeverityLevel,
    StaffingModel,
)

from .base import ensure_can_manage, lock_version, record_event, require_draft

# Whole-number fields of a level and their bounds (inclusive; None: no upper bound).
LEVEL_NUMBERS: dict[str, tuple[int, int | None]] = {
    "ack_target_minutes": (1, None),
    "update_cadence_minutes": (1, None),
    "page_wait_limit_minutes": (1, None),
    "max_continuous_hours": (1, 24),
    "expected_people": (1, None),
    "postmortem_due_days": (1, None),
    "followup_due_days": (1, None),
    "ack_repeat_minutes": (1, chains.MAX_MINUTES),
    "ack_rounds": (1, 20),
    "update_repeat_minutes": (1, chains.MAX_MINUTES),
}
# Numbers that may be left blank (the model says what blank means).
LEVEL_OPTIONAL_NUMBERS = {"page_wait_limit_minutes"}
CHAIN_FIELDS = ("ack_chain", "update_chain")
LEVEL_FLAGS = ("postmortem_required", "inform_leadership")
# Every field `policy_level_set` takes, in the order the admin and the API show them (after the
# level's severity).
LEVEL_FIELDS = (
    "ack_target_minutes",
    "update_cadence_minutes",
    "page_wait_limit_minutes",
    "paged_functions",
    "audiences",
    "staffing_model",
    "max_continuous_hours",
    "expected_people",
    "postmortem_required",
    "postmortem_due_days",
    "followup_priority",
    "followup_due_days",
    "inform_leadership",
    "ack_chain",
    "ack_repeat_minutes",
    "ack_rounds",
    "update_chain",
    "update_repeat_minutes",
)
NUMBER_MESSAGES = {
    "ack_target_minutes": gettext_lazy("The acknowledgement target must be at least 1 minute."),
    "update_cadence_minutes": gettext_lazy(
        "The status update cadence must be at least 1 minute: with %(value)s, every update "
        "would be overdue the moment it is posted."
    ),
    "page_wait_limit_minutes": gettext_lazy(
        "A page waits at least 1 minute for a provider, or leave it blank for the "
        "acknowledgement target."
    ),
    "max_continuous_hours": gettext_lazy(
        "A responder works between 1 and 24 hours in a row before handing over."
    ),
    "expected_people": gettext_lazy("At least 1 person is expected on an incident."),
    "postmortem_due_days": gettext_lazy("The postmortem is due at least 1 day after the incident."),
    "followup_due_days": gettext_lazy("Follow-ups are due at least 1 day after the postmortem."),
    "ack_repeat_minutes": gettext_lazy(
        "The acknowledgement escalation waits between 1 minute and a week (10080 minutes) "
        "after its last stage."
    ),
    "ack_rounds": gettext_lazy(
        "The acknowledgement escalation runs between 1 and 20 rounds (%(value)s given)."
    ),
    "update_repeat_minutes": gettext_lazy(
        "The status-update escalation waits between 1 minute and a week (10080 minutes) after "
        "its last stage."
    ),
}


# What a field was refused for: a message, or a chain's messages.
Errors = dict[str, str | list[str]]


def _clean_number(errors: Errors, name: str, value: object) -> int | None:
    low, high = LEVEL_NUMBERS[name]
    if name in LEVEL_OPTIONAL_NUMBERS and value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            errors[name] = _("Give a whole number.")
            return None
    if value < low or (high is not None and value > high):
        errors[name] = NUMBER_MESSAGES[name] % {"value": value}
    return value


def _clean_audiences(errors: Errors, audiences: Iterable[object] | None) -> list[str]:
    values = [str(a).strip() for a in audiences or ()]
    unknown = [a for a in values if a not in Audience.values]
    if unknown:
        errors["audiences"] = _("Unknown audience: %(unknown)s. Choose from %(known)s.") % {
            "unknown": ", ".join(f"“{a}”" for a in unknown),
            "known": ", ".join(Audience.values),
        }
    return [a for a in Audience.values if a in values]  # in the usual order, once each


def _clean_level_fields(fields: dict[str, Any]) -> tuple[Errors, dict[str, object]]:
    unknown = set(fields) - set(LEVEL_FIELDS)
    if unknown:
        raise TypeError(f"policy_level_set() got unexpected fields: {', '.join(sorted(unknown))}")
    errors: Errors = {}
    cleaned: dict[str, object] = {}
    for name, value in fields.items():
        if name in LEVEL_NUMBERS:
            cleaned[name] = _clean_number(errors, name, value)
        elif name in LEVEL_FLAGS:
            cleaned[name] = bool(value)
        elif name == "audiences":
            cleaned[name] = _clean_audiences(errors, value)
        elif name == "staffing_model":
            if value not in StaffingModel.values:
                errors[name] = _("Choose 24/7 or business hours.")
            cleaned[name] = value
        elif name == "followup_priority":
            if value is not None and not isinstance(value, Priority):
                errors[name] = _("Choose a priority.")
            cleaned[name] = value
        elif name in CHAIN_FIELDS:
            cleaned[name], messages = chains.clean_stages(value or [])
            if messages:
                errors[name] = messages
        elif name == "paged_functions":
            functions: list[CriticalFunction] = list(value or ())
            retired = [f.name for f in functions if not f.is_active]
            if retired:
                errors[name] = _("%(names)s is no longer an active function.") % {
                    "names": ", ".join(retired)
                }
            cleaned[name] = functions
    return errors, cleaned


def _level_state(level: PolicyLevel, functions: Iterable[CriticalFunction]) -> dict[str, object]:
    state = {name: getattr(level, name) for name in LEVEL_NUMBERS}
    state.update({name: getattr(level, name) for name in LEVEL_FLAGS})
    state["audiences"] = list(level.audiences)
    state["staffing_model"] = level.staffing_model
    state["followup_priority"] = level.followup_priority.name if level.followup_priority else None
    state["paged_functions"] = sorted(f.slug for f in functions)
    state.update({name: list(getattr(level, name)) for name in CHAIN_FIELDS})
    return state


def _verbose_name(name: str) -> str:
    field = PolicyLevel._meta.get_field(name)
    # A level's own field (paged functions included), never a relation pointing at levels.
    assert isinstance(field, Field)
    return str(field.verbose_name)


@transaction.atomic
def policy_level_set(
    *,
    actor: User,
    version: PolicyVersion,
    severity: SeverityLevel,
    # As the front doors give them (a form's cleaned data, the API's JSON): checked here.
    **fields: Any,
) -> PolicyLevel:
    """Create or change what a draft demands for `severity`. Fields left out keep their value
    (a new level takes the model's defaults; it needs `ack_target_minutes`)."""
    ensure_can_manage(actor)
    version = lock_version(version)
    require_draft(version)
    errors, cleaned = _clean_level_fields(fields)
    level = (
        PolicyLevel.objects.select_for_update().filter(version=version, severity=severity).first()
    )
    created = level is None
    if level is None:
        level = PolicyLevel(version=version, severity=severity)
        if cleaned.get("ack_target_minutes") is None and "ack_target_minutes" not in errors:
            errors["ack_target_minutes"] = _(
                "Say how fast a %(severity)s incident must be acknowledged, in minutes."
            ) % {"severity": severity.name}
    if errors:
        raise ValidationError(errors)
    functions = cast("list[CriticalFunction] | None", cleaned.pop("paged_functions", None))
    before = {} if created else _level_state(level, level.paged_functions.all())
    for name, value in cleaned.items():
        setattr(level, name, value)
    level.full_clean()
    level.save()
    if functions is not None:
        level.paged_functions.set(functions)
    after = _level_state(level, level.paged_functions.all())
    changed = sorted(name for name in after if before.get(name, object()) != after[name])
    if changed:
        record_event(
            version,
            PolicyEventKind.LEVEL_SET,
            actor,
            _("%(severity)s level %(done)s: %(fields)s.")
            % {
                "severity": severity.name,
                "done": _("added") if created else _("changed"),
                "fields": ", ".join(_verbose_name(name) for name in changed),
            },
            severity=severity.name,
            before={name: before[name] for name in changed if name in before},
            after={name: after[name] for name in changed},
        )
    return level
