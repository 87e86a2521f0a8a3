"""The audit of teams, functions, delegations and windows: read only, the services write it."""

from django.contrib import admin

from core.admin.read_only import ReadOnly
from people.models import PeopleEvent

FIELDS = ["created_at", "actor", "kind", "description", "message", "about_type", "about_id", "data"]


@admin.register(PeopleEvent)
class PeopleEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "actor", "kind", "description", "message"]
    list_filter = ["kind", "about_type"]
    list_select_related = ["actor", "about_type"]
    search_fields = ["description", "message", "actor__username"]
    date_hierarchy = "created_at"
    fields = FIELDS
    readonly_fields = FIELDS
