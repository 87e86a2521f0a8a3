"""The update modal: a status update (and optionally a new working status) for an incident,
posted through `incident_post_update`."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _

from core.exceptions import TransitionNotAllowed
from incidents import services
from incidents.forms import WORKING_STATES
from incidents.models import Incident
from slackbot import replies
from slackbot.context import SlackContext
from slackbot.forms import input_block, one_answer, select, text_input, values_of
from slackbot.incident_choice import (
    chosen,
    of_channel,
    open_view,
    select_block,
    select_options,
    when,
)
from slackbot.replay import once
from slackbot.replies import Block, option, text

CALLBACK = "update"
KEEP = "keep"


def open_modal(ctx: SlackContext) -> JsonResponse:
    options = select_options(ctx.user)
    if not options:
        return replies.ephemeral(_("There is no active incident you can see."))
    return open_view(ctx, build_view(options, of_channel(ctx)))


def _status_options(current: Incident | None) -> list[Block]:
    if current is None:
        keep = option(_("Keep the current status"), KEEP)
    else:
        keep = option(_("Keep: %(status)s") % {"status": current.get_status_display()}, KEEP)
    others = [s for s in WORKING_STATES if current is None or s != current.status]
    return [keep, *(option(s.label, s.value) for s in others)]


def build_view(options: Sequence[Block], current: Incident | None) -> Block:
    statuses = _status_options(current)
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": text(_("Post an update")[:24]),
        "submit": text(_("Post")),
        "close": text(_("Cancel")),
        "blocks": [
            select_block("update.incident", options, current),
            input_block(
                "status", _("Status"), select("update.status", statuses, initial=statuses[0])
            ),
            input_block(
                "message",
                _("Update"),
                text_input("update.message", multiline=True),
                hint=_("What is known, what is being done, what comes next."),
            ),
        ],
    }


def submit(ctx: SlackContext, view: Mapping[str, object]) -> JsonResponse:
    values = values_of(view)
    incident = chosen(ctx, values.get("incident"))
    if incident is None:
        return replies.modal_errors({"incident": _("Choose the incident.")})
    status = values.get("status")
    status = None if status in (None, KEEP) else status
    try:
        done = once(ctx, view, lambda: _post(ctx, incident, one_answer(values, "message"), status))
    except ValidationError as error:
        by_field = getattr(error, "message_dict", {"message": error.messages})
        return replies.modal_errors(
            {"status" if f == "status" else "message": " ".join(m) for f, m in by_field.items()}
        )
    except TransitionNotAllowed as error:  # a refused status, or the incident closed meanwhile
        block = "status" if status and incident.is_active else "incident"
        return replies.modal_errors({block: error.message})
    except PermissionDenied as error:
        return replies.modal_errors({"incident": str(error)})
    return replies.modal_update(
        replies.notice_view(
            _("Update posted"),
            _("Your update to *%(ref)s* is posted and broadcast. The next one is due %(due)s.")
            % {"ref": done["reference"], "due": done["due"]},
        )
    )


def _post(
    ctx: SlackContext, incident: Incident, message: str | None, status: object
) -> dict[str, object]:
    update = services.incident_post_update(
        incident=incident, actor=ctx.user, message=message, status=status
    )
    assert update.next_update_due is not None  # incident_post_update sets it on every update
    return {"reference": incident.reference, "due": when(update.next_update_due)}
