"""A person's preferences (time zone, the phone pages go to) change only through
`preference_update`, which records who changed what, before and after: from the portal, the
admin and the demo alike."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from incidents.tests import factories
from people import services
from people.models import PeopleEvent, PeopleEventKind, UserPreference

pytestmark = pytest.mark.django_db


def events():
    return list(PeopleEvent.objects.filter(kind=PeopleEventKind.PREFERENCES_UPDATED))


@pytest.fixture
def kim():
    return factories.UserFactory(username="kim")


def test_a_person_changes_their_phone_and_the_change_is_recorded(kim):
    services.preference_update(actor=kim, user=kim, phone=" +33612345678 ")
    services.preference_update(actor=kim, user=kim, phone="+33698765432", time_zone="Europe/Paris")
    preference = UserPreference.objects.get(user=kim)
    assert (preference.phone, str(preference.time_zone)) == ("+33698765432", "Europe/Paris")
    first, second = events()
    assert first.actor == kim and first.data["changes"] == {
        "phone": {"from": "", "to": "+33612345678"}
    }
    assert second.data["changes"] == {
        "phone": {"from": "+33612345678", "to": "+33698765432"},
        "time_zone": {"from": "UTC", "to": "Europe/Paris"},
    }
    assert first.about == preference


def test_a_change_that_changes_nothing_records_nothing(kim):
    services.preference_update(actor=kim, user=kim, time_zone="UTC", phone="")
    assert events() == []


def test_a_bad_phone_is_a_field_error_and_nothing_is_stored(kim):
    services.preference_update(actor=kim, user=kim, phone="+33612345678")
    with pytest.raises(ValidationError) as refused:
        services.preference_update(actor=kim, user=kim, phone="0612")
    assert "phone" in refused.value.message_dict
    assert UserPreference.objects.get(user=kim).phone == "+33612345678" and len(events()) == 1


def test_the_slack_id_is_not_edited_here(kim):
    with pytest.raises(ValidationError) as refused:
        services.preference_update(actor=kim, user=kim, slack_user_id="U0KIM")
    assert "slack_user_id" in refused.value.message_dict


def test_anothers_preferences_need_the_permission(kim):
    other = factories.UserFactory(username="lee")
    with pytest.raises(PermissionDenied):
        services.preference_update(actor=other, user=kim, phone="+33612345678")
    assert events() == []
    other.user_permissions.add(Permission.objects.get(codename="change_userpreference"))
    other = type(other).objects.get(pk=other.pk)  # a fresh permission cache
    services.preference_update(actor=other, user=kim, phone="+33612345678")
    assert [event.actor for event in events()] == [other]


def test_the_portal_page_saves_through_the_service(client, kim):
    client.force_login(kim)
    page = reverse("portal:preferences")
    response = client.post(page, {"time_zone": "UTC", "phone": "+33612345678"})
    assert response.status_code == 302
    assert [event.actor for event in events()] == [kim]
    refused = client.post(page, {"time_zone": "UTC", "phone": "0612"})
    assert refused.status_code == 400 and "phone" in refused.context["form"].errors
    assert UserPreference.objects.get(user=kim).phone == "+33612345678" and len(events()) == 1


def test_the_admin_change_page_saves_through_the_service(admin_client, admin_user, kim):
    preference = services.preference_update(actor=kim, user=kim, phone="+33612345678")
    change = reverse("admin:people_userpreference_change", args=[preference.pk])
    response = admin_client.post(change, {"time_zone": "UTC", "phone": "+33698765432"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert UserPreference.objects.get(user=kim).phone == "+33698765432"
    assert [event.actor for event in events()] == [kim, admin_user]
    add = reverse("admin:people_userpreference_add")
    lee = factories.UserFactory(username="lee")
    response = admin_client.post(add, {"user": lee.pk, "time_zone": "UTC", "phone": "+15550100"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert events()[-1].actor == admin_user and UserPreference.objects.get(user=lee)
