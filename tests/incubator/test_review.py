"""Holding a committee from the workspace: decisions, targets, budget, gates, stop."""

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

import pytest
from pypdf import PdfReader

from incubator import services
from incubator.enums import (
    FailureReason,
    FailureScope,
    MembershipRole,
    Phase,
    ReviewDecision,
    TransitionKind,
    Visibility,
)
from incubator.exceptions import IncubatorError
from incubator.models import (
    Failure,
    Indicator,
    Lesson,
    Measurement,
    Membership,
    PhaseTransition,
    Review,
    Startup,
)
from programs.models import GateCriterionKind, PhaseGateCriterion
from tests.factories import CohortFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()


@pytest.fixture
def coach(settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # MFA has its own tests
    return UserFactory(coach=True)


@pytest.fixture
def startup(coach):
    cohort = CohortFactory()
    cohort.program.incubator.coaches.add(coach)
    startup = StartupFactory(
        name="Cantine Locale",
        incubator=cohort.program.incubator,
        cohort=cohort,
        started_on=D(2025, 1, 6),
    )
    indicator = Indicator.objects.create(startup=startup, name="Repas servis", unit="repas")
    Measurement.objects.create(indicator=indicator, date=D(2025, 3, 1), value=Decimal("320"))
    services.review_record(
        startup=startup,
        date=D(2025, 2, 1),
        decision=ReviewDecision.CONTINUE,
        actor=None,
        targets={indicator: Decimal("500")},
    )
    return startup


def url(startup):
    return reverse("workspace:review_create", args=[startup.slug])


def post_data(**overrides):
    data = {
        "date": "2025-06-02",
        "participants": "Coach, sponsor, agente",
        "decision": ReviewDecision.CONTINUE,
        "rationale": "",
        "conditions": "",
        "notes": "",
        "budget_granted": "",
        "next_review_date": "",
        "lecon-TOTAL_FORMS": "3",
        "lecon-INITIAL_FORMS": "0",
        "lecon-MIN_NUM_FORMS": "1",
        "lecon-MAX_NUM_FORMS": "3",
    }
    for index in range(3):
        data[f"lecon-{index}-visibility"] = Visibility.PRIVATE
    data.update(overrides)
    return data


def written(startup):
    """Everything a committee may write, to prove a refusal wrote nothing."""
    startup = Startup.objects.get(pk=startup.pk)
    return (
        startup.phase,
        Review.objects.count(),
        PhaseTransition.objects.count(),
        Failure.objects.count(),
        Lesson.objects.count(),
    )


def test_the_form_starts_from_the_previous_targets_and_shows_latest_values(client, coach, startup):
    client.force_login(coach)
    response = client.get(url(startup))
    assert response.status_code == 200
    html = response.text
    indicator = startup.indicators.get()
    assert f'name="target_{indicator.pk}"' in html and 'value="500"' in html
    assert "Objectif fixé au dernier comité : 500" in html
    assert "Dernière valeur mesurée : 320 le 01/03/2025" in html
    # Investigation: advance, no pivot, stop.
    decisions = [value for value, _label in response.context["form"].fields["decision"].choices]
    assert decisions == ["continue", "advance", "stop"]


def test_advance_changes_the_phase_records_targets_budget_and_updates_the_board(
    client, coach, startup
):
    client.force_login(coach)
    indicator = startup.indicators.get()
    response = client.post(
        url(startup),
        post_data(
            decision=ReviewDecision.ADVANCE,
            rationale="Besoin confirmé par 40 entretiens",
            budget_granted="40000,50",
            next_review_date="2025-12-02",
            **{f"target_{indicator.pk}": "1200,5"},
        ),
    )
    assert response.status_code == 302
    assert response.url == reverse("workspace:startup_detail", args=[startup.slug])
    startup.refresh_from_db()
    assert startup.phase == Phase.CONSTRUCTION and startup.phase_since == D(2025, 6, 2)
    review = startup.reviews.order_by("-date").first()
    assert (review.decision, review.budget_granted_cents, review.recorded_by) == (
        ReviewDecision.ADVANCE,
        4_000_050,
        coach,
    )
    assert review.targets.get().target_value == Decimal("1200.50")
    transition = review.transitions.get()
    assert (transition.kind, transition.rationale) == (
        TransitionKind.ADVANCE,
        "Besoin confirmé par 40 entretiens",
    )
    board = client.get(reverse("workspace:board")).text
    assert "Construction" in board and "02/12/2025" in board


def test_advance_after_consolidation_needs_the_target_phase(client, coach, startup):
    services.startup_sync_imported_phases(
        startup=startup,
        phases=[(Phase.INVESTIGATION, D(2025, 1, 6)), (Phase.CONSOLIDATION, D(2025, 4, 1))],
        rationale="Import",
    )
    client.force_login(coach)
    before = written(startup)
    data = post_data(decision=ReviewDecision.ADVANCE, rationale="Prêt")
    response = client.post(url(startup), data)
    assert response.status_code == 200 and "Choisissez la phase visée." in response.text
    assert written(startup) == before
    response = client.post(url(startup), {**data, "to_phase": Phase.OPERATED})
    assert response.status_code == 302
    assert Startup.objects.get(pk=startup.pk).phase == Phase.OPERATED


def test_pivot_goes_back_one_phase_with_a_rationale(client, coach, startup):
    services.startup_change_phase(
        startup=startup, to_phase=Phase.CONSTRUCTION, actor=None, on=D(2025, 3, 1), rationale="r"
    )
    client.force_login(coach)
    before = written(startup)
    response = client.post(url(startup), post_data(decision=ReviewDecision.PIVOT))
    assert "Une justification écrite est obligatoire" in response.text
    assert written(startup) == before
    response = client.post(
        url(startup),
        post_data(decision=ReviewDecision.PIVOT, rationale="Le besoin est ailleurs"),
    )
    assert response.status_code == 302
    startup.refresh_from_db()
    assert startup.phase == Phase.INVESTIGATION
    assert startup.transitions.order_by("-pk").first().kind == TransitionKind.PIVOT


def stop_data(**overrides):
    data = {
        "decision": ReviewDecision.STOP,
        "reason": FailureReason.NO_USER_NEED,
        "what_we_learned": "Les cantines ont déjà un outil.",
        "why_we_stop": "Le besoin n’est pas confirmé.",
        "advice_for_relaunch": "Partir des producteurs.",
        "publication_consent": "on",
        "lecon-0-title": "Observer avant de construire",
        "lecon-0-body": "Deux semaines.",
    }
    return post_data(**{**data, **overrides})


def test_stop_records_the_post_mortem_lesson_review_and_phase_together(client, coach, startup):
    client.force_login(coach)
    response = client.post(url(startup), stop_data())
    assert response.status_code == 302
    startup.refresh_from_db()
    assert startup.phase == Phase.ABANDONED
    failure = Failure.objects.get()
    assert (failure.scope, failure.reason, failure.publication_consent, failure.author) == (
        FailureScope.STARTUP,
        FailureReason.NO_USER_NEED,
        True,
        coach,
    )
    assert failure.lessons.get().title == "Observer avant de construire"
    transition = startup.transitions.order_by("-pk").first()
    assert transition.kind == TransitionKind.ABANDON
    assert transition.review.decision == ReviewDecision.STOP
    assert transition.rationale == "Le besoin n’est pas confirmé."


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"why_we_stop": ""}, "Obligatoire pour un arrêt."),
        ({"reason": ""}, "Obligatoire pour un arrêt."),
        ({"reason": FailureReason.TO_DOCUMENT}, "Sélectionnez un choix valide."),
        ({"lecon-0-title": "", "lecon-0-body": ""}, "Écrivez au moins une leçon apprise."),
        ({"lecon-0-body": ""}, "Champ requis."),
    ],
)
def test_stop_without_post_mortem_or_lesson_writes_nothing(
    client, coach, startup, overrides, message
):
    client.force_login(coach)
    before = written(startup)
    response = client.post(url(startup), stop_data(**overrides))
    assert response.status_code == 200
    assert message in response.text and "Le comité n’a pas été enregistré" in response.text
    assert written(startup) == before


