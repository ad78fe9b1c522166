"""A seeded, reproducible incubator network at a chosen scale, for benchmarks.

    generate("reports", seed=2026)                      # a preset
    generate(Params(startups=200, ...), seed=1)         # or explicit parameters
    python bench/datagen.py --scale network --migrate   # from the shell

Fast: rows are written with `bulk_create` in batches, never one service call
per row. Consistent all the same, as the services would leave it: each
startup's phase history is a legal path (`ALLOWED_TRANSITIONS`, pivots,
reopenings) with increasing dates, committees behind every decision, the
denormalised `Startup.phase*`/`last_activity_at` fields equal to the last
transition, every stop documented by a whole-startup failure with its
reason, texts and at least one lesson. Same seed and same `today`, same data.

bulk_create writes no django-simple-history rows: generated records have no
edit history, which no report reads.
"""

import argparse
import datetime
import math
import os
import random
import secrets
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.utils.text import slugify  # noqa: E402

from incubator.enums import (  # noqa: E402
    ALLOWED_TRANSITIONS,
    DEFAULT_MAX_DURATION_MONTHS,
    PHASE_ORDER,
    PIVOT_TRANSITIONS,
    SUCCESS_PHASES,
    TERMINAL_PHASES,
    AccessibilityCompliance,
    ExperimentOutcome,
    FailureReason,
    FailureScope,
    FundingKind,
    MembershipRole,
    MilestoneStatus,
    Phase,
    ReviewDecision,
    TerritoryKind,
    TransitionKind,
    Visibility,
)

PHASE_ABANDON_ODDS = {  # chance that a committee stops a startup after its stay in a phase
    "investigation": 0.2,
    "construction": 0.14,
    "acceleration": 0.1,
    "consolidation": 0.06,
}
PIVOT_ODDS = 0.07
REOPEN_ODDS = 0.03
BATCH_SIZE = 1000  # rows per INSERT on PostgreSQL (Django caps SQLite at its own limit)
CHUNK_STARTUPS = 500  # startups built and written together, to bound memory


@dataclass(frozen=True)
class Params:
    """How big the generated network is; every count is exact."""

    startups: int
    milestones: int
    measurements: int
    lessons: int
    territories: int
    incubators: int
    # Startups per incubator; empty: spread at random (each incubator gets some).
    incubator_sizes: tuple[int, ...] = ()
    # Cohorts per incubator; 0: one per `cohort_size` startups.
    cohorts_per_incubator: int = 0
    cohort_size: int = 40
    # Exact sizes of the first cohorts of the first incubator (started about two years ago).
    first_cohorts: tuple[int, ...] = ()
    cohortless_share: float = 0.1
    # "Showcase" startups, first of the first incubator's oldest cohort: still
    # running, with this many measurements and milestones each (from the totals).
    showcase_measurements: tuple[int, ...] = ()
    showcase_milestones: tuple[int, ...] = ()
    private_share: float = 0.1
    private_lesson_share: float = 0.3
    history_years: int = 5


PRESETS = {
    # For tests: a couple of seconds on SQLite.
    "small": Params(
        startups=40,
        milestones=240,
        measurements=320,
        lessons=30,
        territories=12,
        incubators=2,
        cohort_size=8,
        first_cohorts=(6,),
        showcase_measurements=(40,),
        showcase_milestones=(12,),
    ),
    # For bench/reports.py: one incubator of 1,000 startups (with a cohort of 50,
    # one of 25 and showcase startups of 600 and 300 measurements), and a second
    # one of 500 shaped alike, to show query counts do not grow with size.
    "reports": Params(
        startups=1500,
        milestones=15_000,
        measurements=30_000,
        lessons=900,
        territories=80,
        incubators=2,
        incubator_sizes=(1000, 500),
        cohorts_per_incubator=8,
        first_cohorts=(50, 25),
        cohortless_share=0.0,
        showcase_measurements=(600, 300),
        showcase_milestones=(80, 40),
    ),
    # The whole network, for the list pages and network reports.
    "network": Params(
        startups=10_000,
        milestones=100_000,
        measurements=50_000,
        lessons=5000,
        territories=500,
        incubators=20,
    ),
}


@dataclass
class Summary:
    """What was generated: exact counts, a few landmark slugs to benchmark on, and how long."""

    seed: int
    today: datetime.date
    params: Params
    counts: dict[str, int]
    landmarks: dict[str, str]
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "seed": self.seed,
            "today": self.today.isoformat(),
            "params": asdict(self.params),
            "counts": self.counts,
            "landmarks": self.landmarks,
            "seconds": round(self.seconds, 2),
        }


# --- Vocabulary -----------------------------------------------------------------------

