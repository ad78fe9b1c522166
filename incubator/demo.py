"""A realistic French demo network: territories, two incubators, ~30 startups in every phase.

Development only (called by `manage.py seed_demo`). Idempotent: what exists
is left as is. Every phase change goes through the services, with its
committee, so the demo history looks like real use.
"""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from incubator import services
from incubator.enums import (
    ExperimentOutcome,
    FailureReason,
    FailureScope,
    FundingKind,
    MembershipRole,
    MilestoneStatus,
    Phase,
    ReportKind,
    ReviewDecision,
    TerritoryKind,
    Visibility,
)
from incubator.models import (
    Experiment,
    Funding,
    Incubator,
    Indicator,
    Measurement,
    Membership,
    Milestone,
    Report,
    Sponsorship,
    Startup,
    Territory,
    Theme,
)
from programs.models import Cohort, GateCriterionKind, PhaseGateCriterion, Program

TERRITORIES = [
    # slug, name, kind, SIREN, INSEE
    ("ville-de-lyon", "Ville de Lyon", TerritoryKind.COMMUNE, "216901231", "69123"),
    ("ville-de-roubaix", "Ville de Roubaix", TerritoryKind.COMMUNE, "215905126", "59512"),
    ("ville-de-brest", "Ville de Brest", TerritoryKind.COMMUNE, "212900195", "29019"),
    (
        "metropole-europeenne-de-lille",
        "Métropole Européenne de Lille",
        TerritoryKind.EPCI,
        "200093201",
        "",
    ),
    ("grand-poitiers", "Grand Poitiers Communauté urbaine", TerritoryKind.EPCI, "200069854", ""),
    (
        "cc-du-pays-de-craon",
        "Communauté de communes du Pays de Craon",
        TerritoryKind.EPCI,
        "245300355",
        "",
    ),
    ("departement-du-nord", "Département du Nord", TerritoryKind.DEPARTEMENT, "225900018", "59"),
    (
        "departement-de-la-gironde",
        "Département de la Gironde",
        TerritoryKind.DEPARTEMENT,
        "223300012",
        "33",
    ),
    (
        "departement-de-la-creuse",
        "Département de la Creuse",
        TerritoryKind.DEPARTEMENT,
        "222300014",
        "23",
    ),
    ("region-occitanie", "Région Occitanie", TerritoryKind.REGION, "200053791", "76"),
    ("region-bretagne", "Région Bretagne", TerritoryKind.REGION, "233500016", "53"),
    ("prefecture-du-rhone", "Préfecture du Rhône", TerritoryKind.STATE, "", ""),
    (
        "anct",
        "Agence nationale de la cohésion des territoires",
        TerritoryKind.OPERATOR,
        "130026032",
        "",
    ),
]

THEMES = [
    "Mobilité",
    "Social",
    "Éducation",
    "Environnement",
    "Santé",
    "Emploi",
    "Logement",
    "Alimentation",
    "Démarches administratives",
    "Sécurité",
]

