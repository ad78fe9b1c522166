"""The only writers of calls for projects, applications and their selection.

Each function is one transaction; a broken rule raises `IncubatorError` (or
`InvalidValue` for one input) with a French message, and nothing is written.
E-mails leave after commit, once per key (`incubator.notifications.send_once`).
"""

import datetime
import hashlib
import pathlib
import re
import zipfile
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from incubator import notifications
from incubator import services as incubator_services
from incubator.enums import MembershipRole, Phase, Visibility
from incubator.exceptions import IncubatorError, InvalidValue
from incubator.models import Lesson, Membership, Sponsorship, Theme
from incubator.search import LESSON_SEARCH_FIELDS, STOP_WORDS, search
from incubator.selectors import public_lessons
from programs.calls import (
    APPLICATION_TRANSITIONS,
    MAX_SCORE,
    Application,
    ApplicationAnswer,
    ApplicationComment,
    ApplicationDocument,
    ApplicationScore,
    ApplicationStatus,
    CallForProjects,
    QuestionKind,
    SelectionCriterion,
)
from programs.models import Cohort
from programs.permissions import can_review_application

__all__ = [
    "MAX_DOCUMENTS",
    "MAX_DOCUMENT_BYTES",
    "DRAFT_FIELDS",
    "application_save_draft",
    "application_add_document",
    "application_remove_document",
    "application_submit",
    "application_score",
    "application_score_many",
    "application_comment",
    "application_shortlist",
    "application_reject",
    "application_accept",
    "closest_lessons",
    "detect_document_type",
]

MAX_DOCUMENTS = 3
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# A real ODT/DOCX holds tens to a few hundred entries: more is refused unread.
MAX_ZIP_ENTRIES = 500
MAX_ZIP_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_MANIFEST_BYTES = 512 * 1024

PDF = "application/pdf"
ODT = "application/vnd.oasis.opendocument.text"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_EXTENSIONS = {PDF: ".pdf", ODT: ".odt", DOCX: ".docx"}
_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"

# What an applicant may write on a draft (besides `answers`).
DRAFT_FIELDS = frozenset(
    {
        "title",
        "problem_statement",
        "themes",
        "sponsor_territory",
        "sponsor_contact_name",
        "sponsor_contact_email",
        "sponsor_contact_role",
    }
)
_TEXT_FIELDS = DRAFT_FIELDS - {"themes", "sponsor_territory"}


# --- Shared checks ----------------------------------------------------------------------


def _format_deadline(moment: datetime.datetime) -> str:
    return date_format(timezone.localtime(moment), "j F Y à H\\hi")


def _require_open(call: CallForProjects, now: datetime.datetime) -> None:
    if call.is_open(now):
        return
    if now >= call.closes_at:
        raise IncubatorError(
            _("Les candidatures sont closes depuis le %(date)s.")
            % {"date": _format_deadline(call.closes_at)}
        )
    raise IncubatorError(
        _("L’appel à projets ouvre le %(date)s.") % {"date": date_format(call.opens_on, "j F Y")}
    )


def _require_applicant(application: Application, user) -> None:
    if user is None or application.applicant_id != user.pk:
        raise IncubatorError(_("Seule la personne qui a écrit la candidature peut la modifier."))


def _require_draft(application: Application) -> None:
    if application.status != ApplicationStatus.DRAFT:
        raise IncubatorError(_("Une candidature envoyée ne se modifie plus."))


def _require_reviewer(application: Application, user) -> None:
    if not can_review_application(user, application):
        raise IncubatorError(
            _("Seuls les coachs du programme « %(program)s » examinent cette candidature.")
            % {"program": application.call.program}
        )


def _require_move(application: Application, to_status: ApplicationStatus) -> None:
    current = ApplicationStatus(application.status)
    if to_status in APPLICATION_TRANSITIONS[current]:
        return
    if current == ApplicationStatus.DRAFT:
        raise IncubatorError(_("Cette candidature n’a pas encore été envoyée."))
    if current in (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED):
        raise IncubatorError(
            _("Cette candidature a déjà été décidée (« %(status)s ») : la décision est définitive.")
            % {"status": current.label}
        )
    raise IncubatorError(
        _("Une candidature « %(from)s » ne peut pas passer à « %(to)s ».")
        % {"from": current.label, "to": to_status.label}
    )


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("call__program__incubator", "applicant")
        .get(pk=application.pk)
    )


# --- E-mails ----------------------------------------------------------------------------


