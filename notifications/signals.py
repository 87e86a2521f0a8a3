"""What the outbox tells the apps above it. Receivers run synchronously, inside the
transaction that recorded the outcome, so what they write commits (or not) with it."""

import enum

from django.dispatch import Signal


class Outcome(enum.StrEnum):
    FAILED_OVER = "failed_over"  # its attempts are spent; the next method is sending instead
    FAILED = "failed"  # its attempts are spent and no method is left
    RETRIED = "retried"  # a person asked to send it again


# Sent with `delivery`, `outcome` (Outcome), `backup_rank` (the method failed over to, or
# None) and `actor` (the person who asked, or None), by services/failures.py.
delivery_outcome = Signal()
