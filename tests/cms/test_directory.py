"""The public startup directory: list, filters, search, a page per startup, sitemap, queries."""

import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from cms.models import StartupDirectoryPage
from incubator import services
from incubator.enums import (
    AccessibilityCompliance,
    DeploymentStatus,
    FailureReason,
    FailureScope,
    MilestoneStatus,
    Phase,
    TerritoryKind,
    Visibility,
)
from incubator.models import Deployment, Measurement, Milestone, Sponsorship, Startup, Theme
from incubator.pagination import paginate
from incubator.search import normalise, query_words, search, word_pattern
from tests.factories import IncubatorFactory, IndicatorFactory, StartupFactory, TerritoryFactory

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


@pytest.fixture
def directory():
    return StartupDirectoryPage.objects.get()


def detail_url(directory, startup) -> str:
    return f"{directory.url}{startup.slug}/"


def advance(startup, to_phase, on):
    services.startup_change_phase(
        startup=startup, to_phase=to_phase, actor=None, on=on, rationale="Comité favorable."
    )


def record_failure(startup, *, consent=True, lessons=(), on=datetime.date(2024, 6, 1)):
    return services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.NO_USER_NEED,
        occurred_on=on,
        author=None,
        what_we_learned="Les agents d’accueil avaient déjà un outil.",
        why_we_stop="Le besoin n’a pas été confirmé sur le terrain.",
        advice_for_relaunch="Commencer par observer les guichets.",
        publication_consent=consent,
        lessons=lessons,
    )


def public_lesson(title, **extra):
    return {"title": title, "body": "Deux semaines au guichet.", "visibility": "public", **extra}


# --- The list ------------------------------------------------------------------------


def test_an_empty_directory_says_so(client, directory):
    response = client.get(directory.url)
    assert response.status_code == 200
    assert "Aucune startup n’est encore publiée" in response.text
    assert '<meta name="description"' in response.text


def test_only_public_startups_are_listed_to_anonymous_visitors(client, directory):
    StartupFactory(name="Cantine Locale")
    StartupFactory(name="Projet Confidentiel", visibility=Visibility.PRIVATE)
    archived = StartupFactory(name="Projet Rangé")
    services.archive(obj=archived, actor=None)

    response = client.get(directory.url)
    html = response.text
    assert response.status_code == 200
    assert "Cantine Locale" in html
    assert "Projet Confidentiel" not in html and "Projet Rangé" not in html
    assert "1 startup" in html
    assert 'class="fr-breadcrumb"' in html
    assert f'href="{directory.url}cantine-locale/"' in html


def names_in(response) -> set[str]:
    return {startup.name for startup in response.context["startups"]}


def test_filters_by_phase_incubator_territory_theme_and_lessons(client, directory):
    north = IncubatorFactory(name="Fabrique Nord", slug="nord")
    lille = TerritoryFactory(name="Ville de Lille", slug="lille")
    health = Theme.objects.create(name="Santé", slug="sante")
    building = StartupFactory(name="Chantier Ouvert", incubator=north)
    advance(building, Phase.CONSTRUCTION, datetime.date(2024, 3, 1))
    sponsored = StartupFactory(name="Bus Scolaire")
    Sponsorship.objects.create(startup=sponsored, territory=lille)
    themed = StartupFactory(name="Santé Rurale")
    themed.themes.add(health)
    learned = StartupFactory(name="Guichet Unique")
    record_failure(learned, lessons=[public_lesson("Observer avant de construire")])
    private_only = StartupFactory(name="Leçon Discrète")
    record_failure(private_only, lessons=[{"title": "Privée", "body": "Texte."}])

    assert names_in(client.get(directory.url, {"phase": "construction"})) == {"Chantier Ouvert"}
    assert names_in(client.get(directory.url, {"incubateur": "nord"})) == {"Chantier Ouvert"}
    assert names_in(client.get(directory.url, {"territoire": "lille"})) == {"Bus Scolaire"}
    assert names_in(client.get(directory.url, {"thematique": "sante"})) == {"Santé Rurale"}
    assert names_in(client.get(directory.url, {"lecons": "on"})) == {"Guichet Unique"}
    # Filters combine.
    both = client.get(directory.url, {"phase": "investigation", "territoire": "lille"})
    assert names_in(both) == {"Bus Scolaire"}
    assert "Effacer les filtres" in both.text


