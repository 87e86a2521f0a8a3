"""The incidents admin: preferences, effort, tokens and incidents driven through the services."""

from incidents.admin import configuration, effort, incident, tokens

__all__ = ["configuration", "effort", "incident", "tokens"]
