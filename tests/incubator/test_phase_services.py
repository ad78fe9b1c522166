"""Phase changes go through the service: history rows, rules and clear French refusals."""

import datetime

from django.utils import timezone

import pytest

from incubator import services
from incubator.enums import FailureReason, FailureScope, Phase, ReviewDecision, TransitionKind
from incubator.exceptions import (
    DeletionForbidden,
    FailureRequired,
    IncubatorError,
    InvalidTransition,
)
from incubator.models import Failure, Lesson, PhaseTransition, Review
from tests.factories import (
    CohortFactory,
    IndicatorFactory,
    StartupFactory,
    UserFactory,
    document_stop,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def test_a_new_startup_starts_its_history_in_investigation():
    startup = StartupFactory(started_on=D(2024, 1, 15))
    (first,) = startup.transitions.all()
    assert (first.kind, first.from_phase, first.to_phase, first.date) == (
        TransitionKind.START,
        "",
        Phase.INVESTIGATION,
        D(2024, 1, 15),
    )
    assert startup.phase == Phase.INVESTIGATION and startup.phase_since == D(2024, 1, 15)


def test_advancing_writes_an_immutable_row_and_updates_the_phase():
    coach = UserFactory(coach=True)
    startup = StartupFactory()
    transition = services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=coach,
        on=D(2024, 5, 2),
        rationale="Problème confirmé par 40 entretiens.",
    )
    startup.refresh_from_db()
    assert startup.phase == Phase.CONSTRUCTION and startup.phase_since == D(2024, 5, 2)
    assert (transition.from_phase, transition.kind, transition.decided_by) == (
        Phase.INVESTIGATION,
        TransitionKind.ADVANCE,
        coach,
    )
    with pytest.raises(DeletionForbidden):
        transition.delete()
    with pytest.raises(DeletionForbidden):
        PhaseTransition.objects.filter(startup=startup).delete()
    transition.rationale = "réécrit"
    with pytest.raises(DeletionForbidden, match="ne se modifie pas"):
        transition.save()


@pytest.mark.parametrize(
    ("to_phase", "pivot", "message"),
    [
        (Phase.ACCELERATION, False, "Passage impossible de « Investigation » à « Accélération »"),
        (Phase.OPERATED, False, "Passage impossible"),
        (Phase.INVESTIGATION, True, "Un pivot ne revient que d’une phase en arrière"),
    ],
)
def test_illegal_moves_are_refused_in_french_and_change_nothing(to_phase, pivot, message):
    startup = StartupFactory()
    with pytest.raises(InvalidTransition, match=message):
        services.startup_change_phase(
            startup=startup,
            to_phase=to_phase,
            actor=None,
            on=D(2024, 3, 1),
            rationale="Essai",
            pivot=pivot,
        )
    startup.refresh_from_db()
    assert startup.phase == Phase.INVESTIGATION
    assert startup.transitions.count() == 1


def test_a_decision_cannot_predate_the_previous_one_nor_be_in_the_future():
    startup = StartupFactory(started_on=D(2024, 1, 15))
    with pytest.raises(
        InvalidTransition, match="ne peut pas précéder la précédente, datée du 15/01/2024"
    ):
        services.startup_change_phase(
            startup=startup,
            to_phase=Phase.CONSTRUCTION,
            actor=None,
            on=D(2023, 12, 1),
            rationale="Trop tôt",
        )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(InvalidTransition, match="dans le futur"):
        services.startup_change_phase(
            startup=startup,
            to_phase=Phase.CONSTRUCTION,
            actor=None,
            on=tomorrow,
            rationale="Plus tard",
        )
    assert startup.transitions.count() == 1


def test_a_rationale_is_mandatory():
    startup = StartupFactory()
    with pytest.raises(InvalidTransition, match="justification écrite est obligatoire"):
        services.startup_change_phase(
            startup=startup,
            to_phase=Phase.CONSTRUCTION,
            actor=None,
            on=D(2024, 3, 1),
            rationale="  ",
        )


def test_abandoning_requires_a_failure_with_a_lesson():
    startup = StartupFactory()
    with pytest.raises(FailureRequired, match="documentez d’abord l’échec et au moins une leçon"):
        services.startup_change_phase(
            startup=startup,
            to_phase=Phase.ABANDONED,
            actor=None,
            on=D(2024, 6, 2),
            rationale="Stop",
        )
    # A failure without lesson is not enough either.
    services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.NO_FUNDING,
        occurred_on=D(2024, 6, 1),
        author=None,
        what_we_learned="a",
        why_we_stop="b",
        advice_for_relaunch="c",
    )
    with pytest.raises(FailureRequired):
        services.startup_change_phase(
            startup=startup,
            to_phase=Phase.ABANDONED,
            actor=None,
            on=D(2024, 6, 2),
            rationale="Stop",
        )
    document_stop(startup)
    services.startup_change_phase(
        startup=startup,
        to_phase=Phase.ABANDONED,
        actor=None,
        on=D(2024, 6, 2),
        rationale="Stop",
    )
    startup.refresh_from_db()
    assert startup.phase == Phase.ABANDONED and startup.is_terminal


