"""`status`: the incident of this channel in detail, or one line per active incident."""

from django.http import JsonResponse
from django.utils.translation import gettext as _

from incidents import selectors, services
from incidents.models import Incident
from notifications.rendering import slack_escaped as escaped
from slackbot import replies
from slackbot.context import SlackContext
from slackbot.incident_choice import of_channel, person, when


def show(ctx: SlackContext) -> JsonResponse:
    incident = of_channel(ctx)
    if incident is not None:
        return replies.ephemeral(summary(incident))
    incidents = selectors.incident_active_list(user=ctx.user)
    if not incidents:
        return replies.ephemeral(_("There is no active incident you can see."))
    return replies.ephemeral("\n".join([_("*Active incidents:*"), *map(_line, incidents)]))


def summary(incident: Incident) -> str:
    unmet = services.unmet_required_criteria(incident)
    lines = [
        _("*%(ref)s* %(title)s") % {"ref": incident.reference, "title": escaped(incident.title)},
        _("Severity: %(severity)s · Status: %(status)s · Commander: %(commander)s")
        % {
            "severity": incident.severity.name,
            "status": incident.get_status_display(),
            "commander": person(incident.commander),
        },
        _("Next update due %(due)s.") % {"due": when(incident.next_update_due)}
        if incident.next_update_due
        else _("No update is due."),
        _("Exit criteria still to meet: %(criteria)s.")
        % {"criteria": "; ".join(escaped(c.text) for c in unmet)}
        if unmet
        else _("Every required exit criterion is met or waived."),
    ]
    return "\n".join(lines)


def _line(incident: Incident) -> str:
    line = _("• *%(ref)s* %(title)s — %(severity)s, %(status)s") % {
        "ref": incident.reference,
        "title": escaped(incident.title),
        "severity": incident.severity.name,
        "status": incident.get_status_display(),
    }
    return f"{line} <#{incident.slack_channel_id}>" if incident.slack_channel_id else line
