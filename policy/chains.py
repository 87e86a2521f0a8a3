"""A policy level's escalation chains: what they are, how they are checked, when each stage
comes due and how they read.

A chain is ordered stages, each `after_minutes` from its anchor (the declaration for the
acknowledgement escalation, the due time for a status update), then a pause of
`repeat_minutes` after the last stage before the next round starts from the top. The
acknowledgement escalation stops after `ack_rounds` rounds; the status-update escalation repeats
until an update is posted. A level with no chain of its own takes the default one: the update
escalation always (commander at due, backup a step later, executive a step after that), the
acknowledgement escalation when the level pages functions.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from people.models import CriticalFunction
from policy.models import EscalationKind, PolicyLevel, StageTarget

MAX_STAGES = 12
MAX_MINUTES = 7 * 24 * 60  # a stage a week after its anchor is as far as a chain reaches


@dataclass(frozen=True)
class Stage:
    after_minutes: int
    notify: str
    function: str = ""  # a function's slug, for `holder` and `next_delegate`

    def as_dict(self) -> dict[str, object]:
        data = {"after_minutes": self.after_minutes, "notify": self.notify}
        return {**data, "function": self.function} if self.function else data


@dataclass(frozen=True)
class Due:
    """One stage of one round, and when it comes due."""

    round: int
    position: int  # 1-based
    stage: Stage
    at: datetime


@dataclass(frozen=True)
class Chain:
    kind: str
    stages: tuple[Stage, ...]
    repeat_minutes: int
    rounds: int | None  # None: until stopped

    @property
    def round_length(self) -> timedelta:
        return timedelta(minutes=self.stages[-1].after_minutes + self.repeat_minutes)

    def due(
        self, anchor: datetime, until: datetime, *, after: tuple[int, int] | None = None
    ) -> list[Due]:
        """Every stage due from `anchor` up to `until`, in order; with `after` (round, stage),
        only those after it."""
        found: list[Due] = []
        number = after[0] if after else 1
        while self.rounds is None or number <= self.rounds:
            start = anchor + (number - 1) * self.round_length
            if start > until:
                break
            for position, stage in enumerate(self.stages, start=1):
                at = start + timedelta(minutes=stage.after_minutes)
                if at > until:
                    return found
                if not after or (number, position) > after:
                    found.append(Due(number, position, stage, at))
            number += 1
        return found

    def following(self, anchor: datetime, last: tuple[int, int] | None) -> Due | None:
        """The stage due after (round, position) `last`, or None when the chain has ended."""
        number, position = last or (1, 0)
        if position >= len(self.stages):
            number, position = number + 1, 0
        if self.rounds is not None and number > self.rounds:
            return None
        stage = self.stages[position]
        start = anchor + (number - 1) * self.round_length
        return Due(number, position + 1, stage, start + timedelta(minutes=stage.after_minutes))

    def is_last(self, due: Due) -> bool:
        final_round = self.rounds is not None and due.round == self.rounds
        return final_round and due.position == len(self.stages)


def _step() -> int:
    return settings.BEACON_ESCALATION_STEP_MINUTES


def default_update_stages() -> tuple[Stage, ...]:
    return (
        Stage(0, StageTarget.COMMANDER),
        Stage(_step(), StageTarget.NEXT_DELEGATE),
        Stage(2 * _step(), StageTarget.EXECUTIVE),
    )


def default_ack_stages(level: PolicyLevel) -> tuple[Stage, ...]:
    target = level.ack_target_minutes
    return (
        Stage(0, StageTarget.COMMANDER),
        Stage(0, StageTarget.PAGED_FUNCTIONS),
        Stage(target, StageTarget.NEXT_DELEGATE),
        Stage(target + _step(), StageTarget.EXECUTIVE),
    )


def _stages(raw: Iterable[Mapping[str, Any]]) -> tuple[Stage, ...]:
    return tuple(Stage(s["after_minutes"], s["notify"], s.get("function", "")) for s in raw)


def ack_chain(level: PolicyLevel | None) -> Chain | None:
    """The level's acknowledgement escalation, or None when it pages nobody."""
    if level is None:
        return None
    if level.ack_chain:
        stages = _stages(level.ack_chain)
    elif level.paged_functions.all():  # the prefetched ones, if any
        stages = default_ack_stages(level)
    else:
        return None
    return Chain(EscalationKind.ACKNOWLEDGE, stages, level.ack_repeat_minutes, level.ack_rounds)


def update_chain(level: PolicyLevel | None) -> Chain:
    if level is None:
        return Chain(EscalationKind.UPDATE, default_update_stages(), _step(), None)
    stages = _stages(level.update_chain) if level.update_chain else default_update_stages()
    return Chain(EscalationKind.UPDATE, stages, level.update_repeat_minutes, None)


# --- Checking what an editor gives ------------------------------------------------------------


