"""The declare modal: prefilled from Beacon's configuration, checked live (the channel name),
submitted into the inbox and declared by a worker through `incident_declare` (inbox.py).
A replayed submission declares once."""

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from slack_sdk.errors import SlackApiError

from catalog.models import Service
from incidents.models import Incident
from incidents.services.declaration import (
    CHANNEL_NAME_PART,
    channel_name,
    declaration_form_errors,
)
from notifications.rendering import slack_escaped as escaped
from people.models import CriticalFunction, IncidentRoleField
from people.selectors import delegate_for
from policy.models import Impact, IncidentType, PriorityMatrixCell, SeverityLevel, Urgency
from slackbot import channel_cache, replies
from slackbot.channels import broadcast_select, check_broadcast
from slackbot.client import SlackUnavailable, call
from slackbot.context import SlackContext
from slackbot.forms import (
    Answer,
    checkboxes,
    input_block,
    one_answer,
    prefilled,
    select,
    text_input,
)
from slackbot.incident_choice import open_view
from slackbot.payload import (
    VIEW_ID,
    SlackPayloadError,
    identifier,
    listing,
    mapping,
    picked,
    pk,
    text,
)
from slackbot.replies import Block, option
from slackbot.replies import text as plain_text
from slackbot.users import beacon_user, invitee, slack_id_of

CALLBACK = "declare"
DEFINITION = ("affects_customers", "unplanned", "exceeds_one_hour", "confirm_definition")
# Service field → modal block, for the service's ValidationError messages.
FIELD_BLOCKS = {
    "title": "title",
    "name": "name",
    "incident_type": "incident_type",
    "severity": "severity",
    "impact_level": "impact_level",
    "urgency": "urgency",
    "services": "services",
    "confirm_definition": "definition",
    "priority_override_reason": "impact_level",
    "broadcast_channel": "broadcast",
    "slack_participants": "invitees",
}


def todays_channel(name: str) -> str:
    return channel_name(name, timezone.now())


def open_modal(ctx: SlackContext) -> JsonResponse:
    return open_view(ctx, build_view(ctx))


def _on_duty_slack_ids() -> dict[str, str]:
    """{incident role field: the Slack id of whoever holds its critical function now}."""
    fields = (IncidentRoleField.COMMANDER, IncidentRoleField.RESPONDER)
    functions = CriticalFunction.objects.filter(incident_field__in=fields, is_active=True)
    found: dict[str, str] = {}
    for function in functions:  # by position, as `.first()` took them
        if function.incident_field in found:
            continue  # the first active one, as for a single field
        holder = delegate_for(function=function)
        found[function.incident_field] = slack_id_of(holder.user) if holder.user else ""
    return found


def _matrix_hint() -> str:
    cells = PriorityMatrixCell.objects.order_by("impact", "urgency").values_list(
        "impact", "urgency", "priority__name"
    )
    return "; ".join(
        f"{Impact(impact).label} × {Urgency(urgency).label} → {priority}"
        for impact, urgency, priority in cells
    )


