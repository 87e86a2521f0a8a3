"""API tokens in the admin: listed and revoked, never created or edited here (Preferences and
`manage.py api_token` create them). The key is never stored, so never shown; nor is its
digest."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from incidents import services
from incidents.models import ApiToken

SHOWN = [
    "prefix",
    "user",
    "label",
    "created_at",
    "created_by",
    "last_used_at",
    "revoked_at",
    "revoked_by",
]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "label", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["prefix", "user__username", "label"]
    fields = readonly_fields = SHOWN
    actions = ["revoke_tokens"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The change permission allows the revoke action; a token's page is read-only.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked tokens stay: they are the record of who did what

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        revoked = []
        for token in queryset.filter(revoked_at=None).select_related("user"):
            try:
                services.api_token_revoke(user=token.user, actor=request.user)
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                revoked.append(token.prefix)
        if revoked:
            message = ngettext(
                "Revoked %(count)d API token: %(prefixes)s.",
                "Revoked %(count)d API tokens: %(prefixes)s.",
                len(revoked),
            ) % {"count": len(revoked), "prefixes": ", ".join(revoked)}
            self.message_user(request, message, messages.SUCCESS)
