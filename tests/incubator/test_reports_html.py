"""HTML reports: the PDF's content as an escaped, accessible, script- and style-free fragment."""

import datetime
from collections import Counter
from decimal import Decimal

from django.template import Context, Template

import pytest
from bs4 import BeautifulSoup

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
    TerritoryKind,
    Visibility,
)
from incubator.models import Funding, Membership, Sponsorship
from incubator.reports.data import cohort_report_data, startup_report_data
from incubator.reports.data_network import incubator_report_data, territory_report_data
from incubator.reports.html import render_report_html
from programs.models import Contribution, ContributionKind, ContributionStatus
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
HOSTILE = "<script>alert(1)</script> l’École 🍎"

STARTUP_SECTIONS = [
    "Le projet",
    "Parcours et phases",
    "Jalons de la période",
    "Expérimentations",
    "Indicateurs d’impact",
    "Comités et décisions",
    "Échecs et leçons",
    "Impact et coûts",
    "Prochaines étapes",
    "Sources et méthode",
]
SECRET = "Projet Confidentiel Ω"
TERRITORY_SECTIONS = [
    "Startups sponsorisées",
    "Impact des startups",
    "Leçons de la période",
    "Contributions du territoire",
    "Sources et méthode",
]
INCUBATOR_SECTIONS = [
    "L’année en chiffres",
    "Entonnoir des phases",
    "Arrêts et succès",
    "Durée des phases",
    "Financements de l’année",
    "Leçons de l’année",
    "Sources et méthode",
]
COHORT_SECTIONS = [
    "Les startups de la promotion",
    "Entonnoir des phases",
    "Survie de la promotion",
    "Leçons de la période",
    "Sources et méthode",
]


def soup(html) -> BeautifulSoup:
    return BeautifulSoup(str(html), "html.parser")


def text_of(node) -> str:
    """The visible text, whitespace (non-breaking spaces included) collapsed."""
    return " ".join(node.get_text(" ").split())


def h2s(document) -> list[str]:
    return [text_of(h2) for h2 in document.find_all("h2")]


def table_rows(table) -> list[list[str]]:
    return [[text_of(cell) for cell in row.find_all(["th", "td"])] for row in table.find_all("tr")]


def assert_safe_fragment(html):
    """A fragment for a page with a strict CSP: no document, no script, no inline style."""
    document = soup(html)
    for tag in ("html", "head", "body", "h1", "script", "style"):
        assert document.find(tag) is None, tag
    assert "<script" not in str(html).lower()
    for element in document.find_all(True):
        assert "style" not in element.attrs, element.name
        assert not any(name.startswith("on") for name in element.attrs), element.name
    ids = Counter(element["id"] for element in document.find_all(id=True))
    assert not [i for i, count in ids.items() if count > 1], "duplicate ids"


def assert_accessible_charts(html) -> list:
    """Each chart: a figure, an svg named by its title and desc, a caption, a data table."""
    document = soup(html)
    figures = document.find_all("figure")
    for figure in figures:
        svg = figure.find("svg")
        assert svg["role"] == "img"
        title_id, desc_id = svg["aria-labelledby"].split()
        assert text_of(svg.find("title", id=title_id))
        assert text_of(svg.find("desc", id=desc_id))
        assert text_of(figure.find("figcaption"))
        details = figure.find("details")
        assert text_of(details.find("summary")) == "Données du graphique"
        table = details.find("table")
        assert text_of(table.find("caption"))
        assert len(table_rows(table)) >= 2  # a header row and at least one row of figures
    return figures


def captioned(document, caption: str):
    """The table whose caption is `caption`."""
    return next(t for t in document.find_all("table") if text_of(t.caption) == caption)


def chart_table(figure) -> list[list[str]]:
    return table_rows(figure.find("details").find("table"))


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
        startup=startup, author=agent, title="Déploiement départemental", due_date=D(2026, 9, 1)
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


# --- Startup report ----------------------------------------------------------------


