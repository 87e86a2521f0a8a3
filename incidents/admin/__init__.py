"""The incidents admin: configuration, and incidents driven through the services."""

from . import configuration, effort, incident, people, policy, tokens

__all__ = ["configuration", "effort", "incident", "people", "policy", "tokens"]
