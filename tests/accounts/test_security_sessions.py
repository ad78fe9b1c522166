"""Sessions end: when idle, after 12 hours, at logout, and elsewhere on a password change."""

import time

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

import pytest

from accounts.middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WORKSPACE = reverse("workspace:startup_list")


def logged_in(user) -> Client:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(WORKSPACE).status_code == 200
    return client


def age_session(client, *, started_ago: int, seen_ago: int):
    session = client.session
    now = int(time.time())
    session[SESSION_STARTED_KEY] = now - started_ago
    session[SESSION_LAST_SEEN_KEY] = now - seen_ago
    session.save()


def assert_sent_to_login(client):
    response = client.get(WORKSPACE, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    return response


def test_the_limits_are_twelve_hours_and_two_hours_idle():
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert settings.SESSION_IDLE_TIMEOUT == 2 * 3600


def test_an_active_session_goes_on():
    client = logged_in(UserFactory())
    age_session(client, started_ago=11 * 3600, seen_ago=settings.SESSION_IDLE_TIMEOUT - 60)
    assert client.get(WORKSPACE).status_code == 200
    # …and that request counts as activity.
    assert client.session[SESSION_LAST_SEEN_KEY] >= int(time.time()) - 5


def test_an_idle_session_is_logged_out_with_a_french_message():
    client = logged_in(UserFactory())
    age_session(client, started_ago=3 * 3600, seen_ago=settings.SESSION_IDLE_TIMEOUT + 60)
    page = assert_sent_to_login(client)
    assert "Votre session a expiré : reconnectez-vous." in page.text


def test_a_session_ends_twelve_hours_after_login_however_active():
    client = logged_in(UserFactory())
    age_session(client, started_ago=settings.SESSION_COOKIE_AGE + 60, seen_ago=30)
    assert_sent_to_login(client)


def test_logout_ends_the_session_on_the_server():
    client = logged_in(UserFactory())
    stolen_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(reverse("account_logout"))

    assert not Session.objects.filter(session_key=stolen_cookie).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen_cookie
    assert_sent_to_login(replay)


def test_changing_the_password_keeps_this_session_and_ends_the_others():
    user = UserFactory()
    here, elsewhere = logged_in(user), logged_in(user)
    new_password = "Un-autre-mot-de-passe-2026"

    response = here.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    assert here.get(WORKSPACE).status_code == 200
    assert_sent_to_login(elsewhere)
