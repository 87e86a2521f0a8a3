from django.db import models


class ReferenceSequence(models.Model):
    """Last incident number used per year; locked while a reference is taken."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"