# name, pitch, problem, sponsors, path of phases, themes, private?
STARTUPS = [
    (
        "Cantine Locale",
        "Des repas scolaires issus des producteurs du département.",
        "Les cantines peinent à acheter local faute d’outil commun avec les producteurs.",
        ["departement-de-la-gironde"],
        ["investigation", "construction", "acceleration"],
        ["Alimentation", "Éducation"],
        False,
    ),
    (
        "Transport à la demande rural",
        "Réserver un trajet de bus à la demande en un appel ou un clic.",
        "Dans les communes rurales, les lignes régulières roulent à vide et les habitants sans voiture restent isolés.",
        ["cc-du-pays-de-craon"],
        ["investigation", "construction"],
        ["Mobilité"],
        False,
    ),
    (
        "Aidants Connect Local",
        "Accompagner les usagers éloignés du numérique sans partager leurs mots de passe.",
        "Les travailleurs sociaux font les démarches à la place des usagers avec leurs identifiants.",
        ["departement-du-nord"],
        ["investigation", "construction", "acceleration", "consolidation"],
        ["Social", "Démarches administratives"],
        False,
    ),
    (
        "RDV Solidarités Locales",
        "La prise de rendez-vous en ligne pour les services sociaux du département.",
        "Les usagers attendent au téléphone et un rendez-vous sur trois n’est pas honoré.",
        ["departement-de-la-creuse"],
        ["investigation", "construction", "acceleration", "consolidation", "transfere"],
        ["Social"],
        False,
    ),
    (
        "Signalement Voirie",
        "Signaler un nid-de-poule ou un éclairage en panne, et suivre sa réparation.",
        "Les signalements arrivent par courrier, téléphone et réseaux sociaux, sans suivi.",
        ["ville-de-roubaix"],
        ["investigation", "construction", "acceleration", "consolidation", "opere"],
        ["Sécurité"],
        False,
    ),
    (
        "Bourse aux Stages Collège",
        "Trouver un stage de 3e près de chez soi, même sans réseau.",
        "Les élèves des quartiers prioritaires trouvent moins souvent un stage de qualité.",
        ["metropole-europeenne-de-lille"],
        ["investigation"],
        ["Éducation", "Emploi"],
        False,
    ),
    (
        "Composteurs Partagés",
        "Cartographier et animer les composteurs de quartier.",
        "Les biodéchets représentent un tiers de nos poubelles ; les composteurs sont mal connus.",
        ["grand-poitiers"],
        ["investigation", "construction"],
        ["Environnement"],
        False,
    ),
    (
        "Logement Étudiant Solidaire",
        "Mettre en relation seniors et étudiants pour un logement intergénérationnel.",
        "Les étudiants ne trouvent pas à se loger, des seniors vivent seuls dans de grands logements.",
        ["ville-de-brest"],
        ["investigation", "abandon"],
        ["Logement", "Social"],
        False,
    ),
    (
        "Dossier Unique Handicap",
        "Déposer une seule fois ses justificatifs pour toutes les aides handicap.",
        "Les familles fournissent dix fois les mêmes pièces à des guichets différents.",
        ["departement-du-nord"],
        ["investigation", "construction", "acceleration"],
        ["Santé", "Démarches administratives"],
        False,
    ),
    (
        "Covoiturage Domicile-Travail",
        "Inciter au covoiturage avec une prime versée par l’employeur public.",
        "Les agents viennent seuls en voiture, les parkings sont saturés.",
        ["region-occitanie"],
        ["investigation", "construction", "abandon"],
        ["Mobilité", "Environnement"],
        False,
    ),
    (
        "Marchés Publics Simplifiés",
        "Répondre à un petit marché public en vingt minutes.",
        "Les TPE locales renoncent aux marchés publics, trop complexes.",
        ["region-bretagne"],
        ["investigation", "construction", "acceleration"],
        ["Emploi"],
        False,
    ),
    (
        "Urgence Chaleur",
        "Prévenir les personnes isolées lors des canicules.",
        "Les registres canicule sont tenus sur papier et mis à jour trop tard.",
        ["ville-de-lyon"],
        ["investigation", "construction", "acceleration", "consolidation"],
        ["Santé", "Social"],
        False,
    ),
    (
        "Mon Accompagnement RSA",
        "Un parcours d’insertion suivi en ligne par l’allocataire et son référent.",
        "Un allocataire sur deux n’a pas de contrat d’engagement à jour.",
        ["departement-de-la-gironde"],
        ["investigation", "construction"],
        ["Emploi", "Social"],
        True,
    ),
    (
        "Éclairage Intelligent",
        "Adapter l’éclairage public à la fréquentation réelle.",
        "La facture d’électricité des communes a doublé.",
        ["cc-du-pays-de-craon"],
        ["investigation", "abandon"],
        ["Environnement"],
        False,
    ),
    (
        "Jardins Nourriciers",
        "Mettre des terrains communaux à disposition de maraîchers.",
        "Des terres publiques restent en friche pendant que les jeunes agriculteurs cherchent du foncier.",
        ["grand-poitiers"],
        ["investigation"],
        ["Alimentation", "Environnement"],
        False,
    ),
    (
        "Permis Bateau Numérique",
        "Passer l’épreuve théorique en ligne, en toute sécurité.",
        "Les sessions d’examen sont pleines des mois à l’avance.",
        ["prefecture-du-rhone"],
        ["investigation", "construction", "abandon"],
        ["Démarches administratives"],
        False,
    ),
    (
        "Mobilité Inclusive",
        "Un conseiller mobilité pour chaque demandeur d’emploi sans permis.",
        "Un refus d’emploi sur quatre vient d’un problème de transport.",
        ["region-occitanie"],
        ["investigation", "construction", "acceleration"],
        ["Mobilité", "Emploi"],
        False,
    ),
    (
        "École Ouverte",
        "Ouvrir les cours d’école aux habitants hors temps scolaire.",
        "Les quartiers denses manquent d’espaces verts accessibles.",
        ["ville-de-lyon"],
        ["investigation", "construction"],
        ["Éducation", "Environnement"],
        False,
    ),
    (
        "Alerte Inondation Quartier",
        "Prévenir chaque foyer exposé par SMS, rue par rue.",
        "Les alertes départementales sont trop larges et ignorées.",
        ["departement-de-la-gironde"],
        ["investigation", "construction", "acceleration", "consolidation", "transfere"],
        ["Sécurité", "Environnement"],
        False,
    ),
    (
        "Petite Enfance Places",
        "Voir les places de crèche disponibles et candidater une seule fois.",
        "Les familles déposent cinq dossiers, les crèches gèrent des listes en double.",
        ["ville-de-roubaix"],
        ["investigation", "construction", "acceleration"],
        ["Social", "Éducation"],
        False,
    ),
    (
        "Bibliothèque Hors les Murs",
        "Réserver des livres livrés au relais de sa commune.",
        "Les habitants des petites communes sont à quarante minutes de la médiathèque.",
        ["departement-de-la-creuse"],
        ["investigation", "abandon"],
        ["Éducation"],
        False,
    ),
    (
        "Tri Textile",
        "Trouver le point de collecte textile le plus proche et suivre son impact.",
        "Les textiles finissent dans les ordures ménagères faute d’information.",
        ["metropole-europeenne-de-lille"],
        ["investigation", "construction"],
        ["Environnement"],
        False,
    ),
    (
        "Habitat Indigne Signalement",
        "Signaler un logement indigne et suivre l’instruction.",
        "Les signalements se perdent entre mairie, ARS et CAF.",
        ["ville-de-brest"],
        ["investigation", "construction", "acceleration"],
        ["Logement"],
        False,
    ),
    (
        "Maison France Services Connectée",
        "Prendre rendez-vous dans sa Maison France Services.",
        "Les conseillers reçoivent sans rendez-vous et les usagers attendent des heures.",
        ["anct"],
        ["investigation", "construction", "acceleration", "consolidation", "opere"],
        ["Démarches administratives"],
        False,
    ),
    (
        "Sport Santé Prescrit",
        "Orienter les patients vers une activité physique adaptée près de chez eux.",
        "Les médecins prescrivent du sport mais ne connaissent pas l’offre locale.",
        ["region-bretagne"],
        ["investigation"],
        ["Santé"],
        False,
    ),
    (
        "Repair Café Numérique",
        "Réparer plutôt que jeter le matériel informatique des services.",
        "Les collectivités renouvellent leurs ordinateurs tous les quatre ans.",
        ["grand-poitiers"],
        ["investigation", "construction", "abandon"],
        ["Environnement"],
        False,
    ),
    (
        "Accueil Réfugiés Coordonné",
        "Coordonner hébergement, cours de langue et emploi pour les réfugiés.",
        "Les bénévoles et les services se relaient sans se connaître.",
        ["prefecture-du-rhone"],
        ["investigation", "construction"],
        ["Social"],
        True,
    ),
    (
        "Eau Potable Suivi",
        "Suivre la consommation d’eau des bâtiments communaux et détecter les fuites.",
        "Une fuite sur un bâtiment public dure en moyenne trois mois avant d’être vue.",
        ["cc-du-pays-de-craon"],
        ["investigation", "construction", "acceleration"],
        ["Environnement"],
        False,
    ),
    (
        "Bénévolat Local",
        "Proposer une mission bénévole de deux heures près de chez soi.",
        "Les associations manquent de bras, les habitants ne savent pas où aider.",
        ["ville-de-lyon"],
        ["investigation"],
        ["Social"],
        False,
    ),
    (
        "Aide Alimentaire Digne",
        "Une carte de paiement pour les épiceries solidaires, sans file d’attente.",
        "Les colis alimentaires sont stigmatisants et mal adaptés aux besoins.",
        ["departement-du-nord"],
        ["investigation", "construction", "acceleration", "abandon"],
        ["Alimentation", "Social"],
        False,
    ),
]