NAME_HEADS = [
    "Cantine", "Guichet", "Trajet", "Dossier", "Relais", "Parcours", "Atelier", "Registre",
    "Signal", "Pass", "Boussole", "Tremplin", "Passerelle", "Radar", "Balise", "Compas",
    "Carnet", "Fil", "Pont", "Agenda", "Portail", "Bureau", "Coffre", "Vigie",
]  # fmt: skip
NAME_DOMAINS = [
    "Logement", "Mobilité", "Jeunesse", "Seniors", "Emploi", "Santé", "Énergie", "Eau",
    "Déchets", "Cantines", "Aidants", "Handicap", "Culture", "Sport", "Voirie", "Marchés",
    "Écoles", "Forêts", "Littoral", "Commerces", "Bénévoles", "Associations", "Mairie",
]  # fmt: skip
NAME_QUALIFIERS = [
    "Solidaire", "Rural", "Citoyen", "Facile", "Partagé", "Local", "Express", "Inclusif",
    "Durable", "Connecté", "Ouvert", "Simplifié", "Commun", "Direct",
]  # fmt: skip
PLACE_PREFIXES = [
    "Saint-", "Sainte-", "Mont", "Val-de-", "Bourg-", "Port-", "Beau", "Roche", "Fontaine-",
    "Château", "Pont-", "Villeneuve-", "Champ", "Les Granges-",
]  # fmt: skip
PLACE_ROOTS = [
    "Aubin", "Vernay", "Loire", "Marne", "Sauveur", "Brice", "Cernay", "Lieu", "Mesnil",
    "Orme", "Aigues", "Roussillon", "Thierry", "Ardèche", "Seille", "Verdon", "Yonne",
    "Vienne", "Dore", "Lys", "Aven", "Odet", "Isle", "Oise",
]  # fmt: skip
FIRST_NAMES = [
    "Léa", "Hugo", "Chloé", "Louis", "Manon", "Nathan", "Camille", "Lucas", "Sarah", "Jules",
    "Emma", "Gabriel", "Inès", "Adam", "Zoé", "Raphaël", "Jade", "Arthur", "Lina", "Noah",
    "Alice", "Ethan", "Nora", "Malik", "Yasmine", "Théo", "Rose", "Samuel", "Anaïs", "Karim",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "Benali", "Nguyen", "Diallo", "Le Gall",
]  # fmt: skip
THEMES = [
    "Mobilité", "Social", "Éducation", "Environnement", "Santé", "Emploi", "Logement",
    "Alimentation", "Démarches administratives", "Sécurité",
]  # fmt: skip
INDICATORS = [
    # name, unit, direction, base value, monthly growth
    ("Usagers actifs par mois", "usagers", "up", 20, 1.08),
    ("Délai moyen de traitement", "jours", "down", 40, 0.97),
    ("Démarches complétées en ligne", "démarches", "up", 50, 1.05),
    ("Taux de satisfaction", "%", "up", 60, 1.005),
    ("Agents utilisateurs", "agents", "up", 3, 1.06),
    ("Coût par dossier", "euros", "down", 120, 0.99),
]
MILESTONE_TITLES = [
    "Entretiens avec {n} usagers", "Prototype testé au guichet", "Première mise en ligne",
    "Convention signée avec le sponsor", "Ouverture à une deuxième commune",
    "Audit d’accessibilité", "Bilan d’usage trimestriel", "Formation des agents",
    "Analyse d’impact publiée", "Recrutement d’un développeur", "Passage en production",
    "Comité utilisateurs n°{n}",
]  # fmt: skip
STOP_TEXTS = {
    # reason: (what we learned, why we stop, advice, lesson titles)
    "low_impact": (
        "Le service était utilisé, mais par trop peu de personnes pour son coût.",
        "Le coût par usager restait dix fois supérieur au guichet.",
        "Mesurer l’usage réel dès le premier mois et fixer un seuil d’arrêt.",
        ["Fixer un seuil d’arrêt avant de construire", "Comparer au coût du guichet"],
    ),
    "no_funding": (
        "Le budget de l’année suivante n’a jamais été voté.",
        "Sans financement, l’équipe ne pouvait plus être payée.",
        "Obtenir un engagement pluriannuel avant l’accélération.",
        ["Sécuriser le budget sur deux ans", "Chercher un second financeur tôt"],
    ),
    "sponsor_withdrew": (
        "Le changement d’élu a changé les priorités.",
        "Le territoire sponsor ne porte plus le projet.",
        "Associer plusieurs élus et les services dès l’investigation.",
        ["Ne pas dépendre d’un seul élu", "Impliquer les services, pas seulement le cabinet"],
    ),
    "no_intrapreneur": (
        "L’agent-entrepreneur a été réaffecté sans remplaçant.",
        "Personne au sein de l’administration ne pouvait reprendre.",
        "Prévoir un binôme d’agents dès le départ.",
        ["Toujours former un binôme d’agents", "Libérer le temps par écrit"],
    ),
    "no_user_need": (
        "Les usagers avaient déjà une solution qui leur convenait.",
        "Le besoin n’a pas été confirmé sur le terrain.",
        "Observer les guichets deux semaines avant toute ligne de code.",
        ["Observer avant de construire", "Interroger les agents d’accueil"],
    ),
    "procurement_legal": (
        "Le marché public existant couvrait déjà ce service.",
        "Le blocage juridique ne pouvait pas être levé dans les délais.",
        "Consulter la commande publique dès l’investigation.",
        ["Vérifier les marchés en cours", "Faire relire le cadre juridique tôt"],
    ),
    "technical": (
        "Les données de référence n’étaient pas accessibles par API.",
        "L’interconnexion avec le logiciel métier était impossible.",
        "Tester l’accès aux données avant de s’engager.",
        ["Tester l’accès aux données d’abord", "Parler à l’éditeur du logiciel métier"],
    ),
    "other": (
        "Le contexte a changé plus vite que le service.",
        "L’équipe et le sponsor ont décidé ensemble d’arrêter.",
        "Documenter chaque hypothèse et sa preuve.",
        ["Écrire les hypothèses noir sur blanc"],
    ),
}
EXPERIMENT_LESSONS = [
    "L’affichage en mairie ne suffit pas",
    "Le bouche-à-oreille compte plus que la communication",
    "Un test de six semaines était trop court",
    "Les agents doivent être formés avant l’ouverture",
    "Le formulaire papier reste nécessaire",
]
STOP_REASONS = list(STOP_TEXTS)


# --- Planning (pure Python, no database) ------------------------------------------------


@dataclass(slots=True)
class _Step:
    kind: str
    from_phase: str
    to_phase: str
    date: datetime.date


@dataclass(slots=True)
class _Experiment:
    start: datetime.date
    end: datetime.date | None
    outcome: str
    failure_lessons: int = 0  # > 0: the experiment failed, with a Failure and lessons


@dataclass(slots=True)
class _StartupPlan:
    index: int
    name: str
    slug: str
    incubator: int
    cohort: int | None
    start: datetime.date
    private: bool
    showcase: int | None
    steps: list[_Step] = field(default_factory=list)
    experiments: list[_Experiment] = field(default_factory=list)
    milestones: int = 0
    measurements: int = 0
    stop_lessons: int = 0

    @property
    def phase(self) -> str:
        return self.steps[-1].to_phase

    def end(self, today: datetime.date) -> datetime.date:
        """Last day of activity: the day it ended (terminal phase) or today."""
        return self.steps[-1].date if self.phase in TERMINAL_PHASES else today