def test_a_refusal_by_the_services_rolls_everything_back(client, coach, startup):
    # The failure record accepts the date, the phase change refuses it (before the start):
    # the post-mortem written first must be rolled back too.
    client.force_login(coach)
    before = written(startup)
    response = client.post(url(startup), stop_data(date="2024-12-01"))
    assert response.status_code == 200
    assert "La décision ne peut pas précéder la précédente" in response.text
    assert written(startup) == before


def test_the_next_review_must_come_after(client, coach, startup):
    client.force_login(coach)
    before = written(startup)
    response = client.post(
        url(startup), post_data(next_review_date="2025-06-01", budget_granted="beaucoup")
    )
    assert "Le prochain comité doit être fixé après celui-ci." in response.text
    assert "Saisissez un nombre." in response.text
    assert written(startup) == before


@pytest.fixture
def gate(startup):
    return PhaseGateCriterion.objects.create(
        program=startup.cohort.program,
        phase=Phase.CONSTRUCTION,
        label="Engagement du sponsor signé",
        kind=GateCriterionKind.SIGNED_COMMITMENT,
    )


def test_gates_are_shown_and_refuse_advancing_without_an_override(client, coach, startup, gate):
    client.force_login(coach)
    html = client.get(url(startup)).text
    assert "Critères d’entrée dans la phase suivante" in html
    assert "Engagement du sponsor signé" in html and "Non rempli" in html
    assert reverse("workspace:gate_checklist", args=[startup.slug]) in html
    before = written(startup)
    data = post_data(decision=ReviewDecision.ADVANCE, rationale="Besoin confirmé")
    response = client.post(url(startup), data)
    assert response.status_code == 200
    assert "écrivez le motif de la dérogation" in response.text
    assert written(startup) == before

    response = client.post(
        url(startup), {**data, "gate_override_reason": "Délibération votée, signature lundi"}
    )
    assert response.status_code == 302
    transition = PhaseTransition.objects.get(startup=startup, kind=TransitionKind.ADVANCE)
    assert transition.gate_override_reason == "Délibération votée, signature lundi"
    assert transition.gate_checklist[0]["label"] == "Engagement du sponsor signé"
    assert transition.gate_checklist[0]["met"] is False


