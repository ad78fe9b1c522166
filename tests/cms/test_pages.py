"""The public pages: home, standard pages and their blocks, news, programmes, site identity."""

import datetime
import re
import shutil
import tempfile

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

import pytest

from cms.demo import about_page_body, seed_demo_pages
from cms.models import (
    HomeFeaturedStartup,
    HomePage,
    LessonsLibraryPage,
    NewsIndexPage,
    NewsPage,
    ProgramPage,
    ReportIndexPage,
    SiteIdentity,
    SitemapPage,
    StandardPage,
    StartupDirectoryPage,
)
from incubator import services
from incubator.enums import FailureReason, FailureScope, Phase, Visibility
from incubator.models import Deployment, Sponsorship
from tests.factories import (
    CohortFactory,
    ProgramFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db,
    # Wagtail leaves the buffer of each new rendition for the garbage collector.
    pytest.mark.filterwarnings(
        "ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning"
    ),
]

PAGE_TYPES = [HomePage, StandardPage, NewsIndexPage, NewsPage, ProgramPage]


# --- Building content ------------------------------------------------------------------


def home_page() -> HomePage:
    return Site.objects.get(is_default_site=True).root_page.specific


def make_image(title: str = "Une illustration", description: str = "Quatre barres bleues"):
    return get_image_model().objects.create(
        title=title, description=description, file=get_test_image_file(size=(800, 450))
    )


def make_standard_page(parent, *, image=None, pages=(), title="Tous les blocs") -> StandardPage:
    """A page using every block type (the image and cards when given)."""
    library = LessonsLibraryPage.objects.first()
    return parent.add_child(
        instance=StandardPage(
            title=title,
            summary="Une page de démonstration des blocs.",
            body=about_page_body(image=image, pages=pages, link_page=library),
        )
    )


def make_news_index(parent=None) -> NewsIndexPage:
    return (parent or home_page()).add_child(
        instance=NewsIndexPage(title="Actualités", slug="actualites", summary="Les nouvelles.")
    )


def make_news(news_index, title: str, *, days_ago: int = 0, image=None, live=True) -> NewsPage:
    page = NewsPage(
        title=title,
        summary=f"Résumé de « {title} ».",
        date=timezone.localdate() - datetime.timedelta(days=days_ago),
        image=image,
        body=[{"type": "paragraph", "value": f"<p>Le texte de « {title} ».</p>"}],
        live=live,
    )
    return news_index.add_child(instance=page)


def make_program_page(parent=None, program=None) -> ProgramPage:
    program = program or ProgramFactory(name="Programme Littoral", description="Pour les côtes.")
    return (parent or home_page()).add_child(
        instance=ProgramPage(title=program.name, program=program, show_contribution=True)
    )


def record_public_lesson(startup, title: str):
    services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.NO_USER_NEED,
        occurred_on=datetime.date(2024, 6, 1),
        author=None,
        what_we_learned="Le besoin était ailleurs.",
        why_we_stop="Pas de besoin confirmé.",
        advice_for_relaunch="Observer d’abord.",
        publication_consent=True,
        lessons=[{"title": title, "body": "Deux semaines au guichet.", "visibility": "public"}],
    )


def advance(startup, to_phase):
    services.startup_change_phase(
        startup=startup,
        to_phase=to_phase,
        actor=None,
        on=datetime.date(2024, 9, 2),
        rationale="Comité favorable.",
    )


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- Every page type: tree rules, rendering, admin ---------------------------------------