def test_startup_html_carries_the_pdf_content(startup):
    html = render_report_html(startup_report_data(startup=startup, public=False, **YEAR_2025))
    document = soup(html)
    text = text_of(document)

    assert h2s(document) == STARTUP_SECTIONS  # the PDF's sections, in its order
    for phrase in (
        NAME,
        "Rapport de progression",
        "Version interne",
        "du 1er janvier 2025 au 31 décembre 2025",
        "Données arrêtées au 31 décembre 2025",
        "Généré le 1er mars 2026",
        "Programme Territoires — Promotion 2024",
        "Investigation",
        "Construction",
        "Au 31 décembre 2025, la startup est en phase « Construction » depuis 303 jours.",
        "12 345,67 €",  # the sponsor's amount, in French format
        "90 000,00 €",  # funding in the period
        "612 usagers",
        "Cible : 500 usagers (atteinte).",
        "Premier pilote à Bordeaux",
        "Ouverture à Mérignac",
        "Déploiement départemental",
        "Joséphine Dupré",
        "Conditions : Condition réservée au comité",
        "Notes : Note interne confidentielle",
        "40 000,00 €",
        "Coût interne secret",
        "Leçon privée confidentielle",
        "Échec non consenti à taire",
        "Données : Territoires Lab.",
        "Généré le 1er mars 2026 par Territoires Lab",
    ):
        assert phrase in text, phrase
    assert "@" not in text  # no e-mail address, ever
    assert_safe_fragment(html)

    badges = [text_of(badge) for badge in document.select(".fr-badge")]
    assert {"Investigation", "Construction", "Validée", "Oui"} <= set(badges)


def test_startup_charts_are_accessible_and_match_the_data(startup):
    html = render_report_html(startup_report_data(startup=startup, public=False, **YEAR_2025))
    figures = assert_accessible_charts(html)

    # The phase timeline, then one chart per indicator measured in the period.
    assert [text_of(figure.find("svg").find("title")) for figure in figures] == [
        "Frise des phases",
        "Coût interne secret",
        "Usagers actifs",
    ]
    timeline = chart_table(figures[0])
    assert timeline[1][:3] == ["Investigation", "02/09/2024", "03/03/2025"]
    assert timeline[2][0] == "Construction" and timeline[2][4:6] == ["10 mois", "03/01/2026"]
    timeline_svg = figures[0].find("svg")
    assert timeline_svg.find("line", stroke="#E1000F")  # the maximum duration is marked

    users = figures[2]
    assert chart_table(users) == [
        ["Date", "Valeur (usagers)"],
        ["15/03/2025", "120"],
        ["15/04/2025", "260"],
        ["15/05/2025", "410"],
        ["15/06/2025", "612"],
    ]
    svg = users.find("svg")
    assert len(svg.find_all("circle")) == 4
    assert svg.find("line", attrs={"stroke": "#E1000F", "stroke-dasharray": True})  # the target
    assert "cible : 500" in text_of(svg)


def test_public_startup_html_hides_private_data(startup):
    html = render_report_html(startup_report_data(startup=startup, public=True, **YEAR_2025))
    text = text_of(soup(html))

    assert "Version publique" in text
    assert "Version publique : les rôles seulement, sans les noms." in text
    assert "Passer à la phase suivante" in text  # decisions are public
    assert "Leçon publique partagée" in text
    assert "Usagers actifs" in text
    for secret in (
        "Joséphine",
        "Dupré",
        "Note interne confidentielle",
        "Condition réservée au comité",
        "Budget accordé",
        "40 000,00 €",
        "Coût interne secret",
        "4 321",
        "Leçon privée confidentielle",
        "Échec non consenti à taire",
        "Leçon du marché public",
        "Version interne",
    ):
        assert secret not in text, secret
    assert_safe_fragment(html)
    assert len(assert_accessible_charts(html)) == 2  # the timeline and the public indicator


def test_names_are_escaped_everywhere():
    startup = StartupFactory(
        name=HOSTILE, pitch=HOSTILE, problem=f"{HOSTILE}\nSeconde ligne", started_on=D(2025, 1, 6)
    )
    indicator = services.indicator_define(
        startup=startup, name=f"<img src=x onerror=alert(1)> {HOSTILE}", unit="<b>u</b>"
    )
    services.measurement_add(indicator=indicator, date=D(2025, 3, 1), value=Decimal("3"))
    services.lesson_create(
        startup=startup, title=HOSTILE, body=HOSTILE, author=None, visibility=Visibility.PUBLIC
    )
    html = str(render_report_html(startup_report_data(startup=startup, public=True, **YEAR_2025)))

    assert "<script>" not in html and "<img" not in html and "<b>u</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; l’École 🍎" in html
    document = soup(html)
    assert HOSTILE in text_of(document.find(class_="fr-callout__title"))
    svg_titles = [text_of(title) for title in document.select("svg title")]
    assert f"<img src=x onerror=alert(1)> {HOSTILE}" in svg_titles  # escaped, read back intact
    assert_safe_fragment(html)


