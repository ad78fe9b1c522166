"""What a progress report says, assembled as plain frozen dataclasses.

Pure reads. Renderers (PDF now, HTML later) receive only these values, never
a model instance: what a *public* report may show is decided here, once.
Every query is prefetched, so the number of queries does not grow with the
number of startups, milestones or measurements.

Reports describe the state "as of" the end of their period (or today when
the period is not over): phase history after that date is left out.
"""

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from incubator import alerts
from incubator.enums import (
    DEFAULT_MAX_DURATION_MONTHS,
    PHASE_ORDER,
    SUCCESS_PHASES,
    ExperimentOutcome,
    FailureReason,
    IndicatorDirection,
    MembershipRole,
    MilestoneStatus,
    Phase,
    Visibility,
)
from incubator.exceptions import IncubatorError
from incubator.models import (
    Experiment,
    Failure,
    Funding,
    Indicator,
    Lesson,
    Measurement,
    Membership,
    Milestone,
    PhaseTransition,
    Review,
    Sponsorship,
    Startup,
    add_months,
)
from incubator.reports.formatting import fr_date, fr_number
from programs.models import Cohort

# An indicator counts people using the service when its name or unit says so.
USERS_INDICATOR = re.compile(r"usag[eè]re?s?\b|utilisat(?:eur|rice)s?\b", re.IGNORECASE)
PLATFORM_NAME = "Territoires Lab"
BETAGOUV_SOURCE_PREFIX = "startups/"  # source_id of startups imported from beta.gouv.fr

# Funnel steps: the forward path, then both successes as one step.
FUNNEL_STEPS = (*PHASE_ORDER, "success")
_PHASE_RANK = {phase: rank for rank, phase in enumerate(PHASE_ORDER)} | {
    phase: len(PHASE_ORDER) for phase in SUCCESS_PHASES
}


# --- Dataclasses ----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date


@dataclass(frozen=True)
class Sponsor:
    name: str
    amount_cents: int


@dataclass(frozen=True)
class TeamMember:
    """A role in the team; `name` is None in public reports (roles only, counted)."""

    role: str
    name: str | None
    count: int = 1


@dataclass(frozen=True)
class PhaseSpan:
    """One stay in a phase; `end` is None while it runs at the report's date."""

    phase: str
    label: str
    start: datetime.date
    end: datetime.date | None
    max_months: int | None
    deadline: datetime.date | None


@dataclass(frozen=True)
class MilestoneItem:
    title: str
    status: str
    status_label: str
    due_date: datetime.date | None
    achieved_on: datetime.date | None


@dataclass(frozen=True)
class ExperimentItem:
    hypothesis: str
    territory: str | None
    success_criterion: str
    start_date: datetime.date
    end_date: datetime.date | None
    outcome: str
    outcome_label: str
    learnings: str


@dataclass(frozen=True)
class MeasurementPoint:
    date: datetime.date
    value: Decimal


@dataclass(frozen=True)
class IndicatorItem:
    """An impact indicator: its values in the period, and its latest value at the report's date."""

    name: str
    unit: str
    direction: str
    target: Decimal | None
    points: tuple[MeasurementPoint, ...]
    latest: MeasurementPoint | None
    target_reached: bool


@dataclass(frozen=True)
class ReviewItem:
    """A committee; conditions, notes and budget are blank/None in public reports."""

    date: datetime.date
    decision: str
    decision_label: str
    conditions: str
    notes: str
    budget_granted_cents: int | None
    next_review_date: datetime.date | None


@dataclass(frozen=True)
class LessonItem:
    title: str
    body: str
    startup_name: str = ""


@dataclass(frozen=True)
class FailureItem:
    occurred_on: datetime.date
    scope_label: str
    reason: str
    reason_label: str
    what_we_learned: str
    why_we_stop: str
    advice_for_relaunch: str
    lessons: tuple[LessonItem, ...]


@dataclass(frozen=True)
class ImpactCriterion:
    """One step of "usable / used / useful / impactful", with what the verdict rests on."""

    key: str
    label: str
    met: bool
    evidence: str


