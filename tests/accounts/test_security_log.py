"""The security log: one JSON line per event, with who, where, what, and never a secret."""

import datetime
import json
import re

from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from accounts.security_log import REDACTED, log_event
from incubator.enums import Phase
from incubator.models import Sponsorship
from incubator.services import lifecycle
from programs.models import Contribution
from tests.factories import (
    TEST_PASSWORD,
    CohortFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
    current_totp_code,
)
from tests.payments.fake_stripe import checkout_session_object, make_event, sign

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "mauvais-mot-de-passe-123"


def log_in(client, user, password=TEST_PASSWORD):
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def test_a_login_and_a_logout(client, security_events):
    user = UserFactory()
    log_in(client, user)
    client.post(reverse("account_logout"))

    [login] = security_events("login")
    assert login["user_id"] == user.pk and login["outcome"] == "success"
    assert login["ip"] == "127.0.0.1" and login["path"] == reverse("account_login")
    assert login["details"] == {"methods": ["password"]}
    [logout] = security_events("logout")
    assert logout["user_id"] == user.pk and logout["path"] == reverse("account_logout")
    assert TEST_PASSWORD not in security_events.text()


def test_failures_and_the_lockout_name_the_account_but_not_what_was_typed(client, security_events):
    user = UserFactory()
    for _ in range(5):
        log_in(client, user, WRONG_PASSWORD)
    log_in(client, user)  # the right password, too late
    client.post(reverse("account_login"), {"login": "personne@nulle-part.fr", "password": "x"})

    failures = security_events("login_failed")
    assert len(failures) == 6
    assert {entry["outcome"] for entry in failures} == {"failure"}
    assert [entry["user_id"] for entry in failures] == [user.pk] * 5 + [None]
    [locked] = security_events("login_locked")
    assert locked["user_id"] == user.pk and locked["outcome"] == "refused"
    assert locked["ip"] == "127.0.0.1"
    for typed in (WRONG_PASSWORD, TEST_PASSWORD, user.email, "personne@nulle-part.fr"):
        assert typed not in security_events.text()


def current_code(secret):
    return current_totp_code(secret)


# allauth announces new factors (and e-mails the person) once they are committed, inside
# the request that made them: real transactions, as in production, where on_commit
# callbacks run before the response. Captured and run after the request instead, they
# would miss the request allauth's notification e-mail needs.
@pytest.mark.django_db(transaction=True)
def test_mfa_set_up_used_wrongly_renewed_and_removed(client, security_events, mailoutbox):
    agent = UserFactory()
    client.force_login(agent)
    client.get(reverse("mfa_activate_totp"))
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]
    code = current_code(secret)
    client.post(reverse("mfa_activate_totp"), {"code": code})
    client.post(reverse("mfa_generate_recovery_codes"))
    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    client.logout()
    log_in(client, agent)
    client.post(reverse("mfa_authenticate"), {"code": "000000"})

    added = security_events("mfa_added")
    assert [entry["details"]["authenticator"] for entry in added] == ["totp", "recovery_codes"]
    assert {entry["user_id"] for entry in added} == {agent.pk}
    assert security_events("mfa_reset")[0]["details"] == {"authenticator": "recovery_codes"}
    [failed] = security_events("mfa_failed")
    assert failed["outcome"] == "failure" and failed["user_id"] == agent.pk

    # The app's code was just used (and may not be replayed): in with a recovery code.
    recovery = Authenticator.objects.get(user=agent, type=Authenticator.Type.RECOVERY_CODES)
    recovery_code = recovery.wrap().get_unused_codes()[0]
    client.post(reverse("mfa_authenticate"), {"code": recovery_code})
    assert security_events("mfa_recovery_code_used")[0]["user_id"] == agent.pk

    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    client.post(reverse("mfa_deactivate_totp"))
    removed = [entry["details"]["authenticator"] for entry in security_events("mfa_removed")]
    assert removed == ["totp", "recovery_codes"]
    for secret_value in (secret, code, recovery_code):
        assert secret_value not in security_events.text()
    # The person is told, in French, at their address.
    subjects = [mail.subject for mail in mailoutbox if mail.to == [agent.email]]
    assert "[Territoires Lab] Application d'authentification activée" in subjects
    assert "[Territoires Lab] Application d'authentification désactivée" in subjects


