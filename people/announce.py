"""Telling people when a change to the delegates or their windows leaves a function without a
backup: the incident coordinators, and the leads of the team whose scope it is.

A service takes `covered()` before its change and calls `backups_lost()` after it, in its
transaction: only the function × scope pairs that had a backup before and have none now are
told (a pair that already was a single point of failure is not told again).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import groups
from core.names import display_name
from notifications.links import absolute_url
from notifications.models import Notification, NotificationEvent
from notifications.services import notify_people
from people.models import Delegation, Team, TeamMembership, Unavailability
from people.selectors import SPOF_HORIZON, SpofRow, coverage

COVERAGE_CHECK_PERIOD = timedelta(days=1)

# A function × scope pair: the function's id, the team's (None: the organisation).
Pair = tuple[int, int | None]


def _key(row: SpofRow) -> Pair:
    return row.function.pk, row.team.pk if row.team else None


def covered(at: datetime | None = None) -> set[Pair]:
    """The function × scope pairs that have a backup from `at` (now) for the coming days."""
    return {_key(row) for row in coverage(at=at) if not row.is_spof}


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a %d %b %H:%M UTC")


def backups_lost(
    before: set[Pair], reason: str, *, told_since: datetime | None = None
) -> list[Notification | None]:
    """Tell who must act about each pair of `before` (covered()) that has no backup now;
    with `told_since`, not the pairs already told about since then."""
    lost = [row for row in coverage() if row.is_spof and _key(row) in before]
    if told_since is not None:
        lost = [row for row in lost if not _told(row, told_since)]
    if not lost:
        return []
    coordinators = list(
        get_user_model().objects.filter(groups__name=groups.COORDINATORS, is_active=True)
    )
    leads: dict[int | None, list[User]] = {}
    for membership in TeamMembership.objects.filter(
        team__in=[row.team for row in lost if row.team], is_lead=True
    ).select_related("user"):
        leads.setdefault(membership.team_id, []).append(membership.user)
    return [
        notify_people(
            people=[*coordinators, *leads.get(_key(row)[1], [])],
            event=NotificationEvent.SINGLE_POINT_OF_FAILURE,
            context=_context(row, reason),
        )
        for row in lost
    ]


def _told(row: SpofRow, since: datetime) -> bool:
    return Notification.objects.filter(
        event=NotificationEvent.SINGLE_POINT_OF_FAILURE,
        created_at__gte=since,
        content__data__function=row.function.slug,
        content__data__team=row.team.slug if row.team else None,
    ).exists()


def horizon_reached(
    *, now: datetime | None = None, period: timedelta = COVERAGE_CHECK_PERIOD
) -> list[Notification | None]:
    """Windows are only looked at 14 days ahead: as time passes, one can come into view and
    leave a function without a backup though nothing was changed. Run every `period`: the pairs
    covered as seen from `period` ago and not any more are told (once)."""
    now = now or timezone.now()
    before = covered(at=now - period)
    reason = _("A planned absence in the coming %(days)s days leaves no backup.") % {
        "days": SPOF_HORIZON.days
    }
    return backups_lost(before, reason, told_since=now - period)


def _context(row: SpofRow, reason: str) -> dict[str, Any]:
    url = absolute_url("portal:delegates")
    names = {"function": row.function.name, "scope": row.scope_label}
    available = ngettext(
        "%(count)d of %(total)d delegates available from %(when)s",
        "%(count)d of %(total)d delegates available from %(when)s",
        row.fewest_available,
    ) % {"count": row.fewest_available, "total": len(row.delegates), "when": _utc(row.fewest_at)}
    return {
        "headline": _("No backup left for %(function)s (%(scope)s)") % names,
        "body": reason,
        "facts": [
            (str(_("Delegates")), ", ".join(display_name(u) for u in row.delegates) or "—"),
            (str(_("Available")), available),
        ],
        "url": url,
        "data": {
            "function": row.function.slug,
            "team": row.team.slug if row.team else None,
            "delegates": len(row.delegates),
            "fewest_available": row.fewest_available,
            "fewest_at": row.fewest_at.isoformat(),
            "url": url,
        },
    }


def removed(actor: User, delegation: Delegation) -> str:
    return _("%(actor)s removed %(user)s from the delegates of %(function)s (%(scope)s).") % {
        "actor": display_name(actor),
        "user": display_name(delegation.user),
        "function": delegation.function.name,
        "scope": _scope(delegation.team),
    }


def changed(actor: User, delegation: Delegation) -> str:
    return _(
        "%(actor)s changed the delegates: %(user)s now holds %(function)s (%(scope)s) at "
        "rank %(rank)s."
    ) % {
        "actor": display_name(actor),
        "user": display_name(delegation.user),
        "function": delegation.function.name,
        "scope": _scope(delegation.team),
        "rank": delegation.rank,
    }


def away(window: Unavailability) -> str:
    return _("%(user)s is unavailable (%(reason)s) from %(starts)s until %(ends)s.") % {
        "user": display_name(window.user),
        "reason": window.get_reason_display().lower(),
        "starts": _utc(window.starts_at),
        "ends": _utc(window.ends_at),
    }


def _scope(team: Team | None) -> str:
    return team.name if team is not None else _("Organisation")
