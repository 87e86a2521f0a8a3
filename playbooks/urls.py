from django.urls import path

from . import views

app_name = "playbooks"
urlpatterns = [
    path("", views.coverage, name="coverage"),
    path("versions/<int:pk>/<slug:action>/", views.version_action, name="version-action"),
    path("playbook/<int:pk>/new-draft/", views.version_new, name="version-new"),
    path("<slug:slug>/", views.service_detail, name="service"),
    path("<slug:slug>/new-playbook/", views.playbook_new, name="playbook-new"),
]