def test_a_post_mortem_needs_its_three_texts_and_writes_nothing_otherwise():
    startup = StartupFactory()
    with pytest.raises(IncubatorError, match="trois textes"):
        services.failure_record(
            startup=startup,
            scope=FailureScope.STARTUP,
            reason=FailureReason.TECHNICAL,
            occurred_on=D(2024, 6, 1),
            author=None,
            what_we_learned="Seulement ceci",
            lessons=[{"title": "Titre", "body": "Texte"}],
        )
    assert not Failure.objects.exists() and not Lesson.objects.exists()


def test_a_lesson_without_text_rolls_back_the_whole_failure():
    startup = StartupFactory()
    with pytest.raises(IncubatorError, match="titre et d’un texte"):
        services.failure_record(
            startup=startup,
            scope=FailureScope.STARTUP,
            reason=FailureReason.TECHNICAL,
            occurred_on=D(2024, 6, 1),
            author=None,
            what_we_learned="a",
            why_we_stop="b",
            advice_for_relaunch="c",
            lessons=[{"title": "Bon titre", "body": ""}],
        )
    assert not Failure.objects.exists()


def test_terminal_phases_only_reopen_by_staff_with_a_reason():
    startup = StartupFactory()
    document_stop(startup)
    services.startup_change_phase(
        startup=startup,
        to_phase=Phase.ABANDONED,
        actor=None,
        on=D(2024, 6, 2),
        rationale="Stop",
    )
    with pytest.raises(InvalidTransition, match="seule une réouverture"):
        services.startup_change_phase(
            startup=startup,
            to_phase=Phase.CONSTRUCTION,
            actor=None,
            on=D(2024, 7, 1),
            rationale="Reprise",
        )
    with pytest.raises(InvalidTransition, match="Seule l’équipe de l’incubateur"):
        services.startup_reopen(
            startup=startup,
            to_phase=Phase.INVESTIGATION,
            actor=UserFactory(coach=True),
            on=D(2024, 7, 1),
            rationale="Nouveau sponsor",
        )
    staff = UserFactory(staff=True)
    transition = services.startup_reopen(
        startup=startup,
        to_phase=Phase.INVESTIGATION,
        actor=staff,
        on=D(2024, 7, 1),
        rationale="Un nouveau département reprend le projet.",
    )
    startup.refresh_from_db()
    assert transition.kind == TransitionKind.REOPEN and startup.phase == Phase.INVESTIGATION


def test_deadline_and_overdue_follow_the_program_policy():
    cohort = CohortFactory(program__investigation_months=3)
    startup = StartupFactory(started_on=D(2024, 1, 31), cohort=cohort)
    assert startup.phase_deadline == D(2024, 4, 30)  # clamped to the end of April
    assert startup.is_overdue(today=D(2024, 5, 1))
    assert not startup.is_overdue(today=D(2024, 4, 30))
    default = StartupFactory(started_on=D(2024, 1, 15))
    assert default.phase_deadline == D(2024, 7, 15)  # 6 months by default


def test_a_review_that_advances_changes_the_phase_in_the_same_step():
    coach = UserFactory(coach=True)
    startup = StartupFactory()
    indicator = IndicatorFactory(startup=startup)
    review = services.review_record(
        startup=startup,
        date=D(2024, 6, 3),
        decision=ReviewDecision.ADVANCE,
        actor=coach,
        rationale="Besoin confirmé",
        conditions="Recruter un développeur",
        budget_granted_cents=80_000_00,
        next_review_date=D(2024, 12, 3),
        targets={indicator: 500},
    )
    startup.refresh_from_db()
    assert startup.phase == Phase.CONSTRUCTION
    assert startup.transitions.last().review == review
    assert review.targets.get().target_value == 500


def test_a_review_whose_phase_change_fails_is_not_kept():
    startup = StartupFactory()
    with pytest.raises(FailureRequired):
        services.review_record(
            startup=startup,
            date=D(2024, 6, 3),
            decision=ReviewDecision.STOP,
            actor=None,
            rationale="Arrêt",
        )
    assert not Review.objects.exists()


def test_reviews_failures_and_lessons_are_archived_never_deleted():
    startup = StartupFactory()
    failure = document_stop(startup)
    lesson = failure.lessons.get()
    for record in (failure, lesson):
        with pytest.raises(DeletionForbidden, match="archivez"):
            record.delete()
    with pytest.raises(DeletionForbidden):
        Lesson.objects.all().delete()
    services.archive(obj=lesson, actor=None)
    lesson.refresh_from_db()
    assert lesson.is_archived


def test_edits_keep_a_browsable_history():
    startup = StartupFactory(pitch="Première version")
    startup.pitch = "Deuxième version"
    startup.save()
    assert startup.history.earliest().pitch == "Première version"
    assert startup.history.latest().pitch == "Deuxième version"
