"""What several models share."""

from django.db import models


class AppendOnlyError(ValueError):
    pass


class AppendOnlyModel(models.Model):
    """A record written once: saving it again or deleting it raises `AppendOnlyError`.

    (Deleting its parent still removes it: a cascade deletes in bulk, without `delete()`.)"""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._refuse_change()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_change()

    def _refuse_change(self):
        plural = str(self._meta.verbose_name_plural)
        raise AppendOnlyError(f"{plural[:1].upper()}{plural[1:]} are append-only.")
