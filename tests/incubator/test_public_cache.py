"""The public data version moves with every change the public site shows."""

import pytest

from incubator import public_cache
from incubator.models import Lesson, Theme
from tests.factories import StartupFactory, TerritoryFactory, document_stop

pytestmark = pytest.mark.django_db


def test_changes_to_public_data_bump_the_version():
    startup = StartupFactory()
    versions = [public_cache.current_version()]

    startup.pitch = "Un nouveau pitch"
    startup.save()
    versions.append(public_cache.current_version())

    startup.sponsors.add(TerritoryFactory())  # through Sponsorship
    versions.append(public_cache.current_version())

    document_stop(startup)  # a failure and its lesson
    versions.append(public_cache.current_version())

    lesson = Lesson.objects.get(startup=startup)
    lesson.themes.add(Theme.objects.create(name="Mobilité", slug="mobilite"))
    versions.append(public_cache.current_version())
    assert versions == sorted(set(versions)), versions  # strictly increasing


def test_each_bump_moves_the_version_by_one():
    start = public_cache.current_version()
    public_cache.bump()
    public_cache.bump()
    assert public_cache.current_version() == start + 2


def test_the_version_is_read_at_most_once_per_max_age(
    settings, django_assert_num_queries, monkeypatch
):
    """Cached pages cost no query; another process's change shows after the max age."""
    from incubator.models import PublicDataVersion

    settings.PUBLIC_DATA_VERSION_MAX_AGE_MS = 500
    clock = [1000.0]
    monkeypatch.setattr(public_cache.time, "monotonic", lambda: clock[0])
    public_cache.bump()
    first = public_cache.current_version()

    # Another process bumps the version: this one sees it only after the max age.
    PublicDataVersion.objects.filter(pk=1).update(version=first + 5)
    with django_assert_num_queries(0):
        assert public_cache.current_version() == first
    clock[0] += 0.6
    assert public_cache.current_version() == first + 5

    # This process's own change shows at once.
    public_cache.bump()
    assert public_cache.current_version() == first + 6


def test_remembered_data_is_kept_until_the_public_data_changes():
    calls = []

    def compute():
        calls.append(1)
        return {"startups": len(calls)}

    assert public_cache.remember("figures", compute) == {"startups": 1}
    assert public_cache.remember("figures", compute) == {"startups": 1}  # not recomputed
    StartupFactory()  # a change the public site shows
    assert public_cache.remember("figures", compute) == {"startups": 2}
    assert len(calls) == 2


def test_remembered_data_is_per_language():
    from django.utils import translation

    with translation.override("fr"):
        public_cache.remember("label", lambda: "Investigation")
    with translation.override("en"):
        assert public_cache.remember("label", lambda: "Investigation (en)") == "Investigation (en)"


def test_a_zero_lifetime_turns_remembering_off(settings):
    settings.PUBLIC_DATA_CACHE_SECONDS = 0
    calls = []
    public_cache.remember("figures", lambda: calls.append(1) or 1)
    public_cache.remember("figures", lambda: calls.append(1) or 1)
    assert len(calls) == 2


