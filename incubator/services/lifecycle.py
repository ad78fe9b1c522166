"""The only writers of lifecycle state. Each function is one transaction.

Views, the admin, the importer and the demo loader call these; a phase is
never assigned anywhere else.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.security_log import log_event
from incubator import notifications, public_cache
from incubator.enums import (
    ALLOWED_TRANSITIONS,
    PHASE_ORDER,
    PIVOT_TRANSITIONS,
    TERMINAL_PHASES,
    FailureReason,
    FailureScope,
    Phase,
    ReviewDecision,
    TransitionKind,
    Visibility,
    is_allowed_transition,
)
from incubator.exceptions import FailureRequired, IncubatorError, InvalidTransition
from incubator.models import (
    Experiment,
    Failure,
    Incubator,
    Indicator,
    Lesson,
    Milestone,
    PhaseTransition,
    Review,
    ReviewTarget,
    Startup,
)
from incubator.permissions import can_reopen_startup
from incubator.services.gates import gate_checklist

__all__ = [
    "unique_slug",
    "startup_touch",
    "has_documented_stop",
    "startup_create",
    "startup_change_phase",
    "startup_reopen",
    "next_phases",
    "phase_decision_targets",
    "previous_phase",
    "review_decisions_for",
    "review_require_possible",
    "lesson_create",
    "failure_record",
    "review_record",
    "startups_refresh_deadlines",
    "archive",
    "startup_sync_imported_phases",
]


def unique_slug(model, text: str, *, max_length: int = 100) -> str:
    """A slug for `text` not yet used by `model` (suffixed -2, -3… when taken)."""
    base = slugify(text)[:max_length].strip("-") or "sans-titre"
    slug, counter = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base[: max_length - 6]}-{counter}"
        counter += 1
    return slug


def _require_rationale(rationale: str) -> str:
    rationale = (rationale or "").strip()
    if not rationale:
        raise InvalidTransition(
            _("Une justification écrite est obligatoire pour toute décision de phase.")
        )
    return rationale


def _check_date(startup: Startup, on: datetime.date) -> None:
    if on > timezone.localdate():
        raise InvalidTransition(_("Une décision ne peut pas être datée dans le futur."))
    last = startup.transitions.order_by("-date", "-created", "-pk").first()
    if last is not None and on < last.date:
        raise InvalidTransition(
            _("La décision ne peut pas précéder la précédente, datée du %(date)s.")
            % {"date": date_format(last.date, "SHORT_DATE_FORMAT")}
        )


def _write_transition(
    *,
    startup,
    kind,
    to_phase,
    actor,
    on,
    rationale,
    review=None,
    checklist=(),
    gate_override_reason="",
) -> PhaseTransition:
    transition = PhaseTransition.objects.create(
        startup=startup,
        kind=kind,
        from_phase=startup.phase if kind != TransitionKind.START else "",
        to_phase=to_phase,
        date=on,
        decided_by=actor,
        review=review,
        rationale=rationale,
        gate_checklist=list(checklist),
        gate_override_reason=gate_override_reason,
    )
    # E-mails go out only once the decision is committed.
    transaction.on_commit(lambda: notifications.phase_decision_recorded(transition.pk))
    transaction.on_commit(
        lambda: log_event(
            "phase_decision",
            user=actor,
            startup_id=startup.pk,
            transition_id=transition.pk,
            kind=kind,
            from_phase=transition.from_phase,
            to_phase=to_phase,
            gate_overridden=bool(gate_override_reason),
        )
    )
    startup.phase, startup.phase_since = to_phase, on
    startup.phase_deadline = startup.compute_phase_deadline()
    startup.last_activity_at = timezone.now()
    startup.save(
        update_fields=["phase", "phase_since", "phase_deadline", "last_activity_at", "updated"]
    )
    return transition


def startup_touch(startup: Startup, *, after: models.Model | None = None) -> None:
    """Record that the team or coach updated the startup (resets the inactivity alerts).

    An update() sends no signal, so this bumps the public data version (the date shows on
    public pages), unless `after` is a record the public site tracks that the caller just
    saved in this transaction: its save bumped the version already, and this commits with it.
    """
    Startup.objects.filter(pk=startup.pk).update(last_activity_at=timezone.now())
    if after is None or after._meta.label not in public_cache.TRACKED_MODELS:
        public_cache.bump()


def has_documented_stop(startup: Startup) -> bool:
    """A stop is documented by a whole-startup Failure with at least one Lesson."""
    return Lesson.objects.filter(
        failure__startup=startup,
        failure__scope=FailureScope.STARTUP,
        failure__archived_at__isnull=True,
        archived_at__isnull=True,
    ).exists()


@transaction.atomic
def startup_create(
    *,
    incubator: Incubator,
    name: str,
    actor,
    on: datetime.date,
    initial_phase: Phase = Phase.INVESTIGATION,
    rationale: str = "",
    visibility: Visibility = Visibility.PUBLIC,
    **profile,
) -> Startup:
    """Create a startup and the first line of its phase history."""
    name = (name or "").strip()
    if not name:
        raise IncubatorError(_("Le nom de la startup est obligatoire."))
    if initial_phase in TERMINAL_PHASES:
        raise InvalidTransition(_("Une startup ne peut pas commencer dans une phase terminale."))
    startup = Startup.objects.create(
        incubator=incubator,
        name=name,
        slug=profile.pop("slug", None) or unique_slug(Startup, name),
        visibility=visibility,
        phase=initial_phase,
        phase_since=on,
        last_activity_at=timezone.now(),
        **profile,
    )
    startup.phase_deadline = startup.compute_phase_deadline()
    startup.save(update_fields=["phase_deadline"])
    PhaseTransition.objects.create(
        startup=startup,
        kind=TransitionKind.START,
        from_phase="",
        to_phase=initial_phase,
        date=on,
        decided_by=actor,
        rationale=rationale.strip() or _("Entrée dans l’incubateur."),
    )
    return startup


@transaction.atomic
def startup_change_phase(
    *,
    startup: Startup,
    to_phase: Phase,
    actor,
    on: datetime.date,
    rationale: str,
    review: Review | None = None,
    pivot: bool = False,
    gate_override_reason: str = "",
) -> PhaseTransition:
    """Move a startup to another phase, writing its immutable history row.

    Forward one phase or to `abandoned`; with `pivot=True`, back one phase.
    Abandoning needs a documented failure (a Failure with a Lesson).
    Advancing needs the programme's entry criteria of the new phase, or a
    written `gate_override_reason`; the checklist is kept on the history row.
    """
    startup = Startup.objects.select_for_update().get(pk=startup.pk)
    rationale = _require_rationale(rationale)
    current = Phase(startup.phase)
    if current in TERMINAL_PHASES:
        raise InvalidTransition(
            _(
                "La startup est en phase « %(phase)s » : seule une réouverture par l’équipe de l’incubateur peut la relancer."
            )
            % {"phase": current.label}
        )
    if not is_allowed_transition(current, to_phase, pivot=pivot):
        if pivot:
            message = _(
                "Un pivot ne revient que d’une phase en arrière, pas de « %(from)s » à « %(to)s »."
            )
        else:
            message = _("Passage impossible de « %(from)s » à « %(to)s ».")
        raise InvalidTransition(message % {"from": current.label, "to": Phase(to_phase).label})
    _check_date(startup, on)
    if to_phase == Phase.ABANDONED and not has_documented_stop(startup):
        raise FailureRequired(
            _("Pour arrêter une startup, documentez d’abord l’échec et au moins une leçon apprise.")
        )
    checklist, override = [], ""
    if pivot:
        kind = TransitionKind.PIVOT
    elif to_phase == Phase.ABANDONED:
        kind = TransitionKind.ABANDON
    else:
        kind = TransitionKind.ADVANCE
        checklist = gate_checklist(startup=startup, to_phase=to_phase)
        override = (gate_override_reason or "").strip()
        unmet = [criterion["label"] for criterion in checklist if not criterion["met"]]
        if not unmet:
            override = ""  # nothing was overridden: keep the history row truthful
        elif not override:
            raise InvalidTransition(
                _(
                    "Critères d’entrée en « %(phase)s » non remplis : %(criteria)s. "
                    "Apportez les preuves ou écrivez le motif de la dérogation."
                )
                % {"phase": Phase(to_phase).label, "criteria": " ; ".join(unmet)}
            )
    return _write_transition(
        startup=startup,
        kind=kind,
        to_phase=to_phase,
        actor=actor,
        on=on,
        rationale=rationale,
        review=review,
        checklist=checklist,
        gate_override_reason=override,
    )


@transaction.atomic
def startup_reopen(
    *, startup: Startup, to_phase: Phase, actor, on: datetime.date, rationale: str
) -> PhaseTransition:
    """Staff reopen a transferred, operated or abandoned startup, with a reason."""
    startup = Startup.objects.select_for_update().get(pk=startup.pk)
    if not can_reopen_startup(actor):
        raise InvalidTransition(
            _("Seule l’équipe de l’incubateur peut rouvrir une startup terminée.")
        )
    rationale = _require_rationale(rationale)
    if startup.phase not in TERMINAL_PHASES:
        raise InvalidTransition(
            _("Seule une startup terminée (transférée, opérée ou arrêtée) se rouvre.")
        )
    if to_phase in TERMINAL_PHASES:
        raise InvalidTransition(_("Une réouverture ramène la startup dans une phase en cours."))
    _check_date(startup, on)
    return _write_transition(
        startup=startup,
        kind=TransitionKind.REOPEN,
        to_phase=to_phase,
        actor=actor,
        on=on,
        rationale=rationale,
    )


def next_phases(phase: Phase) -> list[Phase]:
    """Where `advance` may lead from `phase` (two choices after consolidation)."""
    return [p for p in ALLOWED_TRANSITIONS[phase] if p != Phase.ABANDONED]


def phase_decision_targets(phase: Phase) -> set[Phase]:
    """Every phase a decision may lead to from `phase`: advance, abandon, pivot back, or,
    for a finished startup, a reopening into a running phase."""
    if phase in TERMINAL_PHASES:
        return set(PHASE_ORDER)
    return ALLOWED_TRANSITIONS[phase] | PIVOT_TRANSITIONS.get(phase, set())


def previous_phase(phase: Phase) -> Phase | None:
    index = PHASE_ORDER.index(phase) if phase in PHASE_ORDER else 0
    return PHASE_ORDER[index - 1] if index > 0 else None


def review_decisions_for(phase: Phase) -> list[ReviewDecision]:
    """What a committee may decide for a startup in `phase`; nothing once it is finished."""
    if phase in TERMINAL_PHASES:
        return []
    decisions = [ReviewDecision.CONTINUE]
    if next_phases(phase):
        decisions.append(ReviewDecision.ADVANCE)
    if previous_phase(phase) is not None:
        decisions.append(ReviewDecision.PIVOT)
    decisions.append(ReviewDecision.STOP)
    return decisions


def review_require_possible(*, startup: Startup, decision: ReviewDecision | None = None) -> None:
    """Refuse a committee on a finished startup, or a decision its phase does not allow."""
    phase = Phase(startup.phase)
    if phase in TERMINAL_PHASES:
        raise InvalidTransition(
            _(
                "La startup est en phase « %(phase)s » : un comité ne peut plus décider de sa "
                "suite. Seule une réouverture par l’équipe de l’incubateur peut la relancer."
            )
            % {"phase": phase.label}
        )
    if decision is not None and decision not in review_decisions_for(phase):
        raise InvalidTransition(
            _("La décision « %(decision)s » n’est pas possible en phase « %(phase)s ».")
            % {
                "decision": ReviewDecision(decision).label
                if decision in ReviewDecision.values
                else decision,
                "phase": phase.label,
            }
        )


@transaction.atomic
def lesson_create(
    *,
    startup: Startup,
    title: str,
    body: str,
    author,
    failure: Failure | None = None,
    experiment: Experiment | None = None,
    visibility: Visibility = Visibility.PRIVATE,
    themes: Iterable = (),
) -> Lesson:
    """Record a reusable learning, linked to the failure or experiment it comes from."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise IncubatorError(_("Une leçon a besoin d’un titre et d’un texte."))
    for source in (failure, experiment):
        if source is not None and source.startup_id != startup.pk:
            raise IncubatorError(
                _("La leçon doit venir d’un échec ou d’une expérimentation de la même startup.")
            )
    lesson = Lesson.objects.create(
        startup=startup,
        failure=failure,
        experiment=experiment,
        title=title,
        body=body,
        slug=unique_slug(Lesson, title),
        visibility=visibility,
        author=author,
    )
    lesson.themes.set(themes)
    return lesson


