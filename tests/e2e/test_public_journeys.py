"""Public journeys in real Chromium: a visitor, not logged in, reads the directory and lessons."""

import datetime
from decimal import Decimal

import pytest

from incubator import services
from incubator.enums import FailureReason, FailureScope, TerritoryKind, Visibility
from incubator.models import Measurement, Sponsorship
from tests.factories import IndicatorFactory, StartupFactory, TerritoryFactory

pytestmark = pytest.mark.django_db(transaction=True)


def stop(startup, *, title, body, reason, visibility=Visibility.PUBLIC):
    return services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=reason,
        occurred_on=datetime.date(2024, 6, 1),
        author=None,
        what_we_learned="Les agents d’accueil avaient déjà un outil.",
        why_we_stop="Le besoin n’a pas été confirmé sur le terrain.",
        advice_for_relaunch="Commencer par observer les guichets.",
        publication_consent=True,
        lessons=[{"title": title, "body": body, "visibility": visibility}],
    )


@pytest.fixture
def public_data():
    guichet = StartupFactory(
        name="Guichet Unique",
        pitch="Un seul guichet pour les aides au logement.",
        problem="Les usagers font trois dossiers au guichet.",
        repository="https://forge.exemple.fr/guichet",
    )
    Sponsorship.objects.create(
        startup=guichet,
        territory=TerritoryFactory(name="Département du Nord", kind=TerritoryKind.DEPARTEMENT),
    )
    indicator = IndicatorFactory(startup=guichet, name="Dossiers déposés", target=Decimal(50))
    for month in range(1, 7):
        Measurement.objects.create(
            indicator=indicator, date=datetime.date(2024, month, 1), value=month * 5
        )
    stop(
        guichet,
        title="Observer avant de construire",
        body="Deux semaines au guichet avant la première ligne de code.",
        reason=FailureReason.NO_USER_NEED,
    )
    stop(
        StartupFactory(name="Cantine Locale"),
        title="Chiffrer le guichet dès le départ",
        body="Le guichet coûtait plus que prévu.",
        reason=FailureReason.NO_FUNDING,
    )
    stop(
        StartupFactory(name="Projet Voisin"),
        title="Leçon interne du guichet",
        body="Réservée à l’équipe.",
        reason=FailureReason.NO_USER_NEED,
        visibility=Visibility.PRIVATE,
    )
    for index in range(14):  # two pages of startups
        StartupFactory(name=f"Startup de territoire {index:02d}")
    return guichet


def test_a_visitor_finds_a_lesson_and_follows_it_to_its_startup(
    page, public_data, assert_accessible
):
    page.goto("/lecons/")
    page.get_by_role("heading", name="Leçons apprises", level=1).wait_for()
    assert_accessible(page)

    page.get_by_role("searchbox", name="Rechercher").fill("guichet")
    page.get_by_label("Cause de l’échec").select_option(label="Pas de besoin réel des usagers")
    page.get_by_role("button", name="Afficher les leçons").click()
    page.get_by_role("heading", name="1 leçon", exact=True).wait_for()
    assert page.get_by_role("link", name="Observer avant de construire").is_visible()
    assert "Chiffrer le guichet" not in page.content()
    assert "Leçon interne du guichet" not in page.content()
    assert_accessible(page)

    page.get_by_role("link", name="Observer avant de construire").click()
    page.get_by_role("heading", name="Observer avant de construire", level=1).wait_for()
    assert page.get_by_text("Le besoin n’a pas été confirmé sur le terrain.").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Voir la fiche de Guichet Unique").click()
    page.get_by_role("heading", name="Guichet Unique", level=1).wait_for()
    assert page.get_by_role("heading", name="Dossiers déposés").is_visible()
    assert page.locator("svg.tl-chart").first.is_visible()
    assert_accessible(page)


def test_the_directory_is_accessible_and_leads_to_a_startup(page, public_data, assert_accessible):
    page.goto("/startups/")
    page.get_by_role("heading", name="Les startups", level=1).wait_for()
    assert_accessible(page)
    page.get_by_role("searchbox", name="Rechercher").fill("guichet")
    page.get_by_role("button", name="Afficher les startups").click()
    page.get_by_role("heading", name="1 startup", exact=True).wait_for()
    page.get_by_role("link", name="Guichet Unique").click()
    page.get_by_role("heading", name="Guichet Unique", level=1).wait_for()
    assert "Projet Voisin" not in page.content()


@pytest.mark.parametrize("path", ["/startups/", "/lecons/"])
def test_the_lists_fit_a_320_pixel_screen(page, public_data, path):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(path)
    page.get_by_role("heading", level=1).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto(f"{path}?page=2&q=")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