def test_a_startup_with_nothing_recorded_says_so():
    startup = StartupFactory(name="Démarrage à vide", started_on=D(2025, 11, 3))
    html = render_report_html(startup_report_data(startup=startup, public=False, **YEAR_2025))
    text = text_of(soup(html))

    for phrase in (
        "Démarrage à vide",
        "Non renseigné.",
        "Aucun territoire sponsor enregistré.",
        "Aucun membre enregistré sur la période.",
        "Aucun jalon atteint ni manqué sur la période.",
        "Aucune expérimentation en cours ou menée sur la période.",
        "Aucun indicateur d’impact défini.",
        "Aucun comité sur la période.",
        "Aucun échec ni leçon documentés à cette date.",
        "non calculable",
        "Aucun comité programmé.",
        "Aucun jalon prévu.",
    ):
        assert phrase in text, phrase
    assert len(assert_accessible_charts(html)) == 1  # the timeline only
    assert_safe_fragment(html)


def test_a_period_before_the_start_has_no_chart(startup):
    report = startup_report_data(
        startup=startup, start=D(2010, 1, 1), end=D(2010, 12, 31), public=False
    )
    html = render_report_html(report)
    assert "pas encore entrée en incubation" in text_of(soup(html))
    assert soup(html).find("figure") is None
    assert_safe_fragment(html)


def test_an_indicator_without_a_value_in_the_period_has_no_chart():
    startup = StartupFactory(name="Sans mesure", started_on=D(2024, 1, 15))
    indicator = services.indicator_define(startup=startup, name="Repas servis", unit="repas")
    services.measurement_add(indicator=indicator, date=D(2024, 6, 1), value=Decimal("7"))
    html = render_report_html(startup_report_data(startup=startup, public=False, **YEAR_2025))
    text = text_of(soup(html))
    assert "Aucune mesure sur la période. Dernière valeur : 7 repas au 1er juin 2024." in text
    assert len(soup(html).find_all("figure")) == 1  # the timeline only


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


def test_cohort_html(cohort_with_startups):
    html = render_report_html(
        cohort_report_data(cohort=cohort_with_startups, public=False, **YEAR_2025)
    )
    document = soup(html)
    text = text_of(document)

    assert h2s(document) == COHORT_SECTIONS
    for phrase in (
        "Rapport de promotion",
        "Programme Territoires — Promotion 2024",
        "depuis le 2 septembre 2024",
        "3 startups",
        "Premier pilote à Bordeaux (10/04/2025)",
        "Pas de besoin réel des usagers (1)",
        "Observer avant de construire",
        "(Aide Alimentaire)",
        "Sur 3 startups entrées en incubation",
        "67 % (2 sur 3)",  # two startups out of three still running
        "Les alertes décrivent le présent",
    ):
        assert phrase in text, phrase
    rows = table_rows(document.find("table"))
    assert [row[:3] for row in rows[1:]] == [
        ["Aide Alimentaire", "Abandonnée", "331"],
        [NAME, "Construction", "303"],
        ["Projet Privé Confidentiel", "Investigation", "485"],
    ]

    funnel, survival = assert_accessible_charts(html)
    assert chart_table(funnel) == [
        ["Phase atteinte", "Startups", "Part des startups démarrées"],
        ["Investigation", "3", "100 %"],
        ["Construction", "1", "33 %"],
        ["Accélération", "0", "0 %"],
        ["Consolidation", "0", "0 %"],
        ["Transférée ou opérée", "0", "0 %"],
    ]
    survival_rows = chart_table(survival)
    assert survival_rows[1] == ["0", "02/09/2024", "3", "3", "100 %"]
    assert survival_rows[-1] == ["15", "02/12/2025", "3", "2", "67 %"]
    assert len(survival.find("svg").find_all("circle")) == 16
    assert_safe_fragment(html)


def test_public_cohort_html_leaves_private_startups_out(cohort_with_startups):
    html = render_report_html(
        cohort_report_data(cohort=cohort_with_startups, public=True, **YEAR_2025)
    )
    text = text_of(soup(html))
    assert "Aide Alimentaire" in text and "2 startups publiques" in text
    assert "Seules les leçons publiques figurent dans cette version." in text
    for secret in (
        "Projet Privé Confidentiel",
        "Leçon privée confidentielle",
        "Leçon du marché",
        "Les alertes décrivent le présent",
    ):
        assert secret not in text, secret
    assert_safe_fragment(html)