@transaction.atomic
def failure_record(
    *,
    startup: Startup,
    scope: FailureScope,
    reason: FailureReason,
    occurred_on: datetime.date,
    author,
    what_we_learned: str = "",
    why_we_stop: str = "",
    advice_for_relaunch: str = "",
    publication_consent: bool = False,
    experiment: Experiment | None = None,
    milestone: Milestone | None = None,
    lessons: Iterable[Mapping] = (),
) -> Failure:
    """Record what failed; for a whole startup, a structured post-mortem with its lessons."""
    if occurred_on > timezone.localdate():
        raise IncubatorError(_("Un échec ne peut pas être daté dans le futur."))
    if scope == FailureScope.EXPERIMENT and (
        experiment is None or experiment.startup_id != startup.pk
    ):
        raise IncubatorError(_("Indiquez l’expérimentation de cette startup qui a échoué."))
    if scope == FailureScope.MILESTONE and (
        milestone is None or milestone.startup_id != startup.pk
    ):
        raise IncubatorError(_("Indiquez le jalon de cette startup qui a échoué."))
    texts = [what_we_learned.strip(), why_we_stop.strip(), advice_for_relaunch.strip()]
    if scope == FailureScope.STARTUP and reason != FailureReason.TO_DOCUMENT and not all(texts):
        raise IncubatorError(
            _(
                "Le retour d’expérience d’un arrêt comprend trois textes : ce que nous avons appris, "
                "pourquoi nous arrêtons, et des conseils pour qui relancerait le projet."
            )
        )
    failure = Failure.objects.create(
        startup=startup,
        scope=scope,
        reason=reason,
        occurred_on=occurred_on,
        author=author,
        what_we_learned=texts[0],
        why_we_stop=texts[1],
        advice_for_relaunch=texts[2],
        publication_consent=publication_consent,
        experiment=experiment,
        milestone=milestone,
    )
    for lesson in lessons:
        lesson_create(startup=startup, failure=failure, author=author, **lesson)
    startup_touch(startup, after=failure)
    return failure


