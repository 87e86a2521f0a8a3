"""What the playbook review says, and to whom: a submitted version asks its service's
approvers for a review, a decision tells the author. Written to the outbox in the caller's
transaction."""

from collections.abc import Iterable

from django.contrib.auth.models import Permission, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from guardian.shortcuts import get_users_with_perms

from catalog.models import Service
from core.names import display_name
from notifications.links import absolute_url
from notifications.models import Notification, NotificationEvent
from notifications.rendering import Context
from notifications.services import notify_people
from playbooks.models import PlaybookVersion


def approvers(service: Service) -> QuerySet[User]:
    """Who holds `approve_playbook` on the service (themselves or by a group) or model-wide.

    Superusers are left out: they may approve, but they are not the service's reviewers.
    """
    on_service = get_users_with_perms(service, only_with_perms_in=["approve_playbook"])
    model_wide = Permission.objects.filter(
        content_type__app_label="catalog", codename="approve_playbook"
    )
    holders = User.objects.filter(
        # guardian types its answer `Any | list[str]`; without attach_perms it is a queryset.
        Q(pk__in=on_service.values("pk"))  # type: ignore[union-attr]
        | Q(user_permissions__in=model_wide)
        | Q(groups__permissions__in=model_wide)
    )
    return User.objects.filter(pk__in=holders.values("pk"), is_active=True).order_by("pk")


def _context(
    version: PlaybookVersion,
    headline: str,
    body: str = "",
    facts: Iterable[tuple[str, object]] = (),
) -> Context:
    service = version.playbook.service
    url = absolute_url("playbooks:service", service.slug)
    facts = [
        (_("Service"), service.name),
        (_("Playbook"), version.playbook.title),
        (_("Version"), f"v{version.number}"),
        *facts,
    ]
    return {
        "headline": headline,
        "body": body,
        "facts": [(str(label), str(value)) for label, value in facts if value],
        "url": url,
        "data": {
            "service": service.slug,
            "playbook": version.playbook.title,
            "version": version.number,
            "status": version.status,
            "url": url,
        },
    }


def _names(version: PlaybookVersion) -> dict[str, object]:
    return {"service": version.playbook.service.name, "number": version.number}


def submitted(
    version: PlaybookVersion, *, actor: User, approvals_required: int
) -> Notification | None:
    """Ask the service's approvers for a review; neither the author nor who submitted it."""
    headline = _("Playbook for %(service)s v%(number)s awaits your review") % _names(version)
    body = ngettext(
        "%(author)s wrote it; it needs %(count)d approval.",
        "%(author)s wrote it; it needs %(count)d approvals.",
        approvals_required,
    ) % {"author": display_name(version.author), "count": approvals_required}
    people = approvers(version.playbook.service).exclude(pk__in=[version.author_id, actor.pk])
    return notify_people(
        people=list(people),
        event=NotificationEvent.PLAYBOOK_SUBMITTED,
        context=_context(version, headline, body),
    )


def approved(version: PlaybookVersion, *, approved_by: str, comment: str) -> Notification | None:
    """Tell the author their version is now the approved one (with the last comment)."""
    headline = _("Playbook for %(service)s v%(number)s is approved") % _names(version)
    return _to_author(version, headline, comment, [(_("Approved by"), approved_by)])


def rejected(version: PlaybookVersion, *, actor: User, reason: str) -> Notification | None:
    """Tell the author what has to change."""
    headline = _("Playbook for %(service)s v%(number)s was rejected") % _names(version)
    return _to_author(version, headline, reason, [(_("Rejected by"), display_name(actor))])


def _to_author(
    version: PlaybookVersion, headline: str, body: str, facts: Iterable[tuple[str, object]]
) -> Notification | None:
    return notify_people(
        people=[version.author],
        event=NotificationEvent.PLAYBOOK_DECIDED,
        context=_context(version, headline, body, facts),
    )