@dataclass(frozen=True)
class CostRatios:
    funding_in_period_cents: int
    funding_total_cents: int
    active_users: Decimal | None
    users_indicator: str | None
    cost_per_user_cents: int | None


@dataclass(frozen=True)
class StartupReport:
    name: str
    slug: str
    pitch: str
    problem: str
    incubator: str
    cohort: str | None
    program: str | None
    public: bool
    period: Period
    as_of: datetime.date
    generated_on: datetime.date
    sponsors: tuple[Sponsor, ...]
    team: tuple[TeamMember, ...]
    phases: tuple[PhaseSpan, ...]
    current_phase: str | None
    current_phase_label: str
    days_in_phase: int | None
    milestones_achieved: tuple[MilestoneItem, ...]
    milestones_missed: tuple[MilestoneItem, ...]
    experiments: tuple[ExperimentItem, ...]
    indicators: tuple[IndicatorItem, ...]
    reviews: tuple[ReviewItem, ...]
    failures: tuple[FailureItem, ...]
    other_lessons: tuple[LessonItem, ...]
    planned_milestones: tuple[MilestoneItem, ...]
    next_review_date: datetime.date | None
    impact: tuple[ImpactCriterion, ...]
    costs: CostRatios
    sources: tuple[str, ...]


@dataclass(frozen=True)
class CohortRow:
    name: str
    phase: str | None
    phase_label: str
    days_in_phase: int | None
    alerts: tuple[str, ...]
    last_milestone: str | None
    last_milestone_date: datetime.date | None


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class SurvivalPoint:
    """Month `month` after the cohort start: of the startups started by then, how many still run."""

    month: int
    date: datetime.date
    started: int
    alive: int

    @property
    def share(self) -> float:
        return self.alive / self.started


@dataclass(frozen=True)
class LessonGroup:
    reason: str
    label: str
    lessons: tuple[LessonItem, ...]


@dataclass(frozen=True)
class CohortReport:
    name: str
    slug: str
    program: str
    incubator: str
    cohort_start: datetime.date
    cohort_end: datetime.date | None
    public: bool
    period: Period
    as_of: datetime.date
    generated_on: datetime.date
    # Alerts describe the present: computed only when the period includes today.
    alerts_computed: bool
    rows: tuple[CohortRow, ...]
    funnel: tuple[FunnelStep, ...]
    started_count: int
    abandoned_count: int
    survival: tuple[SurvivalPoint, ...]
    lesson_groups: tuple[LessonGroup, ...]
    sources: tuple[str, ...]


# --- Shared helpers ---------------------------------------------------------------


def _check_period(start: datetime.date, end: datetime.date) -> Period:
    if start > end:
        raise IncubatorError(
            _("La période est vide : le %(start)s est postérieur au %(end)s.")
            % {"start": fr_date(start), "end": fr_date(end)}
        )
    return Period(start, end)


def _as_of(end: datetime.date, today: datetime.date) -> datetime.date:
    return min(end, today)


def _in(day: datetime.date | None, period: Period) -> bool:
    return day is not None and period.start <= day <= period.end


def source_lines(*, imported: bool) -> tuple[str, ...]:
    """Where the figures come from; beta.gouv.fr data is credited under its licence."""
    lines = [_("Données : %(platform)s.") % {"platform": PLATFORM_NAME}]
    if imported:
        lines.append(_("Fiches de startups issues de beta.gouv.fr (licence CC BY-NC-SA 4.0)."))
    return tuple(lines)


def _max_months(program, phase: str) -> int | None:
    if program is not None:
        return program.max_duration_months(phase)
    return DEFAULT_MAX_DURATION_MONTHS.get(phase)


