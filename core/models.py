"""What several models share."""

from typing import Any, NoReturn

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.api.idempotency import KEY_MAX_LENGTH


class AppendOnlyError(ValueError):
    pass


class AppendOnlyModel(models.Model):
    """A record written once: saving it again or deleting it raises `AppendOnlyError`.

    (Deleting its parent still removes it: a cascade deletes in bulk, without `delete()`.)"""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            self._refuse_change()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._refuse_change()

    def _refuse_change(self) -> NoReturn:
        plural = str(self._meta.verbose_name_plural)
        raise AppendOnlyError(f"{plural[:1].upper()}{plural[1:]} are append-only.")


class ActorEvent(AppendOnlyModel):
    """An append-only record of who did something, and when; the subclass says to what."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


def save_fields(instance: models.Model, **values: object) -> None:
    """Set `values` on `instance` and save those fields alone."""
    for field, value in values.items():
        setattr(instance, field, value)
    instance.save(update_fields=list(values))


class IdempotencyKey(models.Model):
    """An API client's `Idempotency-Key` and the response its POST got, for replaying retries."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    key = models.CharField(_("key"), max_length=KEY_MAX_LENGTH)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=255)
    request_hash = models.CharField(_("request body hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"), encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"
