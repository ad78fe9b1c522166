"""Phase gates: entry criteria per programme, their evidence, refusals and overrides."""

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

import pytest

from incubator import services
from incubator.enums import MembershipRole, Phase, ReviewDecision, TransitionKind, Visibility
from incubator.exceptions import IncubatorError, InvalidTransition
from incubator.models import GateEvidence, Membership, PhaseTransition, Sponsorship
from programs.models import GateCriterionKind, PhaseGateCriterion
from tests.factories import (
    CohortFactory,
    ProgramFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()


@pytest.fixture
def no_mfa(settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False


@pytest.fixture
def gated():
    """A startup in a cohort whose programme has the three demo criteria to enter construction."""
    cohort = CohortFactory()
    program = cohort.program
    criteria = {
        "manual": PhaseGateCriterion.objects.create(
            program=program,
            phase=Phase.CONSTRUCTION,
            label="Problème confirmé par des preuves",
            kind=GateCriterionKind.MANUAL,
            order=0,
        ),
        "signed": PhaseGateCriterion.objects.create(
            program=program,
            phase=Phase.CONSTRUCTION,
            label="Engagement du sponsor signé",
            kind=GateCriterionKind.SIGNED_COMMITMENT,
            order=1,
        ),
        "freed": PhaseGateCriterion.objects.create(
            program=program,
            phase=Phase.CONSTRUCTION,
            label="Agent-entrepreneur libéré au moins 2 jours par semaine",
            kind=GateCriterionKind.FREED_TIME,
            threshold=Decimal("2"),
            order=2,
        ),
    }
    # A criterion of another phase and one of another programme never show up.
    PhaseGateCriterion.objects.create(
        program=program, phase=Phase.ACCELERATION, label="Impact mesuré"
    )
    PhaseGateCriterion.objects.create(
        program=ProgramFactory(), phase=Phase.CONSTRUCTION, label="Autre programme"
    )
    startup = StartupFactory(
        name="Cantine Locale",
        incubator=program.incubator,
        cohort=cohort,
        started_on=D(2025, 1, 6),
    )
    return startup, criteria


def meet_everything(startup, criteria, actor=None):
    Sponsorship.objects.create(
        startup=startup, territory=TerritoryFactory(), commitment_signed_on=D(2025, 1, 10)
    )
    Membership.objects.create(
        startup=startup,
        user=UserFactory(),
        role=MembershipRole.AGENT,
        start_date=D(2025, 1, 6),
        freed_days_per_week=Decimal("2.5"),
    )
    services.gate_evidence_record(
        startup=startup,
        criterion=criteria["manual"],
        met=True,
        evidence_url="https://exemple.fr/entretiens",
        note="40 entretiens",
        actor=actor,
    )


def by_label(checklist):
    return {item["label"]: item for item in checklist}


# --- gate_checklist -----------------------------------------------------------


def test_startups_without_cohort_have_no_criteria():
    assert services.gate_checklist(startup=StartupFactory(), to_phase=Phase.CONSTRUCTION) == []


def test_checklist_lists_the_programme_criteria_of_the_phase_unmet_at_first(gated):
    startup, criteria = gated
    checklist = services.gate_checklist(startup=startup, to_phase=Phase.CONSTRUCTION)
    assert [item["label"] for item in checklist] == [
        "Problème confirmé par des preuves",
        "Engagement du sponsor signé",
        "Agent-entrepreneur libéré au moins 2 jours par semaine",
    ]
    assert all(not item["met"] for item in checklist)
    assert set(checklist[0]) == {"criterion_id", "label", "kind", "met", "evidence_url", "detail"}
    assert checklist[0]["criterion_id"] == criteria["manual"].pk
    assert checklist[1]["kind"] == GateCriterionKind.SIGNED_COMMITMENT


def test_signed_commitment_needs_a_signed_sponsorship(gated):
    startup, _ = gated
    sponsorship = Sponsorship.objects.create(startup=startup, territory=TerritoryFactory())
    item = by_label(services.gate_checklist(startup=startup, to_phase=Phase.CONSTRUCTION))[
        "Engagement du sponsor signé"
    ]
    assert not item["met"]
    sponsorship.commitment_signed_on = D(2025, 2, 1)
    sponsorship.save()
    item = by_label(services.gate_checklist(startup=startup, to_phase=Phase.CONSTRUCTION))[
        "Engagement du sponsor signé"
    ]
    assert item["met"] and "01/02/2025" in item["detail"]
    assert item["evidence_url"] == ""  # no letter uploaded
    sponsorship.commitment_document = SimpleUploadedFile("engagement.pdf", b"%PDF-1.4\n%%EOF\n")
    sponsorship.save()
    item = by_label(services.gate_checklist(startup=startup, to_phase=Phase.CONSTRUCTION))[
        "Engagement du sponsor signé"
    ]
    # The private letter, through its permission-checked view.
    assert item["evidence_url"] == reverse("workspace:commitment_document", args=[sponsorship.pk])


@pytest.mark.parametrize(
    ("days", "role", "end_date", "met"),
    [
        ("1.5", MembershipRole.AGENT, None, False),
        ("2.0", MembershipRole.AGENT, None, True),
        ("4.0", MembershipRole.AGENT, D(2025, 3, 1), False),  # no longer in post
        ("4.0", MembershipRole.TEAM, None, False),  # not an agent-entrepreneur
    ],
)
def test_freed_time_needs_a_current_agent_above_the_threshold(gated, days, role, end_date, met):
    startup, _ = gated
    Membership.objects.create(
        startup=startup,
        user=UserFactory(),
        role=role,
        start_date=D(2025, 1, 6),
        end_date=end_date,
        freed_days_per_week=Decimal(days),
    )
    item = by_label(services.gate_checklist(startup=startup, to_phase=Phase.CONSTRUCTION))[
        "Agent-entrepreneur libéré au moins 2 jours par semaine"
    ]
    assert item["met"] is met


def test_manual_criterion_needs_evidence_marked_met_with_a_link(gated):
    startup, criteria = gated
    services.gate_evidence_record(
        startup=startup,
        criterion=criteria["manual"],
        met=False,
        evidence_url="",
        note="Entretiens en cours",
        actor=None,
    )
    item = services.gate_checklist(startup=startup, to_phase=Phase.CONSTRUCTION)[0]
    assert not item["met"] and item["detail"] == "Entretiens en cours"
    services.gate_evidence_record(
        startup=startup,
        criterion=criteria["manual"],
        met=True,
        evidence_url="https://exemple.fr/cr",
        note="",
        actor=None,
    )
    item = services.gate_checklist(startup=startup, to_phase=Phase.CONSTRUCTION)[0]
    assert item["met"] and item["evidence_url"] == "https://exemple.fr/cr"
    assert GateEvidence.objects.count() == 1  # updated, not duplicated


# --- gate_evidence_record -------------------------------------------------------


@pytest.mark.parametrize(
    ("met", "url", "message"),
    [
        (True, "", "donnez le lien vers sa preuve"),
        (True, "pas une adresse", "adresse web complète"),
        (False, "ftp://exemple.fr/x", "adresse web complète"),
    ],
)
def test_evidence_refuses_bad_input_in_french(gated, met, url, message):
    startup, criteria = gated
    with pytest.raises(IncubatorError, match=message):
        services.gate_evidence_record(
            startup=startup,
            criterion=criteria["manual"],
            met=met,
            evidence_url=url,
            note="",
            actor=None,
        )
    assert not GateEvidence.objects.exists()


def test_evidence_only_for_manual_criteria_of_the_startups_programme(gated):
    startup, criteria = gated
    with pytest.raises(IncubatorError, match="se vérifie à partir des données"):
        services.gate_evidence_record(
            startup=startup,
            criterion=criteria["signed"],
            met=True,
            evidence_url="https://exemple.fr",
            note="",
            actor=None,
        )
    foreign = PhaseGateCriterion.objects.get(label="Autre programme")
    with pytest.raises(IncubatorError, match="n’appartient pas au programme"):
        services.gate_evidence_record(
            startup=startup,
            criterion=foreign,
            met=True,
            evidence_url="https://exemple.fr",
            note="",
            actor=None,
        )
    assert not GateEvidence.objects.exists()


# --- startup_change_phase / review_record ---------------------------------------


def test_advancing_with_unmet_criteria_is_refused_and_lists_them(gated):
    startup, _ = gated
    with pytest.raises(InvalidTransition) as refusal:
        services.startup_change_phase(
            startup=startup,
            to_phase=Phase.CONSTRUCTION,
            actor=None,
            on=D(2025, 5, 1),
            rationale="Besoin confirmé",
        )
    message = str(refusal.value.message)
    assert "Critères d’entrée en « Construction » non remplis" in message
    assert "Problème confirmé par des preuves" in message
    assert "Engagement du sponsor signé" in message
    startup.refresh_from_db()
    assert startup.phase == Phase.INVESTIGATION and startup.transitions.count() == 1


def test_an_override_reason_lets_it_through_and_is_kept_with_the_checklist(gated):
    startup, criteria = gated
    actor = UserFactory(coach=True)
    transition = services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=actor,
        on=D(2025, 5, 1),
        rationale="Besoin confirmé",
        gate_override_reason="  Lettre du maire attendue la semaine prochaine.  ",
    )
    transition.refresh_from_db()
    assert transition.gate_override_reason == "Lettre du maire attendue la semaine prochaine."
    assert [(c["criterion_id"], c["met"]) for c in transition.gate_checklist] == [
        (criteria["manual"].pk, False),
        (criteria["signed"].pk, False),
        (criteria["freed"].pk, False),
    ]
    startup.refresh_from_db()
    assert startup.phase == Phase.CONSTRUCTION


def test_met_criteria_need_no_override_and_the_snapshot_is_kept(gated):
    startup, criteria = gated
    meet_everything(startup, criteria)
    transition = services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=None,
        on=D(2025, 5, 1),
        rationale="Besoin confirmé",
        gate_override_reason="Sans objet",
    )
    assert all(c["met"] for c in transition.gate_checklist)
    assert transition.gate_checklist[0]["evidence_url"] == "https://exemple.fr/entretiens"
    # Nothing was overridden, so no override is recorded.
    assert transition.gate_override_reason == ""


