"""Slack-only participants: Slack members the declarer invites who have no Beacon account.
They are invited to the incident's channel and named on its timeline; they get no portal
access (there is no account to grant it to)."""

import re
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from incidents.models import Incident, SlackParticipant, TimelineKind
from people.models.preference import SLACK_USER_ID

from .base import record_event


def clean_slack_participants(
    errors: dict[str, str], participants: Iterable[tuple[str, str | None]] | None
) -> list[tuple[str, str]]:
    """`participants` as unique (member id, name) pairs; a bad id is a field error."""
    pairs: dict[str, str] = {}
    for slack_user_id, name in participants or ():
        if not re.match(SLACK_USER_ID, str(slack_user_id or "")):
            errors["slack_participants"] = _("This is not a Slack member id: %(id)s.") % {
                "id": str(slack_user_id)[:40]
            }
            return []
        pairs.setdefault(slack_user_id, str(name or "").strip()[:200])
    return list(pairs.items())


def add_slack_participants(
    incident: Incident, participants: list[tuple[str, str]], actor: User
) -> None:
    """Record them on the incident (the response plan invites them) and on its timeline."""
    if not participants:
        return
    SlackParticipant.objects.bulk_create(
        SlackParticipant(incident=incident, slack_user_id=member, name=name, added_by=actor)
        for member, name in participants
    )
    record_event(
        incident,
        TimelineKind.SLACK_PARTICIPANTS,
        actor,
        _("Invited to the Slack channel without a Beacon account: %(people)s.")
        % {"people": ", ".join(name or member for member, name in participants)},
        after={"slack_participants": [member for member, _name in participants]},
    )