def _message(template: str, context: dict, recipient) -> EmailMessage:
    """One e-mail in French from `programs/emails/<template>_{subject,body}.txt`."""
    context = {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "recipient_name": recipient.display_name or recipient.first_name or "",
        "home_url": notifications.absolute_url("workspace:home"),
        **context,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"programs/emails/{template}_subject.txt", context)
        body = render_to_string(f"programs/emails/{template}_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=re.sub(r"\n\s*\n(\s*\n)+", "\n\n", body).strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _email_applicant_on_commit(template: str, application: Application, **context) -> None:
    """E-mail the applicant after commit, once per (template, application)."""
    application_id = application.pk

    def send():
        app = Application.objects.select_related(
            "applicant", "call__program", "cohort", "startup"
        ).get(pk=application_id)
        if not app.applicant.email or not app.applicant.is_active:
            return  # a deleted account (« ancien membre ») keeps no address to write to
        links = {
            "application_url": notifications.absolute_url("workspace:application_edit", app.pk)
        }
        if app.startup_id:
            links["startup_url"] = notifications.absolute_url(
                "workspace:startup_detail", app.startup.slug
            )
        message = _message(
            template, {"application": app, "call": app.call, **links, **context}, app.applicant
        )
        notifications.send_once(f"application-{template}:{application_id}", [message])

    transaction.on_commit(send)


# --- Applicant: drafts, documents, submission ------------------------------------------


def _clean_fields(fields: Mapping) -> dict:
    unknown = set(fields) - DRAFT_FIELDS
    if unknown:
        raise TypeError(f"Unknown application fields: {', '.join(sorted(unknown))}")
    cleaned = dict(fields)
    for name in _TEXT_FIELDS & set(cleaned):
        cleaned[name] = (cleaned[name] or "").strip()
    if "title" in cleaned and not cleaned["title"]:
        raise InvalidValue(_("Donnez un titre à votre projet."), field="title")
    if cleaned.get("title") and len(cleaned["title"]) > 200:
        raise InvalidValue(_("Le titre ne dépasse pas 200 caractères."), field="title")
    email = cleaned.get("sponsor_contact_email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidValue(
                _("L’adresse e-mail du contact n’est pas valide."), field="sponsor_contact_email"
            ) from None
    return cleaned


def _save_answers(application: Application, answers: Mapping) -> None:
    questions = {q.pk: q for q in application.call.questions.all()}
    for question_id, value in answers.items():
        try:
            question = questions.get(int(question_id))
        except (TypeError, ValueError):
            question = None
        if question is None:
            raise InvalidValue(_("Cette question n’appartient pas à l’appel."), field="answers")
        if question.kind == QuestionKind.FILE:
            raise InvalidValue(
                _("« %(label)s » se répond en joignant un document.") % {"label": question.label},
                field=f"question_{question.pk}",
            )
        if value is None or (isinstance(value, str) and not value.strip()):
            ApplicationAnswer.objects.filter(application=application, question=question).delete()
            continue
        stored = {"text": "", "boolean": None, "choice": ""}
        if question.kind == QuestionKind.YES_NO:
            if not isinstance(value, bool):
                raise InvalidValue(
                    _("Répondez par oui ou par non."), field=f"question_{question.pk}"
                )
            stored["boolean"] = value
        elif question.kind == QuestionKind.CHOICE:
            value = str(value).strip()
            if value not in question.choice_list():
                raise InvalidValue(
                    _("« %(value)s » ne fait pas partie des choix proposés.") % {"value": value},
                    field=f"question_{question.pk}",
                )
            stored["choice"] = value
        else:
            stored["text"] = str(value).strip()
        ApplicationAnswer.objects.update_or_create(
            application=application, question=question, defaults=stored
        )


@transaction.atomic
def application_save_draft(
    application: Application | None = None,
    *,
    call: CallForProjects,
    applicant,
    answers: Mapping[int, object] | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Application:
    """Create or update a draft while the call is open.

    `fields` among `DRAFT_FIELDS` (`themes` is an iterable of Theme, replaced
    as a whole); `answers` maps question ids to a str, a bool (yes/no) or one
    of the choices; an empty value removes the answer.
    """
    now = now or timezone.now()
    cleaned = _clean_fields(fields)
    themes = cleaned.pop("themes", None)
    if application is None:
        _require_open(call, now)
        if not cleaned.get("title"):
            raise InvalidValue(_("Donnez un titre à votre projet."), field="title")
        application = Application.objects.create(call=call, applicant=applicant, **cleaned)
    else:
        application = _locked(application)
        if application.call_id != call.pk:
            raise IncubatorError(_("Cette candidature répond à un autre appel à projets."))
        _require_applicant(application, applicant)
        _require_draft(application)
        _require_open(call, now)
        for name, value in cleaned.items():
            setattr(application, name, value)
        application.save()
    if themes is not None:
        application.themes.set(themes)
    if answers:
        _save_answers(application, answers)
    return application


def _zip_type(uploaded_file) -> str | None:
    """ODT or DOCX from the archive's manifest, read without extracting anything."""
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                return None
            if sum(entry.file_size for entry in entries) > MAX_ZIP_UNCOMPRESSED_BYTES:
                return None
            by_name = {entry.filename: entry for entry in entries}
            mimetype = by_name.get("mimetype")
            if mimetype is not None and mimetype.file_size <= 100:
                with archive.open(mimetype) as stream:
                    if stream.read(101).strip() == ODT.encode():
                        return ODT
            manifest = by_name.get("[Content_Types].xml")
            if manifest is not None and manifest.file_size <= MAX_MANIFEST_BYTES:
                with archive.open(manifest) as stream:
                    content = stream.read(MAX_MANIFEST_BYTES + 1)
                if _DOCX_MAIN in content and "word/document.xml" in by_name:
                    return DOCX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError):
        return None
    except (EOFError, ValueError):
        return None
    return None


def detect_document_type(uploaded_file) -> str | None:
    """The content type of a PDF, ODT or DOCX, read from its bytes; None for anything else."""
    uploaded_file.seek(0)
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(uploaded_file)
    return None


def _sha256(uploaded_file) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in iter(lambda: uploaded_file.read(64 * 1024), b""):
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


@transaction.atomic
def application_add_document(
    application: Application, *, uploaded_file, user, now: datetime.datetime | None = None
) -> ApplicationDocument:
    """Attach a PDF, ODT or DOCX (checked by content) of at most 10 Mo; 3 per application."""
    now = now or timezone.now()
    application = _locked(application)
    _require_applicant(application, user)
    _require_draft(application)
    _require_open(application.call, now)
    if application.documents.count() >= MAX_DOCUMENTS:
        raise InvalidValue(
            _("Une candidature compte au plus %(count)s pièces jointes.")
            % {"count": MAX_DOCUMENTS},
            field="file",
        )
    size = uploaded_file.size
    if size is None or size > MAX_DOCUMENT_BYTES:
        raise InvalidValue(_("Un document ne dépasse pas 10 Mo."), field="file")
    if size == 0:
        raise InvalidValue(_("Ce document est vide."), field="file")
    content_type = detect_document_type(uploaded_file)
    if content_type is None:
        raise InvalidValue(
            _(
                "Ce fichier n’est ni un PDF, ni un document OpenDocument (.odt), ni un document "
                "Word (.docx) : seuls ces formats sont acceptés, quel que soit le nom du fichier."
            ),
            field="file",
        )
    original_name = pathlib.PurePath(uploaded_file.name or "").name[:255] or _("document")
    document = ApplicationDocument(
        application=application,
        original_name=original_name,
        content_type=content_type,
        size=size,
        sha256=_sha256(uploaded_file),
        uploaded_by=user,
    )
    document.file.save("document" + _EXTENSIONS[content_type], File(uploaded_file), save=False)
    stored_name = document.file.name
    try:
        document.save()
    except Exception:
        document.file.storage.delete(stored_name)
        raise
    return document


@transaction.atomic
def application_remove_document(document: ApplicationDocument, *, user, now=None) -> None:
    """Remove an attachment of a draft; the file goes once the removal is committed."""
    now = now or timezone.now()
    application = _locked(document.application)
    _require_applicant(application, user)
    _require_draft(application)
    _require_open(application.call, now)
    storage, name = document.file.storage, document.file.name
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


def _missing_answers(application: Application) -> list[str]:
    answered = set(
        application.answers.exclude(text="", boolean__isnull=True, choice="").values_list(
            "question_id", flat=True
        )
    )
    has_documents = application.documents.exists()
    missing = []
    for question in application.call.questions.filter(required=True):
        if question.kind == QuestionKind.FILE:
            if not has_documents:
                missing.append(question.label)
        elif question.pk not in answered:
            missing.append(question.label)
    return missing


@transaction.atomic
def application_submit(
    application: Application, *, user, now: datetime.datetime | None = None
) -> Application:
    """Send a complete draft before the call closes; the applicant gets an acknowledgement."""
    now = now or timezone.now()
    application = _locked(application)
    _require_applicant(application, user)
    if application.status != ApplicationStatus.DRAFT:
        raise IncubatorError(_("Cette candidature a déjà été envoyée."))
    _require_open(application.call, now)
    if application.sponsor_territory_id is None:
        raise InvalidValue(
            _("Indiquez le territoire qui soutient le projet."), field="sponsor_territory"
        )
    if not application.sponsor_contact_name:
        raise InvalidValue(
            _("Indiquez le nom de votre contact chez le territoire sponsor."),
            field="sponsor_contact_name",
        )
    if not application.sponsor_contact_email:
        raise InvalidValue(
            _("Indiquez l’e-mail de votre contact chez le territoire sponsor."),
            field="sponsor_contact_email",
        )
    if not application.problem_statement:
        raise InvalidValue(
            _("Décrivez le problème que le projet veut résoudre."), field="problem_statement"
        )
    missing = _missing_answers(application)
    if missing:
        raise InvalidValue(
            _("Répondez aux questions obligatoires : %(questions)s.")
            % {"questions": " ; ".join(f"« {label} »" for label in missing)},
            field="answers",
        )
    duplicate = (
        Application.objects.filter(
            call=application.call_id,
            applicant=application.applicant_id,
            title__iexact=application.title,
        )
        .exclude(status=ApplicationStatus.DRAFT)
        .exclude(pk=application.pk)
    )
    if duplicate.exists():
        raise IncubatorError(
            _("Vous avez déjà envoyé une candidature « %(title)s » à cet appel.")
            % {"title": application.title}
        )
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = now
    application.save(update_fields=["status", "submitted_at", "updated"])
    _email_applicant_on_commit("application_submitted", application)
    return application


# --- Selection committee ---------------------------------------------------------------


@transaction.atomic
def application_score(
    application: Application, *, coach, criterion: SelectionCriterion, score: int
) -> ApplicationScore:
    """Record (or change) a coach's 0–5 score on one criterion of the programme."""
    application = _locked(application)
    _require_reviewer(application, coach)
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.SHORTLISTED):
        raise IncubatorError(_("Seule une candidature envoyée et non décidée se note."))
    if criterion.program_id != application.call.program_id:
        raise InvalidValue(_("Ce critère n’est pas celui de ce programme."), field="criterion")
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= MAX_SCORE:
        raise InvalidValue(
            _("La note est un nombre entier de 0 à %(max)s.") % {"max": MAX_SCORE},
            field="score",
        )
    row, _created = ApplicationScore.objects.update_or_create(
        application=application, criterion=criterion, coach=coach, defaults={"score": score}
    )
    return row


