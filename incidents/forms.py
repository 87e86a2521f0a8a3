"""Portal forms. They only parse input; the services decide and refuse (see services.py)."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import ModelChoiceIterator
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from catalog.models import Service
from core.admin.forms import ServiceModelForm
from core.forms import (
    ListField,
    ServiceErrorsMixin,
    UserChoiceField,
    UserMultipleChoiceField,
    active_people,
    local_datetime_input,
)
from incidents import selectors
from incidents.models import CancelReason, IncidentStatus
from people import services as people_services
from people.models import Team, UserPreference
from policy import selectors as policy_selectors
from policy.models import Impact, IncidentType, Priority, SeverityLevel, Urgency

from .filters import IncidentFilter
from .services import WORKING_TRANSITIONS

WORKING_STATES = [
    status for status in IncidentStatus if any(status in t for t in WORKING_TRANSITIONS.values())
]


class TierGroupedIterator(ModelChoiceIterator):
    """Choices grouped under "Tier 1", "Tier 2"… (the queryset is ordered by tier)."""

    def __iter__(self):
        groups = {}
        for service in self.queryset:
            groups.setdefault(service.tier, []).append(self.choice(service))
        for tier, choices in groups.items():
            yield (_("Tier %(tier)s") % {"tier": tier}, choices)


class ServiceMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = TierGroupedIterator

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "queryset", Service.objects.filter(is_active=True).order_by("tier", "name")
        )
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"size": 6}))
        super().__init__(**kwargs)


PRIVACY_CHOICES = [("", _("Type default")), ("true", _("Private")), ("false", _("Public"))]


class DeclareForm(ServiceErrorsMixin, forms.Form):
    """Field names are the keyword arguments of services.incident_declare."""

    title = forms.CharField(label=_("Title"), max_length=200)
    name = forms.CharField(
        label=_("Channel name"),
        required=False,
        max_length=60,
        help_text=_(
            "Lowercase letters, digits, '-' or '_'; defaults to the title (to the reference "
            "for a private incident)."
        ),
    )
    incident_type = forms.ModelChoiceField(
        label=_("Type"), queryset=IncidentType.objects.filter(is_active=True)
    )
    severity = forms.ModelChoiceField(label=_("Severity"), queryset=SeverityLevel.objects.all())
    priority = forms.ModelChoiceField(
        label=_("Priority"),
        queryset=Priority.objects.all(),
        required=False,
        help_text=_("Leave empty to take the matrix's suggestion."),
    )
    impact_level = forms.ChoiceField(
        label=_("Impact"),
        choices=[("", _("Not assessed")), *Impact.choices],
        required=False,
        help_text=_("How much of the business is hurt."),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=[("", _("Not assessed")), *Urgency.choices],
        required=False,
        help_text=_("How fast it gets worse."),
    )
    priority_override_reason = forms.CharField(
        label=_("Why another priority?"),
        required=False,
        max_length=300,
        help_text=_("Needed when you choose a priority other than the suggested one."),
    )
    team = forms.ModelChoiceField(
        label=_("Owning team"),
        queryset=Team.objects.all(),
        required=False,
        empty_label=_("Organisation-wide"),
        help_text=_("Its delegates staff the incident."),
    )
    summary = forms.CharField(
        label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    impact = forms.CharField(
        label=_("Customer impact"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    services = ServiceMultipleChoiceField(
        label=_("Affected services"),
        required=False,
        help_text=_("Their approved playbooks are linked to the incident."),
    )
    environments = ListField(
        label=_("Environments"), required=False, help_text=_("Comma-separated.")
    )
    regions = ListField(label=_("Regions"), required=False, help_text=_("Comma-separated."))
    is_private = forms.TypedChoiceField(
        label=_("Visibility"),
        choices=PRIVACY_CHOICES,
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
    )
    is_drill = forms.BooleanField(
        label=_("This is a drill"),
        required=False,
        help_text=_("Drills run the real process but notify only the drill channels."),
    )
    commander = UserChoiceField(label=_("Commander"), queryset=active_people(), required=False)
    responder = UserChoiceField(label=_("Responder"), queryset=active_people(), required=False)
    invitees = UserMultipleChoiceField(
        label=_("Invitees"),
        queryset=active_people(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    broadcast_channel = forms.CharField(label=_("Broadcast channel"), required=False, max_length=80)
    impact_started_at = forms.DateTimeField(
        label=_("Impact started"), required=False, widget=local_datetime_input()
    )
    detected_at = forms.DateTimeField(
        label=_("Detected"),
        required=False,
        widget=local_datetime_input(),
        help_text=_("Leave empty for now."),
    )
    affects_customers = forms.BooleanField(label=_("Negatively affects customers"), required=False)
    unplanned = forms.BooleanField(label=_("Was not planned"), required=False)
    exceeds_one_hour = forms.BooleanField(
        label=_("Cannot be resolved within 1 hour"), required=False
    )
    confirm_definition = forms.BooleanField(
        label=_("Declare anyway: I confirm this needs the incident process."), required=False
    )

    DEFINITION_FIELDS = ("affects_customers", "unplanned", "exceeds_one_hour")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        private_types = ", ".join(
            t.name for t in self.fields["incident_type"].queryset if t.private_by_default
        )
        if private_types:
            self.fields["is_private"].help_text = _(
                "Type default: private for %(types)s, public otherwise."
            ) % {"types": private_types}

    @property
    def suggested_priority(self):
        """The matrix's suggestion for the impact and urgency entered, if any."""
        impact, urgency = (self[name].value() for name in ("impact_level", "urgency"))
        if impact in Impact.values and urgency in Urgency.values:
            return policy_selectors.priority_suggestion(impact_level=impact, urgency=urgency)
        return None

    def priority_matrix(self):
        """{impact: {urgency: priority name}} for the page's suggestion script."""
        return policy_selectors.priority_matrix_names()

    @property
    def asks_confirmation(self):
        """Show 'Declare anyway' once the service asked for it (or it is already ticked)."""
        return "confirm_definition" in self.errors or (
            self.is_bound and self["confirm_definition"].value()
        )

    def definition_fields(self):
        return [self[name] for name in self.DEFINITION_FIELDS]


