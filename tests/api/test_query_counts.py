"""Every list and export costs the same number of queries for 10 rows or 200 (DESIGN §7)."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from incubator import services
from incubator.enums import Phase, Visibility
from incubator.models import Sponsorship, Theme
from tests.factories import StartupFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

URLS = [
    "/api/v1/startups/?page_size=200",
    "/api/v1/lessons/?page_size=200",
    "/api/v1/indicators/?page_size=200",
    "/api/v1/territories/?page_size=200",
    "/api/v1/incubators/?page_size=200",
    "/api/v1/startups/?page_size=200&theme=mobilite",
    "/api/v1/startups.csv",
    "/api/v1/lessons.csv",
    "/api/v1/indicators.csv",
    "/api/v1/territories.csv",
    "/api/v1/incubators.csv",
]


def grow(count: int, themes) -> None:
    """Startups with everything a row shows: phases, sponsors, themes, values, lessons."""
    for _ in range(count):
        startup = StartupFactory()  # its own incubator
        services.startup_change_phase(
            startup=startup,
            to_phase=Phase.CONSTRUCTION,
            actor=None,
            on=datetime.date(2024, 6, 1),
            rationale="Suite.",
            gate_override_reason="Test.",
        )
        startup.themes.set(themes)
        for territory in (TerritoryFactory(), TerritoryFactory()):
            Sponsorship.objects.create(startup=startup, territory=territory)
        indicator = services.indicator_define(startup=startup, name="Usagers")
        for month in (2, 3):
            services.measurement_add(
                indicator=indicator, date=datetime.date(2024, month, 1), value=Decimal(month)
            )
        services.lesson_create(
            startup=startup,
            title=f"Leçon de {startup.name}",
            body="Texte.",
            author=None,
            visibility=Visibility.PUBLIC,
            themes=themes,
        )


def test_lists_and_exports_run_a_constant_number_of_queries(
    api, settings, django_assert_max_num_queries
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1000/minute", "user": "1000/minute"},
    }
    themes = [
        Theme.objects.create(name="Mobilité", slug="mobilite"),
        Theme.objects.create(name="Santé", slug="sante"),
    ]
    grow(10, themes)
    small = {}
    for url in URLS:
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200, url
        small[url] = (len(queries), len(response.content))

    grow(190, themes)
    for url in URLS:
        budget, small_size = small[url]
        with django_assert_max_num_queries(budget):
            response = api.get(url)
        assert response.status_code == 200, url
        assert len(response.content) > 5 * small_size, url  # the new rows are there