def test_filter_choices_only_offer_what_public_startups_use(client, directory):
    shown = StartupFactory(name="Visible")
    hidden = StartupFactory(name="Cachée", visibility=Visibility.PRIVATE)
    Sponsorship.objects.create(startup=shown, territory=TerritoryFactory(name="Ville Affichée"))
    Sponsorship.objects.create(startup=hidden, territory=TerritoryFactory(name="Ville Secrète"))
    html = client.get(directory.url).text
    assert "Ville Affichée" in html
    assert "Ville Secrète" not in html and hidden.incubator.name not in html


def test_an_invalid_filter_is_reported_and_ignored(client, directory):
    StartupFactory(name="Cantine Locale")
    response = client.get(directory.url, {"phase": "n-importe-quoi", "territoire": "nulle-part"})
    assert response.status_code == 200
    assert names_in(response) == {"Cantine Locale"}
    assert "fr-select-group--error" in response.text


def test_no_result_is_not_an_empty_directory(client, directory):
    StartupFactory(name="Cantine Locale")
    response = client.get(directory.url, {"q": "hélicoptère"})
    assert "Aucun résultat" in response.text
    assert "Aucune startup n’est encore publiée" not in response.text


def test_search_reads_name_pitch_and_problem(client, directory):
    StartupFactory(name="Cantine Locale", pitch="Des repas scolaires de producteurs voisins.")
    StartupFactory(name="Bus Malin", problem="Les cantines ferment trop tôt le mercredi.")
    StartupFactory(name="Eau Suivie", pitch="Suivre la consommation d’eau.")
    assert names_in(client.get(directory.url, {"q": "cantine"})) == {
        "Cantine Locale",
        "Bus Malin",
    }
    assert names_in(client.get(directory.url, {"q": "repas producteurs"})) == {"Cantine Locale"}


def test_search_never_finds_a_private_startup(client, directory):
    StartupFactory(name="Cantine Secrète", visibility=Visibility.PRIVATE)
    StartupFactory(name="Eau Suivie")
    response = client.get(directory.url, {"q": "cantine"})
    assert "Cantine Secrète" not in response.text
    assert "Aucun résultat" in response.text


def test_the_directory_is_paginated(client, directory):
    for index in range(StartupDirectoryPage.PAGE_SIZE + 1):
        StartupFactory(name=f"Startup {index:02d}")
    first = client.get(directory.url)
    assert len(first.context["startups"]) == StartupDirectoryPage.PAGE_SIZE
    assert 'class="fr-pagination' in first.text and 'href="?page=2"' in first.text
    second = client.get(directory.url, {"page": 2})
    assert names_in(second) == {f"Startup {StartupDirectoryPage.PAGE_SIZE:02d}"}
    assert client.get(directory.url, {"page": "abc"}).status_code == 200


@pytest.mark.parametrize(
    ("count", "number", "expected"),
    [
        (2, 1, [1, 2]),
        (5, 3, [1, 2, 3, 4, 5]),
        (17, 1, [1, 2, "…", 16, 17]),
        (17, 9, [1, 2, "…", 8, 9, 10, "…", 16, 17]),
    ],
)
def test_pagination_links_the_ends_and_the_neighbours(rf, count, number, expected):
    page = paginate(list(range(count)), rf.get("/", {"page": number}), 1)
    assert page.pages_list == expected


# --- A startup's page -----------------------------------------------------------------