FAILURES = {
    "Logement Étudiant Solidaire": (
        FailureReason.NO_USER_NEED,
        "Les seniors rencontrés ne souhaitaient pas partager leur logement avec un inconnu, même accompagnés.",
        "Après quarante entretiens, moins de cinq seniors étaient prêts à s’engager : le besoin ne vient pas d’eux.",
        "Partir des associations qui accompagnent déjà des binômes et de leurs critères de confiance.",
        "Tester l’envie de l’autre partie avant de construire",
        "Nous avions interrogé les étudiants, pas les seniors. Un besoin à deux faces se vérifie des deux côtés.",
    ),
    "Covoiturage Domicile-Travail": (
        FailureReason.LOW_IMPACT,
        "La prime a surtout été touchée par des agents qui covoituraient déjà.",
        "Le coût par trajet évité dépassait 40 € : l’impact ne justifiait plus la dépense.",
        "Mesurer la situation de départ avant de lancer une incitation financière.",
        "Mesurer avant d’inciter",
        "Sans mesure initiale, une prime paie des comportements existants.",
    ),
    "Éclairage Intelligent": (
        FailureReason.PROCUREMENT_LEGAL,
        "Les contrats d’éclairage existants interdisent toute intervention d’un tiers sur le réseau.",
        "Aucune commune ne pouvait modifier son contrat avant son échéance, dans quatre à sept ans.",
        "Regarder les échéances des contrats de performance énergétique avant de démarcher.",
        "Lire les contrats en cours avant tout",
        "Le blocage était contractuel, pas technique : nous l’avons vu trop tard.",
    ),
    "Permis Bateau Numérique": (
        FailureReason.SPONSOR_WITHDREW,
        "La réforme nationale de l’examen a rendu le projet local sans objet.",
        "L’administration sponsor a préféré attendre l’outil national.",
        "Vérifier auprès des directions centrales qu’aucun chantier national n’est en cours.",
        "Vérifier l’agenda national",
        "Un problème local peut être résolu ailleurs au même moment : demandez avant de construire.",
    ),
    "Bibliothèque Hors les Murs": (
        FailureReason.NO_INTRAPRENEUR,
        "Le service fonctionnait, mais reposait sur une seule personne.",
        "L’agente-entrepreneuse a été réaffectée et personne n’a été libéré pour reprendre.",
        "Obtenir un engagement écrit sur le temps libéré, et un binôme dès la construction.",
        "Un projet, deux personnes",
        "Un seul agent libéré, c’est un projet qui s’arrête au premier changement de poste.",
    ),
    "Repair Café Numérique": (
        FailureReason.NO_FUNDING,
        "Les ateliers étaient pleins, mais le modèle reposait sur des subventions annuelles.",
        "Le budget 2025 n’a pas été reconduit.",
        "Chercher un modèle où les économies réalisées financent le service.",
        "Financer par les économies réalisées",
        "Un service qui fait économiser doit pouvoir se financer avec ces économies.",
    ),
    "Aide Alimentaire Digne": (
        FailureReason.TECHNICAL,
        "Les terminaux de paiement des épiceries n’acceptaient pas les cartes prépayées.",
        "Le coût d’adaptation des terminaux dépassait le budget de l’expérimentation.",
        "Partir d’un moyen de paiement déjà accepté par les commerçants.",
        "Partir des outils des commerçants",
        "Nous avons conçu pour les usagers sans vérifier l’équipement des commerçants.",
    ),
}


