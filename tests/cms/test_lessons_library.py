"""The lessons library: list, filters, search, a page per lesson, feeds, sitemap, queries."""

import datetime
import xml.etree.ElementTree as ET

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from cms.models import LessonsLibraryPage, StartupDirectoryPage
from incubator import services
from incubator.enums import FailureReason, FailureScope, Phase, TerritoryKind, Visibility
from incubator.models import Experiment, Lesson, Sponsorship, Theme
from tests.factories import StartupFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def library():
    return LessonsLibraryPage.objects.get()


def stop(
    startup,
    *,
    title,
    body="Deux semaines au guichet.",
    reason=FailureReason.NO_USER_NEED,
    consent=True,
    visibility=Visibility.PUBLIC,
    on=datetime.date(2024, 6, 1),
    themes=(),
):
    """A post-mortem with one lesson, as a stop requires."""
    failure = services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=reason,
        occurred_on=on,
        author=None,
        what_we_learned="Les agents d’accueil avaient déjà un outil.",
        why_we_stop="Le besoin n’a pas été confirmé sur le terrain.",
        advice_for_relaunch="Commencer par observer les guichets.",
        publication_consent=consent,
        lessons=[{"title": title, "body": body, "visibility": visibility, "themes": themes}],
    )
    return failure.lessons.get()


def parse_feed(response) -> ET.Element:
    return ET.fromstring(response.content)  # noqa: S314 - our own server's output


def titles_in(response) -> set[str]:
    return {lesson.title for lesson in response.context["lessons"]}


@pytest.fixture
def hidden_lessons():
    """Lessons that must never show, whatever the surface."""
    private_startup = StartupFactory(name="Projet Confidentiel", visibility=Visibility.PRIVATE)
    archived_startup = StartupFactory(name="Projet Rangé")
    lessons = [
        stop(StartupFactory(), title="Leçon privée du guichet", visibility=Visibility.PRIVATE),
        stop(StartupFactory(), title="Leçon sans consentement au guichet", consent=False),
        stop(private_startup, title="Leçon d’une startup privée au guichet"),
        stop(archived_startup, title="Leçon d’une startup archivée au guichet"),
    ]
    archived = stop(StartupFactory(), title="Leçon archivée au guichet")
    services.archive(obj=archived, actor=None)
    services.archive(obj=archived_startup, actor=None)
    return [*lessons, archived]


# --- The list ------------------------------------------------------------------------


def test_an_empty_library_says_so(client, library):
    response = client.get(library.url)
    assert response.status_code == 200
    assert "Aucune leçon n’est encore publiée" in response.text


def test_the_library_lists_public_lessons_only(client, library, hidden_lessons):
    shown = stop(StartupFactory(name="Guichet Unique"), title="Observer avant de construire")
    response = client.get(library.url)
    assert titles_in(response) == {shown.title}
    for lesson in hidden_lessons:
        assert lesson.title not in response.text
    assert "1 leçon" in response.text
    assert f'href="{library.url}{shown.slug}/"' in response.text


def test_the_library_links_its_feeds_in_the_head(client, library):
    html = client.get(library.url).text
    head = html.split("</head>")[0]
    assert (
        f'rel="alternate" type="application/rss+xml" title="Leçons apprises (RSS)" href="{library.url}flux/rss/"'
        in head
    )
    assert (
        f'type="application/atom+xml" title="Leçons apprises (Atom)" href="{library.url}flux/atom/"'
        in head
    )


def test_filters_by_root_cause(client, library):
    stop(StartupFactory(), title="Pas de besoin", reason=FailureReason.NO_USER_NEED)
    stop(StartupFactory(), title="Plus d’argent", reason=FailureReason.NO_FUNDING)
    response = client.get(library.url, {"cause": FailureReason.NO_FUNDING})
    assert titles_in(response) == {"Plus d’argent"}
    # Only causes that public lessons have are offered.
    assert "Problème technique" not in response.text


