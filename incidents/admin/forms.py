"""Forms of the incidents admin: the add and change forms, and the actions' intermediate pages.

They parse input; the services decide. The add and change forms call their service as the last
step of validation, because a refusal must re-render the form with its errors and the admin
only re-renders a form that failed validation. The admin runs the whole request in one
transaction and a refused service call saves nothing.
"""

from django import forms
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from catalog.models import Service
from core.admin.forms import ServiceModelForm
from core.forms import ListField
from incidents import selectors, services
from incidents.models import CancelReason, Incident, IncidentSource, IncidentStatus
from policy.models import SeverityLevel

WORKING_STATUSES = [
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
]
LIST_FIELDS = ["environments", "regions"]
# The add form's model fields, each passed to `services.incident_declare` under its own name.
DECLARATION_FIELDS = [
    "title",
    "incident_type",
    "severity",
    "priority",
    "is_drill",
    "summary",
    "impact",
    "services",
    *LIST_FIELDS,
    "commander",
    "responder",
    "invitees",
    "broadcast_channel",
    "impact_started_at",
    "detected_at",
    "affects_customers",
    "unplanned",
    "exceeds_one_hour",
]


def admin_list_field(label):
    return ListField(
        label=label,
        required=False,
        help_text=_("Separate names with commas."),
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )


class IncidentServiceForm(ServiceModelForm):
    """A ServiceModelForm for an incident, whose environments and regions are typed as text."""

    environments = admin_list_field(_("Environments"))
    regions = admin_list_field(_("Regions"))


class IncidentDeclareForm(IncidentServiceForm):
    """The add form: a declaration from the admin."""

    name = forms.CharField(
        label=_("Channel name"),
        required=False,
        help_text=_(
            "1 to 60 lowercase letters, digits, “-” or “_”, for the channel inc_NAME_YYYYMMDD. "
            "Taken from the title when empty."
        ),
    )
    private = forms.NullBooleanField(
        label=_("Private"),
        widget=forms.Select(
            choices=[("", _("As the type says")), ("true", _("Private")), ("false", _("Public"))]
        ),
        help_text=_("Private incidents are visible only to people granted access."),
    )
    confirm_definition = forms.BooleanField(
        label=_("Declare anyway"),
        required=False,
        help_text=_("Needed when the answers above do not meet the definition of an incident."),
    )

    class Meta:
        model = Incident
        fields = DECLARATION_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(is_active=True)

    def call_service(self):
        data = self.cleaned_data
        return services.incident_declare(
            actor=self.actor,
            source=IncidentSource.ADMIN,
            name=data["name"],
            is_private=data["private"],
            confirm_definition=data["confirm_definition"],
            **{field: data[field] for field in DECLARATION_FIELDS},
        )


class IncidentDetailsForm(IncidentServiceForm):
    """The change form: the descriptive fields `services.incident_update_details` edits."""

    class Meta:
        model = Incident
        fields = list(services.EDITABLE_DETAILS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Active services, and those already named even if retired since.
        current = self.instance.services.all() if self.instance.pk else Service.objects.none()
        self.fields["services"].queryset = Service.objects.filter(
            Q(is_active=True) | Q(pk__in=current.values("pk"))
        )

    def call_service(self):
        # Only what was edited: a field left alone must not overwrite someone else's change.
        changes = {field: self.cleaned_data[field] for field in self.changed_data}
        return services.incident_update_details(incident=self.instance, actor=self.actor, **changes)


class ChangeSeverityForm(forms.Form):
    severity = forms.ModelChoiceField(label=_("New severity"), queryset=SeverityLevel.objects.all())
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea)


class PostUpdateForm(forms.Form):
    message = forms.CharField(label=_("Status update"), widget=forms.Textarea)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Keep the current status")),
            *[(s.value, s.label) for s in WORKING_STATUSES],
        ],
    )


class ResolveForm(forms.Form):
    """The resolution, and for a single incident its unsettled exit criteria to settle first."""

    resolution = forms.CharField(label=_("Resolution"), widget=forms.Textarea)
    archive_channel = forms.BooleanField(
        label=_("Archive the Slack channels (of those that have one)"),
        help_text=_("Once the resolution is announced there."),
        required=False,
    )

    def __init__(self, *args, criteria=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"met_{criterion.pk}"] = forms.BooleanField(label=_("Met"), required=False)
            self.fields[f"waive_{criterion.pk}"] = forms.CharField(
                label=_("Waive reason"), required=False
            )

    def criterion_rows(self):
        return [(c, self[f"met_{c.pk}"], self[f"waive_{c.pk}"]) for c in self.criteria]

    def clean(self):
        cleaned = super().clean()
        for criterion in self.criteria:
            if cleaned.get(f"met_{criterion.pk}") and cleaned.get(f"waive_{criterion.pk}"):
                self.add_error(
                    f"waive_{criterion.pk}", _("Either mark the criterion met or waive it.")
                )
        return cleaned

    def settlements(self):
        """(criterion, waive reason) for each criterion to settle; no reason means met."""
        settled = []
        for criterion in self.criteria:
            reason = self.cleaned_data[f"waive_{criterion.pk}"].strip()
            if self.cleaned_data[f"met_{criterion.pk}"] or reason:
                settled.append((criterion, reason))
        return settled


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=CancelReason.choices, widget=forms.RadioSelect
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of"),
        required=False,
        help_text=_("The reference of the incident this one duplicates."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_duplicate_of(self):
        reference = self.cleaned_data["duplicate_of"].strip()
        if not reference:
            return None
        try:
            return selectors.incident_get(user=self.user, reference=reference)
        except Http404:
            raise forms.ValidationError(
                _("There is no incident %(ref)s that you can see."), params={"ref": reference}
            ) from None
