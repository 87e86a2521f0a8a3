"""The playbooks admin, where approvals happen: the service catalogue (with guardian's
object-permissions pages, where `approve_playbook` is granted per service), playbooks, their
versions driven through playbooks/services.py, and the coverage report."""

from . import catalogue, versions

__all__ = ["catalogue", "versions"]
