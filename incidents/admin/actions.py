"""The incident admin's actions. Each calls the services once per selected incident, reports the
successes in one message and every refusal in the service's own words; a refused incident keeps
everything as it was (core.admin.actions.apply_each). Actions that need input show an
intermediate page first."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin.actions import apply_each, intermediate_page, submitted
from incidents import services
from incidents.models import AckVia, IncidentStatus

from . import forms

ACKNOWLEDGED = ngettext_lazy(
    "Acknowledged %(count)d incident: %(refs)s.",
    "Acknowledged %(count)d incidents: %(refs)s.",
    "count",
)
MOVED = ngettext_lazy(
    "Moved %(count)d incident to %(status)s: %(refs)s.",
    "Moved %(count)d incidents to %(status)s: %(refs)s.",
    "count",
)
SEVERITY_CHANGED = ngettext_lazy(
    "Changed the severity of %(count)d incident to %(severity)s: %(refs)s.",
    "Changed the severity of %(count)d incidents to %(severity)s: %(refs)s.",
    "count",
)
UPDATE_POSTED = ngettext_lazy(
    "Posted a status update to %(count)d incident: %(refs)s.",
    "Posted a status update to %(count)d incidents: %(refs)s.",
    "count",
)
RESOLVED = ngettext_lazy(
    "Resolved %(count)d incident: %(refs)s.", "Resolved %(count)d incidents: %(refs)s.", "count"
)
CLOSED = ngettext_lazy(
    "Closed %(count)d incident: %(refs)s.", "Closed %(count)d incidents: %(refs)s.", "count"
)
CANCELLED = ngettext_lazy(
    "Cancelled %(count)d incident: %(refs)s.", "Cancelled %(count)d incidents: %(refs)s.", "count"
)


@admin.action(description=_("Acknowledge"), permissions=["change"])
def acknowledge(modeladmin, request, queryset):
    apply_each(
        modeladmin,
        request,
        queryset,
        lambda incident: services.incident_acknowledge(
            incident=incident, actor=request.user, via=AckVia.ADMIN
        ),
        ACKNOWLEDGED,
    )


def _move_to(status, description):
    @admin.action(description=description, permissions=["change"])
    def move(modeladmin, request, queryset):
        apply_each(
            modeladmin,
            request,
            queryset,
            lambda incident: services.incident_change_status(
                incident=incident, actor=request.user, status=status
            ),
            MOVED,
            status=status.label.lower(),
        )

    move.__name__ = f"move_to_{status}"
    return move


move_to_investigating = _move_to(IncidentStatus.INVESTIGATING, _("Move to investigating"))
move_to_identified = _move_to(IncidentStatus.IDENTIFIED, _("Move to identified"))
move_to_monitoring = _move_to(IncidentStatus.MONITORING, _("Move to monitoring"))


@admin.action(description=_("Change severity…"), permissions=["change"])
def change_severity(modeladmin, request, queryset):
    form = forms.ChangeSeverityForm(submitted(request))
    if not form.is_valid():
        return intermediate_page(modeladmin, request, queryset, form, title=_("Change severity"))
    severity = form.cleaned_data["severity"]
    apply_each(
        modeladmin,
        request,
        queryset,
        lambda incident: services.incident_change_severity(
            incident=incident,
            actor=request.user,
            severity=severity,
            reason=form.cleaned_data["reason"],
        ),
        SEVERITY_CHANGED,
        severity=severity.name,
    )


@admin.action(description=_("Post status update…"), permissions=["change"])
def post_update(modeladmin, request, queryset):
    form = forms.PostUpdateForm(submitted(request))
    if not form.is_valid():
        return intermediate_page(
            modeladmin, request, queryset, form, title=_("Post a status update")
        )
    apply_each(
        modeladmin,
        request,
        queryset,
        lambda incident: services.incident_post_update(
            incident=incident, actor=request.user, **form.cleaned_data
        ),
        UPDATE_POSTED,
    )


def _unsettled_criteria(queryset):
    """A single incident's criteria still to settle; none to show when several are resolved."""
    incidents = list(queryset[:2])
    if len(incidents) != 1:
        return []
    return [c for c in incidents[0].criteria.all() if not c.is_settled]


@admin.action(description=_("Resolve…"), permissions=["change"])
def resolve(modeladmin, request, queryset):
    form = forms.ResolveForm(submitted(request), criteria=_unsettled_criteria(queryset))
    if not form.is_valid():
        return intermediate_page(
            modeladmin, request, queryset, form, title=_("Resolve"), template="resolve"
        )

    archive = form.cleaned_data["archive_channel"]

    def settle_and_resolve(incident):
        for criterion, waive_reason in form.settlements():
            if waive_reason:
                services.incident_waive_exit_criterion(
                    incident=incident,
                    actor=request.user,
                    criterion_id=criterion.pk,
                    reason=waive_reason,
                )
            else:
                services.incident_check_exit_criterion(
                    incident=incident, actor=request.user, criterion_id=criterion.pk
                )
        services.incident_resolve(
            incident=incident,
            actor=request.user,
            resolution=form.cleaned_data["resolution"],
            archive_channel=archive and bool(incident.slack_channel_id),
        )

    apply_each(modeladmin, request, queryset, settle_and_resolve, RESOLVED)


@admin.action(description=_("Close"), permissions=["change"])
def close(modeladmin, request, queryset):
    apply_each(
        modeladmin,
        request,
        queryset,
        lambda incident: services.incident_close(incident=incident, actor=request.user),
        CLOSED,
    )


@admin.action(description=_("Cancel…"), permissions=["change"])
def cancel(modeladmin, request, queryset):
    form = forms.CancelForm(submitted(request), user=request.user)
    if not form.is_valid():
        return intermediate_page(modeladmin, request, queryset, form, title=_("Cancel incidents"))
    apply_each(
        modeladmin,
        request,
        queryset,
        lambda incident: services.incident_cancel(
            incident=incident, actor=request.user, **form.cleaned_data
        ),
        CANCELLED,
    )


ALL = [
    acknowledge,
    move_to_investigating,
    move_to_identified,
    move_to_monitoring,
    change_severity,
    post_update,
    resolve,
    close,
    cancel,
]
