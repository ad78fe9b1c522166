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
