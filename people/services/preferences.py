"""A person's preferences: the time zone Beacon shows them, and the mobile phone that SMS and
voice pages go to. The Slack member id is written only by the Slack identity services, which
audit it themselves."""

from typing import Any, cast

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Field
from django.utils.translation import gettext as _

from core.changes import refuse_unknown, strip
from core.names import display_name
from people.models import PeopleEventKind, UserPreference
from people.services.audit import record_update
from people.services.common import Actor, apply_changes, require_own_or

PREFERENCE_FIELDS = ("time_zone", "phone")
TIME_ZONE = cast("Field[Any, Any]", UserPreference._meta.get_field("time_zone"))


@transaction.atomic
def preference_update(*, actor: Actor, user: User, **changes: Any) -> UserPreference:
    """Change a person's time zone or phone (a row is made for them when they have none);
    records what changed, before and after, and nothing when nothing did."""
    refusal = _("You may only change your own preferences, not %(user)s's.") % {
        "user": display_name(user)
    }
    by = require_own_or(actor, user, "change", UserPreference, refusal)
    refuse_unknown(changes, PREFERENCE_FIELDS)
    strip(changes, "phone")
    if "time_zone" in changes:  # a name or a ZoneInfo: compared as the field holds it
        changes["time_zone"] = TIME_ZONE.to_python(changes["time_zone"])
    preference = UserPreference.objects.select_for_update().filter(user=user).first()
    preference = preference or UserPreference(user=user)
    changed = apply_changes(preference, changes)
    if not changed:
        return preference
    preference.full_clean()
    preference.save()
    record_update(
        actor=by,
        kind=PeopleEventKind.PREFERENCES_UPDATED,
        about=preference,
        description=_("%(user)s's preferences") % {"user": display_name(user)},
        changed={field: (str(old), str(new)) for field, (old, new) in changed.items()},
    )
    return preference
