"""Teams, critical functions, delegations and unavailability windows, saved through
people/services/; and the single-points-of-failure report.

Like the incident admin, the add and change forms call their service as the last step of
validation so that a refusal ("Rank 2 … is already held by Pat", "Rudy is not a member of
Payments") re-renders the form with its message. Deletions go through the services too, and
each service writes a PeopleEvent, shown read-only in events.py.
"""

from people.admin import availability, delegations, events, functions, teams

__all__ = ["availability", "delegations", "events", "functions", "teams"]
