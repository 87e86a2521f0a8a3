"""API tokens: create, rotate, revoke, and record use. Each writer locks the owner's row and
keeps its record on the token rows themselves (created by and when, revoked by and when; a
rotated token is revoked the moment its successor is created), which is all there is to say
about a token; the security log says it too, after commit.

A key leaves Beacon once, returned by `api_token_create` or `api_token_rotate`; only its
SHA-256 digest is stored. `actor=None` is the command line (`manage.py api_token`).
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import ApiToken
from incidents.models.api_token import PREFIX_LENGTH
from incidents.security import security_event

KEY_BYTES = 32  # 43 URL-safe characters
# What a key may look like: keys from secrets.token_urlsafe, and the 40 hex digits of keys
# rest_framework.authtoken made. Nothing else reaches the database.
KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{40,64}")
USE_RECORDED_EVERY = timedelta(minutes=1)


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _may_manage(actor: User | None, user: User) -> None:
    if actor is None or actor.pk == user.pk or actor.has_perm("incidents.change_apitoken"):
        return
    raise PermissionDenied(_("You may manage only your own API token."))


def _lock_owner(user: User) -> User:
    owner = get_user_model().objects.select_for_update().get(pk=user.pk)
    if not owner.is_active:
        raise ValidationError(_("%(user)s is not active: it gets no API token.") % {"user": owner})
    return owner


def _active(user: User) -> ApiToken | None:
    return ApiToken.objects.select_for_update().filter(user=user, revoked_at=None).first()


def _require_active(user: User) -> ApiToken:
    token = _active(user)
    if token is None:
        raise ValidationError(
            _("%(user)s has no API token: create one first.") % {"user": user.get_username()}
        )
    return token


def _issue(user: User, actor: User | None, label: str, now: datetime) -> tuple[ApiToken, str]:
    key = secrets.token_urlsafe(KEY_BYTES)
    token = ApiToken(
        user=user,
        label=label,
        prefix=key[:PREFIX_LENGTH],
        digest=digest_of(key),
        created_at=now,
        created_by=actor,
    )
    token.full_clean()
    token.save()
    return token, key


def _revoke(token: ApiToken, actor: User | None, now: datetime) -> None:
    token.revoked_at, token.revoked_by = now, actor
    token.save(update_fields=["revoked_at", "revoked_by"])


def _log_after_commit(event: str, token: ApiToken, actor: User | None, **fields: object) -> None:
    actor_name = actor.get_username() if actor else "manage.py"
    transaction.on_commit(
        lambda: security_event(
            event,
            user=token.user.get_username(),
            token=token.prefix,
            actor=actor_name,
            # mypy cannot tell that `fields` holds no `request` or `level`.
            **fields,  # type: ignore[arg-type]
        )
    )


@transaction.atomic
def api_token_create(*, user: User, actor: User | None, label: str = "") -> tuple[ApiToken, str]:
    """A first token for `user`: (token, key); the key is shown once and never again."""
    _may_manage(actor, user)
    user = _lock_owner(user)
    if _active(user):
        raise ValidationError(
            _("%(user)s already has an API token: rotate it for a new key, or revoke it first.")
            % {"user": user.get_username()}
        )
    token, key = _issue(user, actor, label, timezone.now())
    _log_after_commit("token_created", token, actor)
    return token, key


@transaction.atomic
def api_token_rotate(*, user: User, actor: User | None) -> tuple[ApiToken, str]:
    """A new key in place of `user`'s token, which stops working now: (token, key)."""
    _may_manage(actor, user)
    user = _lock_owner(user)
    old = _require_active(user)
    now = timezone.now()
    _revoke(old, actor, now)
    token, key = _issue(user, actor, old.label, now)
    _log_after_commit("token_rotated", token, actor, previous=old.prefix)
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, actor: User | None) -> ApiToken:
    """`user`'s token stops working now; they may create another."""
    _may_manage(actor, user)
    user = get_user_model().objects.select_for_update().get(pk=user.pk)  # inactive: revoke too
    token = _require_active(user)
    _revoke(token, actor, timezone.now())
    _log_after_commit("token_revoked", token, actor)
    return token


def api_token_authenticate(*, key: str) -> tuple[ApiToken | None, bool]:
    """The active token `key` opens (its user active), or None. Found by prefix, compared by
    digest in constant time. Records the use at most once a minute: (token, recorded)."""
    if not KEY_SHAPE.fullmatch(key):
        return None, False
    digest = digest_of(key)
    found = None
    candidates = ApiToken.objects.select_related("user").filter(
        prefix=key[:PREFIX_LENGTH], revoked_at=None
    )
    for token in candidates:
        if hmac.compare_digest(token.digest, digest):
            found = token
    if found is None or not found.user.is_active:
        return None, False
    now = timezone.now()
    recorded = (
        ApiToken.objects.filter(pk=found.pk)
        .filter(Q(last_used_at=None) | Q(last_used_at__lte=now - USE_RECORDED_EVERY))
        .update(last_used_at=now)
    )
    if recorded:
        found.last_used_at = now
    return found, bool(recorded)
