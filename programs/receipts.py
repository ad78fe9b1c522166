"""The receipt (reçu de paiement) of a payment received for a contribution, as a PDF.

    render_receipt(payment) -> bytes

One A4 page in French, with the report toolkit. A receipt attests money received;
it is not an invoice.
"""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wagtail.models import Site

from reportlab.platypus import Spacer

from cms.models import SiteIdentity
from incubator.reports.data import PLATFORM_NAME
from incubator.reports.formatting import fr_date, fr_euros, fr_period
from incubator.reports.pdf import _title_block
from incubator.reports.pdf_kit import Kit, build_pdf, font_set
from programs.models import Contribution
from programs.payments import Payment, PaymentStatus

RECEIPT_STATUSES = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED})


def _operator_name() -> str:
    """Who issues the receipt: the operator of the default site, else its service name."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return PLATFORM_NAME
    identity = SiteIdentity.for_site(site)
    return identity.operator_name or identity.service_name


def _purpose(contribution: Contribution) -> str:
    if contribution.sponsorship_id:
        return _("Contribution au programme pour la startup %(startup)s") % {
            "startup": contribution.sponsorship.startup.name
        }
    if contribution.network_membership_id:
        return _("Adhésion au réseau, membre depuis le %(date)s") % {
            "date": fr_date(contribution.network_membership.start_date)
        }
    return contribution.get_kind_display()


def _payment_rows(payment: Payment) -> list[tuple[str, str]]:
    rows = [
        (_("Montant reçu"), fr_euros(payment.amount_cents)),
        (_("Moyen de paiement"), payment.get_method_display()),
        (_("Reçu le"), fr_date(payment.paid_on)),
    ]
    if payment.reference:
        rows.append((_("Référence"), payment.reference))
    if payment.refunded_cents > 0:
        rows += [
            (_("Remboursé"), fr_euros(payment.refunded_cents)),
            (_("Montant net"), fr_euros(payment.net_cents)),
        ]
    return rows


def render_receipt(payment: Payment) -> bytes:
    """The receipt of a received (possibly since refunded) payment, as PDF bytes.

    Raises ValueError for a payment that was not received: it has no receipt.
    """
    payment = Payment.objects.select_related(
        "contribution__territory",
        "contribution__sponsorship__startup",
        "contribution__network_membership",
    ).get(pk=payment.pk)
    if payment.status not in RECEIPT_STATUSES:
        raise ValueError(f"Payment {payment.pk} is {payment.status}: it has no receipt.")
    contribution = payment.contribution
    territory = contribution.territory
    number = payment.receipt_number
    today = timezone.localdate()

    with translation.override(settings.LANGUAGE_CODE):
        kit = Kit(font_set())
        operator = _operator_name()
        purpose = _purpose(contribution)
        period = fr_period(contribution.period_start, contribution.period_end)
        pairs = [(_("Émis par"), operator), (_("Reçu de"), territory.name)]
        if territory.siren:
            pairs.append((_("SIREN"), territory.siren))
        pairs += [
            (_("Nature"), contribution.get_kind_display()),
            (_("Objet"), purpose),
            (_("Période"), period),
        ]
        story = _title_block(
            kit,
            kicker=operator,
            title=_("Reçu de paiement n° %(number)s") % {"number": number},
            subtitle="",
            pairs=pairs,
        )
        story += kit.heading(_("Paiement"))
        story.append(kit.key_values(_payment_rows(payment)))
        story += kit.heading(
            _("Situation de la contribution au %(date)s") % {"date": fr_date(today)}
        )
        story.append(
            kit.key_values(
                [
                    (_("Montant dû"), fr_euros(contribution.amount_cents)),
                    (_("Total payé"), fr_euros(contribution.paid_cents)),
                    (_("Reste à payer"), fr_euros(contribution.remaining_cents)),
                ]
            )
        )
        story += [
            Spacer(1, 18),
            kit.p(_("Ce reçu atteste la réception du paiement. Il ne vaut pas facture.")),
        ]
        return build_pdf(
            story,
            kit=kit,
            title=_("Reçu de paiement %(number)s") % {"number": number},
            subject=_("Paiement reçu de %(territory)s : %(purpose)s, %(period)s")
            % {"territory": territory.name, "purpose": purpose, "period": period},
            footer_name=operator,
            footer_rest=_("Reçu n° %(number)s") % {"number": number},
            generated_on=today,
        )
