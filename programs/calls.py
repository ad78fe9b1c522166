"""Calls for projects, applications and their selection (DESIGN §3: an accepted
Application becomes a Startup in a Cohort).

Models hold data and constraints only; every change goes through
`programs.services`.
"""

import datetime
import pathlib
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.models import Orderable

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from incubator.models import Startup, Territory, Theme, TimeStampedModel, private_storage
from programs.models import Cohort, Program

__all__ = [
    "APPLICATION_TRANSITIONS",
    "DECIDED_STATUSES",
    "MAX_SCORE",
    "SENT_STATUSES",
    "Application",
    "ApplicationAnswer",
    "ApplicationComment",
    "ApplicationDocument",
    "ApplicationScore",
    "ApplicationStatus",
    "CallForProjects",
    "CallQuestion",
    "QuestionKind",
    "SelectionCriterion",
]

MAX_SCORE = 5


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Texte court")
    LONG_TEXT = "long_text", _("Texte long")
    CHOICE = "choice", _("Choix dans une liste")
    YES_NO = "yes_no", _("Oui / non")
    FILE = "file", _("Pièce jointe")


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Envoyée")
    SHORTLISTED = "shortlisted", _("Présélectionnée")
    ACCEPTED = "accepted", _("Retenue")
    REJECTED = "rejected", _("Non retenue")


# The legal moves of an application; nothing else assigns `Application.status`.
APPLICATION_TRANSITIONS = {
    ApplicationStatus.DRAFT: {ApplicationStatus.SUBMITTED},
    ApplicationStatus.SUBMITTED: {
        ApplicationStatus.SHORTLISTED,
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.REJECTED,
    },
    ApplicationStatus.SHORTLISTED: {ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED},
    ApplicationStatus.ACCEPTED: set(),
    ApplicationStatus.REJECTED: set(),
}
DECIDED_STATUSES = frozenset({ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED})
SENT_STATUSES = frozenset(set(ApplicationStatus) - {ApplicationStatus.DRAFT})


class CallForProjects(ClusterableModel, TimeStampedModel):
    """An open call of a programme: applications are written, then sent before `closes_at`."""

    program = models.ForeignKey(
        Program, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="calls"
    )
    title = models.CharField(_("titre"), max_length=200)
    slug = models.SlugField(_("identifiant d’URL"), max_length=120, unique=True)
    introduction = models.TextField(_("présentation"), blank=True)
    opens_on = models.DateField(_("ouverture le"))
    closes_at = models.DateTimeField(
        _("clôture le"), help_text=_("Date et heure de Paris au-delà desquelles rien ne s’envoie.")
    )

    class Meta:
        verbose_name = _("appel à projets")
        verbose_name_plural = _("appels à projets")
        ordering = ["-opens_on", "title"]

    def __str__(self):
        return self.title

    def is_open(self, now: datetime.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.opens_on <= timezone.localdate(now) and now < self.closes_at


class CallQuestion(Orderable):
    """A question of the call's form, in the order set in the admin (`sort_order`)."""

    call = ParentalKey(
        CallForProjects,
        verbose_name=_("appel à projets"),
        on_delete=models.CASCADE,
        related_name="questions",
    )
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("aide"), max_length=500, blank=True)
    kind = models.CharField(
        _("type de réponse"), max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT
    )
    choices = models.TextField(
        _("choix possibles"), blank=True, help_text=_("Un choix par ligne (type « choix »).")
    )
    required = models.BooleanField(_("obligatoire"), default=True)

    class Meta(Orderable.Meta):
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.label

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class SelectionCriterion(models.Model):
    """A scoring criterion of a programme's selection committee."""

    program = models.ForeignKey(
        Program,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="selection_criteria",
    )
    label = models.CharField(_("critère"), max_length=300)
    description = models.TextField(_("précisions"), blank=True)
    weight = models.PositiveSmallIntegerField(
        _("poids"), default=1, validators=[MinValueValidator(1)]
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("critère de sélection")
        verbose_name_plural = _("critères de sélection")
        ordering = ["program", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="selection_criterion_weight")
        ]

    def __str__(self):
        return self.label


