"""Sensitive account changes ask who is there again (ACCOUNT_REAUTHENTICATION_REQUIRED):
an open session alone, on an unlocked computer, must not be enough to take the account."""

from django.urls import reverse

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.factories import TEST_PASSWORD, UserFactory, current_totp_code

pytestmark = pytest.mark.django_db

NEW_ADDRESS = "camille.perso@messagerie.example"


def log_in(client, user):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302


def add_address(client):
    return client.post(reverse("account_email"), {"action_add": "", "email": NEW_ADDRESS})


def test_adding_an_address_asks_for_the_password_first(client, mailoutbox):
    user = UserFactory()
    log_in(client, user)  # a login is not a recent confirmation: it may be hours old

    asked = add_address(client)

    assert asked.status_code == 302
    assert asked.url.startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email=NEW_ADDRESS).exists()
    page = client.get(asked.url)
    assert "Confirmer l'accès" in page.text  # allauth's page, in French
    wrong = client.post(asked.url, {"password": "pas-le-bon-mot-de-passe"})
    assert wrong.status_code == 200
    assert not EmailAddress.objects.filter(email=NEW_ADDRESS).exists()
    assert not mailoutbox

    client.post(asked.url, {"password": TEST_PASSWORD})

    # The change asked for before goes through, without typing it again.
    assert EmailAddress.objects.filter(user=user, email=NEW_ADDRESS, verified=False).exists()
    assert [mail.to for mail in mailoutbox] == [[NEW_ADDRESS]]  # its confirmation link


def test_the_password_is_asked_once_for_five_minutes(client, settings):
    user = UserFactory()
    log_in(client, user)
    client.post(add_address(client).url, {"password": TEST_PASSWORD})

    second = EmailAddress.objects.create(user=user, email="second@autre.example", verified=True)
    removed = client.post(reverse("account_email"), {"action_remove": "", "email": second.email})
    assert removed.url == reverse("account_email")
    assert not EmailAddress.objects.filter(pk=second.pk).exists()

    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0  # five minutes later
    again = client.post(reverse("account_email"), {"action_primary": "", "email": NEW_ADDRESS})
    assert again.url.startswith(reverse("account_reauthenticate"))


def test_a_proconnect_coach_without_password_confirms_with_their_mfa_code(client):
    # No password to type: allauth asks for the second factor the coach's role requires.
    coach = UserFactory(coach=True)
    coach.set_unusable_password()
    coach.save()
    second = EmailAddress.objects.create(user=coach, email="second@autre.example", verified=True)
    secret = generate_totp_secret()
    TOTP.activate(coach, secret)
    client.force_login(coach)

    asked = client.post(reverse("account_email"), {"action_remove": "", "email": second.email})

    assert asked.url.startswith(reverse("mfa_reauthenticate"))
    assert EmailAddress.objects.filter(pk=second.pk).exists()
    client.post(asked.url, {"code": "000000"})
    assert EmailAddress.objects.filter(pk=second.pk).exists()
    code = current_totp_code(secret)
    client.post(asked.url, {"code": code})
    assert not EmailAddress.objects.filter(pk=second.pk).exists()


def test_mfa_set_up_asks_for_the_password_first(client):
    agent = UserFactory()
    log_in(client, agent)

    response = client.get(reverse("mfa_activate_totp"))

    assert response.url.startswith(reverse("account_reauthenticate"))


def test_an_account_with_nothing_to_ask_again_is_not_locked_out(client, mailoutbox):
    # No password, no MFA and no ProConnect to log in with again (ProConnect since
    # switched off): allauth lets the change through rather than lock the person out of
    # their own account. With ProConnect, it is asked again (test_proconnect.py).
    agent = UserFactory(email="camille.martin@interieur.gouv.fr")
    agent.set_unusable_password()
    agent.save()
    client.force_login(agent)

    response = add_address(client)

    assert response.url == reverse("account_email")
    assert EmailAddress.objects.filter(user=agent, email=NEW_ADDRESS).exists()


def test_the_address_page_with_a_change_pending_has_no_inline_style(client):
    """The Content-Security-Policy refuses inline styles: allauth's hidden form for the
    pending address used one, and the browser logged a violation on every visit."""
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=NEW_ADDRESS, verified=False, primary=False)
    client.force_login(user)

    page = client.get(reverse("account_email")).text

    assert NEW_ADDRESS in page
    assert "Renvoyer le lien de confirmation" in page
    assert '<form hidden id="pending-email"' in page
    assert ' style="' not in page
