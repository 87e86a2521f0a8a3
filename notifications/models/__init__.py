from .delivery import Channel, Delivery, DeliveryStatus
from .heartbeat import WorkerHeartbeat
from .notification import Notification, NotificationAudience, NotificationEvent

__all__ = [
    "Channel",
    "Delivery",
    "DeliveryStatus",
    "Notification",
    "NotificationAudience",
    "NotificationEvent",
    "WorkerHeartbeat",
]