class Application(TimeStampedModel):
    """A project proposed to a call by an agent, from draft to the committee's decision."""

    call = models.ForeignKey(
        CallForProjects,
        verbose_name=_("appel à projets"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("candidat·e"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    title = models.CharField(_("titre du projet"), max_length=200)
    problem_statement = models.TextField(_("problème à résoudre"), blank=True)
    themes = models.ManyToManyField(Theme, verbose_name=_("thématiques"), blank=True)
    sponsor_territory = models.ForeignKey(
        Territory,
        verbose_name=_("territoire sponsor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    sponsor_contact_name = models.CharField(
        _("contact chez le sponsor"), max_length=200, blank=True
    )
    sponsor_contact_email = models.EmailField(_("e-mail du contact"), blank=True)
    sponsor_contact_role = models.CharField(_("fonction du contact"), max_length=200, blank=True)
    status = models.CharField(
        _("état"), max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidée par"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_reason = models.TextField(_("motif de la décision"), blank=True)
    cohort = models.ForeignKey(
        Cohort,
        verbose_name=_("promotion"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    first_review_date = models.DateField(
        _("premier comité prévu"),
        null=True,
        blank=True,
        help_text=_("Fixé à l’acceptation, avant que la startup ait tenu son premier comité."),
    )
    startup = models.OneToOneField(
        Startup,
        verbose_name=_("startup"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
    )

    class Meta:
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        ordering = ["call", "-submitted_at", "-created"]
        constraints = [
            # Drafts may repeat; a sent application exists once (no double submission).
            models.UniqueConstraint(
                fields=["call", "applicant", "title"],
                condition=~Q(status=ApplicationStatus.DRAFT),
                name="application_sent_once",
            ),
            models.CheckConstraint(
                condition=Q(status=ApplicationStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="application_sent_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=ApplicationStatus.ACCEPTED)
                | Q(startup__isnull=False, cohort__isnull=False, decided_at__isnull=False),
                name="application_accepted_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status=ApplicationStatus.REJECTED)
                | (Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="application_rejected_has_reason",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == ApplicationStatus.DRAFT

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED_STATUSES


class ApplicationAnswer(models.Model):
    """The answer to one question of the call: text, yes/no or one of the choices."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="answers")
    # PROTECT: a question answered by someone is not deleted under their feet.
    question = models.ForeignKey(
        CallQuestion,
        verbose_name=_("question"),
        on_delete=models.PROTECT,
        related_name="answers",
    )
    text = models.TextField(_("réponse"), blank=True)
    boolean = models.BooleanField(_("oui / non"), null=True, blank=True)
    choice = models.CharField(_("choix"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("réponse")
        verbose_name_plural = _("réponses")
        ordering = ["application", "question__sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "question"], name="application_answer_unique"
            )
        ]

    def __str__(self):
        return f"{self.question} — {self.value}"

    @property
    def value(self):
        if self.boolean is not None:
            return self.boolean
        return self.choice or self.text


def application_document_path(instance, filename: str) -> str:
    # Never the uploaded name: it may be anything; the original is kept in a column.
    suffix = pathlib.PurePath(filename).suffix.lower()[:10]
    return f"candidatures/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class ApplicationDocument(models.Model):
    """A file attached to an application (PDF, ODT or DOCX, checked by content)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(
        _("fichier"), storage=private_storage, upload_to=application_document_path, max_length=200
    )
    original_name = models.CharField(_("nom d’origine"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposé par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created = models.DateTimeField(_("déposé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["application", "created", "pk"]

    def __str__(self):
        return self.original_name


class ApplicationScore(TimeStampedModel):
    """A coach's score of an application on one selection criterion (0 to 5)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(
        SelectionCriterion,
        verbose_name=_("critère"),
        on_delete=models.PROTECT,
        related_name="scores",
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coach"),
        on_delete=models.PROTECT,
        related_name="application_scores",
    )
    score = models.PositiveSmallIntegerField(
        _("note"), validators=[MinValueValidator(0), MaxValueValidator(MAX_SCORE)]
    )

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["application", "criterion", "coach"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "criterion", "coach"], name="application_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=MAX_SCORE), name="application_score_range"
            ),
        ]

    def __str__(self):
        return f"{self.application} — {self.criterion} : {self.score}"


class ApplicationComment(models.Model):
    """A remark of the selection committee on an application (never shown to the applicant)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = models.TextField(_("commentaire"))
    created = models.DateTimeField(_("écrit le"), auto_now_add=True)

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["application", "created", "pk"]

    def __str__(self):
        return f"{self.author} — {self.application}"
