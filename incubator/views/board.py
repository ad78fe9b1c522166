"""The coach's side: the cohort board (and its CSV), committees, and phase-gate evidence."""

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.security_log import log_event
from incubator import alerts, selectors, services
from incubator.enums import PHASE_ORDER, TERMINAL_PHASES, FailureScope, Phase, ReviewDecision
from incubator.exceptions import IncubatorError
from incubator.forms import LessonFormSet
from incubator.forms_board import BOARD_SORTS, BoardFilterForm, GateEvidenceForm, ReviewForm
from incubator.models import (
    GateEvidence,
    Indicator,
    Measurement,
    Sponsorship,
    Startup,
    Territory,
)
from incubator.pagination import paginate
from incubator.permissions import can_decide_phase, can_edit_startup, can_view_cohort_board
from incubator.public_cache import remember, rendered_fragment
from incubator.views.cockpit import phase_progress
from incubator.views.sorting import sort_headers
from programs.models import Cohort, GateCriterionKind

TEMPLATES = "incubator/workspace/board/"
BOARD_PAGE_SIZE = 25

# Phases in lifecycle order, for sorting by phase in the database.
_PHASE_RANK = Case(
    *(
        When(phase=phase, then=Value(rank))
        for rank, phase in enumerate(
            (*PHASE_ORDER, Phase.TRANSFERRED, Phase.OPERATED, Phase.ABANDONED)
        )
    ),
    output_field=IntegerField(),
)

_ORDERINGS = {
    "nom": (F("name").asc(),),
    "phase": (_PHASE_RANK.asc(), F("name").asc()),
    # Shortest time in phase first: the latest phase start first.
    "temps": (F("phase_since").desc(nulls_last=True), F("name").asc()),
    # Freshest update first.
    "maj": (F("last_activity_at").desc(nulls_last=True), F("name").asc()),
    "comite": (F(alerts.NEXT_REVIEW_DATE).asc(nulls_last=True), F("name").asc()),
}


def _descending(expressions):
    flipped = []
    for expression in expressions:
        expression = expression.copy()
        expression.reverse_ordering()
        flipped.append(expression)
    return flipped


def _filter_choices(startups, user) -> dict[str, list]:
    """The cohorts and sponsor territories of the coach's startups, for the filters."""
    cohorts = (
        Cohort.objects.filter(Q(pk__in=startups.values("cohort_id")) | Q(coaches=user))
        .distinct()
        .order_by("program__name", "-start_date", "pk")
        .values_list("slug", "program__name", "name")
    )
    territories = (
        Territory.objects.filter(
            pk__in=Sponsorship.objects.filter(startup__in=startups).values("territory_id")
        )
        .order_by("name")
        .values_list("slug", "name")
    )
    return {
        "cohorts": [(slug, f"{program} — {name}") for slug, program, name in cohorts],
        "territories": list(territories),
    }


def _board(request, today):
    """The coach's startups with the board's filters and sort applied, all in the database."""
    if not can_view_cohort_board(request.user):
        raise PermissionDenied
    startups = selectors.startups_coached_by(user=request.user)
    choices = remember(
        f"board-filter-choices:{request.user.pk}", lambda: _filter_choices(startups, request.user)
    )
    form = BoardFilterForm(request.GET, **choices)

    if cohort := form.value("promotion"):
        startups = startups.filter(cohort__slug=cohort)
    if phase := form.value("phase"):
        startups = startups.filter(phase=phase)
    if territory := form.value("territoire"):
        startups = startups.filter(
            pk__in=Sponsorship.objects.filter(territory__slug=territory).values("startup_id")
        )
    startups = alerts.annotate_for_board(startups, today=today)
    if kind := form.value("alerte"):
        startups = startups.filter(alerts.alert_filter(kind, today=today))
    sort = form.value("tri") or "nom"
    ordering = _ORDERINGS[sort.lstrip("-")]
    if sort.startswith("-"):
        ordering = _descending(ordering)
    startups = startups.select_related("cohort").order_by(*ordering, "pk")
    return startups, form, sort


def _rows(startups, today):
    return [
        {
            "startup": startup,
            "progress": phase_progress(startup, today),
            "days_since_update": alerts.days_since_update(startup, today=today),
            "next_review_date": getattr(startup, alerts.NEXT_REVIEW_DATE),
            "alerts": alerts.alerts_for(startup, today=today),
        }
        for startup in startups
    ]


def _page_startups(ids: list[int], today) -> list:
    """The startups of one page of the board, in its order, with what the board shows.

    Annotated apart from the page's query: PostgreSQL then looks up the 50 rows'
    reviews, memberships and lessons, instead of reading those whole tables to
    annotate every startup the coach follows.
    """
    startups = alerts.annotate_for_board(Startup.objects.filter(pk__in=ids), today=today)
    by_pk = {startup.pk: startup for startup in startups.select_related("cohort")}
    return [by_pk[pk] for pk in ids]


