"""Demo public pages: the mandatory legal pages, linked from the footer."""

from django.db import transaction

from wagtail.models import Site

from cms.models import AccessibilityStatus, HomePage, SiteIdentity, SitemapPage, StandardPage

LEGAL_PAGES = {
    "accessibilite": (
        "Déclaration d’accessibilité",
        "<p>Territoires Lab s’engage à rendre son service accessible conformément à "
        "l’article 47 de la loi n° 2005-102 du 11 février 2005.</p>"
        "<h2>État de conformité</h2><p>Le site est <strong>non conforme</strong> au RGAA 4.1 : "
        "aucun audit n’a encore été réalisé.</p>"
        "<h2>Voies de recours</h2><p>Si vous constatez un défaut d’accessibilité vous empêchant "
        "d’accéder à un contenu, écrivez à l’équipe de l’incubateur ou au Défenseur des droits.</p>",
    ),
    "mentions-legales": (
        "Mentions légales",
        "<h2>Éditeur</h2><p>Le site est édité par l’opérateur indiqué en pied de page.</p>"
        "<h2>Hébergement</h2><p>À compléter par l’opérateur de l’instance.</p>"
        "<h2>Licence</h2><p>Les contenus sont publiés sous licence etalab-2.0 ; "
        "le code source sous licence AGPL-3.0.</p>",
    ),
    "donnees-personnelles": (
        "Données personnelles",
        "<p>Territoires Lab traite les données strictement nécessaires au suivi des "
        "startups de territoire : adresse e-mail, nom affiché et rôle des membres, "
        "journaux de connexion.</p><h2>Vos droits</h2><p>Vous pouvez accéder à vos données, "
        "les rectifier ou demander leur effacement en écrivant à l’opérateur du service.</p>",
    ),
}


@transaction.atomic
def seed_demo_pages() -> None:
    """Create the legal pages and the site map once, and link them in the site settings."""
    site = Site.objects.get(is_default_site=True)
    home = HomePage.objects.get(pk=site.root_page_id)
    pages = {}
    for slug, (title, body) in LEGAL_PAGES.items():
        page = StandardPage.objects.child_of(home).filter(slug=slug).first()
        if page is None:
            page = home.add_child(
                instance=StandardPage(title=title, slug=slug, body=body, show_in_menus=False)
            )
        pages[slug] = page
    sitemap = SitemapPage.objects.child_of(home).first()
    if sitemap is None:
        sitemap = home.add_child(instance=SitemapPage(title="Plan du site", slug="plan-du-site"))

    identity = SiteIdentity.for_site(site)
    identity.accessibility_page = pages["accessibilite"]
    identity.legal_notice_page = pages["mentions-legales"]
    identity.personal_data_page = pages["donnees-personnelles"]
    identity.sitemap_page = sitemap
    identity.accessibility_status = AccessibilityStatus.NONE
    identity.operator_name = identity.operator_name or "Incubateur des territoires (démo)"
    identity.save()
