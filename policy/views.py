"""Portal: the response policy. The version in force as a table per severity, the versions
waiting for sign-off (who signed, when, who is missing) with the sign-off and reject forms for the
leads of the missing teams, the history, and the priority matrix.

Drafts are written in the admin; here a policy manager may only submit one. The views parse a
form and call a service; the services decide who may do what.
"""

from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from core.forms import ServiceErrorsMixin
from core.lookups import as_pk
from core.views_refusals import PORTAL_REFUSALS, show_refusal
from people.models import Team
from policy import chains, selectors, services
from policy.models import Audience, Impact, PolicyStatus, SeverityLevel, Urgency

# --- Reading a version ----------------------------------------------------------------------


def minutes_text(minutes):
    """45 → '45 min', 240 → '4 h', 90 → '1 h 30 min'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("%(m)d min") % {"m": rest}
    if not rest:
        return _("%(h)d h") % {"h": hours}
    return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}


def _days(count):
    return ngettext("%(n)d day", "%(n)d days", count) % {"n": count}


def _followups(level):
    due = _("due in %(days)s") % {"days": _days(level.followup_due_days)}
    if level.followup_priority is None:
        return due
    return _("%(priority)s, %(due)s") % {"priority": level.followup_priority.name, "due": due}


ROWS = [
    (gettext_lazy("Acknowledge within"), lambda lvl: minutes_text(lvl.ack_target_minutes)),
    (gettext_lazy("Status update every"), lambda lvl: minutes_text(lvl.update_cadence_minutes)),
    (
        gettext_lazy("A page waits for a provider at most"),
        lambda lvl: minutes_text(lvl.page_wait_limit // 60),
    ),
    (
        gettext_lazy("Functions paged"),
        lambda lvl: ", ".join(f.name for f in lvl.paged_functions.all()) or "—",
    ),
    (
        gettext_lazy("Audiences informed"),
        lambda lvl: ", ".join(str(Audience(a).label) for a in lvl.audiences) or "—",
    ),
    (gettext_lazy("Staffing"), lambda lvl: lvl.get_staffing_model_display()),
    (
        gettext_lazy("Hand over after"),
        lambda lvl: (
            ngettext("%(n)d hour", "%(n)d hours", lvl.max_continuous_hours)
            % {"n": lvl.max_continuous_hours}
        ),
    ),
    (gettext_lazy("People expected"), lambda lvl: str(lvl.expected_people)),
    (
        gettext_lazy("Postmortem"),
        lambda lvl: (
            _("due in %(days)s") % {"days": _days(lvl.postmortem_due_days)}
            if lvl.postmortem_required
            else _("not required")
        ),
    ),
    (gettext_lazy("Follow-ups"), lambda lvl: _followups(lvl)),
    (
        gettext_lazy("Leadership informed"),
        lambda lvl: _("yes") if lvl.inform_leadership else _("no"),
    ),
    (
        gettext_lazy("Acknowledgement escalation"),
        lambda lvl: chains.describe(
            chains.ack_chain(lvl), methods=" → ".join(settings.BEACON_PAGE_METHODS)
        ),
    ),
    (
        gettext_lazy("Status-update escalation"),
        lambda lvl: chains.describe(chains.update_chain(lvl)),
    ),
]


@dataclass
class Cell:
    text: str
    changed: bool = False


@dataclass
class LevelTable:
    severities: list
    rows: list  # (label, [Cell per severity])
    changes: int = 0


def level_table(version, severities, compare_to=None):
    """What `version` demands, one row per rule and one column per severity; with `compare_to`,
    the cells that differ from it are marked as changed."""
    mine = {level.severity_id: level for level in version.levels.all()}
    theirs = {level.severity_id: level for level in compare_to.levels.all()} if compare_to else {}
    rows, changes = [], 0
    for label, show in ROWS:
        cells = []
        for severity in severities:
            level = mine.get(severity.pk)
            text = show(level) if level else _("no level")
            changed = False
            if compare_to is not None:
                old = theirs.get(severity.pk)
                changed = text != (show(old) if old else _("no level"))
            changes += changed
            cells.append(Cell(text, changed))
        rows.append((label, cells))
    return LevelTable(severities=severities, rows=rows, changes=changes)


# --- Forms ----------------------------------------------------------------------------------


class SignOffForm(ServiceErrorsMixin, forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.all(), widget=forms.HiddenInput)
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Comment (optional)")}),
    )


class RejectForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why reject it?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The draft goes back to its author; sign-offs so far are cleared."),
    )


class SubmitForm(ServiceErrorsMixin, forms.Form):
    pass


# --- Page -----------------------------------------------------------------------------------


@dataclass
class Pending:
    version: object
    progress: object
    table: LevelTable
    sign_forms: list = field(default_factory=list)  # (team, form)
    reject_form: object = None
    can_submit: bool = False
    missing_levels: list = field(default_factory=list)


def _pending(request, version, *, severities, effective, teams, my_teams, bound):
    progress = selectors.policy_sign_off_progress(version, teams=teams)
    entry = Pending(
        version=version,
        progress=progress,
        table=level_table(version, severities, compare_to=effective),
        missing_levels=[
            s for s in severities if s.pk not in {lvl.severity_id for lvl in version.levels.all()}
        ],
    )
    key = version.number
    if version.status == PolicyStatus.IN_REVIEW:
        for team in progress.missing:
            if team.pk in my_teams:
                form_key = ("sign-off", key, team.pk)
                form = bound.get(form_key) or SignOffForm(
                    initial={"team": team.pk}, auto_id=f"id_sign_{key}_{team.pk}_%s"
                )
                entry.sign_forms.append((team, form))
        if my_teams:
            entry.reject_form = bound.get(("reject", key)) or RejectForm(
                auto_id=f"id_reject_{key}_%s"
            )
    elif selectors.can_manage_policy(request.user):
        entry.can_submit = True
    return entry


def _policy_page(request, *, bound=None, status=200):
    bound = bound or {}
    severities = list(SeverityLevel.objects.all())
    effective = selectors.policy_effective_detail()
    teams = list(selectors.sign_off_teams())
    my_teams = set(selectors.lead_teams(request.user).values_list("pk", flat=True))
    versions = list(selectors.policy_versions())
    pending = [
        _pending(
            request,
            selectors.policy_get(number=v.number),
            severities=severities,
            effective=effective,
            teams=teams,
            my_teams=my_teams,
            bound=bound,
        )
        for v in versions
        if v.status in selectors.PENDING
    ]
    pending.sort(key=lambda p: (p.version.status != PolicyStatus.IN_REVIEW, -p.version.number))
    context = {
        "effective": effective,
        "effective_table": level_table(effective, severities) if effective else None,
        "effective_progress": (
            selectors.policy_sign_off_progress(effective) if effective else None
        ),
        "pending": pending,
        "history": [
            (v, selectors.policy_sign_off_progress(v, teams=teams))
            for v in versions
            if v.status not in selectors.PENDING
        ],
        "sign_off_teams": teams,
        "matrix": selectors.priority_matrix_rows(),
        "urgencies": list(Urgency),
        "impacts": list(Impact),
        "can_manage": selectors.can_manage_policy(request.user),
        "can_edit_matrix": selectors.can_edit_matrix(request.user),
    }
    return render(request, "policy/index.html", context, status=status)


@login_required
def policy(request):
    return _policy_page(request)


def _refused(request, error, form, bound_key):
    """Show a refusal: field messages on the form, the others as a message; the page again."""
    status = show_refusal(request, error, form, unplaced_as_message=True)
    return _policy_page(request, bound={bound_key: form}, status=status)


@require_POST
@login_required
def policy_action(request, number, action):
    version = selectors.policy_get(number=number)
    if action == "sign-off":
        form = SignOffForm(request.POST)
        team_pk = form["team"].value()
        bound_key = ("sign-off", number, as_pk(str(team_pk)))
    elif action == "reject":
        form, bound_key = RejectForm(request.POST), ("reject", number)
    elif action == "submit":
        form, bound_key = SubmitForm(request.POST), ("submit", number)
    else:
        raise Http404("No such action.")
    if not form.is_valid():
        messages.error(request, _("Check the form below."))
        return _policy_page(request, bound={bound_key: form}, status=400)
    try:
        if action == "sign-off":
            services.policy_sign_off(actor=request.user, version=version, **form.cleaned_data)
        elif action == "reject":
            services.policy_reject(actor=request.user, version=version, **form.cleaned_data)
        else:
            services.policy_submit(actor=request.user, version=version)
    except PORTAL_REFUSALS as error:
        return _refused(request, error, form, bound_key)
    version.refresh_from_db()
    if action == "sign-off" and version.status == PolicyStatus.EFFECTIVE:
        done = _(
            "You signed off %(version)s for %(team)s. Every team has approved it: it is "
            "now in force for new incidents."
        )
    elif action == "sign-off":
        done = _("You signed off %(version)s for %(team)s.")
    elif action == "reject":
        done = _("%(version)s was rejected and went back to draft.")
    else:
        done = _("%(version)s was submitted for sign-off.")
    team = form.cleaned_data.get("team")
    messages.success(request, done % {"version": version, "team": team.name if team else ""})
    return redirect(f"{reverse('portal:policy')}#v{number}")
