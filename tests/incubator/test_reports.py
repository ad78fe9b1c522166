"""Progress reports: data assembly, PDF rendering (read back with pypdf) and the command."""

import datetime
import io
from decimal import Decimal

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

import pytest
from pypdf import PdfReader

from incubator import services
from incubator.enums import (
    ExperimentOutcome,
    FailureReason,
    FailureScope,
    FundingKind,
    MembershipRole,
    MilestoneStatus,
    Phase,
    ReviewDecision,
    Visibility,
)
from incubator.exceptions import IncubatorError
from incubator.models import (
    Funding,
    Indicator,
    Measurement,
    Membership,
    Milestone,
    Sponsorship,
)
from incubator.reports import pdf_kit
from incubator.reports.data import cohort_report_data, startup_report_data
from incubator.reports.pdf import render_cohort_report, render_startup_report
from tests.factories import (
    CohortFactory,
    IncubatorFactory,
    ProgramFactory,
    StartupFactory,
    TerritoryFactory,
    UserFactory,
    document_stop,
)

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR_2025 = {"start": D(2025, 1, 1), "end": D(2025, 12, 31), "today": D(2026, 3, 1)}
NAME = "Cantine l’École de Séverine 🍎"


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, whitespace (including non-breaking spaces) collapsed."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


# --- A startup with something in every section -----------------------------------


@pytest.fixture
def cohort():
    program = ProgramFactory(name="Programme Territoires", construction_months=10)
    return CohortFactory(program=program, name="Promotion 2024", start_date=D(2024, 9, 2))


@pytest.fixture
def startup(cohort):
    startup = StartupFactory(
        name=NAME,
        incubator=cohort.program.incubator,
        cohort=cohort,
        started_on=D(2024, 9, 2),
        website="https://cantine.exemple.fr",
        problem="Les cantines n’achètent pas local faute d’outil commun.",
    )
    gironde = TerritoryFactory(name="Département de la Gironde")
    Sponsorship.objects.create(startup=startup, territory=gironde, amount_cents=1_234_567)
    agent = UserFactory(display_name="Joséphine Dupré", email="josephine.dupre@exemple.fr")
    Membership.objects.create(
        startup=startup, user=agent, role=MembershipRole.AGENT, start_date=D(2024, 9, 2)
    )
    nameless = UserFactory(display_name="", email="sans.nom@exemple.fr")
    Membership.objects.create(
        startup=startup, user=nameless, role=MembershipRole.TEAM, start_date=D(2025, 2, 1)
    )
    users = services.indicator_define(
        startup=startup, name="Usagers actifs", unit="usagers", target=Decimal("500")
    )
    for month, value in enumerate([120, 260, 410, 612], start=3):
        services.measurement_add(indicator=users, date=D(2025, month, 15), value=Decimal(value))
    secret = services.indicator_define(
        startup=startup, name="Coût interne secret", unit="€", is_public=False
    )
    services.measurement_add(indicator=secret, date=D(2025, 6, 1), value=Decimal("4321"))
    services.review_record(
        startup=startup,
        date=D(2025, 3, 3),
        decision=ReviewDecision.ADVANCE,
        actor=None,
        rationale="Problème confirmé.",
        conditions="Condition réservée au comité",
        notes="Note interne confidentielle",
        budget_granted_cents=4_000_000,
        next_review_date=D(2025, 9, 1),
    )
    services.milestone_log(
        startup=startup,
        author=agent,
        title="Premier pilote à Bordeaux",
        status=MilestoneStatus.ACHIEVED,
        due_date=D(2025, 4, 1),
        achieved_on=D(2025, 4, 10),
    )
    missed = services.milestone_log(
        startup=startup,
        author=agent,
        title="Ouverture à Mérignac",
        status=MilestoneStatus.MISSED,
        due_date=D(2025, 6, 1),
    )
    services.milestone_log(
        startup=startup,
        author=agent,
        title="Déploiement départemental",
        due_date=D(2026, 9, 1),
    )
    experiment = services.experiment_record(
        startup=startup,
        hypothesis="Les gestionnaires commandent seuls en ligne.",
        success_criterion="80 % des commandes sans appel.",
        start_date=D(2025, 4, 1),
        territory=gironde,
    )
    services.experiment_close(
        experiment=experiment,
        outcome=ExperimentOutcome.VALIDATED,
        learnings="Un tutoriel vidéo suffit.",
        end_date=D(2025, 5, 30),
    )
    Funding.objects.create(
        startup=startup,
        kind=FundingKind.SPONSOR,
        funder=gironde,
        amount_cents=9_000_000,
        start_date=D(2025, 1, 1),
    )
    Funding.objects.create(
        startup=startup,
        kind=FundingKind.INCUBATOR,
        funder_name="Incubateur",
        amount_cents=3_240_000,
        start_date=D(2024, 9, 2),
    )
    services.failure_record(
        startup=startup,
        scope=FailureScope.MILESTONE,
        milestone=missed,
        reason=FailureReason.PROCUREMENT_LEGAL,
        occurred_on=D(2025, 6, 2),
        author=agent,
        what_we_learned="Échec non consenti à taire",
        publication_consent=False,
        lessons=[{"title": "Leçon du marché public", "body": "Anticiper l’achat."}],
    )
    services.failure_record(
        startup=startup,
        scope=FailureScope.DEPLOYMENT,
        reason=FailureReason.TECHNICAL,
        occurred_on=D(2025, 7, 1),
        author=agent,
        what_we_learned="Le réseau des écoles filtre notre domaine.",
        publication_consent=True,
        lessons=[
            {
                "title": "Leçon publique partagée",
                "body": "Tester depuis le réseau des écoles.",
                "visibility": Visibility.PUBLIC,
            },
            {"title": "Leçon privée confidentielle", "body": "Ne pas diffuser."},
        ],
    )
    return startup