def _months_ago(months: float) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=int(months * 30.4))


@transaction.atomic
def seed_demo_lifecycle(users: dict[str, User]) -> int:
    """Create the demo network; returns how many startups were created this time."""
    coach, agent, referent = users["coach"], users["agent"], users["territoire"]
    territories = {}
    for slug, name, kind, siren, insee in TERRITORIES:
        territories[slug], _ = Territory.objects.update_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "siren": siren, "insee_code": insee}
        )
    territories["departement-du-nord"].referents.add(referent)
    themes = {}
    for name in THEMES:
        themes[name], _ = Theme.objects.get_or_create(slug=slugify(name), defaults={"name": name})

    north, south = (
        Incubator.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "description": description, "owner": territories[owner]},
        )[0]
        for slug, name, description, owner in [
            (
                "fabrique-des-territoires-nord",
                "Fabrique des territoires Nord",
                "Incubateur des collectivités des Hauts-de-France.",
                "departement-du-nord",
            ),
            (
                "atelier-numerique-occitanie",
                "Atelier numérique Occitanie",
                "Incubateur régional des startups de territoire.",
                "region-occitanie",
            ),
        ]
    )
    north.coaches.add(coach)
    cohorts = []
    for incubator, program_name in [
        (north, "Programme Territoires 2024"),
        (south, "Programme Occitanie"),
    ]:
        program, _ = Program.objects.update_or_create(
            slug=slugify(program_name),
            defaults={
                "incubator": incubator,
                "name": program_name,
                "contribution_cents_per_year": 25_000_00,
            },
        )
        for year in (2023, 2024):
            cohort, _ = Cohort.objects.update_or_create(
                slug=f"{program.slug}-{year}",
                defaults={
                    "program": program,
                    "name": f"Promotion {year}",
                    "start_date": datetime.date(year, 1, 8),
                },
            )
            cohort.coaches.add(coach)
            cohorts.append(cohort)

    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    created = 0
    for index, (name, pitch, problem, sponsors, path, theme_names, private) in enumerate(STARTUPS):
        if Startup.objects.filter(slug=slugify(name)).exists():
            continue
        created += 1
        incubator = north if index % 3 else south
        cohort = next(
            c
            for c in cohorts
            if c.program.incubator == incubator
            and c.name.endswith("2023" if len(path) > 2 else "2024")
        )
        _seed_startup(
            rng=rng,
            index=index,
            name=name,
            pitch=pitch,
            problem=problem,
            incubator=incubator,
            cohort=cohort,
            sponsors=[territories[s] for s in sponsors],
            path=[Phase(p) for p in path],
            themes=[themes[t] for t in theme_names],
            private=private,
            coach=coach,
            agent=agent if index % 4 == 0 else _demo_agent(index),
            territories=territories,
        )
    # After the startups: their demo history predates the gates (see the docstring).
    seed_demo_gate_criteria({cohort.program for cohort in cohorts})
    return created


