"""What happens after a declaration commits, in order.

An incident's active response plan (its type and severity's, `response_plan_for`) lists the
steps; without one, these are the steps, top to bottom:

1. CREATE_CHANNEL      the war-room channel, named after the incident (a taken name gets a suffix)
2. INVITE_PEOPLE       responder, commander, invitees and the admin group, into that channel
3. BROADCAST           the declaration to the stakeholders, linking the channel
4. POST_PLAYBOOK       the affected services' approved playbooks, in the channel
5. POST_DOCUMENT       the incident document's link, when one is configured
6. VIDEO_BRIDGE        the video bridge's link, when one is configured
7. SCHEDULE_REMINDERS  the commander's status-update reminders, at the policy's cadence

A plan may also PAGE_FUNCTION (page a critical function's current delegate) and hold MANUAL
checklist items that a person ticks off. incidents/services/response_plan.py performs each
action (`PERFORMERS`), once, in this order; the acknowledgement escalation's first pages go out
right after the plan's.
"""

from response.models import StepAction

DEFAULT_STEPS = [
    StepAction.CREATE_CHANNEL,
    StepAction.INVITE_PEOPLE,
    StepAction.BROADCAST,
    StepAction.POST_PLAYBOOK,
    StepAction.POST_DOCUMENT,
    StepAction.VIDEO_BRIDGE,
    StepAction.SCHEDULE_REMINDERS,
]
# Without Slack they are skipped.
SLACK_CHORES = {StepAction.CREATE_CHANNEL, StepAction.INVITE_PEOPLE}
# They wait while the channel is being created: its name may still change (a taken name gets a
# suffix), and they speak in it or link it. Pages and reminders never wait.
AFTER_THE_CHANNEL = {
    StepAction.INVITE_PEOPLE,
    StepAction.BROADCAST,
    StepAction.POST_PLAYBOOK,
    StepAction.POST_DOCUMENT,
    StepAction.VIDEO_BRIDGE,
}
