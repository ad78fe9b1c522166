"""A newcomer signs up and logs in; a coach is made to set up MFA first."""

import re

from django.core import mail

import pytest
from allauth.mfa.models import Authenticator

from accounts.models import User
from tests.factories import TEST_PASSWORD, UserFactory, current_totp_code

pytestmark = pytest.mark.django_db(transaction=True)


def totp_now(secret: str) -> str:
    return current_totp_code(secret, margin=12)


def test_sign_up_confirm_log_in_and_see_the_home_page(page, assert_accessible):
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Créer un compte").first.click()
    assert_accessible(page)
    page.get_by_label("E-mail").fill("louise.martin@ville-exemple.fr")
    page.get_by_label("Prénom et nom").fill("Louise Martin")
    page.get_by_label("Mot de passe", exact=False).first.fill("Cohorte-Lille-2026!")
    page.get_by_label("Mot de passe (confirmation)").fill("Cohorte-Lille-2026!")
    page.get_by_role("button", name="Inscription").or_(
        page.get_by_role("button", name="Création de compte")
    ).click()

    page.get_by_role("heading", name="Vérifiez votre adresse e-mail").wait_for()
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/comptes/confirm-email/\S+/", mail.outbox[0].body).group(0)

    page.goto(link)
    page.get_by_role("button", name="Confirmer").click()
    page.get_by_role("heading", name=re.compile("Connexion")).wait_for()
    page.get_by_label("E-mail").fill("louise.martin@ville-exemple.fr")
    page.get_by_label("Mot de passe").fill("Cohorte-Lille-2026!")
    page.get_by_role("button", name="Connexion").click()

    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_role("link", name="Louise Martin").is_visible()
    assert User.objects.get(email="louise.martin@ville-exemple.fr").emailaddress_set.get().verified


def test_a_coach_without_mfa_is_forced_to_set_it_up(page, assert_accessible):
    coach = UserFactory(
        coach=True, email="coach.lyon@incubateur-exemple.fr", display_name="Claire Coach"
    )

    page.goto("/comptes/login/")
    assert_accessible(page)
    page.get_by_label("E-mail").fill(coach.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Connexion").click()

    # Anything else than account pages sends the coach to the MFA set-up.
    page.goto("/")
    assert "/comptes/" in page.url
    assert page.get_by_text("activez la double authentification").is_visible()
    if "reauthenticate" in page.url:  # allauth asks for the password before a new factor
        page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url(re.compile("/comptes/2fa/totp/activate/"))
    assert_accessible(page)

    page.get_by_label("Code de l’authentificateur").or_(page.get_by_label("Code")).first.fill(
        "000000"
    )
    page.get_by_role("button", name="Activer").click()
    assert page.get_by_text("Code incorrect").is_visible()
    assert not Authenticator.objects.filter(user=coach).exists()

    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Code de l’authentificateur").or_(page.get_by_label("Code")).first.fill(
        totp_now(secret)
    )
    page.get_by_role("button", name="Activer").click()
    page.get_by_role("heading", name=re.compile("codes de récupération", re.I)).first.wait_for()

    page.goto("/")
    assert page.get_by_role("link", name="Claire Coach").is_visible()
    assert Authenticator.objects.filter(user=coach, type=Authenticator.Type.TOTP).exists()
