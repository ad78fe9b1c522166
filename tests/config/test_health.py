"""`/sante/` tells a load balancer whether this instance can serve, without details."""

from unittest import mock

from django.db import OperationalError
from django.test import Client
from django.urls import reverse

import pytest

SECRET_DETAIL = "could not connect to server at 10.0.0.7 port 5432"


@pytest.mark.django_db
def test_a_working_instance_answers_ok(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_database_that_fails_gives_503_without_saying_why():
    client = Client(raise_request_exception=False)
    with mock.patch(
        "django.db.backends.utils.CursorWrapper._execute",
        side_effect=OperationalError(SECRET_DETAIL),
    ):
        response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json() == {"status": "error", "checks": {"database": "error", "cache": "ok"}}
    assert SECRET_DETAIL not in response.content.decode()


@pytest.mark.django_db
def test_a_cache_that_loses_values_gives_503(client):
    with mock.patch("config.health.cache.get", return_value=None):
        response = client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "error"}


@pytest.mark.django_db
def test_it_only_reads(client):
    assert client.post(reverse("health")).status_code == 405
    assert client.head(reverse("health")).status_code == 200
