"""The outbox in the admin: what was said to whom, and how each delivery went.

Notifications and deliveries are written by the services only: here they are read-only, and
the one change is "Retry now" on deliveries, which calls `delivery_retry` for each selected one
(holders of `notifications.change_delivery`). Staff see the outbox rows about what the app
that owns it lets them see (an incident, say: notifications/about.py), and those about nothing.
"""

import json
from typing import TYPE_CHECKING, cast

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from core.admin.actions import apply_each
from core.admin.read_only import ReadOnly
from core.names import display_name
from notifications import about
from notifications.models import Delivery, DeliveryStatus, Notification, WorkerHeartbeat
from notifications.services import delivery_retry

RETRIED = ngettext_lazy(
    "Queued %(count)d delivery to be sent again: %(ids)s.",
    "Queued %(count)d deliveries to be sent again: %(ids)s.",
    "count",
)

# ModelAdmin and TabularInline are generic to the type checker only (not subscriptable at run
# time).
if TYPE_CHECKING:
    _DeliveryInlineBase = admin.TabularInline[Delivery, Notification]
    _NotificationAdminBase = admin.ModelAdmin[Notification]
    _DeliveryAdminBase = admin.ModelAdmin[Delivery]
    _WorkerHeartbeatAdminBase = admin.ModelAdmin[WorkerHeartbeat]
else:
    _DeliveryInlineBase = admin.TabularInline
    _NotificationAdminBase = _DeliveryAdminBase = _WorkerHeartbeatAdminBase = admin.ModelAdmin


def _delivery_link(delivery: Delivery) -> SafeString:
    url = reverse("admin:notifications_delivery_change", args=[delivery.pk])
    return format_html('<a href="{}">{}</a>', url, delivery)


class DeliveryInline(ReadOnly, _DeliveryInlineBase):
    model = Delivery
    fields = (
        "channel",
        "address",
        "recipient",
        "method_rank",
        "status",
        "attempts",
        "last_error",
        "sent_at",
        "failed_over_from",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return super().get_queryset(request).select_related("recipient", "failed_over_from")


@admin.register(Notification)
class NotificationAdmin(ReadOnly, _NotificationAdminBase):
    list_display = ["created_at", "event", "audience", "about_what", "subject", "delivery_summary"]
    list_filter = ["event", "audience", "created_at"]
    search_help_text = _("Subject, or the reference of what it is about.")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "event",
        "audience",
        "about_what",
        "subject",
        "method_list",
        "audience_people",
        "rendered",
    )
    readonly_fields = fields
    inlines = [DeliveryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notification]:
        counts = {
            f"n_{status}": Count("deliveries", filter=Q(deliveries__status=status))
            for status in DeliveryStatus.values
        }
        return (
            super()
            .get_queryset(request)
            .filter(about.visible_q(request.user))
            .prefetch_related("about")
            .annotate(**counts)
        )

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return ["subject", *about.search_fields()]

    @admin.display(description=_("about"))
    def about_what(self, notification: Notification) -> models.Model | None:
        return notification.about

    @admin.display(description=_("deliveries"))
    def delivery_summary(self, notification: Notification) -> str | None:
        counts = [(getattr(notification, f"n_{status}"), status) for status in DeliveryStatus]
        parts = [f"{count} {status.label.lower()}" for count, status in counts if count]
        return ", ".join(parts) or None

    @admin.display(description=_("methods in order"))
    def method_list(self, notification: Notification) -> SafeString:
        return format_html_join(
            "",
            "<div>{}. {} → {}</div>",
            (
                (rank, method["channel"], method.get("address") or method["target"])
                for rank, method in enumerate(notification.methods)
            ),
        )

    @admin.display(description=_("people of the audience"))
    def audience_people(self, notification: Notification) -> str | None:
        people = get_user_model().objects.filter(pk__in=notification.people).order_by("pk")
        return ", ".join(display_name(person) for person in people) or None

    @admin.display(description=_("rendered content per channel"))
    def rendered(self, notification: Notification) -> SafeString:
        text = json.dumps(notification.content, indent=2, ensure_ascii=False)
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


@admin.action(description=_("Retry now"), permissions=["retry"])
def retry_now(
    modeladmin: "DeliveryAdmin", request: HttpRequest, queryset: QuerySet[Delivery]
) -> None:
    """Send each selected delivery again; report the successes and every refusal."""
    actor = cast(User, request.user)  # the admin lets in only people logged in
    apply_each(
        modeladmin,
        request,
        queryset.order_by("pk"),
        lambda delivery: delivery_retry(delivery=delivery, actor=actor),
        RETRIED,  # type: ignore[arg-type]  # formatted with its count: a lazy text will do
        name=lambda delivery: f"#{delivery.pk}",
        names="ids",
    )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly, _DeliveryAdminBase):
    list_display = [
        "id",
        "notification",
        "channel",
        "address",
        "status",
        "attempts",
        "next_attempt_at",
        "given_up",
        "short_error",
    ]
    list_filter = ["status", "channel", ("dead_at", admin.EmptyFieldListFilter)]
    list_select_related = ["notification"]
    search_fields = ["address", "idempotency_key"]
    search_help_text = _("Address or idempotency key.")
    actions = [retry_now]
    fields = (
        "notification_link",
        "channel",
        "address",
        "recipient",
        "method_rank",
        "status",
        "attempts",
        "lost_attempts",
        "dead_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "provider_reference",
        "idempotency_key",
        "created_at",
        "backs_up",
        "backups",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        return (
            super()
            .get_queryset(request)
            .filter(about.visible_q(request.user, prefix="notification__"))
            .select_related("notification", "recipient", "failed_over_from")
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notifications.change_delivery")

    @admin.display(description=_("given up"), boolean=True, ordering="dead_at")
    def given_up(self, delivery: Delivery) -> bool:
        """Poison: its worker died or hung on every attempt (the reason is the last error)."""
        return delivery.dead_at is not None

    @admin.display(description=_("last error"))
    def short_error(self, delivery: Delivery) -> str:
        return Truncator(delivery.last_error).chars(80)

    @admin.display(description=_("notification"))
    def notification_link(self, delivery: Delivery) -> SafeString:
        url = reverse("admin:notifications_notification_change", args=[delivery.notification_id])
        return format_html('<a href="{}">{}</a>', url, delivery.notification)

    @admin.display(description=_("backup for"))
    def backs_up(self, delivery: Delivery) -> SafeString | None:
        """The delivery that failed, so that this one was sent instead."""
        if delivery.failed_over_from is None:
            return None
        return _delivery_link(delivery.failed_over_from)

    @admin.display(description=_("failed over to"))
    def backups(self, delivery: Delivery) -> SafeString | None:
        """The deliveries of the next method, sent because this one failed."""
        failovers = delivery.failovers.order_by("pk")
        if not failovers:
            return None
        return format_html_join("", "<div>{}</div>", ((_delivery_link(d),) for d in failovers))


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(_WorkerHeartbeatAdminBase):
    list_display = ["name", "last_seen", "hostname"]
    readonly_fields = ["name", "last_seen", "hostname"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
