"""The role set in the admin brings the Wagtail group it needs: « Équipe » and « Éditeur »
reach the Wagtail admin without anyone having to remember the group."""

from django.contrib.auth.models import Group
from django.urls import reverse

import pytest

from accounts.enums import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def change_role(client, user, role, groups=()):
    """Post Django's user change form as a superuser would, with the role changed."""
    return client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "email": user.email,
            "display_name": user.display_name,
            "first_name": "",
            "last_name": "",
            "role": role,
            "is_active": "on",
            "groups": [group.pk for group in groups],
            "date_joined_0": "2026-01-05",
            "date_joined_1": "09:00:00",
        },
    )


@pytest.fixture
def superuser_client(client, settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    client.force_login(UserFactory(superuser=True))
    return client


@pytest.mark.parametrize("role", [Role.STAFF, Role.EDITOR])
def test_staff_and_editor_roles_bring_the_editors_group_and_the_wagtail_admin(
    superuser_client, role
):
    person = UserFactory()
    response = change_role(superuser_client, person, role)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(person.groups.values_list("name", flat=True)) == ["Editors"]
    page = superuser_client.get(response.url)
    assert "fait maintenant partie du groupe « Editors »" in page.text
    superuser_client.force_login(person)
    assert superuser_client.get(reverse("wagtailadmin_home")).status_code == 200


def test_without_the_group_the_staff_role_alone_does_not_open_the_wagtail_admin(client, settings):
    # What the automatic group fixes: Wagtail's access is a permission, not our role.
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    client.force_login(UserFactory(role=Role.STAFF))
    assert client.get(reverse("wagtailadmin_home")).status_code == 302


def test_other_roles_get_no_group_and_chosen_groups_stay(superuser_client):
    moderators = Group.objects.get(name="Moderators")
    agent = UserFactory()
    change_role(superuser_client, agent, Role.TERRITORY, groups=[moderators])
    assert list(agent.groups.all()) == [moderators]

    change_role(superuser_client, agent, Role.STAFF, groups=[moderators])
    assert set(agent.groups.values_list("name", flat=True)) == {"Moderators", "Editors"}


def test_the_role_field_says_what_it_gives_in_the_admin(superuser_client):
    page = superuser_client.get(reverse("admin:accounts_user_change", args=[UserFactory().pk]))

    assert "donnent accès à l’administration Wagtail par le groupe « Editors »" in page.text


def test_a_change_of_rights_in_the_django_admin_is_logged_with_who(
    superuser_client, security_events
):
    person = UserFactory()
    admin = superuser_client.session["_auth_user_id"]

    change_role(superuser_client, person, Role.STAFF)

    (entry,) = security_events("account_rights_changed")
    assert entry["user_id"] == int(admin)
    assert entry["details"]["subject_id"] == person.pk
    assert entry["details"]["changed"] == ["role"]
    assert entry["details"]["role"] == Role.STAFF
    assert entry["details"]["groups"] == ["Editors"]


def test_saving_a_user_without_changing_rights_logs_nothing(superuser_client, security_events):
    person = UserFactory()
    change_role(superuser_client, person, person.role)

    assert security_events("account_rights_changed") == []


def test_an_edit_in_the_wagtail_admin_is_logged_with_the_rights_after_it(
    superuser_client, security_events
):
    person = UserFactory(first_name="Lou", last_name="Martin")
    moderators = Group.objects.get(name="Moderators")

    response = superuser_client.post(
        reverse("wagtailusers_users:edit", args=[person.pk]),
        {
            "email": person.email,
            "first_name": "Lou",
            "last_name": "Martin",
            "is_active": "on",
            "is_superuser": "on",
            "groups": [moderators.pk],
        },
    )

    assert response.status_code == 302
    (entry,) = security_events("account_rights_changed")
    assert entry["details"]["subject_id"] == person.pk
    assert entry["details"]["is_superuser"] is True
    assert entry["details"]["groups"] == ["Moderators"]
