"""Progress reports in the workspaces: ask for one, follow its generation, read, publish.

Every view fetches through `incubator.selectors`: a subject or report the
user may not see is a 404, whatever the URL says.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.security_log import log_event
from incubator import selectors, services
from incubator.enums import PUBLISHABLE_REPORT_KINDS, ReportKind, ReportStatus
from incubator.exceptions import IncubatorError
from incubator.forms import ReportRequestForm
from incubator.models import Report

# The URL segment of each kind, in French like the rest of /espace/.
KIND_SEGMENTS = {
    ReportKind.STARTUP: "startup",
    ReportKind.COHORT: "promotion",
    ReportKind.TERRITORY: "territoire",
    ReportKind.INCUBATOR: "incubateur",
}
HISTORY_LENGTH = 50


def subject_url(kind: str, slug: str) -> str:
    return reverse(f"workspace:reports_{kind}", kwargs={"slug": slug})


def reports_home(request):
    """Every subject the user can report on, and the latest reports they can read."""
    user = request.user
    subjects = [
        (
            kind,
            label,
            selectors.report_subjects_for(kind, user=user).order_by("name")[:HISTORY_LENGTH],
        )
        for kind, label in ReportKind.choices
    ]
    latest = selectors.reports_visible_to(user=user).select_related(
        "requested_by", "startup", "cohort", "territory", "incubator"
    )[:20]
    return render(
        request,
        "incubator/workspace/reports/home.html",
        {
            "subjects": subjects,
            "has_subject": any(items for _kind, _label, items in subjects),
            "reports": _with_state(latest, user),
        },
    )


def subject_reports(request, kind, slug):
    """One subject's reports: the request form and every version, with live status."""
    subject = get_object_or_404(selectors.report_subjects_for(kind, user=request.user), slug=slug)
    today = timezone.localdate()
    form = ReportRequestForm(
        request.POST or None,
        yearly=kind == ReportKind.INCUBATOR,
        today=today,
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_request(
                kind=kind,
                subject=subject,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                public=form.cleaned_data["version"] == "public",
                user=request.user,
                today=today,
            )
        except IncubatorError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Rapport demandé (version %(version)s) : il se génère en arrière-plan.")
                % {"version": report.version},
            )
            return redirect(subject_url(kind, slug))
    reports = (
        Report.objects.filter(kind=kind, **{_subject_field(kind): subject})
        .select_related("requested_by", "published_by")
        .order_by("-requested_at", "-pk")[:HISTORY_LENGTH]
    )
    return render(
        request,
        "incubator/workspace/reports/subject.html",
        {
            "kind": kind,
            "kind_label": ReportKind(kind).label,
            "subject": subject,
            "form": form,
            "reports": _with_state(reports, request.user),
            "publishable": kind in PUBLISHABLE_REPORT_KINDS,
        },
        status=400 if form.errors else 200,
    )


def _subject_field(kind: str) -> str:
    return {
        ReportKind.STARTUP: "startup",
        ReportKind.COHORT: "cohort",
        ReportKind.TERRITORY: "territory",
        ReportKind.INCUBATOR: "incubator",
    }[kind]


def _with_state(reports, user) -> list[Report]:
    """Mark each report as stale (worker gone) and publishable by `user`, for the template."""
    now = timezone.now()
    rights = {}  # one check per subject
    reports = list(reports)
    for report in reports:
        report.stale = services.report_is_stale(report, now=now)
        report.can_publish = (
            report.status == ReportStatus.DONE
            and report.is_public
            and report.kind in PUBLISHABLE_REPORT_KINDS
        )
        if report.can_publish:
            key = (report.kind, report.territory_id, report.incubator_id)
            if key not in rights:
                rights[key] = selectors.can_publish_report(user, report)
            report.can_publish = rights[key]
    return reports


def _visible_report(request, pk) -> Report:
    reports = selectors.reports_visible_to(user=request.user).select_related(
        "startup", "cohort", "territory", "incubator", "requested_by", "published_by"
    )
    return get_object_or_404(reports, pk=pk)


def report_detail(request, pk):
    report = _with_state([_visible_report(request, pk)], request.user)[0]
    return render(
        request,
        "incubator/workspace/reports/detail.html",
        {
            "report": report,
            "back_url": subject_url(report.kind, report.subject_slug),
        },
    )


def report_pdf(request, pk):
    report = _visible_report(request, pk)
    if report.status != ReportStatus.DONE:
        raise Http404(_("Ce rapport n’est pas encore prêt."))
    response = pdf_response(report)
    log_event(
        "report_downloaded",
        request,
        report_id=report.pk,
        kind=report.kind,
        public_version=report.is_public,
        published=report.is_published,
    )
    return response


def pdf_response(report: Report) -> FileResponse:
    """The stored PDF as a download; also used by the public page for published reports."""
    response = FileResponse(
        report.pdf.open("rb"),
        as_attachment=True,
        filename=report.filename,
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store" if not report.is_published else "public"
    return response


def _act(request, pk, action, success: str, *, needs_publish_right: bool = False):
    report = _visible_report(request, pk)
    if needs_publish_right and not selectors.can_publish_report(request.user, report):
        raise PermissionDenied
    try:
        action(report, user=request.user)
    except IncubatorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    if request.POST.get("back") == "detail":
        return redirect("workspace:report_detail", pk=report.pk)
    return redirect(subject_url(report.kind, report.subject_slug))


@require_POST
def report_retry(request, pk):
    return _act(request, pk, services.report_retry, _("Le rapport est relancé."))


@require_POST
def report_publish(request, pk):
    return _act(
        request,
        pk,
        services.report_publish,
        _("Le rapport est publié sur le site public."),
        needs_publish_right=True,
    )


@require_POST
def report_unpublish(request, pk):
    return _act(
        request,
        pk,
        services.report_unpublish,
        _("Le rapport est retiré du site public."),
        needs_publish_right=True,
    )


urlpatterns = [
    path("rapports/", reports_home, name="reports"),
    *(
        path(
            f"rapports/{segment}/<slug:slug>/",
            subject_reports,
            {"kind": kind},
            name=f"reports_{kind}",
        )
        for kind, segment in KIND_SEGMENTS.items()
    ),
    path("rapports/<int:pk>/", report_detail, name="report_detail"),
    path("rapports/<int:pk>/pdf/", report_pdf, name="report_pdf"),
    path("rapports/<int:pk>/relancer/", report_retry, name="report_retry"),
    path("rapports/<int:pk>/publier/", report_publish, name="report_publish"),
    path("rapports/<int:pk>/retirer/", report_unpublish, name="report_unpublish"),
]
