"""Delegations: who holds a critical function for a scope, at which rank."""

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.names import display_name
from people import announce
from people.models import CriticalFunction, Delegation, PeopleEventKind, Team, TeamMembership
from people.services.audit import record
from people.services.common import Actor, check_person, require


def _scope_label(team: Team | None) -> str:
    return team.name if team is not None else _("the organisation")


def _described(delegation: Delegation) -> str:
    return _("%(function)s for %(scope)s, rank %(rank)s: %(user)s") % {
        "function": delegation.function.name,
        "scope": _scope_label(delegation.team),
        "rank": delegation.rank,
        "user": display_name(delegation.user),
    }


def _details(delegation: Delegation) -> dict[str, Any]:
    return {
        "function": delegation.function.slug,
        "team": delegation.team.slug if delegation.team else None,
        "user": delegation.user.get_username(),
        "rank": delegation.rank,
    }


def _in_scope(function: CriticalFunction, team: Team | None) -> QuerySet[Delegation]:
    return Delegation.objects.filter(function=function, team=team)


def _lock_scope(function: CriticalFunction) -> None:
    """Serialise changes to one function's delegations (its row is the lock)."""
    CriticalFunction.objects.select_for_update(of=("self",)).filter(pk=function.pk).first()


def _check_rank(rank: int | str) -> int:
    if isinstance(rank, bool) or not isinstance(rank, int):
        try:
            rank = int(rank)
        except (TypeError, ValueError):
            raise ValidationError(
                {"rank": _("Give the rank as a whole number: 1 is the primary.")}
            ) from None
    if rank < 1:
        raise ValidationError({"rank": _("Ranks start at 1 (the primary); 2, 3, … are backups.")})
    return rank


@transaction.atomic
def delegation_set(
    *,
    actor: Actor,
    function: CriticalFunction | None,
    team: Team | None,
    user: User | None,
    rank: int | str,
    delegation: Delegation | None = None,
) -> Delegation:
    """`user` holds `function` for `team` (None: the organisation) at `rank`; 1 is the primary.

    Without `delegation` this adds a delegate; with it, that delegation is changed (moved to
    another rank, person or scope). Refused: a rank someone else holds in that function and
    scope, a person already delegated there, a person outside the team, an inactive account.
    """
    actor = require(actor, "add" if delegation is None else "change", Delegation)
    if function is None:
        raise ValidationError({"function": _("Choose a critical function.")})
    user = check_person(user)
    rank = _check_rank(rank)
    _lock_scope(function)
    if not function.is_active:
        raise ValidationError({"function": _("%(f)s is not in use.") % {"f": function.name}})
    in_scope = _in_scope(function, team).select_related("user")
    if delegation is not None:
        delegation = Delegation.objects.select_for_update(of=("self",)).get(pk=delegation.pk)
        in_scope = in_scope.exclude(pk=delegation.pk)
    others = list(in_scope)
    scope = _scope_label(team)
    errors = {}
    if team is not None and not TeamMembership.objects.filter(team=team, user=user).exists():
        errors["user"] = _("%(user)s is not a member of %(team)s.") % {
            "user": display_name(user),
            "team": team.name,
        }
    already = next((d for d in others if d.user_id == user.pk), None)
    if already is not None:
        errors["user"] = _("%(user)s already holds %(function)s for %(scope)s (rank %(rank)s).") % {
            "user": display_name(user),
            "function": function.name,
            "scope": scope,
            "rank": already.rank,
        }
    holder = next((d for d in others if d.rank == rank), None)
    if holder is not None:
        errors["rank"] = _(
            "Rank %(rank)s of %(function)s for %(scope)s is already held by %(user)s."
        ) % {
            "rank": rank,
            "function": function.name,
            "scope": scope,
            "user": display_name(holder.user),
        }
    if errors:
        raise ValidationError(errors)
    if delegation is None:
        was = was_described = None
        delegation = Delegation(function=function, team=team, user=user, rank=rank)
    else:
        was, was_described = _details(delegation), _described(delegation)
        delegation.function, delegation.team, delegation.user, delegation.rank = (
            function,
            team,
            user,
            rank,
        )
    delegation.full_clean()
    covered = announce.covered()
    delegation.save()
    if was != _details(delegation):
        record(
            actor=actor,
            kind=PeopleEventKind.DELEGATION_SET,
            about=delegation,
            description=_described(delegation),
            message=_("Added.") if was is None else _("Was %(was)s.") % {"was": was_described},
            **_details(delegation),
            was=was,
        )
    announce.backups_lost(covered, announce.changed(actor, delegation))
    return delegation


