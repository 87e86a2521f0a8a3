"""The outbox: writing notifications with their deliveries (outbox.py), sending them once
with retries and failover (sending.py), re-queuing what was left behind (sweeper.py), and
Slack chores carried as deliveries (chores.py)."""

from .chores import channel_archive_request
from .failures import delivery_retry
from .outbox import notify, notify_people, publish
from .sending import deliveries_send, delivery_send
from .sweeper import deliveries_sweep

__all__ = [
    "channel_archive_request",
    "deliveries_send",
    "deliveries_sweep",
    "delivery_retry",
    "delivery_send",
    "notify",
    "notify_people",
    "publish",
]
