"""Online payment through Stripe, against the local fake Stripe API: Checkout, the signed
webhook, duplicates, mismatches, refunds, the reconciliation, and who may do what."""

import datetime
import json
import time

from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest

from incubator import public_cache
from incubator.exceptions import IncubatorError, InvalidValue
from incubator.models import Sponsorship
from programs import billing
from programs.models import (
    Contribution,
    ContributionStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    StripeEvent,
)
from tests.factories import CohortFactory, StartupFactory, TerritoryFactory, UserFactory
from tests.payments.conftest import FAKE_WEBHOOK_SECRET
from tests.payments.fake_stripe import (
    checkout_session_object,
    make_event,
    refunded_charge_object,
    sign,
)

pytestmark = pytest.mark.django_db

YEARLY = 12_000_00
WEBHOOK = "/paiements/stripe/webhook/"


@pytest.fixture
def territory():
    return TerritoryFactory(name="Ville de Millau", slug="millau")


@pytest.fixture
def referent(territory):
    user = UserFactory(territory=True, display_name="Thérèse Référente")
    territory.referents.add(user)
    return user


@pytest.fixture
def contribution(territory):
    cohort = CohortFactory(program__contribution_cents_per_year=YEARLY)
    startup = StartupFactory(cohort=cohort, incubator=cohort.program.incubator, name="Cantine")
    sponsorship = Sponsorship.objects.create(
        startup=startup, territory=territory, start_date=datetime.date(2026, 1, 1)
    )
    return Contribution.objects.get(sponsorship=sponsorship)


def post_event(client, event: dict, *, secret=FAKE_WEBHOOK_SECRET, timestamp=None):
    payload = json.dumps(event).encode()
    return client.post(
        WEBHOOK,
        payload,
        content_type="application/json",
        headers={"stripe-signature": sign(payload, secret, timestamp)},
    )


def completed(contribution, *, amount=None, currency="eur", payment_status="paid", **kwargs):
    session = checkout_session_object(
        amount_total=contribution.remaining_cents if amount is None else amount,
        currency=currency,
        payment_status=payment_status,
        metadata={"contribution_id": str(contribution.pk)},
        **kwargs,
    )
    return session, make_event("checkout.session.completed", session)


# --- Checkout -------------------------------------------------------------------------------


def test_the_pay_button_opens_one_checkout_session_for_what_remains(
    client, fake_stripe, referent, contribution
):
    client.force_login(referent)
    pay = reverse("payments:pay", args=[contribution.pk])

    first = client.post(pay)
    second = client.post(pay)  # a double click reuses the open session

    assert first.status_code == 302 and first["Location"].startswith(f"{fake_stripe.url}/checkout/")
    assert second["Location"] == first["Location"]
    (session,) = fake_stripe.sessions.values()
    assert session["amount_total"] == YEARLY and session["currency"] == "eur"
    assert session["metadata"]["contribution_id"] == str(contribution.pk)
    assert session["customer"] in fake_stripe.customers
    assert session["success_url"].endswith(f"/paiements/contributions/{contribution.pk}/retour/")
    contribution.refresh_from_db()
    # Nothing is paid until Stripe says so.
    assert contribution.status == ContributionStatus.DUE and not Payment.objects.exists()


def test_stripe_failing_says_so_and_records_nothing(client, fake_stripe, referent, contribution):
    client.force_login(referent)
    fake_stripe.fail_next(status=500, times=2)

    response = client.post(reverse("payments:pay", args=[contribution.pk]), follow=True)

    assert "Le paiement en ligne est momentanément indisponible" in response.content.decode()
    contribution.refresh_from_db()
    assert not contribution.checkout_session_id and not Payment.objects.exists()


def test_stripe_unreachable_says_so(client, fake_stripe, referent, contribution):
    client.force_login(referent)
    fake_stripe.stop()

    response = client.post(reverse("payments:pay", args=[contribution.pk]), follow=True)

    assert "momentanément indisponible" in response.content.decode()
    assert not Payment.objects.exists()


def test_without_stripe_the_button_is_absent_and_the_page_works(
    client, settings, referent, contribution
):
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(referent)

    page = client.get(reverse("workspace:contributions"))

    assert page.status_code == 200
    assert "Ville de Millau" in page.content.decode()
    assert reverse("payments:pay", args=[contribution.pk]) not in page.content.decode()
    refused = client.post(reverse("payments:pay", args=[contribution.pk]), follow=True)
    assert "pas activé" in refused.content.decode()