class ActionForm(ServiceErrorsMixin, forms.Form):
    """A form on the incident page. Its cleaned data are the service's keyword arguments."""

    def __init__(self, *args, incident, user, **kwargs):
        self.incident = incident
        self.user = user
        super().__init__(*args, **kwargs)


class AcknowledgeForm(ActionForm):
    pass


class CloseForm(ActionForm):
    pass


def _working_choices(exclude):
    return [(s, IncidentStatus(s).label) for s in WORKING_STATES if s != exclude]


class StatusForm(ActionForm):
    status = forms.ChoiceField(label=_("New status"), choices=())
    note = forms.CharField(label=_("Why"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choose = [("", _("Choose…"))]
        self.fields["status"].choices = choose + _working_choices(exclude=self.incident.status)


class SeverityForm(ActionForm):
    severity = forms.ModelChoiceField(label=_("Severity"), queryset=SeverityLevel.objects.all())
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].initial = self.incident.severity_id


class UpdateForm(ActionForm):
    message = forms.CharField(label=_("Update"), widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep = [("", _("Keep: %(status)s") % {"status": self.incident.get_status_display()})]
        self.fields["status"].choices = keep + _working_choices(exclude=self.incident.status)


class OptionalNoteForm(ActionForm):
    """What marking an exit criterion met or a playbook step done takes."""

    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Note (optional)")}),
    )


class CriterionWaiveForm(ActionForm):
    reason = forms.CharField(label=_("Reason for waiving"), max_length=500)


class ResolveForm(ActionForm):
    resolution = forms.CharField(
        label=_("Resolution"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What fixed it, in a sentence or two."),
    )
    archive_channel = forms.BooleanField(
        label=_("Archive the Slack channel once the resolution is announced"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.incident.slack_channel_id:  # nothing to archive
            del self.fields["archive_channel"]


class CancelForm(ActionForm):
    reason = forms.ChoiceField(
        label=_("Why cancel?"), choices=CancelReason.choices, widget=forms.RadioSelect
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of"),
        required=False,
        max_length=20,
        help_text=_("Reference of the incident that stands, e.g. INC-2025-0007."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def clean_duplicate_of(self):
        reference = self.cleaned_data["duplicate_of"].strip().upper()
        if not reference:
            return None
        try:
            return selectors.incident_get(user=self.user, reference=reference)
        except Http404:
            raise ValidationError(
                _("There is no incident %(ref)s that you can see."), params={"ref": reference}
            ) from None


class NoteForm(ActionForm):
    text = forms.CharField(
        label=_("Note for the timeline"), widget=forms.Textarea(attrs={"rows": 2})
    )


class PreferenceForm(ServiceModelForm):
    """The signed-in person's own preferences, saved by `preference_update` (set `actor`)."""

    class Meta:
        model = UserPreference
        fields = ["time_zone", "phone"]  # the Slack id is linked, not typed (views_slack.py)
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def call_service(self):
        return people_services.preference_update(
            actor=self.actor, user=self.instance.user, **self.cleaned_data
        )


class IncidentFilterForm(forms.Form):
    """IncidentFilter's form as the portal shows it: tick boxes, and "Any" for yes/no."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.SelectMultiple):
                field.widget = forms.CheckboxSelectMultiple(choices=field.choices)
            elif isinstance(field.widget, forms.NullBooleanSelect):
                field.widget.choices = [
                    ("unknown", _("Any")),
                    ("true", _("Yes")),
                    ("false", _("No")),
                ]


class PortalIncidentFilter(IncidentFilter):
    class Meta(IncidentFilter.Meta):
        form = IncidentFilterForm
