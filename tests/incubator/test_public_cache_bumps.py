"""A team's write bumps the public data version once: the record's save does it, and
touching the startup's "last activity" rides along in the same transaction."""

import datetime
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from incubator import public_cache, services
from incubator.enums import MilestoneStatus
from incubator.models import PublicDataVersion
from tests.factories import StartupFactory, UserFactory, paris

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 10)
VERSION_TABLE = PublicDataVersion._meta.db_table


def version_updates(queries) -> int:
    return sum(
        1
        for query in queries
        if query["sql"].startswith("UPDATE") and VERSION_TABLE in query["sql"]
    )


@pytest.fixture
def startup():
    return StartupFactory(name="Cantine Locale")


def test_logging_a_milestone_bumps_the_version_exactly_once(startup):
    before = public_cache.current_version()
    with CaptureQueriesContext(connection) as captured:
        milestone = services.milestone_log(
            startup=startup, author=None, title="Premier repas servi", due_date=TODAY
        )
    assert version_updates(captured.captured_queries) == 1
    assert public_cache.current_version() == before + 1

    with CaptureQueriesContext(connection) as captured:
        services.milestone_update(
            milestone=milestone,
            title=milestone.title,
            description="",
            status=MilestoneStatus.ACHIEVED,
            due_date=TODAY,
            achieved_on=TODAY,
            evidence_url="https://cantine.exemple.fr",
        )
    assert version_updates(captured.captured_queries) == 1
    assert public_cache.current_version() == before + 2
    # The "last activity" was still recorded, in the same transaction.
    startup.refresh_from_db()
    assert startup.last_activity_at is not None


@pytest.mark.parametrize(
    "write",
    [
        lambda s: services.experiment_record(
            startup=s,
            hypothesis="Les familles réservent",
            success_criterion="50 %",
            start_date=TODAY,
        ),
        lambda s: services.indicator_define(startup=s, name="Repas servis"),
        lambda s: services.measurement_add(
            indicator=services.indicator_define(startup=s, name="Repas"),
            date=TODAY,
            value=Decimal("12"),
        ),
        lambda s: services.startup_update_profile(startup=s, actor=None, pitch="Un autre pitch"),
    ],
    ids=["experiment", "indicator", "measurement", "profile"],
)
def test_every_touching_write_still_moves_the_version(startup, write):
    before = public_cache.current_version()
    write(startup)
    assert public_cache.current_version() > before


def test_a_cached_startup_page_shows_the_new_last_update_after_a_milestone(
    client, settings, startup
):
    from cms.models import StartupDirectoryPage

    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # the page is built each time, its fragment cached
    url = StartupDirectoryPage.objects.get().startup_url(startup)
    startup.last_activity_at = paris(2024, 3, 5)
    startup.save()
    assert "5 mars 2024" in client.get(url).text
    assert "5 mars 2024" in client.get(url).text  # served from the fragment cache

    services.milestone_log(startup=startup, author=None, title="Premier repas servi")

    assert "5 mars 2024" not in client.get(url).text


def test_touching_without_a_tracked_record_still_bumps(startup):
    before = public_cache.current_version()
    services.startup_touch(startup, after=UserFactory())  # users are not on public pages
    assert public_cache.current_version() == before + 1
