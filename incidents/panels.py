"""The incident page's Policy, Effort, Response plan and Notifications panels: their form and
their context.

Kept apart from views.py so that both the incident page and the effort views can use them.
"""

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.models import IncidentCompliance, RoleAssignment
from notifications.models import Delivery
from people.models import CriticalFunction
from policy import selectors as policy_selectors

from . import access, costing
from .forms import ActionForm
from .services.effort import may_remove_any

EFFORT_FORM_KEY = "effort"
DELIVERIES_SHOWN = 50


class EffortLogForm(ActionForm):
    """Field names are the keyword arguments of services.effort_log (besides the actor)."""

    hours = forms.DecimalField(
        label=gettext_lazy("Hours"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0.25", "max": "24"}),
        help_text=gettext_lazy("In quarter hours, up to 24."),
    )
    worked_on = forms.DateField(
        label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    function = forms.ModelChoiceField(
        label=gettext_lazy("As"),
        queryset=CriticalFunction.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("No particular function"),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["worked_on"].initial = today
        self.fields["worked_on"].widget.attrs["max"] = today.isoformat()
        held = (
            RoleAssignment.objects.filter(incident=self.incident, user=self.user, ended_at=None)
            .values_list("function_id", flat=True)
            .first()
        )
        if held:
            self.fields["function"].initial = held


def effort_form(incident, user, data=None):
    return EffortLogForm(data, incident=incident, user=user, auto_id=f"id_{EFFORT_FORM_KEY}_%s")


@dataclass(frozen=True)
class Gap:
    """A stretch between two status updates (or declaration, resolution, now)."""

    start: str
    end: str
    minutes: float
    late: bool
    still_open: bool


def _gaps(record, incident):
    if record is None:
        return []
    gaps = record.update_gaps_minutes or []
    cadence = record.update_cadence_minutes
    if incident.resolved_at:
        last_end = _("resolution")
    elif incident.cancelled_at:
        last_end = _("cancellation")
    else:
        last_end = _("now")
    shown = []
    for number, minutes in enumerate(gaps, start=1):
        is_last = number == len(gaps)
        shown.append(
            Gap(
                start=_("declaration") if number == 1 else _("update %(n)d") % {"n": number - 1},
                end=last_end if is_last else _("update %(n)d") % {"n": number},
                minutes=minutes,
                late=cadence is not None and minutes > cadence,
                still_open=is_last and incident.is_active,
            )
        )
    return shown


def _removable(entries, user, incident):
    """(entry, whether `user` may remove it), deciding access once rather than per entry."""
    if not entries:
        return []
    if may_remove_any(user, incident):
        return [(entry, True) for entry in entries]
    own = access.can_act(user, incident)
    return [(entry, own and entry.user_id == user.pk) for entry in entries]


def incident_panels(*, incident, user, bound=None):
    """What the Policy and Effort panels show; `bound` may hold a submitted effort form."""
    bound = bound or {}
    level = policy_selectors.policy_level(
        version=incident.policy_version, severity=incident.severity
    )
    record = IncidentCompliance.objects.filter(incident=incident).first()
    entries = list(costing.effort_entries(incident=incident))
    effort = costing.measure_effort(
        incident=incident,
        entries=entries,
        assignments=list(
            RoleAssignment.objects.filter(incident=incident).select_related("user", "function")
        ),
        level=level,
        now=timezone.now(),
    )
    return {
        "policy_level": level,
        "compliance": record,
        "compliance_gaps": _gaps(record, incident),
        "effort": effort,
        "effort_entries": _removable(entries, user, incident),
        "effort_form": bound.get(EFFORT_FORM_KEY) or effort_form(incident, user),
    }


def response_panels(*, incident):
    """The Response plan panel's steps in order; the Notifications panel's latest deliveries,
    newest first, grouped by audience (in order of each audience's latest delivery)."""
    deliveries = (
        Delivery.objects.filter(notification__incident=incident)
        .select_related("notification", "failed_over_from")
        .order_by("-created_at", "-pk")
    )
    latest = list(deliveries[:DELIVERIES_SHOWN])
    by_audience = {}
    for delivery in latest:
        audience = delivery.notification.get_audience_display()
        by_audience.setdefault(audience, []).append(delivery)
    return {
        "plan_steps": incident.plan_steps.select_related("done_by").order_by("position", "pk"),
        "deliveries_by_audience": list(by_audience.items()),
        "deliveries_shown": len(latest),
        "deliveries_total": deliveries.count() if len(latest) == DELIVERIES_SHOWN else len(latest),
    }
