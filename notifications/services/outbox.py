"""Writing notifications: called inside the transaction of the state change they report.

Callers hand the outbox resolved people and methods (with their addresses) and what the
notification is about. Each notification gets the deliveries of its first method that reaches
anyone; the sending task opens the next method only when that one fails (sending.py).
Publishing happens after commit and never raises: a broker that is down leaves the rows to the
sweeper.
"""

from collections.abc import Iterable, Iterator, Sequence
from functools import partial

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction

from notifications.broker import try_publish
from notifications.methods import Method, Reached, addresses, direct_methods, drill_method
from notifications.models import Delivery, Notification, NotificationAudience, NotificationEvent
from notifications.rendering import Context, render_all

# Deliveries per sending task: a broadcast costs the broker a task per batch, not per message.
BATCH_SIZE = 25


def notify(
    *,
    event: str,
    audience: str,
    context: Context,
    methods: Sequence[Method],
    people: Sequence[User] = (),
    about: models.Model | None = None,
    outbox: "Outbox | None" = None,
) -> Notification:
    """Tell `people` (or the methods' fixed addresses) about `event`, by `methods` in order.
    With an `outbox`, the notification is written with the outbox's others (`Outbox.write`)."""
    if outbox is not None:
        return outbox.add(event, audience, context, methods, people, about)
    outbox = Outbox()
    notification = outbox.add(event, audience, context, methods, people, about)
    outbox.write()
    return notification


def notify_people(
    *,
    people: Iterable[User | None],
    event: str,
    context: Context,
    about: models.Model | None = None,
    drill: bool = False,
    channels: Sequence[str] | None = None,
    outbox: "Outbox | None" = None,
) -> Notification | None:
    """Tell named people (reminders, pages, reviews) by their direct methods in order; about a
    drill, tell only the drill channel."""
    if drill:
        audience, methods = NotificationAudience.DRILL, [drill_method()]
        return notify(
            event=event,
            audience=audience,
            context=context,
            methods=methods,
            about=about,
            outbox=outbox,
        )
    active = [p for p in dict.fromkeys(people) if p is not None and p.is_active]
    if not active:
        return None
    return notify(
        event=event,
        audience=NotificationAudience.PEOPLE,
        context=context,
        methods=direct_methods(channels or settings.BEACON_DIRECT_METHODS),
        people=active,
        about=about,
        outbox=outbox,
    )


class Outbox:
    """Notifications written together: each gets the deliveries of its first method that
    reaches anyone, as `open_next_method` gives them, in two inserts for them all, and they are
    published after commit in batches (pages on their own queue)."""

    def __init__(self) -> None:
        self.pending: list[tuple[Notification, Sequence[User]]] = []

    def add(
        self,
        event: str,
        audience: str,
        context: Context,
        methods: Sequence[Method],
        people: Sequence[User],
        about: models.Model | None,
    ) -> Notification:
        content = render_all([m.channel for m in methods], event, context)
        content["data"] = context.get("data", {})
        notification = Notification(
            event=event,
            audience=audience,
            about=about,
            subject=str(context["headline"])[:250],
            content=content,
            methods=[m.as_dict() for m in methods],
            people=[p.pk for p in people],
        )
        self.pending.append((notification, people))
        return notification

    def write(self) -> list[Notification]:
        if not self.pending:
            return []
        notifications = Notification.objects.bulk_create(n for n, _people in self.pending)
        deliveries = [
            delivery
            for notification, people in self.pending
            for delivery in _first_deliveries(notification, people)
        ]
        created = Delivery.objects.bulk_create(deliveries)
        pages = [d.pk for d in created if is_page(d.notification)]
        others = [d.pk for d in created if not is_page(d.notification)]
        if pages:
            transaction.on_commit(partial(publish, pages, page=True))
        if others:
            transaction.on_commit(partial(publish, others))
        self.pending = []
        return notifications


