"""The response policy in the admin: pages, level editing through the service, the actions."""

import pytest
from django.contrib.admin import helpers
from django.contrib.messages import ERROR, SUCCESS
from django.urls import reverse

from incidents.tests import factories
from policy import services as policy_services
from policy.models import PolicyEventKind, PolicyStatus, PolicyVersion, PriorityMatrixCell
from policy.tests import factories as pf

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:policy_policyversion_changelist")
ADD = reverse("admin:policy_policyversion_add")
MATRIX = reverse("admin:policy_prioritymatrixcell_changelist")


def change_url(version):
    return reverse("admin:policy_policyversion_change", args=[version.pk])


def sent(response, level=None):
    return [m.message for m in response.context["messages"] if level is None or m.level == level]


def act(client, action, *versions, **data):
    payload = {"action": action, helpers.ACTION_CHECKBOX_NAME: [v.pk for v in versions]}
    if data:
        payload.update(data, apply="1")
    return client.post(CHANGELIST, payload, follow=True)


def page_data(response):
    """The change page's form and inline formsets as a browser would post them back."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = value
    return data


def level_key(response, severity, field):
    """The POST key of `field` in the level form of `severity`."""
    for inline in response.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            if form.instance.pk and form.instance.severity_id == severity.pk:
                return form.add_prefix(field)
    raise LookupError(severity)


@pytest.fixture
def w():
    world = pf.world()
    for user in (world.mona, world.pat, world.cora, world.gina, world.paul):
        user.is_staff = True
        user.save()
    return world


@pytest.fixture
def severities(sev1, sev2):
    return [sev1, sev2]


@pytest.fixture
def v1(w, severities):
    version = pf.draft(w.mona, severities, cadence={"SEV1": 15, "SEV2": 60})
    return pf.make_effective(version, w.mona, w.signers)


@pytest.fixture
def v2(w, v1):
    return policy_services.policy_draft_create(actor=w.mona, summary="Next")


@pytest.fixture
def mona(client, w):
    client.force_login(w.mona)
    return client


# --- Pages ----------------------------------------------------------------------------------


def test_changelist_shows_versions_with_sign_off_progress(admin_client, w, v1, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    policy_services.policy_sign_off(actor=w.pat, version=v2, team=w.payments)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    rows = {v.number: v for v in response.context["cl"].result_list}
    admin = response.context["cl"].model_admin
    assert admin.sign_off_progress(rows[2]) == "1 of 2"
    assert admin.sign_off_progress(rows[1]) == "2 of 2"
    assert "1 of 2" in response.content.decode()


def test_add_page_starts_a_draft_from_the_version_in_force(mona, w, v1):
    assert mona.get(ADD).status_code == 200

    response = mona.post(ADD, {"summary": "Tighter SEV1"}, follow=True)

    draft = PolicyVersion.objects.get(number=2)
    assert response.redirect_chain[-1][0] == change_url(draft)
    assert draft.summary == "Tighter SEV1"
    assert draft.levels.count() == 2
    assert "edit its levels" in " ".join(sent(response, SUCCESS))


def test_draft_change_page_edits_levels_through_the_service(mona, w, v2, sev1):
    page = mona.get(change_url(v2))
    assert page.status_code == 200
    data = page_data(page)
    data[level_key(page, sev1, "update_cadence_minutes")] = "10"
    data["summary"] = "SEV1 every 10 minutes"

    response = mona.post(change_url(v2), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert v2.levels.get(severity=sev1).update_cadence_minutes == 10
    v2.refresh_from_db()
    assert v2.summary == "SEV1 every 10 minutes"
    kinds = list(v2.events.values_list("kind", flat=True))
    assert kinds[-2:] == [PolicyEventKind.EDITED, PolicyEventKind.LEVEL_SET]


def test_a_refused_level_shows_its_message_and_the_whole_page_is_undone(mona, w, v2, sev1, sev2):
    page = mona.get(change_url(v2))
    data = page_data(page)
    data["summary"] = "Should not stick"
    data[level_key(page, sev2, "ack_target_minutes")] = "3"
    data[level_key(page, sev1, "update_cadence_minutes")] = "0"

    response = mona.post(change_url(v2), data)

    assert response.status_code == 200
    assert "The status update cadence must be at least 1 minute" in response.content.decode()
    v2.refresh_from_db()
    assert v2.summary == "Next"
    assert v2.levels.get(severity=sev2).ack_target_minutes == 15
    assert v2.levels.get(severity=sev1).update_cadence_minutes == 15
    assert not v2.events.exclude(kind=PolicyEventKind.CREATED).exists()


def test_chains_are_edited_as_lines_and_refused_with_their_field_errors(mona, w, v2, sev1):
    page = mona.get(change_url(v2))
    data = page_data(page)
    data[level_key(page, sev1, "ack_chain")] = "0 commander\n5 next_delegate\n3 executive"
    data[level_key(page, sev1, "ack_rounds")] = "0"

    refused = mona.post(change_url(v2), data)

    assert refused.status_code == 200
    level_form = refused.context["inline_admin_formsets"][0].formset.forms[0]
    assert level_form.errors["ack_chain"] == [
        "Stage 3 comes at 3 min, before the stage above it (5 min)."
    ]
    assert "between 1 and 20 rounds" in level_form.errors["ack_rounds"][0]

    data[level_key(page, sev1, "ack_chain")] = "0 commander\n5 next_delegate\n10 executive"
    data[level_key(page, sev1, "ack_rounds")] = "2"
    response = mona.post(change_url(v2), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    level = v2.levels.get(severity=sev1)
    assert [s["notify"] for s in level.ack_chain] == ["commander", "next_delegate", "executive"]
    assert level.ack_rounds == 2
    page = mona.get(change_url(v2))
    assert "0 commander\n5 next_delegate\n10 executive" in page.content.decode()


def test_a_missing_severity_is_offered_as_an_empty_level(mona, w, sev1, sev2):
    draft = pf.draft(w.mona, [sev1])
    page = mona.get(change_url(draft))
    data = page_data(page)
    inline = page.context["inline_admin_formsets"][0].formset
    empty = inline.forms[-1]
    assert empty.initial == {"severity": sev2.pk}
    data[empty.add_prefix("ack_target_minutes")] = "45"

    response = mona.post(change_url(draft), data)

    assert response.status_code == 302
    assert draft.levels.get(severity=sev2).ack_target_minutes == 45


def test_the_effective_version_is_read_only(mona, w, v1, sev1):
    page = mona.get(change_url(v1))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert 'name="levels-0-update_cadence_minutes"' not in page.content.decode()
    assert "Response policy v1" in page.content.decode()
    # Its chains in words: neither level pages anyone; updates take the default chain.
    html = page.content.decode()
    assert html.count("nobody is paged") == 2
    assert "at 0 min tell the commander; at 10 min the commander&#x27;s backup" in html

    response = mona.post(change_url(v1), {"summary": "Rewritten"})

    assert response.status_code == 403
    v1.refresh_from_db()
    assert v1.summary == ""
    assert v1.levels.get(severity=sev1).update_cadence_minutes == 15


def test_a_lead_without_model_permissions_sees_the_versions_but_edits_nothing(client, w, v2):
    client.force_login(w.pat)
    assert client.get(CHANGELIST).status_code == 200
    page = client.get(change_url(v2))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.get(ADD).status_code == 403


def test_a_member_who_leads_nothing_is_kept_out(client, w, v2):
    client.force_login(w.paul)
    assert client.get(CHANGELIST).status_code == 403


def test_versions_cannot_be_deleted(admin_client, v1):
    url = reverse("admin:policy_policyversion_delete", args=[v1.pk])
    assert admin_client.get(url).status_code == 403


# --- Actions --------------------------------------------------------------------------------


def test_submit_action(mona, w, v2):
    response = act(mona, "submit", v2)
    assert "Submitted 1 version for sign-off: v2." in sent(response, SUCCESS)
    v2.refresh_from_db()
    assert v2.status == PolicyStatus.IN_REVIEW


def test_submit_action_reports_the_services_refusal(mona, w, v1):
    response = act(mona, "submit", v1)
    assert any("only a draft can be changed" in m for m in sent(response, ERROR))


def test_sign_off_action_asks_for_the_team_then_signs(client, w, v1, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    client.force_login(w.cora)

    page = act(client, "sign_off", v2)
    assert page.status_code == 200
    assert list(page.context["form"].fields["team"].queryset) == [w.platform]
    assert page.context["form"].fields["team"].initial == w.platform.pk

    response = act(client, "sign_off", v2, team=w.platform.pk, comment="Agreed")

    assert "Signed off 1 version for Platform: v2." in sent(response, SUCCESS)
    assert v2.sign_offs.get().comment == "Agreed"


def test_the_last_sign_off_in_the_admin_says_the_version_is_in_force(client, w, v1, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    policy_services.policy_sign_off(actor=w.cora, version=v2, team=w.platform)
    client.force_login(w.pat)

    response = act(client, "sign_off", v2, team=w.payments.pk, comment="")

    assert "Response policy v2 is now in force: every sign-off team approved it." in sent(
        response, SUCCESS
    )
    v1.refresh_from_db()
    assert v1.status == PolicyStatus.SUPERSEDED


def test_sign_off_of_a_draft_is_refused_in_the_admin(client, w, v2):
    client.force_login(w.cora)
    response = act(client, "sign_off", v2, team=w.platform.pk)
    assert any("only a version in review can be signed off" in m for m in sent(response, ERROR))
    assert not v2.sign_offs.exists()


def test_sign_off_is_not_offered_to_whoever_leads_no_sign_off_team(mona, w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    actions = (
        mona.get(CHANGELIST)
        .context["cl"]
        .model_admin.get_actions(mona.get(CHANGELIST).wsgi_request)
    )
    assert "sign_off" not in actions and "reject" not in actions
    assert "submit" in actions and "new_draft" in actions


def test_reject_action_needs_a_reason(client, w, v2):
    policy_services.policy_submit(actor=w.mona, version=v2)
    policy_services.policy_sign_off(actor=w.cora, version=v2, team=w.platform)
    client.force_login(w.pat)

    again = act(client, "reject", v2, reason="")
    assert again.context["form"].errors["reason"]
    response = act(client, "reject", v2, reason="SEV2 staffing is unrealistic")

    assert "Rejected 1 version: v2." in sent(response, SUCCESS)
    v2.refresh_from_db()
    assert v2.status == PolicyStatus.DRAFT and not v2.sign_offs.exists()


def test_new_draft_action_copies_the_chosen_version(mona, w, v1, v2):
    response = act(mona, "new_draft", v1)
    draft = PolicyVersion.objects.get(number=3)
    assert response.redirect_chain[-1][0] == change_url(draft)
    assert draft.levels.count() == 2

    several = act(mona, "new_draft", v1, v2)
    assert "Choose the one version the new draft starts from." in sent(several, ERROR)


# --- Priority matrix ------------------------------------------------------------------------


def test_matrix_admin_adds_and_changes_cells_through_the_service(mona, w):
    p1, p2 = (
        factories.PriorityFactory(name="P1", rank=1),
        factories.PriorityFactory(name="P2", rank=2),
    )
    add = reverse("admin:policy_prioritymatrixcell_add")

    assert mona.get(MATRIX).status_code == 200
    assert mona.get(add).status_code == 200
    response = mona.post(add, {"impact": "high", "urgency": "high", "priority": p2.pk})
    assert response.status_code == 302
    cell = PriorityMatrixCell.objects.get()
    duplicate = mona.post(add, {"impact": "high", "urgency": "high", "priority": p1.pk})
    assert duplicate.status_code == 200  # the grid has that cell already

    change = reverse("admin:policy_prioritymatrixcell_change", args=[cell.pk])
    assert mona.get(change).status_code == 200
    assert mona.post(change, {"priority": p1.pk}).status_code == 302
    cell.refresh_from_db()
    assert cell.priority == p1
    assert PriorityMatrixCell.objects.count() == 1


def test_matrix_changelist_orders_high_impact_first(admin_client, w):
    p1 = factories.PriorityFactory(name="P1", rank=1)
    for impact, urgency in [("low", "low"), ("high", "medium"), ("high", "high")]:
        policy_services.priority_matrix_set(
            actor=w.mona, impact=impact, urgency=urgency, priority=p1
        )
    shown = admin_client.get(MATRIX).context["cl"].result_list
    assert [(c.impact, c.urgency) for c in shown] == [
        ("high", "high"),
        ("high", "medium"),
        ("low", "low"),
    ]