# phase, label, kind, threshold: the entry criteria of every demo programme.
GATE_CRITERIA = [
    (Phase.CONSTRUCTION, "Problème confirmé par des preuves", GateCriterionKind.MANUAL, None),
    (
        Phase.CONSTRUCTION,
        "Engagement du sponsor signé",
        GateCriterionKind.SIGNED_COMMITMENT,
        None,
    ),
    (
        Phase.CONSTRUCTION,
        "Agent-entrepreneur libéré au moins 2 jours par semaine",
        GateCriterionKind.FREED_TIME,
        Decimal("2"),
    ),
    (
        Phase.ACCELERATION,
        "Service utilisé par de vrais usagers, impact mesuré",
        GateCriterionKind.MANUAL,
        None,
    ),
    (
        Phase.ACCELERATION,
        "Agent-entrepreneur libéré au moins 3 jours par semaine",
        GateCriterionKind.FREED_TIME,
        Decimal("3"),
    ),
]


def seed_demo_gate_criteria(programs) -> None:
    """Default phase-gate criteria of the demo programmes (idempotent).

    Seeded once the demo startups exist: their phase history was decided by
    committees before these gates were in place.
    """
    for program in programs:
        for order, (phase, label, kind, threshold) in enumerate(GATE_CRITERIA):
            PhaseGateCriterion.objects.get_or_create(
                program=program,
                phase=phase,
                label=label,
                defaults={"kind": kind, "threshold": threshold, "order": order},
            )


