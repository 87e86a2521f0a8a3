"""Each user's preferences, saved through `preference_update` (audited), except the Slack id a
user is linked to: shown, unlinked through the Slack identity service, and its audit read-only.
Here rather than in people because unlinking Slack is an incidents service."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.admin.forms import SavedByServiceAdmin, ServiceModelForm
from core.admin.read_only import ReadOnly
from core.admin.refusals import REFUSALS, refusal_messages
from incidents import services
from incidents.models import (
    SlackIdentityEvent,
    SlackLinkMethod,
)
from people import services as people_services
from people.models import UserPreference


class UserPreferenceForm(ServiceModelForm):
    class Meta:
        model = UserPreference
        fields = ["user", "time_zone", "phone"]

    def call_service(self):
        data = self.cleaned_data
        return people_services.preference_update(
            actor=self.actor,
            user=data.get("user") or self.instance.user,
            **{field: data[field] for field in people_services.PREFERENCE_FIELDS},
        )


@admin.register(UserPreference)
class UserPreferenceAdmin(SavedByServiceAdmin, admin.ModelAdmin):
    form = UserPreferenceForm
    list_display = ["user", "time_zone", "slack_user_id"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "slack_user_id"]
    autocomplete_fields = ["user"]
    readonly_fields = ["slack_user_id"]  # linked by the member, never typed
    actions = ["unlink_slack"]

    def get_readonly_fields(self, request, obj=None):
        # A person's preferences stay theirs: another person's are another row.
        return [*super().get_readonly_fields(request, obj), *(["user"] if obj else [])]

    def has_delete_permission(self, request, obj=None):
        return False  # the row goes with its account; emptying a field is a change

    @admin.action(description=_("Unlink Slack"))
    def unlink_slack(self, request, queryset):
        for preference in queryset.select_related("user").exclude(slack_user_id=""):
            try:
                services.slack_identity_unlink(
                    user=preference.user, method=SlackLinkMethod.ADMIN, actor=request.user
                )
            except REFUSALS as error:
                for message in refusal_messages(error):
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(user)s is no longer linked to Slack.") % {"user": preference.user},
                )


@admin.register(SlackIdentityEvent)
class SlackIdentityEventAdmin(ReadOnly, admin.ModelAdmin):
    """Who linked or unlinked which Slack member for whose account, how and when."""

    list_display = ["created_at", "user", "action", "slack_user_id", "method", "actor"]
    list_filter = ["action", "method"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__username", "slack_user_id", "actor__username"]
    fields = ["created_at", "user", "action", "slack_user_id", "method", "actor"]
    readonly_fields = fields
