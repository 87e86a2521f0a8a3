"""A policy version's review in the admin: submission, sign-off and rejection, as actions on the
version list. Sign-off and rejection ask for the team, comment or reason on an intermediate page.
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin.actions import apply_each, intermediate_page, prefixed, submitted
from people.models import Team
from policy import selectors, services
from policy.models import PolicyStatus, PolicyVersion


class SignOffForm(forms.Form):
    team = forms.ModelChoiceField(label=_("For my team"), queryset=Team.objects.none())
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = selectors.lead_teams(user)
        self.fields["team"].queryset = teams
        if len(teams) == 1:
            self.fields["team"].initial = teams[0].pk


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea,
        help_text=_("What should change; the sign-offs so far are cleared."),
    )


SUBMITTED = ngettext_lazy(
    "Submitted %(count)d version for sign-off: %(versions)s.",
    "Submitted %(count)d versions for sign-off: %(versions)s.",
    "count",
)
SIGNED = ngettext_lazy(
    "Signed off %(count)d version for %(team)s: %(versions)s.",
    "Signed off %(count)d versions for %(team)s: %(versions)s.",
    "count",
)
REJECTED = ngettext_lazy(
    "Rejected %(count)d version: %(versions)s.",
    "Rejected %(count)d versions: %(versions)s.",
    "count",
)


def _short_name(version):
    return f"v{version.number}"


# How `apply_each` names versions, in its success message and in each refusal.
VERSIONS = {"name": _short_name, "names": "versions", "refusal": prefixed(_short_name)}


@admin.action(description=_("Submit for sign-off"), permissions=["manage"])
def submit(modeladmin, request, queryset):
    apply_each(
        modeladmin,
        request,
        queryset.order_by("number"),
        lambda version: services.policy_submit(actor=request.user, version=version),
        SUBMITTED,
        **VERSIONS,
    )


@admin.action(description=_("Sign off for my team…"), permissions=["review"])
def sign_off(modeladmin, request, queryset):
    form = SignOffForm(submitted(request), user=request.user)
    if not form.is_valid():
        return intermediate_page(modeladmin, request, queryset, form, title=_("Sign off"))
    team = form.cleaned_data["team"]
    signed = apply_each(
        modeladmin,
        request,
        queryset.order_by("number"),
        lambda version: services.policy_sign_off(
            actor=request.user, version=version, team=team, comment=form.cleaned_data["comment"]
        ),
        SIGNED,
        team=team.name,
        **VERSIONS,
    )
    in_force = PolicyVersion.objects.filter(
        pk__in=[v.pk for v in signed], status=PolicyStatus.EFFECTIVE
    )
    for version in in_force:
        modeladmin.message_user(
            request,
            _("%(version)s is now in force: every sign-off team approved it.")
            % {"version": version},
            messages.SUCCESS,
        )


@admin.action(description=_("Reject…"), permissions=["review"])
def reject(modeladmin, request, queryset):
    form = RejectForm(submitted(request))
    if not form.is_valid():
        return intermediate_page(modeladmin, request, queryset, form, title=_("Reject"))
    apply_each(
        modeladmin,
        request,
        queryset.order_by("number"),
        lambda version: services.policy_reject(
            actor=request.user, version=version, reason=form.cleaned_data["reason"]
        ),
        REJECTED,
        **VERSIONS,
    )
