"""The incidents admin: configuration, and incidents driven through the services."""

from . import configuration, incident

__all__ = ["configuration", "incident"]
