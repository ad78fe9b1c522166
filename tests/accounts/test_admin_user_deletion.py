"""Deleting a user from Django's admin or Wagtail's does what « Supprimer mon compte » does:
the person's data is erased, what they wrote stays, attributed to « ancien membre »."""

import json

from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.http import urlencode

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from incubator import services
from incubator.models import Lesson
from tests.factories import IncubatorFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db

ZOE_EMAIL = "zoe.quenelle@ville-exemple.fr"
ZOE_NAME = "Zoé Quenelle-Ardoise"


@pytest.fixture
def world(settings):
    """Zoé, an agent, wrote a lesson; Paul is the only coach of a running startup."""
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    paul = UserFactory(coach=True, display_name="Paul Seul")
    incubator = IncubatorFactory()
    incubator.coaches.add(paul)
    startup = StartupFactory(incubator=incubator, name="Cantine Locale")
    zoe = UserFactory(email=ZOE_EMAIL, display_name=ZOE_NAME)
    lesson = services.lesson_create(
        startup=startup, author=zoe, title="Goûter les menus", body="Les élèves choisissent."
    )
    admin = UserFactory(superuser=True)
    UserFactory(superuser=True)  # not the last administrator
    return {"zoe": zoe, "paul": paul, "lesson": lesson, "admin": admin, "incubator": incubator}


def assert_anonymised(user, lesson):
    user.refresh_from_db()
    assert user.is_former_member and not user.is_active
    assert user.email != ZOE_EMAIL and user.display_name == ""
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(email__iexact=ZOE_EMAIL).exists()
    lesson = Lesson.objects.get(pk=lesson.pk)
    assert lesson.author_id == user.pk and str(lesson.author) == "ancien membre"


def assert_untouched(user):
    before = (user.email, user.display_name, user.is_active)
    user.refresh_from_db()
    assert (user.email, user.display_name, user.is_active) == before
    assert not user.is_former_member


# --- Django's admin ----------------------------------------------------------------------


def test_django_admin_deletion_anonymises_and_keeps_what_they_wrote(client, world):
    zoe = world["zoe"]
    client.force_login(world["admin"])
    url = reverse("admin:accounts_user_delete", args=[zoe.pk])

    page = client.get(url)
    assert page.status_code == 200
    assert "reste, attribué à « ancien membre »" in page.text
    response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert_anonymised(zoe, world["lesson"])


def test_django_admin_refuses_the_only_coach_and_changes_nothing(client, world):
    paul = world["paul"]
    client.force_login(world["admin"])
    url = reverse("admin:accounts_user_delete", args=[paul.pk])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 200  # the page again, with the reason and no button
    assert "« Paul Seul » est le seul coach de la startup « Cantine Locale »" in response.text
    assert "nommez un autre coach, puis supprimez ce compte" in response.text
    assert_untouched(paul)
    assert world["incubator"].coaches.filter(pk=paul.pk).exists()


def test_django_admin_bulk_deletion_is_all_or_nothing(client, world):
    zoe, paul = world["zoe"], world["paul"]
    client.force_login(world["admin"])
    changelist = reverse("admin:accounts_user_changelist")

    refused = client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [zoe.pk, paul.pk], "post": "yes"},
    )
    assert "« Paul Seul » est le seul coach" in refused.text
    assert_untouched(zoe)
    assert_untouched(paul)

    done = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [zoe.pk], "post": "yes"}
    )
    assert done.status_code == 302
    assert_anonymised(zoe, world["lesson"])


def test_django_admin_refuses_the_last_administrator(client, world):
    admin = world["admin"]
    User.objects.exclude(pk=admin.pk).update(is_superuser=False)
    client.force_login(admin)

    response = client.post(reverse("admin:accounts_user_delete", args=[admin.pk]), {"post": "yes"})

    assert "Vous êtes le dernier administrateur de la plateforme" in response.text
    admin.refresh_from_db()
    assert admin.is_superuser and admin.is_active and not admin.is_former_member


def test_django_admin_is_for_superusers_only(client, world):
    client.force_login(UserFactory(staff=True))

    response = client.post(reverse("admin:accounts_user_delete", args=[world["zoe"].pk]))

    assert response.status_code == 302 and "login" in response.url
    assert_untouched(world["zoe"])


# --- Wagtail's admin ---------------------------------------------------------------------


def test_wagtail_deletion_anonymises_and_keeps_what_they_wrote(
    client, world, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level("INFO", logger="security")
    zoe = world["zoe"]
    client.force_login(world["admin"])
    url = reverse("wagtailusers_users:delete", args=[zoe.pk])

    page = client.get(url)
    assert page.status_code == 200
    # Her lesson refers to her: Wagtail alone would refuse; here the page says what stays.
    assert "reste, attribué à « ancien membre »" in page.text
    assert "Oui, supprimer" in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)

    assert response.redirect_chain[0] == (reverse("wagtailusers_users:index"), 302)
    [logged] = [json.loads(r.getMessage()) for r in caplog.records if r.name == "security"][-1:]
    assert logged["event"] == "account_deleted" and logged["user_id"] == zoe.pk
    assert logged["details"] == {"deleted_by": world["admin"].pk}
    assert "a été supprimé" in response.text and ZOE_NAME in response.text
    assert_anonymised(zoe, world["lesson"])


def test_wagtail_refuses_the_only_coach_and_changes_nothing(client, world):
    paul = world["paul"]
    client.force_login(world["admin"])
    url = reverse("wagtailusers_users:delete", args=[paul.pk])

    page = client.get(url, follow=True)
    assert page.redirect_chain[0] == (reverse("wagtailusers_users:edit", args=[paul.pk]), 302)
    response = client.post(url, follow=True)

    assert "« Paul Seul » est le seul coach de la startup « Cantine Locale »" in response.text
    assert_untouched(paul)
    assert world["incubator"].coaches.filter(pk=paul.pk).exists()


def test_wagtail_bulk_deletion_is_all_or_nothing(client, world):
    zoe, paul = world["zoe"], world["paul"]
    client.force_login(world["admin"])
    index = reverse("wagtailusers_users:index")

    def bulk_delete(*users):
        query = urlencode({"next": index, "id": [user.pk for user in users]}, doseq=True)
        url = reverse("wagtail_bulk_action", args=("accounts", "user", "delete"))
        return client.post(f"{url}?{query}", follow=True)

    confirmation = client.get(
        reverse("wagtail_bulk_action", args=("accounts", "user", "delete"))
        + "?"
        + urlencode({"next": index, "id": [zoe.pk]}, doseq=True)
    )
    assert "reste, attribué à « ancien membre »" in confirmation.text
    assert "Oui, supprimer" in confirmation.text

    refused = bulk_delete(zoe, paul)
    assert "Aucun compte n’a été supprimé" in refused.text
    assert "« Paul Seul » est le seul coach" in refused.text
    assert_untouched(zoe)
    assert_untouched(paul)

    done = bulk_delete(zoe)
    assert "1 compte a été supprimé" in done.text
    assert_anonymised(zoe, world["lesson"])


def test_wagtail_user_deletion_needs_the_permission(client, world):
    # An editor reaches the Wagtail admin but may not delete users.
    editor = UserFactory(editor=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)

    response = client.post(reverse("wagtailusers_users:delete", args=[world["zoe"].pk]))

    assert response.status_code == 302 and response.url == reverse("wagtailadmin_home")
    assert_untouched(world["zoe"])
