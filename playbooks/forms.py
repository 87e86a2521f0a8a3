"""Portal forms for playbooks. Field names are the services' keyword arguments; the services
check the rules, so most fields are optional here and the service's own message is shown."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import ServiceErrorsMixin
from policy.models import IncidentType

from .models import VerificationMethod, VerificationOutcome

STEP_COLUMNS = ("text", "expected_outcome", "command", "link")


def steps_as_lines(steps):
    """Steps back into the textarea's lines: 'step | expected outcome | command | link'."""
    lines = []
    for step in steps:
        values = [step.text, step.expected_outcome, step.command, step.link]
        while values and not values[-1]:
            values.pop()
        lines.append(" | ".join(values))
    return "\n".join(lines)


class StepsField(forms.CharField):
    """One step a line, columns separated by '|': step | expected outcome | command | link."""

    widget = forms.Textarea(attrs={"rows": 6, "class": "mono"})

    def to_python(self, value):
        text = super().to_python(value)
        steps = []
        for number, line in enumerate(
            (line for line in text.splitlines() if line.strip()), start=1
        ):
            columns = [column.strip() for column in line.split("|")]
            if len(columns) > len(STEP_COLUMNS):
                raise forms.ValidationError(
                    _("Step %(n)s has more than four columns: %(line)s"),
                    params={"n": number, "line": line.strip()},
                    code="columns",
                )
            columns += [""] * (len(STEP_COLUMNS) - len(columns))
            steps.append(dict(zip(STEP_COLUMNS, columns, strict=True)))
        return steps


class DraftForm(ServiceErrorsMixin, forms.Form):
    content = forms.CharField(
        label=gettext_lazy("Playbook (Markdown)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("What to check first, who to call, what to say to customers."),
    )
    steps = StepsField(
        label=gettext_lazy("Steps, one a line"),
        required=False,
        help_text=gettext_lazy(
            "step | expected outcome | command | link — only the step is required, "
            "e.g. “Roll back the last deploy | Error rate drops | ./deploy rollback”."
        ),
    )


class NewPlaybookForm(DraftForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    incident_type = forms.ModelChoiceField(
        label=gettext_lazy("For incident type"),
        queryset=IncidentType.objects.all(),
        required=False,
        empty_label=gettext_lazy("— the service's general playbook —"),
    )
    field_order = ["title", "incident_type", "content", "steps"]

    def __init__(self, *args, service, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_general = service.playbooks.filter(incident_type__isnull=True).exists()
        taken = service.playbooks.exclude(incident_type=None).values("incident_type")
        self.fields["incident_type"].queryset = IncidentType.objects.exclude(pk__in=taken)
        if self.has_general:
            self.fields["incident_type"].required = True
            self.fields["incident_type"].empty_label = None
            self.fields["incident_type"].help_text = _(
                "The service already has its general playbook: this one is for one incident type."
            )


class ApproveForm(ServiceErrorsMixin, forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Comment (optional)")}),
    )


class RejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What has to change?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy(
            "The author sees this; they reopen the version as a draft to fix it."
        ),
    )


class EmptyForm(ServiceErrorsMixin, forms.Form):
    """Submit and reopen take no input."""


class VerifyForm(ServiceErrorsMixin, forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("How was it exercised?"),
        required=False,
        choices=[("", "—"), *VerificationMethod.choices],
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        required=False,
        choices=[("", "—"), *VerificationOutcome.choices],
    )
    verified_at = forms.DateTimeField(
        label=gettext_lazy("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("In your time zone; empty means now."),
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What was run and what it showed; links to recordings or logs."),
    )
