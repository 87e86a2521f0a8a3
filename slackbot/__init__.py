"""The Slack front door: a slash command, modals and buttons, all calling the incident
services. Requests are verified with the signing secret; the answer goes back at once and the
slow work (channel, invitations, broadcasts) runs in Celery through the outbox."""
