"""Render a notification once per channel, from notifications/templates/notifications/<channel>/.

A channel's `<event>.txt` wins over its `default.txt`; email adds a subject and an HTML part;
Slack adds blocks with the context's `buttons` ({"text", "action_id", "value"}) under the text.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.template.loader import render_to_string, select_template

# A template context: what the caller says (headline, body, facts, url, buttons, data…), of
# whatever types its templates read.
Context = Mapping[str, Any]
# A channel's rendered content: text, and per channel a subject, HTML or Slack blocks.
Content = dict[str, Any]


def _render(channel: str, event: str, context: Context, suffix: str = "txt") -> str:
    template = select_template(
        [f"notifications/{channel}/{event}.{suffix}", f"notifications/{channel}/default.{suffix}"]
    )
    rendered: str = template.render(context)
    return rendered.strip()


def slack_escaped(value: object) -> str:
    """Slack reads &, < and > as markup: people's text must not become links or mentions."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _for_slack(context: Context) -> Context:
    return {
        **context,
        "headline": slack_escaped(context.get("headline", "")),
        "body": slack_escaped(context.get("body", "")),
        "facts": [(slack_escaped(k), slack_escaped(v)) for k, v in context.get("facts", ())],
    }


def _slack_blocks(text: str, buttons: Sequence[Mapping[str, object]]) -> list[dict[str, Any]]:
    button_elements = [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": str(button["text"])[:75]},
            "action_id": button["action_id"],
            "value": str(button["value"]),
        }
        for button in buttons
    ]
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
        {"type": "actions", "elements": button_elements},
    ]


def render(channel: str, event: str, context: Context) -> Content:
    if channel == "slack":
        context = _for_slack(context)
    content: Content = {"text": _render(channel, event, context)}
    if channel == "slack" and context.get("buttons"):
        content["blocks"] = _slack_blocks(content["text"], context["buttons"])
    if channel == "email":
        subject = render_to_string("notifications/email/subject.txt", context)
        content["subject"] = " ".join(subject.split())[:250]
        content["html"] = _render(channel, event, context, suffix="html")
    return content


def render_all(channels: Iterable[str], event: str, context: Context) -> Content:
    return {channel: render(channel, event, context) for channel in dict.fromkeys(channels)}
