"""Slack users are Beacon users: by the Slack id stored in their preferences, else by the
email Slack gives for them (then remembered)."""

from django.contrib.auth import get_user_model
from slack_sdk.errors import SlackApiError

from incidents.models import UserPreference

from .client import SlackUnavailable, call


def language_of(locale):
    return "fr" if (locale or "").lower().startswith("fr") else "en"


def slack_profile(slack_user_id):
    """(email, language) from users.info, or ("", "en") when Slack cannot tell."""
    try:
        user = call("users_info", user=slack_user_id, include_locale=True)["user"]
    except (SlackApiError, SlackUnavailable):
        return "", "en"
    return (user.get("profile") or {}).get("email", ""), language_of(user.get("locale"))


def beacon_user(slack_user_id, email=None):
    """The active Beacon user behind a Slack user, or None (asks Slack for the email when
    it is not given)."""
    preference = (
        UserPreference.objects.select_related("user").filter(slack_user_id=slack_user_id).first()
    )
    if preference:
        return preference.user if preference.user.is_active else None
    if email is None:
        email = slack_profile(slack_user_id)[0]
    if not email:
        return None
    matches = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
    if len(matches) != 1:
        return None
    UserPreference.objects.update_or_create(
        user=matches[0], defaults={"slack_user_id": slack_user_id}
    )
    return matches[0]


def slack_id_of(user):
    """The Slack id stored for a Beacon user, or ""."""
    preference = getattr(user, "preference", None)
    return preference.slack_user_id if preference else ""
