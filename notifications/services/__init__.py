"""The outbox: writing notifications with their deliveries (outbox.py), sending them once
with retries and failover (sending.py), and re-queuing what was left behind (sweeper.py)."""

from .failures import delivery_retry
from .outbox import notify_incident, notify_people, publish
from .sending import deliveries_send, delivery_send
from .sweeper import deliveries_sweep

__all__ = [
    "deliveries_send",
    "deliveries_sweep",
    "delivery_retry",
    "delivery_send",
    "notify_incident",
    "notify_people",
    "publish",
]
