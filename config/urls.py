from django.contrib import admin
from django.urls import include, path

from config import api_docs, health
from incidents import views_sms
from slackbot import views as slack

handler400 = "core.api.errors.bad_request"
handler404 = "core.api.errors.not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", api_docs.schema, name="schema"),
    path("api/docs/", api_docs.docs, name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("playbooks/", include("playbooks.urls")),
    path("slack/commands/", slack.command, name="slack-commands"),
    path("slack/interactivity/", slack.interaction, name="slack-interactivity"),
    path("slack/events/", slack.event, name="slack-events"),
    path("slack/options/", slack.options, name="slack-options"),
    path("webhooks/sms/inbound", views_sms.sms_inbound, name="sms-inbound"),
    path("", include("django_prometheus.urls")),
    path("", include("config.portal_urls")),
]
