"""Payments of territory contributions: online through Stripe Checkout, or recorded by
staff (bank transfer, administrative mandate), and the Stripe events received.

A contribution's `paid_cents` and `status` are never typed: `programs.billing`
recomputes them from its payments, so the books always agree. Models hold data and
constraints only; every change goes through `programs.billing`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "BillingAccount",
    "NetworkMembership",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "StripeEvent",
]


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Carte bancaire (en ligne)")
    SEPA_DEBIT = "sepa_debit", _("Prélèvement SEPA (en ligne)")
    BANK_TRANSFER = "bank_transfer", _("Virement bancaire")
    ADMINISTRATIVE = "administrative", _("Mandat administratif")


ONLINE_METHODS = frozenset({PaymentMethod.CARD, PaymentMethod.SEPA_DEBIT})


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("En cours")  # a SEPA debit: accepted, funds not arrived yet
    SUCCEEDED = "succeeded", _("Reçu")
    FAILED = "failed", _("Échoué")
    REFUNDED = "refunded", _("Remboursé")
    DISPUTED = "disputed", _("À vérifier")  # did not match the contribution: staff decide


class Payment(models.Model):
    """Money received (or on its way) for one contribution."""

    contribution = models.ForeignKey(
        "programs.Contribution",
        verbose_name=_("contribution"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    method = models.CharField(_("moyen de paiement"), max_length=20, choices=PaymentMethod.choices)
    status = models.CharField(_("état"), max_length=10, choices=PaymentStatus.choices)
    amount_cents = models.PositiveBigIntegerField(_("montant (centimes)"))
    currency = models.CharField(_("devise"), max_length=3, default="eur")
    refunded_cents = models.PositiveBigIntegerField(_("remboursé (centimes)"), default=0)
    paid_on = models.DateField(_("reçu le"), null=True, blank=True)
    reference = models.CharField(
        _("référence"),
        max_length=200,
        blank=True,
        help_text=_("Référence du virement ou numéro du mandat administratif."),
    )
    note = models.TextField(_("remarque"), blank=True)
    stripe_checkout_session_id = models.CharField(
        _("session Stripe Checkout"), max_length=255, null=True, blank=True, unique=True
    )
    stripe_payment_intent_id = models.CharField(
        _("paiement Stripe (PaymentIntent)"), max_length=255, blank=True, db_index=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enregistré par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["contribution", "created", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_cents__lte=models.F("amount_cents")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self):
        return f"{self.receipt_number} — {self.contribution}"

    @property
    def receipt_number(self) -> str:
        """Unique and stable: the year the payment was recorded and its number."""
        return f"R{self.created:%Y}-{self.pk:06d}" if self.pk and self.created else ""

    @property
    def net_cents(self) -> int:
        """What this payment counts towards the contribution."""
        if self.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
            return self.amount_cents - self.refunded_cents
        return 0


class StripeEvent(models.Model):
    """Every Stripe event received, stored by its id: a replay finds it and changes nothing."""

    event_id = models.CharField(_("identifiant Stripe"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    livemode = models.BooleanField(_("mode réel"), default=False)
    payload = models.JSONField(_("contenu"))
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    processed_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    outcome = models.CharField(_("résultat"), max_length=300, blank=True)
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("paiement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stripe_events",
    )

    class Meta:
        verbose_name = _("événement Stripe")
        verbose_name_plural = _("événements Stripe")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.type} {self.event_id}"


class BillingAccount(models.Model):
    """A territory's Stripe customer, created on its first online payment."""

    territory = models.OneToOneField(
        "incubator.Territory",
        verbose_name=_("territoire"),
        on_delete=models.PROTECT,
        related_name="billing_account",
    )
    stripe_customer_id = models.CharField(
        _("client Stripe"), max_length=255, unique=True, null=True, blank=True
    )

    class Meta:
        verbose_name = _("compte de facturation")
        verbose_name_plural = _("comptes de facturation")

    def __str__(self):
        return str(self.territory)


class NetworkMembership(models.Model):
    """A territory's yearly membership of the network, billed each calendar year."""

    territory = models.ForeignKey(
        "incubator.Territory",
        verbose_name=_("territoire"),
        on_delete=models.PROTECT,
        related_name="network_memberships",
    )
    yearly_amount_cents = models.PositiveBigIntegerField(_("cotisation annuelle (centimes)"))
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)

    class Meta:
        verbose_name = _("adhésion au réseau")
        verbose_name_plural = _("adhésions au réseau")
        ordering = ["territory", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="network_membership_dates_ordered",
            )
        ]

    def __str__(self):
        return f"{self.territory} — {self.start_date:%Y}"
