"""The standard groups' names; incidents/roles.py gives them their permissions."""

COMMANDERS = "Incident commanders"
RESPONDERS = "Responders"
STAKEHOLDERS = "Stakeholders"
COORDINATORS = "Incident coordinators"
