"""Territory and annual incubator reports: data, PDF rendering (read back with pypdf), command."""

import datetime
import io
from decimal import Decimal

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest
from pypdf import PdfReader

from incubator import services
from incubator.enums import (
    FailureReason,
    FailureScope,
    FundingKind,
    Phase,
    TerritoryKind,
    Visibility,
)
from incubator.exceptions import IncubatorError
from incubator.models import Funding, Sponsorship
from incubator.reports.data_network import incubator_report_data, territory_report_data
from incubator.reports.pdf_network import render_incubator_report, render_territory_report
from programs.models import Contribution, ContributionKind, ContributionStatus
from tests.factories import IncubatorFactory, StartupFactory, TerritoryFactory

pytestmark = pytest.mark.django_db
D = datetime.date
YEAR_2025 = {"start": D(2025, 1, 1), "end": D(2025, 12, 31), "today": D(2026, 3, 1)}
TERRITORY_NAME = "Département de l’Hérault 🌊"
CANTINE = "Cantine l’École de Séverine 🍎"
SECRET = "Projet Confidentiel Ω"


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, whitespace (including non-breaking spaces) collapsed."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def advance(startup, to_phase, on, **kwargs):
    return services.startup_change_phase(
        startup=startup, to_phase=to_phase, actor=None, on=on, rationale="Décision.", **kwargs
    )


def stop(startup, on, *, consent=True, lesson="Observer avant de construire", visibility=None):
    services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.NO_USER_NEED,
        occurred_on=on,
        author=None,
        what_we_learned="Le besoin n’était pas là.",
        why_we_stop="Pas d’usagers.",
        advice_for_relaunch="Observer les guichets.",
        publication_consent=consent,
        lessons=[
            {
                "title": lesson,
                "body": "Deux semaines au guichet.",
                "visibility": visibility or Visibility.PUBLIC,
            }
        ],
    )
    return advance(startup, Phase.ABANDONED, on)


# --- A territory sponsoring public and private startups ----------------------------


@pytest.fixture
def territory():
    territory = TerritoryFactory(
        name=TERRITORY_NAME, slug="herault", kind=TerritoryKind.DEPARTEMENT
    )
    incubator = IncubatorFactory(name="Incubateur des Territoires")

    cantine = StartupFactory(
        name=CANTINE,
        incubator=incubator,
        started_on=D(2024, 9, 2),
        website="https://cantine.exemple.fr",
    )
    advance(cantine, Phase.CONSTRUCTION, D(2025, 3, 3))
    Sponsorship.objects.create(
        startup=cantine, territory=territory, amount_cents=1_200_000, start_date=D(2024, 9, 1)
    )
    users = services.indicator_define(
        startup=cantine, name="Usagers actifs", unit="usagers", target=Decimal("500")
    )
    services.measurement_add(indicator=users, date=D(2025, 6, 15), value=Decimal("612"))
    secret = services.indicator_define(
        startup=cantine, name="Coût interne secret", unit="€", is_public=False
    )
    services.measurement_add(indicator=secret, date=D(2025, 6, 1), value=Decimal("4321"))
    # A public lesson, but of a failure its team did not agree to publish.
    services.failure_record(
        startup=cantine,
        scope=FailureScope.DEPLOYMENT,
        reason=FailureReason.TECHNICAL,
        occurred_on=D(2025, 7, 1),
        author=None,
        publication_consent=False,
        lessons=[
            {
                "title": "Leçon d’un échec non publié",
                "body": "Le réseau filtre.",
                "visibility": Visibility.PUBLIC,
            }
        ],
    )

    mobilite = StartupFactory(name="Aide Mobilité", incubator=incubator, started_on=D(2025, 1, 6))
    stop(mobilite, D(2025, 5, 2), lesson="Leçon publique de l’arrêt")
    Sponsorship.objects.create(
        startup=mobilite, territory=territory, amount_cents=500_000, start_date=D(2025, 1, 6)
    )

    hidden = StartupFactory(
        name=SECRET, incubator=incubator, started_on=D(2025, 2, 1), visibility=Visibility.PRIVATE
    )
    stop(
        hidden,
        D(2025, 4, 1),
        consent=False,
        lesson="Leçon privée du projet secret",
        visibility=Visibility.PRIVATE,
    )
    secret_sponsorship = Sponsorship.objects.create(
        startup=hidden, territory=territory, amount_cents=300_000, start_date=D(2025, 2, 1)
    )

    # A sponsorship that ended before the period is left out.
    old = StartupFactory(name="Ancienne startup", incubator=incubator, started_on=D(2022, 1, 3))
    Sponsorship.objects.create(
        startup=old, territory=territory, start_date=D(2022, 1, 3), end_date=D(2023, 12, 31)
    )

    common = {"territory": territory, "period_start": D(2025, 1, 1), "period_end": D(2025, 12, 31)}
    Contribution.objects.create(
        **common,
        kind=ContributionKind.MEMBERSHIP,
        amount_cents=425_000,
        paid_cents=425_000,
        due_date=D(2025, 3, 31),
        status=ContributionStatus.PAID,
    )
    Contribution.objects.create(
        **common,
        sponsorship=secret_sponsorship,
        kind=ContributionKind.SPONSORSHIP,
        amount_cents=370_000,
        due_date=D(2025, 9, 30),
        status=ContributionStatus.DUE,
    )
    Contribution.objects.create(
        **common,
        kind=ContributionKind.SPONSORSHIP,
        amount_cents=100_000,
        due_date=D(2025, 10, 31),
        status=ContributionStatus.CANCELLED,
    )
    return territory