@transaction.atomic
def review_record(
    *,
    startup: Startup,
    date: datetime.date,
    decision: ReviewDecision,
    actor,
    rationale: str = "",
    to_phase: Phase | None = None,
    participants: str = "",
    conditions: str = "",
    budget_granted_cents: int = 0,
    notes: str = "",
    coach_notes: str = "",
    next_review_date: datetime.date | None = None,
    targets: Mapping[Indicator, Decimal] | None = None,
    gate_override_reason: str = "",
) -> Review:
    """Record an investment committee; advance, pivot and stop change the phase in the same step.

    `gate_override_reason` is passed to the phase change when advancing past
    unmet entry criteria.
    """
    # Locked: a committee held while another one stops the startup must see the stop.
    startup = Startup.objects.select_for_update().get(pk=startup.pk)
    review_require_possible(startup=startup, decision=decision)
    if next_review_date is not None and next_review_date <= date:
        raise IncubatorError(_("Le prochain comité doit être fixé après celui-ci."))
    review = Review.objects.create(
        startup=startup,
        date=date,
        decision=decision,
        participants=participants,
        conditions=conditions,
        budget_granted_cents=budget_granted_cents,
        notes=notes,
        coach_notes=coach_notes,
        next_review_date=next_review_date,
        recorded_by=actor,
    )
    for indicator, value in (targets or {}).items():
        if indicator.startup_id != startup.pk:
            raise IncubatorError(_("Un objectif porte sur un indicateur d’une autre startup."))
        ReviewTarget.objects.create(review=review, indicator=indicator, target_value=value)
    startup_touch(startup, after=review)

    phase = Phase(startup.phase)
    if decision == ReviewDecision.ADVANCE:
        choices = next_phases(phase)
        if to_phase is None and len(choices) == 1:
            to_phase = choices[0]
        if to_phase is None:
            raise InvalidTransition(_("Précisez la phase visée par ce passage."))
        startup_change_phase(
            startup=startup,
            to_phase=to_phase,
            actor=actor,
            on=date,
            rationale=rationale or conditions or notes,
            review=review,
            gate_override_reason=gate_override_reason,
        )
    elif decision == ReviewDecision.PIVOT:
        target = to_phase or previous_phase(phase)
        if target is None:
            raise InvalidTransition(_("Un pivot ne peut pas revenir avant l’investigation."))
        startup_change_phase(
            startup=startup,
            to_phase=target,
            actor=actor,
            on=date,
            rationale=rationale,
            review=review,
            pivot=True,
        )
    elif decision == ReviewDecision.STOP:
        startup_change_phase(
            startup=startup,
            to_phase=Phase.ABANDONED,
            actor=actor,
            on=date,
            rationale=rationale,
            review=review,
        )
    return review