def board(request):
    """The cohort board: every startup a coach follows, what needs attention first.

    Paginated: a network coach may follow hundreds of startups (the CSV has them all).
    The table is rendered once per data version, coach and day: the coach's incubators
    and cohorts, the startups and everything the alerts read are tracked models, so any
    change to them renders it anew.
    """
    if not can_view_cohort_board(request.user):
        raise PermissionDenied
    today = timezone.localdate()

    def body_context():
        startups, form, sort = _board(request, today)
        page = paginate(startups.values_list("pk", flat=True), request, BOARD_PAGE_SIZE)
        csv_params = QueryDict(mutable=True)
        csv_params.update({k: v for k, v in request.GET.items() if k in form.fields})
        return {
            "form": form,
            "page_obj": page,
            "rows": _rows(_page_startups(list(page.object_list), today), today),
            "headers": sort_headers(request, sort, BOARD_SORTS),
            "csv_url": f"{reverse('workspace:board_csv')}?{csv_params.urlencode()}",
        }

    body = rendered_fragment(
        f"board:{request.user.pk}:{today}",
        request,
        f"{TEMPLATES}board_body.html",
        body_context,
    )
    return render(request, f"{TEMPLATES}cohort_board.html", {"body": body})


def board_csv(request):
    """The same rows as the board, for a spreadsheet (French Excel: `;` and a BOM)."""
    today = timezone.localdate()
    startups, _form, _sort = _board(request, today)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tableau-startups.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            _("Startup"),
            _("Promotion"),
            _("Phase"),
            _("Dans la phase depuis"),
            _("Échéance de la phase"),
            _("Jours depuis la dernière mise à jour"),
            _("Dernier comité"),
            _("Prochain comité"),
            _("Alertes"),
        ]
    )

    def day(value):
        return date_format(value, "SHORT_DATE_FORMAT") if value else ""

    def text(value):
        # A spreadsheet runs a cell starting with = + - @ as a formula: neutralise it.
        return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

    rows = _rows(startups, today)
    for row in rows:
        startup = row["startup"]
        writer.writerow(
            [
                text(startup.name),
                text(startup.cohort.name) if startup.cohort else "",
                startup.get_phase_display(),
                day(startup.phase_since),
                day(startup.phase_deadline),
                "" if row["days_since_update"] is None else row["days_since_update"],
                day(getattr(startup, alerts.LAST_REVIEW_DATE)),
                day(row["next_review_date"]),
                " | ".join(alert.label for alert in row["alerts"]),
            ]
        )
    log_event("export_downloaded", request, export="board_csv", rows=len(rows))
    return response


# --- Committees -----------------------------------------------------------------


def _decidable_startup(request, slug):
    startup = get_object_or_404(
        selectors.startups_visible_to(user=request.user).select_related(
            "incubator", "cohort__program"
        ),
        slug=slug,
    )
    if not can_decide_phase(request.user, startup):
        raise PermissionDenied
    return startup


def _indicators_for_review(startup):
    """The startup's indicators with their latest value and the last committee's target."""
    latest = Measurement.objects.filter(indicator=OuterRef("pk")).order_by("-date", "-pk")
    indicators = list(
        Indicator.objects.filter(startup=startup)
        .annotate(
            latest_value=Subquery(latest.values("value")[:1]),
            latest_date=Subquery(latest.values("date")[:1]),
        )
        .order_by("name", "pk")
    )
    previous = (
        startup.reviews.filter(archived_at__isnull=True)
        .order_by("-date", "-created", "-pk")
        .first()
    )
    targets = {t.indicator_id: t.target_value for t in previous.targets.all()} if previous else {}
    for indicator in indicators:
        indicator.previous_target = targets.get(indicator.pk)
    return indicators


def review_create(request, slug):
    """Hold a committee: record its decision, and change the phase when it decides so."""
    startup = _decidable_startup(request, slug)
    phase = Phase(startup.phase)
    try:
        services.review_require_possible(startup=startup)
    except IncubatorError as error:
        messages.error(request, error.message)
        return redirect("workspace:startup_detail", slug=startup.slug)
    upcoming = services.next_phases(phase)
    checklists = {p: services.gate_checklist(startup=startup, to_phase=p) for p in upcoming}
    data = request.POST if request.method == "POST" else None
    form = ReviewForm(
        data,
        startup=startup,
        indicators=_indicators_for_review(startup),
        checklists=checklists,
    )
    wants_stop = data is not None and data.get("decision") == ReviewDecision.STOP
    # Lessons are read only for a stop: otherwise their (blank) forms are shown afresh.
    lessons = LessonFormSet(data if wants_stop else None, prefix="lecon")
    lessons_ok = lessons.is_valid() if wants_stop else True
    if data is not None:
        if form.is_valid() and lessons_ok:
            try:
                _record_review(request, startup, form, lessons if wants_stop else None)
            except IncubatorError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Le comité a été enregistré."))
                return redirect("workspace:startup_detail", slug=startup.slug)
    return render(
        request,
        f"{TEMPLATES}review_form.html",
        {
            "startup": startup,
            "form": form,
            "lessons": lessons,
            "lesson_errors": not lessons_ok,
            "checklists": [
                {"phase": Phase(p), "items": items} for p, items in checklists.items() if items
            ],
            "previous_phase": form.previous_phase,
        },
    )