def test_filters_by_the_phase_the_startup_was_in(client, library):
    early = StartupFactory(name="Arrêt Précoce", started_on=datetime.date(2024, 1, 15))
    stop(early, title="Arrêtée en investigation", on=datetime.date(2024, 3, 1))
    services.startup_change_phase(
        startup=early,
        to_phase=Phase.ABANDONED,
        actor=None,
        on=datetime.date(2024, 3, 1),
        rationale="Arrêt.",
    )
    later = StartupFactory(name="Arrêt Tardif", started_on=datetime.date(2024, 1, 15))
    services.startup_change_phase(
        startup=later,
        to_phase=Phase.CONSTRUCTION,
        actor=None,
        on=datetime.date(2024, 4, 1),
        rationale="En avant.",
    )
    stop(later, title="Arrêtée en construction", on=datetime.date(2024, 6, 1))

    investigation = client.get(library.url, {"phase": Phase.INVESTIGATION})
    assert titles_in(investigation) == {"Arrêtée en investigation"}
    assert titles_in(client.get(library.url, {"phase": Phase.CONSTRUCTION})) == {
        "Arrêtée en construction"
    }
    # Stopped the day of the post-mortem: the phase shown is the one it stopped in.
    assert "Phase : Investigation" in investigation.text


def test_a_lesson_of_an_experiment_dates_from_the_experiment(client, library):
    startup = StartupFactory(started_on=datetime.date(2024, 1, 15))
    experiment = Experiment.objects.create(
        startup=startup,
        hypothesis="Les usagers viennent seuls.",
        success_criterion="60 %",
        start_date=datetime.date(2024, 2, 1),
        end_date=datetime.date(2024, 3, 1),
    )
    services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=None,
        on=datetime.date(2024, 4, 1),
        rationale="En avant.",
    )
    services.lesson_create(
        startup=startup,
        experiment=experiment,
        title="Tester au guichet",
        body="Le test a montré l’inverse.",
        author=None,
        visibility=Visibility.PUBLIC,
    )
    response = client.get(library.url, {"phase": Phase.INVESTIGATION})
    assert titles_in(response) == {"Tester au guichet"}
    assert "Expérimentation du 1er mars 2024" in response.text


def test_filters_by_theme_own_or_inherited_from_the_startup(client, library):
    health = Theme.objects.create(name="Santé", slug="sante")
    own = stop(StartupFactory(), title="Thème propre", themes=[health])
    themed_startup = StartupFactory()
    themed_startup.themes.add(health)
    stop(themed_startup, title="Thème hérité")
    stop(StartupFactory(), title="Sans thème")
    assert own.themes.exists()
    assert titles_in(client.get(library.url, {"thematique": "sante"})) == {
        "Thème propre",
        "Thème hérité",
    }


def test_filters_by_kind_of_sponsor_territory(client, library):
    city, region = StartupFactory(), StartupFactory()
    Sponsorship.objects.create(startup=city, territory=TerritoryFactory(kind=TerritoryKind.COMMUNE))
    Sponsorship.objects.create(
        startup=region, territory=TerritoryFactory(kind=TerritoryKind.REGION)
    )
    stop(city, title="Leçon communale")
    stop(region, title="Leçon régionale")
    response = client.get(library.url, {"type_territoire": TerritoryKind.REGION})
    assert titles_in(response) == {"Leçon régionale"}


def test_search_reads_title_body_and_the_startup_problem(client, library, hidden_lessons):
    stop(StartupFactory(), title="Observer les guichets", body="Deux semaines.")
    stop(StartupFactory(), title="Autre chose", body="Passer du temps au guichet de la mairie.")
    stop(
        StartupFactory(problem="Les usagers attendent au guichet."),
        title="Problème partagé",
        body="Rien à voir.",
    )
    stop(StartupFactory(), title="Mesurer avant d’inciter", body="Une prime.")
    response = client.get(library.url, {"q": "guichet"})
    assert titles_in(response) == {"Observer les guichets", "Autre chose", "Problème partagé"}
    for lesson in hidden_lessons:
        assert lesson.title not in response.text
    assert "Aucun résultat" in client.get(library.url, {"q": "hélicoptère"}).text


def test_an_invalid_filter_is_reported_and_ignored(client, library):
    stop(StartupFactory(), title="Observer avant de construire")
    response = client.get(library.url, {"cause": "inconnue", "phase": "abandon"})
    assert titles_in(response) == {"Observer avant de construire"}
    assert "fr-select-group--error" in response.text


def test_the_library_is_paginated(client, library):
    for index in range(LessonsLibraryPage.PAGE_SIZE + 1):
        stop(StartupFactory(), title=f"Leçon {index:02d}")
    assert len(client.get(library.url).context["lessons"]) == LessonsLibraryPage.PAGE_SIZE
    assert len(client.get(library.url, {"page": 2}).context["lessons"]) == 1


# --- A lesson's page -----------------------------------------------------------------


