"""The policy admin: incident types, severity and priority levels, policy versions (their levels
and review), and the priority matrix."""

from policy.admin import levels, matrix, versions

__all__ = ["levels", "matrix", "versions"]
