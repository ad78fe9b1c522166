"""Stripe unreachable: the référent reads, in French, that online payment is unavailable, soon
enough for the web worker to answer, and nothing is recorded as paid.

Two ways to be unreachable: nothing listens at Stripe's address (the connection is refused
at once), or something accepts the connection and never answers (a firewall dropping
packets, a hung proxy): the client must give up before the web server kills the worker.
"""

import datetime
import socket
import time

from django.urls import reverse

import pytest

from incubator.models import Sponsorship
from programs import billing
from programs.models import BillingAccount, Contribution, ContributionStatus, Payment
from tests.factories import CohortFactory, StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

UNAVAILABLE = "Le paiement en ligne est momentanément indisponible"
GUNICORN_DEFAULT_TIMEOUT = 30  # seconds before gunicorn kills a silent sync worker


@pytest.fixture
def referent():
    territory = TerritoryFactory(name="Commune de Nant", slug="nant")
    user = UserFactory(territory=True)
    territory.referents.add(user)
    return user


@pytest.fixture
def contribution(referent):
    cohort = CohortFactory(program__contribution_cents_per_year=5_000_00)
    startup = StartupFactory(cohort=cohort, incubator=cohort.program.incubator)
    sponsorship = Sponsorship.objects.create(
        startup=startup,
        territory=referent.territories.get(),
        start_date=datetime.date(2026, 1, 1),
    )
    return Contribution.objects.get(sponsorship=sponsorship)


def stripe_at(settings, address: str) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_unreachable"
    settings.STRIPE_API_BASE = address


@pytest.fixture
def refused(settings):
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stripe_at(settings, f"http://127.0.0.1:{port}")


@pytest.fixture
def silent(settings):
    """A loopback port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the handshakes; nobody reads or answers
        stripe_at(settings, f"http://127.0.0.1:{listener.getsockname()[1]}")
        yield


def assert_nothing_paid(contribution):
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.DUE
    assert contribution.paid_cents == 0
    assert not contribution.checkout_session_id and not contribution.checkout_url
    assert not Payment.objects.exists()
    # The Stripe customer that was being created is not half-recorded either.
    assert not BillingAccount.objects.exists()


def pay(client, contribution):
    return client.post(reverse("payments:pay", args=[contribution.pk]), follow=True)


def test_a_refused_connection_says_payment_is_unavailable_and_marks_nothing_paid(
    client, refused, referent, contribution
):
    client.force_login(referent)

    response = pay(client, contribution)

    assert response.status_code == 200
    assert UNAVAILABLE in response.content.decode()
    assert response.redirect_chain[-1][0].startswith(reverse("workspace:contributions"))
    assert_nothing_paid(contribution)


def test_a_silent_stripe_is_given_up_on_in_time_with_the_same_message(
    client, silent, referent, contribution, monkeypatch
):
    monkeypatch.setattr(billing, "STRIPE_TIMEOUT_SECONDS", 0.5)  # the same path, faster
    client.force_login(referent)

    started = time.monotonic()
    response = pay(client, contribution)
    elapsed = time.monotonic() - started

    assert UNAVAILABLE in response.content.decode()
    assert elapsed < 5
    assert_nothing_paid(contribution)


def test_the_stripe_timeout_ends_a_payment_before_gunicorn_kills_the_worker():
    # Paying makes two calls in a row (the customer, then the Checkout session).
    assert 2 * billing.STRIPE_TIMEOUT_SECONDS < GUNICORN_DEFAULT_TIMEOUT