def clean_stages(value: object) -> tuple[list[dict[str, object]] | None, list[str]]:
    """The stages as stored, or a list of error messages. `value` is a list of mappings."""
    if not isinstance(value, list | tuple):
        return None, [_("Give the stages as a list.")]
    if len(value) > MAX_STAGES:
        return None, [_("A chain has at most %(max)d stages.") % {"max": MAX_STAGES}]
    errors: list[str] = []
    stages: list[Stage] = []
    functions = set(CriticalFunction.objects.filter(is_active=True).values_list("slug", flat=True))
    for number, raw in enumerate(value, start=1):
        label = _("Stage %(number)d") % {"number": number}
        if not isinstance(raw, dict):
            errors.append(_("%(stage)s: give its minutes and who it tells.") % {"stage": label})
            continue
        minutes = raw.get("after_minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            try:
                minutes = int(str(minutes).strip())
            except ValueError:
                errors.append(_("%(stage)s: give its minutes in whole numbers.") % {"stage": label})
                continue
        notify = str(raw.get("notify", "")).strip()
        function = str(raw.get("function", "") or "").strip()
        if minutes < 0:
            errors.append(
                _("%(stage)s: %(minutes)d minutes is before the escalation starts.")
                % {"stage": label, "minutes": minutes}
            )
        elif minutes > MAX_MINUTES:
            errors.append(
                _("%(stage)s: at most %(max)d minutes (a week) after the escalation starts.")
                % {"stage": label, "max": MAX_MINUTES}
            )
        if notify not in StageTarget.values:
            errors.append(
                _("%(stage)s: “%(notify)s” is nobody Beacon knows; choose from %(known)s.")
                % {"stage": label, "notify": notify, "known": ", ".join(StageTarget.values)}
            )
        if notify == StageTarget.HOLDER and not function:
            errors.append(_("%(stage)s: say whose holder (a function).") % {"stage": label})
        if function and notify not in (StageTarget.HOLDER, StageTarget.NEXT_DELEGATE):
            errors.append(
                _("%(stage)s: only a holder or a next delegate is of a function.")
                % {"stage": label}
            )
        if function and function not in functions:
            errors.append(
                _("%(stage)s: “%(function)s” is not an active function.")
                % {"stage": label, "function": function}
            )
        if stages and minutes < stages[-1].after_minutes:
            errors.append(
                _("%(stage)s comes at %(minutes)d min, before the stage above it (%(before)d min).")
                % {"stage": label, "minutes": minutes, "before": stages[-1].after_minutes}
            )
        stages.append(Stage(minutes, notify, function))
    if errors:
        return None, errors
    return [stage.as_dict() for stage in stages], []


# --- Reading them ---------------------------------------------------------------------------


def describe_target(chain: Chain, position: int, functions: Mapping[str, str] | None = None) -> str:
    """Who stage `position` (1-based) of `chain` tells, in words."""
    functions = functions if functions is not None else function_names()
    stage = chain.stages[position - 1]
    name = functions.get(stage.function, stage.function)
    if stage.notify == StageTarget.HOLDER:
        return _("the %(function)s") % {"function": name}
    if stage.notify == StageTarget.NEXT_DELEGATE:
        earlier = [s for s in chain.stages[: position - 1] if s.notify == stage.notify]
        if any(s.function == stage.function for s in earlier):
            return _("the delegate after them")
        if stage.function:
            return _("the next %(function)s delegate") % {"function": name}
        return _("the commander's backup")
    return str(StageTarget(stage.notify).label)


def describe(chain: Chain | None, methods: str = "") -> str:
    """ "at 0 min page the commander by SMS; at 5 min the commander's backup; …" """
    if chain is None:
        return _("nobody is paged")
    functions = function_names()
    verb = _("page") if chain.kind == EscalationKind.ACKNOWLEDGE else _("tell")
    parts = []
    for number, stage in enumerate(chain.stages):
        who = describe_target(chain, number + 1, functions)
        if number == 0:
            part = _("at %(minutes)d min %(verb)s %(who)s") % {
                "minutes": stage.after_minutes,
                "verb": verb,
                "who": who,
            }
            part = f"{part} {_('by %(methods)s') % {'methods': methods}}" if methods else part
        else:
            part = _("at %(minutes)d min %(who)s") % {"minutes": stage.after_minutes, "who": who}
        parts.append(part)
    rounds = (
        _("%(rounds)d rounds") % {"rounds": chain.rounds}
        if chain.rounds
        else _("until an update is posted")
    )
    parts.append(
        _("repeat %(repeat)d min after the last stage, %(rounds)s")
        % {"repeat": chain.repeat_minutes, "rounds": rounds}
    )
    return "; ".join(parts)


def function_names() -> dict[str, str]:
    return dict(CriticalFunction.objects.values_list("slug", "name"))
