"""The playbooks admin, where approvals happen: playbooks, their versions driven through
playbooks/services.py, each service's coverage and the coverage report."""

from playbooks.admin import catalogue, versions

__all__ = ["catalogue", "versions"]