@transaction.atomic
def application_score_many(
    application: Application, *, coach, scores: Mapping[SelectionCriterion, int]
) -> list[ApplicationScore]:
    """Several scores at once: all are recorded, or none if one is refused."""
    return [
        application_score(application, coach=coach, criterion=criterion, score=score)
        for criterion, score in scores.items()
    ]


@transaction.atomic
def application_comment(application: Application, *, author, body: str) -> ApplicationComment:
    """A committee remark on a sent application (the applicant never reads it)."""
    application = _locked(application)
    _require_reviewer(application, author)
    if application.status == ApplicationStatus.DRAFT:
        raise IncubatorError(_("Cette candidature n’a pas encore été envoyée."))
    body = (body or "").strip()
    if not body:
        raise InvalidValue(_("Le commentaire est vide."), field="body")
    return ApplicationComment.objects.create(application=application, author=author, body=body)


@transaction.atomic
def application_shortlist(application: Application, *, coach) -> Application:
    """Keep a sent application for the committee's final round."""
    application = _locked(application)
    _require_reviewer(application, coach)
    _require_move(application, ApplicationStatus.SHORTLISTED)
    application.status = ApplicationStatus.SHORTLISTED
    application.save(update_fields=["status", "updated"])
    return application


@transaction.atomic
def application_reject(
    application: Application, *, coach, reason: str, now: datetime.datetime | None = None
) -> Application:
    """Decline an application with a written reason, e-mailed to the applicant."""
    now = now or timezone.now()
    application = _locked(application)
    _require_reviewer(application, coach)
    _require_move(application, ApplicationStatus.REJECTED)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidValue(
            _("Expliquez à la personne pourquoi sa candidature n’est pas retenue."),
            field="reason",
        )
    application.status = ApplicationStatus.REJECTED
    application.decided_at = now
    application.decided_by = coach
    application.decision_reason = reason
    application.save(
        update_fields=["status", "decided_at", "decided_by", "decision_reason", "updated"]
    )
    _email_applicant_on_commit("application_rejected", application)
    return application