def test_pivot_and_abandon_ignore_the_gates(gated):
    from tests.factories import document_stop

    startup, _ = gated
    services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=None,
        on=D(2025, 5, 1),
        rationale="r",
        gate_override_reason="Dérogation",
    )
    pivot = services.startup_change_phase(
        startup=startup,
        to_phase=Phase.INVESTIGATION,
        actor=None,
        on=D(2025, 6, 1),
        rationale="r",
        pivot=True,
    )
    document_stop(startup, on=D(2025, 6, 2))
    stop = services.startup_change_phase(
        startup=startup, to_phase=Phase.ABANDONED, actor=None, on=D(2025, 6, 2), rationale="r"
    )
    assert (pivot.kind, pivot.gate_checklist) == (TransitionKind.PIVOT, [])
    assert (stop.kind, stop.gate_checklist) == (TransitionKind.ABANDON, [])


def test_review_record_passes_the_override_through(gated):
    startup, _ = gated
    with pytest.raises(InvalidTransition, match="non remplis"):
        services.review_record(
            startup=startup,
            date=D(2025, 5, 1),
            decision=ReviewDecision.ADVANCE,
            actor=None,
            rationale="r",
        )
    assert not startup.reviews.exists()  # the committee is rolled back with its decision
    review = services.review_record(
        startup=startup,
        date=D(2025, 5, 1),
        decision=ReviewDecision.ADVANCE,
        actor=None,
        rationale="r",
        gate_override_reason="Engagement voté, signature en cours",
    )
    transition = review.transitions.get()
    assert transition.gate_override_reason == "Engagement voté, signature en cours"


