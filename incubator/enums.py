"""States of the startup lifecycle and the legal moves between them (DESIGN §3).

The names match beta.gouv.fr's phases (`transfere`, `opere`, `abandon`…) so
its data maps one to one. Nothing but `incubator.services` assigns a phase.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    INVESTIGATION = "investigation", _("Investigation")
    CONSTRUCTION = "construction", _("Construction")
    ACCELERATION = "acceleration", _("Accélération")
    CONSOLIDATION = "consolidation", _("Consolidation")
    TRANSFERRED = "transfere", _("Transférée")
    OPERATED = "opere", _("Opérée")
    ABANDONED = "abandon", _("Abandonnée")


# The forward path; a pivot may go back one step of it.
PHASE_ORDER = (Phase.INVESTIGATION, Phase.CONSTRUCTION, Phase.ACCELERATION, Phase.CONSOLIDATION)
SUCCESS_PHASES = frozenset({Phase.TRANSFERRED, Phase.OPERATED})
TERMINAL_PHASES = SUCCESS_PHASES | {Phase.ABANDONED}

# Forward moves (advance) and abandon, from each non-terminal phase.
ALLOWED_TRANSITIONS = {
    Phase.INVESTIGATION: {Phase.CONSTRUCTION, Phase.ABANDONED},
    Phase.CONSTRUCTION: {Phase.ACCELERATION, Phase.ABANDONED},
    Phase.ACCELERATION: {Phase.CONSOLIDATION, Phase.ABANDONED},
    Phase.CONSOLIDATION: {Phase.TRANSFERRED, Phase.OPERATED, Phase.ABANDONED},
    Phase.TRANSFERRED: set(),
    Phase.OPERATED: set(),
    Phase.ABANDONED: set(),
}

# Pivots: back one phase, with a written reason.
PIVOT_TRANSITIONS = {
    later: {earlier} for earlier, later in zip(PHASE_ORDER, PHASE_ORDER[1:], strict=False)
}

# Maximum expected time in each phase, in months; a Program may override them.
DEFAULT_MAX_DURATION_MONTHS = {
    Phase.INVESTIGATION: 6,
    Phase.CONSTRUCTION: 12,
    Phase.ACCELERATION: 24,
    Phase.CONSOLIDATION: 12,
}


def is_allowed_transition(from_phase: Phase, to_phase: Phase, *, pivot: bool = False) -> bool:
    """Whether moving from one phase to another is legal (pivots only when asked)."""
    allowed = PIVOT_TRANSITIONS.get(from_phase, set()) if pivot else ALLOWED_TRANSITIONS[from_phase]
    return to_phase in allowed


class TerritoryKind(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    EPCI = "epci", _("Intercommunalité (EPCI)")
    DEPARTEMENT = "departement", _("Département")
    REGION = "region", _("Région")
    STATE = "etat", _("Administration de l’État")
    OPERATOR = "operateur", _("Opérateur public")
    OTHER = "autre", _("Autre organisme public")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Publique")
    PRIVATE = "private", _("Privée")


class MembershipRole(models.TextChoices):
    AGENT = "agent", _("Agent-entrepreneur")
    COACH = "coach", _("Coach")
    TEAM = "team", _("Membre de l’équipe")


class FundingKind(models.TextChoices):
    SPONSOR = "sponsor", _("Financement du territoire sponsor")
    ACCELERATION_FUND = "acceleration_fund", _("Fonds d’accélération")
    INCUBATOR = "incubator", _("Budget de l’incubateur")
    OTHER = "other", _("Autre financement")


class ReviewDecision(models.TextChoices):
    CONTINUE = "continue", _("Poursuivre")
    ADVANCE = "advance", _("Passer à la phase suivante")
    PIVOT = "pivot", _("Pivoter")
    STOP = "stop", _("Arrêter")


class TransitionKind(models.TextChoices):
    START = "start", _("Démarrage")
    ADVANCE = "advance", _("Passage à la phase suivante")
    PIVOT = "pivot", _("Pivot")
    ABANDON = "abandon", _("Arrêt")
    REOPEN = "reopen", _("Réouverture")


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Prévu")
    ACHIEVED = "achieved", _("Atteint")
    MISSED = "missed", _("Manqué")
    DROPPED = "dropped", _("Abandonné")


class ExperimentOutcome(models.TextChoices):
    RUNNING = "running", _("En cours")
    VALIDATED = "validated", _("Validée")
    INVALIDATED = "invalidated", _("Invalidée")
    INCONCLUSIVE = "inconclusive", _("Non concluante")


class FailureScope(models.TextChoices):
    STARTUP = "startup", _("La startup entière")
    EXPERIMENT = "experiment", _("Une expérimentation")
    MILESTONE = "milestone", _("Un jalon")
    DEPLOYMENT = "deployment", _("Un déploiement")


class FailureReason(models.TextChoices):
    """Why a startup stopped: the fixed list that makes lessons comparable."""

    LOW_IMPACT = "low_impact", _("Impact trop faible pour son coût")
    NO_FUNDING = "no_funding", _("Pas de financement")
    SPONSOR_WITHDREW = "sponsor_withdrew", _("L’administration sponsor ne soutient plus le projet")
    NO_INTRAPRENEUR = "no_intrapreneur", _("Plus d’agent-entrepreneur")
    NO_USER_NEED = "no_user_need", _("Pas de besoin réel des usagers")
    PROCUREMENT_LEGAL = "procurement_legal", _("Blocage juridique ou achat public")
    TECHNICAL = "technical", _("Problème technique")
    OTHER = "other", _("Autre raison")
    TO_DOCUMENT = "to_document", _("Importé, à documenter")


class IndicatorDirection(models.TextChoices):
    UP = "up", _("Plus c’est haut, mieux c’est")
    DOWN = "down", _("Plus c’est bas, mieux c’est")


class AccessibilityCompliance(models.TextChoices):
    UNKNOWN = "", _("Non renseigné")
    NONE = "non conforme", _("Non conforme")
    PARTIAL = "partiellement conforme", _("Partiellement conforme")
    FULL = "totalement conforme", _("Totalement conforme")


class DeploymentStatus(models.TextChoices):
    PLANNED = "planned", _("Prévu")
    ACTIVE = "active", _("En service")
    ENDED = "ended", _("Arrêté")


class ReportKind(models.TextChoices):
    STARTUP = "startup", _("Rapport d’avancement de startup")
    COHORT = "cohort", _("Rapport de promotion")
    TERRITORY = "territory", _("Rapport de territoire")
    INCUBATOR = "incubator", _("Rapport annuel d’incubateur")


# Reports a coach may publish on the public site (DESIGN: published to territories).
PUBLISHABLE_REPORT_KINDS = frozenset({ReportKind.TERRITORY, ReportKind.INCUBATOR})


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("En file d’attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Prêt")
    FAILED = "failed", _("Échec")
