"""ETag and Last-Modified on every list, detail and export; 304 when the copy is current."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

import pytest

from incubator import services
from incubator.enums import Phase, Visibility
from incubator.models import Territory

pytestmark = pytest.mark.django_db

URLS = [
    "/api/v1/startups/",
    "/api/v1/startups/?phase=construction",
    "/api/v1/startups/bus-a-la-demande/",
    "/api/v1/lessons/",
    "/api/v1/lessons/observer-avant-de-construire/",
    "/api/v1/indicators/",
    "/api/v1/territories/",
    "/api/v1/territories/lille/",
    "/api/v1/incubators/",
    "/api/v1/incubators/anct/",
    "/api/v1/startups.csv",
    "/api/v1/lessons.csv",
    "/api/v1/indicators.csv",
    "/api/v1/territories.csv",
    "/api/v1/incubators.csv",
]


@pytest.mark.parametrize("url", URLS)
def test_every_list_detail_and_export_has_validators(api, network, url):
    response = api.get(url)
    assert response.status_code == 200
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Last-Modified"].endswith("GMT")


@pytest.mark.parametrize("url", URLS)
def test_a_current_etag_gets_a_304_for_one_query(api, network, url):
    etag = api.get(url).headers["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag
    assert len(queries) == 1  # the version query; no row is loaded


@pytest.mark.parametrize("url", URLS)
def test_a_current_date_gets_a_304(api, network, url):
    last_modified = api.get(url).headers["Last-Modified"]
    response = api.get(url, headers={"if-modified-since": last_modified})
    assert response.status_code == 304


def test_an_old_date_or_another_etag_gets_the_content(api, network):
    url = "/api/v1/startups/"
    old = http_date((datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=3)).timestamp())
    assert api.get(url, headers={"if-modified-since": old}).status_code == 200
    assert api.get(url, headers={"if-none-match": 'W/"autre"'}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110).
    current = api.get(url)
    response = api.get(
        url,
        headers={"if-none-match": 'W/"autre"', "if-modified-since": current["Last-Modified"]},
    )
    assert response.status_code == 200


def etags(api):
    return {url: api.get(url).headers["ETag"] for url in URLS}


def changed(before, after):
    return {url for url in URLS if before[url] != after[url]}


def test_a_phase_change_changes_the_startup_etags(api, network):
    before = etags(api)
    services.startup_change_phase(
        startup=network.startup,
        to_phase=Phase.ACCELERATION,
        actor=None,
        on=datetime.date(2024, 9, 1),
        rationale="Le service est utilisé.",
        gate_override_reason="Test.",
    )
    after = etags(api)
    assert {
        "/api/v1/startups/",
        "/api/v1/startups/bus-a-la-demande/",
        "/api/v1/startups.csv",
    } <= changed(before, after)
    assert (
        api.get(
            "/api/v1/startups/", headers={"if-none-match": before["/api/v1/startups/"]}
        ).status_code
        == 200
    )


def test_a_new_measurement_changes_the_indicator_etags(api, network):
    before = etags(api)
    services.measurement_add(
        indicator=network.indicator, date=datetime.date(2024, 4, 1), value=Decimal("55")
    )
    assert {"/api/v1/indicators/", "/api/v1/indicators.csv"} <= changed(before, etags(api))


def test_a_deleted_measurement_changes_the_indicator_etags(api, network):
    before = etags(api)
    network.indicator.measurements.order_by("date").first().delete()
    assert {"/api/v1/indicators/", "/api/v1/indicators.csv"} <= changed(before, etags(api))


def test_a_renamed_sponsor_changes_the_startup_etags(api, network):
    before = etags(api)
    Territory.objects.filter(pk=network.nord.pk).update(slug="departement-du-nord")
    territory = Territory.objects.get(pk=network.nord.pk)
    territory.save()  # moves `updated`, as every writer does
    assert "/api/v1/startups/bus-a-la-demande/" in changed(before, etags(api))


def test_a_startup_leaving_the_public_set_changes_every_etag_that_showed_it(api, network):
    before = etags(api)
    network.other.visibility = Visibility.PRIVATE
    network.other.save()
    after = etags(api)
    assert {
        "/api/v1/startups/",
        "/api/v1/lessons/",
        "/api/v1/indicators/",
        "/api/v1/territories/",
        "/api/v1/incubators/",
        "/api/v1/startups.csv",
        "/api/v1/indicators.csv",
    } <= changed(before, after)
    # Records that never showed it keep their ETag.
    assert (
        before["/api/v1/startups/bus-a-la-demande/"] == after["/api/v1/startups/bus-a-la-demande/"]
    )


def test_etags_differ_between_resources_and_filters(api, network):
    values = etags(api)
    assert values["/api/v1/startups/"] != values["/api/v1/startups/?phase=construction"]
    assert len(set(values.values())) == len(URLS)
