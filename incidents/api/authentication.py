"""The API's token authentication: `Authorization: Token <key>` against Beacon's ApiToken
(services/api_tokens.py), and the guard against guessing keys.

The guard counts failed token authentications per client IP and, past the "token_failures"
rate, answers 429 to every token from that IP until the window ends. It lives here rather than
in a throttle class because DRF authenticates before it throttles (a wrong key is a 401 that
no throttle ever counts), and because it must refuse before the key is looked up: otherwise a
right guess would still be told apart from a wrong one.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from incidents import services
from incidents.models.api_token import PREFIX_LENGTH
from incidents.security import security_event
from incidents.throttling import TokenFailures


def _presented_key(request):
    words = get_authorization_header(request).split()
    if len(words) == 2 and words[0].lower() == ApiTokenAuthentication.keyword.lower().encode():
        return words[1].decode("latin-1")
    return None


def presented_prefix(request):
    """The prefix of the key a request presents, for the security log; None without one."""
    key = _presented_key(request)
    return key[:PREFIX_LENGTH] if key else None


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != self.keyword.lower().encode():
            return None  # no token presented: another authentication may apply
        failures = TokenFailures(request)
        failures.refuse_when_over()
        try:
            user, token = super().authenticate(request)
        except AuthenticationFailed:
            failures.count()
            raise
        if self.use_recorded:
            security_event("token_used", request, user=user.get_username(), token=token.prefix)
        return user, token

    def authenticate_credentials(self, key):
        token, self.use_recorded = services.api_token_authenticate(key=key)
        if token is None:
            raise AuthenticationFailed(_("Invalid token."))
        return token.user, token