def startups_refresh_deadlines(*, startups) -> int:
    """Recompute phase deadlines after a program's duration policy or a cohort changed."""
    changed = []
    for startup in startups.select_related("cohort__program"):
        deadline = startup.compute_phase_deadline()
        if deadline != startup.phase_deadline:
            startup.phase_deadline = deadline
            changed.append(startup)
    Startup.objects.bulk_update(changed, ["phase_deadline"])
    if changed:
        public_cache.bump()  # bulk_update() sends no signal
    return len(changed)


def archive(*, obj, actor) -> None:
    """Archive a record that must not be deleted (review, failure, lesson, startup)."""
    if obj.archived_at is None:
        obj.archived_at = timezone.now()
        obj._history_user = actor  # django-simple-history attributes the edit
        obj.save(update_fields=["archived_at", "updated"])


def _imported_kind(from_phase: str, to_phase: Phase) -> TransitionKind:
    if not from_phase:
        return TransitionKind.START
    if to_phase == Phase.ABANDONED:
        return TransitionKind.ABANDON  # also after a transfer: the service then stopped
    if from_phase in TERMINAL_PHASES:
        return TransitionKind.REOPEN
    if (
        to_phase in PHASE_ORDER
        and from_phase in PHASE_ORDER
        and (PHASE_ORDER.index(to_phase) < PHASE_ORDER.index(from_phase))
    ):
        return TransitionKind.PIVOT
    return TransitionKind.ADVANCE


