"""MFA: available to all, required for staff and coaches before anything else."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    generate_totp_secret,
)

from tests.factories import TEST_PASSWORD, CohortFactory, UserFactory, current_totp_code

pytestmark = pytest.mark.django_db

SECRET_SESSION_KEY = "mfa.totp.secret"


def current_code(secret: str) -> str:
    return current_totp_code(secret)


def open_totp_activation(client):
    """allauth asks for the password again before enrolling a new factor."""
    response = client.get(reverse("mfa_activate_totp"))
    if response.status_code == 302 and response.url.startswith(reverse("account_reauthenticate")):
        client.post(response.url, {"password": TEST_PASSWORD})
        response = client.get(reverse("mfa_activate_totp"))
    return response


def log_in(client, user):
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    return response


@pytest.mark.parametrize("traits", [{"coach": True}, {"staff": True}, {"superuser": True}])
def test_privileged_user_without_mfa_is_sent_to_set_it_up_first(client, traits):
    user = UserFactory(**traits)
    log_in(client, user)

    for path in ["/", "/admin/", "/page-inexistante/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url == reverse("mfa_activate_totp")

    page = client.get(reverse("mfa_activate_totp"), follow=True)
    assert "activez la double authentification" in page.text
    assert open_totp_activation(client).status_code == 200


def test_agent_is_not_forced_but_may_enable_mfa(client):
    agent = UserFactory()
    log_in(client, agent)
    assert client.get("/").status_code == 200
    assert open_totp_activation(client).status_code == 200


def test_coach_activates_totp_with_a_valid_code_and_reaches_the_site(client):
    coach = UserFactory(coach=True)
    log_in(client, coach)
    open_totp_activation(client)
    secret = client.session[SECRET_SESSION_KEY]

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "Code incorrect" in wrong.text
    assert not Authenticator.objects.filter(user=coach).exists()

    right = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert right.status_code == 302
    assert Authenticator.objects.filter(user=coach, type=Authenticator.Type.TOTP).exists()
    assert client.get("/").status_code == 200


def test_coach_with_mfa_logs_in_with_a_code_and_a_wrong_code_is_refused(client):
    coach = UserFactory(coach=True)
    secret = generate_totp_secret()
    TOTP.activate(coach, secret)

    response = log_in(client, coach)
    assert response.url == reverse("mfa_authenticate")
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert "Code incorrect" in wrong.text
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(coach.pk)
    assert client.get("/").status_code == 200


def test_coach_cannot_switch_off_the_mfa_their_role_requires(client):
    coach = UserFactory(coach=True)
    authenticator = TOTP.activate(coach, generate_totp_secret()).instance
    client.force_login(coach)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(pk=authenticator.pk).exists()


def test_demo_exemption_covers_only_demo_accounts(client, settings):
    settings.MFA_EXEMPT_DEMO_ACCOUNTS = True
    demo_coach = UserFactory(coach=True, email="coach@demo.example")
    other_coach = UserFactory(coach=True)

    client.force_login(demo_coach)
    assert client.get("/").status_code == 200
    client.force_login(other_coach)
    assert client.get("/").status_code == 302


def test_enforcement_is_on_unless_switched_off(settings):
    from django.conf import settings as live

    assert live.MFA_REQUIRED_FOR_PRIVILEGED is True
    assert live.MFA_EXEMPT_DEMO_ACCOUNTS is False


def test_knowing_an_agent_coaches_nothing_costs_one_query_per_request(
    client, settings, django_assert_num_queries
):
    agent = UserFactory()
    client.force_login(agent)
    page = reverse("account_profile")
    client.get(page)  # caches warmed: content types, site
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    with CaptureQueriesContext(connection) as unchecked:
        assert client.get(page).status_code == 200
    settings.MFA_REQUIRED_FOR_PRIVILEGED = True

    with django_assert_num_queries(len(unchecked) + 1) as checked:
        assert client.get(page).status_code == 200

    coaching = [q["sql"] for q in checked.captured_queries if "coaches" in q["sql"]]
    assert len(coaching) == 1
    assert "incubator_incubator_coaches" in coaching[0] and "cohort_coaches" in coaching[0]


def test_the_answer_is_asked_again_on_the_next_request(client):
    agent = UserFactory()
    client.force_login(agent)
    assert client.get("/").status_code == 200

    CohortFactory().coaches.add(agent)

    response = client.get("/")
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