def test_territory_data(territory):
    report = territory_report_data(territory=territory, public=False, **YEAR_2025)

    assert report.kind_label == "Département"
    assert [row.name for row in report.startups] == ["Aide Mobilité", CANTINE, SECRET]
    cantine = report.startups[1]
    assert cantine.phase == Phase.CONSTRUCTION
    assert cantine.days_in_phase == (D(2025, 12, 31) - D(2025, 3, 3)).days
    assert cantine.sponsored_since == D(2024, 9, 1)
    assert cantine.amount_cents == 1_200_000
    assert {i.name for i in cantine.indicators} == {"Usagers actifs", "Coût interne secret"}
    assert {c.key: c.met for c in cantine.impact} == {
        "usable": True,
        "used": True,
        "useful": False,
        "impactful": True,
    }
    counts = {step.key: step.count for step in report.phase_counts}
    assert counts == {
        "investigation": 0,
        "construction": 1,
        "acceleration": 0,
        "consolidation": 0,
        "transfere": 0,
        "opere": 0,
        "abandon": 2,
    }
    assert report.sponsored_total_cents == 2_000_000
    lessons = {lesson.title for group in report.lesson_groups for lesson in group.lessons}
    assert lessons == {
        "Leçon d’un échec non publié",
        "Leçon publique de l’arrêt",
        "Leçon privée du projet secret",
    }
    assert report.contributions_shown
    assert len(report.contributions) == 3
    assert report.contributions[1].startup_name == SECRET
    assert report.contributions_due_cents == 795_000  # the cancelled one is left out
    assert report.contributions_paid_cents == 425_000


def test_public_territory_data_strips_private_data(territory):
    report = territory_report_data(territory=territory, public=True, **YEAR_2025)

    assert [row.name for row in report.startups] == ["Aide Mobilité", CANTINE]
    assert [i.name for i in report.startups[1].indicators] == ["Usagers actifs"]
    assert {step.key: step.count for step in report.phase_counts}["abandon"] == 1
    assert report.sponsored_total_cents == 1_700_000
    lessons = {lesson.title for group in report.lesson_groups for lesson in group.lessons}
    assert lessons == {"Leçon publique de l’arrêt"}
    assert not report.contributions_shown
    assert report.contributions == ()
    assert report.contributions_due_cents == report.contributions_paid_cents == 0


