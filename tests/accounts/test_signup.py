"""Sign-up with mandatory e-mail verification, and the bad input around it."""

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

import pytest
from allauth.account.models import EmailAddress

from accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "Cohorte-Lyon-2026!"


def signup(
    client,
    email="nouvelle@mairie-exemple.fr",
    password=STRONG,
    password2=None,
    name="Nadia Nouvelle",
):
    return client.post(
        reverse("account_signup"),
        {
            "email": email,
            "display_name": name,
            "password1": password,
            "password2": password2 or password,
        },
    )


def confirmation_link(message) -> str:
    return re.search(r"https?://[^\s]+/comptes/confirm-email/[^\s]+/", message.body).group(0)


def test_signup_creates_an_unverified_account_and_sends_a_french_confirmation(client):
    response = signup(client)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="nouvelle@mairie-exemple.fr")
    assert user.display_name == "Nadia Nouvelle"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert "Confirmez" in mail.outbox[0].subject or "confirm" in mail.outbox[0].body.lower()
    assert "/comptes/confirm-email/" in mail.outbox[0].body


def test_unverified_account_cannot_log_in_until_confirmed(client):
    signup(client)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "nouvelle@mairie-exemple.fr", "password": STRONG}
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session

    link = confirmation_link(mail.outbox[-1])
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="nouvelle@mairie-exemple.fr").verified

    response = client.post(
        reverse("account_login"), {"login": "nouvelle@mairie-exemple.fr", "password": STRONG}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(
        User.objects.get(email="nouvelle@mairie-exemple.fr").pk
    )


def test_signup_with_an_existing_email_creates_nothing_and_warns_the_owner(client):
    existing = UserFactory(email="deja@mairie-exemple.fr")

    response = signup(client, email="DEJA@mairie-exemple.fr")

    # No enumeration: the page looks the same, the owner is told by e-mail.
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="deja@mairie-exemple.fr").count() == 1
    assert User.objects.get(email__iexact="deja@mairie-exemple.fr") == existing
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["deja@mairie-exemple.fr"]
    assert "un compte utilisant cette adresse existe déjà" in mail.outbox[0].body
    page = client.get(response.url)
    assert "Si cette adresse a déjà un compte" in page.text


@pytest.mark.parametrize(
    ("password", "password2", "message"),
    [
        ("court", None, "Ce mot de passe est trop court"),
        ("123456789012345", None, "Ce mot de passe est entièrement numérique"),
        ("1qaz2wsx3edc", None, "Ce mot de passe est trop courant"),
        (STRONG, "Autre-Mot-De-Passe-99", "Vous devez saisir deux fois le même mot de passe"),
    ],
)
def test_weak_or_mismatched_password_is_refused_in_french(client, password, password2, message):
    response = signup(client, password=password, password2=password2)

    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.filter(email="nouvelle@mairie-exemple.fr").exists()
    assert mail.outbox == []


def test_missing_display_name_is_refused(client):
    response = signup(client, name="")
    assert response.status_code == 200
    assert "Champ requis" in response.text
    assert not User.objects.exists()


def test_expired_confirmation_link_is_refused_and_leaves_the_address_unverified(client, settings):
    signup(client)
    link = confirmation_link(mail.outbox[-1])
    address = EmailAddress.objects.get(email="nouvelle@mairie-exemple.fr")

    later = timezone.now() + timedelta(days=settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS + 1)
    from unittest import mock

    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.get(link)

    assert response.status_code == 200
    assert "a expiré ou n'est pas valide" in response.text
    address.refresh_from_db()
    assert not address.verified


def test_forged_confirmation_key_is_refused(client):
    signup(client)
    response = client.get(reverse("account_confirm_email", args=["pas-une-vraie-cle"]))
    assert response.status_code == 200
    assert "a expiré ou n'est pas valide" in response.text
    assert not EmailAddress.objects.get(email="nouvelle@mairie-exemple.fr").verified


def test_login_with_wrong_password_says_so_in_french(client):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "faux"})
    assert response.status_code == 200
    assert "L’adresse e-mail ou le mot de passe sont incorrects" in response.text or (
        "adresse e-mail et/ou le mot de passe" in response.text
    )
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_are_rate_limited(client):
    user = UserFactory()
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "faux"})
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert "Trop de tentatives" in response.text
    assert "_auth_user_id" not in client.session


def test_password_reset_does_not_reveal_whether_an_account_exists(client):
    UserFactory(email="connue@mairie-exemple.fr")
    known = client.post(reverse("account_reset_password"), {"email": "connue@mairie-exemple.fr"})
    unknown = client.post(
        reverse("account_reset_password"), {"email": "inconnue@mairie-exemple.fr"}
    )
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert [m.to for m in mail.outbox] == [
        ["connue@mairie-exemple.fr"],
        ["inconnue@mairie-exemple.fr"],
    ]