def test_current_cohort_html_shows_alerts(cohort_with_startups):
    today = D(2026, 3, 1)
    report = cohort_report_data(
        cohort=cohort_with_startups,
        start=D(2026, 1, 1),
        end=D(2026, 12, 31),
        public=False,
        today=today,
    )
    document = soup(render_report_html(report))
    assert "Alertes" in [text_of(th) for th in document.find("table").find_all("th")]
    assert "Aucun agent-entrepreneur en poste" in text_of(document)
    assert "Alertes au 1er mars 2026." in text_of(document)


def test_an_empty_cohort_says_so():
    cohort = CohortFactory(name="Promotion vide")
    html = render_report_html(cohort_report_data(cohort=cohort, public=False, **YEAR_2025))
    text = text_of(soup(html))
    for phrase in (
        "Promotion vide",
        "0 startup",
        "Aucune startup dans cette promotion.",
        "Aucune startup n’avait démarré au 31 décembre 2025.",
        "Pas encore de données de survie pour cette période.",
        "Aucune leçon enregistrée sur la période.",
    ):
        assert phrase in text, phrase
    assert soup(html).find("figure") is None
    assert_safe_fragment(html)

    public = text_of(
        soup(render_report_html(cohort_report_data(cohort=cohort, public=True, **YEAR_2025)))
    )
    assert "Aucune startup publique dans cette promotion." in public


# --- Territory report ------------------------------------------------------------------