@pytest.fixture
def documented_startup():
    """A public startup with something in every section, and private things beside them."""
    startup = StartupFactory(
        name="Guichet Unique",
        pitch="Un seul guichet pour les aides au logement.",
        problem="Les usagers font trois dossiers.",
        solution_hypothesis="Un formulaire commun aux trois services.",
        target_users="Locataires du parc social.",
        repository="https://forge.exemple.fr/guichet",
        accessibility_status=AccessibilityCompliance.PARTIAL,
    )
    Sponsorship.objects.create(
        startup=startup, territory=TerritoryFactory(name="Département du Nord")
    )
    Deployment.objects.create(
        startup=startup,
        territory=TerritoryFactory(name="Ville de Brest"),
        status=DeploymentStatus.ACTIVE,
    )
    shown = IndicatorFactory(startup=startup, name="Dossiers déposés", target=Decimal(500))
    hidden = IndicatorFactory(startup=startup, name="Coût interne par dossier", is_public=False)
    for month in range(1, 4):
        Measurement.objects.create(indicator=shown, date=datetime.date(2024, month, 1), value=month)
        Measurement.objects.create(indicator=hidden, date=datetime.date(2024, month, 1), value=9)
    Milestone.objects.create(
        startup=startup,
        title="Premier dossier commun",
        status=MilestoneStatus.ACHIEVED,
        achieved_on=datetime.date(2024, 2, 1),
    )
    advance(startup, Phase.CONSTRUCTION, datetime.date(2024, 3, 1))
    record_failure(
        startup,
        on=datetime.date(2024, 4, 1),
        lessons=[
            public_lesson("Observer avant de construire"),
            {"title": "Leçon interne", "body": "Réservée à l’équipe."},
        ],
    )
    services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.SPONSOR_WITHDREW,
        occurred_on=datetime.date(2024, 5, 1),
        author=None,
        what_we_learned="Un désaccord politique sans consentement à publier.",
        why_we_stop="Confidentiel.",
        advice_for_relaunch="Confidentiel.",
        publication_consent=False,
        lessons=[public_lesson("Leçon d’un échec non consenti")],
    )
    return startup


def test_a_startup_page_shows_its_public_profile(client, directory, documented_startup):
    response = client.get(detail_url(directory, documented_startup))
    html = response.text
    assert response.status_code == 200
    assert "<title>Guichet Unique — Les startups" in html
    for text in [
        "Un seul guichet pour les aides au logement.",
        "Les usagers font trois dossiers.",
        "Un formulaire commun aux trois services.",
        "Locataires du parc social.",
        "Département du Nord",
        "Ville de Brest",
        "Premier dossier commun",
        "Dossiers déposés",
        "Les agents d’accueil avaient déjà un outil.",
        "Observer avant de construire",
        "Partiellement conforme",
        "https://forge.exemple.fr/guichet",
    ]:
        assert text in html, text
    # Phase history from the PhaseTransition rows, oldest first.
    assert [stay.phase for stay in response.context["phase_stays"]] == [
        Phase.INVESTIGATION,
        Phase.CONSTRUCTION,
    ]
    # The indicator's chart and its data table.
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "Données du graphique" in html
    # Transparency: the repository is published, the budget is not.
    assert html.count("non publié") == 3  # budget, statistics, impact
    # The post-mortem is anchored for lesson pages.
    failure = documented_startup.failures.get(publication_consent=True)
    assert f'id="echec-{failure.pk}"' in html


def test_a_startup_page_hides_what_is_not_public(client, directory, documented_startup):
    html = client.get(detail_url(directory, documented_startup)).text
    assert "Coût interne par dossier" not in html
    assert "Leçon interne" not in html
    assert "Leçon d’un échec non consenti" not in html
    assert "Un désaccord politique" not in html


def test_a_private_or_archived_startup_has_no_page(client, directory):
    private = StartupFactory(name="Projet Confidentiel", visibility=Visibility.PRIVATE)
    archived = StartupFactory(name="Projet Rangé")
    services.archive(obj=archived, actor=None)
    for startup in (private, archived):
        response = client.get(detail_url(directory, startup))
        assert response.status_code == 404
        assert startup.name not in response.text
    assert client.get(f"{directory.url}n-existe-pas/").status_code == 404


def test_a_stale_profile_says_so(client, directory):
    startup = StartupFactory(name="Cantine Locale")
    url = detail_url(directory, startup)
    assert "pas été mise à jour depuis plus de 6 mois" not in client.get(url).text

    Startup.objects.filter(pk=startup.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=200)
    )
    cache.clear()  # time passed: the cached page (kept ten minutes at most) expired
    html = client.get(url).text
    assert "pas été mise à jour depuis plus de 6 mois" in html
    assert 'class="fr-notice fr-notice--warning"' in html


# --- Sitemap ------------------------------------------------------------------------------


def test_the_sitemap_lists_public_startup_pages_only(client, directory):
    public = StartupFactory(name="Cantine Locale")
    private = StartupFactory(name="Projet Confidentiel", visibility=Visibility.PRIVATE)
    xml = client.get("/sitemap.xml").text
    assert f"{directory.url}{public.slug}/</loc>" in xml
    assert private.slug not in xml