class PublicPageTypesTests(WagtailPageTestCase):
    """Wagtail's own assertions, for every page type of the public site."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.media = tempfile.mkdtemp(prefix="territoires-lab-media-")
        cls.enterClassContext(override_settings(MEDIA_ROOT=cls.media))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.media, ignore_errors=True)

    def setUp(self):
        self.home = home_page()

    def test_the_page_tree_stays_sane(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedParentPageTypes(NewsIndexPage, {HomePage, StandardPage})
        self.assertAllowedParentPageTypes(ProgramPage, {HomePage, StandardPage})
        self.assertAllowedParentPageTypes(NewsPage, {NewsIndexPage})
        self.assertAllowedSubpageTypes(NewsIndexPage, {NewsPage})
        self.assertAllowedSubpageTypes(NewsPage, set())
        self.assertAllowedSubpageTypes(ProgramPage, set())
        self.assertAllowedSubpageTypes(
            StandardPage,
            {
                StandardPage,
                ProgramPage,
                NewsIndexPage,
                StartupDirectoryPage,
                LessonsLibraryPage,
                ReportIndexPage,
            },
        )
        self.assertCanCreateAt(HomePage, ProgramPage)
        self.assertCanCreateAt(StandardPage, ProgramPage)
        self.assertCanNotCreateAt(HomePage, NewsPage)
        self.assertCanNotCreateAt(StandardPage, NewsPage)
        self.assertCanNotCreateAt(NewsPage, NewsPage)
        self.assertCanNotCreateAt(StandardPage, HomePage)
        self.assertCanNotCreateAt(StandardPage, SitemapPage)

    def test_every_page_type_renders_without_content(self):
        news_index = make_news_index()
        news = news_index.add_child(instance=NewsPage(title="Sans contenu"))
        program = self.home.add_child(
            instance=ProgramPage(title="Programme vide", program=ProgramFactory())
        )
        empty = self.home.add_child(instance=StandardPage(title="Page vide"))
        for page in [self.home, empty, news_index, news, program]:
            self.assertPageIsRenderable(page)
        self.assertPageIsRenderable(news_index, route_path="flux/rss/")
        self.assertPageIsRenderable(news_index, route_path="flux/atom/")
        for page in StandardPage.objects.child_of(self.home):  # the legal pages
            self.assertPageIsRenderable(page)

    def test_every_page_type_renders_with_content(self):
        program_page = make_program_page()
        cohort = CohortFactory(program=program_page.program, name="Promotion 2025")
        StartupFactory(name="Cantine Locale", cohort=cohort)
        standard = make_standard_page(self.home, image=make_image(), pages=[program_page])
        news_index = make_news_index(standard)
        news = make_news(news_index, "Une nouvelle illustrée", image=make_image("Photo"))
        HomeFeaturedStartup.objects.create(page=self.home, startup=StartupFactory(), sort_order=0)
        for page in [self.home, standard, news_index, news, program_page]:
            self.assertPageIsRenderable(page)
        self.assertPageIsRenderable(news_index, query_data={"page": "2"})
        self.assertPageIsRenderable(news_index, query_data={"page": "pas-un-nombre"})

    def test_editors_edit_every_page_type_in_the_admin(self):
        admin = UserFactory(superuser=True, email="admin-pages@demo.example")
        program_page = make_program_page()
        standard = make_standard_page(self.home, image=make_image(), pages=[program_page])
        news = make_news(make_news_index(), "Une nouvelle")
        HomeFeaturedStartup.objects.create(page=self.home, startup=StartupFactory(), sort_order=0)
        self.client.force_login(admin)
        with override_settings(MFA_EXEMPT_DEMO_ACCOUNTS=True):
            for page in [self.home, standard, news, program_page, news.get_parent()]:
                response = self.client.get(f"/admin/pages/{page.pk}/edit/")
                self.assertEqual(response.status_code, 200, page)
            # The home page form (featured startups inline) saves as it was shown.
            self.assertPageIsEditable(self.home, user=admin)
            self.assertEqual(self.home.revisions.count(), 1)  # published, so the form was valid
            self.assertEqual(HomePage.objects.get().featured_startups.count(), 1)
            self.client.force_login(admin)
            # A new standard page, written through the admin form, block by block.
            self.assertCanCreate(
                self.home,
                StandardPage,
                nested_form_data(
                    {
                        "title": "Nouvelle page",
                        "slug": "nouvelle-page",
                        "summary": "",
                        "body": streamfield(
                            [
                                ("heading", {"text": "Un titre", "level": "h2"}),
                                ("paragraph", rich_text("<p>Du texte.</p>")),
                                (
                                    "table",
                                    {
                                        "caption": "Un tableau",
                                        "header": streamfield([("item", "Colonne")]),
                                        "rows": streamfield(
                                            [("item", streamfield([("item", "Cellule")]))]
                                        ),
                                    },
                                ),
                            ]
                        ),
                    }
                ),
            )
        created = StandardPage.objects.get(slug="nouvelle-page")
        self.assertEqual(
            [block.block_type for block in created.body], ["heading", "paragraph", "table"]
        )
        self.assertEqual(created.body[2].value["rows"][0][0], "Cellule")


# --- Blocks -------------------------------------------------------------------------------


def test_every_block_renders_with_the_dsfr_components(client, media_root):
    home = home_page()
    program_page = make_program_page()
    page = make_standard_page(
        home, image=make_image(description="Quatre barres"), pages=[program_page]
    )
    html = client.get(page.url).text
    for dsfr_class in [
        "fr-callout",
        "fr-quote",
        "fr-content-media",
        "fr-accordions-group",
        "fr-card",
        "fr-table",
        "tl-key-figure",
        "fr-breadcrumb",
    ]:
        assert dsfr_class in html, dsfr_class
    assert "<h2>Comment ça marche</h2>" in html
    assert 'alt="Quatre barres"' in html
    assert f'href="{program_page.url}"' in html  # the card grid links the programme page


def test_block_text_is_escaped_even_where_django_dsfr_marks_it_safe(client):
    home = home_page()
    page = home.add_child(
        instance=StandardPage(
            title="Échappement",
            body=[
                {
                    "type": "table",
                    "value": {
                        "caption": "Tableau",
                        "header": ["<b>en-tête</b>"],
                        "rows": [["<script>alert(1)</script>"]],
                    },
                },
                # An image deleted from the library leaves no broken figure.
                {"type": "image", "value": {"image": None, "caption": "Légende orpheline"}},
            ],
        )
    )
    html = client.get(page.url).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;en-tête&lt;/b&gt;" in html
    assert "Légende orpheline" not in html


def test_a_card_to_an_unpublished_page_is_left_out(client):
    home = home_page()
    hidden = make_program_page()
    page = make_standard_page(home, pages=[hidden])
    hidden.unpublish()
    html = client.get(page.url).text
    assert hidden.title not in html


def test_legal_pages_are_stream_blocks(client):
    home = home_page()
    legal = StandardPage.objects.child_of(home).get(slug="accessibilite")
    assert [block.block_type for block in legal.body][:2] == ["paragraph", "heading"]
    html = client.get(legal.url).text
    assert "<h2>État de conformité</h2>" in html
    assert "non conforme" in html


# --- Home page ----------------------------------------------------------------------------


def test_an_empty_network_shows_no_empty_section(client):
    html = client.get("/").text
    for title in [
        "Le réseau en chiffres",
        "Startups à la une",
        "Dernières leçons",
        "Actualités</h2>",
    ]:
        assert title not in html


def test_home_figures_count_public_data_only(client):
    north, south, coast, hidden_place = TerritoryFactory.create_batch(4)
    seed = StartupFactory(name="Graine")
    builder = StartupFactory(name="Chantier")
    advance(builder, Phase.CONSTRUCTION)
    secret = StartupFactory(name="Secrète", visibility=Visibility.PRIVATE)
    archived = StartupFactory(name="Archivée")
    archived.archived_at = timezone.now()
    archived.save(update_fields=["archived_at"])
    Sponsorship.objects.create(startup=seed, territory=north)
    Sponsorship.objects.create(startup=builder, territory=north)
    Deployment.objects.create(startup=builder, territory=south)
    Sponsorship.objects.create(startup=secret, territory=hidden_place)
    Deployment.objects.create(startup=archived, territory=hidden_place)
    record_public_lesson(seed, "Leçon publique")
    record_public_lesson(secret, "Leçon d’une startup privée")
    services.lesson_create(startup=builder, title="Leçon privée", body="Texte.", author=None)
    home = home_page()
    for order, startup in enumerate([secret, builder, archived, seed]):
        HomeFeaturedStartup.objects.create(page=home, startup=startup, sort_order=order)

    response = client.get("/")

    figures = {
        figure["label"]: figure["value"] for figure in response.context["key_figures"]["figures"]
    }
    assert figures == {
        "startups publiques": 2,
        "territoires impliqués": 2,  # north and south; not the private startup's
        "leçon partagée": 1,
    }
    phases = response.context["phase_figures"]["figures"]
    assert [(str(figure["label"]), figure["value"]) for figure in phases] == [
        ("Investigation", 1),
        ("Construction", 1),
    ]
    # The editors' order, without what is no longer public.
    assert [card["title"] for card in response.context["featured_cards"]] == ["Chantier", "Graine"]
    directory = StartupDirectoryPage.objects.get()
    assert response.context["featured_cards"][0]["link"] == f"{directory.url}{builder.slug}/"
    library = LessonsLibraryPage.objects.get()
    assert [card["title"] for card in response.context["lessons"]] == ["Leçon publique"]
    assert response.context["lessons"][0]["link"].startswith(library.url)
    html = response.text
    assert "Secrète" not in html and "Archivée" not in html and "Leçon privée" not in html
    assert "Le réseau en chiffres" in html and "Startups à la une" in html


def test_home_shows_the_latest_news_and_links_to_all(client):
    news_index = make_news_index()
    for days_ago in range(5):
        make_news(news_index, f"Nouvelle {days_ago}", days_ago=days_ago)
    make_news(news_index, "Brouillon", live=False)
    response = client.get("/")
    assert [page.title for page in response.context["news"]] == [
        "Nouvelle 0",
        "Nouvelle 1",
        "Nouvelle 2",
    ]
    assert "Brouillon" not in response.text
    assert f'href="{news_index.url}"' in response.text


def populate_network(count: int, *, start: int = 0):
    """Public and private startups with sponsors, deployments and lessons."""
    territory = TerritoryFactory()
    for index in range(start, start + count):
        visibility = Visibility.PRIVATE if index % 5 == 4 else Visibility.PUBLIC
        startup = StartupFactory(name=f"Startup {index:03d}", visibility=visibility)
        Sponsorship.objects.create(startup=startup, territory=territory)
        Sponsorship.objects.create(startup=startup, territory=TerritoryFactory())
        if index % 3 == 0:
            record_public_lesson(startup, f"Leçon {index}")


def queries_of(client, url) -> int:
    client.get(url)  # settings, site root paths and such are read once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.usefixtures("uncached_pages")
def test_the_home_page_costs_the_same_queries_for_10_or_200_startups(
    client, django_assert_max_num_queries
):
    home = home_page()
    news_index = make_news_index()
    for days_ago in range(4):
        make_news(news_index, f"Nouvelle {days_ago}", days_ago=days_ago)
    populate_network(10)
    for order, startup in enumerate(StartupFactory.create_batch(3)):
        HomeFeaturedStartup.objects.create(page=home, startup=startup, sort_order=order)
    budget = queries_of(client, "/")
    populate_network(190, start=10)
    with django_assert_max_num_queries(budget):
        response = client.get("/")
    assert response.context["key_figures"]["figures"][0]["value"] == 3 + 200 - 40


# --- Programme pages -------------------------------------------------------------------------


def test_a_program_page_shows_its_programme_and_public_startups_only(client):
    program = ProgramFactory(
        name="Programme Montagne",
        description="Des services pour les vallées.",
        construction_months=9,
        contribution_cents_per_year=25_000_00,
    )
    cohort = CohortFactory(program=program, name="Promotion 2025")
    other_cohort = CohortFactory(name="Promotion d’un autre programme")
    StartupFactory(name="Navette des Cimes", cohort=cohort)
    StartupFactory(name="Projet confidentiel", cohort=cohort, visibility=Visibility.PRIVATE)
    StartupFactory(name="Ailleurs", cohort=other_cohort)
    coach = UserFactory(coach=True, display_name="Coach Secret")
    cohort.coaches.add(coach)
    page = make_program_page(program=program)

    response = client.get(page.url)
    html = response.text

    assert "Des services pour les vallées." in html
    assert "Navette des Cimes" in html
    assert "Projet confidentiel" not in html and "Ailleurs" not in html
    assert "Coach Secret" not in html
    durations = dict(response.context["durations_table"]["content"])
    assert durations["Construction"] == "9 mois" and durations["Investigation"] == "6 mois"
    (cohort_row,) = response.context["cohorts_table"]["content"]
    assert cohort_row[0] == "Promotion 2025" and cohort_row[3] == "1"
    assert "Appel à projets" in html and "Aucun appel à projets n’est ouvert" in html
    assert re.search(r"25\s000 €", html)


def test_the_contribution_stays_hidden_unless_the_editors_show_it(client):
    page = make_program_page(program=ProgramFactory(contribution_cents_per_year=12_000_00))
    page.show_contribution = False
    page.save()
    assert "Contribution annuelle" not in client.get(page.url).text


# --- Site identity and social meta -----------------------------------------------------------


def test_every_page_has_a_description_a_canonical_link_and_social_cards(client):
    page = home_page().add_child(
        instance=StandardPage(title="À propos", slug="a-propos", summary="Qui nous sommes.")
    )
    html = client.get(page.url, {"utm_source": "x"}).text
    assert '<meta name="description" content="Qui nous sommes.">' in html
    assert '<link rel="canonical" href="http://testserver/a-propos/">' in html
    assert '<meta property="og:title" content="À propos">' in html
    assert '<meta property="og:url" content="http://testserver/a-propos/">' in html
    assert '<meta property="og:type" content="website">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert 'content="http://testserver/static/img/partage.png"' in html


def test_the_search_description_wins_and_a_list_page_keeps_its_number(client):
    news_index = make_news_index()
    news_index.search_description = "Toutes les nouvelles du réseau."
    news_index.save()
    html = client.get(news_index.url, {"page": "2", "tri": "x"}).text
    assert '<meta name="description" content="Toutes les nouvelles du réseau.">' in html
    assert '<link rel="canonical" href="http://testserver/actualites/?page=2">' in html


def test_the_share_image_is_the_news_image_then_the_site_logo(client, media_root):
    identity = SiteIdentity.for_site(Site.objects.get(is_default_site=True))
    identity.operator_logo = make_image("Logo de l’opérateur")
    identity.operator_name = "Incubateur des territoires"
    identity.save()
    news_index = make_news_index()
    illustrated = make_news(news_index, "Illustrée", image=make_image("Photo du comité"))
    plain = make_news(news_index, "Sans image")

    html = client.get(illustrated.url).text
    assert '<meta property="og:type" content="article">' in html
    assert re.search(r'<meta property="og:image" content="http[^"]+/images/test[^"]*\.png">', html)
    assert 'alt="Incubateur des territoires"' in html  # the header logo
    html = client.get(plain.url).text
    assert "partage.png" not in html
    assert re.search(r'<meta property="og:image" content="http[^"]+/images/test', html)


def test_pages_outside_wagtail_keep_site_wide_meta(client):
    html = client.get(reverse("account_login")).text
    assert '<meta property="og:site_name" content="Territoires Lab">' in html
    assert "canonical" not in html


def test_social_links_and_source_code_show_in_the_footer(client):
    html = client.get("/").text
    assert "fr-follow" not in html
    identity = SiteIdentity.for_site(Site.objects.get(is_default_site=True))
    identity.mastodon_url = "https://social.example/@lab"
    identity.linkedin_url = "https://www.linkedin.com/company/lab"
    identity.source_code_url = "https://git.example/lab"
    identity.save()
    html = client.get("/").text
    assert 'class="fr-btn--mastodon fr-btn" href="https://social.example/@lab"' in html
    assert 'class="fr-btn--linkedin fr-btn"' in html
    assert "fr-btn--bluesky" not in html
    assert 'href="https://git.example/lab"' in html


# --- Data migration and demo -------------------------------------------------------------


def all_words(html: str) -> list[str]:
    return strip_tags(re.sub(r"<", " <", str(html))).split()


@pytest.mark.django_db(transaction=True)
def test_the_body_migration_keeps_the_legal_pages_text_both_ways():
    """Every word is kept. Not always in order: PostgreSQL's jsonb stores a block's keys in
    its own order, so the old single-HTML body may give a table's rows before its caption."""
    from django.db.migrations.executor import MigrationExecutor

    def words(html) -> list[str]:
        return sorted(all_words(html))

    before = {page.slug: words(page.body.render_as_block()) for page in StandardPage.objects.all()}
    assert set(before) == {"accessibilite", "mentions-legales", "donnees-personnelles"}
    draft = StandardPage.objects.get(slug="mentions-legales")
    draft.body = [{"type": "paragraph", "value": "<p>Brouillon non publié.</p>"}]
    draft.save_revision()

    rich_text_state = [("cms", "0004_public_site_pages")]
    executor = MigrationExecutor(connection)
    executor.migrate(rich_text_state)
    try:
        old_apps = executor.loader.project_state(rich_text_state).apps
        old_pages = old_apps.get_model("cms", "StandardPage").objects.all()
        assert {page.slug: words(page.body) for page in old_pages} == before
        revision = old_apps.get_model("wagtailcore", "Revision").objects.get(
            object_id=str(draft.pk)
        )
        assert revision.content["body"] == "<p>Brouillon non publié.</p>"
    finally:  # the latest schema again, whatever happened: the next tests need it
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("cms"))
    after = {page.slug: page for page in StandardPage.objects.all()}
    assert {slug: words(page.body.render_as_block()) for slug, page in after.items()} == before
    assert all(
        [block.block_type for block in page.body] == ["paragraph"] for page in after.values()
    )
    latest = after["mentions-legales"].get_latest_revision_as_object()
    assert words(latest.body.render_as_block()) == ["Brouillon", "non", "publié."]


def test_the_demo_pages_load_twice_without_duplicates():
    ProgramFactory(name="Programme de démonstration")
    StartupFactory(name="Accélérée")
    seed_demo_pages()
    counts = (StandardPage.objects.count(), NewsPage.objects.count(), ProgramPage.objects.count())
    seed_demo_pages()
    assert (
        StandardPage.objects.count(),
        NewsPage.objects.count(),
        ProgramPage.objects.count(),
    ) == counts
    about = StandardPage.objects.get(slug="a-propos")
    assert {block.block_type for block in about.body} == {
        "paragraph",
        "callout",
        "heading",
        "table",
        "key_figures",
        "quote",
        "accordions",
        "cards",
    }
    assert ProgramPage.objects.child_of(about).count() == 1
    assert NewsIndexPage.objects.get().get_children().count() == 4