# --- Data ----------------------------------------------------------------------------


def test_startup_data_tells_where_the_startup_stands(startup):
    report = startup_report_data(startup=startup, public=False, **YEAR_2025)

    assert report.name == NAME
    assert report.cohort == "Promotion 2024"
    assert [span.phase for span in report.phases] == [Phase.INVESTIGATION, Phase.CONSTRUCTION]
    construction = report.phases[-1]
    assert construction.end is None
    assert construction.max_months == 10  # the programme's policy, not the default 12
    assert construction.deadline == D(2026, 1, 3)
    assert report.current_phase == Phase.CONSTRUCTION
    assert report.days_in_phase == (D(2025, 12, 31) - D(2025, 3, 3)).days
    assert [m.title for m in report.milestones_achieved] == ["Premier pilote à Bordeaux"]
    assert [m.title for m in report.milestones_missed] == ["Ouverture à Mérignac"]
    assert [m.title for m in report.planned_milestones] == ["Déploiement départemental"]
    assert report.next_review_date == D(2025, 9, 1)
    assert [(m.role, m.name) for m in report.team] == [
        ("Agent-entrepreneur", "Joséphine Dupré"),
        ("Membre de l’équipe", "Nom non renseigné"),  # never the e-mail address
    ]
    assert {criterion.key: criterion.met for criterion in report.impact} == {
        "usable": True,
        "used": True,
        "useful": True,
        "impactful": True,
    }
    costs = report.costs
    assert costs.funding_in_period_cents == 9_000_000
    assert costs.funding_total_cents == 12_240_000
    assert costs.active_users == Decimal("612")
    assert costs.cost_per_user_cents == round(Decimal(12_240_000) / 612)


def test_public_data_strips_private_details(startup):
    report = startup_report_data(startup=startup, public=True, **YEAR_2025)

    assert [(m.role, m.name, m.count) for m in report.team] == [
        ("Agent-entrepreneur", None, 1),
        ("Membre de l’équipe", None, 1),
    ]
    assert [i.name for i in report.indicators] == ["Usagers actifs"]
    review = report.reviews[0]
    assert (review.conditions, review.notes, review.budget_granted_cents) == ("", "", None)
    assert [f.reason for f in report.failures] == [FailureReason.TECHNICAL]
    assert [lesson.title for lesson in report.failures[0].lessons] == ["Leçon publique partagée"]
    assert report.other_lessons == ()  # the non-consented failure's lesson is private


