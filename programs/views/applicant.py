"""The applicant's side of calls for projects: browse calls, write, attach, send.

An application is only ever read through `_own_application` (someone else's
is a 404); every write goes through one service of `programs.services`, whose
refusal comes back as a form error beside its field, with status 400.
"""

from collections.abc import Callable

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incubator.exceptions import IncubatorError
from programs import services
from programs.calls import Application, ApplicationDocument, ApplicationStatus, CallForProjects
from programs.forms import ApplicationForm, DocumentForm
from programs.permissions import can_review_application

TEMPLATES = "programs/workspace/applicant/"
LESSONS_SHOWN = 5


def _deadline(call: CallForProjects) -> str:
    return date_format(timezone.localtime(call.closes_at), "j F Y à H\\hi")


def _closed_message(call: CallForProjects) -> str:
    if timezone.now() >= call.closes_at:
        return _(
            "Les candidatures à « %(call)s » sont closes depuis le %(date)s : "
            "il n’est plus possible de candidater."
        ) % {"call": call.title, "date": _deadline(call)}
    return _("L’appel à projets « %(call)s » ouvre le %(date)s.") % {
        "call": call.title,
        "date": date_format(call.opens_on, "j F Y"),
    }


def _run(form, write: Callable[[], object]) -> bool:
    """Run a service; a domain refusal becomes an error beside its field (or the form's)."""
    try:
        write()
    except IncubatorError as error:
        field = getattr(error, "field", None)
        form.add_error(field if field in form.fields else None, error.message)
        return False
    return True


def _own_application(request, pk) -> Application:
    return get_object_or_404(
        Application.objects.filter(applicant=request.user).select_related("call__program"),
        pk=pk,
    )


def _lesson_links(request, lessons) -> tuple[list[tuple], str]:
    """Each lesson with its page in the public library, and the library's address
    (no links when the library is offline)."""
    from cms.models import LessonsLibraryPage

    library = LessonsLibraryPage.objects.live().public().first()
    base = library.get_url(request) if library else ""
    links = [
        (lesson, base + library.reverse_subpage("lesson", kwargs={"slug": lesson.slug}))
        if base
        else (lesson, "")
        for lesson in lessons
    ]
    return links, base


# --- Calls and my applications ----------------------------------------------------------


@require_GET
def call_list(request):
    now = timezone.now()
    calls = (
        CallForProjects.objects.filter(closes_at__gt=now)
        .select_related("program")
        .order_by("closes_at", "title")
    )
    applications = (
        Application.objects.filter(applicant=request.user)
        .select_related("call")
        .order_by("-created", "-pk")
    )
    return render(
        request,
        TEMPLATES + "call_list.html",
        {
            "calls": [(call, call.is_open(now)) for call in calls],
            "applications": applications,
        },
    )


# --- Writing an application --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def application_create(request, slug):
    call = get_object_or_404(CallForProjects.objects.select_related("program"), slug=slug)
    context = {"call": call, "deadline": _deadline(call)}
    if not call.is_open():
        context["closed_message"] = _closed_message(call)
        status = 400 if request.method == "POST" else 200
        return render(request, TEMPLATES + "application_create.html", context, status=status)
    questions = list(call.questions.all())
    form = ApplicationForm(
        request.POST if request.method == "POST" else None, call=call, questions=questions
    )
    status = 200
    if request.method == "POST":
        created = {}

        def write():
            created["application"] = services.application_save_draft(
                call=call, applicant=request.user, answers=form.answers(), **form.profile()
            )

        if form.is_valid() and _run(form, write):
            messages.success(
                request,
                _("Brouillon enregistré. Joignez vos documents puis envoyez la candidature."),
            )
            return redirect("workspace:application_edit", pk=created["application"].pk)
        status = 400
    context["form"] = form
    return render(request, TEMPLATES + "application_create.html", context, status=status)


def _detail(request, application, *, form=None, document_form=None, refusal="", status=200):
    """The application page: editable while a draft of an open call, read-only after."""
    call = application.call
    editable = application.is_draft and call.is_open()
    documents = list(application.documents.all())
    context = {
        "application": application,
        "call": call,
        "deadline": _deadline(call),
        "editable": editable,
        "documents": documents,
        "refusal": refusal,
        "answers": application.answers.select_related("question").order_by(
            "question__sort_order", "pk"
        ),
        "themes": application.themes.order_by("name"),
    }
    if editable:
        questions = list(call.questions.all())
        context.update(
            form=form or ApplicationForm.for_application(application, questions=questions),
            document_form=document_form or DocumentForm(),
            can_add_document=len(documents) < services.MAX_DOCUMENTS,
            max_documents=services.MAX_DOCUMENTS,
        )
        context["lessons"], context["library_url"] = _lesson_links(
            request,
            services.closest_lessons(
                application.problem_statement,
                application.themes.values_list("pk", flat=True),
                limit=LESSONS_SHOWN,
            ),
        )
    elif not refusal and application.is_draft:
        context["refusal"] = _closed_message(call)
    return render(request, TEMPLATES + "application_detail.html", context, status=status)


