"""The public pages in real Chromium: no serious accessibility violation, usable at 320 px."""

from wagtail.models import Collection

import pytest

from cms.models import HomeFeaturedStartup
from tests.cms.test_pages import (
    home_page,
    make_image,
    make_news,
    make_news_index,
    make_program_page,
    make_standard_page,
    record_public_lesson,
)
from tests.factories import CohortFactory, ProgramFactory, StartupFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # Wagtail leaves the buffer of each new rendition for the garbage collector.
    pytest.mark.filterwarnings(
        "ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning"
    ),
]

PHONE = {"width": 320, "height": 640}


@pytest.fixture
def public_site(settings, tmp_path):
    """A home page with every section, a page with every block, news and a programme."""
    settings.MEDIA_ROOT = tmp_path
    # Wagtail's data migrations made the root collection; a transactional test flushed it.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    home = home_page()
    program = ProgramFactory(
        name="Programme Littoral",
        description="Des services publics pour les communes du bord de mer.",
        contribution_cents_per_year=20_000_00,
    )
    cohort = CohortFactory(program=program, name="Promotion 2025")
    startups = [
        StartupFactory(name="Navette des Plages", cohort=cohort),
        StartupFactory(
            name="Alerte Submersion, le service qui prévient chaque foyer", cohort=cohort
        ),
    ]
    for order, startup in enumerate(startups):
        HomeFeaturedStartup.objects.create(page=home, startup=startup, sort_order=order)
    record_public_lesson(startups[0], "Observer les usagers avant de construire le service")
    program_page = make_program_page(program=program)
    standard = make_standard_page(home, image=make_image(), pages=[program_page])
    news_index = make_news_index()
    news = make_news(news_index, "Une promotion de plus", image=make_image("Photo"))
    make_news(news_index, "Ouverture du site public", days_ago=30)
    return {
        "home": "/",
        "standard": standard.url,
        "news_index": news_index.url,
        "news": news.url,
        "program": program_page.url,
    }


@pytest.mark.parametrize("name", ["home", "standard", "news_index", "news", "program"])
def test_a_public_page_is_accessible_and_fits_a_phone(page, public_site, assert_accessible, name):
    page.goto(public_site[name])
    page.get_by_role("heading", level=1).wait_for()
    assert_accessible(page)

    page.set_viewport_size(PHONE)
    page.reload()
    page.get_by_role("heading", level=1).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)


def test_a_visitor_reads_the_blocks_of_a_page_with_the_keyboard(page, public_site):
    page.goto(public_site["standard"])
    question = page.get_by_role("button", name="Qui peut proposer un projet ?")
    answer = page.get_by_text("Tout agent d’une collectivité partenaire")
    assert question.get_attribute("aria-expanded") == "false"
    question.focus()
    page.keyboard.press("Enter")
    answer.wait_for()
    assert question.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("table").get_by_role("columnheader", name="Durée maximale").is_visible()
    page.get_by_role("link", name="Programme Littoral").click()
    page.get_by_role("heading", name="Programme Littoral", level=1).wait_for()
    assert page.get_by_text("Aucun appel à projets n’est ouvert pour le moment.").is_visible()


def test_the_menu_opens_on_a_phone_and_the_news_feed_is_linked(page, public_site):
    page.set_viewport_size(PHONE)
    page.goto("/")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Accueil"
    ).wait_for()
    page.goto(public_site["news_index"])
    with page.expect_response(lambda response: "flux/rss/" in response.url) as feed:
        page.get_by_role("link", name="Flux RSS des actualités").click()
    assert feed.value.status == 200
