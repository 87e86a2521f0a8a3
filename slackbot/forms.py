"""Building modal blocks and reading a submitted modal's answers."""

from collections.abc import Mapping, Sequence
from typing import Any

from slackbot.payload import (
    USER_ID,
    SlackInputError,
    SlackPayloadError,
    identifier,
    listing,
    mapping,
    text,
)
from slackbot.replies import Block
from slackbot.replies import text as plain_text

# What a submitted input holds: text, an option's value or a Slack user id, a list of them, or
# None (no option or user chosen).
Answer = str | list[str] | None


def input_block(
    block_id: str,
    label: object,
    element: Mapping[str, object],
    *,
    optional: bool = False,
    hint: object = "",
) -> Block:
    block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint)
    return block


def select(
    action_id: str,
    options: Sequence[Block],
    *,
    initial: Block | Sequence[Block] | None = None,
    multi: bool = False,
    placeholder: object = "",
) -> Block:
    element: Block = {
        "type": "multi_static_select" if multi else "static_select",
        "action_id": action_id,
        "options": options[:100],
    }
    if placeholder:
        element["placeholder"] = plain_text(placeholder)
    if initial:
        element["initial_options" if multi else "initial_option"] = initial
    return element


def text_input(action_id: str, **options: object) -> Block:
    return {"type": "plain_text_input", "action_id": action_id, **options}


def checkboxes(action_id: str, options: Sequence[Block]) -> Block:
    return {"type": "checkboxes", "action_id": action_id, "options": options}


def values_of(view: Mapping[str, object]) -> dict[str, Answer]:
    """{block_id: value} from a submitted view's state: text (stripped), a Slack user id, or a
    list of them. A state Slack would not send raises SlackPayloadError; text with control
    characters raises SlackInputError naming every block that has some."""
    state = mapping(mapping(view.get("state"), "view.state").get("values"), "view.state.values")
    found: dict[str, Answer] = {}
    refused: dict[str, str] = {}
    for block_id, elements in state.items():
        for element in mapping(elements, "block").values():
            try:
                found[block_id] = _value(mapping(element, "element"), block_id)
            except SlackInputError as error:
                refused.update(error.errors)
    if refused:
        raise SlackInputError(refused)
    return found


def one_answer(values: Mapping[str, Answer], block: str) -> str | None:
    """The answer of an input that holds one value (text, an option's value, a user), None
    when absent or nothing is chosen. A list there is a state Slack would not send."""
    value = values.get(block)
    if isinstance(value, list):
        raise SlackPayloadError(f"{block} holds more than one value.")
    return value


def _value(element: Mapping[str, object], block: str) -> Answer:
    kind = element.get("type")
    if kind in ("static_select", "external_select"):
        chosen = element.get("selected_option")
        return None if chosen is None else _option(chosen, block)
    if kind in ("multi_static_select", "checkboxes"):
        return [_option(o, block) for o in listing(element.get("selected_options"), "options")]
    if kind == "users_select":
        return identifier(element.get("selected_user"), "selected_user", USER_ID) or None
    if kind == "multi_users_select":
        users = listing(element.get("selected_users"), "selected_users")
        return [identifier(u, "selected_users", USER_ID, required=True) for u in users]
    return text(element.get("value"), "value", block=block).strip()


def _option(chosen: object, block: str) -> str:
    return text(mapping(chosen, "option").get("value"), "option.value", block=block)


def prefilled(view: dict[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """`view` with a submitted `state.values` (`answers`) as its inputs' initial values. An
    option no longer offered is left out: Slack refuses a view whose initial option is not
    among its options."""
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        answered = (answers.get(block["block_id"]) or {}).get(element["action_id"])
        if isinstance(answered, dict):
            element.update(_initial(element, answered))
    return view


def _initial(element: Mapping[str, Any], answered: Mapping[str, Any]) -> dict[str, object]:
    kind = element["type"]
    offered = {o["value"]: o for o in element.get("options", ())}
    if kind == "plain_text_input" and answered.get("value"):
        return {"initial_value": answered["value"]}
    if kind == "static_select":
        chosen = offered.get((answered.get("selected_option") or {}).get("value"))
        return {"initial_option": chosen} if chosen else {}
    if kind == "external_select" and (answered.get("selected_option") or {}).get("text"):
        return {"initial_option": answered["selected_option"]}
    if kind in ("multi_static_select", "checkboxes"):
        chosen = [
            offered[o["value"]]
            for o in answered.get("selected_options") or ()
            if o.get("value") in offered
        ]
        return {"initial_options": chosen} if chosen else {}
    if kind == "users_select" and answered.get("selected_user"):
        return {"initial_user": answered["selected_user"]}
    if kind == "multi_users_select" and answered.get("selected_users"):
        return {"initial_users": answered["selected_users"]}
    return {}
