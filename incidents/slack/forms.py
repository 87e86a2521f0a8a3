"""Building modal blocks and reading a submitted modal's answers."""

from .replies import text


def input_block(block_id, label, element, *, optional=False, hint=""):
    block = {
        "type": "input",
        "block_id": block_id,
        "label": text(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = text(hint)
    return block


def select(action_id, options, *, initial=None, multi=False, placeholder=""):
    element = {
        "type": "multi_static_select" if multi else "static_select",
        "action_id": action_id,
        "options": options[:100],
    }
    if placeholder:
        element["placeholder"] = text(placeholder)
    if initial:
        element["initial_options" if multi else "initial_option"] = initial
    return element


def values_of(view):
    """{block_id: value} from a submitted view's state."""
    found = {}
    for block_id, actions in view["state"]["values"].items():
        for element in actions.values():
            kind = element.get("type")
            if kind == "static_select":
                found[block_id] = (element.get("selected_option") or {}).get("value")
            elif kind in ("multi_static_select", "checkboxes"):
                found[block_id] = [o["value"] for o in element.get("selected_options") or []]
            elif kind == "users_select":
                found[block_id] = element.get("selected_user")
            elif kind == "multi_users_select":
                found[block_id] = element.get("selected_users") or []
            else:
                found[block_id] = (element.get("value") or "").strip()
    return found