def test_only_coaches_of_the_startup_hold_committees(client, coach, startup):
    agent = UserFactory()
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    client.force_login(agent)
    assert client.get(url(startup)).status_code == 403
    assert client.post(url(startup), stop_data()).status_code == 403
    other_coach = UserFactory(coach=True)
    StartupFactory().incubator.coaches.add(other_coach)
    client.force_login(other_coach)
    assert client.get(url(startup)).status_code == 403  # public: visible, not theirs
    Startup.objects.filter(pk=startup.pk).update(visibility=Visibility.PRIVATE)
    assert client.get(url(startup)).status_code == 404
    assert client.post(url(startup), stop_data()).status_code == 404
    assert Startup.objects.get(pk=startup.pk).phase == Phase.INVESTIGATION


def test_the_cockpit_links_to_committee_and_criteria_for_coaches(client, coach, startup):
    client.force_login(coach)
    html = client.get(reverse("workspace:startup_detail", args=[startup.slug])).text
    assert url(startup) in html
    assert reverse("workspace:gate_checklist", args=[startup.slug]) in html
    agent = UserFactory()
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    client.force_login(agent)
    html = client.get(reverse("workspace:startup_detail", args=[startup.slug])).text
    assert url(startup) not in html
    assert reverse("workspace:gate_checklist", args=[startup.slug]) in html