def build_view(ctx: SlackContext) -> Block:
    broadcast, notice = broadcast_select("declare.broadcast", ctx.slack_user_id)
    active_types = IncidentType.objects.filter(is_active=True).values_list("pk", "name")
    types = [option(name, type_pk) for type_pk, name in active_types]
    severities = [
        option(name, severity_pk, description)
        for severity_pk, name, description in SeverityLevel.objects.order_by("rank").values_list(
            "pk", "name", "description"
        )
    ]
    levels = [option(label, value) for value, label in Impact.choices]
    active_services = Service.objects.filter(is_active=True).values_list("pk", "name")
    services = [option(name, service_pk) for service_pk, name in active_services]
    on_duty = _on_duty_slack_ids()
    commander = on_duty.get(IncidentRoleField.COMMANDER, "")
    responder = on_duty.get(IncidentRoleField.RESPONDER, "")
    blocks = [
        *([replies.context(notice)] if notice else []),
        input_block(
            "broadcast",
            _("Broadcast channel"),
            broadcast,
            hint=_("Channels Beacon is in (type to search). Invite it to broadcast elsewhere."),
        ),
        input_block("title", _("Title"), text_input("declare.title")),
        input_block(
            "name",
            _("Incident name"),
            text_input(
                "declare.name",
                max_length=60,
                dispatch_action_config={"trigger_actions_on": ["on_character_entered"]},
            ),
            hint=_("Lowercase letters, digits, - and _; the channel is inc_<name>_<date>."),
        ),
        input_block("incident_type", _("Incident type"), select("declare.type", types)),
        input_block("severity", _("Severity"), select("declare.severity", severities)),
        input_block(
            "impact_level",
            _("Impact"),
            select("declare.impact", levels),
            hint=_("The priority matrix suggests: %(matrix)s") % {"matrix": _matrix_hint()},
        ),
        input_block("urgency", _("Urgency"), select("declare.urgency", levels)),
        input_block(
            "private",
            _("Security incident"),
            checkboxes(
                "declare.private",
                [option(_("Private channel, visible only to those invited"), "yes")],
            ),
            optional=True,
        ),
        input_block(
            "commander",
            _("Commander"),
            {"type": "users_select", "action_id": "declare.commander"}
            | ({"initial_user": commander} if commander else {}),
        ),
        input_block(
            "responder",
            _("Responder"),
            {"type": "users_select", "action_id": "declare.responder"}
            | ({"initial_user": responder} if responder else {}),
        ),
        input_block(
            "invitees",
            _("Invite"),
            {"type": "multi_users_select", "action_id": "declare.invitees"},
            optional=True,
            hint=_("Anyone in Slack; people without a Beacon account join the channel only."),
        ),
        input_block(
            "services",
            _("Services affected"),
            select("declare.services", services, multi=True),
            optional=True,
        ),
        input_block(
            "environments",
            _("Environments affected"),
            text_input("declare.environments"),
            optional=True,
            hint=_("Comma-separated, e.g. production, staging"),
        ),
        input_block(
            "regions",
            _("Regions affected"),
            text_input("declare.regions"),
            optional=True,
            hint=_("Comma-separated, e.g. eu-west-1"),
        ),
        input_block(
            "definition",
            _("Is it an incident?"),
            checkboxes(
                "declare.definition",
                [
                    option(_("It negatively affects customers"), "affects_customers"),
                    option(_("It was not planned"), "unplanned"),
                    option(_("It cannot be resolved within 1 hour"), "exceeds_one_hour"),
                    option(_("Declare it even if not all three hold"), "confirm_definition"),
                ],
            ),
            optional=True,
        ),
        input_block(
            "summary",
            _("Summary"),
            text_input("declare.summary", multiline=True),
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK,
        "title": plain_text(_("Declare an incident")[:24]),
        "submit": plain_text(_("Declare")),
        "close": plain_text(_("Cancel")),
        "blocks": blocks,
        "private_metadata": ctx.language,  # the submission is answered in it (inbox.py)
    }


# What views.update takes back of the view Slack sent with a keystroke.
VIEW_FIELDS = ("type", "callback_id", "title", "submit", "close", "private_metadata")


def act(ctx: SlackContext, action: Mapping[str, object], payload: Mapping[str, object]) -> None:
    """Live check of the incident name: show the channel it makes, or what is wrong. The view
    Slack sent is patched (the name's hint), not rebuilt: a keystroke costs one views.update
    and no more than the lookups the name needs."""
    if action["action_id"] != "declare.name":
        return
    name = text(action.get("value"), "action.value").strip()
    view = mapping(payload.get("view"), "view")
    view_id = identifier(view.get("id"), "view.id", VIEW_ID, required=True)
    blocks = [mapping(block, "block") for block in listing(view.get("blocks"), "view.blocks")]
    if not any(block.get("block_id") == "name" for block in blocks):
        return  # not the modal Beacon sent
    preview = name_problem(name) or _("The channel will be #%(channel)s") % {
        "channel": todays_channel(name)
    }
    patched = {key: view[key] for key in VIEW_FIELDS if key in view}
    patched["blocks"] = [
        {**block, "hint": plain_text(preview)} if block.get("block_id") == "name" else block
        for block in blocks
    ]
    # A stale hash means the person typed on: the next keystroke updates the view.
    with suppress(SlackApiError, SlackUnavailable):
        call(
            "views_update", view_id=view_id, hash=text(view.get("hash"), "view.hash"), view=patched
        )


def name_problem(name: str) -> str:
    """What is wrong with an incident name, or "". The cache knows the bot's channels; a name
    taken where the bot cannot see, Slack reports when the channel is created."""
    if not CHANNEL_NAME_PART.match(name or ""):
        return _("Use 1 to 60 lowercase letters, digits, '-' or '_'.")
    wanted = todays_channel(name)
    if channel_cache.name_taken(wanted) or Incident.objects.filter(channel_name=wanted).exists():
        return _("#%(channel)s already exists: choose another name.") % {"channel": wanted}
    return ""


def _check_name(name: str, errors: dict[str, str]) -> None:
    problem = name_problem(name)
    if problem:
        errors["name"] = problem


def _people(
    ctx: SlackContext, values: Mapping[str, Answer], errors: dict[str, str]
) -> dict[str, object]:
    people: dict[str, object] = {}
    for block in ("commander", "responder"):
        slack_id = one_answer(values, block)
        if slack_id == ctx.slack_user_id:  # the declarer, found already
            people[block] = ctx.user
        else:
            people[block] = beacon_user(slack_id) if slack_id else None
        if slack_id and people[block] is None:
            errors[block] = _("This person has no Beacon account linked to Slack.")
    # Invitees without a Beacon account join the channel as Slack-only participants.
    invitees = [(s, *invitee(s)) for s in values.get("invitees") or []]
    people["invitees"] = [user for _s, user, _name in invitees if user]
    people["slack_participants"] = [(s, name) for s, user, name in invitees if user is None]
    return people


def form_errors(values: Mapping[str, Answer]) -> dict[str, str]:
    """The mistakes the answers show on their own (block id → message): the submission's
    answer refuses them at once, before anything is stored. A state whose answers have
    the wrong shape raises SlackPayloadError (a 400): the worker would fail on it."""
    _check_shapes(values)
    definition = set(values.get("definition") or [])
    errors = declaration_form_errors(
        title=one_answer(values, "title") or "",
        name=one_answer(values, "name") or "",
        **{field: field in definition for field in DEFINITION},
    )
    return {FIELD_BLOCKS.get(field, "title"): message for field, message in errors.items()}


# The blocks whose answer is a list (checkboxes, multi-selects); every other holds one value.
LIST_BLOCKS = frozenset({"definition", "private", "invitees", "services"})


def _check_shapes(values: Mapping[str, Answer]) -> None:
    for block, value in values.items():
        if isinstance(value, list) != (block in LIST_BLOCKS) and value is not None:
            raise SlackPayloadError(f"{block}: not the answer the declare modal asks for.")


def declaration_of(
    ctx: SlackContext, values: Mapping[str, Answer]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(`incident_declare`'s arguments, the field errors found on the way): the broadcast
    channel, the name and the people are checked here, the rest by the service."""
    errors: dict[str, str] = {}
    check_broadcast(ctx.slack_user_id, one_answer(values, "broadcast"), errors)
    _check_name(one_answer(values, "name") or "", errors)
    people = _people(ctx, values, errors)
    return _declaration(values, people), errors


def form_again(
    ctx: SlackContext, answers: Mapping[str, Any], errors: Mapping[str, str]
) -> dict[str, Any]:
    """The declare modal as it was submitted (`answers`: its `state.values`), with the
    errors under their fields: views.update cannot show Slack's own field errors."""
    view = prefilled(build_view(ctx), answers)
    marked: list[Block] = [
        _marked("error", _("Not declared yet: correct the fields marked below."))
    ]
    for block in view["blocks"]:
        marked.append(block)
        if block.get("block_id") in errors:
            marked.append(_marked(f"error.{block['block_id']}", errors[block["block_id"]]))
    shown = {block.get("block_id") for block in view["blocks"]}
    elsewhere = [message for block, message in errors.items() if block not in shown]
    if elsewhere:
        marked.insert(1, _marked("error.other", " ".join(elsewhere)))
    return {**view, "blocks": marked}


def _marked(block_id: str, message: str) -> Block:
    return {**replies.context(":warning: " + escaped(message)), "block_id": block_id}


def _declaration(values: Mapping[str, Answer], people: Mapping[str, object]) -> dict[str, Any]:
    definition = set(values.get("definition") or [])
    by_pk = {
        "incident_type": picked(IncidentType.objects.all(), values.get("incident_type")),
        "severity": picked(SeverityLevel.objects.all(), values.get("severity")),
    }
    return {
        "title": values.get("title", ""),
        "name": values.get("name", ""),
        **by_pk,
        "impact_level": values.get("impact_level") or "",
        "urgency": values.get("urgency") or "",
        "priority": None,
        # Unticked: the incident type decides (a security type stays private).
        "is_private": True if "yes" in (values.get("private") or []) else None,
        "commander": people["commander"],
        "responder": people["responder"],
        "invitees": people["invitees"],
        "slack_participants": people["slack_participants"],
        "services": list(Service.objects.filter(pk__in=map(pk, values.get("services") or []))),
        "environments": (one_answer(values, "environments") or "").split(","),
        "regions": (one_answer(values, "regions") or "").split(","),
        "summary": values.get("summary", ""),
        "broadcast_channel": values.get("broadcast") or "",
        **{field: field in definition for field in DEFINITION},
    }


def field_errors(error: ValidationError) -> dict[str, str]:
    """A service's ValidationError as the modal's field errors (block id → message)."""
    if not hasattr(error, "error_dict"):
        return {"title": " ".join(error.messages)}
    return {
        FIELD_BLOCKS.get(field, "title"): " ".join(messages)
        for field, messages in error.message_dict.items()
    }