def test_the_directory_filters_follow_a_new_startup_at_once(client, settings):
    """Its choices are remembered: three queries fewer at least, and current after a change."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cms.models import StartupDirectoryPage

    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    url = StartupDirectoryPage.objects.get().url
    StartupFactory(incubator__name="Fabrique d’Armor")
    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    with CaptureQueriesContext(connection) as warm:
        assert "Fabrique d’Armor" in client.get(url).text
    assert len(warm) <= len(cold) - 3  # the three filter choices, at least
    StartupFactory(incubator__name="Incubateur des Landes")
    assert "Incubateur des Landes" in client.get(url).text


# --- Rendered fragments: the domain part of a page, once per data version -----------


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(queries)


def test_a_startup_page_is_rebuilt_when_its_startup_changes(client, settings):
    from cms.models import StartupDirectoryPage

    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # the page itself is built on each request
    directory = StartupDirectoryPage.objects.get()
    startup = StartupFactory(name="Cantine Locale", pitch="Des repas locaux")
    url = directory.startup_url(startup)
    _cold, cold_queries = _queries(client, url)
    warm, warm_queries = _queries(client, url)
    assert "Des repas locaux" in warm.text
    assert warm_queries <= cold_queries - 5  # the profile's queries are not run again

    startup.pitch = "Des repas locaux et de saison"
    startup.save()
    assert "Des repas locaux et de saison" in client.get(url).text

    # A change made without a signal (the last update date) shows at once too.
    from incubator.services import startup_touch
    from tests.factories import paris

    startup.last_activity_at = paris(2024, 3, 5)
    startup.save()
    assert "5 mars 2024" in client.get(url).text
    startup_touch(startup)
    assert "5 mars 2024" not in client.get(url).text


def test_a_shared_fragment_never_carries_the_visitor_who_built_it(client, settings):
    """The directory's results, built for a signed-in user, served to an anonymous one."""
    from cms.models import StartupDirectoryPage
    from tests.factories import UserFactory

    settings.PUBLIC_PAGE_CACHE_SECONDS = 0
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    url = StartupDirectoryPage.objects.get().url
    StartupFactory(name="Bus à la demande")
    member = UserFactory(display_name="Odile Marchand")
    client.force_login(member)
    signed_in = client.get(url).text
    assert "Odile" in signed_in and "Bus à la demande" in signed_in
    client.logout()
    anonymous = client.get(url).text
    assert "Bus à la demande" in anonymous
    assert "Odile" not in anonymous
    assert "Se déconnecter" not in anonymous
    assert 'name="csrfmiddlewaretoken"' not in anonymous


def test_the_board_is_each_coachs_own_and_follows_changes(client, settings):
    """Cached per coach: another coach never gets it, a new startup or agent shows at once."""
    from django.urls import reverse

    from incubator.enums import MembershipRole
    from incubator.models import Membership
    from tests.factories import IncubatorFactory, UserFactory

    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    url = reverse("workspace:board")
    north, south = IncubatorFactory(name="Fabrique Nord"), IncubatorFactory(name="Fabrique Sud")
    first, second = UserFactory(coach=True), UserFactory(coach=True)
    north.coaches.add(first)
    south.coaches.add(second)
    StartupFactory(name="Cantine Locale", incubator=north)
    lone = StartupFactory(name="Alerte Canicule", incubator=south)
    Membership.objects.filter(startup=lone).delete()

    client.force_login(first)
    _queries(client, url)
    warm, _count = _queries(client, url)
    assert "Cantine Locale" in warm.text and "Alerte Canicule" not in warm.text
    StartupFactory(name="Bus à la demande", incubator=north)
    assert "Bus à la demande" in client.get(url).text

    client.force_login(second)
    board = client.get(url).text
    assert "Alerte Canicule" in board and "Cantine Locale" not in board
    assert '">Aucun agent-entrepreneur</p>' in board
    Membership.objects.create(startup=lone, user=UserFactory(), role=MembershipRole.AGENT)
    assert '">Aucun agent-entrepreneur</p>' not in client.get(url).text

    # A coach moved away from an incubator no longer sees its startups.
    south.coaches.remove(second)
    assert "Alerte Canicule" not in client.get(url).text


def test_a_remembered_none_is_not_recomputed():
    """A lookup whose answer is "nothing" (no such page, no figure yet) is kept like any other."""
    calls = []

    def compute():
        calls.append(1)

    assert public_cache.remember("no-such-page", compute) is None
    assert public_cache.remember("no-such-page", compute) is None
    assert len(calls) == 1
    StartupFactory()  # a change the public site shows: computed anew
    assert public_cache.remember("no-such-page", compute) is None
    assert len(calls) == 2
