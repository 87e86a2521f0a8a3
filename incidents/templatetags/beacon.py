"""Template filters for the portal: times in the user's zone, durations, badges."""

from datetime import UTC

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def when(value):
    """An aware datetime as <time> in the active time zone, with the zone's abbreviation and
    the year when it is not this year; the UTC time is in the tooltip."""
    if not value:
        return "—"
    local = timezone.localtime(value)
    shown = "D j M H:i T" if local.year == timezone.localtime().year else "j M Y H:i T"
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        value.isoformat(),
        formats.date_format(timezone.localtime(value, UTC), "Y-m-d H:i"),
        formats.date_format(local, shown),
    )


@register.filter
def duration(value):
    """A timedelta as '2 d 4 h', '1 h 05 min' or '42 min'."""
    if value is None:
        return "—"
    minutes = max(int(value.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def sev_class(severity):
    """CSS class by rank: sev-1 … sev-4; anything less serious looks like sev-4."""
    return f"sev-{min(severity.rank, 4)}"
