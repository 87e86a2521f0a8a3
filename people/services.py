"""Teams, critical functions, delegations and unavailability windows: what staffs incidents.

people/selectors.py answers "who holds function F for scope S at time T" from these rows
and incidents/staffing.py fills an incident's roles from it; this module only changes them.

Each function is keyword-only, takes the `actor`, runs in one transaction and validates before
saving. Refusals: `ValidationError` with a message per field (400), `PermissionDenied` (403)
when the actor lacks the model permission (`people.add_team`, `people.change_delegation`,
…; superusers have them all). Anyone may add, change or remove their own unavailability
windows. A change to delegations or windows that leaves a function without a backup tells the
coordinators (announce.py).
"""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.names import display_name
from people import announce
from people.models import (
    CriticalFunction,
    Delegation,
    IncidentRoleField,
    Team,
    TeamMembership,
    Unavailability,
    UnavailabilityReason,
)

TEAM_FIELDS = ("name", "slug", "description", "signs_off_policy")
FUNCTION_FIELDS = (
    "name",
    "slug",
    "duties",
    "position",
    "is_active",
    "incident_field",
    "cost_weight",
)
WINDOW_FIELDS = ("starts_at", "ends_at", "reason", "note")


def _scope_label(team):
    return team.name if team is not None else _("the organisation")


def _require(actor, action, model):
    """The model permission `incidents.<action>_<model>`, or PermissionDenied."""
    codename = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    if actor is not None and actor.is_active and actor.has_perm(codename):
        return
    verbs = {"add": _("add"), "change": _("change"), "delete": _("remove")}
    raise PermissionDenied(
        _("You are not allowed to %(verb)s %(things)s.")
        % {"verb": verbs[action], "things": model._meta.verbose_name_plural}
    )


def _require_own_or(actor, user, action):
    """A person may always manage their own windows; others need the model permission."""
    if actor is not None and actor.is_active and actor.pk == user.pk:
        return
    try:
        _require(actor, action, Unavailability)
    except PermissionDenied:
        raise PermissionDenied(
            _("You may only manage your own unavailability, not %(user)s's.")
            % {"user": display_name(user)}
        ) from None


def _unknown(changes, allowed):
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationError({field: _("This field cannot be edited here.") for field in unknown})


def _strip(changes, *fields):
    for field in fields:
        if field in changes:
            changes[field] = (changes[field] or "").strip()


def _apply(instance, changes):
    """Set the changed fields; returns their names (empty when nothing changed)."""
    changed = [f for f, v in changes.items() if getattr(instance, f) != v]
    for field in changed:
        setattr(instance, field, changes[field])
    return changed


# --- Teams ----------------------------------------------------------------------------------


def _check_team(team):
    errors = {}
    if not team.name:
        errors["name"] = _("Give the team a name.")
    if not team.slug:
        errors["slug"] = _("Give the team a slug: lowercase letters, digits and hyphens.")
    if errors:
        raise ValidationError(errors)
    team.full_clean()


@transaction.atomic
def team_create(*, actor, name, slug="", description="", signs_off_policy=False) -> Team:
    _require(actor, "add", Team)
    name = (name or "").strip()
    team = Team(
        name=name,
        slug=(slug or "").strip() or slugify(name),
        description=(description or "").strip(),
        signs_off_policy=bool(signs_off_policy),
    )
    _check_team(team)
    team.save()
    return team


@transaction.atomic
def team_update(*, actor, team, **changes) -> Team:
    """Edit a team's name, slug, description or whether it signs off the response policy."""
    _unknown(changes, TEAM_FIELDS)
    _require(actor, "change", Team)
    team = Team.objects.select_for_update(of=("self",)).get(pk=team.pk)
    _strip(changes, "name", "slug", "description")
    changed = _apply(team, changes)
    if changed:
        _check_team(team)
        team.save(update_fields=changed)
    return team


def _check_person(user, field="user"):
    if user is None:
        raise ValidationError({field: _("Choose a person.")})
    if not user.is_active:
        raise ValidationError(
            {field: _("%(user)s has no active account.") % {"user": display_name(user)}}
        )


