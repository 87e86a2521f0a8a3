"""What the response policy's review says, and to whom: a submitted version asks the leads of
the sign-off teams still missing for their sign-off; a version in force tells its author.
Written to the outbox in the caller's transaction; nobody is told what they did themselves."""

from django.utils.translation import gettext as _

from core.names import display_name
from notifications.links import absolute_url
from notifications.models import NotificationEvent
from notifications.services import notify_people
from policy import selectors


def _context(version, headline, facts):
    url = absolute_url("portal:policy")
    return {
        "headline": headline,
        "body": version.summary,
        "facts": [(str(label), str(value)) for label, value in facts if value],
        "url": url,
        "data": {"policy_version": version.number, "status": version.status, "url": url},
    }


def sign_off_requested(version, *, actor, teams):
    """Ask the leads of each of `teams` (sign_off_teams()) not signed yet, except the author."""
    missing = selectors.policy_sign_off_progress(version, teams=teams).missing
    leads = [m.user for team in missing for m in team.lead_memberships]
    headline = _("%(version)s awaits your sign-off") % {"version": version}
    facts = [
        (_("Author"), display_name(version.author)),
        (_("Sign-off needed from"), ", ".join(team.name for team in missing)),
    ]
    return notify_people(
        people=[p for p in leads if p.pk not in (version.author_id, actor.pk)],
        event=NotificationEvent.POLICY_SIGN_OFF,
        context=_context(version, headline, facts),
    )


def became_effective(version, *, actor, replaces):
    """Tell the author that every sign-off team approved their version."""
    headline = _("%(version)s is now in force") % {"version": version}
    facts = [
        (_("Last sign-off"), display_name(actor)),
        (_("Replaces"), replaces or ""),
    ]
    return notify_people(
        people=[version.author] if version.author_id != actor.pk else [],
        event=NotificationEvent.POLICY_EFFECTIVE,
        context=_context(version, headline, facts),
    )
