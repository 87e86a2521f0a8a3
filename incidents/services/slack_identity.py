"""Which Slack member a Beacon account is. Acting in Slack as an account, and receiving its
direct messages, follow from the link, so a link is only ever proven: by `/incident link`
(a signed, expiring, one-time link the signed-in portal user confirms), by the member's e-mail
being that of exactly one active account, or by an administrator. A Slack member id is linked
to one account at most. These two services are the only writers; each writes an audit row."""

import re
import secrets

from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from incidents.models import SlackIdentityEvent, SlackLinkAction, SlackLinkMethod
from people.models import UserPreference
from people.models.preference import SLACK_USER_ID

LINK_SALT = "beacon.slack-link"
LINK_MAX_AGE = 10 * 60  # seconds
# Without a person acting: Beacon matched the e-mail itself, or seeded demo data.
UNATTENDED = {SlackLinkMethod.EMAIL_MATCH, SlackLinkMethod.SEED}


def slack_link_token(slack_user_id: str) -> str:
    """What `/incident link` puts in the link it sends the member."""
    return signing.dumps(
        {"slack_user_id": slack_user_id, "nonce": secrets.token_urlsafe(16)}, salt=LINK_SALT
    )


def slack_link_token_read(token: str) -> tuple[str, str]:
    """(slack_user_id, nonce) of a link `/incident link` sent less than ten minutes ago."""
    try:
        found = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(
            _("This link has expired: run /incident link in Slack again.")
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This is not a valid link: run /incident link in Slack.")) from None
    return found["slack_user_id"], found["nonce"]


def _check_actor(user: User, method: SlackLinkMethod, actor: User | None) -> None:
    if actor is None:
        if method not in UNATTENDED:
            raise PermissionDenied(_("Say who links or unlinks this Slack account."))
    elif actor != user and not actor.has_perm("people.change_userpreference"):
        raise PermissionDenied(_("Only an administrator links or unlinks someone else's Slack."))


def _record(
    user: User,
    slack_user_id: str,
    action: SlackLinkAction,
    method: SlackLinkMethod,
    actor: User | None,
    nonce: str = "",
) -> None:
    SlackIdentityEvent.objects.create(
        user=user,
        slack_user_id=slack_user_id,
        action=action,
        method=method,
        actor=actor,
        nonce=nonce,
    )


def _locked_preference(user: User) -> UserPreference:
    UserPreference.objects.get_or_create(user=user)
    return UserPreference.objects.select_for_update().get(user=user)


@transaction.atomic
def slack_identity_link(
    *, user: User, slack_user_id: str, method: str, actor: User | None, nonce: str = ""
) -> UserPreference:
    """Link `slack_user_id` to `user`'s account; `nonce` is a `/incident link` link's, used
    once. An e-mail match never undoes an unlink of the same member from the same account."""
    method = SlackLinkMethod(method)
    _check_actor(user, method, actor)
    if not re.match(SLACK_USER_ID, slack_user_id or ""):
        raise ValidationError({"slack_user_id": _("This is not a Slack member id.")})
    preference = _locked_preference(user)
    if preference.slack_user_id == slack_user_id:
        return preference
    holder = UserPreference.objects.filter(slack_user_id=slack_user_id).exclude(user=user)
    if holder.exists():
        raise ValidationError(
            {
                "slack_user_id": _(
                    "This Slack member is linked to another Beacon account. Unlink it first: "
                    "/incident unlink in Slack, or Unlink Slack in that account's Preferences."
                )
            }
        )
    if preference.slack_user_id:
        raise ValidationError(
            {
                "slack_user_id": _(
                    "This Beacon account is linked to Slack member %(id)s. Unlink it first."
                )
                % {"id": preference.slack_user_id}
            }
        )
    if nonce and SlackIdentityEvent.objects.filter(nonce=nonce).exists():
        raise ValidationError(_("This link has already been used: run /incident link again."))
    unlinked = SlackIdentityEvent.objects.filter(
        user=user, slack_user_id=slack_user_id, action=SlackLinkAction.UNLINKED
    ).exclude(method=SlackLinkMethod.UNPROVEN)
    if method == SlackLinkMethod.EMAIL_MATCH and unlinked.exists():
        raise ValidationError(_("This Slack member was unlinked from this account."))
    preference.slack_user_id = slack_user_id
    try:
        with transaction.atomic():  # the constraints decide between two concurrent links
            preference.save(update_fields=["slack_user_id"])
            _record(user, slack_user_id, SlackLinkAction.LINKED, method, actor, nonce)
    except IntegrityError:
        raise ValidationError(
            _("This Slack member or link was just used for another link. Try again.")
        ) from None
    return preference


@transaction.atomic
def slack_identity_unlink(*, user: User, method: str, actor: User | None) -> UserPreference:
    """Unlink whatever Slack member `user`'s account is linked to."""
    method = SlackLinkMethod(method)
    _check_actor(user, method, actor)
    preference = UserPreference.objects.select_for_update().filter(user=user).first()
    if preference is None or not preference.slack_user_id:
        raise ValidationError(_("This Beacon account is not linked to Slack."))
    slack_user_id, preference.slack_user_id = preference.slack_user_id, ""
    preference.save(update_fields=["slack_user_id"])
    _record(user, slack_user_id, SlackLinkAction.UNLINKED, method, actor)
    return preference
