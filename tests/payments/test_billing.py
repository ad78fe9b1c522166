"""Contributions and payments: what is owed, what staff record, and that the books agree."""

import datetime

import pytest

from incubator.exceptions import IncubatorError, InvalidValue
from incubator.models import Sponsorship
from programs import billing
from programs.models import (
    Contribution,
    ContributionKind,
    ContributionStatus,
    NetworkMembership,
    Payment,
    PaymentMethod,
)
from tests.factories import CohortFactory, StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

YEARLY = 24_000_00  # 24 000 € per startup per year: 2 000 € a month
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def startup():
    cohort = CohortFactory(program__contribution_cents_per_year=YEARLY)
    return StartupFactory(cohort=cohort, incubator=cohort.program.incubator)


@pytest.fixture
def territory():
    return TerritoryFactory(name="Ville de Millau")


def sponsor(startup, territory, **dates) -> Sponsorship:
    return Sponsorship.objects.create(startup=startup, territory=territory, **dates)


# --- What is owed ---------------------------------------------------------------------------


def test_a_starting_sponsorship_is_billed_for_the_rest_of_its_year(startup, territory):
    sponsorship = sponsor(startup, territory, start_date=datetime.date(2026, 4, 15))

    contribution = Contribution.objects.get(sponsorship=sponsorship)

    assert contribution.year == 2026 and contribution.kind == ContributionKind.SPONSORSHIP
    assert contribution.territory == territory
    # April to December: 9 months of 2 000 €.
    assert contribution.amount_cents == 18_000_00
    assert contribution.period_start == datetime.date(2026, 4, 1)
    assert contribution.period_end == datetime.date(2026, 12, 31)
    assert contribution.status == ContributionStatus.DUE and contribution.paid_cents == 0


def test_a_startup_outside_any_programme_owes_nothing(territory):
    sponsorship = sponsor(StartupFactory(), territory, start_date=datetime.date(2026, 1, 5))
    assert not Contribution.objects.filter(sponsorship=sponsorship).exists()


def test_the_yearly_run_bills_every_active_source_once(startup, territory):
    sponsor(startup, territory, start_date=datetime.date(2025, 6, 1))
    ended = sponsor(
        StartupFactory(cohort=startup.cohort, incubator=startup.incubator),
        TerritoryFactory(),
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2026, 2, 20),
    )
    NetworkMembership.objects.create(
        territory=territory, yearly_amount_cents=1_200_00, start_date=datetime.date(2020, 1, 1)
    )

    created = billing.contributions_generate(2026, today=datetime.date(2026, 1, 2))
    again = billing.contributions_generate(2026, today=datetime.date(2026, 1, 2))

    assert again == []
    amounts = {(c.kind, c.territory_id): c.amount_cents for c in created}
    assert amounts == {
        (ContributionKind.SPONSORSHIP, territory.pk): YEARLY,
        (ContributionKind.SPONSORSHIP, ended.territory_id): 4_000_00,  # January and February
        (ContributionKind.MEMBERSHIP, territory.pk): 1_200_00,
    }
    assert all(c.due_date == datetime.date(2026, 2, 1) for c in created)


def test_the_yearly_command_runs_the_same(startup, territory):
    from django.core.management import call_command

    sponsor(startup, territory, start_date=datetime.date(2025, 6, 1))
    call_command("generate_contributions", "2027", verbosity=0)
    call_command("generate_contributions", "2027", verbosity=0)
    assert Contribution.objects.filter(year=2027).count() == 1


# --- Payments recorded by staff --------------------------------------------------------------


@pytest.fixture
def contribution(startup, territory):
    sponsorship = sponsor(startup, territory, start_date=datetime.date(2026, 1, 1))
    return Contribution.objects.get(sponsorship=sponsorship)


@pytest.fixture
def staff():
    return UserFactory(staff=True)


def record(contribution, staff, **changes):
    data = {
        "method": PaymentMethod.BANK_TRANSFER,
        "amount_cents": 10_000_00,
        "paid_on": datetime.date(2026, 3, 1),
        "reference": "VIR 2026-118",
        "recorded_by": staff,
        "today": TODAY,
        **changes,
    }
    return billing.payment_record_manual(contribution, **data)


