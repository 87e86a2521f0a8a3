from celery import shared_task

from notifications.periodic import runs_alone
from people.announce import horizon_reached

RETRY = {"autoretry_for": (Exception,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="people.tasks.check_delegate_coverage", ignore_result=True, **RETRY)
@runs_alone
def check_delegate_coverage():
    """Tell coordinators when a planned absence coming into view leaves no backup."""
    return len(horizon_reached())
