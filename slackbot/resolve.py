"""The resolve modal: resolves an incident through `incident_resolve` (which refuses while
required exit criteria are unmet and, if asked, has its channel archived by the outbox once
the resolution is announced)."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from incidents import selectors, services
from incidents.models import Incident
from slackbot import replies
from slackbot.channels import broadcast_select, check_broadcast
from slackbot.context import SlackContext
from slackbot.forms import Answer, checkboxes, input_block, one_answer, text_input, values_of
from slackbot.incident_choice import (
    chosen,
    of_channel,
    open_view,
    select_block,
    select_options,
)
from slackbot.replay import once
from slackbot.replies import Block, option, text

CALLBACK = "resolve"
ERROR_BLOCKS = {"broadcast_channel": "broadcast", "archive_channel": "archive"}
CHANNEL_PREFIX = "inc_"


def open_modal(ctx: SlackContext) -> JsonResponse:
    options = select_options(ctx.user)
    if not options:
        return replies.ephemeral(_("There is no active incident you can see."))
    return open_view(ctx, build_view(ctx, options, of_channel(ctx)))


def build_view(ctx: SlackContext, options: Sequence[Block], current: Incident | None) -> Block:
    preferred = current.broadcast_channel if current else ""
    broadcast, notice = broadcast_select("resolve.broadcast", ctx.slack_user_id, preferred)
    blocks = [
        *([replies.context(notice)] if notice else []),
        input_block("broadcast", _("Broadcast channel"), broadcast),
        select_block("resolve.incident", options, current, optional=True),
        input_block(
            "channel",
            _("Or its channel name"),
            text_input("resolve.channel"),
            optional=True,
            hint=_("Instead of choosing: the incident channel's name, e.g. inc_db_20250131."),
        ),
        input_block(
            "resolution",
            _("Resolution"),
            text_input("resolve.resolution", multiline=True),
            hint=_("What fixed it, in a sentence or two."),
        ),
        input_block(
            "archive",
            _("Archive"),
            checkboxes(
                "resolve.archive", [option(_("Archive the incident channel once resolved"), "yes")]
            ),
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": text(_("Resolve an incident")[:24]),
        "submit": text(_("Resolve")),
        "close": text(_("Cancel")),
        "blocks": blocks,
    }


def _incident(
    ctx: SlackContext, values: Mapping[str, Answer], errors: dict[str, str]
) -> tuple[Incident | None, str]:
    """The incident picked in the select or named by its channel, and the block naming it."""
    picked = chosen(ctx, values.get("incident"))
    name = (one_answer(values, "channel") or "").lstrip("#")
    if not name:
        if picked is None:
            errors["incident"] = _("Choose the incident, or type its channel name.")
        return picked, "incident"
    if not name.startswith(CHANNEL_PREFIX):
        errors["channel"] = _("An incident channel's name starts with inc_.")
        return None, "channel"
    named = selectors.incident_list(user=ctx.user).filter(channel_name=name).first()
    if named is None:
        errors["channel"] = _("No incident you can see has the channel #%(name)s.") % {"name": name}
    elif picked is not None and picked.pk != named.pk:
        mismatch = _("#%(name)s is the channel of %(ref)s, not of the incident chosen.")
        errors["channel"] = mismatch % {"name": name, "ref": named.reference}
    return named, "channel"


def submit(ctx: SlackContext, view: Mapping[str, object]) -> JsonResponse:
    values = values_of(view)
    errors: dict[str, str] = {}
    check_broadcast(ctx.slack_user_id, one_answer(values, "broadcast"), errors)
    incident, block = _incident(ctx, values, errors)
    if errors:
        return replies.modal_errors(errors)
    assert incident is not None  # _incident names an error whenever it finds none
    archive = "yes" in (values.get("archive") or [])
    try:
        done = once(ctx, view, lambda: _resolve(ctx, incident, values, archive))
    except ValidationError as error:
        by_field = getattr(error, "message_dict", {"resolution": error.messages})
        return replies.modal_errors(
            {ERROR_BLOCKS.get(f, "resolution"): " ".join(m) for f, m in by_field.items()}
        )
    except TransitionNotAllowed as error:
        return replies.modal_errors({"resolution": error.message})
    except PermissionDenied as error:
        return replies.modal_errors({block: str(error)})
    body = _("*%(ref)s* is resolved. Beacon announces it in the incident and broadcast channels.")
    if done["archive"]:
        body += " " + _("The incident channel will be archived once the announcements are out.")
    return replies.modal_update(
        replies.notice_view(_("Incident resolved"), body % {"ref": done["reference"]})
    )


def _resolve(
    ctx: SlackContext, incident: Incident, values: Mapping[str, Answer], archive: bool
) -> dict[str, object]:
    broadcast = values.get("broadcast")
    if broadcast and broadcast != incident.broadcast_channel:  # announce where they chose
        incident = services.incident_update_details(
            incident=incident, actor=ctx.user, broadcast_channel=broadcast
        )
    services.incident_resolve(
        incident=incident,
        actor=ctx.user,
        resolution=one_answer(values, "resolution"),
        archive_channel=archive,
    )
    return {"reference": incident.reference, "archive": archive}