def test_criterion_validation_in_the_admin_form():
    from django.core.exceptions import ValidationError

    program = ProgramFactory()
    with pytest.raises(ValidationError, match="nombre minimal"):
        PhaseGateCriterion(
            program=program, phase=Phase.CONSTRUCTION, label="x", kind=GateCriterionKind.FREED_TIME
        ).full_clean()
    with pytest.raises(ValidationError, match="atteinte par un passage"):
        PhaseGateCriterion(program=program, phase=Phase.INVESTIGATION, label="x").full_clean()


def test_criteria_are_editable_in_the_wagtail_admin(client, no_mfa, gated):
    client.force_login(UserFactory(superuser=True))
    url = reverse("wagtailsnippets_programs_phasegatecriterion:list")
    html = client.get(url, {"phase": Phase.ACCELERATION}).text
    assert "Impact mesuré" in html and "Problème confirmé par des preuves" not in html
    assert client.get(reverse("wagtailsnippets_programs_phasegatecriterion:add")).status_code == 200


# --- The evidence page ----------------------------------------------------------


@pytest.fixture
def team(gated, no_mfa):
    startup, criteria = gated
    agent, coach = UserFactory(), UserFactory(coach=True)
    Membership.objects.create(startup=startup, user=agent, role=MembershipRole.AGENT)
    startup.incubator.coaches.add(coach)
    return startup, criteria, agent, coach


