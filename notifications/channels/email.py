import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from .base import ChannelAdapter, OutgoingMessage, PermanentError, RetryableError


class EmailAdapter(ChannelAdapter):
    """Django's mail, plain text with an HTML alternative."""

    channel = "email"

    def send(self, message: OutgoingMessage) -> str:
        message_id = make_msgid(idstring=f"beacon-{message.delivery_id}")
        email = EmailMultiAlternatives(
            subject=message.content.get("subject") or message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={"Message-ID": message_id, "X-Beacon-Delivery": message.idempotency_key},
            connection=get_connection(timeout=settings.BEACON_HTTP_TIMEOUT),
        )
        if message.content.get("html"):
            email.attach_alternative(message.content["html"], "text/html")
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentError(f"recipient refused: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
            if 400 <= error.smtp_code < 500:
                raise RetryableError(text) from error
            raise PermanentError(text) from error
        except (smtplib.SMTPException, OSError) as error:
            raise RetryableError(f"mail server unreachable: {error}") from error
        return message_id