def advance(startup, to_phase, on):
    return services.startup_change_phase(
        startup=startup, to_phase=to_phase, actor=None, on=on, rationale="Décision."
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


@pytest.fixture
def territory():
    territory = TerritoryFactory(
        name="Département de l’Hérault 🌊", slug="herault", kind=TerritoryKind.DEPARTEMENT
    )
    incubator = IncubatorFactory(name="Incubateur des Territoires")
    cantine = StartupFactory(
        name=HOSTILE, incubator=incubator, started_on=D(2024, 9, 2), website="https://c.fr"
    )
    advance(cantine, Phase.CONSTRUCTION, D(2025, 3, 3))
    Sponsorship.objects.create(
        startup=cantine, territory=territory, amount_cents=1_200_000, start_date=D(2024, 9, 1)
    )
    users = services.indicator_define(
        startup=cantine, name="Usagers actifs", unit="usagers", target=Decimal("500")
    )
    services.measurement_add(indicator=users, date=D(2025, 5, 15), value=Decimal("300"))
    services.measurement_add(indicator=users, date=D(2025, 6, 15), value=Decimal("612"))
    secret = services.indicator_define(
        startup=cantine, name="Coût interne secret", unit="€", is_public=False
    )
    services.measurement_add(indicator=secret, date=D(2025, 6, 1), value=Decimal("4321"))

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
    return territory


def test_territory_html(territory):
    html = render_report_html(territory_report_data(territory=territory, public=False, **YEAR_2025))
    document = soup(html)
    text = text_of(document)

    assert h2s(document) == TERRITORY_SECTIONS
    for phrase in (
        "Rapport de territoire",
        "Département de l’Hérault 🌊",
        "Département",
        "Version interne",
        "3 startups sponsorisées sur la période, pour 20 000,00 € engagés.",
        "12 000,00 €",
        "Aide Mobilité",
        SECRET,
        "Coût interne secret",
        "612 usagers",
        "Leçon privée du projet secret",
        "Pas de besoin réel des usagers",
        "Adhésion annuelle au réseau",
        f"Contribution au programme (par startup) — {SECRET}",
        "du 1er janvier 2025 au 31 décembre 2025",
        "7 950,00 €",
        "4 250,00 €",
        "Reste à payer : 3 700,00 €.",
        "Généré le 1er mars 2026 par Territoires Lab",
    ):
        assert phrase in text, phrase
    rows = {row[0]: row[1:] for row in table_rows(captioned(document, "Startups sponsorisées"))}
    assert rows["Aide Mobilité"] == [
        "Incubateur des Territoires",
        "Abandonnée",
        "243",
        "06/01/2025",
        "5 000,00 €",
    ]
    assert rows[HOSTILE][:2] == ["Incubateur des Territoires", "Construction"]
    assert rows["Total"] == ["20 000,00 €"]

    figures = assert_accessible_charts(html)
    phases = chart_table(figures[0])
    assert ["Construction", "1"] in phases and ["Abandonnée", "2"] in phases
    titles = [text_of(figure.find("svg").find("title")) for figure in figures]
    assert titles == ["Startups par phase", "Coût interne secret", "Usagers actifs"]
    assert chart_table(figures[2])[1:] == [["15/05/2025", "300"], ["15/06/2025", "612"]]
    assert_safe_fragment(html)
    assert "<script>" not in str(html)


def test_public_territory_html_hides_private_data(territory):
    html = render_report_html(territory_report_data(territory=territory, public=True, **YEAR_2025))
    text = text_of(soup(html))

    assert "Version publique" in text and "Leçon publique de l’arrêt" in text
    assert "ne figurent pas dans cette version publique" in text
    for private in (
        "Confidentiel",
        "Leçon privée du projet secret",
        "Coût interne secret",
        "Adhésion annuelle",
        "7 950,00 €",
        "4 250,00 €",
        "3 700,00 €",
    ):
        assert private not in text, private
    assert_safe_fragment(html)
    assert len(assert_accessible_charts(html)) == 2


def test_a_territory_with_nothing_says_so():
    territory = TerritoryFactory(name="Commune d’Œuilly-sur-l’Aisne 🏞️")
    html = render_report_html(territory_report_data(territory=territory, public=False, **YEAR_2025))
    document = soup(html)
    text = text_of(document)
    assert "Impact des startups" not in h2s(document)
    for phrase in (
        "Commune d’Œuilly-sur-l’Aisne 🏞️",
        "Aucune startup sponsorisée par ce territoire sur la période.",
        "Aucune leçon enregistrée sur la période par les startups sponsorisées.",
        "Aucune contribution appelée sur la période.",
    ):
        assert phrase in text, phrase
    assert document.find("figure") is None
    assert_safe_fragment(html)
    public = text_of(
        soup(
            render_report_html(territory_report_data(territory=territory, public=True, **YEAR_2025))
        )
    )
    assert "Aucune startup publique sponsorisée par ce territoire sur la période." in public


# --- Annual incubator report ------------------------------------------------------------


@pytest.fixture
def incubator():
    incubator = IncubatorFactory(name="Incubateur d’Occitanie", slug="occitanie")
    gironde = TerritoryFactory(name="Département de la Gironde")
    first = StartupFactory(name="Première", incubator=incubator, started_on=D(2024, 1, 15))
    advance(first, Phase.CONSTRUCTION, D(2024, 4, 15))  # 91 days of investigation
    advance(first, Phase.ACCELERATION, D(2025, 4, 15))
    advance(first, Phase.CONSOLIDATION, D(2025, 6, 1))
    advance(first, Phase.TRANSFERRED, D(2025, 10, 1))
    second = StartupFactory(name="Deuxième", incubator=incubator, started_on=D(2024, 3, 1))
    stop(second, D(2024, 6, 1), lesson="Leçon de 2024")  # 92 days
    third = StartupFactory(name="Troisième", incubator=incubator, started_on=D(2025, 2, 1))
    advance(third, Phase.CONSTRUCTION, D(2025, 5, 2))  # 90 days
    stop(third, D(2025, 9, 1), lesson="Leçon publique de 2025")
    StartupFactory(name="Quatrième", incubator=incubator, started_on=D(2025, 3, 1))
    hidden = StartupFactory(
        name=SECRET, incubator=incubator, started_on=D(2025, 1, 10), visibility=Visibility.PRIVATE
    )
    stop(
        hidden,
        D(2025, 3, 10),
        consent=False,
        lesson="Leçon privée du projet secret",
        visibility=Visibility.PRIVATE,
    )
    for startup, funder, name, cents, day in (
        (first, gironde, "", 1_200_000, D(2025, 1, 1)),
        (third, None, "Région <Occitanie>", 800_000, D(2025, 2, 1)),
        (hidden, None, "Financeur secret", 700_000, D(2025, 1, 10)),
        (first, None, "Incubateur", 500_000, D(2024, 1, 15)),
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


def test_incubator_html(incubator):
    html = render_report_html(
        incubator_report_data(incubator=incubator, year=2025, public=True, today=D(2026, 3, 1))
    )
    document = soup(html)
    text = text_of(document)

    assert h2s(document) == INCUBATOR_SECTIONS
    for phrase in (
        "Rapport annuel d’incubateur",
        "Incubateur d’Occitanie",
        "Année 2025",
        "Version publique",
        "4 startups publiques entrées en incubation",
        "Taux de succès : 33 %. Sur 3 startups terminées au 31 décembre 2025, 1 ont été",
        "Région <Occitanie>",
        "Leçon publique de 2025",
        "Financements dont la période commence dans l’année.",
    ):
        assert phrase in text, phrase
    assert "L’année est en cours" not in text
    comparison = table_rows(document.find("table"))
    assert comparison[0] == ["Mesure", "2025", "2024", "Évolution"]
    assert ["Financements accordés", "20 000,00 €", "5 000,00 €", "+ 15 000,00 €"] in comparison
    assert ["Arrêts", "1", "1", "="] in comparison

    funnel, medians = assert_accessible_charts(html)
    assert chart_table(funnel)[1:3] == [
        ["Investigation", "4", "100 %"],
        ["Construction", "2", "50 %"],
    ]
    assert chart_table(medians)[1:3] == [
        ["Investigation", "3", "91 jours"],
        ["Construction", "2", "243,5 jours"],
    ]
    for private in (SECRET, "Financeur secret", "Leçon privée du projet secret"):
        assert private not in text, private
    assert "&lt;Occitanie&gt;" in str(html)
    assert_safe_fragment(html)


def test_internal_incubator_html_counts_private_startups(incubator):
    html = render_report_html(
        incubator_report_data(incubator=incubator, year=2025, public=False, today=D(2026, 3, 1))
    )
    text = text_of(soup(html))
    assert "Version interne" in text and "5 startups entrées en incubation" in text
    assert "Financeur secret" in text and "Leçon privée du projet secret" in text
    assert "Taux de succès 25 %" in text
    assert_safe_fragment(html)


def test_an_empty_incubator_year_says_so():
    incubator = IncubatorFactory(name="Incubateur tout neuf")
    html = render_report_html(
        incubator_report_data(incubator=incubator, year=2026, public=False, today=D(2026, 3, 1))
    )
    text = text_of(soup(html))
    for phrase in (
        "Startups au 1er mars 2026",
        "L’année est en cours : ses chiffres s’arrêtent au 1er mars 2026",
        "Aucune startup n’avait démarré au 1er mars 2026.",
        "Pas encore de parcours de startup à analyser.",
        "Aucun passage en phase n’était terminé au 1er mars 2026.",
        "Aucun financement accordé en 2026.",
        "Aucune leçon enregistrée en 2026.",
    ):
        assert phrase in text, phrase
    assert soup(html).find("figure") is None
    assert_safe_fragment(html)


# --- Several reports on one page -------------------------------------------------------


def test_two_reports_on_one_page_share_no_id(cohort_with_startups, startup):
    internal = startup_report_data(startup=startup, public=False, **YEAR_2025)
    public = startup_report_data(startup=startup, public=True, **YEAR_2025)
    cohort = cohort_report_data(cohort=cohort_with_startups, public=False, **YEAR_2025)
    page = "".join(
        [
            render_report_html(internal),
            render_report_html(public, id_prefix="rapport-public"),
            render_report_html(cohort),
        ]
    )
    assert_safe_fragment(page)
    assert len(assert_accessible_charts(page)) == 3 + 2 + 2
    # Deterministic: the same report renders the same fragment.
    assert render_report_html(internal) == render_report_html(internal)


def test_an_unknown_report_is_refused():
    with pytest.raises(TypeError):
        render_report_html(object())


def test_report_format_filters_write_french():
    template = Template(
        "{% load report_format %}{{ day|fr_date }} · {{ day|fr_short_date }} · "
        "{{ cents|fr_euros }} · {{ number|fr_number }} · {{ days|fr_days }} · "
        "{{ months|fr_months }} · {{ share|fr_percent }} · {{ day|fr_period:end }}"
    )
    rendered = template.render(
        Context(
            {
                "day": D(2025, 1, 1),
                "end": D(2025, 12, 31),
                "cents": 1_234_567,
                "number": Decimal("1234.5"),
                "days": 1,
                "months": 10,
                "share": 2 / 3,
            }
        )
    )
    assert " ".join(rendered.split()) == (
        "1er janvier 2025 · 01/01/2025 · 12 345,67 € · 1 234,50 · 1 jour · 10 mois · 67 % · "
        "du 1er janvier 2025 au 31 décembre 2025"
    )