def _first_deliveries(notification: Notification, people: Sequence[User]) -> list[Delivery]:
    """The unsaved deliveries of a new notification's first method that reaches anyone."""
    for rank in range(len(notification.methods)):
        method = Method(**notification.methods[rank])
        pairs = addresses(method, people=people)
        if pairs:
            return list(
                _unsaved(notification, rank, method, _reached(notification, rank, method, pairs))
            )
    return []


def _key(notification: Notification, rank: int, method: Method, address: str) -> str:
    return f"n{notification.pk}:{rank}:{method.channel}:{address}"[:250]


ReachedByKey = dict[str, tuple[str, User | None]]


def _reached(notification: Notification, rank: int, method: Method, pairs: Reached) -> ReachedByKey:
    """{idempotency key: (address, person)} of a method's (address, person) pairs."""
    return {
        _key(notification, rank, method, address): (address, person) for address, person in pairs
    }


def _unsaved(
    notification: Notification,
    rank: int,
    method: Method,
    reached: ReachedByKey,
    *,
    failed_from: Delivery | None = None,
    skipped: Iterable[str] = (),
) -> Iterator[Delivery]:
    skipped = set(skipped)
    for key, (address, person) in reached.items():
        if key not in skipped:
            yield Delivery(
                idempotency_key=key,
                notification=notification,
                channel=method.channel,
                address=address,
                recipient=person,
                method_rank=rank,
                failed_over_from=failed_from,
            )


def open_next_method(
    notification: Notification,
    *,
    after_rank: int,
    people: Sequence[User],
    failed_from: Delivery | None = None,
) -> int | None:
    """Deliveries of the first method after `after_rank` that reaches anyone.

    Returns that method's rank, or None when no method is left. Publishes after commit.
    """
    for rank in range(after_rank + 1, len(notification.methods)):
        method = Method(**notification.methods[rank])
        pairs = addresses(method, people=people)
        if not pairs:
            continue
        reached = _reached(notification, rank, method, pairs)
        # A method opened again (a failover replayed) adds only whom it did not reach yet.
        existing = notification.deliveries.filter(method_rank=rank, idempotency_key__in=reached)
        created = Delivery.objects.bulk_create(
            _unsaved(
                notification,
                rank,
                method,
                reached,
                failed_from=failed_from,
                skipped=existing.values_list("idempotency_key", flat=True),
            )
        )
        new_ids = [delivery.pk for delivery in created]
        transaction.on_commit(partial(publish, new_ids, page=is_page(notification)))
        return rank
    return None


def is_page(notification: Notification) -> bool:
    """Pages (whatever their method) have a queue and a worker of their own, so that no
    broadcast delays them, and a bound on how long a provider may make them wait."""
    return notification.event == NotificationEvent.PAGE


# The sending tasks (notifications/tasks.py), on their queues (config/celery_routes.py).
DELIVER = "notifications.tasks.deliver"
DELIVER_PAGE = "notifications.tasks.deliver_page"


def publish(
    delivery_ids: Iterable[int],
    countdown: float | None = None,
    *,
    page: bool = False,
    batch_size: int = BATCH_SIZE,
) -> bool:
    """Queue the sending tasks; False when the broker refused (the sweeper will send them).

    A countdown stays below the broker's visibility timeout, after which Redis would hand the
    waiting task to a second worker; a longer wait is the sweeper's (the row knows when)."""
    # By name from Celery's registry (notifications/apps.py loads the tasks): the tasks module
    # imports these services, so the outbox cannot import it.
    task = current_app.tasks[DELIVER_PAGE if page else DELIVER]
    if countdown is not None:
        countdown = min(countdown, settings.BEACON_COUNTDOWN_MAX_SECONDS)
    ids = list(delivery_ids)
    batches = (ids[start : start + batch_size] for start in range(0, len(ids), batch_size))
    return all(try_publish(task, (batch,), countdown=countdown) for batch in batches)
