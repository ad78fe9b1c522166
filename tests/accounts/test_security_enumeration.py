"""Nobody learns from our pages whether an e-mail address has an account."""

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

import pytest

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KNOWN = "connue@mairie-exemple.fr"
UNKNOWN = "inconnue@mairie-exemple.fr"


def visible(response) -> tuple:
    """What a visitor can observe: status, where it leads, and the page it lands on."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.text)
    return response.status_code, response.redirect_chain, page.replace(UNKNOWN, KNOWN)


def submit(path, data):
    return Client().post(path, data, follow=True)


def test_password_reset_answers_the_same_for_a_known_and_an_unknown_address():
    UserFactory(email=KNOWN)

    known = submit(reverse("account_reset_password"), {"email": KNOWN})
    unknown = submit(reverse("account_reset_password"), {"email": UNKNOWN})

    assert visible(known) == visible(unknown)
    assert known.redirect_chain == [(reverse("account_reset_password_done"), 302)]
    # Both addresses get an e-mail: only the owner of the known one gets a reset link.
    assert [message.to for message in mail.outbox] == [[KNOWN], [UNKNOWN]]
    assert "/comptes/password/reset/key/" in mail.outbox[0].body
    assert "/comptes/password/reset/key/" not in mail.outbox[1].body


def test_signup_answers_the_same_for_a_taken_and_a_free_address():
    UserFactory(email=KNOWN)

    def signup(email):
        return submit(
            reverse("account_signup"),
            {
                "email": email,
                "display_name": "Camille Curieuse",
                "password1": "Cohorte-Lyon-2026!",
                "password2": "Cohorte-Lyon-2026!",
            },
        )

    assert visible(signup(KNOWN)) == visible(signup(UNKNOWN))
    assert User.objects.filter(email__iexact=KNOWN).count() == 1


def test_a_wrong_password_and_an_unknown_address_get_the_same_message():
    UserFactory(email=KNOWN)

    def login(email):
        return submit(reverse("account_login"), {"login": email, "password": "pas-le-bon"})

    known, unknown = login(KNOWN), login(UNKNOWN)
    assert visible(known) == visible(unknown)
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in unknown.text