def _phase_spans(transitions, *, as_of: datetime.date, program) -> list[PhaseSpan]:
    """The phase history up to `as_of`, from the prefetched transitions (in order)."""
    known = [t for t in transitions if t.date <= as_of]
    spans = []
    for index, transition in enumerate(known):
        following = known[index + 1] if index + 1 < len(known) else None
        months = _max_months(program, transition.to_phase)
        spans.append(
            PhaseSpan(
                phase=transition.to_phase,
                label=str(Phase(transition.to_phase).label),
                start=transition.date,
                end=following.date if following else None,
                max_months=months,
                deadline=add_months(transition.date, months) if months else None,
            )
        )
    return spans


def _milestone_item(milestone: Milestone) -> MilestoneItem:
    return MilestoneItem(
        title=milestone.title,
        status=milestone.status,
        status_label=str(milestone.get_status_display()),
        due_date=milestone.due_date,
        achieved_on=milestone.achieved_on,
    )


def _member_name(user) -> str:
    if user.is_former_member:
        return user.get_full_name()  # « ancien membre »: the account was deleted
    # Never the e-mail address, which get_full_name() falls back to.
    name = user.display_name or " ".join(filter(None, [user.first_name, user.last_name]))
    return name.strip() or _("Nom non renseigné")


def _reached(value: Decimal, target: Decimal, direction: str) -> bool:
    if direction == IndicatorDirection.DOWN:
        return value <= target
    return value >= target


# When a lesson was learned: its failure's date, else its experiment's end, else when written.
_LESSON_DATE = Coalesce("failure__occurred_on", "experiment__end_date", TruncDate("created"))


def _lesson_date(lesson) -> datetime.date:
    """`_LESSON_DATE` for a lesson loaded with its failure and experiment."""
    if lesson.failure_id is not None:
        return lesson.failure.occurred_on
    if lesson.experiment_id is not None and lesson.experiment.end_date is not None:
        return lesson.experiment.end_date
    return timezone.localdate(lesson.created)


# --- Startup report ----------------------------------------------------------------


def _startup_queryset(*, end: datetime.date, public: bool):
    indicators = Indicator.objects.order_by("name", "pk").prefetch_related(
        Prefetch(
            "measurements",
            queryset=Measurement.objects.filter(date__lte=end).order_by("date", "pk"),
        )
    )
    if public:
        indicators = indicators.filter(is_public=True)
    return Startup.objects.select_related("incubator", "cohort__program").prefetch_related(
        Prefetch(
            "sponsorships",
            queryset=Sponsorship.objects.select_related("territory").order_by(
                "territory__name", "pk"
            ),
        ),
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("user").order_by("role", "start_date", "pk"),
        ),
        Prefetch("transitions", queryset=PhaseTransition.objects.order_by("date", "created", "pk")),
        Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "pk")),
        Prefetch(
            "experiments",
            queryset=Experiment.objects.select_related("territory").order_by("start_date", "pk"),
        ),
        Prefetch("indicators", queryset=indicators),
        Prefetch(
            "reviews",
            queryset=Review.objects.filter(archived_at__isnull=True, date__lte=end).order_by(
                "date", "created", "pk"
            ),
        ),
        Prefetch(
            "failures",
            queryset=Failure.objects.filter(
                archived_at__isnull=True, occurred_on__lte=end
            ).order_by("occurred_on", "pk"),
        ),
        Prefetch(
            "lessons",
            queryset=Lesson.objects.filter(archived_at__isnull=True)
            .select_related("experiment")
            .order_by("created", "pk"),
        ),
        Prefetch("fundings", queryset=Funding.objects.filter(start_date__lte=end).order_by("pk")),
    )


def _team(memberships, *, period: Period, as_of: datetime.date, public: bool):
    """Who worked on the startup during the period; roles only (counted) in public."""
    present = [
        m
        for m in memberships
        if m.start_date <= min(period.end, as_of)
        and (m.end_date is None or m.end_date >= period.start)
    ]
    order = {role: index for index, role in enumerate(MembershipRole.values)}
    present.sort(key=lambda m: (order.get(m.role, 99), m.start_date, m.pk))
    if not public:
        return tuple(
            TeamMember(role=str(m.get_role_display()), name=_member_name(m.user)) for m in present
        )
    counts: dict[str, int] = {}
    for member in present:
        label = str(member.get_role_display())
        counts[label] = counts.get(label, 0) + 1
    return tuple(TeamMember(role=label, name=None, count=n) for label, n in counts.items())


