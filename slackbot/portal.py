"""Portal: the Beacon side of linking a Slack account. `/incident link` in Slack sends the
member a signed one-time link to `slack_link`; the signed-in user sees which Slack member it is
and confirms. `slack_unlink` is Preferences' "Unlink Slack" button."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import services
from incidents.models import SlackLinkMethod
from slackbot.users import slack_name


@login_required
def slack_link(request: HttpRequest, token: str) -> HttpResponse:
    assert request.user.is_authenticated  # login_required lets in only people signed in
    try:
        slack_user_id, nonce = services.slack_link_token_read(token)
        if request.method == "POST":
            services.slack_identity_link(
                user=request.user,
                slack_user_id=slack_user_id,
                method=SlackLinkMethod.SLACK_COMMAND,
                actor=request.user,
                nonce=nonce,
            )
            messages.success(
                request,
                _("Slack member %(id)s is linked to your account.") % {"id": slack_user_id},
            )
            return redirect("portal:preferences")
    except ValidationError as error:
        context = {"refusal": " ".join(error.messages)}
        return render(request, "slackbot/link.html", context, status=400)
    context = {"slack_user_id": slack_user_id, "slack_name": slack_name(slack_user_id)}
    return render(request, "slackbot/link.html", context)


@require_POST
@login_required
def slack_unlink(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # login_required lets in only people signed in
    try:
        services.slack_identity_unlink(
            user=request.user, method=SlackLinkMethod.PORTAL, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your account is no longer linked to Slack."))
    return redirect("portal:preferences")
