"""The playbooks admin, where approvals happen: the service catalogue (with guardian's
object-permissions pages, where `approve_playbook` is granted per service), playbooks, their
versions driven through playbooks/services.py, the coverage report, and response plans
(activated through playbooks/plans.py)."""

from . import catalogue, response_plans, versions

__all__ = ["catalogue", "response_plans", "versions"]