def _record_review(request, startup, form, lessons):
    """One transaction: the post-mortem of a stop (if any), then the committee itself."""
    data = form.cleaned_data
    decision = ReviewDecision(data["decision"])
    with transaction.atomic():
        if decision == ReviewDecision.STOP:
            services.failure_record(
                startup=startup,
                scope=FailureScope.STARTUP,
                reason=data["reason"],
                occurred_on=data["date"],
                author=request.user,
                what_we_learned=data["what_we_learned"],
                why_we_stop=data["why_we_stop"],
                advice_for_relaunch=data["advice_for_relaunch"],
                publication_consent=data["publication_consent"],
                lessons=lessons.lessons(),
            )
        services.review_record(
            startup=startup,
            date=data["date"],
            decision=decision,
            actor=request.user,
            rationale=data["rationale"]
            or (data["why_we_stop"] if decision == ReviewDecision.STOP else ""),
            to_phase=form.target_phase() if decision == ReviewDecision.ADVANCE else None,
            participants=data["participants"],
            conditions=data["conditions"],
            budget_granted_cents=form.budget_granted_cents,
            notes=data["notes"],
            coach_notes=data["coach_notes"],
            next_review_date=data["next_review_date"],
            targets=form.targets(),
            gate_override_reason=data.get("gate_override_reason", ""),
        )


# --- Phase gates ----------------------------------------------------------------


def gate_checklist(request, slug):
    """The entry criteria of the next phase(s): automatic ones shown, evidence ones filled in."""
    startup = get_object_or_404(
        selectors.startups_visible_to(user=request.user).select_related("cohort__program"),
        slug=slug,
    )
    if not can_edit_startup(request.user, startup):
        raise PermissionDenied
    phase = Phase(startup.phase)
    upcoming = services.next_phases(phase) if phase not in TERMINAL_PHASES else []
    data = request.POST if request.method == "POST" else None
    sections, forms = [], []
    for next_phase in upcoming:
        criteria = list(services.gate_criteria_for(startup=startup, to_phase=next_phase))
        checks = {
            c["criterion_id"]: c
            for c in services.gate_checklist(startup=startup, to_phase=next_phase)
        }
        answers = {
            e.criterion_id: e
            for e in GateEvidence.objects.filter(startup=startup, criterion__in=criteria)
        }
        items = []
        for criterion in criteria:
            form = None
            if criterion.kind == GateCriterionKind.MANUAL:
                answer = answers.get(criterion.pk)
                initial = (
                    {"met": answer.met, "evidence_url": answer.evidence_url, "note": answer.note}
                    if answer
                    else {}
                )
                form = GateEvidenceForm(data, criterion=criterion, initial=initial)
                forms.append(form)
            check = checks[criterion.pk]
            items.append({"criterion": criterion, "check": check, "checks": [check], "form": form})
        sections.append({"phase": next_phase, "items": items})

    if data is not None and forms:
        if all([form.is_valid() for form in forms]):  # noqa: C419 - validate every form
            if _record_evidence(request, startup, forms):
                messages.success(request, _("Les preuves ont été enregistrées."))
                return redirect("workspace:gate_checklist", slug=startup.slug)
        else:
            messages.error(request, _("Corrigez les erreurs signalées : rien n’a été enregistré."))
    return render(
        request,
        f"{TEMPLATES}gate_checklist.html",
        {
            "startup": startup,
            "sections": sections,
            "has_forms": bool(forms),
            "has_program": startup.cohort_id is not None,
            "can_decide": can_decide_phase(request.user, startup),
        },
    )


def _record_evidence(request, startup, forms) -> bool:
    """All answers in one transaction; a refusal is shown beside its criterion."""
    current = None
    try:
        with transaction.atomic():
            for form in forms:
                if form.has_changed():
                    current = form
                    services.gate_evidence_record(
                        startup=startup,
                        criterion=form.criterion,
                        actor=request.user,
                        **form.cleaned_data,
                    )
    except IncubatorError as error:
        current.add_error(None, error.message)
        return False
    return True


urlpatterns = [
    path("tableau/", board, name="board"),
    path("tableau.csv", board_csv, name="board_csv"),
    path("startups/<slug:slug>/comite/nouveau/", review_create, name="review_create"),
    path("startups/<slug:slug>/criteres/", gate_checklist, name="gate_checklist"),
]
