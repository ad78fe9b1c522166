"""The selection committee: who reviews, scores and comments, decisions and their e-mails."""

import datetime

from django.core import mail

import pytest

from incubator.enums import MembershipRole, Phase, TransitionKind, Visibility
from incubator.exceptions import IncubatorError, InvalidValue
from incubator.models import Membership, PhaseTransition, Sponsorship, Startup
from programs import services
from programs.calls import Application, ApplicationScore, ApplicationStatus
from programs.permissions import can_review_application
from tests.factories import (
    CohortFactory,
    ProgramFactory,
    SelectionCriterionFactory,
    ThemeFactory,
    UserFactory,
)
from tests.programs.conftest import AFTER_CALL

pytestmark = pytest.mark.django_db

FIRST_REVIEW = datetime.date(2026, 10, 12)


# --- Who reviews ----------------------------------------------------------------------


def test_staff_and_coaches_of_the_programme_review(submitted, coach):
    incubator_coach = UserFactory(coach=True)
    submitted.call.program.incubator.coaches.add(incubator_coach)
    assert can_review_application(coach, submitted)
    assert can_review_application(incubator_coach, submitted)
    assert can_review_application(UserFactory(staff=True), submitted)


def test_others_never_review(submitted):
    other_coach = UserFactory(coach=True)
    CohortFactory(program=ProgramFactory()).coaches.add(other_coach)
    assert not can_review_application(other_coach, submitted)
    assert not can_review_application(UserFactory(), submitted)
    assert not can_review_application(None, submitted)


def test_the_applicant_never_reviews_even_as_staff(submitted):
    applicant = submitted.applicant
    applicant.is_staff = True
    applicant.save()
    assert not can_review_application(applicant, submitted)


# --- Scores and comments --------------------------------------------------------------


def test_a_coach_scores_and_changes_a_score(submitted, coach, criterion):
    services.application_score(submitted, coach=coach, criterion=criterion, score=3)
    services.application_score(submitted, coach=coach, criterion=criterion, score=5)
    assert ApplicationScore.objects.get().score == 5


@pytest.mark.parametrize("score", [-1, 6, 2.5, True, "4"])
def test_a_score_is_an_integer_from_0_to_5(submitted, coach, criterion, score):
    with pytest.raises(InvalidValue, match="de 0 à 5"):
        services.application_score(submitted, coach=coach, criterion=criterion, score=score)


def test_a_criterion_of_another_programme_is_refused(submitted, coach):
    with pytest.raises(InvalidValue, match="pas celui de ce programme"):
        services.application_score(
            submitted, coach=coach, criterion=SelectionCriterionFactory(), score=3
        )


def test_a_draft_is_not_scored(draft, coach, criterion):
    with pytest.raises(IncubatorError, match="envoyée et non décidée"):
        services.application_score(draft, coach=coach, criterion=criterion, score=3)


def test_a_coach_of_another_programme_is_refused_everywhere(submitted, criterion, cohort):
    other = UserFactory(coach=True)
    CohortFactory().coaches.add(other)
    attempts = [
        lambda: services.application_score(submitted, coach=other, criterion=criterion, score=1),
        lambda: services.application_comment(submitted, author=other, body="Bof"),
        lambda: services.application_shortlist(submitted, coach=other),
        lambda: services.application_reject(submitted, coach=other, reason="Non"),
        lambda: services.application_accept(
            submitted, coach=other, cohort=cohort, first_review_date=FIRST_REVIEW
        ),
    ]
    for attempt in attempts:
        with pytest.raises(IncubatorError, match="Seuls les coachs du programme"):
            attempt()
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert not submitted.comments.exists() and not submitted.scores.exists()


def test_comments_need_a_body(submitted, coach):
    with pytest.raises(InvalidValue, match="vide"):
        services.application_comment(submitted, author=coach, body="  ")
    comment = services.application_comment(submitted, author=coach, body=" Très solide. ")
    assert comment.body == "Très solide."


# --- Decisions ------------------------------------------------------------------------


def test_shortlist_then_reject_with_a_reason_emailed(
    submitted, coach, django_capture_on_commit_callbacks
):
    services.application_shortlist(submitted, coach=coach)
    with pytest.raises(InvalidValue, match="pourquoi"):
        services.application_reject(submitted, coach=coach, reason=" ", now=AFTER_CALL)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(
            submitted, coach=coach, reason="Le besoin est déjà couvert.", now=AFTER_CALL
        )
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.REJECTED
    assert submitted.decided_by == coach and submitted.decided_at == AFTER_CALL
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [submitted.applicant.email]
    assert "n’est pas retenue" in mail.outbox[0].subject
    assert "Le besoin est déjà couvert." in mail.outbox[0].body
    assert f"/espace/candidatures/{submitted.pk}/" in mail.outbox[0].body


