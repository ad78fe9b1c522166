"""Failed logins lock the account for a while, with a French message, in a shared cache."""

import re

from django.core import mail
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

import pytest

from accounts.apps import check_shared_cache
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ALLOWED_FAILURES = 5
LOCKOUT_MESSAGE = (
    "Trop de tentatives de connexion échouées. Par sécurité, la connexion est bloquée "
    "pendant 15 minutes au plus : réessayez plus tard, ou choisissez un nouveau mot de passe "
    "avec « Mot de passe oublié ? »."
)
WRONG_CREDENTIALS = "L’adresse e-mail ou le mot de passe sont incorrects."


def attempt(client, email, password, ip="127.0.0.1"):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def fail(client, user, times=ALLOWED_FAILURES):
    for _ in range(times):
        response = attempt(client, user.email, "pas-le-bon-mot-de-passe")
        assert response.status_code == 200
        assert WRONG_CREDENTIALS in response.text


def assert_locked_out(client, user):
    response = attempt(client, user.email, TEST_PASSWORD)
    assert response.status_code == 200
    assert LOCKOUT_MESSAGE in response.text
    assert "_auth_user_id" not in client.session


def test_after_five_failures_even_the_right_password_is_refused_with_a_french_message(client):
    user = UserFactory()
    fail(client, user)

    assert_locked_out(client, user)
    # The rendered login page is in French, and says it in an alert.
    page = attempt(client, user.email, TEST_PASSWORD)
    assert '<html lang="fr"' in page.text
    assert re.search(r'fr-alert--error[^>]*role="alert">\s*<p>Trop de tentatives', page.text)


def test_the_lock_is_per_account_and_four_failures_do_not_lock(client):
    user, other = UserFactory(), UserFactory()
    fail(client, user, times=ALLOWED_FAILURES - 1)
    assert attempt(client, user.email, TEST_PASSWORD).status_code == 302

    client.logout()
    fail(client, other)
    assert_locked_out(client, other)
    # Other accounts still log in (from another address: ten failures a minute from one
    # address lock that address too).
    assert attempt(client, UserFactory().email, TEST_PASSWORD, ip="192.0.2.7").status_code == 302


def test_ten_failures_a_minute_from_one_address_lock_it_whatever_the_account(client):
    for user in UserFactory.create_batch(2):
        fail(client, user)
    assert_locked_out(client, UserFactory())
    assert attempt(client, UserFactory().email, TEST_PASSWORD, ip="192.0.2.7").status_code == 302


def test_a_password_reset_lifts_the_lock_as_the_message_promises(client):
    user = UserFactory()
    fail(client, user)
    assert_locked_out(client, user)

    client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/comptes/password/reset/key/\S+/)", mail.outbox[-1].body)
    form_url = client.get(link.group(1)).url
    new_password = "Un-nouveau-mot-de-passe-2026"
    done = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert done.status_code == 302

    assert attempt(client, user.email, new_password).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.fixture
def database_cache(settings):
    """The production set-up without Redis: the default cache in a database table."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "territoires_lab_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    return "territoires_lab_cache"


def test_the_lock_is_stored_in_the_shared_cache_and_holds_for_another_process(
    client, database_cache
):
    user = UserFactory()
    fail(client, user)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key FROM {database_cache}")  # noqa: S608 - fixed name
        keys = [row[0] for row in cursor.fetchall()]
    assert any("login_failed" in key for key in keys), keys

    # A fresh cache client, as another gunicorn worker would have, sees the same lock.
    del caches["default"]
    assert_locked_out(client, user)


def test_check_deploy_warns_when_the_cache_is_per_process(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [message.id for message in check_shared_cache(None)] == ["accounts.W001"]

    for backend in (
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
    ):
        settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "x"}}
        assert check_shared_cache(None) == []

    # `make run` is one process: nothing to share.
    settings.DEBUG = True
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert check_shared_cache(None) == []
