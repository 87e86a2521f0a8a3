"""Calendar months for the monthly reports (effort and cost, policy compliance): read from
'YYYY-MM', their bounds, and the incidents each covers.

A month's reports cover the incidents declared in that month (boundaries in the current time
zone) that the user may see; drills are practice, not incidents, and are left out.
"""

import calendar
import re
from datetime import date, datetime, timedelta

from django.utils import timezone

from . import selectors

MONTH_FORMAT = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text) -> date:
    """'2025-03' → date(2025, 3, 1); ValueError for anything else."""
    match = MONTH_FORMAT.match(str(text or "").strip())
    if not match:
        raise ValueError(text)
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 1 <= year <= 9998):
        raise ValueError(text)
    return date(year, month, 1)


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def shift_month(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(month: date):
    """[start, end) of `month` as aware datetimes in the current time zone."""
    zone = timezone.get_current_timezone()
    start = datetime(month.year, month.month, 1)
    last_day = calendar.monthrange(month.year, month.month)[1]
    end = start + timedelta(days=last_day)
    return timezone.make_aware(start, zone), timezone.make_aware(end, zone)


def month_incidents(*, user, month: date):
    """The incidents declared in `month` that `user` may see, drills left out."""
    start, end = month_bounds(month)
    return selectors.incident_list(
        user=user, filters={"declared_at__gte": start, "declared_at__lt": end, "is_drill": False}
    ).order_by("declared_at", "pk")
