"""Incubation programmes and their cohorts (promotions)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incubator.enums import DEFAULT_MAX_DURATION_MONTHS, Phase
from incubator.models import Incubator, TimeStampedModel


class Program(TimeStampedModel):
    """An incubation programme of an incubator, with its own phase duration policy."""

    incubator = models.ForeignKey(
        Incubator, verbose_name=_("incubateur"), on_delete=models.PROTECT, related_name="programs"
    )
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d’URL"), max_length=120, unique=True)
    description = models.TextField(_("présentation"), blank=True)
    # Empty means the network default (DESIGN §3).
    investigation_months = models.PositiveSmallIntegerField(
        _("durée maximale d’investigation (mois)"), null=True, blank=True
    )
    construction_months = models.PositiveSmallIntegerField(
        _("durée maximale de construction (mois)"), null=True, blank=True
    )
    acceleration_months = models.PositiveSmallIntegerField(
        _("durée maximale d’accélération (mois)"), null=True, blank=True
    )
    consolidation_months = models.PositiveSmallIntegerField(
        _("durée maximale de consolidation (mois)"), null=True, blank=True
    )
    contribution_cents_per_year = models.PositiveBigIntegerField(
        _("contribution annuelle par startup (centimes)"), default=0
    )

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["incubator", "name"]

    def __str__(self):
        return self.name

    def max_duration_months(self, phase: str) -> int | None:
        override = {
            Phase.INVESTIGATION: self.investigation_months,
            Phase.CONSTRUCTION: self.construction_months,
            Phase.ACCELERATION: self.acceleration_months,
            Phase.CONSOLIDATION: self.consolidation_months,
        }.get(phase)
        return override or DEFAULT_MAX_DURATION_MONTHS.get(phase)


class Cohort(TimeStampedModel):
    """A promotion of a programme: startups that start together, followed by the same coaches."""

    program = models.ForeignKey(
        Program, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="cohorts"
    )
    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d’URL"), max_length=120, unique=True)
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    coaches = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("coachs"), blank=True, related_name="cohorts"
    )

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["program", "-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="cohort_dates_ordered",
            )
        ]

    def __str__(self):
        return f"{self.program} — {self.name}"


class GateCriterionKind(models.TextChoices):
    MANUAL = "manual", _("À justifier par une preuve")
    SIGNED_COMMITMENT = "signed_commitment", _("Engagement du sponsor signé")
    FREED_TIME = "freed_time", _("Agent-entrepreneur libéré au moins N jours par semaine")


class PhaseGateCriterion(models.Model):
    """An entry criterion of a phase, editable per programme (e.g. to enter construction)."""

    program = models.ForeignKey(
        Program, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="gate_criteria"
    )
    phase = models.CharField(_("phase d’entrée"), max_length=20, choices=Phase.choices)
    label = models.CharField(_("critère"), max_length=300)
    description = models.TextField(_("précisions"), blank=True)
    kind = models.CharField(
        _("vérification"),
        max_length=20,
        choices=GateCriterionKind.choices,
        default=GateCriterionKind.MANUAL,
    )
    threshold = models.DecimalField(
        _("seuil"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("Pour le temps libéré : nombre minimal de jours par semaine."),
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("critère d’entrée de phase")
        verbose_name_plural = _("critères d’entrée de phase")
        ordering = ["program", "phase", "order", "pk"]

    def __str__(self):
        return self.label

    def clean(self):
        # Nothing is entered by advancing into the first phase or by stopping.
        if self.phase in (Phase.INVESTIGATION, Phase.ABANDONED):
            raise ValidationError(
                {"phase": _("Un critère d’entrée porte sur une phase atteinte par un passage.")}
            )
        if self.kind == GateCriterionKind.FREED_TIME and self.threshold is None:
            raise ValidationError(
                {"threshold": _("Indiquez le nombre minimal de jours libérés par semaine.")}
            )


class ContributionStatus(models.TextChoices):
    DUE = "due", _("À payer")
    PENDING = "pending", _("Paiement en cours")
    PAID = "paid", _("Payée")
    FAILED = "failed", _("Paiement échoué")
    REFUNDED = "refunded", _("Remboursée")
    CANCELLED = "cancelled", _("Annulée")


class ContributionKind(models.TextChoices):
    SPONSORSHIP = "sponsorship", _("Contribution au programme (par startup)")
    MEMBERSHIP = "membership", _("Adhésion annuelle au réseau")


class Contribution(models.Model):
    """What a partner territory owes for a period; payments arrive with the payments work."""

    territory = models.ForeignKey(
        "incubator.Territory",
        verbose_name=_("territoire"),
        on_delete=models.PROTECT,
        related_name="contributions",
    )
    sponsorship = models.ForeignKey(
        "incubator.Sponsorship",
        verbose_name=_("parrainage"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contributions",
    )
    network_membership = models.ForeignKey(
        "programs.NetworkMembership",
        verbose_name=_("adhésion au réseau"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contributions",
    )
    kind = models.CharField(_("nature"), max_length=20, choices=ContributionKind.choices)
    year = models.PositiveSmallIntegerField(_("exercice"))
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    amount_cents = models.PositiveBigIntegerField(_("montant dû (centimes)"))
    paid_cents = models.PositiveBigIntegerField(_("montant payé (centimes)"), default=0)
    due_date = models.DateField(_("échéance"))
    status = models.CharField(
        _("état"), max_length=10, choices=ContributionStatus.choices, default=ContributionStatus.DUE
    )
    cancellation_reason = models.TextField(_("motif d’annulation"), blank=True)
    created = models.DateTimeField(_("créée le"), auto_now_add=True)
    # The open Stripe Checkout Session, reused until it expires: one per contribution.
    checkout_session_id = models.CharField(max_length=255, blank=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    checkout_expires_at = models.DateTimeField(null=True, blank=True)
    checkout_amount_cents = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["territory", "-due_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="contribution_period_ordered",
            ),
            # The yearly run can be replayed: one contribution per source and year.
            models.UniqueConstraint(
                fields=["sponsorship", "year"],
                condition=Q(sponsorship__isnull=False),
                name="contribution_once_per_sponsorship_year",
            ),
            models.UniqueConstraint(
                fields=["network_membership", "year"],
                condition=Q(network_membership__isnull=False),
                name="contribution_once_per_membership_year",
            ),
        ]

    def __str__(self):
        return f"{self.territory} — {self.get_kind_display()} {self.period_start:%Y}"

    def save(self, *args, **kwargs):
        if self.year is None and self.period_start:  # the year its period starts in
            self.year = self.period_start.year
        super().save(*args, **kwargs)

    @property
    def remaining_cents(self) -> int:
        return max(self.amount_cents - self.paid_cents, 0)


# Calls for projects and payments live in their own modules; imported here so Django sees them.
from programs.calls import *  # noqa: E402, F403
from programs.payments import *  # noqa: E402, F403