def test_no_public_report_for_a_private_startup(startup):
    startup.visibility = Visibility.PRIVATE
    startup.save()
    with pytest.raises(IncubatorError):
        startup_report_data(startup=startup, public=True, **YEAR_2025)


def test_a_period_before_a_phase_change_shows_the_phase_of_then(startup):
    report = startup_report_data(
        startup=startup, start=D(2024, 1, 1), end=D(2024, 12, 31), public=False
    )
    assert report.current_phase == Phase.INVESTIGATION
    assert [span.phase for span in report.phases] == [Phase.INVESTIGATION]
    assert report.reviews == () and report.milestones_achieved == ()


def test_a_reversed_period_is_refused(startup):
    with pytest.raises(IncubatorError):
        startup_report_data(startup=startup, start=D(2025, 2, 1), end=D(2025, 1, 1), public=False)


# --- PDF of a startup ----------------------------------------------------------------


def test_startup_pdf_shows_the_figures(startup):
    content = render_startup_report(startup_report_data(startup=startup, public=False, **YEAR_2025))
    text = pdf_text(content)

    assert content.startswith(b"%PDF")
    assert "Cantine l’École de Séverine" in text  # the emoji became a fallback glyph
    for phrase in (
        "Investigation",
        "Construction",
        "12 345,67 €",  # the sponsor's amount, in French format
        "122 400,00 €",  # total funding
        "612 usagers",
        "Premier pilote à Bordeaux",
        "Ouverture à Mérignac",
        "Joséphine Dupré",
        "Note interne confidentielle",
        "40 000,00 €",
        "Coût interne secret",
        "Leçon privée confidentielle",
        "Échec non consenti à taire",
        "1er janvier 2025",
        "Page 1 sur",
        "par Territoires Lab",
        "Données : Territoires Lab.",
    ):
        assert phrase in text, phrase
    assert "@" not in text  # no e-mail address, ever
    assert "beta.gouv.fr" not in text  # not an imported startup

    reader = PdfReader(io.BytesIO(content))
    assert reader.metadata.title == f"Rapport de progression — {NAME}"  # no font needed here
    assert reader.metadata.author == "Territoires Lab"
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"
    last_page = " ".join(reader.pages[-1].extract_text().split())
    assert f"Page {len(reader.pages)} sur {len(reader.pages)}" in last_page


def test_public_startup_pdf_hides_private_data(startup):
    text = pdf_text(
        render_startup_report(startup_report_data(startup=startup, public=True, **YEAR_2025))
    )

    assert "version publique" in text
    assert "Passer à la phase suivante" in text  # decisions are public
    assert "Leçon publique partagée" in text
    assert "Usagers actifs" in text
    for secret in (
        "Joséphine",
        "Dupré",
        "Nom non renseigné",
        "Note interne confidentielle",
        "Condition réservée au comité",
        "40 000,00 €",
        "Coût interne secret",
        "4 321",
        "Leçon privée confidentielle",
        "Échec non consenti à taire",
        "Leçon du marché public",
    ):
        assert secret not in text, secret


def test_imported_startups_credit_betagouv(startup):
    startup.source_id = "startups/cantine-locale"
    startup.save()
    text = pdf_text(
        render_startup_report(startup_report_data(startup=startup, public=True, **YEAR_2025))
    )
    assert "beta.gouv.fr (licence CC BY-NC-SA 4.0)" in text


def test_a_startup_with_nothing_recorded_still_gets_a_readable_report():
    startup = StartupFactory(name="Démarrage à vide", started_on=D(2025, 11, 3))
    report = startup_report_data(startup=startup, public=False, **YEAR_2025)
    assert report.milestones_achieved == report.planned_milestones == ()
    assert report.costs.cost_per_user_cents is None
    assert not any(criterion.met for criterion in report.impact)

    text = pdf_text(render_startup_report(report))
    assert "Démarrage à vide" in text
    assert "Aucun jalon atteint ni manqué sur la période." in text
    assert "non calculable" in text


