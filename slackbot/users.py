"""Slack users are Beacon users: by the Slack member id linked to their account (see
services/slack_identity.py), else by the email Slack gives for them when exactly one active
account has it (then linked)."""

from typing import TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from slack_sdk.errors import SlackApiError

from incidents import services
from incidents.models import SlackLinkMethod
from people.models import UserPreference
from slackbot.client import SlackUnavailable, call
from slackbot.payload import USER_ID

SLACK_LANGUAGES = ("en", "fr")  # the Slack front's catalogue (locale/)


def language_of(locale: str | None) -> str:
    return "fr" if (locale or "").lower().startswith("fr") else "en"


PROFILE_KEY = "slack:profile:{user}"


class UserInfo(TypedDict, total=False):
    """What Beacon keeps of users.info (all of it, or nothing when Slack cannot tell)."""

    profile: dict[str, str]  # the email only
    locale: str
    real_name: str
    name: str


def _user_info(slack_user_id: str) -> UserInfo:
    """What Beacon reads of users.info (email, locale, names), cached for
    SLACK_PROFILE_CACHE_SECONDS: every request Slack sends asks for the sender's language, and
    a Web API call costs about 100 ms of Slack's 3 s. {} when Slack cannot tell (not cached)."""
    key = PROFILE_KEY.format(user=slack_user_id)
    held: UserInfo | None = cache.get(key)
    if held is not None:
        return held
    try:
        user = call("users_info", user=slack_user_id, include_locale=True)["user"]
    except (SlackApiError, SlackUnavailable):
        return {}
    kept: UserInfo = {
        "profile": {"email": (user.get("profile") or {}).get("email", "")},
        "locale": user.get("locale", ""),
        "real_name": user.get("real_name", ""),
        "name": user.get("name", ""),
    }
    cache.set(key, kept, timeout=settings.SLACK_PROFILE_CACHE_SECONDS)
    return kept


def slack_profile(slack_user_id: str) -> tuple[str, str]:
    """(email, language) from users.info, or ("", "en") when Slack cannot tell."""
    user = _user_info(slack_user_id)
    return (user.get("profile") or {}).get("email", ""), language_of(user.get("locale"))


def slack_name(slack_user_id: str) -> str:
    """The member's name in Slack, or "" when Slack cannot tell."""
    user = _user_info(slack_user_id)
    return user.get("real_name") or user.get("name") or ""


def linked_user(slack_user_id: str) -> User | None:
    """The Beacon user the member is linked to, active or not, or None."""
    preference = (
        UserPreference.objects.select_related("user").filter(slack_user_id=slack_user_id).first()
    )
    return preference.user if preference else None


def beacon_user(slack_user_id: str, email: str | None = None) -> User | None:
    """The active Beacon user behind a Slack user, or None (asks Slack for the email when
    it is not given)."""
    if not USER_ID.match(slack_user_id or ""):
        return None
    user = linked_user(slack_user_id)
    if user is not None:
        return user if user.is_active else None
    if email is None:
        email = slack_profile(slack_user_id)[0]
    if not email:
        return None
    matches = list(get_user_model().objects.filter(email__iexact=email, is_active=True)[:2])
    if len(matches) != 1:
        return None
    try:  # refused when that account has another Slack id, or unlinked this one
        services.slack_identity_link(
            user=matches[0],
            slack_user_id=slack_user_id,
            method=SlackLinkMethod.EMAIL_MATCH,
            actor=None,
        )
    except ValidationError:
        return None
    return matches[0]


def invitee(slack_user_id: str) -> tuple[User | None, str]:
    """(the active Beacon user, "") behind a member picked as invitee, or (None, their name in
    Slack) when they have no Beacon account: one users.info call at most."""
    user = linked_user(slack_user_id)
    if user is not None and user.is_active:
        return user, ""
    info = _user_info(slack_user_id)
    user = beacon_user(slack_user_id, email=(info.get("profile") or {}).get("email", ""))
    return (user, "") if user else (None, info.get("real_name") or info.get("name") or "")


def slack_id_of(user: User) -> str:
    """The Slack id stored for a Beacon user, or ""."""
    preference: UserPreference | None = getattr(user, "preference", None)
    return preference.slack_user_id if preference else ""
