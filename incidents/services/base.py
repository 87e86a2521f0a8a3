"""What the incident services share: locking, the timeline row, the policy's cadence."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from incidents.models import Incident, IncidentStatus
from incidents.timeline import record_event as record_event  # the services' timeline writer
from incidents.timeline import timeline_event as timeline_event
from policy import selectors as policy_selectors
from policy.models import PolicyLevel

from .compliance import incident_compliance_refresh

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CLOCK_SKEW = timedelta(minutes=2)


def measure_compliance(incident: Incident, *, new: bool = False) -> None:
    incident_compliance_refresh(incident=incident, new=new)


def lock_incident(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def status_label(status: str) -> "StrOrPromise":
    return IncidentStatus(status).label


def require_active(incident: Incident, doing: str) -> None:
    if not incident.is_active:
        raise TransitionNotAllowed(
            _("Incident %(ref)s is %(status)s: it can no longer %(doing)s.")
            % {
                "ref": incident.reference,
                "status": status_label(incident.status).lower(),
                "doing": doing,
            }
        )


def require_open(incident: Incident, refusal: str) -> None:
    """Refuse with `refusal` (which names %(ref)s and %(status)s) once the incident is closed or
    cancelled."""
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        raise TransitionNotAllowed(
            refusal % {"ref": incident.reference, "status": status_label(incident.status).lower()}
        )


def clean_list(values: Iterable[object] | None) -> list[str]:
    return [str(v).strip() for v in values or () if str(v).strip()]


def policy_level_of(incident: Incident) -> PolicyLevel | None:
    return policy_selectors.policy_level(
        version=incident.policy_version, severity=incident.severity
    )


def update_cadence(incident: Incident, level: PolicyLevel | None = None) -> timedelta:
    """Time between status updates: the policy level's cadence, else the default (30 min)."""
    level = level or policy_level_of(incident)
    minutes = (
        level.update_cadence_minutes if level else settings.BEACON_DEFAULT_UPDATE_CADENCE_MINUTES
    )
    return timedelta(minutes=minutes)


def check_moments(
    errors: dict[str, str],
    *,
    impact_started_at: datetime | None,
    detected_at: datetime | None,
    now: datetime,
) -> None:
    for field, moment in (("impact_started_at", impact_started_at), ("detected_at", detected_at)):
        if moment and moment > now + CLOCK_SKEW:
            errors[field] = _("This time is in the future.")
    if impact_started_at and detected_at and detected_at < impact_started_at:
        errors["detected_at"] = _("Detection cannot come before the impact started.")


def incident_channels(*, ids: Iterable[str] = (), names: Iterable[str] = ()) -> QuerySet[Incident]:
    """Every incident (whoever asks) whose Slack channel has one of these ids or names."""
    ids, names = [i for i in ids if i], [n for n in names if n]
    if connection.vendor == "postgresql":
        # Two array parameters: a picker asks about every channel the bot is in (hundreds),
        # and as many placeholders cost more to build than the query takes to run.
        table = connection.ops.quote_name(Incident._meta.db_table)
        matching = RawSQL(
            f"{table}.slack_channel_id = ANY(%s) OR {table}.channel_name = ANY(%s)",
            [ids, names],
            output_field=BooleanField(),
        )
        return Incident.objects.filter(matching)
    return Incident.objects.filter(Q(slack_channel_id__in=ids) | Q(channel_name__in=names))


def check_broadcast_channel(errors: dict[str, str], channel: str | None) -> None:
    """No incident's channel, by id or name, is where the organisation hears about incidents
    (saying which incident would name a private one)."""
    if channel and incident_channels(ids=[channel], names=[channel.lstrip("#")]).exists():
        errors["broadcast_channel"] = _(
            "This is an incident channel; choose the channel where the organisation hears "
            "about incidents."
        )