def test_a_period_with_no_data_and_before_the_start(startup):
    report = startup_report_data(
        startup=startup, start=D(2010, 1, 1), end=D(2010, 12, 31), public=False
    )
    assert report.phases == () and report.current_phase is None
    text = pdf_text(render_startup_report(report))
    assert "pas encore entrée en incubation" in text


def test_five_hundred_measurements_neither_crash_nor_add_queries(
    startup, django_assert_max_num_queries
):
    with django_assert_max_num_queries(40) as few:
        startup_report_data(startup=startup, public=False, **YEAR_2025)
    indicator = Indicator.objects.create(startup=startup, name="Repas servis", unit="repas")
    first = D(2024, 9, 1)
    Measurement.objects.bulk_create(
        Measurement(indicator=indicator, date=first + datetime.timedelta(days=day), value=day * 3)
        for day in range(500)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        report = startup_report_data(startup=startup, public=False, **YEAR_2025)
    served = next(i for i in report.indicators if i.name == "Repas servis")
    assert len(served.points) == 365  # only the period's values are drawn
    assert pdf_text(render_startup_report(report)).count("Repas servis") >= 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "L’Atelier d’Œuvres « Élan » — ça marche !",
            ["L’Atelier d’Œuvres « Élan » — ça marche !"],
        ),
        (
            "🚀🚀 Fusée ✨ & <Cie> 👩\u200d👩\u200d👧",
            ["Fusée", "& <Cie>"],
        ),  # emoji: fallback glyphs
        ("Re\u0301publique \u202eà l’envers 世界", ["République", "l’envers"]),
    ],
)
def test_any_name_renders(name, expected):
    # A crash would fail here; the font's missing glyphs are replaced, the rest is kept.
    startup = StartupFactory(name=name, started_on=D(2025, 1, 6), pitch=name, problem=name)
    text = pdf_text(
        render_startup_report(startup_report_data(startup=startup, public=False, **YEAR_2025))
    )
    for fragment in expected:
        assert fragment in text, fragment


def test_unsupported_characters_become_a_fallback_glyph():
    fonts = pdf_kit.FontSet("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", None, "?")
    assert pdf_kit.safe_text("Café 🍎\u0000\u200d l’été\n", fonts) == "Café ? l’été\n"


def test_helvetica_is_enough_when_dejavu_is_missing(startup, monkeypatch):
    monkeypatch.setattr(pdf_kit, "FONT_DIRS", ())
    pdf_kit.font_set.cache_clear()
    try:
        assert pdf_kit.font_set().regular == "Helvetica"
        content = render_startup_report(
            startup_report_data(startup=startup, public=False, **YEAR_2025)
        )
    finally:
        pdf_kit.font_set.cache_clear()
    text = pdf_text(content)
    assert "Cantine l’École de Séverine" in text
    assert "12 345,67 €" in text


# --- Cohort report -------------------------------------------------------------------


@pytest.fixture
def cohort_with_startups(cohort, startup):
    incubator = cohort.program.incubator
    StartupFactory(
        name="Projet Privé Confidentiel",
        incubator=incubator,
        cohort=cohort,
        started_on=D(2024, 9, 2),
        visibility=Visibility.PRIVATE,
    )
    stopped = StartupFactory(
        name="Aide Alimentaire", incubator=incubator, cohort=cohort, started_on=D(2024, 9, 2)
    )
    failure = document_stop(stopped, on=D(2025, 2, 1))
    failure.lessons.update(visibility=Visibility.PUBLIC)
    services.startup_change_phase(
        startup=stopped,
        to_phase=Phase.ABANDONED,
        actor=None,
        on=D(2025, 2, 3),
        rationale="Pas de besoin confirmé.",
    )
    return cohort