def test_territory_pdf(territory):
    text = pdf_text(
        render_territory_report(
            territory_report_data(territory=territory, public=False, **YEAR_2025)
        )
    )
    assert "Département de l’Hérault" in text
    assert "RAPPORT DE TERRITOIRE · VERSION INTERNE" in text
    for name in ("Aide Mobilité", "Cantine l’École de Séverine", SECRET):
        assert name in text
    assert "Construction" in text and "Abandonnée" in text
    assert "12 000,00 €" in text and "20 000,00 €" in text  # a sponsorship, then the total
    assert "Coût interne secret" in text
    assert "Leçon privée du projet secret" in text
    assert "Pas de besoin réel des usagers" in text  # lessons grouped by root cause
    assert "7 950,00 €" in text and "4 250,00 €" in text  # contributions due and paid
    assert "Reste à payer : 3 700,00 €." in text
    assert "Page 1 sur" in text
    assert "Généré le 1er mars 2026 par Territoires Lab" in text


def test_public_territory_pdf_hides_private_data(territory):
    content = render_territory_report(
        territory_report_data(territory=territory, public=True, **YEAR_2025)
    )
    text = pdf_text(content)
    assert "version publique" in text
    assert CANTINE.split(" 🍎")[0] in text
    assert "Leçon publique de l’arrêt" in text
    for private in (
        "Confidentiel",
        "Leçon privée du projet secret",
        "Leçon d’un échec non publié",
        "Coût interne secret",
        "7 950,00 €",
        "4 250,00 €",
        "3 700,00 €",
    ):
        assert private not in text, private
    assert "ne figurent pas dans cette version publique" in text
    metadata = PdfReader(io.BytesIO(content)).metadata
    assert metadata.title == f"Rapport de territoire — {TERRITORY_NAME}"
    assert metadata.author == "Territoires Lab"
    assert "version publique" in metadata.subject


def test_a_territory_with_nothing_gets_a_readable_report():
    territory = TerritoryFactory(name="Commune d’Œuilly-sur-l’Aisne 🏞️")
    report = territory_report_data(territory=territory, public=False, **YEAR_2025)
    assert report.startups == () and report.lesson_groups == () and report.contributions == ()
    text = pdf_text(render_territory_report(report))
    assert "Commune d’Œuilly-sur-l’Aisne" in text
    assert "Aucune startup sponsorisée par ce territoire sur la période." in text
    assert "Aucune contribution appelée sur la période." in text
    text = pdf_text(
        render_territory_report(
            territory_report_data(territory=territory, public=True, **YEAR_2025)
        )
    )
    assert "Aucune startup publique sponsorisée" in text


def test_territory_input_is_checked(territory):
    with pytest.raises(IncubatorError, match="La période est vide"):
        territory_report_data(
            territory=territory, start=D(2025, 6, 1), end=D(2025, 1, 1), public=False
        )
    with pytest.raises(IncubatorError, match="Aucun territoire d’identifiant « inconnu »"):
        territory_report_data(territory="inconnu", public=False, **YEAR_2025)
    assert territory_report_data(territory="herault", public=True, **YEAR_2025).name == (
        TERRITORY_NAME
    )


# --- An incubator over two years --------------------------------------------------------


