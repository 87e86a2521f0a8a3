from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/declare/", views.incident_declare, name="declare"),
    path("incidents/<str:reference>/", views.incident_detail, name="incident"),
    path(
        "incidents/<str:reference>/criteria/<int:criterion_id>/<slug:action>/",
        views.criterion_action,
        name="criterion-action",
    ),
    path("incidents/<str:reference>/<slug:action>/", views.incident_action, name="incident-action"),
    path("preferences/", views.preferences, name="preferences"),
]