def _refusal_text(form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


@require_http_methods(["GET", "POST"])
def application_edit(request, pk):
    application = _own_application(request, pk)
    if request.method != "POST":
        return _detail(request, application)
    form = ApplicationForm.for_application(application, request.POST)
    if form.is_valid() and _run(
        form,
        lambda: services.application_save_draft(
            application,
            call=application.call,
            applicant=request.user,
            answers=form.answers(),
            **form.profile(),
        ),
    ):
        messages.success(request, _("Brouillon enregistré."))
        return redirect("workspace:application_edit", pk=application.pk)
    application.refresh_from_db()
    if application.is_draft and application.call.is_open():
        return _detail(request, application, form=form, status=400)
    return _detail(request, application, refusal=_refusal_text(form), status=400)


@require_POST
def application_submit(request, pk):
    application = _own_application(request, pk)
    # The saved draft, bound, so that a refusal shows beside its field.
    form = ApplicationForm.for_application(application)
    form = ApplicationForm.for_application(application, _initial_as_data(form))
    form.is_valid()
    if _run(form, lambda: services.application_submit(application, user=request.user)):
        messages.success(
            request,
            _("Candidature envoyée. Un accusé de réception vous a été adressé par e-mail."),
        )
        return redirect("workspace:application_edit", pk=application.pk)
    application.refresh_from_db()
    if application.is_draft and application.call.is_open():
        return _detail(request, application, form=form, status=400)
    return _detail(request, application, refusal=_refusal_text(form), status=400)


def _initial_as_data(form) -> dict:
    data = {}
    for name, value in form.initial.items():
        if name == "themes":
            data[name] = [theme.pk for theme in value]
        elif name == "sponsor_territory":
            data[name] = value.pk if value else ""
        else:
            data[name] = value if value is not None else ""
    return data


# --- Documents ---------------------------------------------------------------------------


@require_POST
def application_document_add(request, pk):
    application = _own_application(request, pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid() and _run(
        form,
        lambda: services.application_add_document(
            application, uploaded_file=form.cleaned_data["file"], user=request.user
        ),
    ):
        messages.success(request, _("Document joint à la candidature."))
        return redirect("workspace:application_edit", pk=application.pk)
    if application.is_draft and application.call.is_open():
        return _detail(request, application, document_form=form, status=400)
    return _detail(request, application, refusal=_refusal_text(form), status=400)


@require_POST
def application_document_remove(request, pk, doc_pk):
    application = _own_application(request, pk)
    document = get_object_or_404(application.documents, pk=doc_pk)
    try:
        services.application_remove_document(document, user=request.user)
    except IncubatorError as error:
        return _detail(request, application, refusal=error.message, status=400)
    messages.success(request, _("Document « %(name)s » retiré.") % {"name": document.original_name})
    return redirect("workspace:application_edit", pk=application.pk)


@require_GET
def application_document_download(request, doc_pk):
    document = get_object_or_404(
        ApplicationDocument.objects.select_related("application__call__program__incubator"),
        pk=doc_pk,
    )
    application = document.application
    # The committee reads sent applications only; a draft stays its author's.
    allowed = application.applicant_id == request.user.pk or (
        application.status != ApplicationStatus.DRAFT
        and can_review_application(request.user, application)
    )
    if not allowed:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("appels/", call_list, name="calls"),
    path("appels/<slug:slug>/candidater/", application_create, name="application_create"),
    path("candidatures/<int:pk>/", application_edit, name="application_edit"),
    path("candidatures/<int:pk>/envoyer/", application_submit, name="application_submit"),
    path(
        "candidatures/<int:pk>/documents/",
        application_document_add,
        name="application_document_add",
    ),
    path(
        "candidatures/<int:pk>/documents/<int:doc_pk>/supprimer/",
        application_document_remove,
        name="application_document_remove",
    ),
    path(
        "candidatures/documents/<int:doc_pk>/",
        application_document_download,
        name="application_document_download",
    ),
]