def test_a_refused_page_is_logged_and_still_shows_the_usual_403(client, security_events):
    agent = UserFactory()
    client.force_login(agent)

    response = client.get(reverse("workspace:board"))

    assert response.status_code == 403 and "Accès refusé" in response.text
    [denied] = security_events("permission_denied")
    assert denied["user_id"] == agent.pk and denied["outcome"] == "denied"
    assert denied["path"] == reverse("workspace:board")
    assert denied["details"] == {"method": "GET"}


def test_probing_a_private_startup_by_its_address_is_logged(client, security_events):
    """A private startup is a 404 to outsiders, so that its existence does not leak; the
    log still shows someone trying addresses."""
    hidden = StartupFactory(visibility="private")
    outsider = UserFactory()
    client.force_login(outsider)

    response = client.get(reverse("workspace:startup_detail", args=[hidden.slug]))
    client.get("/une-page-publique-qui-n-existe-pas/")
    Client().get(reverse("workspace:startup_detail", args=["inconnue"]))  # anonymous: login

    assert response.status_code == 404
    [probe] = security_events("not_found")
    assert probe["user_id"] == outsider.pk and probe["outcome"] == "denied"
    assert probe["path"] == reverse("workspace:startup_detail", args=[hidden.slug])


def test_a_rate_limited_request_is_logged(client, security_events, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute", "user": "1/minute"},
    }
    assert client.get("/api/v1/startups/").status_code == 200
    assert client.get("/api/v1/startups/").status_code == 429

    [limited] = security_events("rate_limited")
    assert limited["path"] == "/api/v1/startups/" and limited["user_id"] is None
    assert limited["outcome"] == "denied"


def test_a_phase_decision_is_logged_once_committed(
    security_events, django_capture_on_commit_callbacks
):
    coach = UserFactory(coach=True)
    startup = StartupFactory()
    with django_capture_on_commit_callbacks(execute=True):
        transition = lifecycle.startup_change_phase(
            startup=startup,
            to_phase=Phase.CONSTRUCTION,
            actor=coach,
            on=timezone.localdate(),
            rationale="Le besoin est confirmé sur le terrain.",
            gate_override_reason="Comité exceptionnel.",
        )

    [decision] = security_events("phase_decision")
    assert decision["user_id"] == coach.pk
    assert decision["details"] == {
        "startup_id": startup.pk,
        "transition_id": transition.pk,
        "kind": transition.kind,
        "from_phase": Phase.INVESTIGATION,
        "to_phase": Phase.CONSTRUCTION,
        "gate_overridden": bool(transition.gate_override_reason),
    }


