"""The input the version actions and buttons ask for. They parse; the services decide, so a
reason left empty is refused by the service in its own words."""

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils.translation import gettext_lazy as _

from playbooks.models import VerificationMethod, VerificationOutcome


class ApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Optional: what you checked."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("What has to change before it can be approved."),
    )


class VerifyForm(forms.Form):
    method = forms.ChoiceField(label=_("How"), choices=VerificationMethod.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VerificationOutcome.choices)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("What was run and what it showed."),
    )
    verified_at = forms.SplitDateTimeField(
        label=_("Exercised on"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("Empty: now."),
    )