@transaction.atomic
def team_member_add(*, actor, team, user, is_lead=False) -> TeamMembership:
    """Make `user` a member of `team` (or, already one, set whether they lead it)."""
    _require(actor, "change", Team)
    team = Team.objects.select_for_update(of=("self",)).get(pk=team.pk)
    membership = TeamMembership.objects.filter(team=team, user=user).first()
    if membership is None:
        _check_person(user)
        return TeamMembership.objects.create(team=team, user=user, is_lead=bool(is_lead))
    if membership.is_lead != bool(is_lead):
        membership.is_lead = bool(is_lead)
        membership.save(update_fields=["is_lead"])
    return membership


@transaction.atomic
def team_member_remove(*, actor, team, user) -> None:
    """Refused while the person is one of the team's delegates: a delegate must be a member."""
    _require(actor, "change", Team)
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
    membership.delete()


# --- Critical functions ---------------------------------------------------------------------


def _check_function(function):
    errors = {}
    if not function.name:
        errors["name"] = _("Give the function a name.")
    if not function.slug:
        errors["slug"] = _("Give the function a slug: lowercase letters, digits and hyphens.")
    if function.incident_field and function.incident_field not in IncidentRoleField.values:
        errors["incident_field"] = _("Choose the commander, the responder or nothing.")
    elif function.incident_field:
        taken = (
            CriticalFunction.objects.filter(incident_field=function.incident_field)
            .exclude(pk=function.pk)
            .first()
        )
        if taken:
            errors["incident_field"] = _(
                "%(other)s already fills the incident's %(field)s: only one function may."
            ) % {"other": taken.name, "field": function.incident_field}
    if errors:
        raise ValidationError(errors)
    function.full_clean()


@transaction.atomic
def critical_function_create(
    *,
    actor,
    name,
    slug="",
    duties="",
    position=0,
    is_active=True,
    incident_field="",
    cost_weight=None,
) -> CriticalFunction:
    _require(actor, "add", CriticalFunction)
    name = (name or "").strip()
    function = CriticalFunction(
        name=name,
        slug=(slug or "").strip() or slugify(name),
        duties=(duties or "").strip(),
        position=position,
        is_active=is_active,
        incident_field=incident_field or "",
    )
    if cost_weight is not None:
        function.cost_weight = cost_weight
    _check_function(function)
    function.save()
    return function


@transaction.atomic
def critical_function_update(*, actor, function, **changes) -> CriticalFunction:
    _unknown(changes, FUNCTION_FIELDS)
    _require(actor, "change", CriticalFunction)
    function = CriticalFunction.objects.select_for_update(of=("self",)).get(pk=function.pk)
    _strip(changes, "name", "slug", "duties")
    if "incident_field" in changes:
        changes["incident_field"] = changes["incident_field"] or ""
    changed = _apply(function, changes)
    if changed:
        _check_function(function)
        function.save(update_fields=changed)
    return function


# --- Delegations ----------------------------------------------------------------------------


def _in_scope(function, team):
    return Delegation.objects.filter(function=function, team=team)


def _lock_scope(function):
    """Serialise changes to one function's delegations (its row is the lock)."""
    CriticalFunction.objects.select_for_update(of=("self",)).filter(pk=function.pk).first()


def _check_rank(rank):
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
def delegation_set(*, actor, function, team, user, rank, delegation=None) -> Delegation:
    """`user` holds `function` for `team` (None: the organisation) at `rank`; 1 is the primary.

    Without `delegation` this adds a delegate; with it, that delegation is changed (moved to
    another rank, person or scope). Refused: a rank someone else holds in that function and
    scope, a person already delegated there, a person outside the team, an inactive account.
    """
    _require(actor, "add" if delegation is None else "change", Delegation)
    if function is None:
        raise ValidationError({"function": _("Choose a critical function.")})
    _check_person(user)
    rank = _check_rank(rank)
    _lock_scope(function)
    if not function.is_active:
        raise ValidationError({"function": _("%(f)s is not in use.") % {"f": function.name}})
    others = _in_scope(function, team).select_related("user")
    if delegation is not None:
        delegation = Delegation.objects.select_for_update(of=("self",)).get(pk=delegation.pk)
        others = others.exclude(pk=delegation.pk)
    others = list(others)
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
        delegation = Delegation(function=function, team=team, user=user, rank=rank)
    else:
        delegation.function, delegation.team, delegation.user, delegation.rank = (
            function,
            team,
            user,
            rank,
        )
    delegation.full_clean()
    covered = announce.covered()
    delegation.save()
    announce.backups_lost(covered, announce.changed(actor, delegation))
    return delegation