def evidence_post(criterion, *, met, url="", note=""):
    prefix = f"critere-{criterion.pk}"
    data = {f"{prefix}-evidence_url": url, f"{prefix}-note": note}
    if met:
        data[f"{prefix}-met"] = "on"
    return data


def test_the_page_lists_next_phase_criteria_and_saves_evidence(client, team):
    startup, criteria, agent, _ = team
    url = reverse("workspace:gate_checklist", args=[startup.slug])
    client.force_login(agent)
    html = client.get(url).text
    assert "Pour entrer en « Construction »" in html
    assert "Engagement du sponsor signé" in html and "Non rempli" in html
    assert "Impact mesuré" not in html  # a later phase
    response = client.post(
        url,
        evidence_post(criteria["manual"], met=True, url="exemple.fr/entretiens", note="40"),
    )
    assert response.status_code == 302
    evidence = GateEvidence.objects.get()
    assert (evidence.met, evidence.evidence_url, evidence.note, evidence.updated_by) == (
        True,
        "https://exemple.fr/entretiens",
        "40",
        agent,
    )
    assert "Voir la preuve" in client.get(url).text


@pytest.mark.parametrize(
    ("met", "url", "message"),
    [
        (True, "", "Donnez le lien vers la preuve pour cocher ce critère."),
        (False, "ceci n’est pas un lien", "Saisissez une URL valide."),
    ],
)
def test_the_page_refuses_bad_evidence_and_writes_nothing(client, team, met, url, message):
    startup, criteria, agent, _ = team
    client.force_login(agent)
    response = client.post(
        reverse("workspace:gate_checklist", args=[startup.slug]),
        evidence_post(criteria["manual"], met=met, url=url),
    )
    assert response.status_code == 200
    assert message in response.text and "rien n’a été enregistré" in response.text
    assert not GateEvidence.objects.exists()


def test_the_page_is_for_the_team_and_coaches_only(client, team):
    startup, _, _, coach = team
    url = reverse("workspace:gate_checklist", args=[startup.slug])
    client.force_login(coach)
    assert client.get(url).status_code == 200
    referent = UserFactory(territory=True)
    Sponsorship.objects.create(
        startup=startup, territory=TerritoryFactory()
    ).territory.referents.add(referent)
    client.force_login(referent)
    assert client.get(url).status_code == 403
    other_coach = UserFactory(coach=True)
    StartupFactory().incubator.coaches.add(other_coach)
    client.force_login(other_coach)
    assert client.get(url).status_code == 403  # public startup: visible, not editable
    startup.visibility = Visibility.PRIVATE
    startup.save()
    assert client.get(url).status_code == 404


def test_the_page_explains_when_there_is_nothing_to_fill(client, no_mfa):
    coach = UserFactory(coach=True)
    startup = StartupFactory(started_on=TODAY)
    startup.incubator.coaches.add(coach)
    client.force_login(coach)
    html = client.get(reverse("workspace:gate_checklist", args=[startup.slug])).text
    assert "ne fait partie d’aucune promotion" in html
    assert PhaseTransition.objects.filter(startup=startup).count() == 1
