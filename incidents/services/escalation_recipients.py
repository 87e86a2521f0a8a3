"""Whom a stage of an escalation reaches, from what its batch read (escalation_reads.py): the
commander or whoever stands in, the holders of the functions the level pages, a function's
holder, the next delegate down the ranks, the executive; and who was skipped, and why."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from incidents.models import Incident
from people.models import CriticalFunction
from policy.chains import Chain, Due
from policy.models import PolicyLevel, StageTarget

from .escalation_reads import BatchReads


@dataclass
class _Recipients:
    people: list[User] = field(default_factory=list)
    skipped: list[tuple[User | None, str]] = field(default_factory=list)  # (user or None, reason)


class StageRecipients:
    """Mixed into an escalation's run, which has `incident`, `level`, `chain`, `reads` and
    `earlier` (round → [(stage, people)] sent before)."""

    incident: Incident
    level: PolicyLevel | None
    chain: Chain
    reads: BatchReads
    earlier: dict[int, list[tuple[int, list[User]]]]

    def _resolve(self, due: Due) -> _Recipients:
        stage, found = due.stage, _Recipients()
        if stage.notify == StageTarget.COMMANDER:
            # An unreachable commander is skipped for whoever stands in for them.
            commander = self.incident.commander
            if commander is None or not self._reach(found, commander):
                self._delegate(found, self.reads.commander_function, exclude=[commander])
        elif stage.notify == StageTarget.PAGED_FUNCTIONS:
            for paged in self.level.paged_functions.all() if self.level else ():
                self._holder(found, paged)
        elif stage.notify == StageTarget.HOLDER:
            self._holder(found, self._function(stage.function))
        elif stage.notify == StageTarget.NEXT_DELEGATE:
            function = (
                self._function(stage.function) if stage.function else self.reads.commander_function
            )
            self._next_delegate(found, function, due)
        else:
            executive = self._function(settings.BEACON_EXECUTIVE_FUNCTION)
            self._delegate(found, executive, exclude=())
        return found

    def _reach(self, found: _Recipients, user: User) -> bool:
        reason = self.reads.delegates.unavailable_reason(user)
        if reason is None:
            found.people.append(user)
        else:
            found.skipped.append((user, reason))
        return reason is None

    def _function(self, slug: str) -> CriticalFunction | None:
        return self.reads.function(slug)

    def _current_holder(self, function: CriticalFunction) -> User | None:
        return self.reads.current_holder(self.incident, function)

    def _holder(self, found: _Recipients, function: CriticalFunction | None) -> None:
        if function is None:
            found.skipped.append((None, _("the function is no longer active")))
            return
        holder = self._current_holder(function)
        if holder is not None and self._reach(found, holder):
            return
        self._delegate(found, function, exclude=[holder])

    def _next_delegate(
        self, found: _Recipients, function: CriticalFunction | None, due: Due
    ) -> None:
        if function is None:
            found.skipped.append((None, _("the function is no longer active")))
            return
        # Down the ranks: past the holder and whoever this round already reached this way.
        exclude: list[User | None] = [self._current_holder(function)]
        for position, people in self.earlier.get(due.round, ()):
            if position > len(self.chain.stages):
                continue  # sent under a longer chain (the severity has changed since)
            stage = self.chain.stages[position - 1]
            if stage.notify == StageTarget.NEXT_DELEGATE and stage.function == due.stage.function:
                exclude += people
        self._delegate(found, function, exclude=exclude)

    def _delegate(
        self,
        found: _Recipients,
        function: CriticalFunction | None,
        *,
        exclude: Iterable[User | None],
    ) -> None:
        if function is None:
            found.skipped.append((None, _("no such function is active")))
            return
        team = self.incident.team
        holder = self.reads.delegates.delegate_for(function=function, team=team, exclude=exclude)
        excluded = {user.pk for user in exclude if user is not None}
        reasons = [(s.user, s.reason) for s in holder.skipped if s.user.pk not in excluded]
        found.skipped += reasons
        if holder.user is not None:
            found.people.append(holder.user)
        elif not reasons:
            found.skipped.append(
                (None, _("no other delegate holds %(function)s") % {"function": function.name})
            )
