"""Anonymous visitors get public pages from the cache, and see every change at once."""

import pytest

from cms.models import StartupDirectoryPage
from tests.factories import StartupFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def startup_url():
    startup = StartupFactory(name="Cantine Ouverte", pitch="Des repas locaux.")
    return startup, f"{StartupDirectoryPage.objects.get().url}{startup.slug}/"


def test_a_public_page_is_served_from_the_cache_until_its_data_change(client, startup_url):
    startup, url = startup_url
    first = client.get(url)
    assert first.status_code == 200 and first["X-Cache"] == "miss"
    assert "Des repas locaux." in first.text
    again = client.get(url)
    assert again["X-Cache"] == "hit" and again.content == first.content

    startup.pitch = "Des repas locaux, en circuit court."
    startup.save()
    changed = client.get(url)
    assert changed["X-Cache"] == "miss"
    assert "en circuit court" in changed.text


def test_a_cached_page_carries_nothing_personal(client, startup_url):
    _startup, url = startup_url
    response = client.get(url)
    assert not response.cookies
    assert "csrfmiddlewaretoken" not in response.text


def test_logged_in_users_and_private_spaces_bypass_the_cache(client, startup_url):
    _startup, url = startup_url
    client.force_login(UserFactory())
    assert "X-Cache" not in client.get(url)
    assert "X-Cache" not in client.get("/espace/")
    client.logout()
    assert "X-Cache" not in client.get("/api/v1/startups/")


def test_the_language_switch_works_without_a_csrf_token(client):
    client.handler.enforce_csrf_checks = True
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "en"
    assert "Home" in client.get("/").text
