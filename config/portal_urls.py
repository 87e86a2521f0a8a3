from django.urls import path

from incidents import views, views_ack, views_plan, views_reports, views_tokens
from people import views as views_people
from policy import views as views_policy
from slackbot import portal as views_slack

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/declare/", views.incident_declare, name="declare"),
    path("incidents/<str:reference>/", views.incident_detail, name="incident"),
    path("ack/<str:token>/", views_ack.ack_link, name="ack-link"),
    path("incidents/<str:reference>/effort/", views_reports.effort_log, name="effort-log"),
    path(
        "incidents/<str:reference>/effort/<int:entry_id>/remove/",
        views_reports.effort_remove,
        name="effort-remove",
    ),
    path(
        "incidents/<str:reference>/criteria/<int:criterion_id>/<slug:action>/",
        views.criterion_action,
        name="criterion-action",
    ),
    path(
        "incidents/<str:reference>/playbook-steps/<int:step_id>/<slug:action>/",
        views.playbook_step_action,
        name="playbook-step-action",
    ),
    path(
        "incidents/<str:reference>/plan-steps/<int:step_id>/done/",
        views_plan.plan_step_done,
        name="plan-step-done",
    ),
    path("incidents/<str:reference>/<slug:action>/", views.incident_action, name="incident-action"),
    path("reports/", views_reports.reports, name="reports"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/api-token/create/", views_tokens.api_token_create, name="api-token-create"),
    path("preferences/api-token/rotate/", views_tokens.api_token_rotate, name="api-token-rotate"),
    path("preferences/api-token/revoke/", views_tokens.api_token_revoke, name="api-token-revoke"),
    path("preferences/slack/link/<str:token>/", views_slack.slack_link, name="slack-link"),
    path("preferences/slack/unlink/", views_slack.slack_unlink, name="slack-unlink"),
    path("policy/", views_policy.policy, name="policy"),
    path("policy/<int:number>/<slug:action>/", views_policy.policy_action, name="policy-action"),
    path("delegates/", views_people.delegates, name="delegates"),
    path("availability/", views_people.availability, name="availability"),
    path(
        "availability/<int:window_id>/remove/",
        views_people.availability_remove,
        name="availability-remove",
    ),
]