def test_a_lesson_page_links_to_its_startup_and_its_post_mortem(client, library):
    startup = StartupFactory(name="Guichet Unique", problem="Trois dossiers pour une aide.")
    lesson = stop(startup, title="Observer avant de construire")
    directory = StartupDirectoryPage.objects.get()
    response = client.get(f"{library.url}{lesson.slug}/")
    html = response.text
    assert response.status_code == 200
    assert "<title>Observer avant de construire — Leçons apprises" in html
    assert "Le besoin n’a pas été confirmé sur le terrain." in html  # the post-mortem
    assert "Trois dossiers pour une aide." in html
    startup_url = f"{directory.url}{startup.slug}/"
    assert f'href="{startup_url}"' in html
    assert f'href="{startup_url}#echec-{lesson.failure_id}"' in html
    # …and the startup's page has that anchor and links back.
    startup_html = client.get(startup_url).text
    assert f'id="echec-{lesson.failure_id}"' in startup_html
    assert f'href="{library.url}{lesson.slug}/"' in startup_html


def test_hidden_lessons_have_no_page(client, library, hidden_lessons):
    for lesson in hidden_lessons:
        response = client.get(f"{library.url}{lesson.slug}/")
        assert response.status_code == 404, lesson.title
        assert lesson.title not in response.text


# --- Feeds and sitemap ------------------------------------------------------------------


def test_the_rss_feed_lists_the_latest_public_lessons(client, library, hidden_lessons):
    shown = stop(StartupFactory(name="Guichet Unique"), title="Observer avant de construire")
    response = client.get(f"{library.url}flux/rss/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = parse_feed(response).find("channel")
    assert channel.findtext("title") == "Leçons apprises"
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == [shown.title]
    assert items[0].findtext("link").endswith(f"{library.url}{shown.slug}/")
    assert "Guichet Unique" in items[0].findtext("description")


def test_the_atom_feed_lists_the_latest_public_lessons(client, library, hidden_lessons):
    shown = stop(StartupFactory(), title="Observer avant de construire")
    response = client.get(f"{library.url}flux/atom/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse_feed(response)
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [shown.title]
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith(f"{library.url}flux/atom/")


def test_feeds_hold_the_latest_twenty_lessons(client, library):
    for index in range(22):
        stop(StartupFactory(), title=f"Leçon {index:02d}")
    items = parse_feed(client.get(f"{library.url}flux/rss/")).findall("channel/item")
    assert len(items) == 20
    assert items[0].findtext("title") == "Leçon 21"


def test_the_sitemap_lists_public_lesson_pages_only(client, library, hidden_lessons):
    shown = stop(StartupFactory(), title="Observer avant de construire")
    xml = client.get("/sitemap.xml").text
    assert f"{library.url}{shown.slug}/</loc>" in xml
    for lesson in hidden_lessons:
        assert lesson.slug not in xml


# --- Queries ------------------------------------------------------------------------------


def populate(count: int, *, start: int = 0):
    theme = Theme.objects.get_or_create(name="Mobilité", slug="mobilite")[0]
    for index in range(start, start + count):
        startup = StartupFactory()
        Sponsorship.objects.create(startup=startup, territory=TerritoryFactory())
        Sponsorship.objects.create(
            startup=startup, territory=TerritoryFactory(kind=TerritoryKind.REGION)
        )
        stop(startup, title=f"Leçon du guichet {index:03d}", themes=[theme])


@pytest.mark.usefixtures("uncached_pages")
@pytest.mark.parametrize(
    "params",
    [
        {},
        {
            "q": "guichet",
            "cause": FailureReason.NO_USER_NEED,
            "phase": Phase.INVESTIGATION,
            "thematique": "mobilite",
            "type_territoire": TerritoryKind.REGION,
        },
    ],
)
def test_the_list_costs_the_same_queries_for_10_or_200_lessons(
    client, library, django_assert_max_num_queries, params
):
    populate(10)
    client.get(library.url, params)
    with CaptureQueriesContext(connection) as queries:
        client.get(library.url, params)
    populate(190, start=10)
    with django_assert_max_num_queries(len(queries)):
        response = client.get(library.url, params)
    assert len(response.context["lessons"]) == LessonsLibraryPage.PAGE_SIZE


@pytest.mark.usefixtures("uncached_pages")
def test_a_lesson_page_and_the_feed_cost_the_same_queries_whatever_the_count(
    client, library, django_assert_max_num_queries
):
    startup = StartupFactory()
    first = stop(startup, title="Première leçon")
    budgets = {}
    for url in (f"{library.url}{first.slug}/", f"{library.url}flux/rss/"):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        budgets[url] = len(queries)
    for index in range(30):
        stop(startup, title=f"Leçon {index}")
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget):
            client.get(url)
    assert Lesson.objects.count() == 31
