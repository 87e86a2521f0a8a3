"""Portal: the incident page's Roles panel; its handover form is one of the incident page's
ACTIONS in views.py."""

from django import forms
from django.utils.translation import gettext_lazy

from core.forms import UserChoiceField, active_people
from people.models import CriticalFunction
from policy import selectors as policy_selectors

from . import staffing
from .forms import ActionForm


class HandoverForm(ActionForm):
    """Field names are the keyword arguments of services.incident_hand_over_role."""

    function = forms.ModelChoiceField(
        label=gettext_lazy("Function"), queryset=CriticalFunction.objects.filter(is_active=True)
    )
    to_user = UserChoiceField(label=gettext_lazy("Hand over to"), queryset=active_people())
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Why (optional)")}),
    )


def roles_panel(*, incident):
    """The current holders of the incident's functions, and the required ones nobody holds."""
    level = policy_selectors.policy_level(
        version=incident.policy_version, severity=incident.severity
    )
    return {
        "roles": staffing.current_holders(incident),
        "staffing_gaps": staffing.staffing_gaps(incident, level),
    }
