"""A reply to an SMS page, through the SMS provider's inbound webhook: "ACK", or "ACK <ref>",
acknowledges, as the person the page was sent to.

The provider signs like our outbound webhooks: HMAC-SHA256 over "<timestamp>.<body>" with
BEACON_SMS_INBOUND_SECRET, in X-Beacon-Timestamp and X-Beacon-Signature ("v1=<hex>"), and the
timestamp must be within BEACON_SMS_INBOUND_TOLERANCE seconds. A replayed reply is harmless:
acknowledging is done once, and a repeat answers what the first did."""

import hmac
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from incidents import access, services
from incidents.models import AckVia, Incident, IncidentStatus
from notifications.channels.webhook import signature
from notifications.models import Delivery
from people.models import UserPreference

KEYWORD = re.compile(r"\A\s*ACK(?:\s+(?P<reference>[A-Z0-9][A-Z0-9-]{0,39}))?\s*\Z", re.I)


class SmsReplyRefused(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Acknowledged:
    incident: Incident
    already: bool


def verify(*, body: bytes, timestamp: str, signed: str):
    secret = settings.BEACON_SMS_INBOUND_SECRET
    if not secret:
        raise SmsReplyRefused(_("SMS replies are not configured (BEACON_SMS_INBOUND_SECRET)."), 503)
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SmsReplyRefused(_("Missing or malformed X-Beacon-Timestamp."), 401)
    if abs(time.time() - int(timestamp)) > settings.BEACON_SMS_INBOUND_TOLERANCE:
        raise SmsReplyRefused(_("The signature is too old or from the future."), 401)
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), signed.encode()):
        raise SmsReplyRefused(_("Invalid signature."), 401)


def _requested_reference(text):
    found = KEYWORD.match(text)
    if found is None:
        raise SmsReplyRefused(_('Reply "ACK" (or "ACK <reference>") to acknowledge a page.'), 400)
    return (found.group("reference") or "").upper()


def _latest_page(sender, reference):
    """The most recent page to `sender` by SMS or voice call (whose message says to text ACK)
    about an incident still active (that one, if named)."""
    if not UserPreference.objects.filter(phone=sender, user__is_active=True).exists():
        raise SmsReplyRefused(_("This number belongs to nobody in Beacon."), 404)
    pages = Delivery.objects.filter(
        channel__in=["sms", "voice"],
        address=sender,
        notification__event="page",
        recipient__is_active=True,
        notification__incident__status__in=IncidentStatus.active(),
    )
    if reference:
        pages = pages.filter(notification__incident__reference=reference)
    page = (
        pages.select_related("recipient", "notification")
        .prefetch_related("notification__about")
        .order_by("-pk")
        .first()
    )
    if page is None:
        raise SmsReplyRefused(_("No page to this number is waiting for an acknowledgement."), 404)
    return page.notification.about, page.recipient


def acknowledge_reply(*, sender: str, text: str) -> Acknowledged:
    incident, person = _latest_page(sender, _requested_reference(text))
    if incident.acknowledged_at is not None:
        return Acknowledged(incident, already=True)
    if not access.can_acknowledge(person, incident):
        raise SmsReplyRefused(_("You may no longer acknowledge this incident."), 403)
    try:
        incident = services.incident_acknowledge(
            incident=incident, actor=person, via=AckVia.SMS_REPLY
        )
    except TransitionNotAllowed as error:  # the same reply twice at once: the other one won
        incident.refresh_from_db()
        if incident.acknowledged_at is None:
            raise SmsReplyRefused(str(error), 409) from error
        return Acknowledged(incident, already=True)
    return Acknowledged(incident, already=False)
