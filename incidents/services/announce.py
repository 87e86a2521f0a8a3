"""What incident events say, and to whom: builds the message and writes it to the outbox
(in the caller's transaction). The policy level decides the audiences; the response plan
decides the methods."""

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from core.names import display_name
from incidents.ack_links import ack_link_url
from incidents.audiences import notify_incident
from incidents.models import Incident, StatusUpdate
from incidents.names import outbound_name
from notifications.links import absolute_url
from notifications.models import Notification
from notifications.rendering import Context
from notifications.services import channel_archive_request, notify_people
from notifications.services.outbox import Outbox
from people.models import CriticalFunction
from response.models import ResponsePlan
from response.services import response_plan_for

from .base import policy_level_of

DEFAULT_AUDIENCES = ["responders", "stakeholders"]
PAGE = "page"
ACK_BUTTON = "ack.page"  # the Slack button's action id: slackbot/acknowledge.py

Facts = Iterable[tuple[str, object]]


def incident_url(incident: Incident) -> str:
    return absolute_url("portal:incident", incident.reference)


def context(incident: Incident, headline: str, body: str = "", facts: Facts = ()) -> Context:
    url = incident_url(incident)
    return {
        "headline": headline,
        "body": body,
        "facts": [(str(label), str(value)) for label, value in facts if value not in ("", None)],
        "url": url,
        "reference": incident.reference,
        "drill": incident.is_drill,
        "channel": incident.channel_name,
        "channel_id": incident.slack_channel_id,
        "data": {
            "reference": incident.reference,
            "title": outbound_name(incident),
            "severity": incident.severity.name,
            "status": incident.status,
            "private": incident.is_private,
            "drill": incident.is_drill,
            "channel": incident.channel_name,
            "url": url,
        },
    }


def audiences_of(incident: Incident) -> list[str]:
    level = policy_level_of(incident)
    informed = list(level.audiences) if level and level.audiences else DEFAULT_AUDIENCES
    return list(dict.fromkeys(["responders", *informed]))


def plan_of(incident: Incident) -> ResponsePlan | None:
    return response_plan_for(incident_type=incident.incident_type, severity=incident.severity)


def announce(
    incident: Incident,
    event: str,
    headline: str,
    *,
    body: str = "",
    facts: Facts = (),
    audiences: Iterable[str] | None = None,
) -> list[Notification]:
    return notify_incident(
        incident=incident,
        event=event,
        context=context(incident, headline, body, facts),
        audiences=audiences or audiences_of(incident),
        plan=plan_of(incident),
    )


def key_facts(incident: Incident) -> list[tuple[str, object]]:
    return [
        (_("Severity"), incident.severity.name),
        (_("Status"), incident.get_status_display()),
        (_("Commander"), display_name(incident.commander) if incident.commander else ""),
        (_("Channel"), f"#{incident.channel_name}"),
    ]


def declared(incident: Incident, audiences: Iterable[str] | None = None) -> list[Notification]:
    headline = _("%(severity)s incident declared: %(title)s") % {
        "severity": incident.severity.name,
        "title": outbound_name(incident),
    }
    return announce(
        incident,
        "declared",
        headline,
        body=incident.summary,
        facts=[
            *key_facts(incident),
            (_("Services"), ", ".join(s.name for s in incident.services.all())),
            (_("Customer impact"), incident.impact),
        ],
        audiences=audiences,
    )


def severity_changed(incident: Incident, before: str) -> list[Notification]:
    headline = _("%(ref)s severity changed from %(before)s to %(after)s") % {
        "ref": incident.reference,
        "before": before,
        "after": incident.severity.name,
    }
    return announce(incident, "severity_changed", headline, facts=key_facts(incident))


def update_posted(incident: Incident, update: StatusUpdate) -> list[Notification]:
    headline = _("%(ref)s status update: %(title)s") % {
        "ref": incident.reference,
        "title": outbound_name(incident),
    }
    return announce(
        incident, "update_posted", headline, body=update.message, facts=key_facts(incident)
    )


def role_handed_over(
    incident: Incident, function: CriticalFunction, previous: User | None, successor: User
) -> list[Notification]:
    headline = _("%(ref)s: %(successor)s is now %(function)s") % {
        "ref": incident.reference,
        "successor": display_name(successor),
        "function": function.name,
    }
    body = (
        _("Handed over by %(previous)s.") % {"previous": display_name(previous)} if previous else ""
    )
    return announce(incident, "role_handed_over", headline, body=body, audiences=["responders"])


def resolved(incident: Incident) -> list[Notification]:
    headline = _("%(ref)s resolved: %(title)s") % {
        "ref": incident.reference,
        "title": outbound_name(incident),
    }
    return announce(
        incident, "resolved", headline, body=incident.resolution, facts=key_facts(incident)
    )


def channel_archived(incident: Incident) -> Notification:
    """Archive the incident channel once the announcements written before are out."""
    return channel_archive_request(
        about=incident, channel_id=incident.slack_channel_id, channel_name=incident.channel_name
    )


def closed(incident: Incident) -> list[Notification]:
    headline = _("%(ref)s closed: %(title)s") % {
        "ref": incident.reference,
        "title": outbound_name(incident),
    }
    return announce(incident, "closed", headline, facts=key_facts(incident))


def to_people(
    incident: Incident,
    event: str,
    people: Iterable[User | None],
    headline: str,
    *,
    body: str = "",
    channels: Sequence[str] | None = None,
    outbox: Outbox | None = None,
) -> list[Notification | None] | Notification | None:
    """Tell named people about an incident; with an `outbox`, written with its others."""
    if event == PAGE and incident.acknowledged_at is None and not incident.is_drill:
        return [
            _page_with_link(incident, person, headline, body, channels, outbox)
            for person in dict.fromkeys(people)
            if person is not None
        ]
    return notify_people(
        people=people,
        event=event,
        context=context(incident, headline, body, key_facts(incident)),
        about=incident,
        drill=incident.is_drill,
        channels=channels,
        outbox=outbox,
    )


def _page_with_link(
    incident: Incident,
    person: User,
    headline: str,
    body: str,
    channels: Sequence[str] | None,
    outbox: Outbox | None,
) -> Notification | None:
    """A page carries its recipient's own acknowledgement link, so it is written per person."""
    return notify_people(
        people=[person],
        event=PAGE,
        context={
            **context(incident, headline, body, key_facts(incident)),
            "ack_url": ack_link_url(incident, person),
            "buttons": [{"text": _("Acknowledge"), "action_id": ACK_BUTTON, "value": incident.pk}],
        },
        about=incident,
        drill=incident.is_drill,
        channels=channels,
        outbox=outbox,
    )


def to_responders(incident: Incident, headline: str, *, body: str = "") -> list[Notification]:
    """A response plan message for the incident channel (playbook, document, video bridge)."""
    return announce(incident, "plan_message", headline, body=body, audiences=["responders"])