@transaction.atomic
def startup_sync_imported_phases(
    *, startup: Startup, phases: list[tuple[Phase, datetime.date]], rationale: str
) -> int:
    """Append a phase history read from another system; returns how many rows were added.

    Imported history is taken as recorded elsewhere (phases may be skipped),
    but our history is immutable: the source may only add phases after the
    ones already imported. An imported stop needs a Failure of the whole
    startup, which may still be "to document" (no lesson yet).
    """
    startup = Startup.objects.select_for_update().get(pk=startup.pk)
    existing = [(t.to_phase, t.date) for t in startup.transitions.order_by("date", "created", "pk")]
    if phases[: len(existing)] != existing:
        raise IncubatorError(
            _("L’historique des phases déjà importé diffère de la source : il n’est pas réécrit.")
        )
    new_phases = phases[len(existing) :]
    if (
        any(phase == Phase.ABANDONED for phase, _day in new_phases)
        and not startup.failures.filter(scope=FailureScope.STARTUP).exists()
    ):
        raise FailureRequired(_("Un arrêt importé doit avoir sa fiche d’échec."))
    from_phase = existing[-1][0] if existing else ""
    for to_phase, day in new_phases:
        PhaseTransition.objects.create(
            startup=startup,
            kind=_imported_kind(from_phase, to_phase),
            from_phase=from_phase,
            to_phase=to_phase,
            date=day,
            decided_by=None,
            rationale=rationale,
        )
        from_phase = to_phase
    if new_phases:
        startup.phase, startup.phase_since = new_phases[-1]
        startup.phase_deadline = startup.compute_phase_deadline()
        startup.save(update_fields=["phase", "phase_since", "phase_deadline", "updated"])
    return len(new_phases)
