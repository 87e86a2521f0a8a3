"""What incidents hears from the outbox below it (notifications knows nothing of incidents):
delivery outcomes go on the incident's timeline, in the transaction that recorded them; the
outbox learns who may see its rows about an incident and how long a page may wait; and the
outbox's periodic sweep also re-queues the response plans whose steps never ran."""

from django.dispatch import receiver
from django.utils.translation import gettext as _

from incidents import access
from incidents.models import Incident, TimelineKind
from incidents.services.response_plan import response_plans_sweep
from incidents.timeline import record_event
from notifications import about, sweeps
from notifications.signals import Outcome, delivery_outcome
from policy.selectors import policy_level


def _visible_incidents(user):
    return Incident.objects.filter(access.visible_incidents_q(user))


def _page_wait_limit(incident):
    level = policy_level(version=incident.policy_version, severity=incident.severity)
    return level.page_wait_limit if level else None


about.register(
    about.AboutModel(
        model=Incident,
        visible=_visible_incidents,
        search_fields=["incident__reference"],
        page_wait_limit=_page_wait_limit,
    )
)
sweeps.register("plans", response_plans_sweep)


@receiver(delivery_outcome, dispatch_uid="incidents-delivery-outcome-timeline")
def delivery_outcome_on_timeline(sender, *, delivery, outcome, backup_rank, actor, **kwargs):
    incident = delivery.notification.about
    if not isinstance(incident, Incident):
        return
    if outcome == Outcome.RETRIED:
        record_event(
            incident,
            TimelineKind.DELIVERY_RETRIED,
            actor,
            _("%(channel)s to %(address)s: sending again.")
            % {"channel": delivery.get_channel_display(), "address": delivery.address},
            after={"delivery": delivery.pk},
        )
    else:
        _record_failure(incident, delivery, backup_rank)


def _record_failure(incident, delivery, rank):
    notification = delivery.notification
    what = _(
        "%(audience)s: %(channel)s to %(address)s failed after %(attempts)s attempt(s) (%(error)s)"
    ) % {
        "audience": notification.get_audience_display(),
        "channel": delivery.get_channel_display(),
        "address": delivery.address,
        "attempts": delivery.attempts,
        "error": delivery.last_error[:200],
    }
    if rank is None:
        kind, message = TimelineKind.DELIVERY_FAILED, _("%(what)s; no backup method is left.")
        backup = None
    else:
        kind, message = (
            TimelineKind.DELIVERY_FAILOVER,
            _("%(what)s; sending by %(backup)s instead."),
        )
        backup = notification.methods[rank]["channel"]
    record_event(
        incident,
        kind,
        None,
        message % {"what": what, "backup": backup},
        before={"delivery": delivery.pk, "channel": delivery.channel},
        after={"channel": backup, "rank": rank},
    )