def test_coach_notes_are_never_shown_to_the_startup_team(client, coach, startup):
    from incubator.enums import ReportKind
    from incubator.services.reports import report_run

    agent = UserFactory()
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    client.force_login(coach)
    response = client.post(
        url(startup),
        post_data(notes="Repas servis en hausse.", coach_notes="Sponsor hésitant, à surveiller."),
    )
    assert response.status_code == 302
    review = Review.objects.get(date=D(2025, 6, 2))
    assert review.coach_notes == "Sponsor hésitant, à surveiller."

    journal = reverse("workspace:startup_timeline", args=[startup.slug])
    cockpit = reverse("workspace:startup_detail", args=[startup.slug])
    for page in (journal, cockpit):
        html = client.get(page).text
        assert "Sponsor hésitant" in html and "Réservé aux coachs" in html

    report = services.report_request(
        kind=ReportKind.STARTUP,
        subject=startup,
        start=D(2025, 1, 1),
        end=D(2025, 12, 31),
        public=False,
        user=agent,
    )
    report_run(report.pk)
    client.force_login(agent)
    for page in (journal, cockpit, reverse("workspace:report_detail", args=[report.pk])):
        html = client.get(page).text
        assert "Repas servis en hausse." in html, page
        assert "Sponsor hésitant" not in html, page
    report.refresh_from_db()
    with report.pdf.open("rb") as pdf:
        text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Repas servis en hausse" in text and "Sponsor" not in text


# --- Decisions a phase does not allow ----------------------------------------------------


def abandon(startup):
    from tests.factories import document_stop

    document_stop(startup, on=D(2025, 4, 1))
    services.startup_change_phase(
        startup=startup, to_phase=Phase.ABANDONED, actor=None, on=D(2025, 4, 2), rationale="r"
    )


@pytest.mark.parametrize("decision", list(ReviewDecision))
def test_the_service_refuses_any_committee_on_an_abandoned_startup(coach, startup, decision):
    abandon(startup)
    before = written(startup)

    with pytest.raises(IncubatorError) as refused:
        services.review_record(
            startup=Startup.objects.get(pk=startup.pk),
            date=D(2025, 6, 2),
            decision=decision,
            actor=coach,
            rationale="Le service repart.",
        )

    assert str(refused.value.message) == (
        "La startup est en phase « Abandonnée » : un comité ne peut plus décider de sa suite. "
        "Seule une réouverture par l’équipe de l’incubateur peut la relancer."
    )
    assert written(startup) == before


def test_the_service_refuses_a_decision_the_phase_does_not_allow(coach, startup):
    before = written(startup)
    with pytest.raises(IncubatorError, match="« Pivoter » n’est pas possible en phase « Inv"):
        services.review_record(
            startup=startup,
            date=D(2025, 6, 2),
            decision=ReviewDecision.PIVOT,
            actor=coach,
            rationale="Retour en arrière.",
            to_phase=Phase.INVESTIGATION,
        )
    assert written(startup) == before


def test_an_abandoned_startup_offers_no_committee(client, coach, startup):
    abandon(startup)
    client.force_login(coach)
    detail = client.get(reverse("workspace:startup_detail", args=[startup.slug]))
    assert url(startup) not in detail.text

    page = client.get(url(startup), follow=True)
    assert "un comité ne peut plus décider de sa suite" in page.text
    assert page.redirect_chain[-1][0] == reverse("workspace:startup_detail", args=[startup.slug])
    before = written(startup)
    response = client.post(url(startup), post_data())  # « Poursuivre », sent anyway
    assert response.status_code == 302 and written(startup) == before


def test_the_form_offers_only_what_the_phase_allows(coach, startup):
    from incubator.forms_board import ReviewForm

    def choices(phase):
        Startup.objects.filter(pk=startup.pk).update(phase=phase)
        form = ReviewForm(startup=Startup.objects.get(pk=startup.pk), indicators=[], checklists={})
        return [value for value, _label in form.fields["decision"].choices]

    assert choices(Phase.CONSTRUCTION) == ["continue", "advance", "pivot", "stop"]
    for finished in (Phase.ABANDONED, Phase.TRANSFERRED, Phase.OPERATED):
        assert choices(finished) == []