def test_an_applicant_who_deleted_their_account_is_not_written_to(
    submitted, coach, django_capture_on_commit_callbacks
):
    from accounts.services import account_delete

    account_delete(user=submitted.applicant)
    services.application_shortlist(submitted, coach=coach)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(
            submitted, coach=coach, reason="Le besoin est déjà couvert.", now=AFTER_CALL
        )
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.REJECTED
    assert mail.outbox == []


def test_a_decided_application_is_neither_edited_nor_decided_again(
    submitted, coach, cohort, criterion
):
    services.application_reject(submitted, coach=coach, reason="Hors champ.", now=AFTER_CALL)
    with pytest.raises(IncubatorError, match="ne se modifie plus"):
        services.application_save_draft(
            submitted,
            call=submitted.call,
            applicant=submitted.applicant,
            now=AFTER_CALL,
            title="Repêchage",
        )
    for decide in (
        lambda: services.application_reject(submitted, coach=coach, reason="Encore"),
        lambda: services.application_shortlist(submitted, coach=coach),
        lambda: services.application_accept(
            submitted, coach=coach, cohort=cohort, first_review_date=FIRST_REVIEW
        ),
    ):
        with pytest.raises(IncubatorError, match="déjà été décidée"):
            decide()
    with pytest.raises(IncubatorError, match="non décidée"):
        services.application_score(submitted, coach=coach, criterion=criterion, score=2)
    assert not Startup.objects.exists()


def test_a_draft_is_not_decided(draft, coach):
    with pytest.raises(IncubatorError, match="pas encore été envoyée"):
        services.application_reject(draft, coach=coach, reason="Non")


def test_accepting_creates_the_startup_its_sponsor_and_its_agent(
    submitted, coach, cohort, sponsor, django_capture_on_commit_callbacks
):
    theme = ThemeFactory(name="Relation usagers")
    submitted.themes.add(theme)
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_accept(
            submitted, coach=coach, cohort=cohort, first_review_date=FIRST_REVIEW, now=AFTER_CALL
        )
    startup = application.startup
    assert application.status == ApplicationStatus.ACCEPTED
    assert application.cohort == cohort and application.first_review_date == FIRST_REVIEW
    assert startup.name == "Rendez-vous en mairie sans attente"
    assert startup.incubator == cohort.program.incubator and startup.cohort == cohort
    assert startup.phase == Phase.INVESTIGATION and startup.phase_since == AFTER_CALL.date()
    assert startup.visibility == Visibility.PRIVATE
    assert startup.problem == submitted.problem_statement
    assert list(startup.themes.all()) == [theme]
    transition = PhaseTransition.objects.get(startup=startup)
    assert transition.kind == TransitionKind.START and transition.decided_by == coach
    sponsorship = Sponsorship.objects.get(startup=startup)
    assert sponsorship.territory == sponsor
    assert sponsorship.contact_name == "Dominique Élu"
    membership = Membership.objects.get(startup=startup)
    assert membership.user == submitted.applicant and membership.role == MembershipRole.AGENT
    assert len(mail.outbox) == 1
    assert "est retenue" in mail.outbox[0].subject
    assert "12 octobre 2026" in mail.outbox[0].body
    assert cohort.name in mail.outbox[0].body
    # The link leads straight to the new startup's cockpit.
    assert f"/espace/startups/{application.startup.slug}/" in mail.outbox[0].body


def test_accepting_needs_a_cohort_of_the_programme(submitted, coach):
    with pytest.raises(InvalidValue, match="promotion du programme") as error:
        services.application_accept(
            submitted, coach=coach, cohort=CohortFactory(), first_review_date=FIRST_REVIEW
        )
    assert error.value.field == "cohort"
    assert not Startup.objects.exists()


def test_the_first_review_comes_after_the_acceptance(submitted, coach, cohort):
    with pytest.raises(InvalidValue, match="premier comité"):
        services.application_accept(
            submitted,
            coach=coach,
            cohort=cohort,
            first_review_date=AFTER_CALL.date(),
            now=AFTER_CALL,
        )


def test_accepting_is_all_or_nothing(
    submitted, coach, cohort, monkeypatch, django_capture_on_commit_callbacks
):
    def broken_create(**kwargs):
        raise RuntimeError("panne au milieu")

    monkeypatch.setattr(Membership.objects, "create", broken_create)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.application_accept(
            submitted, coach=coach, cohort=cohort, first_review_date=FIRST_REVIEW, now=AFTER_CALL
        )
    assert not Startup.objects.exists()
    assert not PhaseTransition.objects.exists()
    assert not Sponsorship.objects.exists()
    application = Application.objects.get(pk=submitted.pk)
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.startup is None and application.cohort is None
    assert not mail.outbox