@pytest.fixture
def incubator():
    incubator = IncubatorFactory(name="Incubateur d’Occitanie", slug="occitanie")
    gironde = TerritoryFactory(name="Département de la Gironde")

    # 2024 → 2025: all the way to a transfer.
    s1 = StartupFactory(name="Première", incubator=incubator, started_on=D(2024, 1, 15))
    advance(s1, Phase.CONSTRUCTION, D(2024, 4, 15))  # 91 days of investigation
    advance(s1, Phase.ACCELERATION, D(2025, 4, 15))
    advance(s1, Phase.CONSOLIDATION, D(2025, 6, 1))
    advance(s1, Phase.TRANSFERRED, D(2025, 10, 1))
    # 2024: stopped in investigation.
    s2 = StartupFactory(name="Deuxième", incubator=incubator, started_on=D(2024, 3, 1))
    stop(s2, D(2024, 6, 1), lesson="Leçon de 2024")  # 92 days
    # 2025: stopped in construction.
    s3 = StartupFactory(name="Troisième", incubator=incubator, started_on=D(2025, 2, 1))
    advance(s3, Phase.CONSTRUCTION, D(2025, 5, 2))  # 90 days
    stop(s3, D(2025, 9, 1), lesson="Leçon publique de 2025")
    # 2025: still investigating.
    s4 = StartupFactory(name="Quatrième", incubator=incubator, started_on=D(2025, 3, 1))
    # A private one, stopped in investigation after 59 days.
    s5 = StartupFactory(
        name=SECRET, incubator=incubator, started_on=D(2025, 1, 10), visibility=Visibility.PRIVATE
    )
    stop(
        s5,
        D(2025, 3, 10),
        consent=False,
        lesson="Leçon privée du projet secret",
        visibility=Visibility.PRIVATE,
    )

    for startup, funder, name, cents, day in (
        (s1, gironde, "", 1_200_000, D(2025, 1, 1)),
        (s3, None, "Région Occitanie", 800_000, D(2025, 2, 1)),
        (s4, gironde, "", 300_000, D(2025, 3, 1)),
        (s5, None, "Financeur secret", 700_000, D(2025, 1, 10)),
        (s1, None, "Incubateur", 500_000, D(2024, 1, 15)),
    ):
        Funding.objects.create(
            startup=startup,
            funder=funder,
            funder_name=name,
            kind=FundingKind.OTHER,
            amount_cents=cents,
            start_date=day,
        )
    return incubator


def _by_key(items, attribute):
    return {item.phase: getattr(item, attribute) for item in items}


def test_annual_data_public(incubator):
    report = incubator_report_data(incubator=incubator, year=2025, public=True, today=D(2026, 3, 1))

    assert report.period.start == D(2025, 1, 1) and report.as_of == D(2025, 12, 31)
    assert report.startups_count == 4
    assert [(s.key, s.count) for s in report.funnel] == [
        ("investigation", 4),
        ("construction", 2),
        ("acceleration", 1),
        ("consolidation", 1),
        ("success", 1),
    ]
    assert _by_key(report.stop_rates, "entered") == {
        "investigation": 4,
        "construction": 2,
        "acceleration": 1,
        "consolidation": 1,
    }
    assert _by_key(report.stop_rates, "stopped") == {
        "investigation": 1,
        "construction": 1,
        "acceleration": 0,
        "consolidation": 0,
    }
    assert report.stop_rates[1].rate == 0.5
    assert (report.ended_count, report.succeeded_count) == (3, 1)
    assert report.success_rate == pytest.approx(1 / 3)
    investigation = report.median_days[0]
    assert (investigation.median_days, investigation.count) == (91, 3)
    construction = report.median_days[1]
    assert construction.count == 2
    assert construction.median_days == ((D(2025, 4, 15) - D(2024, 4, 15)).days + 122) / 2
    assert [(f.name, f.amount_cents) for f in report.funding_by_funder] == [
        ("Département de la Gironde", 1_500_000),
        ("Région Occitanie", 800_000),
    ]
    assert report.funding_total_cents == 2_300_000
    lessons = [lesson.title for group in report.lesson_groups for lesson in group.lessons]
    assert lessons == ["Leçon publique de 2025"]
    comparison = {row.key: (row.this_year, row.previous_year) for row in report.comparison}
    assert comparison == {
        "started": (2, 2),
        "decisions": (5, 2),
        "stops": (1, 1),
        "successes": (1, 0),
        "funding": (2_300_000, 500_000),
        "lessons": (1, 1),
        "active": (1, 1),
    }


def test_annual_data_internal_counts_private_startups(incubator):
    report = incubator_report_data(
        incubator=incubator, year=2025, public=False, today=D(2026, 3, 1)
    )
    assert report.startups_count == 5
    assert report.stop_rates[0].entered == 5 and report.stop_rates[0].stopped == 2
    assert report.success_rate == 0.25
    assert report.median_days[0].median_days == 90.5  # 59, 90, 91, 92
    assert report.funding_total_cents == 3_000_000
    lessons = {lesson.title for group in report.lesson_groups for lesson in group.lessons}
    assert lessons == {"Leçon publique de 2025", "Leçon privée du projet secret"}


