"""The receipt PDF of a payment: what the territory reads on it, and who gets one."""

import datetime
import io
import subprocess

from django.utils import translation

from wagtail.models import Site

import pytest
from pypdf import PdfReader

from cms.models import SiteIdentity
from incubator.models import Sponsorship
from programs.models import Contribution, ContributionKind
from programs.payments import NetworkMembership, Payment, PaymentMethod, PaymentStatus
from programs.receipts import render_receipt
from tests.factories import StartupFactory, TerritoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def territory():
    return TerritoryFactory(name="Communauté de communes du Val Exemple", siren="200012345")


@pytest.fixture
def contribution(territory):
    startup = StartupFactory(name="Cantine Facile")
    sponsorship = Sponsorship.objects.create(
        startup=startup, territory=territory, amount_cents=1_000_000
    )
    return Contribution.objects.create(
        territory=territory,
        sponsorship=sponsorship,
        kind=ContributionKind.SPONSORSHIP,
        year=2026,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        amount_cents=1_000_000,
        paid_cents=250_000,
        due_date=datetime.date(2026, 3, 31),
    )


def _payment(contribution, **fields) -> Payment:
    values = {
        "method": PaymentMethod.BANK_TRANSFER,
        "status": PaymentStatus.SUCCEEDED,
        "amount_cents": 250_000,
        "paid_on": datetime.date(2026, 2, 12),
        "reference": "VIR-2026-0042",
    } | fields
    return Payment.objects.create(contribution=contribution, **values)


def _text(pdf: bytes, tmp_path) -> str:
    """The words of the PDF, each run of spaces (no-break ones included) made one space."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        ["pdftotext", "-layout", str(path), "-"],  # noqa: S607 - poppler-utils from PATH
        capture_output=True,
        check=True,
        text=True,
    )
    return " ".join(result.stdout.split())


def test_receipt_shows_payment_and_contribution(contribution, tmp_path):
    payment = _payment(contribution)

    text = _text(render_receipt(payment), tmp_path)

    assert f"Reçu de paiement n° {payment.receipt_number}" in text
    assert "Communauté de communes du Val Exemple" in text
    assert "200012345" in text
    assert "Contribution au programme pour la startup Cantine Facile" in text
    assert "du 1er janvier 2026 au 31 décembre 2026" in text
    assert "Montant reçu 2 500,00 €" in text
    assert "Moyen de paiement Virement bancaire" in text
    assert "Reçu le 12 février 2026" in text
    assert "Référence VIR-2026-0042" in text
    assert "Montant dû 10 000,00 €" in text
    assert "Total payé 2 500,00 €" in text
    assert "Reste à payer 7 500,00 €" in text
    assert "Remboursé" not in text
    assert "Il ne vaut pas facture" in text
    assert len(PdfReader(io.BytesIO(render_receipt(payment))).pages) == 1


def test_receipt_of_refunded_payment_shows_refund_and_net(contribution, tmp_path):
    payment = _payment(contribution, status=PaymentStatus.REFUNDED, refunded_cents=50_000)

    text = _text(render_receipt(payment), tmp_path)

    assert "Montant reçu 2 500,00 €" in text
    assert "Remboursé 500,00 €" in text
    assert "Montant net 2 000,00 €" in text


def test_receipt_without_reference_or_siren(contribution, tmp_path):
    contribution.territory.siren = ""
    contribution.territory.save()
    payment = _payment(contribution, method=PaymentMethod.CARD, reference="")

    text = _text(render_receipt(payment), tmp_path)

    assert "Carte bancaire (en ligne)" in text
    assert "Référence" not in text
    assert "SIREN" not in text


def test_receipt_of_network_membership(territory, tmp_path):
    membership = NetworkMembership.objects.create(
        territory=territory, yearly_amount_cents=300_000, start_date=datetime.date(2025, 1, 1)
    )
    contribution = Contribution.objects.create(
        territory=territory,
        network_membership=membership,
        kind=ContributionKind.MEMBERSHIP,
        year=2026,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        amount_cents=300_000,
        paid_cents=300_000,
        due_date=datetime.date(2026, 3, 31),
    )

    text = _text(render_receipt(_payment(contribution, amount_cents=300_000)), tmp_path)

    assert "Adhésion annuelle au réseau" in text
    assert "membre depuis le 1er janvier 2025" in text


def test_receipt_is_issued_by_the_operator_else_the_service(contribution, tmp_path):
    payment = _payment(contribution)
    identity = SiteIdentity.for_site(Site.objects.get(is_default_site=True))
    identity.service_name = "Service Exemple"
    identity.save()

    assert "Service Exemple" in _text(render_receipt(payment), tmp_path)

    identity.operator_name = "Agence Exemple des territoires"
    identity.save()

    assert "Agence Exemple des territoires" in _text(render_receipt(payment), tmp_path)


def test_receipt_metadata(contribution):
    payment = _payment(contribution)

    reader = PdfReader(io.BytesIO(render_receipt(payment)))

    assert reader.metadata.title == f"Reçu de paiement {payment.receipt_number}"
    assert "Communauté de communes du Val Exemple" in reader.metadata.subject
    assert reader.metadata.author == "Territoires Lab"
    assert reader.trailer["/Root"]["/Lang"] == "fr-FR"


def test_receipt_is_french_whatever_the_active_language(contribution, tmp_path):
    with translation.override("en"):
        text = _text(render_receipt(_payment(contribution)), tmp_path)

    assert "du 1er janvier 2026 au 31 décembre 2026" in text
    assert "Il ne vaut pas facture" in text


def test_two_payments_have_different_receipt_numbers(contribution, tmp_path):
    first, second = _payment(contribution), _payment(contribution)

    assert first.receipt_number != second.receipt_number
    assert first.receipt_number in _text(render_receipt(first), tmp_path)
    assert second.receipt_number in _text(render_receipt(second), tmp_path)
    assert first.receipt_number not in _text(render_receipt(second), tmp_path)


@pytest.mark.parametrize(
    "status", [PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.DISPUTED]
)
def test_payment_not_received_has_no_receipt(contribution, status):
    payment = _payment(contribution, status=status)

    with pytest.raises(ValueError, match="no receipt"):
        render_receipt(payment)
