"""Money counted by staff (a transfer recorded, a disputed payment accepted) reaches the
security log once committed, and a refused one writes nothing there."""

import datetime

import pytest

from incubator.exceptions import InvalidValue
from incubator.models import Sponsorship
from programs import billing
from programs.models import Contribution, Payment, PaymentMethod, PaymentStatus
from tests.factories import CohortFactory, StartupFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def contribution():
    cohort = CohortFactory(program__contribution_cents_per_year=12_000_00)
    startup = StartupFactory(cohort=cohort, incubator=cohort.program.incubator)
    sponsorship = Sponsorship.objects.create(
        startup=startup, territory=TerritoryFactory(), start_date=datetime.date(2026, 1, 1)
    )
    return Contribution.objects.get(sponsorship=sponsorship)


def record(contribution, staff, amount_cents):
    return billing.payment_record_manual(
        contribution,
        method=PaymentMethod.BANK_TRANSFER,
        amount_cents=amount_cents,
        paid_on=datetime.date(2026, 3, 1),
        reference="VIR 2026-118",
        recorded_by=staff,
        today=TODAY,
    )


def test_a_transfer_recorded_by_staff_is_logged_with_who_and_how_much(
    contribution, security_events, django_capture_on_commit_callbacks
):
    staff = UserFactory(staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        partial = record(contribution, staff, 2_000_00)
        rest = record(contribution, staff, 10_000_00)

    first, second = security_events("payment")
    assert first["user_id"] == staff.pk and first["outcome"] == PaymentStatus.SUCCEEDED
    assert first["details"] == {
        "source": "manual",
        "method": PaymentMethod.BANK_TRANSFER,
        "amount_cents": 2_000_00,
        "payment_id": partial.pk,
        "contribution_id": contribution.pk,
        "contribution_status": "due",
    }
    assert second["details"]["payment_id"] == rest.pk
    assert second["details"]["contribution_status"] == "paid"


def test_a_refused_transfer_is_not_logged(
    contribution, security_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidValue):
        record(contribution, UserFactory(staff=True), 99_000_00)
    assert security_events("payment") == []


def test_a_disputed_payment_accepted_by_staff_is_logged(
    contribution, security_events, django_capture_on_commit_callbacks
):
    payment = Payment.objects.create(
        contribution=contribution,
        method=PaymentMethod.CARD,
        status=PaymentStatus.DISPUTED,
        amount_cents=12_000_00,
        currency="eur",
    )
    staff = UserFactory(staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        billing.payment_accept_disputed(payment, by=staff, note="Montant vérifié avec la banque.")

    [accepted] = security_events("payment_accepted")
    assert accepted["user_id"] == staff.pk and accepted["outcome"] == PaymentStatus.SUCCEEDED
    assert accepted["details"]["payment_id"] == payment.pk
    assert accepted["details"]["contribution_status"] == "paid"


def test_a_contribution_cancelled_by_staff_is_logged(
    contribution, security_events, django_capture_on_commit_callbacks
):
    staff = UserFactory(staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        billing.contribution_cancel(contribution, by=staff, reason="Appelée deux fois.")

    [cancelled] = security_events("contribution_cancelled")
    assert cancelled["user_id"] == staff.pk
    assert cancelled["details"] == {
        "contribution_id": contribution.pk,
        "amount_cents": contribution.amount_cents,
    }