def test_a_referent_of_another_territory_gets_404(client, fake_stripe, contribution):
    stranger = UserFactory(territory=True)
    TerritoryFactory().referents.add(stranger)
    client.force_login(stranger)

    assert client.post(reverse("payments:pay", args=[contribution.pk])).status_code == 404
    assert client.get(reverse("payments:return", args=[contribution.pk])).status_code == 404
    assert "Cantine" not in client.get(reverse("workspace:contributions")).content.decode()
    assert not fake_stripe.sessions


def test_the_return_page_marks_nothing_paid(client, fake_stripe, referent, contribution):
    client.force_login(referent)
    page = client.get(reverse("payments:return", args=[contribution.pk]))
    assert "en cours de confirmation" in page.content.decode()
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.DUE


# --- The webhook ----------------------------------------------------------------------------


def test_a_signed_completion_pays_the_contribution_once(client, fake_stripe, contribution):
    session, event = completed(contribution)

    first = post_event(client, event)
    replay = post_event(client, event)

    assert first.status_code == 200 and replay.status_code == 200
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.method == PaymentMethod.CARD
    assert payment.stripe_checkout_session_id == session["id"]
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.PAID and contribution.paid_cents == YEARLY
    assert StripeEvent.objects.get().processed_at is not None


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "forged body", "stale", "no header"],
)
def test_a_forged_or_stale_signature_is_refused_and_changes_nothing(
    client, fake_stripe, contribution, tamper
):
    _session, event = completed(contribution)
    payload = json.dumps(event).encode()
    header = sign(payload, FAKE_WEBHOOK_SECRET)
    if tamper == "wrong secret":
        header = sign(payload, "whsec_someone_else")
    elif tamper == "forged body":
        payload = payload.replace(b'"paid"', b'"paid" ')
    elif tamper == "stale":
        header = sign(payload, FAKE_WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)
    headers = {} if tamper == "no header" else {"stripe-signature": header}

    response = client.post(WEBHOOK, payload, content_type="application/json", headers=headers)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists() and not Payment.objects.exists()
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.DUE


def test_the_webhook_takes_no_get(client):
    assert client.get(WEBHOOK).status_code == 405


@pytest.mark.parametrize(
    ("amount", "currency"), [(YEARLY - 100, "eur"), (YEARLY, "usd"), (YEARLY + 100, "eur")]
)
def test_a_payment_that_does_not_match_is_disputed_and_staff_are_alerted(
    client, fake_stripe, contribution, django_capture_on_commit_callbacks, amount, currency
):
    UserFactory(staff=True, email="tresorerie@incubateur.example")
    _session, event = completed(contribution, amount=amount, currency=currency)

    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, event).status_code == 200

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.DISPUTED and payment.note
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.DUE and contribution.paid_cents == 0
    assert mail.outbox[0].to == ["tresorerie@incubateur.example"]
    assert "Paiement à vérifier" in mail.outbox[0].subject


def test_a_sepa_debit_is_pending_then_paid(client, fake_stripe, contribution):
    session, event = completed(contribution, payment_status="unpaid")
    post_event(client, event)
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.PENDING
    assert Payment.objects.get().method == PaymentMethod.SEPA_DEBIT

    post_event(client, make_event("checkout.session.async_payment_succeeded", session))

    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.PAID
    assert Payment.objects.get().paid_on is not None


def test_a_failed_sepa_debit_leaves_the_contribution_to_pay_again(
    client, fake_stripe, referent, contribution
):
    session, event = completed(contribution, payment_status="unpaid")
    post_event(client, event)
    post_event(client, make_event("checkout.session.async_payment_failed", session))

    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.FAILED and contribution.paid_cents == 0
    client.force_login(referent)
    assert client.post(reverse("payments:pay", args=[contribution.pk])).status_code == 302


def test_a_refund_gives_the_contribution_back_its_debt(client, fake_stripe, contribution):
    session, event = completed(contribution, payment_intent="pi_123")
    post_event(client, event)

    charge = refunded_charge_object(payment_intent="pi_123", amount=YEARLY)
    post_event(client, make_event("charge.refunded", charge))

    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_cents == YEARLY
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.REFUNDED and contribution.paid_cents == 0


