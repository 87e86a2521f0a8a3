"""Template filters for effort and cost: money with its currency, hours, minutes."""

from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils import formats

from incidents import costing

from .beacon import duration

register = template.Library()


@register.filter
def money(value, currency=None):
    """A Decimal amount as '1,234.50 EUR' (the configured currency unless one is given)."""
    if value is None:
        return "—"
    amount = formats.number_format(
        costing.rounded(Decimal(value)), 2, use_l10n=True, force_grouping=True
    )
    return f"{amount} {currency or costing.currency()}"


@register.filter
def hours(value):
    """Hours without trailing zeros: 12, 12.5, 0.25."""
    if value is None:
        return "—"
    exact = costing.rounded(Decimal(value)).normalize()
    return formats.number_format(exact, use_l10n=True, force_grouping=True)


@register.filter
def minutes(value):
    """A number of minutes as '42 min' or '1 h 05 min'."""
    if value is None:
        return "—"
    return duration(timedelta(minutes=float(value)))


@register.filter
def percent_width(value, ceiling=200):
    """A percentage clamped to 0…ceiling, scaled to 0–100 for a CSS width."""
    if value is None:
        return 0
    return round(min(max(float(value), 0), float(ceiling)) * 100 / float(ceiling), 1)
