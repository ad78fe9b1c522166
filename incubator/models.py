"""The startup lifecycle: who sponsors what, where each startup stands, and what it learned.

Models hold data, constraints and cheap properties. Every rule that changes
state (phase changes above all) lives in `incubator.services`.
"""

import calendar
import datetime

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from simple_history.models import HistoricalRecords

from incubator.enums import (
    DEFAULT_MAX_DURATION_MONTHS,
    TERMINAL_PHASES,
    AccessibilityCompliance,
    DeploymentStatus,
    ExperimentOutcome,
    FailureReason,
    FailureScope,
    FundingKind,
    IndicatorDirection,
    MembershipRole,
    MilestoneStatus,
    Phase,
    ReportKind,
    ReportStatus,
    ReviewDecision,
    TerritoryKind,
    TransitionKind,
    Visibility,
)
from incubator.exceptions import DeletionForbidden, IncubatorError


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, clamped to the end of shorter months."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


class TimeStampedModel(models.Model):
    created = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        abstract = True


class UndeletableQuerySet(models.QuerySet):
    def delete(self):
        raise DeletionForbidden(self.model)


class ArchivableModel(TimeStampedModel):
    """A record that is archived, never hard-deleted: history is never cut."""

    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise DeletionForbidden(type(self))

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Territory(TimeStampedModel):
    """A local government or State administration that sponsors or hosts startups."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d’URL"), max_length=120, unique=True)
    acronym = models.CharField(_("sigle"), max_length=40, blank=True)
    kind = models.CharField(_("type"), max_length=20, choices=TerritoryKind.choices)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    insee_code = models.CharField(_("code INSEE"), max_length=5, blank=True)
    referents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("référents"),
        blank=True,
        related_name="territories",
    )
    source_id = models.CharField(_("identifiant d’origine"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_id"], condition=~Q(source_id=""), name="territory_unique_source_id"
            )
        ]

    def __str__(self):
        return self.name


class Incubator(TimeStampedModel):
    """An organisation that coaches startups; the platform hosts a network of them."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d’URL"), max_length=120, unique=True)
    description = models.TextField(_("présentation"), blank=True)
    owner = models.ForeignKey(
        Territory,
        verbose_name=_("structure porteuse"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incubators",
    )
    website = models.URLField(_("site web"), blank=True)
    contact_email = models.EmailField(_("e-mail de contact"), blank=True)
    coaches = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coachs"),
        blank=True,
        related_name="coached_incubators",
    )
    source_id = models.CharField(_("identifiant d’origine"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("incubateur")
        verbose_name_plural = _("incubateurs")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Theme(models.Model):
    """A public-policy theme (mobilité, santé…), used to find comparable projects."""

    name = models.CharField(_("nom"), max_length=100, unique=True)
    slug = models.SlugField(_("identifiant d’URL"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("thématique")
        verbose_name_plural = _("thématiques")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Startup(ArchivableModel):
    """A public-sector startup: one problem of the public service, run as an experiment."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d’URL"), max_length=120, unique=True)
    pitch = models.CharField(_("pitch"), max_length=300, blank=True)
    problem = models.TextField(_("problème"), blank=True)
    target_users = models.TextField(_("usagers visés"), blank=True)
    solution_hypothesis = models.TextField(_("hypothèse de solution"), blank=True)
    description = models.TextField(_("présentation détaillée"), blank=True)
    incubator = models.ForeignKey(
        Incubator,
        verbose_name=_("incubateur"),
        on_delete=models.PROTECT,
        related_name="startups",
    )
    cohort = models.ForeignKey(
        "programs.Cohort",
        verbose_name=_("promotion"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="startups",
    )
    sponsors = models.ManyToManyField(
        Territory,
        through="Sponsorship",
        verbose_name=_("territoires sponsors"),
        related_name="sponsored_startups",
    )
    themes = models.ManyToManyField(Theme, verbose_name=_("thématiques"), blank=True)
    website = models.URLField(_("site du service"), max_length=500, blank=True)
    repository = models.URLField(_("code source"), max_length=500, blank=True)
    stats_url = models.URLField(_("statistiques"), max_length=500, blank=True)
    impact_url = models.URLField(_("mesure d’impact"), max_length=500, blank=True)
    budget_url = models.URLField(_("budget"), max_length=500, blank=True)
    accessibility_status = models.CharField(
        _("conformité RGAA"),
        max_length=30,
        blank=True,
        choices=AccessibilityCompliance.choices,
        default=AccessibilityCompliance.UNKNOWN,
    )
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # Denormalised from the last PhaseTransition, written only by
    # incubator.services in the same transaction: list pages read it directly.
    phase = models.CharField(
        _("phase"),
        max_length=20,
        choices=Phase.choices,
        default=Phase.INVESTIGATION,
        editable=False,
    )
    phase_since = models.DateField(_("dans cette phase depuis"), null=True, editable=False)
    # When the current phase should end (program policy); null in terminal phases.
    phase_deadline = models.DateField(_("échéance de la phase"), null=True, editable=False)
    # Last time the team or coach recorded anything: drives "no update for 30 days".
    last_activity_at = models.DateTimeField(_("dernière mise à jour"), null=True, editable=False)
    relaunch_of = models.ForeignKey(
        "self",
        verbose_name=_("relance de"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="relaunches",
        help_text=_("La startup arrêtée dont celle-ci reprend le problème."),
    )
    source_id = models.CharField(_("identifiant d’origine"), max_length=200, blank=True)

    history = HistoricalRecords(excluded_fields=["updated"])

    class Meta:
        verbose_name = _("startup")
        verbose_name_plural = _("startups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_id"], condition=~Q(source_id=""), name="startup_unique_source_id"
            )
        ]
        indexes = [
            models.Index(fields=["phase", "visibility"]),
            models.Index(fields=["phase_deadline"]),
            # The directory's order: its first page reads 12 rows, not all of them.
            models.Index(fields=["name", "id"], name="startup_name_order"),
            # `public_startups()`, a subquery of every public list, and the startups per
            # phase of the home page: read from the index alone.
            models.Index(
                fields=["id", "phase"],
                condition=Q(archived_at__isnull=True, visibility="public"),
                name="startup_public",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def is_terminal(self) -> bool:
        return self.phase in TERMINAL_PHASES

    def max_phase_months(self) -> int | None:
        """How long the current phase may last, with the program's override if any."""
        program = self.cohort.program if self.cohort_id else None
        if program is not None:
            return program.max_duration_months(self.phase)
        return DEFAULT_MAX_DURATION_MONTHS.get(self.phase)

    def compute_phase_deadline(self) -> datetime.date | None:
        months = self.max_phase_months()
        if months is None or self.phase_since is None or self.is_terminal:
            return None
        return add_months(self.phase_since, months)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        deadline = self.phase_deadline
        return deadline is not None and (today or timezone.localdate()) > deadline


def private_storage():
    """Files served only through permission-checked views, never under MEDIA_URL."""
    return storages["private"]


class Sponsorship(TimeStampedModel):
    """A territory's commitment to a startup: money, and the signed letter that makes it real."""

    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="sponsorships")
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territoire"),
        on_delete=models.PROTECT,
        related_name="sponsorships",
    )
    amount_cents = models.PositiveBigIntegerField(_("montant (centimes)"), default=0)
    start_date = models.DateField(_("début"), null=True, blank=True)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    commitment_signed_on = models.DateField(_("engagement signé le"), null=True, blank=True)
    # Private: served only by the workspace's permission-checked view (never under MEDIA_URL).
    commitment_document = models.FileField(
        _("lettre d’engagement"), storage=private_storage, upload_to="engagements/", blank=True
    )
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("parrainage")
        verbose_name_plural = _("parrainages")
        ordering = ["startup", "territory"]
        constraints = [
            models.UniqueConstraint(fields=["startup", "territory"], name="sponsorship_unique"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="sponsorship_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.territory} → {self.startup}"

    def clean(self):
        """A new commitment letter must be a PDF (read from its bytes) of at most 10 Mo."""
        from django.core.exceptions import ValidationError

        from programs.services import MAX_DOCUMENT_BYTES, PDF, detect_document_type

        letter = self.commitment_document
        if not letter or letter._committed:  # nothing new uploaded
            return
        if letter.size > MAX_DOCUMENT_BYTES:
            raise ValidationError(
                {"commitment_document": _("La lettre d’engagement dépasse 10 Mo.")}
            )
        if detect_document_type(letter.file) != PDF:
            raise ValidationError(
                {
                    "commitment_document": _(
                        "La lettre d’engagement doit être un PDF : ce fichier n’en est pas un."
                    )
                }
            )

    @property
    def has_signed_commitment(self) -> bool:
        return self.commitment_signed_on is not None


class Membership(TimeStampedModel):
    """A person's role in a startup over a period; agents record the time they are freed."""

    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personne"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("rôle"), max_length=10, choices=MembershipRole.choices)
    start_date = models.DateField(_("début"), default=timezone.localdate)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    freed_days_per_week = models.DecimalField(
        _("temps libéré (jours par semaine)"),
        max_digits=2,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(5)],
    )

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        ordering = ["startup", "role", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(freed_days_per_week__isnull=True)
                | Q(freed_days_per_week__gte=0, freed_days_per_week__lte=5),
                name="membership_freed_days_range",
            ),
        ]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}, {self.startup})"

    def is_active(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date >= today)


