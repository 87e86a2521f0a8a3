"""Drafts: a new version starts from the one in force (or another), and says what it changes."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from policy import selectors
from policy.models import PolicyEventKind, PolicyVersion

from .base import ensure_can_manage, lock_version, record_event, require_draft


def _next_number() -> int:
    # Lock the newest version so that two drafts started at once queue for the next number.
    list(PolicyVersion.objects.select_for_update().order_by("-number")[:1])
    last: int | None = PolicyVersion.objects.aggregate(last=Max("number"))["last"]
    return (last or 0) + 1


def _copy_levels(source: PolicyVersion, target: PolicyVersion) -> None:
    for level in source.levels.prefetch_related("paged_functions"):
        functions = list(level.paged_functions.all())
        # Else `set()` below believes they are there (Django's private prefetch cache).
        level._prefetched_objects_cache = {}  # type: ignore[attr-defined]
        level.pk = None
        level._state.adding = True
        level.version = target
        level.save()
        level.paged_functions.set(functions)


@transaction.atomic
def policy_draft_create(
    *, actor: User, summary: str = "", copy_from: PolicyVersion | None = None
) -> PolicyVersion:
    """A new draft with the next number, starting from `copy_from` (default: the version in
    force), so that editing starts from what applies today."""
    ensure_can_manage(actor)
    source = copy_from or selectors.policy_effective()
    version = PolicyVersion(number=_next_number(), summary=(summary or "").strip(), author=actor)
    version.full_clean()
    version.save()
    if source is not None:
        _copy_levels(source, version)
    record_event(
        version,
        PolicyEventKind.CREATED,
        actor,
        _("Draft created from %(source)s.") % {"source": source}
        if source
        else _("Draft created from scratch."),
        copied_from=source.number if source else None,
    )
    return version


@transaction.atomic
def policy_draft_update(*, actor: User, version: PolicyVersion, summary: str) -> PolicyVersion:
    """Say what the draft changes."""
    ensure_can_manage(actor)
    version = lock_version(version)
    require_draft(version)
    summary = (summary or "").strip()
    if summary == version.summary:
        return version
    before = version.summary
    version.summary = summary
    version.save(update_fields=["summary"])
    record_event(
        version,
        PolicyEventKind.EDITED,
        actor,
        _("Summary changed."),
        before={"summary": before},
        after={"summary": summary},
    )
    return version