def _indicator_item(indicator, period: Period) -> IndicatorItem:
    measurements = list(indicator.measurements.all())  # up to the end, by date
    latest = measurements[-1] if measurements else None
    latest_point = MeasurementPoint(latest.date, latest.value) if latest else None
    return IndicatorItem(
        name=indicator.name,
        unit=indicator.unit,
        direction=indicator.direction,
        target=indicator.target,
        points=tuple(
            MeasurementPoint(m.date, m.value) for m in measurements if _in(m.date, period)
        ),
        latest=latest_point,
        target_reached=bool(
            latest_point is not None
            and indicator.target is not None
            and _reached(latest_point.value, indicator.target, indicator.direction)
        ),
    )


def _users_indicator(indicators: list[IndicatorItem]) -> IndicatorItem | None:
    """The indicator counting people who use the service, if any has a value."""
    for item in indicators:
        if item.latest is not None and (
            USERS_INDICATOR.search(item.name) or USERS_INDICATOR.search(item.unit)
        ):
            return item
    return None


def _impact(
    *,
    startup,
    current_phase: str | None,
    indicators: list[IndicatorItem],
    experiments,
) -> tuple[ImpactCriterion, ...]:
    """A deliberately simple, checkable reading of "usable / used / useful / impactful"."""
    live_phase = current_phase in PHASE_ORDER[1:] or current_phase in SUCCESS_PHASES
    usable = bool(startup.website) and live_phase
    if usable:
        usable_evidence = _("Service en ligne (%(url)s), phase « %(phase)s ».") % {
            "url": startup.website,
            "phase": Phase(current_phase).label,
        }
    elif current_phase == Phase.ABANDONED:
        usable_evidence = _("La startup est arrêtée : son service n’est plus considéré en ligne.")
    elif not startup.website:
        usable_evidence = _("Aucune adresse de service renseignée.")
    else:
        usable_evidence = _("Le service n’a pas encore atteint la construction.")

    users = _users_indicator(indicators)
    used = users is not None and users.latest.value > 0
    if users is None:
        used_evidence = _("Aucun indicateur d’usagers ou d’utilisateurs mesuré.")
    else:
        used_evidence = _("« %(name)s » : %(value)s %(unit)s au %(date)s.") % {
            "name": users.name,
            "value": fr_number(users.latest.value),
            "unit": users.unit,
            "date": fr_date(users.latest.date),
        }

    validated = [e for e in experiments if e.outcome == ExperimentOutcome.VALIDATED]
    useful_evidence = (
        _("Hypothèse validée : « %(hypothesis)s ».") % {"hypothesis": validated[0].hypothesis}
        if validated
        else _("Aucune expérimentation validée à ce jour.")
    )

    reached = [item for item in indicators if item.target_reached]
    if reached:
        impactful_evidence = _("Cible atteinte : « %(name)s » (%(value)s pour %(target)s).") % {
            "name": reached[0].name,
            "value": fr_number(reached[0].latest.value),
            "target": fr_number(reached[0].target),
        }
    elif any(item.target is not None for item in indicators):
        impactful_evidence = _("Aucun indicateur n’atteint encore sa cible.")
    else:
        impactful_evidence = _("Aucun indicateur n’a de cible.")

    return (
        ImpactCriterion("usable", _("Utilisable"), usable, usable_evidence),
        ImpactCriterion("used", _("Utilisé"), used, used_evidence),
        ImpactCriterion("useful", _("Utile"), bool(validated), useful_evidence),
        ImpactCriterion("impactful", _("Impactant"), bool(reached), impactful_evidence),
    )


