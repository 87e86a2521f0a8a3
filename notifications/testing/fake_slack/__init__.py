"""A fake of the Slack Web API for slack_sdk's `WebClient(base_url=fake.url + "/api/")`.

`records` holds what the workspace is made of, `workspace` its state and the helpers tests set
it up with, `methods` the Web API methods over it, `server` the HTTP front and its faults.
"""

from .records import SlackChannel, SlackMessage, SlackUser
from .server import FakeSlack

__all__ = ["FakeSlack", "SlackChannel", "SlackMessage", "SlackUser"]
