from incidents.services.response_plan import PERFORMERS
from response.models import StepAction
from response.steps import AFTER_THE_CHANNEL, DEFAULT_STEPS, SLACK_CHORES


def test_every_automated_action_has_its_performer():
    assert set(PERFORMERS) == set(StepAction) - {StepAction.MANUAL}


def test_the_default_steps_start_with_the_channel_and_end_with_the_reminders():
    assert DEFAULT_STEPS[0] == StepAction.CREATE_CHANNEL
    assert DEFAULT_STEPS[-1] == StepAction.SCHEDULE_REMINDERS
    assert set(DEFAULT_STEPS) >= (SLACK_CHORES | AFTER_THE_CHANNEL)
