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


def _table(caption: str, header: list[str], rows: list[list[str]]) -> dict:
    return {"type": "table", "value": {"caption": caption, "header": header, "rows": rows}}


# The « Données personnelles » page's table; docs/privacy.md states the same items and
# durations (tests/accounts/test_personal_data.py checks the durations agree).
PERSONAL_DATA_ROWS = [
    [
        "Votre compte : adresse e-mail, nom affiché, prénom et nom, rôle, date d’inscription, "
        "dernière connexion, choix du récapitulatif hebdomadaire, lien de calendrier",
        "Vous connecter, vous écrire, montrer aux membres de vos équipes qui a écrit quoi",
        "Tant que le compte existe ; effacées quand vous le supprimez. Un compte inactif "
        "n’est pas encore supprimé automatiquement.",
        "Vous ; votre nom : les membres et coachs de vos startups ; l’équipe de la plateforme",
    ],
    [
        "Vos adresses e-mail et leur confirmation",
        "Vérifier que l’adresse est bien la vôtre",
        "Tant que le compte existe ; un lien de confirmation expire au bout de 3 jours",
        "Vous, l’équipe de la plateforme",
    ],
    [
        "Votre connexion ProConnect : identifiant ProConnect, e-mail, prénom, nom, SIRET et "
        "identifiant de votre administration",
        "Vous connecter avec votre compte d’agent public",
        "Tant que le compte existe",
        "Vous, l’équipe de la plateforme",
    ],
    [
        "Votre double authentification : secret chiffré, codes de récupération, dates "
        "d’activation et de dernière utilisation",
        "Protéger les comptes qui décident ou qui paient",
        "Jusqu’à sa désactivation ou la suppression du compte",
        "Personne : le secret est chiffré",
    ],
    [
        "Vos sessions de connexion",
        "Vous garder connecté",
        "12 heures au plus, 2 heures sans activité ; les sessions expirées sont effacées "
        "chaque nuit",
        "Personne",
    ],
    [
        "Les compteurs de tentatives de connexion et d’appels à l’API : adresse IP, e-mail saisi",
        "Ralentir qui essaie de deviner un mot de passe ou surcharge le service",
        "15 minutes au plus",
        "Personne",
    ],
    [
        "Le journal de sécurité : connexions, échecs, déconnexions, changements de double "
        "authentification, refus d’accès, paiements, suppressions de compte, avec votre "
        "numéro de compte et votre adresse IP",
        "Détecter les attaques et enquêter dessus",
        "Fixée par l’hébergement des journaux : la plateforme n’applique pas encore de durée "
        "(un an au plus est recommandé)",
        "L’équipe technique de l’opérateur",
    ],
    [
        "Vos équipes et vos rôles de coach ou de référent : startup, rôle, dates, temps libéré",
        "Donner les bons accès ; compter le temps consacré dans les rapports",
        "Sans limite, comme histoire de la startup ; au nom d’« ancien membre » après la "
        "suppression du compte",
        "Les membres et coachs de la startup, l’équipe de la plateforme",
    ],
    [
        "Ce que vous écrivez : jalons, comités, décisions de phase, échecs, leçons, preuves, "
        "historique des modifications, notes et commentaires de sélection",
        "Garder la trace des décisions publiques et partager les leçons (droit à l’échec)",
        "Sans limite, comme archives des décisions ; attribué à « ancien membre » après la "
        "suppression du compte. Un nom écrit dans un texte libre n’est pas effacé "
        "automatiquement.",
        "Selon la visibilité de chaque fiche : l’équipe, ses coachs, ses sponsors ou le public",
    ],
    [
        "Vos candidatures aux appels à projets : réponses, pièces jointes, contact chez le sponsor",
        "Sélectionner les projets",
        "Brouillons : effacés avec le compte. Une candidature non retenue (refusée, ou "
        "restée sans décision) est effacée avec ses réponses et pièces jointes 2 ans après "
        "la décision ou la clôture de l’appel. Une candidature retenue reste, comme trace "
        "de la sélection de sa startup.",
        "Vous, puis le comité de sélection de l’incubateur",
    ],
    [
        "Les rapports : qui les a demandés ou publiés ; la version interne nomme les membres "
        "de l’équipe",
        "Rendre compte aux coachs et aux territoires",
        "Sans limite : un rapport généré ne change plus, même après la suppression d’un compte",
        "Coachs, équipe et territoires sponsors ; la version publiée, sans nom : le public",
    ],
    [
        "Les paiements des territoires : qui a enregistré un paiement ; pour un paiement en "
        "ligne, les coordonnées saisies chez Stripe (nom, e-mail, adresse de facturation)",
        "Tenir la comptabilité des contributions (obligation légale)",
        "10 ans (obligation comptable) : au-delà, les coordonnées reçues de Stripe sont "
        "effacées chaque nuit ; le paiement lui-même (montant, référence) reste",
        "Le territoire concerné, l’équipe de la plateforme",
    ],
    [
        "Les contacts des territoires et des incubateurs : nom, e-mail, fonction",
        "Joindre le sponsor d’un projet",
        "Tant que le parrainage ou la candidature existe",
        "L’équipe de l’incubateur",
    ],
    [
        "Les notifications envoyées : numéro de compte et date",
        "Ne jamais envoyer deux fois le même e-mail",
        "1 an, puis effacées chaque nuit",
        "Personne",
    ],
    [
        "L’administration du site (éditeurs) : révisions, journal des modifications, "
        "commentaires, préférences, avatar",
        "Savoir qui a modifié quelle page",
        "Préférences et avatar : effacés avec le compte ; journal et révisions : conservés, "
        "au nom d’« ancien membre »",
        "Les éditeurs et les administrateurs",
    ],
]


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
                "<p>Territoires Lab ne traite que les données nécessaires au suivi des "
                "startups de territoire. Le détail ci-dessous est tenu à jour avec la "
                "documentation technique de la plateforme (docs/privacy.md).</p>"
            ),
            _heading("Pourquoi, et sur quelle base"),
            _paragraph(
                "<p>Ces traitements relèvent de l’exécution d’une <b>mission d’intérêt "
                "public</b> (article 6-1-e du RGPD) : l’accompagnement, par les collectivités "
                "et l’État, de projets qui améliorent le service public. La comptabilité des "
                "contributions des territoires relève d’une <b>obligation légale</b> "
                "(article 6-1-c).</p>"
            ),
            _heading("Ce que nous conservons"),
            _table(
                "Données personnelles conservées, pourquoi, combien de temps, et qui les voit",
                ["Donnée", "Pourquoi", "Combien de temps", "Qui la voit"],
                PERSONAL_DATA_ROWS,
            ),
            _heading("Vos droits"),
            _paragraph(
                "<p>Depuis votre profil, vous pouvez à tout moment :</p><ul>"
                '<li><a href="/comptes/mes-donnees/">télécharger mes données</a> : un fichier '
                "JSON avec tout ce que la plateforme conserve sur vous (sans vos secrets : "
                "ni mot de passe, ni code de double authentification) ;</li>"
                '<li><a href="/comptes/supprimer/">supprimer mon compte</a> : votre adresse '
                "e-mail, votre nom, vos moyens de connexion, vos sessions et vos brouillons de "
                "candidature sont effacés ; ce que vous avez écrit (décisions, comités, jalons, "
                "échecs, leçons, candidatures envoyées) reste, attribué à « ancien membre » ;</li>"
                '<li>corriger votre nom dans <a href="/comptes/profil/">votre profil</a>.</li>'
                "</ul>"
            ),
            _paragraph(
                "<p>Pour toute autre demande (opposition, limitation, ou un texte qui vous "
                "nomme, comme la liste des participants d’un comité), écrivez à l’opérateur du "
                "service indiqué dans les mentions légales, ou à son délégué à la protection "
                "des données. Vous pouvez aussi adresser une réclamation à la CNIL.</p>"
            ),
            _heading("Nos sous-traitants"),
            _paragraph(
                "<ul>"
                "<li>ProConnect (Direction interministérielle du numérique) : la connexion des "
                "agents publics ; il nous transmet votre identifiant ProConnect, votre e-mail, "
                "vos prénom et nom, le SIRET et l’identifiant de votre administration.</li>"
                "<li>Stripe (Stripe Payments Europe Ltd, Irlande) : le paiement en ligne des "
                "contributions des territoires, par carte ou prélèvement SEPA.</li>"
                "<li>Le service d’envoi d’e-mails choisi par l’opérateur : confirmations, "
                "notifications et récapitulatifs.</li>"
                "<li>L’hébergeur indiqué dans les mentions légales.</li>"
                "</ul>"
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
    from cms.legal_pages import legal_pages_refresh  # it imports this module

    ensure_site_root()
    ensure_mandatory_pages()
    # A page still holding a former default text gets the current one (never an edited one).
    legal_pages_refresh()
