"""Periodic checks on open incidents. Each task takes ids or none, re-reads, and is harmless
to run twice: the services they call return quietly when there is nothing (left) to do."""

import logging

from celery import shared_task
from django.conf import settings

from incidents import selectors
from incidents.services.compliance import compliance_refresh_open
from incidents.services.escalation import (
    escalate_incidents,
    escalations_due,
    escalations_queued,
)
from incidents.services.response_plan import run_response_plan
from incidents.services.roles import role_flag_handover_due
from notifications.broker import try_publish
from notifications.periodic import runs_alone

logger = logging.getLogger(__name__)

# Defined beside the plan run that queues it; imported here so that Celery finds it.
__all__ = ["run_response_plan"]

COMPLIANCE_BATCH = 500  # incidents locked and measured in one transaction
RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="incidents.tasks.remind_handovers", ignore_result=True, **RETRY)
@runs_alone
def remind_handovers():
    """Flag role holders past the policy's maximum continuous hours (once each)."""
    return sum(
        role_flag_handover_due(assignment_id=pk) for pk in selectors.roles_to_check_for_handover()
    )


@shared_task(name="incidents.tasks.refresh_open_compliance", ignore_result=True, **RETRY)
@runs_alone
def refresh_open_compliance():
    """Open incidents' update gaps grow with time: re-measure them, a batch at a time."""
    ids = selectors.active_incident_ids()
    return sum(
        compliance_refresh_open(incident_ids=ids[start : start + COMPLIANCE_BATCH])
        for start in range(0, len(ids), COMPLIANCE_BATCH)
    )


@shared_task(name="incidents.tasks.send_update_reminders", ignore_result=True, **RETRY)
@runs_alone
def send_update_reminders():
    """Both escalations, fanned out: the due incidents' ids, BEACON_ESCALATION_BATCH a task,
    so every worker shares the work and no run nears a time limit. A batch the broker refuses
    is left to the next tick, which finds its incidents still due; a batch queued and not run yet
    is not queued again before QUEUED_FOR. Returns the batches queued."""
    ids, size = escalations_due(), settings.BEACON_ESCALATION_BATCH
    batches = [ids[start : start + size] for start in range(0, len(ids), size)]
    escalations_queued(ids)  # not queued again while pending (a slow minute piles up none)
    queued = 0
    for batch in batches:
        if try_publish(escalate_batch, (batch,)):
            queued += 1
        else:
            escalations_queued(batch, queued=False)
    if queued < len(batches):
        logger.warning(
            "%d of %d escalation batches wait for the next tick",
            len(batches) - queued,
            len(batches),
        )
    return queued


# Not runs_alone: each stage is sent once under its incident's row lock and unique key, so
# batches may overlap; a failed batch is not retried, the next tick finds its incidents due.
@shared_task(
    name="incidents.tasks.escalate_batch", ignore_result=True, soft_time_limit=60, time_limit=90
)
def escalate_batch(incident_ids):
    """Both escalations of these incidents: pages for the unacknowledged, update reminders."""
    return escalate_incidents(incident_ids)
