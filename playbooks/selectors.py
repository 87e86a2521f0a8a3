"""Reads for the playbook pages: coverage of the service catalogue, diffs, rendering."""

import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta

import markdown
import nh3
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import (
    Service,
)
from playbooks.models import (
    Playbook,
    PlaybookVersion,
    Verification,
    VerificationOutcome,
    VersionStatus,
)


def reverify_interval(service: Service) -> timedelta:
    return timedelta(days=settings.BEACON_PLAYBOOK_REVERIFY_DAYS_BY_TIER.get(service.tier, 365))


@dataclass
class Coverage:
    service: Service
    approved: list[PlaybookVersion]  # approved versions, one per playbook
    pending_reviews: int
    last_verification: Verification | None
    reverify_due_at: datetime | None

    @property
    def has_approved(self) -> bool:
        return bool(self.approved)

    @property
    def verified_current(self) -> bool:
        return self.reverify_due_at is not None and self.reverify_due_at > timezone.now()

    @property
    def is_covered(self) -> bool:
        return self.has_approved and self.verified_current

    @property
    def days_until_reverification(self) -> int | None:
        if self.reverify_due_at is None:
            return None
        return (self.reverify_due_at - timezone.now()).days


def service_coverage(service: Service) -> Coverage:
    """`service`'s playbook state; prefetch with `_with_coverage` when doing many."""
    approved: list[PlaybookVersion] = []
    pending = 0
    verifications: list[Verification] = []
    for playbook in service.playbooks.all():
        for version in playbook.versions.all():
            if version.status == VersionStatus.APPROVED:
                approved.append(version)
                verifications.extend(version.verifications.all())
            elif version.status == VersionStatus.IN_REVIEW:
                pending += 1
    last = max(verifications, key=lambda v: v.verified_at, default=None)
    due = (
        last.verified_at + reverify_interval(service)
        if last and last.outcome == VerificationOutcome.PASSED
        else None
    )
    return Coverage(service, approved, pending, last, due)


def coverage() -> list[Coverage]:
    """Every active service with its playbook state, in a constant number of queries."""
    return [service_coverage(s) for s in _with_coverage(Service.objects.filter(is_active=True))]


def render_markdown(text: str | None) -> str:
    """Playbook Markdown as HTML safe to show: nh3 drops scripts, handlers and odd URLs."""
    return nh3.clean(markdown.markdown(text or "", extensions=["fenced_code", "tables"]))


def _lines(version: PlaybookVersion) -> list[str]:
    steps = [
        f"{step.position}. {step.text}"
        + (f" → {step.expected_outcome}" if step.expected_outcome else "")
        + (f" `{step.command}`" if step.command else "")
        for step in version.steps.all()
    ]
    return [*version.content.splitlines(), "", "Steps:", *steps]


def version_diff(version: PlaybookVersion, against: PlaybookVersion | None) -> str:
    """A unified diff of `version` against another (usually the approved one)."""
    if against is None or against.pk == version.pk:
        return ""
    return "\n".join(
        difflib.unified_diff(
            _lines(against),
            _lines(version),
            fromfile=str(against),
            tofile=str(version),
            lineterm="",
        )
    )


def approved_version(playbook: Playbook) -> PlaybookVersion | None:
    return playbook.versions.filter(status=VersionStatus.APPROVED).first()


# --- Who may see which service ------------------------------------------------------------


def _with_coverage(services: QuerySet[Service]) -> QuerySet[Service]:
    return services.select_related("owner_team").prefetch_related(
        "playbooks",
        Prefetch(
            "playbooks__versions",
            queryset=PlaybookVersion.objects.filter(
                status__in=[VersionStatus.APPROVED, VersionStatus.IN_REVIEW]
            ).prefetch_related("verifications"),
        ),
    )


def service_list(*, user: User | AnonymousUser | None) -> QuerySet[Service]:
    """The services `user` may see, ready for `service_coverage` in a constant number of
    queries."""
    visible = catalog_selectors.visible_services(user)
    return _with_coverage(visible).prefetch_related("dependencies")


def coverage_for(*, user: User | AnonymousUser | None) -> list[Coverage]:
    """`coverage()` limited to the active services `user` may see."""
    return [service_coverage(service) for service in service_list(user=user).filter(is_active=True)]
