from django.contrib import admin

from .models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "last_seen", "hostname"]
    readonly_fields = ["name", "last_seen", "hostname"]

    def has_add_permission(self, request):
        return False
