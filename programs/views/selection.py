"""The selection committee's side of calls for projects: the list of applications,
one application with its scores and comments, and the decisions.

Every view fetches through `applications_reviewable_by`: an application the
user may not review is a 404, whatever the URL says. Writes go through
`programs.services`; a refusal comes back on the detail page (status 400).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incubator.exceptions import IncubatorError
from incubator.permissions import can_view_cohort_board
from incubator.views.sorting import sort_headers
from programs import services
from programs.calls import ApplicationStatus, CallForProjects, QuestionKind
from programs.forms_selection import (
    SELECTION_SORTS,
    AcceptForm,
    CommentForm,
    RejectForm,
    ScoresForm,
    SelectionFilterForm,
)
from programs.selection import (
    annotate_for_selection,
    applications_reviewable_by,
    criterion_rows,
    weighted_average,
)

TEMPLATES = "programs/workspace/selection/"

_ORDERINGS = {
    "envoi": (F("submitted_at").desc(), F("pk").desc()),
    "-envoi": (F("submitted_at").asc(), F("pk").asc()),
    "note": (F("average_score").desc(nulls_last=True), F("submitted_at").desc(), F("pk").desc()),
    "-note": (F("average_score").asc(nulls_last=True), F("submitted_at").desc(), F("pk").desc()),
}


def selection_list(request):
    """The applications a coach reviews, filtered by call and status, sortable by score."""
    if not can_view_cohort_board(request.user):
        raise PermissionDenied
    applications = applications_reviewable_by(request.user)
    calls = CallForProjects.objects.filter(pk__in=applications.values("call_id")).order_by(
        "-opens_on", "title"
    )
    form = SelectionFilterForm(request.GET, calls=calls)
    if call := form.value("appel"):
        applications = applications.filter(call__slug=call)
    if status := form.value("statut"):
        applications = applications.filter(status=status)
    sort = form.value("tri") or "envoi"
    applications = (
        annotate_for_selection(applications, user=request.user)
        .select_related("call", "sponsor_territory")
        .order_by(*_ORDERINGS[sort])
    )
    return render(
        request,
        f"{TEMPLATES}application_list.html",
        {
            "form": form,
            "applications": applications,
            "headers": sort_headers(request, sort, SELECTION_SORTS, plain_order="descending"),
        },
    )


# --- One application ------------------------------------------------------------------


def _application(request, pk):
    return get_object_or_404(
        applications_reviewable_by(request.user).select_related(
            "call__program__incubator",
            "sponsor_territory",
            "applicant",
            "cohort",
            "startup",
            "decided_by",
        ),
        pk=pk,
    )


def _criteria(application):
    return application.call.program.selection_criteria.all()


def _cohorts(application):
    return application.call.program.cohorts.order_by("-start_date", "name")


def _document_url(document) -> str | None:
    # The download view belongs to the applicant's side; without it, the name only.
    try:
        return reverse("workspace:application_document_download", args=[document.pk])
    except NoReverseMatch:
        return None


def _answers(application):
    answers = {answer.question_id: answer for answer in application.answers.all()}
    return [
        {
            "question": question,
            "answer": answers.get(question.pk),
            "is_file": question.kind == QuestionKind.FILE,
        }
        for question in application.call.questions.all()
    ]


def _render_detail(request, application, bound=None, status=200):
    """The application, its scores, comments and the decision forms (`bound`: the one
    that was refused, with its errors)."""
    bound = bound or {}
    user = request.user
    criteria = list(_criteria(application))
    scores = list(
        application.scores.select_related("criterion", "coach").order_by("criterion", "coach")
    )
    rows = criterion_rows(criteria, scores, user=user)
    scores_form = bound.get("scores_form") or ScoresForm(
        criteria=criteria,
        initial={f"critere_{row['criterion'].pk}": row["mine"] for row in rows},
    )
    documents = [
        {"document": document, "url": _document_url(document)}
        for document in application.documents.all()
    ]
    errors = [
        error
        for form in bound.values()
        for field_errors in form.errors.values()
        for error in field_errors
    ]
    context = {
        "application": application,
        "program": application.call.program,
        "themes": application.themes.order_by("name"),
        "answers": _answers(application),
        "documents": documents,
        "rows": rows,
        "scores_form": scores_form,
        "average": weighted_average(scores),
        "comments": application.comments.select_related("author"),
        "comment_form": bound.get("comment_form") or CommentForm(),
        "accept_form": bound.get("accept_form") or AcceptForm(cohorts=_cohorts(application)),
        "reject_form": bound.get("reject_form") or RejectForm(),
        "can_shortlist": application.status == ApplicationStatus.SUBMITTED,
        "can_score": not application.is_decided,
        "errors": errors,
    }
    return render(request, f"{TEMPLATES}application_detail.html", context, status=status)


def selection_detail(request, pk):
    return _render_detail(request, _application(request, pk))


def _act(request, application, name, form, action, success):
    """Run `action(cleaned_data)`; on success redirect with `success`, otherwise show
    the detail page with the refused form (status 400), nothing written."""
    if form.is_valid():
        try:
            result = action(form.cleaned_data)
        except IncubatorError as error:
            field = getattr(error, "field", None)
            form.add_error(field if field in form.fields else None, error.message)
        else:
            messages.success(request, success(result) if callable(success) else success)
            return redirect("workspace:selection_detail", pk=application.pk)
    return _render_detail(request, application, {name: form}, status=400)


@require_POST
def selection_score(request, pk):
    application = _application(request, pk)
    form = ScoresForm(request.POST, criteria=_criteria(application))
    return _act(
        request,
        application,
        "scores_form",
        form,
        lambda data: services.application_score_many(
            application, coach=request.user, scores=form.scores()
        ),
        _("Vos notes sont enregistrées."),
    )


@require_POST
def selection_comment(request, pk):
    application = _application(request, pk)
    return _act(
        request,
        application,
        "comment_form",
        CommentForm(request.POST),
        lambda data: services.application_comment(
            application, author=request.user, body=data["body"]
        ),
        _("Votre commentaire a été ajouté."),
    )


@require_POST
def selection_shortlist(request, pk):
    application = _application(request, pk)
    return _act(
        request,
        application,
        "shortlist_form",
        forms.Form(request.POST),
        lambda data: services.application_shortlist(application, coach=request.user),
        _("La candidature est présélectionnée."),
    )


@require_POST
def selection_accept(request, pk):
    application = _application(request, pk)

    def success(accepted):
        return format_html(
            _("La candidature est retenue : la startup « {name} » est créée. {link}"),
            name=accepted.startup.name,
            link=format_html(
                '<a href="{}">{}</a>',
                reverse("workspace:startup_detail", args=[accepted.startup.slug]),
                _("Ouvrir son cockpit"),
            ),
        )

    return _act(
        request,
        application,
        "accept_form",
        AcceptForm(request.POST, cohorts=_cohorts(application)),
        lambda data: services.application_accept(
            application,
            coach=request.user,
            cohort=data["cohort"],
            first_review_date=data["first_review_date"],
            reason=data["reason"],
        ),
        success,
    )


@require_POST
def selection_reject(request, pk):
    application = _application(request, pk)
    return _act(
        request,
        application,
        "reject_form",
        RejectForm(request.POST),
        lambda data: services.application_reject(
            application, coach=request.user, reason=data["reason"]
        ),
        _("La candidature n’est pas retenue : la personne en est informée par e-mail."),
    )


urlpatterns = [
    path("selection/", selection_list, name="selection"),
    path("selection/<int:pk>/", selection_detail, name="selection_detail"),
    path("selection/<int:pk>/note/", selection_score, name="selection_score"),
    path("selection/<int:pk>/commentaire/", selection_comment, name="selection_comment"),
    path("selection/<int:pk>/preselection/", selection_shortlist, name="selection_shortlist"),
    path("selection/<int:pk>/retenir/", selection_accept, name="selection_accept"),
    path("selection/<int:pk>/ne-pas-retenir/", selection_reject, name="selection_reject"),
]