@transaction.atomic
def application_accept(
    application: Application,
    *,
    coach,
    cohort: Cohort,
    first_review_date: datetime.date,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> Application:
    """Accept an application: its startup starts in investigation, all in one transaction.

    Creates the startup (private until its team publishes it) in `cohort`, its
    sponsorship by the sponsor territory, the applicant's agent membership, and
    keeps the first committee date on the application (a Review is only written
    when a committee is actually held).
    """
    now = now or timezone.now()
    application = _locked(application)
    _require_reviewer(application, coach)
    _require_move(application, ApplicationStatus.ACCEPTED)
    program = application.call.program
    if cohort is None or cohort.program_id != program.pk:
        raise InvalidValue(
            _("Choisissez une promotion du programme « %(program)s ».") % {"program": program},
            field="cohort",
        )
    today = timezone.localdate(now)
    if first_review_date is None or first_review_date <= today:
        raise InvalidValue(
            _("Le premier comité se tient après la date d’acceptation."),
            field="first_review_date",
        )
    if application.sponsor_territory_id is None:
        raise InvalidValue(
            _("La candidature n’a pas de territoire sponsor."), field="sponsor_territory"
        )
    startup = incubator_services.startup_create(
        incubator=program.incubator,
        name=application.title,
        actor=coach,
        on=today,
        initial_phase=Phase.INVESTIGATION,
        rationale=_("Candidature retenue à l’appel à projets « %(call)s ».")
        % {"call": application.call.title},
        visibility=Visibility.PRIVATE,
        cohort=cohort,
        problem=application.problem_statement,
    )
    startup.themes.set(application.themes.all())
    Sponsorship.objects.create(
        startup=startup,
        territory_id=application.sponsor_territory_id,
        start_date=today,
        contact_name=application.sponsor_contact_name,
    )
    Membership.objects.create(
        startup=startup, user=application.applicant, role=MembershipRole.AGENT, start_date=today
    )
    application.status = ApplicationStatus.ACCEPTED
    application.decided_at = now
    application.decided_by = coach
    application.decision_reason = (reason or "").strip()
    application.cohort = cohort
    application.startup = startup
    application.first_review_date = first_review_date
    application.save(
        update_fields=[
            "status",
            "decided_at",
            "decided_by",
            "decision_reason",
            "cohort",
            "startup",
            "first_review_date",
            "updated",
        ]
    )
    _email_applicant_on_commit("application_accepted", application)
    return application


# --- Lessons from elsewhere ------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_KEYWORDS = 12


def _keywords(text: str) -> list[str]:
    seen, words = set(), []
    for word in _WORD.findall((text or "").lower()):
        if len(word) < 4 or word in STOP_WORDS or word.isdigit() or word in seen:
            continue
        seen.add(word)
        words.append(word)
    return words[:MAX_KEYWORDS]


def closest_lessons(
    problem_statement: str, themes: Iterable[Theme | int] = (), limit: int = 5
) -> list[Lesson]:
    """The public lessons closest to a problem: shared words first, then shared themes.

    Each keyword of the statement is searched on its own (so a long statement
    still finds lessons sharing part of it); a lesson scores one point per
    keyword it matches and two per theme it shares. Only `public_lessons()`
    are read, so a private lesson never shows. Each result carries `closeness`.
    """
    theme_ids = {theme if isinstance(theme, int) else theme.pk for theme in themes}
    base = public_lessons()
    scores: dict[int, int] = {}
    for word in _keywords(problem_statement):
        for pk in search(base, word, LESSON_SEARCH_FIELDS).values_list("pk", flat=True):
            scores[pk] = scores.get(pk, 0) + 1
    if theme_ids:
        for pk in base.filter(themes__in=theme_ids).values_list("pk", flat=True):
            scores[pk] = scores.get(pk, 0) + 2
    if not scores:
        return []
    found = (
        base.filter(pk__in=scores).select_related("startup").prefetch_related("startup__sponsors")
    )
    lessons = {lesson.pk: lesson for lesson in found}
    ranked = sorted(
        lessons.values(), key=lambda lesson: (-scores[lesson.pk], -lesson.created.timestamp())
    )
    for lesson in ranked:
        lesson.closeness = scores[lesson.pk]
    return ranked[:limit]
