from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from incidents import metrics, receivers, roles, security, throttling  # noqa: F401 (receivers, check)

        metrics.register()
        # After every app, not only this one: other apps' permissions exist only then.
        post_migrate.connect(roles.ensure_default_groups, dispatch_uid="beacon-default-groups")