def test_annual_pdf(incubator):
    report = incubator_report_data(
        incubator=incubator, year=2025, public=False, today=D(2026, 3, 1)
    )
    content = render_incubator_report(report)
    text = pdf_text(content)
    assert "Incubateur d’Occitanie" in text
    assert "RAPPORT ANNUEL D’INCUBATEUR" in text and "Année 2025" in text
    assert "du 1er janvier 2025 au 31 décembre 2025" in text
    assert "Investigation" in text and "Accélération" in text and "Transférée ou opérée" in text
    assert "Taux de succès : 25 %" in text
    assert "Construction 2 1 50 %" in text  # entered, stopped, stop rate
    assert "Investigation 5 2 40 %" in text
    assert "90,5 jours" in text
    assert "Département de la Gironde 2 15 000,00 €" in text
    assert "Total 4 30 000,00 €" in text
    assert "Financements accordés 30 000,00 € 5 000,00 € + 25 000,00 €" in text
    assert "Startups entrées en incubation 3 2 + 1" in text
    assert "Leçon privée du projet secret" in text
    assert "Page 1 sur" in text
    metadata = PdfReader(io.BytesIO(content)).metadata
    assert metadata.title == "Rapport annuel 2025 — Incubateur d’Occitanie"


def test_public_annual_pdf_hides_private_data(incubator):
    report = incubator_report_data(incubator=incubator, year=2025, public=True, today=D(2026, 3, 1))
    text = pdf_text(render_incubator_report(report))
    assert "version publique" in text
    assert "Taux de succès : 33 %" in text
    assert "91 jours" in text
    assert "Total 3 23 000,00 €" in text
    for private in ("Confidentiel", "Financeur secret", "Leçon privée du projet secret"):
        assert private not in text, private


def test_a_year_with_no_data_gets_a_readable_report():
    incubator = IncubatorFactory(name="Incubateur « Nouveau » d’Île-de-France 🚀")
    report = incubator_report_data(
        incubator=incubator, year=2025, public=False, today=D(2026, 3, 1)
    )
    assert report.startups_count == 0 and report.success_rate is None
    text = pdf_text(render_incubator_report(report))
    assert "Incubateur « Nouveau » d’Île-de-France" in text
    assert "Aucune startup n’avait démarré au 31 décembre 2025." in text
    assert "Aucun financement accordé en 2025." in text
    assert "Aucune leçon enregistrée en 2025." in text


def test_a_running_year_stops_at_today(incubator):
    report = incubator_report_data(
        incubator=incubator, year=2025, public=True, today=D(2025, 6, 30)
    )
    assert report.as_of == D(2025, 6, 30)
    assert report.ended_count == 1  # s1's transfer and s3's stop come later
    text = pdf_text(render_incubator_report(report))
    assert "L’année est en cours" in text


@pytest.mark.parametrize("year", [1850, "2025", True])
def test_annual_input_is_checked(incubator, year):
    with pytest.raises(IncubatorError, match="n’est pas une année valide"):
        incubator_report_data(incubator=incubator, year=year, public=False)


def test_annual_report_refuses_a_future_year_and_an_unknown_slug(incubator):
    with pytest.raises(IncubatorError, match="L’année 2027 n’a pas commencé"):
        incubator_report_data(incubator=incubator, year=2027, public=False, today=D(2026, 3, 1))
    with pytest.raises(IncubatorError, match="Aucun incubateur d’identifiant « inconnu »"):
        incubator_report_data(incubator="inconnu", year=2025, public=False)


# --- Queries do not grow with startups -------------------------------------------------


