"""The two escalations of an open incident, driven by beat and the database.

- Acknowledgement: from the declaration, the level's chain pages people by the paging methods
  until someone acknowledges or its rounds are done. Acknowledging stops it, nothing else.
- Status update: from each due time, the chain tells people (by the paging methods when the
  level pages, else the direct ones), round after round, until an update moves the due time.

Each stage of each round is an `EscalationNotice` with a unique key, written under the
incident's row lock: a stage is sent once however many ticks, restarts or workers reach it.
A tick sends every stage whose time has come since the last one sent, in order, so a beat
outage delays people but skips nobody; when the outage outlasted whole rounds, each stage is
sent once (its latest round) and the timeline says how many were overtaken. A person who
cannot be reached is skipped, and each skip is on the timeline with its reason.

Incidents are escalated a batch at a time, in one transaction whose reads and writes are shared
by the batch (escalation_reads.py): its queries do not grow with its incidents.
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.names import display_name
from incidents.models import EscalationNotice, Incident, TimelineKind
from incidents.names import outbound_name
from policy import chains
from policy.chains import Chain, Due
from policy.models import EscalationKind, PolicyLevel, StageTarget

from . import announce
from .base import timeline_event
from .escalation_reads import (
    ACK_ENDED,
    BatchReads,
    BatchWrites,
    escalations_due,
    escalations_queued,
    lock_batch,
)
from .escalation_recipients import StageRecipients

logger = logging.getLogger(__name__)
__all__ = [
    "EscalationFailed",
    "escalate_due",
    "escalate_incidents",
    "escalations_due",
    "escalations_queued",
    "incident_escalate",
]


class EscalationFailed(Exception):
    """Some incidents could not be escalated (each is logged); the others were."""


def escalate_due(*, now: datetime | None = None) -> int:
    """Both escalations of every incident whose time has come, in this process."""
    return escalate_incidents(escalations_due(now=now), now=now)


def escalate_incidents(incident_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Both escalations of each incident given, as one batch (one transaction, the same
    queries however many incidents). A batch that fails is run again one incident at a time,
    so that one incident's failure does not hold up the others' pages; it is raised at the
    end. Returns the number of notices sent."""
    incident_ids = list(incident_ids)
    try:
        return len(_escalate_batch(incident_ids, now))
    except SoftTimeLimitExceeded:
        raise  # out of time: the next tick finds the incidents still due
    except Exception:
        logger.exception("A batch of %d escalations failed: one at a time", len(incident_ids))
    failed: list[int] = []
    sent = 0
    for pk in incident_ids:
        try:
            sent += len(incident_escalate(incident_id=pk, now=now))
        except Exception:
            logger.exception("Could not escalate incident %s", pk)
            failed.append(pk)
    if failed:
        raise EscalationFailed(f"Could not escalate incidents {failed}; see the log.")
    return sent


def incident_escalate(*, incident_id: int, now: datetime | None = None) -> list[EscalationNotice]:
    """Send the stages of both escalations whose time has come, once. Returns the notices."""
    return _escalate_batch([incident_id], now)


@transaction.atomic
def _escalate_batch(incident_ids: list[int], now: datetime | None) -> list[EscalationNotice]:
    now = now or timezone.now()
    incidents = lock_batch(incident_ids)
    if not incidents:
        return []
    reads, writes = BatchReads(incidents, now), BatchWrites()
    for incident in incidents:
        incident.ack_escalation_next = _escalate(incident, now, reads, writes)
        incident.escalation_queued_at = None
    Incident.objects.bulk_update(incidents, ["ack_escalation_next", "escalation_queued_at"])
    return writes.write()


def _escalate(
    incident: Incident, now: datetime, reads: BatchReads, writes: BatchWrites
) -> timedelta:
    """Both escalations of one incident of the batch; returns when, after the declaration, its
    acknowledgement escalation's next stage comes (ACK_ENDED when none will)."""
    level = reads.level(incident)
    acknowledgement = chains.ack_chain(level)
    ack_next = ACK_ENDED
    if acknowledgement is not None and incident.acknowledged_at is None:
        run = _Run(incident, level, acknowledgement, incident.declared_at, now, reads, writes)
        following = acknowledgement.following(incident.declared_at, run.send())
        if following is not None:
            ack_next = following.at - incident.declared_at
    due = incident.next_update_due
    if incident.update_reminders and due is not None and due <= now:
        run = _Run(incident, level, chains.update_chain(level), due, now, reads, writes)
        run.paging = acknowledgement is not None
        run.send()
    return ack_next