def test_cohort_data_funnel_survival_and_lessons(cohort_with_startups):
    report = cohort_report_data(cohort=cohort_with_startups, public=False, **YEAR_2025)

    assert [row.name for row in report.rows] == [
        "Aide Alimentaire",
        NAME,
        "Projet Privé Confidentiel",
    ]
    assert {step.key: step.count for step in report.funnel} == {
        Phase.INVESTIGATION: 3,
        Phase.CONSTRUCTION: 1,
        Phase.ACCELERATION: 0,
        Phase.CONSOLIDATION: 0,
        "success": 0,
    }
    assert report.abandoned_count == 1
    assert report.survival[0].date == D(2024, 9, 2) and report.survival[0].share == 1
    assert report.survival[-1].date == D(2025, 12, 2)
    assert (report.survival[-1].alive, report.survival[-1].started) == (2, 3)
    assert not report.alerts_computed  # a past period: alerts describe the present
    reasons = {
        group.reason: [lesson.title for lesson in group.lessons] for group in report.lesson_groups
    }
    assert "Observer avant de construire" in reasons[FailureReason.NO_USER_NEED]
    assert "Leçon privée confidentielle" in reasons[FailureReason.TECHNICAL]


def test_cohort_pdf(cohort_with_startups):
    content = render_cohort_report(
        cohort_report_data(cohort=cohort_with_startups, public=False, **YEAR_2025)
    )
    text = pdf_text(content)
    for phrase in (
        "Programme Territoires — Promotion 2024",
        "Aide Alimentaire",
        "Projet Privé Confidentiel",
        "Abandonnée",
        "Construction",
        "Premier pilote à Bordeaux",
        "Pas de besoin réel des usagers",
        "Observer avant de construire",
        "67 %",  # two startups out of three still running
    ):
        assert phrase in text, phrase
    metadata = PdfReader(io.BytesIO(content)).metadata
    assert metadata.title == "Rapport de promotion — Programme Territoires, Promotion 2024"
    assert metadata.author == "Territoires Lab"


def test_public_cohort_pdf_leaves_private_startups_out(cohort_with_startups):
    report = cohort_report_data(cohort=cohort_with_startups, public=True, **YEAR_2025)
    assert [row.name for row in report.rows] == ["Aide Alimentaire", NAME]
    assert all(row.alerts == () for row in report.rows)
    text = pdf_text(render_cohort_report(report))
    assert "Aide Alimentaire" in text
    for secret in ("Projet Privé Confidentiel", "Leçon privée confidentielle", "Leçon du marché"):
        assert secret not in text, secret


def test_current_period_cohort_report_shows_alerts(cohort_with_startups):
    today = timezone.localdate()
    report = cohort_report_data(
        cohort=cohort_with_startups,
        start=D(today.year, 1, 1),
        end=D(today.year, 12, 31),
        public=False,
    )
    assert report.alerts_computed
    row = next(row for row in report.rows if row.name == "Projet Privé Confidentiel")
    assert "Aucun agent-entrepreneur en poste" in row.alerts
    assert "Aucun agent-entrepreneur en poste" in pdf_text(render_cohort_report(report))


def test_an_empty_cohort_gets_a_readable_report():
    cohort = CohortFactory(name="Promotion vide")
    report = cohort_report_data(cohort=cohort, public=False, **YEAR_2025)
    assert report.rows == () and report.survival == () and report.started_count == 0
    text = pdf_text(render_cohort_report(report))
    assert "Promotion vide" in text
    assert "Aucune startup dans cette promotion." in text


def test_cohort_data_queries_do_not_grow_with_startups(django_assert_max_num_queries):
    today = timezone.localdate()
    period = {"start": D(today.year, 1, 1), "end": D(today.year, 12, 31)}

    def cohort_of(count):
        cohort = CohortFactory(start_date=D(2024, 1, 8))
        for index in range(count):
            startup = StartupFactory(
                incubator=cohort.program.incubator, cohort=cohort, started_on=D(2024, 1, 15)
            )
            Milestone.objects.create(
                startup=startup,
                title=f"Jalon {index}",
                status=MilestoneStatus.ACHIEVED,
                achieved_on=D(2024, 3, 1),
            )
            services.lesson_create(startup=startup, title="Leçon", body="Texte.", author=None)
        return cohort

    small, large = cohort_of(5), cohort_of(40)
    with django_assert_max_num_queries(20) as five:
        cohort_report_data(cohort=small, public=False, **period)
    with django_assert_max_num_queries(len(five.captured_queries)):
        report = cohort_report_data(cohort=large, public=False, **period)
    assert len(report.rows) == 40