def test_an_unknown_event_is_stored_and_acknowledged(client, fake_stripe):
    response = post_event(client, make_event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert StripeEvent.objects.get().type == "customer.created"
    assert not Payment.objects.exists()


def test_the_reconciliation_applies_missed_events_once(fake_stripe, contribution):
    _session, event = completed(contribution)
    fake_stripe.add_event(event)
    since = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=1)

    call_command("reconcile_stripe", since.date().isoformat(), verbosity=0)
    billing.reconcile_since(since)

    assert Payment.objects.count() == 1
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.PAID


# --- Receipts -------------------------------------------------------------------------------


def test_the_referent_downloads_the_receipt_and_no_one_else(
    client, settings, fake_stripe, contribution
):
    settings.MFA_REQUIRED_FOR_PRIVILEGED = False  # coaches must set MFA up first; not the subject
    post_event(client, completed(contribution)[1])
    payment = Payment.objects.get()
    url = reverse("payments:receipt", args=[payment.pk])
    referent = UserFactory(territory=True)
    contribution.territory.referents.add(referent)

    client.force_login(referent)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

    client.force_login(UserFactory(territory=True))
    assert client.get(url).status_code == 404
    client.force_login(UserFactory(coach=True))
    assert client.get(url).status_code == 404


def test_an_old_session_paid_after_a_transfer_is_disputed_not_counted_twice(
    client, fake_stripe, referent, contribution
):
    client.force_login(referent)
    client.post(reverse("payments:pay", args=[contribution.pk]))  # session for 12 000 €
    (session_id,) = fake_stripe.sessions
    billing.payment_record_manual(
        contribution,
        method=PaymentMethod.BANK_TRANSFER,
        amount_cents=YEARLY,
        paid_on=timezone.localdate(),
        reference="VIR-1",
        recorded_by=None,
    )

    post_event(client, fake_stripe.complete_session(session_id))

    online = Payment.objects.get(stripe_checkout_session_id=session_id)
    assert online.status == PaymentStatus.DISPUTED
    contribution.refresh_from_db()
    assert contribution.paid_cents == YEARLY and contribution.status == ContributionStatus.PAID


def test_staff_accept_a_disputed_payment_that_fits(client, fake_stripe, contribution):
    post_event(client, completed(contribution, amount=YEARLY - 100)[1])
    payment = Payment.objects.get()
    staff = UserFactory(staff=True)

    with pytest.raises(InvalidValue):
        billing.payment_accept_disputed(payment, by=staff, note=" ")
    billing.payment_accept_disputed(payment, by=staff, note="Virement du solde à venir.")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and "Virement du solde" in payment.note
    contribution.refresh_from_db()
    assert contribution.paid_cents == YEARLY - 100 and contribution.status == ContributionStatus.DUE


@pytest.mark.parametrize(("amount", "currency"), [(YEARLY + 100, "eur"), (YEARLY, "usd")])
def test_a_disputed_payment_that_cannot_count_is_not_accepted(
    client, fake_stripe, contribution, amount, currency
):
    post_event(client, completed(contribution, amount=amount, currency=currency)[1])
    payment = Payment.objects.get()

    with pytest.raises(IncubatorError, match="remboursez"):
        billing.payment_accept_disputed(payment, by=UserFactory(staff=True), note="Vu.")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.DISPUTED
    contribution.refresh_from_db()
    assert contribution.paid_cents == 0


def test_the_page_adds_up_what_remains_is_pending_and_is_paid(
    client, fake_stripe, referent, contribution, django_assert_max_num_queries
):
    _session, event = completed(contribution, payment_status="unpaid")  # a SEPA debit
    post_event(client, event)
    client.force_login(referent)
    url = reverse("workspace:contributions")

    page = client.get(url).content.decode().replace("\xa0", " ")  # French number spaces

    assert "En cours : 12 000,00 €" in page
    assert "Reste à payer : 12 000,00 €" in page and "Payé : 0,00 €" in page

    # The same number of queries for one contribution or six, each with a payment, both
    # right after a change (the header's menu is remembered until then).
    public_cache.bump()
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(5):
        cohort = CohortFactory(program__contribution_cents_per_year=YEARLY)
        other = Sponsorship.objects.create(
            startup=StartupFactory(cohort=cohort, incubator=cohort.program.incubator),
            territory=contribution.territory,
            start_date=datetime.date(2026, 1, 1),
        )
        billing.payment_record_manual(
            Contribution.objects.get(sponsorship=other),
            method=PaymentMethod.BANK_TRANSFER,
            amount_cents=1_000_00,
            paid_on=timezone.localdate(),
            reference="VIR",
            recorded_by=None,
        )
    with django_assert_max_num_queries(len(one)):
        assert client.get(url).status_code == 200