class Funding(TimeStampedModel):
    """Money granted to a startup; feeds the cost ratios of reports."""

    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="fundings")
    funder = models.ForeignKey(
        Territory,
        verbose_name=_("financeur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fundings",
    )
    funder_name = models.CharField(
        _("financeur (texte)"),
        max_length=200,
        blank=True,
        help_text=_("Quand le financeur n’est pas un territoire enregistré."),
    )
    kind = models.CharField(_("nature"), max_length=20, choices=FundingKind.choices)
    amount_cents = models.PositiveBigIntegerField(_("montant (centimes)"))
    start_date = models.DateField(_("début de période"))
    end_date = models.DateField(_("fin de période"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("financement")
        verbose_name_plural = _("financements")
        ordering = ["startup", "start_date"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.startup}"


class Review(ArchivableModel):
    """An investment committee: its decision, conditions, targets and budget for the next period."""

    startup = models.ForeignKey(Startup, on_delete=models.PROTECT, related_name="reviews")
    date = models.DateField(_("date du comité"))
    participants = models.TextField(_("participants"), blank=True)
    decision = models.CharField(_("décision"), max_length=10, choices=ReviewDecision.choices)
    conditions = models.TextField(_("conditions"), blank=True)
    budget_granted_cents = models.PositiveBigIntegerField(_("budget accordé (centimes)"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    # Never shown to the startup's team (journal, cockpit, reports): coaches and staff only.
    coach_notes = models.TextField(_("notes réservées aux coachs"), blank=True)
    next_review_date = models.DateField(_("prochain comité"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saisi par"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated"])

    class Meta:
        verbose_name = _("comité")
        verbose_name_plural = _("comités")
        ordering = ["startup", "-date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_date__isnull=True)
                | Q(next_review_date__gt=models.F("date")),
                name="review_next_after_date",
            )
        ]

    def __str__(self):
        return f"{self.startup} — {self.date:%d/%m/%Y}"


class Indicator(TimeStampedModel):
    """An impact KPI of a startup (users, processing time…), with a target and a direction."""

    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(_("nom"), max_length=200)
    unit = models.CharField(_("unité"), max_length=50, blank=True)
    description = models.TextField(_("définition"), blank=True)
    target = models.DecimalField(_("cible"), max_digits=14, decimal_places=2, null=True, blank=True)
    direction = models.CharField(
        _("sens"), max_length=4, choices=IndicatorDirection.choices, default=IndicatorDirection.UP
    )
    is_public = models.BooleanField(_("publique"), default=True)

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["startup", "name"]

    def __str__(self):
        return f"{self.name} ({self.startup})"


class ReviewTarget(models.Model):
    """A target a committee set on an indicator for the next period."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="targets")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="review_targets"
    )
    target_value = models.DecimalField(_("valeur visée"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("objectif fixé en comité")
        verbose_name_plural = _("objectifs fixés en comité")
        constraints = [
            models.UniqueConstraint(fields=["review", "indicator"], name="review_target_unique")
        ]

    def __str__(self):
        return f"{self.indicator.name} : {self.target_value}"


class Measurement(TimeStampedModel):
    """A dated value of an indicator."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    date = models.DateField(_("date"))
    value = models.DecimalField(_("valeur"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("mesure")
        verbose_name_plural = _("mesures")
        ordering = ["indicator", "date"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "date"], name="measurement_unique_date")
        ]

    def __str__(self):
        return f"{self.indicator.name} {self.date:%d/%m/%Y} : {self.value}"


class PhaseTransition(models.Model):
    """An immutable line of a startup's phase history: from, to, when, who, why."""

    startup = models.ForeignKey(Startup, on_delete=models.PROTECT, related_name="transitions")
    kind = models.CharField(_("nature"), max_length=10, choices=TransitionKind.choices)
    from_phase = models.CharField(
        _("phase de départ"), max_length=20, choices=Phase.choices, blank=True
    )
    to_phase = models.CharField(_("nouvelle phase"), max_length=20, choices=Phase.choices)
    date = models.DateField(_("date de la décision"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidée par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",  # kept for traceability
    )
    review = models.ForeignKey(
        Review,
        verbose_name=_("comité"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transitions",
    )
    rationale = models.TextField(_("justification"))
    # Phase gates: the entry checklist as it stood, and why an unmet one was overridden.
    gate_checklist = models.JSONField(_("critères d’entrée"), default=list, blank=True)
    gate_override_reason = models.TextField(_("motif de dérogation"), blank=True)
    created = models.DateTimeField(_("enregistrée le"), auto_now_add=True)

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("changement de phase")
        verbose_name_plural = _("changements de phase")
        ordering = ["startup", "date", "created", "pk"]
        indexes = [models.Index(fields=["startup", "date"])]

    def __str__(self):
        return f"{self.startup} : {self.from_phase or '—'} → {self.to_phase} ({self.date:%d/%m/%Y})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise DeletionForbidden(type(self), changed=True)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DeletionForbidden(type(self))


class Milestone(TimeStampedModel):
    """A planned step of a startup, later achieved, missed or dropped, with evidence."""

    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("intitulé"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED
    )
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    achieved_on = models.DateField(_("atteint le"), null=True, blank=True)
    evidence_url = models.URLField(_("preuve (lien)"), max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_id = models.CharField(_("identifiant d’origine"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("jalon")
        verbose_name_plural = _("jalons")
        ordering = ["startup", "due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=MilestoneStatus.ACHIEVED) | Q(achieved_on__isnull=False),
                name="milestone_achieved_has_date",
            )
        ]

    def __str__(self):
        return self.title


class Experiment(TimeStampedModel):
    """A hypothesis tested on the ground, in a territory, with a success criterion."""

    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="experiments")
    hypothesis = models.TextField(_("hypothèse"))
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territoire d’expérimentation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="experiments",
    )
    protocol = models.TextField(_("protocole"), blank=True)
    success_criterion = models.TextField(_("critère de réussite"))
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    outcome = models.CharField(
        _("résultat"),
        max_length=15,
        choices=ExperimentOutcome.choices,
        default=ExperimentOutcome.RUNNING,
    )
    learnings = models.TextField(_("enseignements"), blank=True)

    class Meta:
        verbose_name = _("expérimentation")
        verbose_name_plural = _("expérimentations")
        ordering = ["startup", "-start_date"]

    def __str__(self):
        return self.hypothesis[:80]


class Failure(ArchivableModel):
    """What failed and, for a stopped startup, its structured post-mortem."""

    startup = models.ForeignKey(Startup, on_delete=models.PROTECT, related_name="failures")
    scope = models.CharField(_("ce qui a échoué"), max_length=12, choices=FailureScope.choices)
    experiment = models.ForeignKey(
        Experiment,
        verbose_name=_("expérimentation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="failures",
    )
    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("jalon"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="failures",
    )
    occurred_on = models.DateField(_("date"))
    reason = models.CharField(_("cause principale"), max_length=20, choices=FailureReason.choices)
    what_we_learned = models.TextField(_("ce que nous avons appris"), blank=True)
    why_we_stop = models.TextField(_("pourquoi nous arrêtons"), blank=True)
    advice_for_relaunch = models.TextField(_("conseils pour qui relancerait le projet"), blank=True)
    publication_consent = models.BooleanField(
        _("accord pour publier"),
        default=False,
        help_text=_("L’équipe accepte que ce retour d’expérience soit public."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated"])

    class Meta:
        verbose_name = _("échec")
        verbose_name_plural = _("échecs")
        ordering = ["-occurred_on", "pk"]

    def __str__(self):
        return f"{self.startup} — {self.get_scope_display()} ({self.occurred_on:%d/%m/%Y})"

    @property
    def needs_documentation(self) -> bool:
        return self.reason == FailureReason.TO_DOCUMENT


class Lesson(ArchivableModel):
    """A reusable learning; public lessons form the cross-territory library."""

    startup = models.ForeignKey(Startup, on_delete=models.PROTECT, related_name="lessons")
    failure = models.ForeignKey(
        Failure,
        verbose_name=_("échec"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lessons",
    )
    experiment = models.ForeignKey(
        Experiment,
        verbose_name=_("expérimentation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lessons",
    )
    title = models.CharField(_("titre"), max_length=300)
    slug = models.SlugField(_("identifiant d’URL"), max_length=120, unique=True)
    body = models.TextField(_("leçon"))
    themes = models.ManyToManyField(Theme, verbose_name=_("thématiques"), blank=True)
    visibility = models.CharField(
        _("visibilité"), max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated"], m2m_fields=[])

    class Meta:
        verbose_name = _("leçon")
        verbose_name_plural = _("leçons")
        ordering = ["-created", "pk"]
        # The library and the home page show the newest first.
        indexes = [models.Index(fields=["created", "id"], name="lesson_created_order")]

    def __str__(self):
        return self.title


class Deployment(TimeStampedModel):
    """The startup's service in use in a territory: how a solution spreads (essaimage)."""

    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="deployments")
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territoire"),
        on_delete=models.PROTECT,
        related_name="deployments",
    )
    status = models.CharField(
        _("état"), max_length=10, choices=DeploymentStatus.choices, default=DeploymentStatus.ACTIVE
    )
    started_on = models.DateField(_("mis en service le"), null=True, blank=True)
    ended_on = models.DateField(_("arrêté le"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("déploiement")
        verbose_name_plural = _("déploiements")
        ordering = ["startup", "territory"]
        constraints = [
            models.UniqueConstraint(fields=["startup", "territory"], name="deployment_unique")
        ]

    def __str__(self):
        return f"{self.startup} @ {self.territory}"


class GateEvidence(TimeStampedModel):
    """A startup's answer to one entry criterion of a phase gate, with its evidence."""

    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="gate_evidence")
    criterion = models.ForeignKey(
        "programs.PhaseGateCriterion", on_delete=models.CASCADE, related_name="evidence"
    )
    met = models.BooleanField(_("critère rempli"), default=False)
    evidence_url = models.URLField(_("preuve (lien)"), max_length=500, blank=True)
    note = models.TextField(_("commentaire"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("renseigné par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("preuve de critère d’entrée")
        verbose_name_plural = _("preuves de critères d’entrée")
        constraints = [
            models.UniqueConstraint(fields=["startup", "criterion"], name="gate_evidence_unique")
        ]

    def __str__(self):
        return f"{self.startup} — {self.criterion}"


class NotificationLog(models.Model):
    """One notification sent, by a stable key, so a scheduler re-run never sends it twice."""

    key = models.CharField(_("clé"), max_length=200, unique=True)
    sent_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification envoyée")
        verbose_name_plural = _("notifications envoyées")

    def __str__(self):
        return self.key


class Report(models.Model):
    """One generated version of a progress report: who asked, for which period, and its files.

    Once done, its PDF, HTML and checksum never change; generating again makes
    a new version. `incubator.services.reports` runs the lifecycle
    (queued → running → done or failed; a failed one can be retried).
    """

    kind = models.CharField(_("nature"), max_length=20, choices=ReportKind.choices)
    startup = models.ForeignKey(
        Startup, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    cohort = models.ForeignKey(
        "programs.Cohort", null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    territory = models.ForeignKey(
        Territory, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    incubator = models.ForeignKey(
        Incubator, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    subject_name = models.CharField(_("sujet"), max_length=200)
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    is_public = models.BooleanField(
        _("version publique"),
        default=False,
        help_text=_("Sans données privées : elle seule peut être publiée."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandé par"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("demandé le"), auto_now_add=True)

    status = models.CharField(
        _("état"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    error = models.TextField(_("motif de l’échec"), blank=True)
    task_id = models.CharField(_("tâche"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    # Touched at each step: a "running" report whose heartbeat stopped lost its worker.
    heartbeat_at = models.DateTimeField(_("dernier signe de vie"), null=True, blank=True)
    # "host:pid" of the worker process running it: on that host, a dead process is seen at
    # once (`reports_recover` at the worker's restart), without waiting for the heartbeat.
    claimed_by = models.CharField(_("processus"), max_length=150, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    pdf = models.FileField(_("PDF"), storage=private_storage, upload_to="reports/", blank=True)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("taille (octets)"), null=True, blank=True)
    html = models.TextField(_("version web"), blank=True)

    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("publié par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = UndeletableQuerySet.as_manager()

    class Meta:
        verbose_name = _("rapport")
        verbose_name_plural = _("rapports")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["published_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=ReportKind.STARTUP, startup__isnull=False)
                    | Q(kind=ReportKind.COHORT, cohort__isnull=False)
                    | Q(kind=ReportKind.TERRITORY, territory__isnull=False)
                    | Q(kind=ReportKind.INCUBATOR, incubator__isnull=False)
                ),
                name="report_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")), name="report_period_in_order"
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(is_public=True, status="done"),
                name="report_only_public_done_published",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.subject_name} (v{self.version})"

    def save(self, *args, **kwargs):
        # A finished version is immutable: only its publication may change.
        loaded = getattr(self, "_loaded", None)
        if loaded and loaded.get("status") == ReportStatus.DONE:
            for name in ("pdf", "sha256", "html", "period_start", "period_end", "is_public"):
                if name in loaded and loaded[name] != getattr(self, name):
                    raise IncubatorError(
                        _("Un rapport généré ne se modifie pas : générez-en une nouvelle version.")
                    )
        super().save(*args, **kwargs)
        self._loaded = {f.attname: getattr(self, f.attname) for f in self._meta.concrete_fields}

    def delete(self, *args, **kwargs):
        raise DeletionForbidden(type(self))

    @classmethod  # remembers the stored values that save() must not change
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded = dict(zip(field_names, values, strict=True))
        return instance

    @property
    def subject(self):
        return self.startup or self.cohort or self.territory or self.incubator

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def filename(self) -> str:
        return f"rapport-{self.kind}-{self.subject_slug}-v{self.version}.pdf"

    @property
    def subject_slug(self) -> str:
        return self.subject.slug


class PublicDataVersion(models.Model):
    """One row, bumped by every change of data the public site shows.

    Public pages cache their fragments under keys that include this number,
    so a change is visible at once, in every process, whatever the cache
    backend (`incubator.public_cache`).
    """

    version = models.PositiveBigIntegerField(_("version"), default=0)
    changed_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("version des données publiques")
        verbose_name_plural = _("versions des données publiques")

    def __str__(self):
        return str(self.version)