# --- The command -------------------------------------------------------------------


def test_command_writes_a_pdf(startup, cohort, tmp_path):
    output = tmp_path / "rapport.pdf"
    call_command(
        "generate_report",
        "startup",
        startup.slug,
        "--period",
        "2025",
        "--output",
        str(output),
        stdout=io.StringIO(),
    )
    assert output.read_bytes().startswith(b"%PDF")
    assert "12 345,67 €" in pdf_text(output.read_bytes())

    cohort_file = tmp_path / "promotion.pdf"
    call_command(
        "generate_report",
        "cohort",
        cohort.slug,
        "--from",
        "2025-01-01",
        "--to",
        "2025-06-30",
        "--public",
        "--output",
        str(cohort_file),
        stdout=io.StringIO(),
    )
    assert "version publique" in pdf_text(cohort_file.read_bytes())


def test_command_defaults_to_the_current_year(startup, tmp_path):
    output = tmp_path / "rapport.pdf"
    call_command(
        "generate_report", "startup", startup.slug, "--output", str(output), stdout=io.StringIO()
    )
    year = timezone.localdate().year
    assert f"1er janvier {year} au 31 décembre {year}" in pdf_text(output.read_bytes())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["startup", "inconnue"], "Aucune startup d’identifiant « inconnue »"),
        (["cohort", "inconnue"], "Aucune promotion d’identifiant « inconnue »"),
        (["startup", "SLUG", "--from", "2025-13-01", "--to", "2025-12-31"], "AAAA-MM-JJ"),
        (["startup", "SLUG", "--from", "2025-06-01"], "à la fois --from et --to"),
        (["startup", "SLUG", "--from", "2025-06-01", "--to", "2025-01-01"], "précéder"),
        (["startup", "SLUG", "--period", "25"], "n’est pas une année"),
        (["startup", "SLUG", "--period", "2025", "--from", "2025-01-01"], "pas les deux"),
    ],
)
def test_command_refuses_bad_input_and_writes_nothing(startup, tmp_path, arguments, message):
    output = tmp_path / "rapport.pdf"
    arguments = [startup.slug if a == "SLUG" else a for a in arguments]
    with pytest.raises(CommandError, match=message):
        call_command("generate_report", *arguments, "--output", str(output))
    assert not output.exists()


def test_command_refuses_a_public_report_of_a_private_startup(tmp_path):
    startup = StartupFactory(
        name="Secrète", incubator=IncubatorFactory(), visibility=Visibility.PRIVATE
    )
    output = tmp_path / "rapport.pdf"
    with pytest.raises(CommandError, match="startup privée"):
        call_command(
            "generate_report", "startup", startup.slug, "--public", "--output", str(output)
        )
    assert not output.exists()


def test_public_reports_keep_the_lessons_of_an_unconsented_failure_private():
    cohort = CohortFactory(start_date=D(2025, 1, 6))
    startup = StartupFactory(
        name="Guichet Unique",
        incubator=cohort.program.incubator,
        cohort=cohort,
        started_on=D(2025, 1, 6),
    )
    services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.NO_USER_NEED,
        occurred_on=D(2025, 4, 1),
        author=None,
        what_we_learned="Les usagers préféraient le téléphone.",
        why_we_stop="Le besoin n’était pas là.",
        advice_for_relaunch="Observer d’abord.",
        publication_consent=False,
        lessons=[{"title": "Leçon tue", "body": "Ce que l’échec apprend.", "visibility": "public"}],
    )
    period = {"start": D(2025, 1, 1), "end": D(2025, 12, 31), "today": D(2026, 3, 1)}
    public_startup = startup_report_data(startup=startup, public=True, **period)
    public_cohort = cohort_report_data(cohort=cohort, public=True, **period)
    internal_cohort = cohort_report_data(cohort=cohort, public=False, **period)
    assert "Leçon tue" not in pdf_text(render_startup_report(public_startup))
    assert "Leçon tue" not in pdf_text(render_cohort_report(public_cohort))
    assert "Leçon tue" in pdf_text(render_cohort_report(internal_cohort))