def _costs(fundings, *, period: Period, indicators: list[IndicatorItem]) -> CostRatios:
    total = sum(f.amount_cents for f in fundings)  # granted up to the end of the period
    in_period = sum(f.amount_cents for f in fundings if _in(f.start_date, period))
    users = _users_indicator(indicators)
    active = users.latest.value if users is not None else None
    per_user = round(Decimal(total) / active) if total and active and active > 0 else None
    return CostRatios(
        funding_in_period_cents=in_period,
        funding_total_cents=total,
        active_users=active,
        users_indicator=users.name if users is not None else None,
        cost_per_user_cents=per_user,
    )


def _failure_item(failure, lessons) -> FailureItem:
    return FailureItem(
        occurred_on=failure.occurred_on,
        scope_label=str(failure.get_scope_display()),
        reason=failure.reason,
        reason_label=str(failure.get_reason_display()),
        what_we_learned=failure.what_we_learned,
        why_we_stop=failure.why_we_stop,
        advice_for_relaunch=failure.advice_for_relaunch,
        lessons=tuple(LessonItem(lesson.title, lesson.body) for lesson in lessons),
    )


def startup_report_data(
    *,
    startup: Startup,
    start: datetime.date,
    end: datetime.date,
    public: bool,
    today: datetime.date | None = None,
) -> StartupReport:
    """Everything a startup progress report shows for a period; `public` strips private data.

    A public report of a private startup does not exist: IncubatorError.
    """
    period = _check_period(start, end)
    today = today or timezone.localdate()
    as_of = _as_of(end, today)
    startup = _startup_queryset(end=end, public=public).get(pk=startup.pk)
    if public and not startup.is_public:
        raise IncubatorError(
            _("« %(name)s » est une startup privée : elle n’a pas de rapport public.")
            % {"name": startup.name}
        )
    program = startup.cohort.program if startup.cohort_id else None

    spans = _phase_spans(startup.transitions.all(), as_of=as_of, program=program)
    current = spans[-1] if spans else None

    milestones = list(startup.milestones.all())
    experiments = [
        e
        for e in startup.experiments.all()
        if e.start_date <= period.end and (e.end_date is None or e.end_date >= period.start)
    ]
    # An outcome counts once the experiment has ended (open-ended ones: as recorded).
    experiments_to_date = [
        e for e in startup.experiments.all() if e.end_date is None or e.end_date <= as_of
    ]
    indicators = [_indicator_item(indicator, period) for indicator in startup.indicators.all()]

    reviews = list(startup.reviews.all())
    review_items = tuple(
        ReviewItem(
            date=review.date,
            decision=review.decision,
            decision_label=str(review.get_decision_display()),
            conditions="" if public else review.conditions,
            notes="" if public else review.notes,
            budget_granted_cents=None if public else review.budget_granted_cents,
            next_review_date=review.next_review_date,
        )
        for review in reviews
        if _in(review.date, period)
    )
    last_review = reviews[-1] if reviews else None  # ordered by date, then creation

    lessons_by_failure = defaultdict(list)
    other_lessons = []
    for lesson in startup.lessons.all():
        if public and lesson.visibility != Visibility.PUBLIC:
            continue
        if lesson.failure_id is not None:
            lessons_by_failure[lesson.failure_id].append(lesson)
        elif _lesson_date(lesson) <= end:
            other_lessons.append(lesson)
    # Lessons of archived failures, or of failures after the period, are left out with them.
    failures = []
    for failure in startup.failures.all():
        if public and not failure.publication_consent:
            # Without consent the failure stays private, and so do its lessons, which
            # would tell its cause (the public site does the same).
            continue
        failures.append(_failure_item(failure, lessons_by_failure[failure.pk]))

    return StartupReport(
        name=startup.name,
        slug=startup.slug,
        pitch=startup.pitch,
        problem=startup.problem,
        incubator=startup.incubator.name,
        cohort=startup.cohort.name if startup.cohort_id else None,
        program=program.name if program else None,
        public=public,
        period=period,
        as_of=as_of,
        generated_on=today,
        sponsors=tuple(
            Sponsor(s.territory.name, s.amount_cents) for s in startup.sponsorships.all()
        ),
        team=_team(startup.memberships.all(), period=period, as_of=as_of, public=public),
        phases=tuple(spans),
        current_phase=current.phase if current else None,
        current_phase_label=current.label if current else _("Pas encore entrée en incubation"),
        days_in_phase=(as_of - current.start).days if current else None,
        milestones_achieved=tuple(
            _milestone_item(m)
            for m in sorted(
                (
                    m
                    for m in milestones
                    if m.status == MilestoneStatus.ACHIEVED and _in(m.achieved_on, period)
                ),
                key=lambda m: (m.achieved_on, m.pk),
            )
        ),
        milestones_missed=tuple(
            _milestone_item(m)
            for m in milestones
            if m.status == MilestoneStatus.MISSED and _in(m.due_date, period)
        ),
        experiments=tuple(
            ExperimentItem(
                hypothesis=e.hypothesis,
                territory=e.territory.name if e.territory_id else None,
                success_criterion=e.success_criterion,
                start_date=e.start_date,
                end_date=e.end_date,
                outcome=e.outcome,
                outcome_label=str(e.get_outcome_display()),
                learnings=e.learnings,
            )
            for e in experiments
        ),
        indicators=tuple(indicators),
        reviews=review_items,
        failures=tuple(failures),
        other_lessons=tuple(LessonItem(lesson.title, lesson.body) for lesson in other_lessons),
        planned_milestones=tuple(
            _milestone_item(m)
            for m in sorted(
                (m for m in milestones if m.status == MilestoneStatus.PLANNED),
                key=lambda m: (m.due_date is None, m.due_date or as_of, m.pk),
            )
        ),
        next_review_date=last_review.next_review_date if last_review else None,
        impact=_impact(
            startup=startup,
            current_phase=current.phase if current else None,
            indicators=indicators,
            experiments=experiments_to_date,
        ),
        costs=_costs(startup.fundings.all(), period=period, indicators=indicators),
        sources=source_lines(imported=startup.source_id.startswith(BETAGOUV_SOURCE_PREFIX)),
    )


