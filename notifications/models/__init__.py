from .delivery import Channel, Delivery, DeliveryStatus
from .heartbeat import WorkerHeartbeat
from .notification import Notification, NotificationAudience, NotificationEvent
from .pace import ChannelPace

__all__ = [
    "Channel",
    "ChannelPace",
    "Delivery",
    "DeliveryStatus",
    "Notification",
    "NotificationAudience",
    "NotificationEvent",
    "WorkerHeartbeat",
]