def _renumber(function: CriticalFunction, team: Team | None) -> None:
    """Close the gaps: ranks become 1, 2, 3, … in their current order."""
    for number, delegation in enumerate(_in_scope(function, team).order_by("rank"), start=1):
        if delegation.rank != number:
            # Ascending: the rank taken was freed by the one removed or moved before it.
            Delegation.objects.filter(pk=delegation.pk).update(rank=number)


@transaction.atomic
def delegation_remove(*, actor: Actor, delegation: Delegation) -> None:
    """Remove a delegate; the backups below move up a rank (removing the primary makes the
    first backup the primary)."""
    actor = require(actor, "delete", Delegation)
    delegation = (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("function", "team", "user")
        .get(pk=delegation.pk)
    )
    _lock_scope(delegation.function)
    function, team = delegation.function, delegation.team
    covered = announce.covered()
    record(
        actor=actor,
        kind=PeopleEventKind.DELEGATION_REMOVED,
        about=delegation,
        description=_described(delegation),
        message=_("Removed; the backups below moved up a rank."),
        **_details(delegation),
    )
    delegation.delete()
    _renumber(function, team)
    announce.backups_lost(covered, announce.removed(actor, delegation))


@transaction.atomic
def delegations_reorder(
    *,
    actor: Actor,
    function: CriticalFunction,
    team: Team | None,
    users_in_order: Sequence[User],
) -> list[Delegation]:
    """Rank the delegates of `function` for `team` in this order: the first is the primary.

    The list must name each current delegate exactly once.
    """
    actor = require(actor, "change", Delegation)
    _lock_scope(function)
    current = {d.user_id: d for d in _in_scope(function, team).select_related("user")}
    scope = _scope_label(team)
    problems, seen = [], set()
    for user in users_in_order:
        if user.pk in seen:
            problems.append(_("%(user)s is listed twice.") % {"user": display_name(user)})
        elif user.pk not in current:
            problems.append(
                _("%(user)s is not a delegate of %(function)s for %(scope)s: add them first.")
                % {"user": display_name(user), "function": function.name, "scope": scope}
            )
        seen.add(user.pk)
    missing = [d.user for pk, d in current.items() if pk not in seen]
    problems += [
        _("%(user)s is missing from the new order.") % {"user": display_name(user)}
        for user in missing
    ]
    if problems:
        raise ValidationError({"users_in_order": problems})
    before = [d.user for d in sorted(current.values(), key=lambda d: d.rank)]
    # Two passes keep the unique ranks unique at every step.
    offset = max([d.rank for d in current.values()] + [len(current)]) + 1
    for number, user in enumerate(users_in_order, start=1):
        Delegation.objects.filter(pk=current[user.pk].pk).update(rank=offset + number)
    for number, user in enumerate(users_in_order, start=1):
        Delegation.objects.filter(pk=current[user.pk].pk).update(rank=number)
    if [user.pk for user in before] != [user.pk for user in users_in_order]:
        record(
            actor=actor,
            kind=PeopleEventKind.DELEGATIONS_REORDERED,
            about=function,
            description=_("%(function)s for %(scope)s")
            % {"function": function.name, "scope": scope},
            message=_("New order: %(users)s (was %(before)s).")
            % {
                "users": ", ".join(display_name(user) for user in users_in_order),
                "before": ", ".join(display_name(user) for user in before),
            },
            team=team.slug if team else None,
            users=[user.get_username() for user in users_in_order],
            was=[user.get_username() for user in before],
        )
    return list(
        _in_scope(function, team).select_related("user", "function", "team").order_by("rank")
    )