def test_payments_marked_paid_or_failed_by_stripe_are_logged(
    client, security_events, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    cohort = CohortFactory(program__contribution_cents_per_year=12_000_00)
    startup = StartupFactory(cohort=cohort, incubator=cohort.program.incubator)
    sponsorship = Sponsorship.objects.create(
        startup=startup, territory=TerritoryFactory(), start_date=datetime.date(2026, 1, 1)
    )
    contribution = Contribution.objects.get(sponsorship=sponsorship)

    def post(event):
        payload = json.dumps(event).encode()
        client.post(
            "/paiements/stripe/webhook/",
            payload,
            content_type="application/json",
            headers={"stripe-signature": sign(payload, settings.STRIPE_WEBHOOK_SECRET)},
        )

    sepa = checkout_session_object(
        amount_total=contribution.remaining_cents,
        payment_status="unpaid",
        metadata={"contribution_id": str(contribution.pk)},
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(make_event("checkout.session.completed", sepa))
        post(make_event("checkout.session.async_payment_failed", sepa))

    pending, failed = security_events("payment")
    assert pending["outcome"] == "pending" and failed["outcome"] == "failed"
    assert failed["details"]["contribution_id"] == contribution.pk
    assert failed["details"]["contribution_status"] == "failed"
    assert failed["details"]["stripe_event_type"] == "checkout.session.async_payment_failed"
    assert settings.STRIPE_WEBHOOK_SECRET not in security_events.text()


def test_a_detail_named_like_a_secret_is_masked(security_events):
    request = RequestFactory().post("/quelque-part/", REMOTE_ADDR="192.0.2.1")
    request.user = UserFactory()
    log_event("test", request=request, password="hunter2", code="123456", api_token="t0k3n")

    [entry] = security_events("test")
    assert entry["user_id"] == request.user.pk and entry["ip"] == "192.0.2.1"
    assert entry["details"] == {"password": REDACTED, "code": REDACTED, "api_token": REDACTED}
    assert "hunter2" not in security_events.text() and "t0k3n" not in security_events.text()


# --- E-mail addresses and passwords ------------------------------------------------------

NEW_PASSWORD = "un-nouveau-mot-de-passe-solide"


def link_in(mail) -> str:
    return re.search(r"https?://testserver(/\S+)", mail.body).group(1)


def test_an_email_change_is_logged_by_domain_and_the_old_address_is_told(
    client, security_events, mailoutbox
):
    user = UserFactory(email="camille.martin@ville-exemple.fr")
    log_in(client, user)
    new_address = "camille.perso@messagerie.example"
    asked = client.post(reverse("account_email"), {"action_add": "", "email": new_address})
    client.post(asked.url, {"password": TEST_PASSWORD})  # who is there, again
    [verification] = mailoutbox
    client.post(link_in(verification))  # the new address is confirmed

    assert EmailAddress.objects.get(user=user).email == new_address
    [reauthenticated] = security_events("reauthenticated")
    assert reauthenticated["details"] == {"method": "password"}
    [added] = security_events("email_added")
    assert added["user_id"] == user.pk
    assert added["details"] == {"email_domain": "messagerie.example", "verified": False}
    [confirmed] = security_events("email_confirmed")
    assert confirmed["user_id"] == user.pk
    [changed] = security_events("email_changed")
    assert changed["details"] == {
        "from_email_domain": "ville-exemple.fr",
        "to_email_domain": "messagerie.example",
    }
    assert "email_removed" not in {
        entry["event"] for entry in security_events()
    }  # replaced, not removed
    for address in ("camille.martin", "camille.perso", TEST_PASSWORD):
        assert address not in security_events.text()
    # The old address hears of it, in French, with where the change came from.
    notice = mailoutbox[-1]
    assert notice.to == ["camille.martin@ville-exemple.fr"]
    assert notice.subject == "[Territoires Lab] E-mail modifié"
    assert (
        "Votre adresse e-mail a été modifiée de camille.martin@ville-exemple.fr "
        "à camille.perso@messagerie.example." in notice.body
    )
    assert "127.0.0.1" in notice.body


def test_removing_an_address_is_logged_and_told(client, security_events, mailoutbox):
    user = UserFactory()
    second = EmailAddress.objects.create(user=user, email="second@autre.example", verified=True)
    log_in(client, user)
    asked = client.post(reverse("account_email"), {"action_remove": "", "email": second.email})
    client.post(asked.url, {"password": TEST_PASSWORD})

    assert not EmailAddress.objects.filter(pk=second.pk).exists()
    [removed] = security_events("email_removed")
    assert removed["user_id"] == user.pk
    assert removed["details"] == {"email_domain": "autre.example"}
    [notice] = mailoutbox
    assert notice.subject == "[Territoires Lab] E-mail retiré"
    assert "L'adresse e-mail second@autre.example a été retirée de votre compte." in notice.body


def test_a_password_change_is_logged_without_the_password_and_told(
    client, security_events, mailoutbox
):
    user = UserFactory()
    log_in(client, user)
    client.post(
        reverse("account_change_password"),
        {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    [changed] = security_events("password_changed")
    assert changed["user_id"] == user.pk and changed["details"] == {}
    assert (
        NEW_PASSWORD not in security_events.text() and TEST_PASSWORD not in security_events.text()
    )
    [notice] = mailoutbox
    assert notice.to == [user.email]
    assert notice.subject == "[Territoires Lab] Mot de passe modifié"
    assert "Votre mot de passe a été modifié." in notice.body


def test_a_first_password_on_a_proconnect_account_is_logged_and_told(
    client, security_events, mailoutbox
):
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    client.post(
        reverse("account_set_password"), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    [password_set] = security_events("password_set")
    assert password_set["user_id"] == user.pk
    [notice] = mailoutbox
    assert notice.subject == "[Territoires Lab] Définition du mot de passe"
    assert "Votre mot de passe a été défini." in notice.body


def test_a_password_reset_is_logged_and_told(client, security_events, mailoutbox):
    user = UserFactory()
    client.post(reverse("account_reset_password"), {"email": user.email})
    form_page = client.get(link_in(mailoutbox[0]), follow=True)
    client.post(
        form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    [reset] = security_events("password_reset")
    assert reset["user_id"] == user.pk
    assert mailoutbox[-1].subject == "[Territoires Lab] Réinitialisation du mot de passe"
    assert "Votre mot de passe a été réinitialisé." in mailoutbox[-1].body