def _seed_startup(
    *,
    rng,
    index,
    name,
    pitch,
    problem,
    incubator,
    cohort,
    sponsors,
    path,
    themes,
    private,
    coach,
    agent,
    territories,
):
    # Each phase lasted a few months; the last one is still running (or ended).
    durations = [rng.randint(3, 9) for _ in path]
    start = _months_ago(sum(durations) + rng.randint(0, 2))
    startup = services.startup_create(
        incubator=incubator,
        name=name,
        actor=coach,
        on=start,
        cohort=cohort,
        pitch=pitch,
        problem=problem,
        target_users="Habitants et agents du territoire.",
        solution_hypothesis=pitch,
        visibility=Visibility.PRIVATE if private else Visibility.PUBLIC,
        website=f"https://{slugify(name)}.exemple.fr",
        rationale="Sélectionnée par le comité de l’appel à projets.",
    )
    startup.themes.set(themes)
    for position, territory in enumerate(sponsors):
        Sponsorship.objects.create(
            startup=startup,
            territory=territory,
            amount_cents=rng.choice([30_000, 60_000, 90_000]) * 100,
            start_date=start,
            commitment_signed_on=start if (index + position) % 5 else None,
            contact_name="Direction de la transformation",
        )
    if agent is not None:
        Membership.objects.create(
            startup=startup,
            user=agent,
            role=MembershipRole.AGENT,
            start_date=start,
            freed_days_per_week=Decimal("3.0"),
        )
    Membership.objects.create(
        startup=startup, user=coach, role=MembershipRole.COACH, start_date=start
    )
    Funding.objects.create(
        startup=startup,
        funder=sponsors[0],
        kind=FundingKind.SPONSOR,
        start_date=start,
        amount_cents=rng.choice([50_000, 80_000, 120_000]) * 100,
    )

    indicator = Indicator.objects.create(
        startup=startup,
        name="Usagers actifs par mois",
        unit="usagers",
        target=Decimal(rng.choice([200, 500, 1000])),
    )
    day, value = start, rng.randint(5, 30)
    while day < timezone.localdate():
        Measurement.objects.create(indicator=indicator, date=day, value=value)
        value = max(0, int(value * rng.uniform(0.9, 1.35)))
        day += datetime.timedelta(days=30)

    Experiment.objects.create(
        startup=startup,
        hypothesis=f"Les usagers adoptent « {name} » sans accompagnement.",
        territory=sponsors[0],
        success_criterion="60 % des usagers terminent le parcours seuls.",
        protocol="Test sur un quartier pilote pendant six semaines.",
        start_date=start + datetime.timedelta(days=45),
        outcome=rng.choice(list(ExperimentOutcome)),
        learnings="Le bouche-à-oreille compte plus que l’affichage.",
    )

    day = start
    for phase, months in zip(path[1:], durations, strict=False):
        day = day + datetime.timedelta(days=int(months * 30.4))
        Milestone.objects.create(
            startup=startup,
            title=f"Bilan de phase avant {phase.label.lower()}",
            status=MilestoneStatus.ACHIEVED,
            due_date=day,
            achieved_on=day,
            evidence_url=f"https://{slugify(name)}.exemple.fr/bilan",
        )
        if phase == Phase.ABANDONED:
            reason, learned, why, advice, lesson_title, lesson_body = FAILURES[name]
            services.failure_record(
                startup=startup,
                scope=FailureScope.STARTUP,
                reason=reason,
                occurred_on=day,
                author=coach,
                what_we_learned=learned,
                why_we_stop=why,
                advice_for_relaunch=advice,
                publication_consent=True,
                lessons=[
                    {
                        "title": lesson_title,
                        "body": lesson_body,
                        "visibility": Visibility.PUBLIC,
                        "themes": themes,
                    }
                ],
            )
            decision = ReviewDecision.STOP
        else:
            decision = ReviewDecision.ADVANCE
        services.review_record(
            startup=startup,
            date=day,
            decision=decision,
            actor=coach,
            to_phase=phase,
            participants="Coach, sponsor, agent-entrepreneur",
            rationale=f"Passage en {phase.label.lower()} validé en comité.",
            budget_granted_cents=rng.choice([40_000, 80_000]) * 100,
            next_review_date=None
            if phase in (Phase.ABANDONED, Phase.TRANSFERRED, Phase.OPERATED)
            else day + datetime.timedelta(days=182),
            targets={indicator: indicator.target},
            # Used only if the gates already exist (a startup added to a seeded demo).
            gate_override_reason="Historique de démonstration, antérieur aux critères d’entrée.",
        )
    if not startup.transitions.filter(to_phase__in=[Phase.ABANDONED]).exists():
        Milestone.objects.create(
            startup=startup,
            title="Prochaine mise en production",
            status=MilestoneStatus.PLANNED,
            due_date=timezone.localdate() + datetime.timedelta(days=rng.randint(10, 90)),
        )
    # The demo is loaded in one go; spread the "last update" so the board shows
    # fresh startups and ones that went quiet (30/60/90-day reminders).
    quiet_days = rng.choice([0, 2, 5, 12, 20, 35, 48, 65, 95])
    Startup.objects.filter(pk=startup.pk).update(
        last_activity_at=timezone.now() - datetime.timedelta(days=quiet_days)
    )
    return startup


