"""The response policy's services: drafts, levels, submission, sign-off, rejection, the matrix;
and the promise that a draft applies to no incident until the last required team signs off."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from core.exceptions import TransitionNotAllowed
from core.models import AppendOnlyError
from incidents.models import Incident
from incidents.tests import factories
from policy import selectors as policy_selectors
from policy import services as policy_services
from policy.models import (
    PolicyEvent,
    PolicyEventKind,
    PolicyLevel,
    PolicySignOff,
    PolicyStatus,
    PolicyVersion,
    PriorityMatrixCell,
)
from policy.tests import factories as pf

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return pf.world()


@pytest.fixture
def severities(sev1, sev2):
    return [sev1, sev2]


CHAIN = [
    {"after_minutes": 0, "notify": "commander"},
    {"after_minutes": 5, "notify": "next_delegate"},
    {"after_minutes": 10, "notify": "executive"},
]


@pytest.fixture
def v1(w, severities):
    """The version in force: SEV1 updates every 15 minutes, SEV2 every 60."""
    version = pf.draft(w.mona, severities, cadence={"SEV1": 15, "SEV2": 60}, summary="First")
    policy_services.policy_level_set(
        actor=w.mona,
        version=version,
        severity=severities[0],
        paged_functions=[w.commander_function, w.communications],
        ack_chain=CHAIN,
        ack_rounds=2,
    )
    return pf.make_effective(version, w.mona, w.signers)


@pytest.fixture
def v2(w, v1):
    """A draft copied from v1 with SEV2 updates every 20 minutes."""
    version = policy_services.policy_draft_create(actor=w.mona, summary="Faster SEV2 updates")
    policy_services.policy_level_set(
        actor=w.mona,
        version=version,
        severity=v1.levels.get(severity__name="SEV2").severity,
        update_cadence_minutes=20,
    )
    return version


def events(version):
    return list(version.events.values_list("kind", flat=True))


def messages(error):
    return error.value.message_dict if hasattr(error.value, "error_dict") else error.value.messages


# --- Drafts ---------------------------------------------------------------------------------


def test_first_draft_starts_empty_and_records_its_creation(w):
    version = policy_services.policy_draft_create(actor=w.mona, summary="  Our first policy ")

    assert version.number == 1
    assert version.status == PolicyStatus.DRAFT
    assert version.summary == "Our first policy"
    assert version.author == w.mona
    assert version.levels.count() == 0
    assert events(version) == [PolicyEventKind.CREATED]


def test_policy_events_are_append_only(w):
    version = policy_services.policy_draft_create(actor=w.mona, summary="First")
    event = version.events.get()
    event.message = "rewritten"
    with pytest.raises(AppendOnlyError, match="Policy events are append-only"):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert version.events.get().message != "rewritten"


def test_new_draft_copies_the_effective_version_with_its_paged_functions(w, v1):
    version = policy_services.policy_draft_create(actor=w.mona)

    assert version.number == v1.number + 1
    copied = {lvl.severity.name: lvl for lvl in version.levels.all()}
    assert {name: lvl.update_cadence_minutes for name, lvl in copied.items()} == {
        "SEV1": 15,
        "SEV2": 60,
    }
    assert set(copied["SEV1"].paged_functions.all()) == {w.commander_function, w.communications}
    assert copied["SEV1"].ack_chain == CHAIN and copied["SEV1"].ack_rounds == 2
    # The copy is separate: v1 keeps its own levels.
    assert v1.levels.count() == 2
    assert version.events.get().data == {"copied_from": v1.number}


def test_new_draft_can_start_from_an_older_version(w, v1, v2):
    version = policy_services.policy_draft_create(actor=w.mona, copy_from=v2)
    assert version.levels.get(severity__name="SEV2").update_cadence_minutes == 20


def test_only_policy_managers_create_drafts(w):
    with pytest.raises(PermissionDenied):
        policy_services.policy_draft_create(actor=w.pat)
    assert not PolicyVersion.objects.exists()


def test_superusers_manage_the_policy():
    admin = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    assert policy_services.policy_draft_create(actor=admin).number == 1


def test_summary_of_a_draft_can_change_but_not_of_an_effective_version(w, v1, v2):
    policy_services.policy_draft_update(actor=w.mona, version=v2, summary="Faster updates")
    v2.refresh_from_db()
    assert v2.summary == "Faster updates"
    with pytest.raises(TransitionNotAllowed):
        policy_services.policy_draft_update(actor=w.mona, version=v1, summary="Rewritten")


# --- Levels ---------------------------------------------------------------------------------


def test_level_set_creates_then_changes_a_level_and_records_what_changed(w, sev1):
    version = policy_services.policy_draft_create(actor=w.mona)
    level = policy_services.policy_level_set(
        actor=w.mona,
        version=version,
        severity=sev1,
        ack_target_minutes=5,
        update_cadence_minutes=30,
        audiences=["executives", "responders", "responders"],
        paged_functions=[w.communications],
    )
    assert level.audiences == ["responders", "executives"]  # usual order, once each
    assert list(level.paged_functions.all()) == [w.communications]

    policy_services.policy_level_set(
        actor=w.mona, version=version, severity=sev1, max_continuous_hours=6, expected_people=4
    )

    level.refresh_from_db()
    assert (level.ack_target_minutes, level.max_continuous_hours, level.expected_people) == (
        5,
        6,
        4,
    )
    changed = version.events.filter(kind=PolicyEventKind.LEVEL_SET).last()
    assert changed.data["before"] == {
        "expected_people": 2,
        "max_continuous_hours": 8,
    }
    assert changed.data["after"] == {"expected_people": 4, "max_continuous_hours": 6}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("update_cadence_minutes", 0, "The status update cadence must be at least 1 minute"),
        ("update_cadence_minutes", -5, "The status update cadence must be at least 1 minute"),
        ("ack_target_minutes", 0, "The acknowledgement target must be at least 1 minute."),
        ("max_continuous_hours", 0, "between 1 and 24 hours"),
        ("max_continuous_hours", 25, "between 1 and 24 hours"),
        ("expected_people", 0, "At least 1 person is expected"),
        ("postmortem_due_days", 0, "at least 1 day"),
        ("followup_due_days", 0, "at least 1 day"),
        ("page_wait_limit_minutes", 0, "A page waits at least 1 minute for a provider"),
        ("update_cadence_minutes", "soon", "Give a whole number."),
        ("audiences", ["customers", "press"], "Unknown audience: “press”."),
        ("staffing_model", "sometimes", "Choose 24/7 or business hours."),
        ("ack_rounds", 0, "between 1 and 20 rounds (0 given)"),
        ("ack_repeat_minutes", 0, "waits between 1 minute and a week"),
        ("update_repeat_minutes", 10081, "waits between 1 minute and a week"),
        (
            "ack_chain",
            [{"after_minutes": 10**12, "notify": "commander"}],
            "Stage 1: at most 10080 minutes (a week) after the escalation starts.",
        ),
        ("ack_chain", "commander", "Give the stages as a list."),
        (
            "ack_chain",
            [{"after_minutes": -5, "notify": "commander"}],
            "Stage 1: -5 minutes is before the escalation starts.",
        ),
        (
            "update_chain",
            [
                {"after_minutes": 10, "notify": "commander"},
                {"after_minutes": 5, "notify": "executive"},
            ],
            "Stage 2 comes at 5 min, before the stage above it (10 min).",
        ),
        (
            "ack_chain",
            [{"after_minutes": "soon", "notify": "commander"}],
            "Stage 1: give its minutes in whole numbers.",
        ),
        (
            "ack_chain",
            [{"after_minutes": 0, "notify": "holder", "function": "astrologer"}],
            "Stage 1: “astrologer” is not an active function.",
        ),
        (
            "ack_chain",
            [{"after_minutes": 0, "notify": "executive", "function": "communications-lead"}],
            "Stage 1: only a holder or a next delegate is of a function.",
        ),
    ],
)
def test_level_set_refuses_bad_values_with_a_clear_message(w, sev1, field, value, message):
    version = policy_services.policy_draft_create(actor=w.mona)
    policy_services.policy_level_set(
        actor=w.mona, version=version, severity=sev1, ack_target_minutes=5
    )

    with pytest.raises(ValidationError) as error:
        policy_services.policy_level_set(
            actor=w.mona, version=version, severity=sev1, **{field: value}
        )

    assert message in " ".join(messages(error)[field])
    level = PolicyLevel.objects.get(version=version, severity=sev1)
    assert (level.ack_target_minutes, level.update_cadence_minutes) == (5, 30)


def test_a_page_waits_its_own_bound_or_by_default_the_acknowledgement_target(w, sev1):
    version = policy_services.policy_draft_create(actor=w.mona)
    level = policy_services.policy_level_set(
        actor=w.mona, version=version, severity=sev1, ack_target_minutes=5
    )
    assert (level.page_wait_limit_minutes, level.page_wait_limit) == (None, 300)
    level = policy_services.policy_level_set(
        actor=w.mona, version=version, severity=sev1, page_wait_limit_minutes=2
    )
    assert level.page_wait_limit == 120
    level = policy_services.policy_level_set(
        actor=w.mona, version=version, severity=sev1, page_wait_limit_minutes=None
    )
    assert level.page_wait_limit == 300


def test_a_cadence_of_zero_is_refused_on_a_new_level_too(w, sev1):
    version = policy_services.policy_draft_create(actor=w.mona)
    with pytest.raises(ValidationError) as error:
        policy_services.policy_level_set(
            actor=w.mona,
            version=version,
            severity=sev1,
            ack_target_minutes=5,
            update_cadence_minutes=0,
        )
    assert messages(error) == {
        "update_cadence_minutes": [
            "The status update cadence must be at least 1 minute: with 0, every update would be "
            "overdue the moment it is posted."
        ]
    }
    assert not version.levels.exists()


def test_a_new_level_needs_its_acknowledgement_target(w, sev1):
    version = policy_services.policy_draft_create(actor=w.mona)
    with pytest.raises(ValidationError) as error:
        policy_services.policy_level_set(actor=w.mona, version=version, severity=sev1)
    assert "ack_target_minutes" in messages(error)


def test_retired_functions_cannot_be_paged(w, sev1):
    w.communications.is_active = False
    w.communications.save()
    version = policy_services.policy_draft_create(actor=w.mona)
    with pytest.raises(ValidationError) as error:
        policy_services.policy_level_set(
            actor=w.mona,
            version=version,
            severity=sev1,
            ack_target_minutes=5,
            paged_functions=[w.communications],
        )
    assert "no longer an active function" in messages(error)["paged_functions"][0]


def test_the_effective_version_is_never_edited_in_place(w, v1, sev1):
    level = v1.levels.get(severity=sev1)
    with pytest.raises(TransitionNotAllowed) as refusal:
        policy_services.policy_level_set(
            actor=w.mona, version=v1, severity=sev1, update_cadence_minutes=5
        )
    assert refusal.value.message == (
        "Response policy v1 is effective: only a draft can be changed. "
        "Start a new draft from it instead."
    )
    level.refresh_from_db()
    assert level.update_cadence_minutes == 15


def test_a_version_in_review_is_not_edited_either(w, v2, sev1):
    policy_services.policy_submit(actor=w.mona, version=v2)
    with pytest.raises(TransitionNotAllowed, match="Reject it to edit it again"):
        policy_services.policy_level_set(
            actor=w.mona, version=v2, severity=sev1, ack_target_minutes=1
        )


def test_only_policy_managers_edit_levels(w, v2, sev1):
    with pytest.raises(PermissionDenied):
        policy_services.policy_level_set(
            actor=w.cora, version=v2, severity=sev1, ack_target_minutes=1
        )


def test_unknown_level_fields_are_a_programming_error(w, v2, sev1):
    with pytest.raises(TypeError):
        policy_services.policy_level_set(actor=w.mona, version=v2, severity=sev1, colour="red")


# --- Submission -----------------------------------------------------------------------------


def test_submit_moves_a_complete_draft_to_review(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)

    v2.refresh_from_db()
    assert v2.status == PolicyStatus.IN_REVIEW
    assert v2.submitted_at is not None
    submitted = v2.events.get(kind=PolicyEventKind.SUBMITTED)
    assert submitted.data == {"teams": ["payments", "platform"]}


def test_submit_refuses_a_draft_missing_a_severity(w, severities):
    sev3 = factories.SeverityFactory(name="SEV3", rank=3)
    version = pf.draft(w.mona, severities)

    with pytest.raises(ValidationError) as error:
        policy_services.policy_submit(actor=w.mona, version=version)

    assert messages(error) == {"levels": ["SEV3 has no level yet."]}
    version.refresh_from_db()
    assert version.status == PolicyStatus.DRAFT
    assert sev3.pk  # the severity exists, its level does not


def test_submit_refuses_when_no_team_signs_off(w, severities):
    from people.models import Team

    Team.objects.update(signs_off_policy=False)
    version = pf.draft(w.mona, severities)
    with pytest.raises(TransitionNotAllowed, match="No team signs off the response policy"):
        policy_services.policy_submit(actor=w.mona, version=version)


def test_submit_refuses_when_a_sign_off_team_has_no_lead(w, severities):
    pf.team("security")
    version = pf.draft(w.mona, severities)
    with pytest.raises(TransitionNotAllowed, match="Security must sign off the policy but has no"):
        policy_services.policy_submit(actor=w.mona, version=version)


def test_only_one_version_is_in_review_at_a_time(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    v3 = policy_services.policy_draft_create(actor=w.mona)
    with pytest.raises(TransitionNotAllowed, match="v2 is already in review"):
        policy_services.policy_submit(actor=w.mona, version=v3)


def test_submit_twice_is_refused(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    with pytest.raises(TransitionNotAllowed):
        policy_services.policy_submit(actor=w.mona, version=v2)


def test_only_policy_managers_submit(w, v2):
    with pytest.raises(PermissionDenied):
        policy_services.policy_submit(actor=w.cora, version=v2)


# --- Sign-off -------------------------------------------------------------------------------


def test_the_last_sign_off_makes_the_version_effective_and_supersedes_the_previous(w, v1, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)

    policy_services.policy_sign_off(actor=w.cora, version=v2, team=w.platform, comment="Fine by us")
    v2.refresh_from_db()
    assert v2.status == PolicyStatus.IN_REVIEW
    assert str(policy_selectors.policy_sign_off_progress(v2)) == "1 of 2"
    assert policy_selectors.policy_effective() == v1

    policy_services.policy_sign_off(actor=w.pat, version=v2, team=w.payments)

    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v2.status, v1.status) == (PolicyStatus.EFFECTIVE, PolicyStatus.SUPERSEDED)
    assert v2.effective_at is not None
    assert v1.superseded_at == v2.effective_at
    assert policy_selectors.policy_effective() == v2
    assert events(v2)[-3:] == [
        PolicyEventKind.SIGNED_OFF,
        PolicyEventKind.SIGNED_OFF,
        PolicyEventKind.EFFECTIVE,
    ]
    assert events(v1)[-1] == PolicyEventKind.SUPERSEDED
    sign_offs = list(v2.sign_offs.values_list("team__slug", "user__username", "comment"))
    assert sign_offs == [("platform", "cora", "Fine by us"), ("payments", "pat", "")]


def test_sign_off_of_a_draft_is_refused(w, v2):
    with pytest.raises(TransitionNotAllowed, match="only a version in review can be signed off"):
        policy_services.policy_sign_off(actor=w.cora, version=v2, team=w.platform)
    assert not v2.sign_offs.exists()


def test_sign_off_of_the_effective_version_is_refused(w, v1):
    with pytest.raises(TransitionNotAllowed):
        policy_services.policy_sign_off(actor=w.cora, version=v1, team=w.platform)


def test_sign_off_by_someone_who_does_not_lead_the_team_is_refused(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    for outsider in (w.paul, w.cora, w.mona):  # a member, another team's lead, the manager
        with pytest.raises(PermissionDenied) as refusal:
            policy_services.policy_sign_off(actor=outsider, version=v2, team=w.payments)
        assert str(refusal.value) == (
            "You are not a lead of Payments: only its leads sign off for it."
        )
    assert not v2.sign_offs.exists()


def test_sign_off_for_a_team_that_does_not_sign_off_is_refused(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    with pytest.raises(ValidationError) as error:
        policy_services.policy_sign_off(actor=w.gina, version=v2, team=w.growth)
    assert messages(error) == {"team": ["Growth does not sign off the response policy."]}
    assert not v2.sign_offs.exists()


def test_a_team_signs_off_once(w, v2):
    second_lead = factories.commander(username="percy")
    pf.team("payments", leads=[second_lead])
    policy_services.policy_submit(actor=w.mona, version=v2)
    policy_services.policy_sign_off(actor=w.pat, version=v2, team=w.payments)

    with pytest.raises(TransitionNotAllowed, match="Payments already signed off"):
        policy_services.policy_sign_off(actor=second_lead, version=v2, team=w.payments)
    assert v2.sign_offs.count() == 1


def test_a_version_approved_by_its_author_alone_is_refused_and_nothing_is_stored(w, severities):
    # Cora leads both sign-off teams and may manage the policy: she writes a version.
    pf.team("payments", leads=[w.cora])
    cora = pf.grant(w.cora, "change_policyversion")
    version = pf.draft(cora, severities)
    policy_services.policy_submit(actor=cora, version=version)
    policy_services.policy_sign_off(
        actor=cora, version=version, team=w.platform
    )  # not the last one

    with pytest.raises(PermissionDenied) as refusal:
        policy_services.policy_sign_off(actor=cora, version=version, team=w.payments)

    assert str(refusal.value) == (
        "A policy version needs a sign-off from someone other than its author."
    )
    version.refresh_from_db()
    assert version.status == PolicyStatus.IN_REVIEW
    assert list(version.sign_offs.values_list("team__slug", flat=True)) == ["platform"]
    assert PolicyEventKind.EFFECTIVE not in events(version)
    assert policy_selectors.policy_effective() is None

    # Pat, the other Payments lead, completes it: the author is no longer alone.
    policy_services.policy_sign_off(actor=w.pat, version=version, team=w.payments)
    version.refresh_from_db()
    assert version.status == PolicyStatus.EFFECTIVE


def test_the_author_alone_on_a_single_sign_off_team_cannot_approve(w, severities):
    w.payments.signs_off_policy = False
    w.payments.save()
    cora = pf.grant(w.cora, "change_policyversion")
    version = pf.draft(cora, severities)
    policy_services.policy_submit(actor=cora, version=version)

    with pytest.raises(PermissionDenied, match="someone other than its author"):
        policy_services.policy_sign_off(actor=cora, version=version, team=w.platform)
    assert not PolicySignOff.objects.exists()


def test_the_author_may_sign_for_their_team_when_others_sign_too(w, severities):
    cora = pf.grant(w.cora, "change_policyversion")
    version = pf.draft(cora, severities)
    pf.make_effective(version, cora, [(w.pat, w.payments), (cora, w.platform)])
    assert version.status == PolicyStatus.EFFECTIVE


# --- Rejection ------------------------------------------------------------------------------


def test_reject_sends_the_version_back_to_draft_and_keeps_who_had_signed(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    policy_services.policy_sign_off(actor=w.cora, version=v2, team=w.platform)

    policy_services.policy_reject(actor=w.pat, version=v2, reason="SEV2 every 20 min is too often")

    v2.refresh_from_db()
    assert v2.status == PolicyStatus.DRAFT
    assert v2.submitted_at is None
    assert not v2.sign_offs.exists()
    rejected = v2.events.get(kind=PolicyEventKind.REJECTED)
    assert rejected.actor == w.pat
    assert rejected.data["reason"] == "SEV2 every 20 min is too often"
    assert [s["user"] for s in rejected.data["cleared_sign_offs"]] == ["cora"]
    # Fixed and resubmitted, it needs every sign-off again.
    policy_services.policy_level_set(
        actor=w.mona,
        version=v2,
        severity=v2.levels.get(severity__name="SEV2").severity,
        update_cadence_minutes=30,
    )
    policy_services.policy_submit(actor=w.mona, version=v2)
    assert str(policy_selectors.policy_sign_off_progress(v2)) == "0 of 2"


def test_reject_needs_a_reason(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    with pytest.raises(ValidationError) as error:
        policy_services.policy_reject(actor=w.pat, version=v2, reason="  ")
    assert list(messages(error)) == ["reason"]


def test_only_a_lead_of_a_sign_off_team_rejects(w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    for outsider in (w.gina, w.paul, w.mona):
        with pytest.raises(PermissionDenied):
            policy_services.policy_reject(actor=outsider, version=v2, reason="No")
    v2.refresh_from_db()
    assert v2.status == PolicyStatus.IN_REVIEW


def test_only_a_version_in_review_is_rejected(w, v1, v2):
    for version in (v1, v2):
        with pytest.raises(TransitionNotAllowed):
            policy_services.policy_reject(actor=w.pat, version=version, reason="No")


# --- Priority matrix ------------------------------------------------------------------------


def test_priority_matrix_set_creates_and_changes_a_cell(w):
    p1, p2 = (
        factories.PriorityFactory(name="P1", rank=1),
        factories.PriorityFactory(name="P2", rank=2),
    )
    policy_services.priority_matrix_set(actor=w.mona, impact="high", urgency="high", priority=p2)
    policy_services.priority_matrix_set(actor=w.mona, impact="high", urgency="high", priority=p1)

    assert PriorityMatrixCell.objects.get().priority == p1
    assert policy_selectors.priority_suggestion(impact_level="high", urgency="high") == p1
    rows = dict(policy_selectors.priority_matrix_rows())
    assert [priority for _urgency, priority in rows["high"]] == [p1, None, None]


def test_priority_matrix_set_refuses_bad_input_and_outsiders(w):
    p1 = factories.PriorityFactory(name="P1", rank=1)
    with pytest.raises(ValidationError) as error:
        policy_services.priority_matrix_set(
            actor=w.mona, impact="huge", urgency="now", priority=None
        )
    assert set(messages(error)) == {"impact", "urgency", "priority"}
    with pytest.raises(PermissionDenied):
        policy_services.priority_matrix_set(actor=w.pat, impact="high", urgency="high", priority=p1)
    assert not PriorityMatrixCell.objects.exists()


# --- Done when: a draft applies to no incident until the last sign-off ----------------------


def test_a_draft_applies_to_new_incidents_only_after_the_last_required_sign_off(
    w, v1, v2, declare, sev2
):
    def cadence_of(incident):
        return incident.next_update_due - incident.declared_at

    policy_services.policy_submit(actor=w.mona, version=v2)
    policy_services.policy_sign_off(actor=w.cora, version=v2, team=w.platform)

    before = declare(title="Declared while v2 waits for Payments")
    assert before.policy_version == v1
    assert cadence_of(before) == timedelta(minutes=60)  # v1's SEV2 cadence

    policy_services.policy_sign_off(actor=w.pat, version=v2, team=w.payments)

    after = declare(title="Declared once v2 is effective")
    assert after.policy_version == v2
    assert cadence_of(after) == timedelta(minutes=20)  # v2's SEV2 cadence
    # The earlier incident keeps the version it ran under.
    before.refresh_from_db()
    assert before.policy_version == v1
    assert before.timeline.first().after["policy"] == 1
    assert after.timeline.first().after["policy"] == 2


def test_without_an_effective_policy_incidents_use_the_default_cadence(
    w, severities, declare, settings
):
    pf.draft(w.mona, severities, cadence={"SEV2": 5})
    incident = declare()
    assert incident.policy_version is None
    assert incident.next_update_due - incident.declared_at == timedelta(
        minutes=settings.BEACON_DEFAULT_UPDATE_CADENCE_MINUTES
    )


def test_versions_selector_and_progress_for_a_decided_version(w, v1, v2):
    numbers = [v.number for v in policy_selectors.policy_versions()]
    assert numbers == [2, 1]
    progress = policy_selectors.policy_sign_off_progress(v1)
    assert str(progress) == "2 of 2" and progress.complete
    pending = policy_selectors.policy_sign_off_progress(v2)
    assert [t.slug for t in pending.missing] == ["payments", "platform"]
    assert PolicyEvent.objects.filter(version=v1).count() >= 5


# --- Demo data ------------------------------------------------------------------------------


def test_demo_data_has_the_matrix_an_agreed_policy_and_a_draft_in_review(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent

    assert PriorityMatrixCell.objects.count() == 9
    assert policy_selectors.priority_suggestion(impact_level="high", urgency="high").name == "P1"
    v1, v2 = PolicyVersion.objects.order_by("number")
    assert (v1.status, v2.status) == (PolicyStatus.EFFECTIVE, PolicyStatus.IN_REVIEW)
    assert v1.levels.count() == 4
    sev1 = v1.levels.get(severity__name="SEV1")
    assert (sev1.ack_target_minutes, sev1.update_cadence_minutes) == (5, 30)
    assert v1.levels.get(severity__name="SEV4").ack_target_minutes == 240
    progress = policy_selectors.policy_sign_off_progress(v2)
    assert len(progress.missing) == 1 and progress.done == progress.total - 1
    assert not Incident.objects.exclude(policy_version=v1).exists()
