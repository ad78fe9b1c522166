"""Rate limits: DRF's anonymous and per-user throttles, counted in the default cache."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "user": "5/minute"},
    }


def test_default_rates_come_from_the_settings(settings):
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) == {"anon", "user"}


def test_anonymous_visitors_get_a_429_in_french_past_the_limit(api, network, tight_rates):
    for _ in range(3):
        assert api.get("/api/v1/startups/").status_code == 200
    response = api.get("/api/v1/lessons/")  # the limit covers the whole API
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Requête ralentie.")
    assert "Disponible à nouveau dans" in response.json()["detail"]
    assert int(response.headers["Retry-After"]) > 0


def test_csv_exports_are_throttled_too(api, network, tight_rates):
    for _ in range(3):
        api.get("/api/v1/startups.csv")
    response = api.get("/api/v1/startups.csv")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Requête ralentie.")


def test_clients_are_counted_apart(api, network, tight_rates):
    for _ in range(3):
        api.get("/api/v1/startups/", REMOTE_ADDR="10.0.0.1")
    assert api.get("/api/v1/startups/", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert api.get("/api/v1/startups/", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_count(api, network, tight_rates):
    for n in range(3):
        api.get("/api/v1/startups/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = api.get("/api/v1/startups/", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_logged_in_users_have_their_own_limit(client, network, tight_rates):
    client.force_login(UserFactory())
    for _ in range(5):
        assert client.get("/api/v1/startups/").status_code == 200
    assert client.get("/api/v1/startups/").status_code == 429