def _network_of(count: int):
    incubator = IncubatorFactory()
    territory = TerritoryFactory()
    for index in range(count):
        startup = StartupFactory(incubator=incubator, started_on=D(2024, 2, 1))
        advance(startup, Phase.CONSTRUCTION, D(2025, 2, 1))
        Sponsorship.objects.create(
            startup=startup, territory=territory, amount_cents=100_000 * (index + 1)
        )
        indicator = services.indicator_define(startup=startup, name="Usagers", unit="usagers")
        services.measurement_add(indicator=indicator, date=D(2025, 5, 1), value=Decimal(index))
        services.lesson_create(
            startup=startup,
            title=f"Leçon {index}",
            body="Texte.",
            author=None,
            visibility=Visibility.PUBLIC,
        )
        Funding.objects.create(
            startup=startup,
            funder=territory,
            kind=FundingKind.SPONSOR,
            amount_cents=10_000,
            start_date=D(2025, 3, 1),
        )
        Contribution.objects.create(
            territory=territory,
            kind=ContributionKind.SPONSORSHIP,
            period_start=D(2025, 1, 1),
            period_end=D(2025, 12, 31),
            amount_cents=1_000,
            due_date=D(2025, 3, 1),
        )
    return incubator, territory


@pytest.mark.parametrize("public", [False, True])
def test_queries_do_not_grow_with_startups(public):
    small, large = _network_of(2), _network_of(6)
    counts = []
    for incubator, territory in (small, large):
        with CaptureQueriesContext(connection) as territory_queries:
            territory_report = territory_report_data(
                territory=territory, public=public, **YEAR_2025
            )
        with CaptureQueriesContext(connection) as incubator_queries:
            annual = incubator_report_data(
                incubator=incubator, year=2025, public=public, today=D(2026, 3, 1)
            )
        counts.append((len(territory_queries), len(incubator_queries)))
    assert counts[0] == counts[1]
    assert len(territory_report.startups) == 6 and annual.startups_count == 6
    assert counts[0][0] <= 10 and counts[0][1] <= 6


# --- The command ------------------------------------------------------------------------


def test_command_writes_territory_and_annual_reports(territory, incubator, tmp_path):
    output = tmp_path / "territoire.pdf"
    call_command(
        "generate_report",
        "territory",
        "herault",
        "--period",
        "2025",
        "--output",
        str(output),
        stdout=io.StringIO(),
    )
    assert output.read_bytes().startswith(b"%PDF")
    assert "Département de l’Hérault" in pdf_text(output.read_bytes())

    annual = tmp_path / "annuel.pdf"
    call_command(
        "generate_report",
        "incubator",
        "occitanie",
        "--period",
        "2025",
        "--public",
        "--output",
        str(annual),
        stdout=io.StringIO(),
    )
    text = pdf_text(annual.read_bytes())
    assert "Année 2025" in text and "version publique" in text


def test_command_annual_report_defaults_to_the_current_year(incubator, tmp_path):
    output = tmp_path / "annuel.pdf"
    call_command(
        "generate_report", "incubator", "occitanie", "--output", str(output), stdout=io.StringIO()
    )
    year = timezone.localdate().year
    assert f"Année {year}" in pdf_text(output.read_bytes())


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["territory", "inconnu"], "Aucun territoire d’identifiant « inconnu »"),
        (["incubator", "inconnu"], "Aucun incubateur d’identifiant « inconnu »"),
        (
            ["incubator", "occitanie", "--from", "2025-01-01", "--to", "2025-12-31"],
            "porte sur une année",
        ),
        (["incubator", "occitanie", "--period", "25"], "n’est pas une année"),
        (["incubator", "occitanie", "--period", "2999"], "n’a pas commencé"),
        (["territory", "herault", "--from", "2025-06-01", "--to", "2025-01-01"], "précéder"),
    ],
)
def test_command_refuses_bad_input_and_writes_nothing(
    territory, incubator, tmp_path, arguments, message
):
    output = tmp_path / "rapport.pdf"
    with pytest.raises(CommandError, match=message):
        call_command("generate_report", *arguments, "--output", str(output))
    assert not output.exists()
