"""A territory référent pays a contribution online, in real Chromium, against the fake Stripe."""

import datetime
import json
import re

from django.test import Client

import pytest

from incubator.models import Sponsorship
from programs.models import Contribution, ContributionStatus
from tests.e2e.test_workspace_journeys import log_in
from tests.factories import CohortFactory, StartupFactory, TerritoryFactory, UserFactory
from tests.payments.conftest import FAKE_WEBHOOK_SECRET
from tests.payments.fake_stripe import sign

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_referent_pays_online_and_downloads_the_receipt(page, fake_stripe, assert_accessible):
    territory = TerritoryFactory(name="Ville de Millau", slug="millau")
    referent = UserFactory(territory=True, display_name="Thérèse Référente")
    territory.referents.add(referent)
    cohort = CohortFactory(program__contribution_cents_per_year=12_000_00)
    startup = StartupFactory(cohort=cohort, incubator=cohort.program.incubator, name="Cantine")
    Sponsorship.objects.create(
        startup=startup, territory=territory, start_date=datetime.date(2026, 1, 1)
    )
    contribution = Contribution.objects.get()

    log_in(page, referent)
    page.goto("/espace/territoire/contributions/")
    page.get_by_text("Reste à payer : 12 000,00 €").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Payer")).click()

    # Stripe's hosted page (the fake one): the session is for what remains.
    page.wait_for_url(re.compile(r"/checkout/cs_test_"))
    (session_id,) = fake_stripe.sessions
    assert fake_stripe.sessions[session_id]["amount_total"] == 12_000_00
    # The card is accepted: Stripe calls the webhook, signed.
    event = fake_stripe.complete_session(session_id)
    payload = json.dumps(event).encode()
    response = Client().post(
        "/paiements/stripe/webhook/",
        payload,
        content_type="application/json",
        headers={"stripe-signature": sign(payload, FAKE_WEBHOOK_SECRET)},
    )
    assert response.status_code == 200
    page.goto(f"/paiements/contributions/{contribution.pk}/retour/")
    page.get_by_role("heading", name=re.compile("en cours de confirmation")).wait_for()
    page.get_by_role("link", name="Retour aux contributions").click()

    page.get_by_text("Payée", exact=True).first.wait_for()
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.PAID
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Reçu R")).click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.value.suggested_filename.startswith("recu-R")
