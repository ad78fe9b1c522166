"""MFA for staff and coaches holds on every path, and a password alone opens nothing."""

from django.conf import settings
from django.urls import reverse

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    generate_totp_secret,
)

from incubator.enums import Visibility
from tests.accounts.test_proconnect import (  # noqa: F401 - fixtures used below
    AGENT,
    full_login,
    proconnect,
    signing_key,
)
from tests.factories import TEST_PASSWORD, StartupFactory, UserFactory, current_totp_code

pytestmark = pytest.mark.django_db

MFA_SETUP = reverse("mfa_activate_totp")


@pytest.fixture
def coached():
    """A coach (no MFA yet) of a private startup's incubator."""
    coach = UserFactory(coach=True)
    startup = StartupFactory(name="Cantine Solidaire", visibility=Visibility.PRIVATE)
    startup.incubator.coaches.add(coach)
    return coach, startup


def role_pages(startup) -> list[str]:
    """Workspaces, exports, report downloads, both admins and the API."""
    return [
        reverse("workspace:home"),
        reverse("workspace:startup_detail", args=[startup.slug]),
        reverse("workspace:board"),
        reverse("workspace:board_csv"),
        reverse("workspace:reports"),
        reverse("workspace:report_pdf", args=[1]),
        "/admin/",
        "/admin/pages/",
        f"/{settings.DJANGO_ADMIN_PATH}",
        "/api/v1/startups/",
        "/api/v1/startups.csv",
        # The rest of the account pages: e-mail or password changed with the password
        # alone would hand the account over.
        reverse("account_email"),
        reverse("account_change_password"),
        reverse("account_profile"),
        "/",
    ]


def test_a_coach_without_mfa_is_sent_to_set_it_up_from_every_page(client, coached):
    coach, startup = coached
    client.force_login(coach)
    for path in role_pages(startup):
        response = client.get(path)
        assert (response.status_code, response.get("Location")) == (302, MFA_SETUP), path
    # Posting is no way round either.
    response = client.post(reverse("workspace:board_csv"))
    assert response.url == MFA_SETUP


def test_once_mfa_is_set_up_the_same_pages_open(client, coached):
    coach, startup = coached
    TOTP.activate(coach, generate_totp_secret())
    client.force_login(coach)
    for name, args in [("workspace:startup_detail", [startup.slug]), ("workspace:board_csv", [])]:
        assert client.get(reverse(name, args=args)).status_code == 200, name


def test_staff_without_mfa_reach_neither_admin(client):
    client.force_login(UserFactory(staff=True))
    for path in ["/admin/", "/admin/snippets/", f"/{settings.DJANGO_ADMIN_PATH}accounts/user/"]:
        assert client.get(path).get("Location") == MFA_SETUP, path


def test_coaching_requires_mfa_whatever_the_role_field_says(client):
    """An agent or référent made coach of an incubator or a cohort decides phases: MFA too."""
    from tests.factories import CohortFactory, IncubatorFactory

    by_incubator, by_cohort, plain = UserFactory(), UserFactory(territory=True), UserFactory()
    IncubatorFactory().coaches.add(by_incubator)
    CohortFactory().coaches.add(by_cohort)
    for user in (by_incubator, by_cohort):
        client.force_login(user)
        assert client.get(reverse("workspace:home")).get("Location") == MFA_SETUP
    client.force_login(plain)
    assert client.get(reverse("workspace:home")).get("Location") != MFA_SETUP


def test_what_a_coach_without_mfa_may_still_do(client, coached):
    coach, _startup = coached
    client.force_login(coach)
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("account_reauthenticate")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def test_the_api_gives_a_coach_session_no_private_data(client, coached):
    coach, startup = coached
    TOTP.activate(coach, generate_totp_secret())
    client.force_login(coach)
    assert client.get(f"/api/v1/startups/{startup.slug}/").status_code == 404
    listing = client.get("/api/v1/startups/").json()
    assert startup.slug not in str(listing)


def test_the_password_alone_opens_nothing_for_a_user_with_mfa(client, coached):
    coach, startup = coached
    secret = generate_totp_secret()
    TOTP.activate(coach, secret)

    response = client.post(
        reverse("account_login"), {"login": coach.email, "password": TEST_PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    for path in role_pages(startup):
        if path.startswith("/api/v1/") or path == "/":
            continue  # public to anyone, and nothing more to a half-logged-in visitor
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(
            (reverse("account_login"), f"/{settings.DJANGO_ADMIN_PATH}login/", "/admin/login/")
        ), path
    assert client.get("/api/v1/startups/").json()["count"] == 0

    # The second factor completes the login.
    code = current_totp_code(secret)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.get(reverse("workspace:startup_detail", args=[startup.slug])).status_code == 200


def test_proconnect_does_not_skip_the_second_factor(client, proconnect):  # noqa: F811
    coach = UserFactory(coach=True, email=AGENT["email"])
    TOTP.activate(coach, generate_totp_secret())

    response = full_login(client)

    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("workspace:board")).url.startswith(reverse("account_login"))
