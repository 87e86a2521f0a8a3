"""The acknowledgement link in a page: signed for one person and one incident, expiring after
BEACON_ACK_LINK_MINUTES. It is the only credential of the landing page (no session: it is
opened on a phone), and it can do one thing, acknowledge. It is used once because an
acknowledgement is: once the incident is acknowledged, every link to it only says so."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.models import Incident
from notifications.links import absolute_url

SALT = "beacon.ack-link"


def ack_link_token(incident, user) -> str:
    return signing.dumps([incident.pk, user.pk], salt=SALT)  # short: it goes in an SMS


def ack_link_url(incident, user) -> str:
    return absolute_url("portal:ack-link", ack_link_token(incident, user))


def ack_link_read(token):
    """(incident, user) a link was signed for; ValidationError when forged, expired or stale."""
    try:
        found = signing.loads(token, salt=SALT, max_age=settings.BEACON_ACK_LINK_MINUTES * 60)
    except signing.SignatureExpired:
        raise ValidationError(
            _("This acknowledgement link has expired. Acknowledge in Beacon or reply ACK.")
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This is not a valid acknowledgement link.")) from None
    incident_pk, user_pk = found
    incident = Incident.objects.filter(pk=incident_pk).first()
    user = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    if incident is None or user is None:
        raise ValidationError(_("This acknowledgement link no longer leads anywhere."))
    return incident, user