DEMO_AGENT_NAMES = [
    "Léa Martin",
    "Hugo Bernard",
    "Chloé Dubois",
    "Louis Thomas",
    "Manon Robert",
    "Nathan Richard",
    "Camille Petit",
    "Lucas Durand",
    "Sarah Leroy",
    "Jules Moreau",
    "Emma Simon",
    "Gabriel Laurent",
    "Inès Lefebvre",
    "Adam Michel",
    "Zoé Garcia",
    "Raphaël David",
    "Jade Bertrand",
    "Arthur Roux",
    "Lina Vincent",
    "Noah Fournier",
    "Alice Morel",
    "Ethan Girard",
]


def _demo_agent(index: int) -> User | None:
    """Most startups have their own agent-entrepreneur; a few have none (an alert to show)."""
    if index % 7 == 3:
        return None
    name = DEMO_AGENT_NAMES[index % len(DEMO_AGENT_NAMES)]
    email = f"{slugify(name)}@demo.example"
    user, created = User.objects.get_or_create(email=email, defaults={"display_name": name})
    if created:
        user.set_unusable_password()  # demo team members, not published logins
        user.save(update_fields=["password"])
    return user


def seed_demo_reports(users: dict[str, User]) -> int:
    """Published reports for the public site: last year's, for the référent's territory
    and the coach's incubator. Generated now, from the demo data; returns how many."""
    coach = users["coach"]
    year = timezone.localdate().year - 1
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    subjects = [
        (ReportKind.TERRITORY, Territory.objects.get(slug="departement-du-nord")),
        (ReportKind.INCUBATOR, Incubator.objects.get(slug="fabrique-des-territoires-nord")),
    ]
    made = 0
    for kind, subject in subjects:
        if Report.objects.filter(kind=kind, is_public=True, published_at__isnull=False).exists():
            continue
        report = services.report_request(
            kind=kind, subject=subject, start=start, end=end, public=True, user=coach
        )
        # Built right away rather than by the worker, so the site shows it at once.
        services.report_run(report.pk)
        report.refresh_from_db()
        services.report_publish(report, user=coach)
        made += 1
    return made
