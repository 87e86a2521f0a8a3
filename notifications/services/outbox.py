"""Writing notifications: called inside the transaction of the state change they report.

Each notification gets the deliveries of its first method that reaches anyone; the sending
task opens the next method only when that one fails (sending.py). Publishing happens after
commit and never raises: a broker that is down leaves the rows to the sweeper.
"""

from functools import partial

from django.conf import settings
from django.db import transaction

from notifications.audiences import (
    Method,
    addresses,
    direct_methods,
    drill_method,
    methods_for,
    people_for,
)
from notifications.broker import try_publish
from notifications.models import Delivery, Notification, NotificationAudience, NotificationEvent
from notifications.rendering import render_all

PRIVATE_AUDIENCES = {"responders", "executives"}
# Deliveries per sending task: a broadcast costs the broker a task per batch, not per message.
BATCH_SIZE = 25


def notify_incident(*, incident, event, context, audiences, plan=None) -> list[Notification]:
    """Tell each audience of an incident; a drill tells only the drill channel."""
    if incident.is_drill:
        return [_write(event, NotificationAudience.DRILL, context, [drill_method()], [], incident)]
    if incident.is_private:  # a security incident is not broadcast beyond who must act
        audiences = [a for a in audiences if a in PRIVATE_AUDIENCES]
    written = []
    for audience in dict.fromkeys(audiences):
        methods = methods_for(incident, audience, plan)
        if methods:
            people = people_for(incident, audience)
            written.append(_write(event, audience, context, methods, people, incident))
    return written


def notify_people(*, people, event, context, incident=None, channels=None, outbox=None):
    """Tell named people (reminders, pages, reviews) by their direct methods in order. With an
    `outbox`, the notification is written with the outbox's others (`Outbox.write`)."""
    people = [p for p in dict.fromkeys(people) if p is not None and p.is_active]
    if incident is not None and incident.is_drill:
        method, audience = [drill_method()], NotificationAudience.DRILL
        return _write(event, audience, context, method, [], incident, outbox)
    if not people:
        return None
    methods = direct_methods(channels or settings.BEACON_DIRECT_METHODS)
    return _write(event, NotificationAudience.PEOPLE, context, methods, people, incident, outbox)


def _write(event, audience, context, methods, people, incident, outbox=None):
    if outbox is not None:
        return outbox.add(event, audience, context, methods, people, incident)
    outbox = Outbox()
    notification = outbox.add(event, audience, context, methods, people, incident)
    outbox.write()
    return notification


class Outbox:
    """Notifications written together: each gets the deliveries of its first method that
    reaches anyone, as `open_next_method` gives them, in two inserts for them all, and they are
    published after commit in batches (pages on their own queue)."""

    def __init__(self):
        self.pending = []  # (notification, people)

    def add(self, event, audience, context, methods, people, incident):
        content = render_all([m.channel for m in methods], event, context)
        content["data"] = context.get("data", {})
        notification = Notification(
            event=event,
            audience=audience,
            incident=incident,
            subject=str(context["headline"])[:250],
            content=content,
            methods=[m.as_dict() for m in methods],
            people=[p.pk for p in people],
        )
        self.pending.append((notification, people))
        return notification

    def write(self):
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


def _first_deliveries(notification, people):
    """The unsaved deliveries of a new notification's first method that reaches anyone."""
    for rank in range(len(notification.methods)):
        method = Method(**notification.methods[rank])
        pairs = addresses(method, incident=notification.incident, people=people)
        if pairs:
            return list(
                _unsaved(notification, rank, method, _reached(notification, rank, method, pairs))
            )
    return []


def _key(notification, rank, method, address):
    return f"n{notification.pk}:{rank}:{method.channel}:{address}"[:250]


def _reached(notification, rank, method, pairs):
    """{idempotency key: (address, person)} of a method's (address, person) pairs."""
    return {
        _key(notification, rank, method, address): (address, person) for address, person in pairs
    }


def _unsaved(notification, rank, method, reached, *, failed_from=None, skipped=()):
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


def open_next_method(notification, *, after_rank, people, failed_from=None):
    """Deliveries of the first method after `after_rank` that reaches anyone.

    Returns that method's rank, or None when no method is left. Publishes after commit.
    """
    for rank in range(after_rank + 1, len(notification.methods)):
        method = Method(**notification.methods[rank])
        pairs = addresses(method, incident=notification.incident, people=people)
        if not pairs:
            continue
        reached = _reached(notification, rank, method, pairs)
        # A method opened again (a failover replayed) adds only whom it did not reach yet.
        existing = notification.deliveries.filter(method_rank=rank, idempotency_key__in=reached)
        existing = set(existing.values_list("idempotency_key", flat=True))
        created = Delivery.objects.bulk_create(
            _unsaved(notification, rank, method, reached, failed_from=failed_from, skipped=existing)
        )
        new_ids = [delivery.pk for delivery in created]
        transaction.on_commit(partial(publish, new_ids, page=is_page(notification)))
        return rank
    return None


def is_page(notification):
    """Pages (whatever their method) have a queue and a worker of their own, so that no
    broadcast delays them, and a bound on how long a provider may make them wait."""
    return notification.event == NotificationEvent.PAGE


def publish(delivery_ids, countdown=None, *, page=False, batch_size=BATCH_SIZE):
    """Queue the sending tasks; False when the broker refused (the sweeper will send them).

    A countdown stays below the broker's visibility timeout, after which Redis would hand the
    waiting task to a second worker; a longer wait is the sweeper's (the row knows when)."""
    from notifications.tasks import deliver, deliver_page

    task = deliver_page if page else deliver
    if countdown is not None:
        countdown = min(countdown, settings.BEACON_COUNTDOWN_MAX_SECONDS)
    ids = list(delivery_ids)
    batches = (ids[start : start + batch_size] for start in range(0, len(ids), batch_size))
    return all(try_publish(task, (batch,), countdown=countdown) for batch in batches)