def _days(months: float) -> int:
    return max(1, int(months * 30.4))


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, exactly (largest remainders)."""
    weight_sum = sum(weights)
    if total == 0 or not weights:
        return [0] * len(weights)
    if weight_sum <= 0:
        weights, weight_sum = [1.0] * len(weights), float(len(weights))
    shares = [total * w / weight_sum for w in weights]
    counts = [int(s) for s in shares]
    left = total - sum(counts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts


def _split_capped(rng, total: int, weights: list[float], caps: list[int]) -> list[int]:
    """As `_split`, never above `caps`; what overflows goes where there is room."""
    if total > sum(caps):
        raise ValueError(f"Cannot place {total} rows: room for {sum(caps)} only.")
    counts = [min(c, cap) for c, cap in zip(_split(total, weights), caps, strict=True)]
    left = total - sum(counts)
    order = list(range(len(counts)))
    rng.shuffle(order)
    while left:
        for i in order:
            if left and counts[i] < caps[i]:
                room = min(caps[i] - counts[i], max(1, left // len(order)), left)
                counts[i] += room
                left -= room
    return counts


class _Names:
    """Unique, readable names (and their slugs), drawn from the vocabulary."""

    def __init__(self):
        self.names: set[str] = set()
        self.slugs: set[str] = set()

    def take(self, name: str) -> tuple[str, str]:
        candidate, counter = name, 2
        while candidate in self.names or slugify(candidate)[:110] in self.slugs:
            candidate = f"{name} {counter}"
            counter += 1
        self.names.add(candidate)
        slug = slugify(candidate)[:110]
        self.slugs.add(slug)
        return candidate, slug


def _startup_name(rng) -> str:
    pattern = rng.random()
    if pattern < 0.4:
        return f"{rng.choice(NAME_HEADS)} {rng.choice(NAME_DOMAINS)}"
    if pattern < 0.75:
        return f"{rng.choice(NAME_HEADS)} {rng.choice(NAME_QUALIFIERS)}"
    return f"{rng.choice(NAME_DOMAINS)} {rng.choice(NAME_QUALIFIERS)}"


def _place(rng) -> str:
    return f"{rng.choice(PLACE_PREFIXES)}{rng.choice(PLACE_ROOTS)}"


def _path(rng, *, start, today, months, durable: bool) -> list[_Step]:
    """A legal phase history from `start`: stays of 35–125 % of the phase's maximum.

    `months(phase)` is the maximum stay; `durable` startups never stop nor end
    (showcase startups, which must still be running).
    """
    steps = [_Step(TransitionKind.START, "", Phase.INVESTIGATION, start)]
    phase, day, reopened = Phase.INVESTIGATION, start, False
    while True:
        if phase in SUCCESS_PHASES:
            # Rarely, staff reopen a transferred or operated service for a new version.
            if reopened or rng.random() >= REOPEN_ODDS:
                break
            day = day + datetime.timedelta(days=rng.randint(60, 400))
            if day > today:
                break
            reopened = True
            steps.append(_Step(TransitionKind.REOPEN, phase, Phase.CONSOLIDATION, day))
            phase = Phase.CONSOLIDATION
            continue
        if phase == Phase.ABANDONED:
            break
        day = day + datetime.timedelta(days=_days(months(phase) * rng.uniform(0.35, 1.25)))
        if day > today:
            break
        draw = rng.random()
        index = PHASE_ORDER.index(phase)
        if not durable and draw < PHASE_ABANDON_ODDS[phase]:
            kind, to = TransitionKind.ABANDON, Phase.ABANDONED
        elif index > 0 and draw > 1 - PIVOT_ODDS:
            kind, to = TransitionKind.PIVOT, PHASE_ORDER[index - 1]
        elif phase == Phase.CONSOLIDATION:
            if durable:
                break
            kind = TransitionKind.ADVANCE
            to = Phase.TRANSFERRED if rng.random() < 0.6 else Phase.OPERATED
        else:
            kind, to = TransitionKind.ADVANCE, PHASE_ORDER[index + 1]
        steps.append(_Step(kind, phase, to, day))
        phase = to
    return steps


def _max_months(program: dict | None, phase: str) -> int | None:
    """As `Program.max_duration_months`, for a planned programme's overrides."""
    if program is not None and program.get(phase):
        return program[phase]
    return DEFAULT_MAX_DURATION_MONTHS.get(phase)


@dataclass
class _Plan:
    territories: list[dict]
    incubators: list[dict]
    programs: list[dict]
    cohorts: list[dict]
    startups: list[_StartupPlan]
    agents: int
    team_members: int
    landmarks: dict[str, str]
    private_lesson_share: float


