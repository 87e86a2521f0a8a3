"""Portal: delegates and single points of failure, and one's own availability.

Who holds what comes from selectors.py; these views only arrange it for reading, parse forms
and call the services.
"""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from core.forms import ServiceErrorsMixin, local_datetime_input
from core.names import display_name
from people import services
from people.models import Unavailability, UnavailabilityReason
from people.models.delegation import ORGANISATION_FIRST
from people.selectors import SPOF_HORIZON, coverage, single_points_of_failure

# "Pat is on holiday", "Pat is off sick", …
AWAY = {
    UnavailabilityReason.HOLIDAY: gettext_lazy("on holiday"),
    UnavailabilityReason.SICK: gettext_lazy("off sick"),
    UnavailabilityReason.OFF_SHIFT: gettext_lazy("off shift"),
    UnavailabilityReason.OTHER: gettext_lazy("unavailable"),
}


def short_moment(value):
    """'3 Dec' at local midnight, else '3 Dec 14:00', in the reader's time zone."""
    local = timezone.localtime(value)
    if (local.hour, local.minute) == (0, 0):
        return date_format(local, "j M")
    return date_format(local, "j M H:i")


def describe_window(user, window, now):
    """'Pat is on holiday from 3 Dec until 10 Dec', or '… until 10 Dec' when it has begun."""
    away = AWAY.get(window.reason, AWAY[UnavailabilityReason.OTHER])
    if window.starts_at <= now:
        return _("%(user)s is %(away)s until %(until)s") % {
            "user": display_name(user),
            "away": away,
            "until": short_moment(window.ends_at),
        }
    return _("%(user)s is %(away)s from %(since)s until %(until)s") % {
        "user": display_name(user),
        "away": away,
        "since": short_moment(window.starts_at),
        "until": short_moment(window.ends_at),
    }


def _window_text(window, *, begun):
    """'Holiday until 5 Dec' or 'Holiday 3 Dec – 10 Dec'."""
    if begun:
        return _("%(reason)s until %(until)s") % {
            "reason": window.get_reason_display(),
            "until": short_moment(window.ends_at),
        }
    return _("%(reason)s %(since)s – %(until)s") % {
        "reason": window.get_reason_display(),
        "since": short_moment(window.starts_at),
        "until": short_moment(window.ends_at),
    }


# --- Delegates page -------------------------------------------------------------------------


@dataclass
class Delegate:
    user: object
    position: int  # 1 = primary
    away_now: object = None  # the window covering now, if any
    away_soon: list = field(default_factory=list)  # windows starting within the horizon

    @property
    def label(self):
        if self.position == 1:
            return _("Primary")
        return _("Backup %(n)s") % {"n": self.position - 1}

    @property
    def available_now(self):
        return self.user.is_active and self.away_now is None

    def notes(self):
        """(kind, text) for what keeps this delegate away: 'away' now, 'soon' later."""
        if not self.user.is_active:
            return [("away", _("no active account"))]
        notes = []
        if self.away_now is not None:
            notes.append(("away", _window_text(self.away_now, begun=True)))
        notes += [("soon", _window_text(window, begun=False)) for window in self.away_soon]
        return notes


@dataclass
class Scope:
    row: object  # incidents.delegation.SpofRow
    delegates: list
    why: str = ""  # for a single point of failure: who is missing, and when


def _windows(users, now):
    by_user = {}
    for window in Unavailability.objects.filter(
        user_id__in={u.pk for u in users}, ends_at__gt=now, starts_at__lt=now + SPOF_HORIZON
    ).order_by("starts_at"):
        by_user.setdefault(window.user_id, []).append(window)
    return by_user


def _why(row, delegates, now):
    """'only 1 available — Pat is on holiday from 3 Dec until 10 Dec'."""
    if not row.delegates:
        return _("nobody is delegated")
    moment = row.fewest_at
    missing = []
    for delegate in delegates:
        if not delegate.user.is_active:
            missing.append(
                _("%(user)s has no active account") % {"user": display_name(delegate.user)}
            )
            continue
        for window in [delegate.away_now, *delegate.away_soon]:
            if window is not None and window.starts_at <= moment < window.ends_at:
                missing.append(describe_window(delegate.user, window, now))
                break
    if row.fewest_available == 0:
        count = _("nobody available")
    else:
        count = ngettext("only %(n)d available", "only %(n)d available", row.fewest_available) % {
            "n": row.fewest_available
        }
    if not missing:
        missing = [
            ngettext("%(n)d delegate", "%(n)d delegates", len(row.delegates))
            % {"n": len(row.delegates)}
        ]
    return f"{count} — {'; '.join(missing)}"


def delegates_overview(now=None):
    """Every function × scope (incidents.delegation.coverage) with each delegate's windows."""
    now = now or timezone.now()
    rows = coverage(at=now)
    windows = _windows({u for row in rows for u in row.delegates}, now)
    scopes = []
    for row in rows:
        delegates = []
        for position, user in enumerate(row.delegates, start=1):
            mine = windows.get(user.pk, [])
            delegates.append(
                Delegate(
                    user=user,
                    position=position,
                    away_now=next((w for w in mine if w.starts_at <= now), None),
                    away_soon=[w for w in mine if w.starts_at > now],
                )
            )
        scope = Scope(row=row, delegates=delegates)
        if row.is_spof:
            scope.why = _why(row, delegates, now)
        scopes.append(scope)
    return scopes


def spof_count():
    return len(single_points_of_failure())


@login_required
def delegates(request):
    now = timezone.now()
    scopes = delegates_overview(now)
    by_function = {}
    for scope in scopes:
        by_function.setdefault(scope.row.function, []).append(scope)
    context = {
        "spofs": [scope for scope in scopes if scope.row.is_spof],
        "functions": list(by_function.items()),
        "horizon_days": SPOF_HORIZON.days,
        "can_edit": request.user.is_staff and request.user.has_perm("people.change_delegation"),
        "now": now,
    }
    return render(request, "people/delegates.html", context)


# --- My availability ------------------------------------------------------------------------


class AvailabilityForm(ServiceErrorsMixin, forms.Form):
    """Field names are the keyword arguments of services.unavailability_add."""

    starts_at = forms.DateTimeField(label=gettext_lazy("From"), widget=local_datetime_input())
    ends_at = forms.DateTimeField(label=gettext_lazy("Until"), widget=local_datetime_input())
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=UnavailabilityReason.choices)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Optional; everyone can see it on the Delegates page."),
    )


@login_required
def availability(request):
    form = AvailabilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            window = services.unavailability_add(
                actor=request.user, user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Saved: you are %(away)s from %(since)s until %(until)s.")
                % {
                    "away": AWAY[window.reason],
                    "since": short_moment(window.starts_at),
                    "until": short_moment(window.ends_at),
                },
            )
            return redirect("portal:availability")
    else:
        form.focus_first_error()
    now = timezone.now()
    context = {
        "form": form,
        "windows": Unavailability.objects.filter(user=request.user, ends_at__gt=now).order_by(
            "starts_at"
        ),
        "delegations": request.user.delegations.select_related("function", "team").order_by(
            "function__position", ORGANISATION_FIRST
        ),
        "now": now,
    }
    status = 400 if form.errors else 200
    return render(request, "people/availability.html", context, status=status)


@require_POST
@login_required
def availability_remove(request, window_id):
    window = get_object_or_404(Unavailability, pk=window_id)
    services.unavailability_remove(actor=request.user, window=window)  # others' answer 403
    messages.success(request, _("Window removed."))
    return redirect("portal:availability")
