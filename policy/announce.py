"""What the response policy's review says, and to whom: a submitted version asks the leads of
the sign-off teams still missing for their sign-off; a version in force tells its author.
Written to the outbox in the caller's transaction; nobody is told what they did themselves."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from core.names import display_name
from notifications.links import absolute_url
from notifications.models import Notification, NotificationEvent
from notifications.rendering import Context
from notifications.services import notify_people
from people.models import Team
from policy import selectors
from policy.models import PolicyVersion


def _context(version: PolicyVersion, headline: str, facts: Iterable[tuple[str, object]]) -> Context:
    url = absolute_url("portal:policy")
    return {
        "headline": headline,
        "body": version.summary,
        "facts": [(str(label), str(value)) for label, value in facts if value],
        "url": url,
        "data": {"policy_version": version.number, "status": version.status, "url": url},
    }


def sign_off_requested(
    version: PolicyVersion, *, actor: User, teams: Iterable[Team]
) -> Notification | None:
    """Ask the leads of each of `teams` (sign_off_teams()) not signed yet, except the author."""
    missing = selectors.policy_sign_off_progress(version, teams=teams).missing
    # `lead_memberships` is prefetched by sign_off_teams() (a `to_attr`, unknown to the model).
    leads = [m.user for team in missing for m in team.lead_memberships]  # type: ignore[attr-defined]
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


def became_effective(
    version: PolicyVersion, *, actor: User, replaces: PolicyVersion | None
) -> Notification | None:
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
