"""The policy admin: incident types, severity and priority levels, and policy versions."""

from policy.admin import levels, versions

__all__ = ["levels", "versions"]