# --- Cohort report -----------------------------------------------------------------


def _phase_on(transitions, day: datetime.date) -> str | None:
    """The phase a startup was in on `day` (transitions in order), None before it started."""
    phase = None
    for transition in transitions:
        if transition.date > day:
            break
        phase = transition.to_phase
    return phase


def _funnel(startups_transitions, *, end: datetime.date) -> tuple[tuple[FunnelStep, ...], int]:
    reached = dict.fromkeys(FUNNEL_STEPS, 0)
    abandoned = 0
    for transitions in startups_transitions:
        known = [t for t in transitions if t.date <= end]
        if not known:
            continue
        # Imported histories may skip phases: reaching a phase counts the earlier ones.
        best = max((_PHASE_RANK.get(t.to_phase, -1) for t in known), default=-1)
        for rank, step in enumerate(FUNNEL_STEPS):
            if rank <= best:
                reached[step] += 1
        if known[-1].to_phase == Phase.ABANDONED:
            abandoned += 1
    labels = {phase: str(Phase(phase).label) for phase in PHASE_ORDER}
    labels["success"] = _("Transférée ou opérée")
    steps = tuple(FunnelStep(step, labels[step], reached[step]) for step in FUNNEL_STEPS)
    return steps, abandoned


def _survival(
    startups_transitions, *, cohort_start: datetime.date, until: datetime.date
) -> tuple[SurvivalPoint, ...]:
    points = []
    month, day = 0, cohort_start
    while day <= until:
        started = alive = 0
        for transitions in startups_transitions:
            phase = _phase_on(transitions, day)
            if phase is None:
                continue
            started += 1
            alive += phase != Phase.ABANDONED
        if started:
            points.append(SurvivalPoint(month, day, started, alive))
        month += 1
        day = add_months(cohort_start, month)
    return tuple(points)