def test_partial_transfers_add_up_to_paid(contribution, staff):
    record(contribution, staff)
    contribution.refresh_from_db()
    assert contribution.paid_cents == 10_000_00 and contribution.status == ContributionStatus.DUE
    assert contribution.remaining_cents == 14_000_00

    payment = record(
        contribution, staff, method=PaymentMethod.ADMINISTRATIVE, amount_cents=14_000_00
    )

    contribution.refresh_from_db()
    assert contribution.paid_cents == YEARLY and contribution.status == ContributionStatus.PAID
    assert payment.receipt_number.startswith("R20")
    assert payment.recorded_by == staff


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount_cents": 0}, "amount", "Le montant doit être positif."),
        ({"amount_cents": -5}, "amount", "Le montant doit être positif."),
        ({"amount_cents": "100"}, "amount", "Le montant doit être positif."),
        ({"amount_cents": YEARLY + 1}, "amount", "Le montant dépasse le reste à payer"),
        ({"paid_on": datetime.date(2026, 3, 11)}, "paid_on", "ne peut pas être future"),
        ({"paid_on": None}, "paid_on", "ne peut pas être future"),
        ({"reference": "  "}, "reference", "Indiquez la référence"),
        ({"method": PaymentMethod.CARD}, "method", "virement bancaire ou le mandat"),
    ],
)
def test_a_bad_manual_payment_is_refused_and_changes_nothing(
    contribution, staff, changes, field, message
):
    with pytest.raises(InvalidValue, match=message) as refused:
        record(contribution, staff, **changes)
    assert refused.value.field == field
    contribution.refresh_from_db()
    assert not Payment.objects.exists()
    assert contribution.paid_cents == 0 and contribution.status == ContributionStatus.DUE


def test_a_cancelled_contribution_takes_no_payment(contribution, staff):
    Contribution.objects.filter(pk=contribution.pk).update(status=ContributionStatus.CANCELLED)
    with pytest.raises(IncubatorError, match="annulée"):
        record(contribution, staff)
    assert not Payment.objects.exists()


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, settings):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    client.force_login(UserFactory(superuser=True))
    return client


def test_staff_record_a_transfer_from_the_admin(admin_client, contribution):
    from django.urls import reverse

    listing = admin_client.get(reverse("wagtailsnippets_programs_contribution:list"))
    url = reverse("wagtailsnippets_programs_contribution:payment", args=[contribution.pk])
    assert url in listing.content.decode()

    response = admin_client.post(
        url,
        {
            "method": PaymentMethod.BANK_TRANSFER,
            "amount": "24000,00",
            "paid_on": "2026-03-01",
            "reference": "VIR 2026-118",
        },
    )

    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.PAID
    assert Payment.objects.get().reference == "VIR 2026-118"


def test_an_overpayment_from_the_admin_is_refused_with_a_message(admin_client, contribution):
    from django.urls import reverse

    url = reverse("wagtailsnippets_programs_contribution:payment", args=[contribution.pk])
    response = admin_client.post(
        url,
        {
            "method": PaymentMethod.ADMINISTRATIVE,
            "amount": "30000",
            "paid_on": "2026-03-01",
            "reference": "M-12",
        },
    )

    assert response.status_code == 200
    assert "Le montant dépasse le reste à payer" in response.content.decode()
    assert not Payment.objects.exists()


def test_the_books_are_read_only_in_the_admin(admin_client, contribution):
    from django.urls import reverse

    edit = reverse("wagtailsnippets_programs_contribution:edit", args=[contribution.pk])
    assert admin_client.get(edit).status_code in (302, 403)
    assert admin_client.get(reverse("wagtailsnippets_programs_payment:list")).status_code == 200


def test_non_staff_cannot_record_payments(client, settings, contribution):
    from django.urls import reverse

    settings.MFA_REQUIRED_FOR_PRIVILEGED = False
    client.force_login(UserFactory(coach=True))
    url = reverse("wagtailsnippets_programs_contribution:payment", args=[contribution.pk])
    assert client.post(url, {"amount": "1"}).status_code in (302, 403)
    assert not Payment.objects.exists()


def test_staff_cancel_a_contribution_nothing_was_paid_on(admin_client, contribution):
    from django.urls import reverse

    url = reverse("wagtailsnippets_programs_contribution:cancel", args=[contribution.pk])
    assert admin_client.get(url).status_code == 405
    admin_client.post(url, {"reason": ""})
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.DUE

    admin_client.post(url, {"reason": "Appelée deux fois."})

    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.CANCELLED
    assert contribution.cancellation_reason.startswith("Appelée deux fois.")


def test_a_contribution_with_payments_cannot_be_cancelled(contribution, staff):
    record(contribution, staff, amount_cents=1_000_00)
    with pytest.raises(IncubatorError, match="ne peut pas être annulée"):
        billing.contribution_cancel(contribution, by=staff, reason="Erreur")
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.DUE


def test_the_payment_list_of_the_admin_costs_the_same_for_1_or_6_payments(
    admin_client, contribution, staff, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    url = reverse("wagtailsnippets_programs_payment:list")
    record(contribution, staff, amount_cents=1_000_00)
    admin_client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert admin_client.get(url).status_code == 200
    for _ in range(5):
        other = sponsor(
            StartupFactory(cohort=contribution.sponsorship.startup.cohort),
            TerritoryFactory(),
            start_date=datetime.date(2026, 1, 1),
        )
        record(Contribution.objects.get(sponsorship=other), staff, amount_cents=1_000_00)
    with django_assert_max_num_queries(len(one)):
        assert admin_client.get(url).status_code == 200