def _plan(params: Params, rng: random.Random, today: datetime.date) -> _Plan:
    """Decide everything but the row contents: who, where, when, which phases, how many."""
    p = params
    founded = today - datetime.timedelta(days=365 * p.history_years)

    # Territories: a few regions and departments, many communes and intercommunalités.
    kinds = [
        (TerritoryKind.REGION, "Région", 0.04),
        (TerritoryKind.DEPARTEMENT, "Département de", 0.12),
        (TerritoryKind.EPCI, "Communauté de communes de", 0.22),
        (TerritoryKind.COMMUNE, "Ville de", 0.52),
        (TerritoryKind.STATE, "Préfecture de", 0.06),
        (TerritoryKind.OPERATOR, "Agence territoriale de", 0.04),
    ]
    territory_names = _Names()
    territories = []
    for _i in range(p.territories):
        kind, label, _w = rng.choices(kinds, weights=[k[2] for k in kinds])[0]
        name, slug = territory_names.take(f"{label} {_place(rng)}")
        territories.append({"name": name, "slug": slug, "kind": kind})

    # Incubators, their programmes and cohorts.
    if p.incubator_sizes:
        sizes = list(p.incubator_sizes)
    else:
        weights = [rng.uniform(0.4, 1.6) for _ in range(p.incubators)]
        sizes = [1 + n for n in _split(p.startups - p.incubators, weights)]
    if len(sizes) != p.incubators or sum(sizes) != p.startups or min(sizes, default=1) < 1:
        raise ValueError("incubator_sizes must give every incubator a startup and sum to startups")

    incubator_names = _Names()
    incubators, programs, cohorts = [], [], []
    cohort_names = _Names()
    incubator_of_startup: list[tuple[int, int | None]] = []  # (incubator, cohort) per startup
    for inc_index, size in enumerate(sizes):
        owner = rng.randrange(len(territories)) if territories else None
        place = territories[owner]["name"].split(" ", 1)[-1] if owner is not None else _place(rng)
        name, slug = incubator_names.take(f"Fabrique numérique {place}")
        incubators.append(
            {"name": name, "slug": slug, "owner": owner, "coaches": rng.randint(2, 5)}
        )
        program_count = 2 if size >= 20 else 1
        inc_programs = []
        for k in range(program_count):
            title = "Programme Territoires" if k == 0 else "Programme Accélération"
            overrides = {}
            if k == 1:  # a programme with its own duration policy
                overrides = {Phase.INVESTIGATION: 4, Phase.CONSTRUCTION: 9}
            programs.append(
                {
                    "incubator": inc_index,
                    "name": f"{title} — {name}",
                    "slug": f"{slug}-programme-{k + 1}",
                    "months": overrides,
                }
            )
            inc_programs.append(len(programs) - 1)

        with_cohort = size - round(size * p.cohortless_share)
        explicit = list(p.first_cohorts) if inc_index == 0 else []
        if sum(explicit) > with_cohort:
            raise ValueError("first_cohorts do not fit in the first incubator")
        count = p.cohorts_per_incubator or max(1, math.ceil(with_cohort / p.cohort_size))
        count = max(count, len(explicit) + (1 if with_cohort > sum(explicit) else 0))
        rest = _split(with_cohort - sum(explicit), [1.0] * (count - len(explicit)))
        cohort_sizes = explicit + rest
        history_days = max(1, (today - founded).days - 90)
        regular = count - len(explicit)
        for position, cohort_size in enumerate(cohort_sizes):
            if position < len(explicit):
                start = today - datetime.timedelta(days=730 - 30 * position)
            else:
                slot = position - len(explicit)
                start = founded + datetime.timedelta(days=history_days * slot // max(1, regular))
            program = inc_programs[position % len(inc_programs)]
            cohort_name, cohort_slug = cohort_names.take(
                f"Promotion {start:%Y-%m} — {programs[program]['name']}"
            )
            end = start + datetime.timedelta(days=548)
            cohorts.append(
                {
                    "program": program,
                    "name": cohort_name.split(" — ")[0]
                    + (f" ({cohort_size} startups)" if position < len(explicit) else ""),
                    "slug": cohort_slug,
                    "start": start,
                    "end": end if end <= today else None,
                    "size": cohort_size,
                }
            )
            incubator_of_startup += [(inc_index, len(cohorts) - 1)] * cohort_size
        incubator_of_startup += [(inc_index, None)] * (size - with_cohort)

    # Startups and their phase histories.
    startup_names = _Names()
    startups: list[_StartupPlan] = []
    showcase_left = len(p.showcase_measurements)
    # Showcase startups come from the first incubator's oldest cohort: the longest histories.
    oldest = sorted(
        (c["start"], i) for i, c in enumerate(cohorts) if programs[c["program"]]["incubator"] == 0
    )
    showcase_cohort = oldest[0][1] if oldest else None
    for index, (inc_index, cohort) in enumerate(incubator_of_startup):
        name, slug = startup_names.take(_startup_name(rng))
        showcase = None
        if showcase_left and inc_index == 0 and cohort == showcase_cohort:
            showcase = len(p.showcase_measurements) - showcase_left
            showcase_left -= 1
        if cohort is not None:
            start = cohorts[cohort]["start"] + datetime.timedelta(days=rng.randint(0, 45))
        else:
            start = founded + datetime.timedelta(days=rng.randint(0, (today - founded).days - 14))
        start = min(start, today - datetime.timedelta(days=1))
        program = programs[cohorts[cohort]["program"]]["months"] if cohort is not None else None
        plan = _StartupPlan(
            index=index,
            name=name,
            slug=slug,
            incubator=inc_index,
            cohort=cohort,
            start=start,
            private=showcase is None and rng.random() < p.private_share,
            showcase=showcase,
        )
        plan.steps = _path(
            rng,
            start=start,
            today=today,
            months=lambda phase, program=program: _max_months(program, phase) or 12,
            durable=showcase is not None,
        )
        startups.append(plan)

    # Every stop needs a documented failure with a lesson: no more stops than lessons.
    stopped = [s for s in startups if s.phase == Phase.ABANDONED]
    if len(stopped) > p.lessons:
        for plan in rng.sample(stopped, len(stopped) - p.lessons):
            plan.steps.pop()  # the committee did not stop it (yet)
        stopped = [s for s in startups if s.phase == Phase.ABANDONED]

    # Experiments: one or two per startup, within its active life.
    for plan in startups:
        end = plan.end(today)
        life = (end - plan.start).days
        for _n in range(1 + (rng.random() < 0.5)):
            begin = plan.start + datetime.timedelta(days=rng.randint(0, max(0, life - 1)))
            length = rng.randint(30, 120)
            finish = begin + datetime.timedelta(days=length)
            if finish > end:
                outcome = ExperimentOutcome.RUNNING if plan.phase not in TERMINAL_PHASES else None
                if outcome is None:  # a stopped startup's last test ended with it
                    finish, outcome = end, ExperimentOutcome.INCONCLUSIVE
                else:
                    finish = None
            else:
                outcome = rng.choice(
                    [
                        ExperimentOutcome.VALIDATED,
                        ExperimentOutcome.VALIDATED,
                        ExperimentOutcome.INVALIDATED,
                        ExperimentOutcome.INCONCLUSIVE,
                    ]
                )
            plan.experiments.append(_Experiment(begin, finish, outcome))

    # Lessons: one per stop, then half the rest on stops and half on failed experiments.
    for plan in stopped:
        plan.stop_lessons = 1
    remaining = p.lessons - len(stopped)
    on_stops = remaining // 2 if stopped else 0
    for _n in range(on_stops):
        rng.choice(stopped).stop_lessons += 1
    ended = [
        (plan, experiment)
        for plan in startups
        for experiment in plan.experiments
        if experiment.end is not None
    ]
    for _n in range(remaining - on_stops):
        if not ended:
            raise ValueError("No ended experiment to hang lessons on: raise startups")
        _plan_startup, experiment = rng.choice(ended)
        experiment.outcome = ExperimentOutcome.INVALIDATED
        experiment.failure_lessons += 1

    # Milestones and measurements: showcase startups first, the rest by length of life.
    showcases = [s for s in startups if s.showcase is not None]
    others = [s for s in startups if s.showcase is None]
    for plan in showcases:
        plan.milestones = (p.showcase_milestones or (0,) * len(showcases))[plan.showcase]
        plan.measurements = p.showcase_measurements[plan.showcase]
    lives = [max(1, (s.end(today) - s.start).days) for s in others]
    for plan, n in zip(
        others,
        _split(
            p.milestones - sum(s.milestones for s in showcases),
            [life * rng.uniform(0.5, 1.5) for life in lives],
        ),
        strict=True,
    ):
        plan.milestones = n
    # At most one value a day per indicator, three indicators at most.
    for plan, n in zip(
        others,
        _split_capped(
            rng,
            p.measurements - sum(s.measurements for s in showcases),
            [life * rng.uniform(0.5, 1.5) for life in lives],
            [3 * life for life in lives],
        ),
        strict=True,
    ):
        plan.measurements = n

    users_needed = round(len(startups) * 0.9) + 1
    team = max(1, len(startups) // 3)
    landmarks = {"incubator": incubators[0]["slug"]} if incubators else {}
    for position, size in enumerate(p.incubator_sizes):
        landmarks.setdefault(f"incubator_{size}", incubators[position]["slug"])
    for position, size in enumerate(p.first_cohorts):
        landmarks[f"cohort_{size}"] = cohorts[position]["slug"]
    for plan in showcases:
        landmarks[f"startup_{plan.measurements}"] = plan.slug
    return _Plan(
        territories,
        incubators,
        programs,
        cohorts,
        startups,
        users_needed,
        team,
        landmarks,
        p.private_lesson_share,
    )


# --- Writing --------------------------------------------------------------------------


def _aware(day: datetime.date, hour: int = 10) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _bulk(model, objects: list) -> list:
    return model.objects.bulk_create(objects, batch_size=BATCH_SIZE) if objects else []


def _person(rng) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _write_people(plan: _Plan, rng) -> dict[str, list]:
    from accounts.enums import Role
    from accounts.models import User

    unusable = "!bench-generated"  # noqa: S105 - an unusable password: nobody logs in
    groups = {
        "coach": sum(i["coaches"] for i in plan.incubators),
        "agent": plan.agents,
        "team": plan.team_members,
        "territory": max(1, len(plan.territories) // 4),
        "staff": 2,
    }
    roles = {
        "coach": Role.COACH,
        "agent": Role.AGENT,
        "team": Role.AGENT,
        "territory": Role.TERRITORY,
        "staff": Role.STAFF,
    }
    users = []
    for group, count in groups.items():
        for n in range(count):
            first, last = _person(rng).split(" ", 1)
            users.append(
                User(
                    email=f"{group}{n + 1}@bench.example",
                    first_name=first,
                    last_name=last,
                    display_name=f"{first} {last}",
                    role=roles[group],
                    is_staff=group == "staff",
                    password=unusable,
                )
            )
    created = _bulk(User, users)
    people, offset = {}, 0
    for group, count in groups.items():
        people[group] = created[offset : offset + count]
        offset += count
    return people


def _write_structure(plan: _Plan, rng, people) -> dict[str, list]:
    from incubator.models import Incubator, Territory, Theme
    from programs.models import Cohort, Program

    themes = _bulk(Theme, [Theme(name=name, slug=slugify(name)) for name in THEMES])
    territories = _bulk(
        Territory,
        [
            Territory(
                name=t["name"],
                slug=t["slug"],
                kind=t["kind"],
                siren=f"2{n:08d}",
                insee_code=f"{(n * 37) % 99999:05d}",
            )
            for n, t in enumerate(plan.territories)
        ],
    )
    referents = people["territory"]
    if territories:
        _bulk(
            Territory.referents.through,
            [
                Territory.referents.through(territory_id=territory.pk, user_id=referents[n].pk)
                for n, territory in enumerate(territories[: len(referents)])
            ],
        )

    incubators = _bulk(
        Incubator,
        [
            Incubator(
                name=i["name"],
                slug=i["slug"],
                description="Incubateur de startups de territoire (données de banc d’essai).",
                owner=territories[i["owner"]] if i["owner"] is not None else None,
                contact_email=f"contact@{i['slug'][:40]}.bench.example",
            )
            for i in plan.incubators
        ],
    )
    coaches_by_incubator, links, offset = [], [], 0
    for incubator, spec in zip(incubators, plan.incubators, strict=True):
        coaches = people["coach"][offset : offset + spec["coaches"]]
        offset += spec["coaches"]
        coaches_by_incubator.append(coaches)
        links += [
            Incubator.coaches.through(incubator_id=incubator.pk, user_id=c.pk) for c in coaches
        ]
    _bulk(Incubator.coaches.through, links)

    programs = _bulk(
        Program,
        [
            Program(
                incubator=incubators[p["incubator"]],
                name=p["name"],
                slug=p["slug"],
                investigation_months=p["months"].get("investigation"),
                construction_months=p["months"].get("construction"),
                contribution_cents_per_year=rng.choice([15_000, 25_000, 40_000]) * 100,
            )
            for p in plan.programs
        ],
    )
    cohorts = _bulk(
        Cohort,
        [
            Cohort(
                program=programs[c["program"]],
                name=c["name"],
                slug=c["slug"],
                start_date=c["start"],
                end_date=c["end"],
            )
            for c in plan.cohorts
        ],
    )
    _bulk(
        Cohort.coaches.through,
        [
            Cohort.coaches.through(
                cohort_id=cohort.pk,
                user_id=rng.choice(
                    coaches_by_incubator[plan.programs[c["program"]]["incubator"]]
                ).pk,
            )
            for cohort, c in zip(cohorts, plan.cohorts, strict=True)
        ],
    )
    return {
        "themes": themes,
        "territories": territories,
        "incubators": incubators,
        "coaches": coaches_by_incubator,
        "programs": programs,
        "cohorts": cohorts,
    }


def _spread(start: datetime.date, end: datetime.date, n: int) -> list[datetime.date]:
    """`n` distinct, evenly spread days from `start` to `end` (n ≤ days in between + 1)."""
    if n <= 0:
        return []
    step = max(1.0, ((end - start).days + 1) / n)
    return [start + datetime.timedelta(days=int(i * step)) for i in range(n)]


def _write_startups(chunk: list[_StartupPlan], plan: _Plan, rng, today, people, structure):
    """Every row of a chunk of startups, written table by table."""
    from incubator.models import (
        Experiment,
        Failure,
        Funding,
        Indicator,
        Lesson,
        Measurement,
        Membership,
        Milestone,
        PhaseTransition,
        Review,
        Sponsorship,
        Startup,
        Territory,
        add_months,
    )
    from programs.models import Contribution

    territories: list[Territory] = structure["territories"]
    cohorts = structure["cohorts"]
    counts: Counter = Counter()

    # Startups, with their denormalised phase fields taken from the last step.
    rows = []
    for s in chunk:
        last = s.steps[-1]
        cohort = cohorts[s.cohort] if s.cohort is not None else None
        program = plan.programs[plan.cohorts[s.cohort]["program"]] if cohort else None
        months = _max_months(program["months"] if program else None, last.to_phase)
        deadline = (
            add_months(last.date, months)
            if months and last.to_phase not in TERMINAL_PHASES
            else None
        )
        if last.to_phase in TERMINAL_PHASES:
            activity = min(today, last.date + datetime.timedelta(days=rng.randint(0, 10)))
        else:
            activity = max(
                last.date, today - datetime.timedelta(days=rng.choice([0, 3, 8, 20, 45, 100]))
            )
        website = f"https://{s.slug[:60]}.bench.example" if rng.random() < 0.75 else ""
        rows.append(
            Startup(
                name=s.name,
                slug=s.slug,
                pitch=f"{s.name} : une démarche publique plus simple pour les habitants.",
                problem="Les habitants renoncent à une démarche trop complexe ou mal connue.",
                target_users="Habitants, agents d’accueil et services instructeurs.",
                solution_hypothesis="Un service numérique simple, testé d’abord sur un territoire.",
                incubator=structure["incubators"][s.incubator],
                cohort=cohort,
                website=website,
                repository=f"https://code.bench.example/{s.slug[:60]}" if website else "",
                accessibility_status=rng.choice(list(AccessibilityCompliance.values)),
                visibility=Visibility.PRIVATE if s.private else Visibility.PUBLIC,
                phase=last.to_phase,
                phase_since=last.date,
                phase_deadline=deadline,
                last_activity_at=_aware(activity),
            )
        )
    startups = _bulk(Startup, rows)
    themes_of = {
        startup.pk: rng.sample(structure["themes"], rng.randint(1, 2)) for startup in startups
    }
    _bulk(
        Startup.themes.through,
        [
            Startup.themes.through(startup_id=startup_id, theme_id=theme.pk)
            for startup_id, themes in themes_of.items()
            for theme in themes
        ],
    )

    sponsorships, memberships, fundings, reviews = [], [], [], []
    experiments, indicator_rows, measurement_plans, milestones = [], [], [], []
    coach_of = {}
    for s, startup in zip(chunk, startups, strict=True):
        end = s.end(today)
        terminal = s.phase in TERMINAL_PHASES
        coaches = structure["coaches"][s.incubator]
        coach = coach_of[startup.pk] = rng.choice(coaches) if coaches else None
        sponsors = rng.sample(territories, min(len(territories), rng.choice([1, 1, 2, 3])))
        for territory in sponsors:
            signed = rng.random() < 0.8
            sponsorships.append(
                Sponsorship(
                    startup=startup,
                    territory=territory,
                    amount_cents=rng.choice([20_000, 40_000, 60_000, 90_000]) * 100,
                    start_date=s.start,
                    end_date=end if terminal else None,
                    commitment_signed_on=min(
                        end, s.start + datetime.timedelta(days=rng.randint(0, 60))
                    )
                    if signed
                    else None,
                    contact_name=f"{_person(rng)}, direction de la transformation",
                )
            )
        # Team: most have an agent-entrepreneur; a coach; sometimes team members.
        if rng.random() < 0.9:
            memberships.append(
                Membership(
                    startup=startup,
                    user=people["agent"][s.index % len(people["agent"])],
                    role=MembershipRole.AGENT,
                    start_date=s.start,
                    end_date=end if terminal else None,
                    freed_days_per_week=Decimal(
                        rng.choice(["1.0", "2.0", "2.5", "3.0", "4.0", "5.0"])
                    ),
                )
            )
        if coach is not None:
            memberships.append(
                Membership(
                    startup=startup,
                    user=coach,
                    role=MembershipRole.COACH,
                    start_date=s.start,
                    end_date=end if terminal else None,
                )
            )
        for member in rng.sample(
            people["team"], min(len(people["team"]), rng.choice([0, 0, 1, 2]))
        ):
            joined = s.start + datetime.timedelta(days=rng.randint(0, max(0, (end - s.start).days)))
            memberships.append(
                Membership(
                    startup=startup,
                    user=member,
                    role=MembershipRole.TEAM,
                    start_date=joined,
                    end_date=end if terminal else None,
                )
            )
        # Money: the sponsor pays, sometimes the acceleration fund or the incubator too.
        fundings.append(
            Funding(
                startup=startup,
                funder=sponsors[0] if sponsors else None,
                funder_name="" if sponsors else "Collectivité partenaire",
                kind=FundingKind.SPONSOR,
                amount_cents=rng.choice([50_000, 80_000, 120_000]) * 100,
                start_date=s.start,
                end_date=add_months(s.start, 12),
            )
        )
        owner = structure["incubators"][s.incubator].owner
        for kind, funder, funder_name in (
            (FundingKind.ACCELERATION_FUND, None, "Fonds d’accélération des territoires"),
            (FundingKind.INCUBATOR, owner, "" if owner else "Budget de l’incubateur"),
        ):
            if rng.random() < 0.35:
                begin = s.start + datetime.timedelta(
                    days=rng.randint(0, max(0, (end - s.start).days))
                )
                fundings.append(
                    Funding(
                        startup=startup,
                        funder=funder,
                        funder_name=funder_name,
                        kind=kind,
                        amount_cents=rng.choice([30_000, 60_000, 100_000]) * 100,
                        start_date=begin,
                        end_date=add_months(begin, 12),
                    )
                )

        # Committees: each decision, plus a "continue" in the middle of long stays.
        for position, step in enumerate(s.steps):
            following = s.steps[position + 1].date if position + 1 < len(s.steps) else None
            if step.kind != TransitionKind.START and step.kind != TransitionKind.REOPEN:
                decision = {
                    TransitionKind.ADVANCE: ReviewDecision.ADVANCE,
                    TransitionKind.PIVOT: ReviewDecision.PIVOT,
                    TransitionKind.ABANDON: ReviewDecision.STOP,
                }[step.kind]
                reviews.append(_review(rng, startup, step.date, decision, coach, step.to_phase))
            stay_end = following or (end if not terminal else step.date)
            if step.to_phase not in TERMINAL_PHASES and (stay_end - step.date).days > 200:
                middle = step.date + datetime.timedelta(days=(stay_end - step.date).days // 2)
                reviews.append(
                    _review(rng, startup, middle, ReviewDecision.CONTINUE, coach, step.to_phase)
                )

        for experiment in s.experiments:
            experiments.append(
                Experiment(
                    startup=startup,
                    hypothesis=f"Les usagers adoptent « {s.name} » sans accompagnement.",
                    territory=sponsors[0] if sponsors else None,
                    protocol="Test sur un quartier pilote pendant six semaines.",
                    success_criterion="60 % des usagers terminent le parcours seuls.",
                    start_date=experiment.start,
                    end_date=experiment.end,
                    outcome=experiment.outcome,
                    learnings=""
                    if experiment.outcome == ExperimentOutcome.RUNNING
                    else "Le bouche-à-oreille compte plus que l’affichage.",
                )
            )

        # Indicators and their measurements (at most one a day each).
        n = s.measurements
        life = max(1, (end - s.start).days)
        if s.showcase is not None:
            indicator_count = 5
        else:  # enough indicators for one value a day at most, three at most
            indicator_count = max(math.ceil(n / life), min(3, 1 + n // 24))
        per_indicator = _split(n, [1.0] * indicator_count)
        for position, count in enumerate(per_indicator):
            name, unit, direction, base, growth = INDICATORS[position % len(INDICATORS)]
            target = Decimal(round(base * growth**24 * rng.uniform(0.8, 1.5), 2)).quantize(
                Decimal("0.01")
            )
            indicator_rows.append(
                Indicator(
                    startup=startup,
                    name=name,
                    unit=unit,
                    direction=direction,
                    target=target,
                    is_public=position != 2,
                    description=f"{name}, mesuré par l’équipe.",
                )
            )
            measurement_plans.append((count, s.start, end, base, growth))

        # Milestones: achieved, missed or dropped in the past; planned ahead if still running.
        horizon = end if terminal else today + datetime.timedelta(days=180)
        for due in sorted(
            s.start + datetime.timedelta(days=rng.randint(20, max(20, (horizon - s.start).days)))
            for _n in range(s.milestones)
        ):
            title = rng.choice(MILESTONE_TITLES).format(n=rng.randint(2, 30))
            if due > today or (terminal and due > end):
                status, achieved = (
                    (MilestoneStatus.DROPPED if terminal else MilestoneStatus.PLANNED),
                    None,
                )
            else:
                draw = rng.random()
                if draw < 0.65:
                    status = MilestoneStatus.ACHIEVED
                    achieved = min(today, due + datetime.timedelta(days=rng.randint(-10, 15)))
                else:
                    status = MilestoneStatus.MISSED if draw < 0.9 else MilestoneStatus.DROPPED
                    achieved = None
            milestones.append(
                Milestone(
                    startup=startup,
                    title=title,
                    status=status,
                    due_date=due,
                    achieved_on=achieved,
                    evidence_url=f"https://{s.slug[:60]}.bench.example/preuves"
                    if status == MilestoneStatus.ACHIEVED
                    else "",
                    author=coach,
                )
            )

    sponsorships = _bulk(Sponsorship, sponsorships)
    contributions = _contributions(chunk, startups, sponsorships, structure, rng, today)
    _bulk(Contribution, contributions)
    _bulk(Membership, memberships)
    _bulk(Funding, fundings)
    reviews = _bulk(Review, reviews)
    decision_reviews = {
        (r.startup_id, r.date): r for r in reviews if r.decision != ReviewDecision.CONTINUE
    }
    experiments = _bulk(Experiment, experiments)
    indicators = _bulk(Indicator, indicator_rows)
    measurements = []
    for indicator, (count, start, end, base, growth) in zip(
        indicators, measurement_plans, strict=True
    ):
        for day in _spread(start, end, count):
            months = (day - start).days / 30.4
            value = base * growth**months * rng.uniform(0.9, 1.1)
            if indicator.unit == "%":
                value = min(value, 100)
            measurements.append(
                Measurement(indicator=indicator, date=day, value=Decimal(f"{value:.2f}"))
            )
    _bulk(Measurement, measurements)
    milestones = _bulk(Milestone, milestones)

    # Phase history, each decision linked to its committee.
    transitions = []
    for s, startup in zip(chunk, startups, strict=True):
        decider = coach_of[startup.pk]
        for step in s.steps:
            transitions.append(
                PhaseTransition(
                    startup=startup,
                    kind=step.kind,
                    from_phase=step.from_phase,
                    to_phase=step.to_phase,
                    date=step.date,
                    decided_by=decider,
                    review=decision_reviews.get((startup.pk, step.date)),
                    rationale=_rationale(step),
                    gate_override_reason="",
                )
            )
    _bulk(PhaseTransition, transitions)

    # Failures: the post-mortem of each stop, and the failed experiments; then lessons.
    failures, lesson_specs = [], []
    experiments_by_startup: dict[int, list] = {}
    for experiment in experiments:
        experiments_by_startup.setdefault(experiment.startup_id, []).append(experiment)
    for s, startup in zip(chunk, startups, strict=True):
        author = coach_of[startup.pk]
        if s.stop_lessons:
            stop = s.steps[-1]
            previous = s.steps[-2].date
            reason = rng.choice(STOP_REASONS)
            learned, why, advice, titles = STOP_TEXTS[reason]
            failures.append(
                Failure(
                    startup=startup,
                    scope=FailureScope.STARTUP,
                    occurred_on=max(
                        previous, stop.date - datetime.timedelta(days=rng.randint(0, 20))
                    ),
                    reason=reason,
                    what_we_learned=learned,
                    why_we_stop=why,
                    advice_for_relaunch=advice,
                    publication_consent=rng.random() < 0.7,
                    author=author,
                )
            )
            lesson_specs.append((startup, None, s.stop_lessons, titles, author))
        for experiment, spec in zip(experiments_by_startup[startup.pk], s.experiments, strict=True):
            if spec.failure_lessons:
                failures.append(
                    Failure(
                        startup=startup,
                        scope=FailureScope.EXPERIMENT,
                        experiment=experiment,
                        occurred_on=spec.end,
                        reason=rng.choice(
                            [
                                FailureReason.NO_USER_NEED,
                                FailureReason.TECHNICAL,
                                FailureReason.OTHER,
                            ]
                        ),
                        publication_consent=rng.random() < 0.5,
                        author=author,
                    )
                )
                lesson_specs.append(
                    (startup, experiment, spec.failure_lessons, EXPERIMENT_LESSONS, author)
                )
    failures = _bulk(Failure, failures)
    lessons = []
    for failure, (startup, experiment, count, titles, author) in zip(
        failures, lesson_specs, strict=True
    ):
        for n in range(count):
            title = rng.choice(titles)
            lessons.append(
                Lesson(
                    startup=startup,
                    failure=failure,
                    experiment=experiment,
                    title=title,
                    slug=f"{slugify(title)[:80]}-{failure.pk}-{n + 1}",
                    body=f"{title}. Retour d’expérience de « {startup.name} » : ce que nous referions autrement.",
                    visibility=Visibility.PRIVATE
                    if rng.random() < plan.private_lesson_share
                    else Visibility.PUBLIC,
                    author=author,
                )
            )
    lessons = _bulk(Lesson, lessons)
    _bulk(
        Lesson.themes.through,
        [
            Lesson.themes.through(lesson_id=lesson.pk, theme_id=themes_of[lesson.startup_id][0].pk)
            for lesson in lessons
        ],
    )

    counts.update(
        startups=len(startups),
        transitions=len(transitions),
        reviews=len(reviews),
        sponsorships=len(sponsorships),
        contributions=len(contributions),
        memberships=len(memberships),
        fundings=len(fundings),
        experiments=len(experiments),
        indicators=len(indicators),
        measurements=len(measurements),
        milestones=len(milestones),
        failures=len(failures),
        lessons=len(lessons),
    )
    return counts


def _contributions(chunk, startups, sponsorships, structure, rng, today) -> list:
    """What sponsors owe their startup's programme: one contribution per sponsored year.

    Past years are mostly paid; the current one is due or being paid.
    """
    from programs.models import Contribution, ContributionKind, ContributionStatus

    plan_of = {startup.pk: s for s, startup in zip(chunk, startups, strict=True)}
    cohorts, rows = structure["cohorts"], []
    for sponsorship in sponsorships:
        s = plan_of[sponsorship.startup_id]
        program = cohorts[s.cohort].program if s.cohort is not None else None
        per_year = program.contribution_cents_per_year if program else 20_000_00
        last = (sponsorship.end_date or today).year
        for year in range(sponsorship.start_date.year, last + 1):
            start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
            if year < today.year:
                status = rng.choices(
                    [
                        ContributionStatus.PAID,
                        ContributionStatus.FAILED,
                        ContributionStatus.CANCELLED,
                    ],
                    weights=[90, 5, 5],
                )[0]
            else:
                status = rng.choice([ContributionStatus.DUE, ContributionStatus.PENDING])
            rows.append(
                Contribution(
                    territory_id=sponsorship.territory_id,
                    sponsorship=sponsorship,
                    kind=ContributionKind.SPONSORSHIP,
                    year=start.year,
                    period_start=start,
                    period_end=end,
                    amount_cents=per_year,
                    paid_cents=per_year if status == ContributionStatus.PAID else 0,
                    due_date=start + datetime.timedelta(days=60),
                    status=status,
                )
            )
    return rows


def _review(rng, startup, day, decision, coach, phase):
    """A committee on `day`; the next one is due six months later unless the phase is final."""
    from incubator.models import Review

    next_review = None
    if phase not in TERMINAL_PHASES:
        next_review = day + datetime.timedelta(days=182)
    return Review(
        startup=startup,
        date=day,
        participants="Coach, sponsor, agent-entrepreneur",
        decision=decision,
        conditions="Présenter les chiffres d’usage au prochain comité.",
        budget_granted_cents=rng.choice([0, 40_000, 80_000, 120_000]) * 100,
        notes="Comité tenu dans les locaux de l’incubateur.",
        next_review_date=next_review,
        recorded_by=coach,
    )


def _rationale(step: _Step) -> str:
    label = str(Phase(step.to_phase).label).lower()
    return {
        TransitionKind.START: "Entrée dans l’incubateur.",
        TransitionKind.ABANDON: "Arrêt décidé en comité, retour d’expérience rédigé.",
        TransitionKind.PIVOT: f"Pivot : retour en {label} pour revoir le problème.",
        TransitionKind.REOPEN: "Réouverture pour une nouvelle version du service.",
    }.get(step.kind, f"Passage en {label} validé en comité.")


def generate(scale_or_params: str | Params, seed: int = 2026, *, today=None, log=None) -> Summary:
    """Fill an empty database with a network at `scale_or_params` (a preset name or Params).

    One transaction; same seed and `today`, same rows. Returns exact counts and
    landmark slugs (the first incubator, the cohorts of `first_cohorts`, the
    showcase startups).
    """
    from django.db import transaction
    from django.utils import timezone

    from incubator.models import Startup

    params = PRESETS[scale_or_params] if isinstance(scale_or_params, str) else scale_or_params
    today = today or timezone.localdate()
    started = time.perf_counter()
    if Startup.objects.exists():
        raise RuntimeError("generate() fills an empty database: this one already has startups.")
    rng = random.Random(seed)
    plan = _plan(params, rng, today)
    counts: Counter = Counter()
    with transaction.atomic():
        people = _write_people(plan, rng)
        structure = _write_structure(plan, rng, people)
        for offset in range(0, len(plan.startups), CHUNK_STARTUPS):
            chunk = plan.startups[offset : offset + CHUNK_STARTUPS]
            counts += _write_startups(chunk, plan, rng, today, people, structure)
            if log:
                log(f"  {offset + len(chunk)}/{len(plan.startups)} startups written")
    counts.update(
        users=sum(len(group) for group in people.values()),
        territories=len(structure["territories"]),
        incubators=len(structure["incubators"]),
        programs=len(structure["programs"]),
        cohorts=len(structure["cohorts"]),
    )
    return Summary(
        seed=seed,
        today=today,
        params=params,
        counts=dict(sorted(counts.items())),
        landmarks=plan.landmarks,
        seconds=time.perf_counter() - started,
    )


def consistency_errors(*, today: datetime.date | None = None, limit: int = 20) -> list[str]:
    """What breaks the rules the services keep, read back from the whole database.

    Each startup's history is a legal path with increasing dates, its
    denormalised fields match its last transition, each committee decision has
    its review, each stop its documented failure. Empty list: consistent.
    """
    from django.db.models import Count, Q
    from django.utils import timezone

    from incubator.models import Failure, PhaseTransition, Review, Startup

    today = today or timezone.localdate()
    errors: list[str] = []
    histories: dict[int, list] = {}
    for row in PhaseTransition.objects.order_by("startup", "date", "created", "pk").values_list(
        "startup", "kind", "from_phase", "to_phase", "date", "review__decision", "review__date"
    ):
        histories.setdefault(row[0], []).append(row[1:])
    decisions = {
        TransitionKind.ADVANCE: ReviewDecision.ADVANCE,
        TransitionKind.PIVOT: ReviewDecision.PIVOT,
        TransitionKind.ABANDON: ReviewDecision.STOP,
    }
    documented = set(
        Failure.objects.filter(
            scope=FailureScope.STARTUP, archived_at__isnull=True, lessons__isnull=False
        )
        .exclude(reason=FailureReason.TO_DOCUMENT)
        .exclude(Q(what_we_learned="") | Q(why_we_stop="") | Q(advice_for_relaunch=""))
        .values_list("startup", flat=True)
    )
    for startup in Startup.objects.select_related("cohort__program").annotate(
        decision_reviews=Count("reviews", filter=~Q(reviews__decision=ReviewDecision.CONTINUE))
    ):
        history = histories.get(startup.pk, [])
        if not history:
            errors.append(f"{startup.slug}: no phase history")
            continue
        previous = None
        for kind, from_phase, to_phase, day, review_decision, review_date in history:
            where = f"{startup.slug} {from_phase or '∅'}→{to_phase} on {day}"
            if previous is None:
                legal = kind == TransitionKind.START and not from_phase
            else:
                legal = (
                    from_phase == previous[2]
                    and day > previous[3]
                    and {
                        TransitionKind.ADVANCE: to_phase in ALLOWED_TRANSITIONS[from_phase]
                        and to_phase != Phase.ABANDONED,
                        TransitionKind.ABANDON: to_phase == Phase.ABANDONED
                        and from_phase not in TERMINAL_PHASES,
                        TransitionKind.PIVOT: to_phase in PIVOT_TRANSITIONS.get(from_phase, ()),
                        TransitionKind.REOPEN: from_phase in TERMINAL_PHASES
                        and to_phase not in TERMINAL_PHASES,
                    }.get(kind, False)
                )
            if not legal:
                errors.append(f"{where}: illegal {kind}")
            if day > today:
                errors.append(f"{where}: in the future")
            if kind in decisions and (review_decision != decisions[kind] or review_date != day):
                errors.append(f"{where}: no {decisions[kind]} review that day")
            previous = (kind, from_phase, to_phase, day)
        last = history[-1]
        if (startup.phase, startup.phase_since) != (last[2], last[3]):
            errors.append(f"{startup.slug}: phase {startup.phase} since {startup.phase_since}")
        if startup.phase_deadline != startup.compute_phase_deadline():
            errors.append(f"{startup.slug}: deadline {startup.phase_deadline}")
        if startup.last_activity_at is None or (
            timezone.localdate(startup.last_activity_at) < startup.phase_since
        ):
            errors.append(f"{startup.slug}: last activity before its phase began")
        if startup.decision_reviews != sum(1 for row in history if row[0] in decisions):
            errors.append(f"{startup.slug}: decision reviews do not match its decisions")
        if startup.phase == Phase.ABANDONED and startup.pk not in documented:
            errors.append(f"{startup.slug}: stopped without a documented failure and lesson")
        if len(errors) >= limit:
            break
    strays = Review.objects.exclude(decision=ReviewDecision.CONTINUE).filter(
        transitions__isnull=True
    )
    if strays.exists():
        errors.append(f"{strays.count()} decision reviews change no phase")
    return errors[:limit]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(PRESETS), default="small")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--today", type=datetime.date.fromisoformat, help="YYYY-MM-DD")
    parser.add_argument("--migrate", action="store_true", help="run migrations first")
    parser.add_argument("--check", action="store_true", help="read everything back and check it")
    for name in ("startups", "milestones", "measurements", "lessons", "territories", "incubators"):
        parser.add_argument(f"--{name}", type=int, help=f"override the preset's {name}")
    args = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Nothing signed here: a throwaway key spares exporting one just to write data.
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if args.migrate:
        call_command("migrate", verbosity=0, interactive=False)
    overrides = {
        name: getattr(args, name)
        for name in (
            "startups",
            "milestones",
            "measurements",
            "lessons",
            "territories",
            "incubators",
        )
        if getattr(args, name) is not None
    }
    params = replace(PRESETS[args.scale], **overrides)
    if "startups" in overrides or "incubators" in overrides:
        params = replace(params, incubator_sizes=())
    print(
        f"Generating '{args.scale}' (seed {args.seed}) into {connection.vendor} {connection.settings_dict['NAME']}"
    )
    summary = generate(params, seed=args.seed, today=args.today, log=print)
    for name, count in summary.counts.items():
        print(f"  {name:<14}{count:>10,}".replace(",", " "))
    for name, slug in summary.landmarks.items():
        print(f"  {name}: {slug}")
    print(f"Done in {summary.seconds:.1f} s.")
    if args.check:
        errors = consistency_errors(today=summary.today)
        for error in errors:
            print(f"  inconsistent: {error}")
        print("Consistent." if not errors else f"{len(errors)} problems (first ones above).")
        return 1 if errors else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
