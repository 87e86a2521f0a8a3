"""Building modal blocks and reading a submitted modal's answers."""

from .payload import USER_ID, SlackInputError, identifier, listing, mapping, text
from .replies import text as plain_text


def input_block(block_id, label, element, *, optional=False, hint=""):
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


def select(action_id, options, *, initial=None, multi=False, placeholder=""):
    element = {
        "type": "multi_static_select" if multi else "static_select",
        "action_id": action_id,
        "options": options[:100],
    }
    if placeholder:
        element["placeholder"] = plain_text(placeholder)
    if initial:
        element["initial_options" if multi else "initial_option"] = initial
    return element


def values_of(view):
    """{block_id: value} from a submitted view's state: text (stripped), a Slack user id, or a
    list of them. A state Slack would not send raises SlackPayloadError; text with control
    characters raises SlackInputError naming every block that has some."""
    state = mapping(mapping(view.get("state"), "view.state").get("values"), "view.state.values")
    found, refused = {}, {}
    for block_id, elements in state.items():
        for element in mapping(elements, "block").values():
            try:
                found[block_id] = _value(mapping(element, "element"), block_id)
            except SlackInputError as error:
                refused.update(error.errors)
    if refused:
        raise SlackInputError(refused)
    return found


def _value(element, block):
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


def _option(chosen, block):
    return text(mapping(chosen, "option").get("value"), "option.value", block=block)