# --- Queries ------------------------------------------------------------------------------


def populate(count: int, *, start: int = 0):
    theme = Theme.objects.get_or_create(name="Mobilité", slug="mobilite")[0]
    territory = TerritoryFactory(kind=TerritoryKind.DEPARTEMENT)
    for index in range(start, start + count):
        startup = StartupFactory(name=f"Startup {index:03d}")
        startup.themes.add(theme)
        Sponsorship.objects.create(startup=startup, territory=territory)
        Sponsorship.objects.create(startup=startup, territory=TerritoryFactory())
        if index % 3 == 0:
            record_failure(startup, lessons=[public_lesson(f"Leçon {index}")])


def queries_of(client, url, params=None) -> int:
    client.get(url, params)  # settings, site root paths and such are read once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.usefixtures("uncached_pages")
@pytest.mark.parametrize(
    "params", [{}, {"q": "startup", "phase": "investigation", "thematique": "mobilite"}]
)
def test_the_list_costs_the_same_queries_for_10_or_200_startups(
    client, directory, django_assert_max_num_queries, params
):
    populate(10)
    budget = queries_of(client, directory.url, params)
    populate(190, start=10)
    with django_assert_max_num_queries(budget):
        response = client.get(directory.url, params)
    assert len(response.context["startups"]) == StartupDirectoryPage.PAGE_SIZE


@pytest.mark.usefixtures("uncached_pages")
def test_a_startup_page_costs_the_same_queries_whatever_its_history(
    client, directory, django_assert_max_num_queries
):
    small, large = StartupFactory(name="Petite"), StartupFactory(name="Grande")
    for startup, months, lessons in [(small, 2, 1), (large, 48, 20)]:
        indicator = IndicatorFactory(startup=startup)
        IndicatorFactory(startup=startup, name="Seconde mesure")
        for month in range(months):
            Measurement.objects.create(
                indicator=indicator,
                date=datetime.date(2020, 1, 1) + datetime.timedelta(days=31 * month),
                value=month,
            )
        record_failure(
            startup, lessons=[public_lesson(f"{startup.name} {n}") for n in range(lessons)]
        )
        Milestone.objects.create(startup=startup, title="Jalon", due_date=datetime.date(2024, 1, 1))
    budget = queries_of(client, detail_url(directory, small))
    with django_assert_max_num_queries(budget):
        client.get(detail_url(directory, large))


# --- The search helper (incubator.search) --------------------------------------------------


def test_query_words_are_normalised_and_stop_words_dropped():
    assert normalise("Œuvre à l’École") == "oeuvre a l’ecole"
    assert query_words("La cantine de l’École") == ["cantine", "ecole"]
    assert query_words("de la") == ["de", "la"]  # only stop words: keep them
    assert query_words("  ") == []


def test_word_pattern_matches_any_accent_and_case():
    import re

    pattern = re.compile(word_pattern("ecole"), re.IGNORECASE)
    assert pattern.search("À l’ÉCOLE") and pattern.search("écolé")
    assert re.search(word_pattern("coeur"), "en plein cœur")


@pytest.mark.skipif(POSTGRES, reason="the SQLite fallback")
def test_the_fallback_ignores_accents_and_case():
    StartupFactory(name="Cantine de l’École", problem="Les ÉLÈVES mangent mal.")
    StartupFactory(name="Autre Projet")
    found = search(Startup.objects.all(), "ecole eleves", ["name", "problem"])
    assert [startup.name for startup in found] == ["Cantine de l’École"]


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL full-text search")
def test_postgres_search_is_french_full_text_and_ranked():
    StartupFactory(name="Cantines", pitch="Des repas.", problem="")
    StartupFactory(name="Repas", pitch="Les cantines scolaires, les cantines d’entreprise.")
    StartupFactory(name="Autre", pitch="Sans rapport.")
    found = search(Startup.objects.all(), "cantine -entreprise", ["name", "pitch"])
    assert [startup.name for startup in found] == ["Cantines"]
    ranked = search(Startup.objects.all(), "cantine", ["name", "pitch"])
    assert [startup.name for startup in ranked] == ["Repas", "Cantines"]  # twice beats once


def test_a_blank_query_filters_nothing():
    StartupFactory(name="Cantine Locale")
    assert search(Startup.objects.all(), "   ", ["name"]).count() == 1
