"""Every Celery task is routed to a named queue; a test fails when one is missing.

Periodic tasks are declared here too and installed into django-celery-beat's database
schedule by `manage.py setup_periodic_tasks` (run by `make run` and on deploy).
"""

QUEUES = ("default", "notifications")

TASK_ROUTES = {
    "notifications.tasks.record_heartbeat": {"queue": "default"},
    "incidents.tasks.remind_handovers": {"queue": "default"},
    "incidents.tasks.refresh_open_compliance": {"queue": "default"},
    "incidents.tasks.run_response_plan": {"queue": "notifications"},
    "incidents.tasks.send_update_reminders": {"queue": "default"},
    "incidents.tasks.check_delegate_coverage": {"queue": "default"},
    "notifications.tasks.deliver": {"queue": "notifications"},
    "notifications.tasks.sweep": {"queue": "default"},
}

# name -> (task, every N seconds)
PERIODIC_TASKS = {
    "worker heartbeat": ("notifications.tasks.record_heartbeat", 60),
    "handover reminders": ("incidents.tasks.remind_handovers", 300),
    "policy compliance of open incidents": ("incidents.tasks.refresh_open_compliance", 300),
    "status-update reminders and escalation": ("incidents.tasks.send_update_reminders", 60),
    "outbox sweeper": ("notifications.tasks.sweep", 30),
    "delegate coverage coming into view": ("incidents.tasks.check_delegate_coverage", 86400),
}
