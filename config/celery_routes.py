"""Every Celery task is routed to a named queue; a test fails when one is missing.

Periodic tasks are declared here too and installed into django-celery-beat's database
schedule by `manage.py setup_periodic_tasks` (run by `make run` and on deploy).
"""

# "pages" carries only pages (SMS, voice, paging messages) and has a worker of its own, so no
# bulk broadcast on "notifications" delays the page that wakes someone.
QUEUES = ("default", "notifications", "pages")

TASK_ROUTES = {
    "incidents.tasks.remind_handovers": {"queue": "default"},
    "incidents.tasks.refresh_open_compliance": {"queue": "default"},
    # The plan writes the pages: it runs beside them, never behind a broadcast's batches.
    "incidents.tasks.run_response_plan": {"queue": "pages"},
    "incidents.tasks.send_update_reminders": {"queue": "default"},
    # Escalations page people: beside the pages, never behind a broadcast's batches.
    "incidents.tasks.escalate_batch": {"queue": "pages"},
    "people.tasks.check_delegate_coverage": {"queue": "default"},
    # A declaration from Slack, and the sweep of those left pending: urgent, beside the pages.
    "slackbot.tasks.declare_from_slack": {"queue": "pages"},
    "slackbot.tasks.declare_from_slack_batch": {"queue": "pages"},
    "slackbot.tasks.sweep_slack_declarations": {"queue": "pages"},
    "slackbot.tasks.show_slack_declaration": {"queue": "notifications"},
    "slackbot.tasks.refresh_slack_channels": {"queue": "default"},
    "slackbot.tasks.refresh_slack_channel": {"queue": "default"},
    "notifications.tasks.deliver": {"queue": "notifications"},
    "notifications.tasks.deliver_page": {"queue": "pages"},
    "notifications.tasks.sweep": {"queue": "default"},
}

# name -> (task, every N seconds)
PERIODIC_TASKS = {
    "handover reminders": ("incidents.tasks.remind_handovers", 300),
    "policy compliance of open incidents": ("incidents.tasks.refresh_open_compliance", 300),
    "status-update reminders and escalation": ("incidents.tasks.send_update_reminders", 60),
    "outbox sweeper": ("notifications.tasks.sweep", 30),
    "Slack declarations left pending": ("slackbot.tasks.sweep_slack_declarations", 10),
    "delegate coverage coming into view": ("people.tasks.check_delegate_coverage", 86400),
    "the bot's Slack channels, cached": ("slackbot.tasks.refresh_slack_channels", 600),
}
