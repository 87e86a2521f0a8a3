from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The tasks register with Celery here: the outbox queues them by name.
        from notifications import metrics, tasks  # noqa: F401

        metrics.register()
