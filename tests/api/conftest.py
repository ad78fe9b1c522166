"""A small network with public and private records, for every open data test."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.test import Client

import pytest

from incubator import services
from incubator.enums import FailureReason, FailureScope, Phase, Visibility
from incubator.models import Sponsorship, Theme
from tests.factories import IncubatorFactory, StartupFactory, TerritoryFactory

DAY = datetime.date(2024, 1, 15)


@pytest.fixture
def api():
    """An anonymous visitor."""
    return Client()


def add_public_records(startup, *, themes=(), sponsors=(), suffix=""):
    """Sponsors, themes, a public indicator with two values and a public lesson."""
    startup.themes.set(themes)
    for territory in sponsors:
        Sponsorship.objects.create(startup=startup, territory=territory, amount_cents=100_00)
    indicator = services.indicator_define(startup=startup, name=f"Usagers{suffix}", unit="usagers")
    for month, value in ((2, "12.5"), (3, "40")):
        services.measurement_add(
            indicator=indicator, date=datetime.date(2024, month, 1), value=Decimal(value)
        )
    lesson = services.lesson_create(
        startup=startup,
        title=f"Observer avant de construire{suffix}",
        body="Deux semaines au guichet, puis un prototype papier.",
        author=None,
        visibility=Visibility.PUBLIC,
        themes=themes,
    )
    return indicator, lesson


@pytest.fixture
def network(db):
    """Public startups with records, and everything that must stay out of the API."""
    incubator = IncubatorFactory(name="Incubateur des territoires", slug="anct")
    other_incubator = IncubatorFactory(name="Fabrique du Nord", slug="fabrique-nord")
    mobility = Theme.objects.create(name="Mobilité", slug="mobilite")
    health = Theme.objects.create(name="Santé", slug="sante")
    lille = TerritoryFactory(name="Ville de Lille", slug="lille", siren="215903501")
    nord = TerritoryFactory(name="Département du Nord", slug="nord", kind="departement")
    incubator.owner = nord
    incubator.save()

    startup = StartupFactory(
        name="Bus à la demande",
        slug="bus-a-la-demande",
        incubator=incubator,
        pitch="Des bus qui viennent quand on les appelle.",
        problem="Les villages n’ont plus de ligne régulière.",
        website="https://bus.example.org",
        started_on=DAY,
    )
    services.startup_change_phase(
        startup=startup,
        to_phase=Phase.CONSTRUCTION,
        actor=None,
        on=datetime.date(2024, 6, 1),
        rationale="Le besoin est confirmé.",
        gate_override_reason="Test.",
    )
    startup.refresh_from_db()
    indicator, lesson = add_public_records(
        startup, themes=[mobility], sponsors=[nord, lille], suffix=""
    )
    # A private indicator of a public startup.
    secret_indicator = services.indicator_define(
        startup=startup, name="Coût interne", is_public=False
    )
    services.measurement_add(
        indicator=secret_indicator, date=datetime.date(2024, 3, 1), value=Decimal("987654.32")
    )
    # A failure without publication consent: its lesson stays private even if marked public.
    hidden_failure = services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.NO_FUNDING,
        occurred_on=datetime.date(2024, 5, 1),
        author=None,
        what_we_learned="Secret.",
        why_we_stop="Secret.",
        advice_for_relaunch="Secret.",
        publication_consent=False,
    )
    services.lesson_create(
        startup=startup,
        failure=hidden_failure,
        title="Leçon d’un échec non publié",
        body="Ne doit pas sortir.",
        author=None,
        visibility=Visibility.PUBLIC,
    )
    # A published failure: its lesson is public, with the failure's reason.
    public_failure = services.failure_record(
        startup=startup,
        scope=FailureScope.STARTUP,
        reason=FailureReason.NO_USER_NEED,
        occurred_on=datetime.date(2024, 4, 1),
        author=None,
        what_we_learned="Appris.",
        why_we_stop="Arrêt.",
        advice_for_relaunch="Conseil.",
        publication_consent=True,
        lessons=[
            {
                "title": "Vérifier le besoin",
                "body": "Avec les usagers, pas seulement les services.",
                "visibility": Visibility.PUBLIC,
                "themes": [health],
            }
        ],
    )
    private_lesson_of_public_startup = services.lesson_create(
        startup=startup, title="Notes internes", body="Privé.", author=None
    )

    other = StartupFactory(
        name="Cantine locale", slug="cantine-locale", incubator=other_incubator, started_on=DAY
    )
    add_public_records(other, themes=[health], sponsors=[lille], suffix=" (cantine)")

    private = StartupFactory(
        name="Projet confidentiel",
        slug="projet-confidentiel",
        incubator=incubator,
        visibility=Visibility.PRIVATE,
        started_on=DAY,
    )
    add_public_records(private, themes=[mobility], sponsors=[lille], suffix=" (privé)")

    archived = StartupFactory(
        name="Projet archivé", slug="projet-archive", incubator=incubator, started_on=DAY
    )
    add_public_records(archived, themes=[mobility], sponsors=[nord], suffix=" (archivé)")
    services.archive(obj=archived, actor=None)

    return SimpleNamespace(
        incubator=incubator,
        other_incubator=other_incubator,
        mobility=mobility,
        health=health,
        lille=lille,
        nord=nord,
        startup=startup,
        other=other,
        private=private,
        archived=archived,
        indicator=indicator,
        secret_indicator=secret_indicator,
        lesson=lesson,
        public_failure=public_failure,
        private_lesson=private_lesson_of_public_startup,
    )