def _lesson_groups(lessons) -> tuple[LessonGroup, ...]:
    grouped = defaultdict(list)
    for lesson in lessons:
        reason = lesson.failure.reason if lesson.failure_id else ""
        grouped[reason].append(LessonItem(lesson.title, lesson.body, lesson.startup.name))
    order = [*FailureReason.values, ""]
    return tuple(
        LessonGroup(
            reason=reason,
            label=str(FailureReason(reason).label)
            if reason
            else _("Leçons d’expérimentations, sans échec associé"),
            lessons=tuple(grouped[reason]),
        )
        for reason in order
        if grouped.get(reason)
    )


def cohort_report_data(
    *,
    cohort,
    start: datetime.date,
    end: datetime.date,
    public: bool,
    today: datetime.date | None = None,
) -> CohortReport:
    """A cohort at a glance: one row per startup, the phase funnel, survival and lessons.

    In a public report, private startups do not exist at all (nor their lessons).
    """
    period = _check_period(start, end)
    today = today or timezone.localdate()
    as_of = _as_of(end, today)
    alerts_computed = not public and period.start <= today <= period.end
    cohort = Cohort.objects.select_related("program__incubator").get(pk=cohort.pk)

    startups = Startup.objects.filter(cohort=cohort, archived_at__isnull=True)
    if public:
        startups = startups.filter(visibility=Visibility.PUBLIC)
    if alerts_computed:
        startups = alerts.annotate_for_board(startups, today=today)
    startups = list(
        startups.order_by("name", "pk").prefetch_related(
            Prefetch(
                "transitions", queryset=PhaseTransition.objects.order_by("date", "created", "pk")
            ),
            Prefetch(
                "milestones",
                queryset=Milestone.objects.filter(
                    status=MilestoneStatus.ACHIEVED, achieved_on__lte=as_of
                ).order_by("achieved_on", "pk"),
                to_attr="report_achieved",
            ),
        )
    )

    lessons = (
        Lesson.objects.filter(startup__in=[s.pk for s in startups], archived_at__isnull=True)
        .filter(Q(failure__isnull=True) | Q(failure__archived_at__isnull=True))
        .annotate(report_date=_LESSON_DATE)
        .filter(report_date__gte=period.start, report_date__lte=period.end)
    )
    if public:
        lessons = lessons.filter(visibility=Visibility.PUBLIC).filter(
            Q(failure__isnull=True) | Q(failure__publication_consent=True)
        )
    lessons = lessons.select_related("failure", "startup").order_by("created", "pk")

    rows = []
    histories = []
    for startup in startups:
        transitions = list(startup.transitions.all())
        histories.append(transitions)
        spans = _phase_spans(transitions, as_of=as_of, program=cohort.program)
        current = spans[-1] if spans else None
        last = startup.report_achieved[-1] if startup.report_achieved else None
        rows.append(
            CohortRow(
                name=startup.name,
                phase=current.phase if current else None,
                phase_label=current.label if current else _("Pas encore entrée"),
                days_in_phase=(as_of - current.start).days if current else None,
                alerts=tuple(a.label for a in alerts.alerts_for(startup, today=today))
                if alerts_computed
                else (),
                last_milestone=last.title if last else None,
                last_milestone_date=last.achieved_on if last else None,
            )
        )

    funnel, abandoned = _funnel(histories, end=as_of)
    return CohortReport(
        name=cohort.name,
        slug=cohort.slug,
        program=cohort.program.name,
        incubator=cohort.program.incubator.name,
        cohort_start=cohort.start_date,
        cohort_end=cohort.end_date,
        public=public,
        period=period,
        as_of=as_of,
        generated_on=today,
        alerts_computed=alerts_computed,
        rows=tuple(rows),
        funnel=funnel,
        started_count=funnel[0].count,
        abandoned_count=abandoned,
        survival=_survival(histories, cohort_start=cohort.start_date, until=as_of),
        lesson_groups=_lesson_groups(lessons),
        sources=source_lines(
            imported=any(s.source_id.startswith(BETAGOUV_SOURCE_PREFIX) for s in startups)
        ),
    )
