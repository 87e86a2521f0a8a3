"""Status-update reminders and escalation, driven by beat and the database.

At the due time the commander is reminded; if no update comes, the commander's backup
delegate is told after one escalation step, and the executive after another. Each stage is
a row with a unique key, so a stage is sent once whatever runs twice; posting an update moves
the due time and starts over; resolution stops it all.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.delegation import delegate_for
from incidents.models import (
    CriticalFunction,
    Incident,
    IncidentRoleField,
    IncidentStatus,
    ReminderStage,
    TimelineKind,
    UpdateReminder,
)
from incidents.names import display_name

from . import announce
from .base import record_event


def reminders_due(*, now=None):
    now = now or timezone.now()
    return list(
        Incident.objects.filter(
            status__in=IncidentStatus.active(), update_reminders=True, next_update_due__lte=now
        ).values_list("pk", flat=True)
    )


def stage_reached(due_at, now):
    step = timedelta(minutes=settings.BEACON_ESCALATION_STEP_MINUTES)
    if now >= due_at + 2 * step:
        return ReminderStage.EXECUTIVE
    if now >= due_at + step:
        return ReminderStage.BACKUP
    return ReminderStage.COMMANDER


def _recipient(incident, stage):
    commander_function = CriticalFunction.objects.filter(
        incident_field=IncidentRoleField.COMMANDER
    ).first()
    if stage == ReminderStage.COMMANDER and incident.commander:
        return incident.commander
    if stage <= ReminderStage.BACKUP and commander_function:
        backup = delegate_for(
            function=commander_function, team=incident.team, exclude=[incident.commander]
        )
        if backup.user:
            return backup.user
    executive = CriticalFunction.objects.filter(slug=settings.BEACON_EXECUTIVE_FUNCTION).first()
    return delegate_for(function=executive, team=incident.team).user if executive else None


@transaction.atomic
def incident_remind_update(*, incident_id, now=None):
    """Send the reminder stage the overdue update has reached, once. Returns it or None."""
    now = now or timezone.now()
    incident = Incident.objects.select_for_update(of=("self",)).filter(pk=incident_id).first()
    if incident is None or not incident.is_active or not incident.update_reminders:
        return None
    due = incident.next_update_due
    if due is None or due > now:
        return None
    stage = stage_reached(due, now)
    if UpdateReminder.objects.filter(incident=incident, due_at=due, stage__gte=stage).exists():
        return None
    recipient = _recipient(incident, stage)
    try:
        with transaction.atomic():
            reminder = UpdateReminder.objects.create(
                incident=incident, due_at=due, stage=stage, recipient=recipient, sent_at=now
            )
    except IntegrityError:
        return None  # another run sent it
    _tell(incident, stage, recipient, due)
    return reminder


def _tell(incident, stage, recipient, due):
    late = {
        "ref": incident.reference,
        "commander": display_name(incident.commander) if incident.commander else _("nobody"),
        "due": due.strftime("%H:%M UTC"),
    }
    if stage == ReminderStage.COMMANDER:
        headline = _("Post a status update for %(ref)s to the broadcast channel (due %(due)s)")
        kind = TimelineKind.UPDATE_REMINDER
        timeline = _("Reminded %(who)s to post a status update (due %(due)s).")
        event = "update_reminder"
    else:
        headline = _(
            "%(ref)s: no status update since it was due at %(due)s; %(commander)s is commander"
        )
        kind = TimelineKind.UPDATE_ESCALATED
        timeline = _("No status update since %(due)s: escalated to %(who)s (%(stage)s).")
        event = "update_escalation"
    who = display_name(recipient) if recipient else _("nobody (no one is available)")
    record_event(
        incident,
        kind,
        None,
        timeline % {**late, "who": who, "stage": ReminderStage(stage).label.lower()},
        after={"stage": int(stage), "due": due, "recipient": recipient.pk if recipient else None},
    )
    if recipient is not None:
        announce.to_people(incident, event, [recipient], headline % late)