def _renumber(function, team):
    """Close the gaps: ranks become 1, 2, 3, … in their current order."""
    for number, delegation in enumerate(_in_scope(function, team).order_by("rank"), start=1):
        if delegation.rank != number:
            # Ascending: the rank taken was freed by the one removed or moved before it.
            Delegation.objects.filter(pk=delegation.pk).update(rank=number)


@transaction.atomic
def delegation_remove(*, actor, delegation) -> None:
    """Remove a delegate; the backups below move up a rank (removing the primary makes the
    first backup the primary)."""
    _require(actor, "delete", Delegation)
    delegation = (
        Delegation.objects.select_for_update(of=("self",))
        .select_related("function", "team", "user")
        .get(pk=delegation.pk)
    )
    _lock_scope(delegation.function)
    function, team = delegation.function, delegation.team
    covered = announce.covered()
    delegation.delete()
    _renumber(function, team)
    announce.backups_lost(covered, announce.removed(actor, delegation))


@transaction.atomic
def delegations_reorder(*, actor, function, team, users_in_order) -> list[Delegation]:
    """Rank the delegates of `function` for `team` in this order: the first is the primary.

    The list must name each current delegate exactly once.
    """
    _require(actor, "change", Delegation)
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
    # Two passes keep the unique ranks unique at every step.
    offset = max([d.rank for d in current.values()] + [len(current)]) + 1
    for number, user in enumerate(users_in_order, start=1):
        Delegation.objects.filter(pk=current[user.pk].pk).update(rank=offset + number)
    for number, user in enumerate(users_in_order, start=1):
        Delegation.objects.filter(pk=current[user.pk].pk).update(rank=number)
    return list(
        _in_scope(function, team).select_related("user", "function", "team").order_by("rank")
    )


# --- Unavailability -------------------------------------------------------------------------


def _aware(value):
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _check_window(window, *, check_times=True):
    errors = {}
    if window.reason not in UnavailabilityReason.values:
        errors["reason"] = _("Choose one of: %(reasons)s.") % {
            "reasons": ", ".join(str(label).lower() for label in UnavailabilityReason.labels)
        }
    if check_times:
        if window.starts_at is None:
            errors["starts_at"] = _("Say when the window starts.")
        if window.ends_at is None:
            errors["ends_at"] = _("Say when the window ends.")
        elif window.starts_at is not None and window.ends_at <= window.starts_at:
            errors["ends_at"] = _("The window must end after it starts.")
        elif window.ends_at <= timezone.now():
            errors["ends_at"] = _(
                "This window ended %(when)s, in the past: only current or future windows count."
            ) % {"when": date_format(timezone.localtime(window.ends_at), "DATETIME_FORMAT")}
    if errors:
        raise ValidationError(errors)
    window.full_clean()


@transaction.atomic
def unavailability_add(*, actor, user, starts_at, ends_at, reason, note="") -> Unavailability:
    """A window in which `user` cannot be called on: their next backup stands in."""
    if user is None:
        raise ValidationError({"user": _("Choose a person.")})
    _require_own_or(actor, user, "add")
    window = Unavailability(
        user=user,
        starts_at=_aware(starts_at),
        ends_at=_aware(ends_at),
        reason=reason or "",
        note=(note or "").strip(),
    )
    _check_window(window)
    covered = announce.covered()
    window.save()
    announce.backups_lost(covered, announce.away(window))
    return window


@transaction.atomic
def unavailability_update(*, actor, window, **changes) -> Unavailability:
    _unknown(changes, WINDOW_FIELDS)
    window = (
        Unavailability.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=window.pk)
    )
    _require_own_or(actor, window.user, "change")
    _strip(changes, "note")
    for field in ("starts_at", "ends_at"):
        if field in changes:
            changes[field] = _aware(changes[field])
    changed = _apply(window, changes)
    if changed:
        _check_window(window, check_times="starts_at" in changed or "ends_at" in changed)
        covered = announce.covered()
        window.save(update_fields=changed)
        announce.backups_lost(covered, announce.away(window))
    return window


@transaction.atomic
def unavailability_remove(*, actor, window) -> None:
    window = (
        Unavailability.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=window.pk)
    )
    _require_own_or(actor, window.user, "delete")
    window.delete()
