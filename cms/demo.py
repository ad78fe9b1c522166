"""Demo pages of the public site: « À propos », the programme pages, news, featured startups.

Development only (called by `manage.py seed_demo`, after the demo network
exists). Idempotent: a page that exists is left as the editors made it.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from wagtail.models import Site

from cms.models import (
    HomeFeaturedStartup,
    HomePage,
    LessonsLibraryPage,
    NewsIndexPage,
    NewsPage,
    ProgramPage,
    StandardPage,
)
from incubator.enums import Phase
from incubator.selectors import public_startups
from programs.models import Program

FEATURED_COUNT = 3

NEWS = [
    # days ago, title, slug, summary, paragraphs
    (
        3,
        "Trois nouvelles startups rejoignent la promotion 2024",
        "trois-nouvelles-startups-promotion-2024",
        "Cantines, transport à la demande et accueil social : trois problèmes concrets "
        "portés par des agents de terrain entrent en investigation.",
        [
            "<p>Le comité de sélection a retenu trois projets proposés par des agents de "
            "collectivités. Chacun commence par six mois d’investigation : comprendre le "
            "problème sur le terrain avant de construire quoi que ce soit.</p>",
        ],
    ),
    (
        18,
        "Arrêter un projet, et le dire : notre première revue des échecs",
        "premiere-revue-des-echecs",
        "Une startup arrêtée n’est pas un projet raté si ce qu’elle a appris sert à la "
        "suivante. Nous publions nos premières leçons.",
        [
            "<p>Chaque arrêt est documenté : la cause principale, ce que l’équipe a appris "
            "et les conseils pour qui relancerait le projet.</p>",
            "<p>Ces leçons sont publiques dans la <b>bibliothèque des leçons</b>, pour que "
            "le prochain territoire ne refasse pas les mêmes erreurs.</p>",
        ],
    ),
    (
        45,
        "Essaimage : Aidants Connect Local arrive dans deux nouveaux départements",
        "essaimage-aidants-connect-local",
        "Construit dans le Nord, le service est désormais utilisé en Gironde et en Creuse.",
        [
            "<p>Un service qui marche dans un territoire peut servir ailleurs : c’est "
            "l’essaimage. Les deux nouveaux départements ont repris le service sans "
            "développement supplémentaire.</p>",
        ],
    ),
    (
        90,
        "Ouverture du site public de l’incubateur",
        "ouverture-du-site-public",
        "Annuaire des startups, rapports publiés, leçons apprises : tout ce que nous "
        "faisons est désormais consultable.",
        [
            "<p>Ce site publie les données publiques de l’incubateur, mises à jour par les "
            "équipes elles-mêmes.</p>",
        ],
    ),
]


def _home() -> HomePage | None:
    site = Site.objects.filter(is_default_site=True).first()
    return HomePage.objects.filter(pk=site.root_page_id).first() if site else None


def about_page_body(*, image=None, pages=(), link_page=None) -> list[dict]:
    """A body using every block type (the image and cards only when given)."""
    body = [
        {
            "type": "paragraph",
            "value": "<p>L’incubateur accompagne des <b>startups de territoire</b> : un agent "
            "public, libéré une partie de son temps, résout un problème concret du service "
            "public avec le soutien d’une ou plusieurs collectivités.</p>",
        },
        {
            "type": "callout",
            "value": {
                "title": "Le droit à l’erreur",
                "text": "Arrêter un projet est légitime, à condition d’en partager les leçons.",
                "link_page": link_page.pk if link_page else None,
                "link_label": "Lire les leçons" if link_page else "",
            },
        },
        {"type": "heading", "value": {"text": "Comment ça marche", "level": "h2"}},
        {
            "type": "paragraph",
            "value": "<ol><li>Un territoire propose un problème.</li><li>Un comité "
            "retient le projet.</li><li>L’équipe avance par phases, avec un comité "
            "d’investissement au moins tous les six mois.</li></ol>",
        },
        {
            "type": "table",
            "value": {
                "caption": "Durée maximale des phases, par défaut",
                "header": ["Phase", "Durée maximale"],
                "rows": [
                    [Phase.INVESTIGATION.label, "6 mois"],
                    [Phase.CONSTRUCTION.label, "12 mois"],
                    [Phase.ACCELERATION.label, "24 mois"],
                    [Phase.CONSOLIDATION.label, "12 mois"],
                ],
            },
        },
        {
            "type": "key_figures",
            "value": {
                "title": "Ce que nous visons",
                "figures": [
                    {"value": "6", "label": "mois pour valider un problème"},
                    {"value": "2", "label": "jours libérés par semaine, au minimum"},
                    {"value": "100 %", "label": "des arrêts documentés"},
                ],
            },
        },
        {
            "type": "quote",
            "value": {
                "text": "Nous avons arrêté au bon moment, et la commune voisine a gagné six mois.",
                "author": "Une agente-entrepreneuse de la promotion 2023",
                "source": "Revue annuelle des échecs",
                "source_url": "",
            },
        },
        {
            "type": "accordions",
            "value": {
                "title": "Questions fréquentes",
                "items": [
                    {
                        "title": "Qui peut proposer un projet ?",
                        "body": "<p>Tout agent d’une collectivité partenaire, avec "
                        "l’accord de sa hiérarchie.</p>",
                    },
                    {
                        "title": "Combien coûte une startup à un territoire ?",
                        "body": "<p>Une contribution annuelle par startup, fixée par chaque "
                        "programme.</p>",
                    },
                ],
            },
        },
    ]
    if image is not None:
        body.insert(
            2,
            {
                "type": "image",
                "value": {
                    "image": {
                        "image": image.pk,
                        "alt_text": image.description,
                        "decorative": False,
                    },
                    "caption": "Les quatre phases d’une startup, de l’investigation à la "
                    "consolidation.",
                },
            },
        )
    if pages:
        body.append({"type": "heading", "value": {"text": "Nos programmes", "level": "h2"}})
        body.append(
            {
                "type": "cards",
                "value": {
                    "title": "",
                    "cards": [{"page": page.pk, "title": "", "description": ""} for page in pages],
                },
            }
        )
    return body


def _seed_about_and_programs(home: HomePage) -> None:
    about = StandardPage.objects.child_of(home).filter(slug="a-propos").first()
    if about is None:
        about = home.add_child(
            instance=StandardPage(
                title="À propos",
                slug="a-propos",
                summary="Ce que fait l’incubateur, comment, et avec quels programmes.",
                show_in_menus=True,
            )
        )
        created = True
    else:
        created = False
    program_pages = []
    for index, program in enumerate(Program.objects.order_by("name")):
        page = ProgramPage.objects.filter(program=program).first()
        if page is None:
            page = about.add_child(
                instance=ProgramPage(
                    title=program.name,
                    slug=program.slug,
                    program=program,
                    summary=f"Comment {program.incubator.name} accompagne ses startups, promotion "
                    "après promotion.",
                    show_contribution=index == 0,
                    body=[
                        {
                            "type": "paragraph",
                            "value": "<p>Chaque promotion démarre en janvier. Les startups y "
                            "sont suivies par les mêmes coachs, du premier comité à la "
                            "décision finale.</p>",
                        }
                    ],
                )
            )
        program_pages.append(page)
    if created:
        library = LessonsLibraryPage.objects.live().first()
        # No image: the demo writes no media file (an editor adds one from the library).
        about.body = about_page_body(pages=program_pages, link_page=library)
        about.save()


def _seed_news(home: HomePage) -> None:
    news_index = NewsIndexPage.objects.first()
    if news_index is None:
        news_index = home.add_child(
            instance=NewsIndexPage(
                title="Actualités",
                slug="actualites",
                summary="Les nouvelles du réseau : promotions, arrêts, essaimages.",
                show_in_menus=True,
            )
        )
    today = timezone.localdate()
    for days_ago, title, slug, summary, paragraphs in NEWS:
        if NewsPage.objects.child_of(news_index).filter(slug=slug).exists():
            continue
        news_index.add_child(
            instance=NewsPage(
                title=title,
                slug=slug,
                summary=summary,
                date=today - datetime.timedelta(days=days_ago),
                body=[{"type": "paragraph", "value": html} for html in paragraphs],
            )
        )


def _seed_featured_startups(home: HomePage) -> None:
    if home.featured_startups.exists():
        return
    startups = (
        public_startups()
        .filter(phase__in=[Phase.ACCELERATION, Phase.CONSOLIDATION, Phase.TRANSFERRED])
        .order_by("name")[:FEATURED_COUNT]
    )
    for order, startup in enumerate(startups):
        HomeFeaturedStartup.objects.create(page=home, startup=startup, sort_order=order)


@transaction.atomic
def seed_demo_pages() -> None:
    """Create the demo pages of the public site (idempotent)."""
    home = _home()
    if home is None:
        return
    _seed_about_and_programs(home)
    _seed_news(home)
    _seed_featured_startups(home)
