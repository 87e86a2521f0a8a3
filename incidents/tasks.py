"""Periodic checks on open incidents. Each task takes ids or none, re-reads, and is harmless
to run twice: the services they call return quietly when there is nothing (left) to do."""

import logging

from celery import shared_task
from django.db import transaction

from incidents import selectors
from incidents.models import Incident
from incidents.services.compliance import incident_compliance_refresh
from incidents.services.roles import role_flag_handover_due
from incidents.slack import channel_cache
from notifications.channels import PermanentError, RetryableError
from notifications.channels.slack import SlackWorkspace, slack_configured
from notifications.models import Channel, Delivery, DeliveryStatus

logger = logging.getLogger(__name__)
RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="incidents.tasks.remind_handovers", ignore_result=True, **RETRY)
def remind_handovers():
    """Flag role holders past the policy's maximum continuous hours (once each)."""
    return sum(
        role_flag_handover_due(assignment_id=pk) for pk in selectors.roles_to_check_for_handover()
    )


@shared_task(name="incidents.tasks.refresh_open_compliance", ignore_result=True, **RETRY)
def refresh_open_compliance():
    """Open incidents' update gaps grow with time: re-measure them."""
    for pk in selectors.active_incident_ids():
        with transaction.atomic():
            incident = Incident.objects.select_for_update().filter(pk=pk).first()
            if incident is not None and incident.is_active:
                incident_compliance_refresh(incident=incident)


@shared_task(name="incidents.tasks.send_update_reminders", ignore_result=True, **RETRY)
def send_update_reminders():
    """Remind commanders of due status updates; escalate the missed ones."""
    from incidents.services.reminders import incident_remind_update, reminders_due

    return sum(bool(incident_remind_update(incident_id=pk)) for pk in reminders_due())


@shared_task(name="incidents.tasks.run_response_plan", ignore_result=True)
def run_response_plan(incident_id):
    """Run an incident's pending automated plan steps (retries are scheduled by the service)."""
    from incidents.services.response_plan import response_plan_run

    response_plan_run(incident_id)


@shared_task(
    name="incidents.tasks.archive_slack_channel",
    ignore_result=True,
    autoretry_for=(RetryableError,),
    retry_backoff=30,
    max_retries=6,
)
def archive_slack_channel(incident_id):
    """Archive a resolved incident's Slack channel, once the messages for it are out."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None or incident.is_active or not incident.slack_channel_id:
        return
    unsent = Delivery.objects.filter(
        channel=Channel.SLACK,
        address__in=[incident.slack_channel_id, incident.channel_name],
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
    )
    if unsent.exists():  # the resolution announcement cannot go to an archived channel
        raise RetryableError(f"Messages for {incident.channel_name} are still being sent.")
    try:
        SlackWorkspace().archive(incident.slack_channel_id)
    except PermanentError as error:
        if "already_archived" not in str(error):
            logger.warning("Could not archive #%s: %s", incident.channel_name, error)


# Slack's channel listing: a 429 is retried after the Retry-After Slack gave (or a backoff).
SLACK_LISTING = {"bind": True, "ignore_result": True, "soft_time_limit": 120, "time_limit": 150}


def _retry_after_slack(task, error):
    countdown = error.retry_after or min(300, 10 * 2**task.request.retries)
    raise task.retry(exc=error, countdown=countdown, max_retries=5)


@shared_task(name="incidents.tasks.refresh_slack_channels", **SLACK_LISTING)
def refresh_slack_channels(self):
    """Replace the cached list of the bot's channels (periodic: the picker's source)."""
    if not slack_configured():
        return 0
    try:
        return channel_cache.refresh()
    except RetryableError as error:
        _retry_after_slack(self, error)


@shared_task(name="incidents.tasks.refresh_slack_channel", **SLACK_LISTING)
def refresh_slack_channel(self, channel_id):
    """Keep or drop one channel of the cached list, after a Slack event about it."""
    try:
        channel_cache.refresh_channel(channel_id)
    except RetryableError as error:
        _retry_after_slack(self, error)


@shared_task(name="incidents.tasks.check_delegate_coverage", ignore_result=True, **RETRY)
def check_delegate_coverage():
    """Tell coordinators when a planned absence coming into view leaves no backup."""
    from incidents.services.people_announce import horizon_reached

    return len(horizon_reached())
