"""What every database needs before it serves a page: our home page as the
site root, and the pages every public site must have (RGAA, legal notice,
GDPR, site map).

Run after every `migrate` (and after a test flush), idempotent, so the footer's
mandatory links always lead somewhere; their text is a starting point for
the operator, who edits it in Wagtail.
"""

import copy

from django.conf import settings
from django.db import transaction

from wagtail.models import Locale, Page, Site

from cms.models import (
    HomePage,
    LessonsLibraryPage,
    ReportIndexPage,
    SiteIdentity,
    SitemapPage,
    StandardPage,
    StartupDirectoryPage,
)


def _heading(text: str) -> dict:
    return {"type": "heading", "value": {"text": text, "level": "h2"}}


def _paragraph(html: str) -> dict:
    return {"type": "paragraph", "value": html}


# slug: (title, StreamField body as raw blocks).
LEGAL_PAGES = {
    "accessibilite": (
        "Déclaration d’accessibilité",
        [
            _paragraph(
                "<p>Territoires Lab s’engage à rendre son service accessible conformément à "
                "l’article 47 de la loi n° 2005-102 du 11 février 2005.</p>"
            ),
            _heading("État de conformité"),
            _paragraph(
                "<p>Le site est <b>non conforme</b> au RGAA 4.1 : "
                "aucun audit n’a encore été réalisé.</p>"
            ),
            _heading("Voies de recours"),
            _paragraph(
                "<p>Si vous constatez un défaut d’accessibilité vous empêchant "
                "d’accéder à un contenu, écrivez à l’équipe de l’incubateur ou au Défenseur "
                "des droits.</p>"
            ),
        ],
    ),
    "mentions-legales": (
        "Mentions légales",
        [
            _heading("Éditeur"),
            _paragraph("<p>Le site est édité par l’opérateur indiqué en pied de page.</p>"),
            _heading("Hébergement"),
            _paragraph("<p>À compléter par l’opérateur de l’instance.</p>"),
            _heading("Licence"),
            _paragraph(
                "<p>Les contenus sont publiés sous licence etalab-2.0 ; "
                "le code source sous licence AGPL-3.0.</p>"
            ),
        ],
    ),
    "donnees-personnelles": (
        "Données personnelles",
        [
            _paragraph(
                "<p>Territoires Lab traite les données strictement nécessaires au suivi des "
                "startups de territoire : adresse e-mail, nom affiché et rôle des membres, "
                "journaux de connexion.</p>"
            ),
            _heading("Vos droits"),
            _paragraph(
                "<p>Vous pouvez accéder à vos données, les rectifier ou demander leur "
                "effacement en écrivant à l’opérateur du service.</p>"
            ),
        ],
    ),
}


PUBLIC_SECTIONS = [
    (
        StartupDirectoryPage,
        "Les startups",
        "startups",
        "Toutes les startups de territoire publiques : leur phase, leurs résultats, leurs leçons.",
    ),
    (
        LessonsLibraryPage,
        "Leçons apprises",
        "lecons",
        "Ce que les territoires ont appris de leurs expérimentations, réussies ou arrêtées.",
    ),
    (
        ReportIndexPage,
        "Rapports publiés",
        "rapports",
        "Les rapports d’avancement publiés par les coachs, par territoire et par période.",
    ),
]


@transaction.atomic
def ensure_site_root() -> HomePage:
    """Make `HomePage` the root of the default site, replacing Wagtail's welcome page."""
    home = HomePage.objects.filter(depth=2).first()
    if home is None:
        locale, _ = Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
        root = Page.get_first_root_node() or Page.add_root(
            instance=Page(title="Root", slug="root", locale=locale)
        )
        # Wagtail's initial data adds a plain "Welcome" page: ours takes its place.
        for placeholder in root.get_children().filter(content_type__model="page"):
            placeholder.delete()
        home = root.add_child(instance=HomePage(title="Accueil", slug="accueil", locale=locale))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            site_name="Territoires Lab",
            root_page=home,
            is_default_site=True,
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save(update_fields=["root_page"])
    return home


@transaction.atomic
def ensure_mandatory_pages() -> None:
    """Create the legal pages and the site map once, and link them in the site settings."""
    site = Site.objects.filter(is_default_site=True).first()
    home = HomePage.objects.filter(pk=site.root_page_id).first() if site else None
    if home is None:
        return
    pages = {}
    for slug, (title, body) in LEGAL_PAGES.items():
        page = StandardPage.objects.child_of(home).filter(slug=slug).first()
        if page is None:
            page = home.add_child(
                instance=StandardPage(
                    title=title, slug=slug, body=copy.deepcopy(body), show_in_menus=False
                )
            )
        pages[slug] = page
    sitemap = SitemapPage.objects.child_of(home).first()
    if sitemap is None:
        sitemap = home.add_child(instance=SitemapPage(title="Plan du site", slug="plan-du-site"))
    # The pages the public surface is built on; created once, the operator may move them.
    for model, title, slug, summary in PUBLIC_SECTIONS:
        if not model.objects.exists():
            home.add_child(
                instance=model(title=title, slug=slug, summary=summary, show_in_menus=True)
            )

    identity = SiteIdentity.for_site(site)
    identity.accessibility_page = identity.accessibility_page or pages["accessibilite"]
    identity.legal_notice_page = identity.legal_notice_page or pages["mentions-legales"]
    identity.personal_data_page = identity.personal_data_page or pages["donnees-personnelles"]
    identity.sitemap_page = identity.sitemap_page or sitemap
    identity.save()


def ensure_site_after_migrate(sender, **kwargs) -> None:
    ensure_site_root()
    ensure_mandatory_pages()
