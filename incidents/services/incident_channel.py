"""The response plan's Slack chores: creating the incident channel and inviting people to it.

Slack answers `name_taken` for any channel of that name, archived ones and private ones the
bot cannot see included. Such a name is never lost: the channel gets the first free suffix
(`_2`, `_3` …), the incident keeps the real name and id, the step's timeline row says so and
the commander is told.
"""

from collections.abc import Callable, Collection, Iterator

from django.conf import settings
from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from incidents.models import Incident, PlanStepState
from incidents.names import outbound_name
from notifications.channels import PermanentError
from notifications.channels.slack import CHANNEL_NAME_LIMIT, NameTaken, SlackWorkspace
from people.models import UserPreference

from . import announce

MAX_SUFFIX = 20
# What a step did: its state, the detail on its timeline row, and what to write with it
# (given the locked incident), as response_plan.Outcome takes them.
StepResult = tuple[str, str, Callable[[Incident], None] | None]


def channel_candidates(name: str) -> Iterator[str]:
    """The name, then the name with `_2` … `_20`, each within Slack's 80 characters."""
    yield name
    for number in range(2, MAX_SUFFIX + 1):
        suffix = f"_{number}"
        yield name[: CHANNEL_NAME_LIMIT - len(suffix)] + suffix


def _held_elsewhere(incident: Incident, *, name: str = "", channel_id: str = "") -> bool:
    held = Incident.objects.exclude(pk=incident.pk)
    return bool(name and held.filter(channel_name=name).exists()) or bool(
        channel_id and held.filter(slack_channel_id=channel_id).exists()
    )


def _create_or_find(workspace: SlackWorkspace, incident: Incident) -> tuple[str, str]:
    """(id, name) of the incident's channel: created now under the first name Slack has
    free, or one the bot is already in under such a name and no other incident holds (a
    retry after a crash between Slack's answer and our commit)."""
    for name in channel_candidates(incident.channel_name):
        if _held_elsewhere(incident, name=name):
            continue
        try:
            return workspace.create_channel(name, private=incident.is_private), name
        except NameTaken:
            ours = workspace.member_channel_named(name)
            if ours and not _held_elsewhere(incident, channel_id=ours["id"]):
                return ours["id"], name
    raise PermanentError(
        _("Every name from #%(name)s to #%(name)s_%(last)s is taken in Slack.")
        % {"name": incident.channel_name, "last": MAX_SUFFIX}
    )


def create_channel(incident: Incident) -> StepResult:
    """The step's (state, detail, writer): the channel made, described, and kept."""
    workspace = SlackWorkspace()
    channel_id, name = _create_or_find(workspace, incident)
    url = announce.incident_url(incident)
    overview = f"{incident.severity.name} · {outbound_name(incident)} · {url}"
    # A private incident's summary stays in Beacon, like its title.
    purpose = overview if incident.is_private else incident.summary or overview
    workspace.describe(channel_id, topic=overview, purpose=purpose)
    wanted = incident.channel_name
    kind = _("private") if incident.is_private else _("public")
    detail = _("Created the %(kind)s Slack channel #%(name)s.") % {"kind": kind, "name": name}
    if name != wanted:
        detail += " " + _(
            "#%(wanted)s was taken in Slack (an archived channel, or one Beacon cannot see)."
        ) % {"wanted": wanted}

    def keep(locked: Incident) -> None:
        locked.slack_channel_id, locked.channel_name = channel_id, name
        locked.save(update_fields=["slack_channel_id", "channel_name"])
        if name != wanted:
            _tell_commander(locked, wanted)

    return PlanStepState.DONE, detail, keep


def _tell_commander(incident: Incident, wanted: str) -> None:
    headline = _("%(ref)s: the incident channel is #%(name)s") % {
        "ref": incident.reference,
        "name": incident.channel_name,
    }
    body = _("#%(wanted)s was taken in Slack, so Beacon created #%(name)s instead.") % {
        "wanted": wanted,
        "name": incident.channel_name,
    }
    someone = incident.commander or incident.declared_by
    announce.to_people(incident, "plan_message", [someone], headline, body=body)


def _slack_ids(workspace: SlackWorkspace, people: Collection[User]) -> tuple[list[str], list[str]]:
    """Slack ids of `people`: their linked member id first, their e-mail second; and the
    e-mails Slack knows nobody by."""
    linked = dict(
        UserPreference.objects.filter(user__in=people)
        .exclude(slack_user_id="")
        .values_list("user_id", "slack_user_id")
    )
    emails = sorted(p.email for p in people if p.pk not in linked and p.email)
    found, missing = workspace.user_ids(emails)
    return [*linked.values(), *found], missing


def invite(incident: Incident) -> StepResult:
    """The step's (state, detail, writer): everyone the incident names, in its channel."""
    if not incident.slack_channel_id:
        return PlanStepState.SKIPPED, _("There is no Slack channel to invite people to."), None
    workspace = SlackWorkspace()
    named = (incident.commander, incident.responder, *incident.invitees.all())
    people = {person for person in named if person is not None}
    people |= {role.user for role in incident.roles.filter(ended_at__isnull=True)}
    user_ids, missing = _slack_ids(workspace, people)
    user_ids += incident.slack_participants.values_list("slack_user_id", flat=True)
    if settings.SLACK_ADMIN_USERGROUP:
        user_ids += workspace.usergroup_members(settings.SLACK_ADMIN_USERGROUP)
    workspace.invite(incident.slack_channel_id, sorted(set(user_ids)))
    detail = _("Invited %(count)s people.") % {"count": len(set(user_ids))}
    if missing:
        detail += " " + _("Not found in Slack: %(emails)s.") % {"emails": ", ".join(missing)}
    return PlanStepState.DONE, detail, None
