"""Teams and their members."""

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.changes import refuse_unknown, strip
from core.names import display_name
from people.models import Delegation, PeopleEventKind, Team, TeamMembership
from people.services.audit import record, update_and_record
from people.services.common import (
    Actor,
    check_person,
    refuse_or_clean,
    require,
)

TEAM_FIELDS = ("name", "slug", "description", "signs_off_policy")


def _check_team(team: Team) -> None:
    errors = {}
    if not team.name:
        errors["name"] = _("Give the team a name.")
    if not team.slug:
        errors["slug"] = _("Give the team a slug: lowercase letters, digits and hyphens.")
    refuse_or_clean(team, errors)


@transaction.atomic
def team_create(
    *,
    actor: Actor,
    name: str,
    slug: str = "",
    description: str = "",
    signs_off_policy: bool = False,
) -> Team:
    actor = require(actor, "add", Team)
    name = (name or "").strip()
    team = Team(
        name=name,
        slug=(slug or "").strip() or slugify(name),
        description=(description or "").strip(),
        signs_off_policy=bool(signs_off_policy),
    )
    _check_team(team)
    team.save()
    record(actor=actor, kind=PeopleEventKind.TEAM_CREATED, about=team, description=team.name)
    return team


@transaction.atomic
def team_update(*, actor: Actor, team: Team, **changes: Any) -> Team:
    """Edit a team's name, slug, description or whether it signs off the response policy."""
    refuse_unknown(changes, TEAM_FIELDS)
    actor = require(actor, "change", Team)
    team = Team.objects.select_for_update(of=("self",)).get(pk=team.pk)
    strip(changes, "name", "slug", "description")
    update_and_record(
        team, changes, check=_check_team, actor=actor, kind=PeopleEventKind.TEAM_UPDATED
    )
    return team


def _member(team: Team, user: User) -> str:
    return _("%(user)s in %(team)s") % {"user": display_name(user), "team": team.name}


@transaction.atomic
def team_member_add(
    *, actor: Actor, team: Team, user: User | None, is_lead: bool = False
) -> TeamMembership:
    """Make `user` a member of `team` (or, already one, set whether they lead it)."""
    actor = require(actor, "change", Team)
    team = Team.objects.select_for_update(of=("self",)).get(pk=team.pk)
    membership = TeamMembership.objects.filter(team=team, user=user).select_related("user").first()
    is_lead = bool(is_lead)
    if membership is None:
        user = check_person(user)
        membership = TeamMembership.objects.create(team=team, user=user, is_lead=is_lead)
        record(
            actor=actor,
            kind=PeopleEventKind.MEMBER_ADDED,
            about=team,
            description=_member(team, user),
            message=_("Added as a lead.") if is_lead else _("Added."),
            user=user.get_username(),
            is_lead=is_lead,
        )
    elif membership.is_lead != is_lead:
        membership.is_lead = is_lead
        membership.save(update_fields=["is_lead"])
        record(
            actor=actor,
            kind=PeopleEventKind.MEMBER_UPDATED,
            about=team,
            description=_member(team, membership.user),
            message=_("Now a lead.") if is_lead else _("No longer a lead."),
            user=membership.user.get_username(),
            is_lead=is_lead,
        )
    return membership


@transaction.atomic
def team_member_remove(*, actor: Actor, team: Team, user: User) -> None:
    """Refused while the person is one of the team's delegates: a delegate must be a member."""
    actor = require(actor, "change", Team)
    team = Team.objects.select_for_update(of=("self",)).get(pk=team.pk)
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None:
        raise ValidationError(
            {
                "user": _("%(user)s is not a member of %(team)s.")
                % {"user": display_name(user), "team": team}
            }
        )
    held = list(
        Delegation.objects.filter(team=team, user=user)
        .select_related("function")
        .order_by("function__position", "function__name")
    )
    if held:
        functions = ", ".join(f"{d.function.name} (rank {d.rank})" for d in held)
        raise ValidationError(
            {
                "user": _(
                    "%(user)s is a delegate of %(team)s for %(functions)s: remove those "
                    "delegations first."
                )
                % {"user": display_name(user), "team": team, "functions": functions}
            }
        )
    record(
        actor=actor,
        kind=PeopleEventKind.MEMBER_REMOVED,
        about=team,
        description=_member(team, user),
        message=_("Removed."),
        user=user.get_username(),
        was_lead=membership.is_lead,
    )
    membership.delete()