class _Run(StageRecipients):
    """One tick of one escalation of one incident (whom a stage reaches: StageRecipients)."""

    def __init__(
        self,
        incident: Incident,
        level: PolicyLevel | None,
        chain: Chain,
        anchor: datetime,
        now: datetime,
        reads: BatchReads,
        writes: BatchWrites,
    ) -> None:
        self.incident, self.level, self.chain = incident, level, chain
        self.anchor, self.now, self.reads, self.writes = anchor, now, reads, writes
        self.is_ack = chain.kind == EscalationKind.ACKNOWLEDGE
        self.paging = self.is_ack
        self.told: set[int] = set()  # people told in this tick: each once
        self.earlier = {}  # round -> [(stage, people)] sent before, to walk down the ranks

    def send(self) -> tuple[int, int] | None:
        """Send the stages due; returns the (round, stage) reached."""
        # One acknowledgement escalation an incident; the update one of its current due time.
        notices = self.reads.notices_of(self.incident, self.chain.kind)
        last = max(((n.round, n.stage) for n in notices), default=None)
        pending = self.chain.due(self.anchor, self.now, after=last)
        if not pending:
            return last
        latest = {due.position: due for due in pending}  # each stage once: its latest round
        overtaken = len(pending) - len(latest)
        if overtaken:
            self._record_overtaken(overtaken)
        for notice in notices:
            people = list(notice.recipients.all())
            self.earlier.setdefault(notice.round, []).append((notice.stage, people))
        for due in sorted(latest.values(), key=_key):
            self._send_stage(due)
        return _key(pending[-1])

    # --- telling -----------------------------------------------------------------------------

    def _send_stage(self, due: Due) -> None:
        found = self._resolve(due)
        paged = self._paged_by_plan(due)
        reached = list(dict.fromkeys(found.people))
        people = [p for p in reached if p.pk not in self.told and p.pk not in paged]
        already = [p for p in reached if p.pk in self.told]
        by_plan = [p for p in reached if p.pk in paged and p.pk not in self.told]
        notice = EscalationNotice(
            incident=self.incident,
            kind=self.chain.kind,
            anchor=self.anchor,
            round=due.round,
            stage=due.position,
            due_at=due.at,
            sent_at=self.now,
            skipped=[_skip_data(user, reason) for user, reason in found.skipped],
        )
        self.writes.notice(notice, found.people)
        self.earlier.setdefault(due.round, []).append((due.position, list(found.people)))
        self.told |= {p.pk for p in people}
        for user, reason in found.skipped:
            self._record_skip(due, user, reason)
        self._record(due, people, already, by_plan)
        if people:
            self._tell(due, people)

    def _event(
        self,
        incident: Incident,
        kind: str,
        actor: User | None,
        message: str,
        *,
        after: Mapping[str, object],
    ) -> None:
        self.writes.event(timeline_event(incident, kind, actor, message, after=after))

    def _where(self, due: Due) -> tuple[dict[str, object], str]:
        where: dict[str, object] = {
            "escalation": EscalationKind(self.chain.kind).label,
            "round": due.round,
            "rounds": self.chain.rounds,
            "stage": due.position,
            "who": chains.describe_target(self.chain, due.position, self.reads.function_names),
        }
        if self.chain.rounds:
            label = _("%(escalation)s, round %(round)d of %(rounds)d, stage %(stage)d")
        else:
            label = _("%(escalation)s, round %(round)d, stage %(stage)d")
        return where, label % where

    def _record_skip(self, due: Due, user: User | None, reason: str) -> None:
        where, label = self._where(due)
        self._event(
            self.incident,
            TimelineKind.ESCALATION_SKIPPED,
            None,
            _("%(where)s (%(who)s): skipped %(user)s, who %(reason)s.")
            % {"where": label, "who": where["who"], "user": display_name(user), "reason": reason}
            if user is not None
            else _("%(where)s (%(who)s): nobody to tell: %(reason)s.")
            % {"where": label, "who": where["who"], "reason": reason},
            after={**self._data(due), "skipped": user.pk if user else None, "reason": reason},
        )

    def _record_overtaken(self, overtaken: int) -> None:
        self._event(
            self.incident,
            TimelineKind.ESCALATION_SKIPPED,
            None,
            _(
                "%(escalation)s: %(count)d stages came due while escalations were not running and "
                "were overtaken by later rounds; each stage is sent once now, in order."
            )
            % {"escalation": EscalationKind(self.chain.kind).label, "count": overtaken},
            after={"escalation": self.chain.kind, "anchor": self.anchor, "overtaken": overtaken},
        )

    def _data(self, due: Due) -> dict[str, object]:
        return {
            "escalation": self.chain.kind,
            "anchor": self.anchor,
            "round": due.round,
            "stage": due.position,
        }

    def _paged_by_plan(self, due: Due) -> set[int]:
        """Whom the response plan paged already: the stages at declaration do not page them
        twice for it."""
        if self.is_ack and due.round == 1 and due.stage.after_minutes == 0:
            return self.reads.paged_before_escalating(self.incident)
        return set()

    def _record(
        self, due: Due, people: list[User], already: list[User], by_plan: Sequence[User] = ()
    ) -> None:
        where, label = self._where(due)
        names = ", ".join(display_name(p) for p in people) or (
            _("nobody new") if already or by_plan else _("nobody")
        )
        if self.is_ack and not people and not already and not by_plan:
            kind = TimelineKind.PAGED
            message = _("%(where)s (%(who)s): nobody could be paged.") % {
                "where": label,
                "who": where["who"],
            }
        elif self.is_ack:
            kind = TimelineKind.PAGED
            message = _("%(where)s: paged %(names)s (%(who)s) by %(methods)s.") % {
                "where": label,
                "names": names,
                "who": where["who"],
                "methods": ", ".join(settings.BEACON_PAGE_METHODS),
            }
        elif self._is_reminder(due):
            kind = TimelineKind.UPDATE_REMINDER
            message = _("Reminded %(names)s to post a status update (due %(due)s).") % {
                "names": names,
                "due": self.anchor.strftime("%H:%M UTC"),
            }
        else:
            kind = TimelineKind.UPDATE_ESCALATED
            message = _("No status update since %(due)s: %(where)s, told %(names)s (%(who)s).") % {
                "due": self.anchor.strftime("%H:%M UTC"),
                "where": label,
                "names": names,
                "who": where["who"],
            }
        if already:
            message += " " + _("(%(names)s already told a moment ago.)") % {
                "names": ", ".join(display_name(p) for p in already)
            }
        if by_plan:
            message += " " + _("(%(names)s already paged by the response plan.)") % {
                "names": ", ".join(display_name(p) for p in by_plan)
            }
        if self.chain.is_last(due):
            message += " " + _("That was its last round: nobody is paged again for it.")
        self._event(
            self.incident,
            kind,
            None,
            message,
            after={
                **self._data(due),
                "recipients": [p.pk for p in [*people, *already, *by_plan]],
            },
        )

    def _tell(self, due: Due, people: list[User]) -> None:
        incident = self.incident
        facts = {
            "ref": incident.reference,
            "title": outbound_name(incident),
            "severity": incident.severity.name,
            "commander": display_name(incident.commander) if incident.commander else _("nobody"),
            "due": self.anchor.strftime("%H:%M UTC"),
        }
        if self.is_ack:
            headline = _(
                "You are paged for %(ref)s (%(severity)s), not acknowledged yet: %(title)s"
            )
        elif self._is_reminder(due):
            headline = _("Post a status update for %(ref)s to the broadcast channel (due %(due)s)")
        else:
            headline = _(
                "%(ref)s: no status update since it was due at %(due)s; %(commander)s is commander"
            )
        channels: Sequence[str] | None
        if self.paging:  # the paging methods, and the pages' queue
            event, channels = "page", settings.BEACON_PAGE_METHODS
        else:
            event = "update_reminder" if self._is_reminder(due) else "update_escalation"
            channels = None
        announce.to_people(
            incident, event, people, headline % facts, channels=channels, outbox=self.writes.outbox
        )

    def _is_reminder(self, due: Due) -> bool:
        """The first word to the commander about a due update: a reminder, not an escalation."""
        first = due.round == 1 and due.position == 1
        return not self.is_ack and first and due.stage.notify == StageTarget.COMMANDER


def _skip_data(user: User | None, reason: str) -> dict[str, object]:
    if user is None:
        return {"user": None, "name": "", "reason": reason}
    return {"user": user.pk, "name": display_name(user), "reason": reason}


def _key(due: Due) -> tuple[int, int]:
    return (due.round, due.position)
