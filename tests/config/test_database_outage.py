"""A database outage: a clean French 503 page instead of a 500, and pages come back alone.

The real thing (PostgreSQL stopped and started under load) is `bench/soak.py --fault
postgres-restart`; here the database is made to fail on purpose.
"""

from unittest import mock

from django.db import InterfaceError, OperationalError, ProgrammingError, connections
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

import pytest

from config.middleware import DatabaseUnavailableMiddleware
from tests.factories import UserFactory

OUTAGE_TITLE = "Service momentanément indisponible"
SECRET_DETAIL = "could not connect to server at 10.0.0.7 port 5432"


def assert_outage_page(response):
    assert response.status_code == 503
    body = response.content.decode()
    assert OUTAGE_TITLE in body and "Erreur 503" in body
    assert "Réessayer" in body
    # Nothing of the error reaches the visitor: no traceback, no host, no driver message.
    assert SECRET_DETAIL not in body and "Traceback" not in body
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"


def every_query_fails(error_class):
    """The database answers no query at all, whoever asks (middleware, view, template)."""
    return mock.patch(
        "django.db.backends.utils.CursorWrapper._execute", side_effect=error_class(SECRET_DETAIL)
    )


def connections_refused():
    """The connection is closed and the server refuses new ones, as while PostgreSQL
    restarts; Django wraps the driver's own error, as it does for a real refusal."""
    database = connections["default"]
    database.close()
    refused = database.Database.OperationalError(SECRET_DETAIL)
    return mock.patch.object(database, "get_new_connection", side_effect=refused)


@pytest.fixture
def agent_client():
    # The 500 Django builds first re-raises in the test client unless told otherwise.
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("error_class", [OperationalError, InterfaceError])
def test_a_logged_in_page_gets_the_503_page_when_the_database_fails(agent_client, error_class):
    # The first query is the session's, in a middleware, before any view runs.
    with every_query_fails(error_class):
        response = agent_client.get(reverse("workspace:home"))

    assert_outage_page(response)


@pytest.mark.django_db
def test_a_public_page_gets_the_503_page_when_the_database_fails():
    client = Client(raise_request_exception=False)
    with every_query_fails(OperationalError):
        response = client.get("/", {"q": "sans cache"})

    assert_outage_page(response)


@pytest.mark.django_db
def test_a_view_that_loses_the_database_gets_the_503_page_without_a_500(client):
    client.force_login(UserFactory())
    # The default test client re-raises any exception Django turned into a 500:
    # this one must be answered by the middleware before that.
    with mock.patch(
        "incubator.views.cockpit.selectors.startups_followed_by",
        side_effect=OperationalError(SECRET_DETAIL),
    ):
        response = client.get(reverse("workspace:startup_list"))

    assert_outage_page(response)


@pytest.mark.django_db
def test_the_503_page_is_in_the_visitors_chosen_language_setting(agent_client, settings):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with every_query_fails(OperationalError):
        response = agent_client.get(reverse("workspace:home"))

    assert response.status_code == 503
    assert '<html lang="en"' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("error", [ProgrammingError("bad SQL"), ValueError("a bug")])
def test_a_bug_is_still_a_500(agent_client, error):
    with mock.patch("incubator.views.cockpit.selectors.startups_followed_by", side_effect=error):
        response = agent_client.get(reverse("workspace:startup_list"))

    assert response.status_code == 500
    assert OUTAGE_TITLE not in response.content.decode()


@pytest.mark.django_db(transaction=True)  # the connection is really closed and reopened
def test_a_closed_connection_that_cannot_reopen_gives_503_then_pages_come_back(agent_client):
    page = reverse("workspace:startup_list")
    assert agent_client.get(page).status_code == 200

    with connections_refused():
        during = agent_client.get(page)
        again = agent_client.get(page)

    assert_outage_page(during)
    assert_outage_page(again)
    # The database is back: the next request connects again by itself, same session.
    after = agent_client.get(page)
    assert after.status_code == 200
    assert OUTAGE_TITLE not in after.content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("replica", "status"),
    [("", 503), ("postgres://replica.internal:5432/territoires_lab", 200)],
)
def test_a_read_replica_may_still_serve_pages_while_the_primary_refuses(
    settings, rf, replica, status
):
    # Without a replica every page needs the primary: the 503 comes before any work.
    # With one, an anonymous page may be read from the replica alone: it is tried.
    settings.DATABASE_REPLICA_URL = replica
    middleware = DatabaseUnavailableMiddleware(lambda request: HttpResponse("lu sur le réplica"))

    with connections_refused():
        response = middleware(rf.get("/annuaire/"))

    assert response.status_code == status


@pytest.mark.django_db
def test_the_outage_page_does_not_invite_a_signed_in_user_to_sign_in(agent_client):
    # The page is rendered without the request: it cannot know who is reading it.
    with every_query_fails(OperationalError):
        body = agent_client.get(reverse("workspace:home")).content.decode()

    assert OUTAGE_TITLE in body
    assert "fr-icon-lock-line" not in body  # the header's "Se connecter" button


@pytest.mark.django_db
def test_an_anonymous_page_still_offers_to_sign_in(client):
    body = client.get(reverse("account_login")).content.decode()

    assert "fr-icon-lock-line" in body
