"""Migration 0011 clears the Slack ids typed into Preferences before links were proven (two
accounts could hold the same one), recording each, so the new constraint can hold."""

import pytest

from incidents.tests.migration_steps import migrate, old_schema_at

BEFORE = [("incidents", "0011_api_tokens")]
AFTER = [("incidents", "0012_slack_identity")]

old_schema = old_schema_at(BEFORE)


@pytest.mark.django_db(transaction=True)
def test_unproven_links_are_cleared_and_recorded(old_schema):
    User = old_schema.get_model("auth", "User")
    UserPreference = old_schema.get_model("incidents", "UserPreference")
    for username, slack_id in [("cora", "U0CEO"), ("mallory", "U0CEO"), ("rudy", "")]:
        UserPreference.objects.create(
            user=User.objects.create(username=username), slack_user_id=slack_id
        )

    apps = migrate(AFTER)

    UserPreference = apps.get_model("incidents", "UserPreference")
    assert not UserPreference.objects.exclude(slack_user_id="").exists()
    events = apps.get_model("incidents", "SlackIdentityEvent").objects.order_by("user__username")
    assert list(events.values_list("user__username", "slack_user_id", "action", "method")) == [
        ("cora", "U0CEO", "unlinked", "unproven"),
        ("mallory", "U0CEO", "unlinked", "unproven"),
    ]
