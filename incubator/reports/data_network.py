"""What territory and annual incubator reports say, as plain frozen dataclasses.

Same rules as `incubator.reports.data`: pure reads, every query prefetched (the
number of queries does not grow with the number of startups), and what a
*public* report may show is decided here, once. In a public report, private
startups do not exist at all, nor do their lessons, fundings or phase history.
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from incubator.enums import PHASE_ORDER, SUCCESS_PHASES, TERMINAL_PHASES, Phase, Visibility
from incubator.exceptions import IncubatorError
from incubator.models import (
    Experiment,
    Funding,
    Incubator,
    Indicator,
    Lesson,
    Measurement,
    PhaseTransition,
    Sponsorship,
    Startup,
    Territory,
)
from incubator.reports.data import (
    _LESSON_DATE,
    BETAGOUV_SOURCE_PREFIX,
    FunnelStep,
    ImpactCriterion,
    IndicatorItem,
    LessonGroup,
    Period,
    _as_of,
    _check_period,
    _funnel,
    _impact,
    _indicator_item,
    _lesson_date,
    _lesson_groups,
    _phase_on,
    source_lines,
)
from incubator.reports.formatting import fr_date
from programs.models import Contribution, ContributionStatus

# --- Dataclasses ----------------------------------------------------------------


@dataclass(frozen=True)
class TerritoryStartupRow:
    """A startup the territory sponsors, as it stands at the report's date."""

    name: str
    slug: str
    incubator: str
    phase: str | None  # None: not started yet at the report's date
    phase_label: str
    days_in_phase: int | None
    sponsored_since: datetime.date | None
    amount_cents: int  # the sponsorship amount
    indicators: tuple[IndicatorItem, ...]  # public indicators only in a public report
    impact: tuple[ImpactCriterion, ...]


@dataclass(frozen=True)
class ContributionItem:
    """What the territory owes for a period (internal reports only)."""

    kind: str
    kind_label: str
    startup_name: str | None  # the sponsored startup, for per-startup contributions
    period_start: datetime.date
    period_end: datetime.date
    amount_cents: int
    paid_cents: int
    status: str
    status_label: str
    due_date: datetime.date


@dataclass(frozen=True)
class TerritoryReport:
    name: str
    slug: str
    kind_label: str
    public: bool
    period: Period
    as_of: datetime.date
    generated_on: datetime.date
    startups: tuple[TerritoryStartupRow, ...]
    sponsored_total_cents: int
    # Every phase (forward path, both successes, abandoned), in that order.
    phase_counts: tuple[FunnelStep, ...]
    not_started_count: int
    lesson_groups: tuple[LessonGroup, ...]
    # Contribution amounts are private to the territory and staff: empty in public.
    contributions_shown: bool
    contributions: tuple[ContributionItem, ...]
    contributions_due_cents: int  # cancelled contributions left out
    contributions_paid_cents: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class PhaseRate:
    """Of the startups that entered a phase by the year's end, how many stopped while in it."""

    phase: str
    label: str
    entered: int
    stopped: int

    @property
    def rate(self) -> float | None:
        return self.stopped / self.entered if self.entered else None


@dataclass(frozen=True)
class PhaseMedian:
    """Median length, in days, of the completed stays in a phase (`count` of them)."""

    phase: str
    label: str
    median_days: float | None  # None when no stay is completed
    count: int


@dataclass(frozen=True)
class FunderTotal:
    name: str
    amount_cents: int
    count: int  # number of fundings


@dataclass(frozen=True)
class YearComparison:
    """One figure of the year next to the previous year's; amounts are in cents."""

    key: str
    label: str
    this_year: int
    previous_year: int
    is_amount: bool = False


@dataclass(frozen=True)
class IncubatorAnnualReport:
    name: str
    slug: str
    year: int
    public: bool
    period: Period  # the calendar year
    as_of: datetime.date
    generated_on: datetime.date
    startups_count: int  # startups started by the report's date
    # Cumulative up to the report's date, from the phase history.
    funnel: tuple[FunnelStep, ...]
    stop_rates: tuple[PhaseRate, ...]
    ended_count: int  # startups stopped or succeeded
    succeeded_count: int
    median_days: tuple[PhaseMedian, ...]
    # Fundings starting in the year.
    funding_by_funder: tuple[FunderTotal, ...]
    funding_total_cents: int
    lesson_groups: tuple[LessonGroup, ...]  # lessons of the year
    comparison: tuple[YearComparison, ...]
    sources: tuple[str, ...]

    @property
    def success_rate(self) -> float | None:
        """Of the startups that ended (success or stop), the share that succeeded."""
        return self.succeeded_count / self.ended_count if self.ended_count else None


# --- Shared helpers ---------------------------------------------------------------


def _resolve(model, value, message: str):
    """`value` reloaded, or the row whose slug it is; IncubatorError when there is none."""
    if isinstance(value, str):
        found, slug = model.objects.filter(slug=value).first(), value
    else:
        pk = getattr(value, "pk", None)
        found = model.objects.filter(pk=pk).first() if pk is not None else None
        slug = getattr(value, "slug", "")
    if found is None:
        raise IncubatorError(message % {"slug": slug})
    return found


def _transitions_prefetch(lookup: str = "transitions") -> Prefetch:
    # Only what the history needs: rationales and checklists can be long.
    return Prefetch(
        lookup,
        queryset=PhaseTransition.objects.only(
            "pk", "startup_id", "to_phase", "date", "created"
        ).order_by("date", "created", "pk"),
    )


def _report_lessons(*, public: bool):
    """Live lessons (of live failures); in public, only public lessons of consented failures."""
    lessons = Lesson.objects.filter(archived_at__isnull=True).filter(
        Q(failure__isnull=True) | Q(failure__archived_at__isnull=True)
    )
    if public:
        # A failure its team did not agree to publish stays private, with its lessons.
        lessons = lessons.filter(visibility=Visibility.PUBLIC).filter(
            Q(failure__isnull=True) | Q(failure__publication_consent=True)
        )
    return lessons.select_related("failure", "experiment", "startup").order_by("created", "pk")


def _imported(startups) -> bool:
    return any(s.source_id.startswith(BETAGOUV_SOURCE_PREFIX) for s in startups)


# --- Territory report ----------------------------------------------------------------


def _territory_row(sponsorship, *, period: Period, as_of: datetime.date) -> TerritoryStartupRow:
    startup = sponsorship.startup
    phase = None
    since = None
    for transition in startup.transitions.all():  # in order
        if transition.date > as_of:
            break
        phase, since = transition.to_phase, transition.date
    indicators = [_indicator_item(indicator, period) for indicator in startup.indicators.all()]
    experiments = [
        e for e in startup.experiments.all() if e.end_date is None or e.end_date <= as_of
    ]
    return TerritoryStartupRow(
        name=startup.name,
        slug=startup.slug,
        incubator=startup.incubator.name,
        phase=phase,
        phase_label=str(Phase(phase).label) if phase else _("Pas encore entrée"),
        days_in_phase=(as_of - since).days if since else None,
        sponsored_since=sponsorship.start_date,
        amount_cents=sponsorship.amount_cents,
        indicators=tuple(indicators),
        impact=_impact(
            startup=startup, current_phase=phase, indicators=indicators, experiments=experiments
        ),
    )


def territory_report_data(
    *,
    territory: Territory | str,
    start: datetime.date,
    end: datetime.date,
    public: bool,
    today: datetime.date | None = None,
) -> TerritoryReport:
    """What a territory sponsors: its startups' phases and indicators, lessons, contributions.

    `territory` is an instance or a slug. Sponsorships that overlap the period
    count. In a public report private startups do not exist, and contribution
    amounts (private to the territory and staff) are left out.
    """
    period = _check_period(start, end)
    today = today or timezone.localdate()
    as_of = _as_of(end, today)
    territory = _resolve(Territory, territory, _("Aucun territoire d’identifiant « %(slug)s »."))

    indicators = Indicator.objects.order_by("name", "pk").prefetch_related(
        Prefetch(
            "measurements",
            queryset=Measurement.objects.filter(date__lte=end).order_by("date", "pk"),
        )
    )
    if public:
        indicators = indicators.filter(is_public=True)
    sponsorships = (
        Sponsorship.objects.filter(territory=territory, startup__archived_at__isnull=True)
        .filter(Q(start_date__isnull=True) | Q(start_date__lte=period.end))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start))
    )
    if public:
        sponsorships = sponsorships.filter(startup__visibility=Visibility.PUBLIC)
    sponsorships = list(
        sponsorships.select_related("startup__incubator")
        .order_by("startup__name", "pk")
        .prefetch_related(
            _transitions_prefetch("startup__transitions"),
            Prefetch("startup__indicators", queryset=indicators),
            Prefetch(
                "startup__experiments", queryset=Experiment.objects.order_by("start_date", "pk")
            ),
        )
    )
    rows = [_territory_row(s, period=period, as_of=as_of) for s in sponsorships]
    startups = [s.startup for s in sponsorships]

    counts = dict.fromkeys(Phase.values, 0)
    for row in rows:
        if row.phase is not None:
            counts[row.phase] += 1
    phase_counts = tuple(
        FunnelStep(phase.value, str(phase.label), counts[phase.value]) for phase in Phase
    )

    lessons = (
        _report_lessons(public=public)
        .filter(startup__in=[s.pk for s in startups])
        .annotate(report_date=_LESSON_DATE)
        .filter(report_date__gte=period.start, report_date__lte=period.end)
    )

    contributions = ()
    if not public:
        contributions = tuple(
            ContributionItem(
                kind=c.kind,
                kind_label=str(c.get_kind_display()),
                startup_name=c.sponsorship.startup.name if c.sponsorship_id else None,
                period_start=c.period_start,
                period_end=c.period_end,
                amount_cents=c.amount_cents,
                paid_cents=c.paid_cents,
                status=c.status,
                status_label=str(c.get_status_display()),
                due_date=c.due_date,
            )
            for c in Contribution.objects.filter(
                territory=territory, period_start__lte=period.end, period_end__gte=period.start
            )
            .select_related("sponsorship__startup")
            .order_by("due_date", "period_start", "pk")
        )
    counted = [c for c in contributions if c.status != ContributionStatus.CANCELLED]

    return TerritoryReport(
        name=territory.name,
        slug=territory.slug,
        kind_label=str(territory.get_kind_display()),
        public=public,
        period=period,
        as_of=as_of,
        generated_on=today,
        startups=tuple(rows),
        sponsored_total_cents=sum(row.amount_cents for row in rows),
        phase_counts=phase_counts,
        not_started_count=sum(row.phase is None for row in rows),
        lesson_groups=_lesson_groups(lessons),
        contributions_shown=not public,
        contributions=contributions,
        contributions_due_cents=sum(c.amount_cents for c in counted),
        contributions_paid_cents=sum(c.paid_cents for c in counted),
        sources=source_lines(imported=_imported(startups)),
    )


# --- Annual incubator report ---------------------------------------------------------


def _window(year: int, today: datetime.date) -> Period:
    """A calendar year, cut at `today` while it runs."""
    return Period(datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), today))


def _year_figures(histories, fundings, lessons, window: Period) -> dict[str, int]:
    """The comparison figures of one year, from already loaded rows."""
    figures = dict.fromkeys(
        ("started", "decisions", "stops", "successes", "funding", "lessons", "active"), 0
    )
    for transitions in histories:
        for index, transition in enumerate(transitions):
            if not (window.start <= transition.date <= window.end):
                continue
            if index == 0:
                figures["started"] += 1
            else:
                figures["decisions"] += 1
            figures["stops"] += transition.to_phase == Phase.ABANDONED
            figures["successes"] += transition.to_phase in SUCCESS_PHASES
        phase = _phase_on(transitions, window.end)
        figures["active"] += phase is not None and phase not in TERMINAL_PHASES
    figures["funding"] = sum(
        f.amount_cents for f in fundings if window.start <= f.start_date <= window.end
    )
    figures["lessons"] = sum(
        window.start <= _lesson_date(lesson) <= window.end for lesson in lessons
    )
    return figures


def _comparison(this: dict[str, int], previous: dict[str, int]) -> tuple[YearComparison, ...]:
    labels = (
        ("started", _("Startups entrées en incubation"), False),
        ("decisions", _("Décisions de phase (passages, pivots, arrêts, réouvertures)"), False),
        ("stops", _("Arrêts"), False),
        ("successes", _("Succès (transférées ou opérées)"), False),
        ("funding", _("Financements accordés"), True),
        ("lessons", _("Leçons tirées"), False),
        ("active", _("Startups en incubation en fin d’année"), False),
    )
    return tuple(
        YearComparison(key, label, this[key], previous[key], is_amount)
        for key, label, is_amount in labels
    )


def _history_figures(histories):
    """Stop rates, endings and stay lengths from the phase histories (cut at the report date)."""
    entered = defaultdict(set)
    stopped = defaultdict(set)
    stays = defaultdict(list)
    ended = succeeded = 0
    for index, transitions in enumerate(histories):
        for position, transition in enumerate(transitions):
            following = transitions[position + 1] if position + 1 < len(transitions) else None
            if transition.to_phase in PHASE_ORDER:
                entered[transition.to_phase].add(index)
                if following is not None:
                    stays[transition.to_phase].append((following.date - transition.date).days)
                    if following.to_phase == Phase.ABANDONED:
                        stopped[transition.to_phase].add(index)
        if transitions and transitions[-1].to_phase in TERMINAL_PHASES:
            ended += 1
            succeeded += transitions[-1].to_phase in SUCCESS_PHASES
    stop_rates = tuple(
        PhaseRate(phase.value, str(phase.label), len(entered[phase]), len(stopped[phase]))
        for phase in PHASE_ORDER
    )
    medians = tuple(
        PhaseMedian(
            phase.value,
            str(phase.label),
            float(statistics.median(stays[phase])) if stays[phase] else None,
            len(stays[phase]),
        )
        for phase in PHASE_ORDER
    )
    return stop_rates, medians, ended, succeeded


def _funder_totals(fundings) -> tuple[FunderTotal, ...]:
    amounts: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    for funding in fundings:
        if funding.funder_id is not None:
            name = funding.funder.name
        else:
            name = funding.funder_name.strip() or _("Financeur non précisé")
        amounts[name] += funding.amount_cents
        counts[name] += 1
    return tuple(
        FunderTotal(name, amounts[name], counts[name])
        for name in sorted(amounts, key=lambda name: (-amounts[name], name))
    )


def incubator_report_data(
    *,
    incubator: Incubator | str,
    year: int,
    public: bool,
    today: datetime.date | None = None,
) -> IncubatorAnnualReport:
    """An incubator's year: funnel, stop and success rates, phase lengths, money and lessons.

    `incubator` is an instance or a slug. Everything comes from the phase
    history and the records, never from typed figures. Rates and medians are
    cumulative up to the year's end (or today); the comparison with the
    previous year counts what happened within each year. In a public report,
    private startups do not exist, nor private lessons.
    """
    today = today or timezone.localdate()
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise IncubatorError(_("« %(year)s » n’est pas une année valide.") % {"year": year})
    if datetime.date(year, 1, 1) > today:
        raise IncubatorError(
            _("L’année %(year)s n’a pas commencé : pas de rapport annuel avant le %(date)s.")
            % {"year": year, "date": fr_date(datetime.date(year, 1, 1))}
        )
    period = Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    as_of = _as_of(period.end, today)
    this_window, previous_window = _window(year, today), _window(year - 1, today)
    incubator = _resolve(Incubator, incubator, _("Aucun incubateur d’identifiant « %(slug)s »."))

    startups = Startup.objects.filter(incubator=incubator, archived_at__isnull=True)
    if public:
        startups = startups.filter(visibility=Visibility.PUBLIC)
    startups = list(
        startups.only("pk", "source_id").order_by("pk").prefetch_related(_transitions_prefetch())
    )
    histories = [[t for t in s.transitions.all() if t.date <= as_of] for s in startups]

    same_startups = {"startup__incubator": incubator, "startup__archived_at__isnull": True}
    if public:
        same_startups["startup__visibility"] = Visibility.PUBLIC
    fundings = list(
        Funding.objects.filter(
            **same_startups, start_date__gte=previous_window.start, start_date__lte=as_of
        )
        .select_related("funder")
        .only("pk", "amount_cents", "start_date", "funder_name", "funder__name")
        .order_by("start_date", "pk")
    )
    lessons = list(
        _report_lessons(public=public)
        .filter(**same_startups)
        .annotate(report_date=_LESSON_DATE)
        .filter(report_date__gte=previous_window.start, report_date__lte=as_of)
    )

    funnel, _abandoned = _funnel(histories, end=as_of)
    stop_rates, medians, ended, succeeded = _history_figures(histories)
    year_fundings = [f for f in fundings if this_window.start <= f.start_date <= this_window.end]
    year_lessons = [
        lesson for lesson in lessons if this_window.start <= _lesson_date(lesson) <= this_window.end
    ]
    return IncubatorAnnualReport(
        name=incubator.name,
        slug=incubator.slug,
        year=year,
        public=public,
        period=period,
        as_of=as_of,
        generated_on=today,
        startups_count=funnel[0].count,
        funnel=funnel,
        stop_rates=stop_rates,
        ended_count=ended,
        succeeded_count=succeeded,
        median_days=medians,
        funding_by_funder=_funder_totals(year_fundings),
        funding_total_cents=sum(f.amount_cents for f in year_fundings),
        lesson_groups=_lesson_groups(year_lessons),
        comparison=_comparison(
            _year_figures(histories, fundings, lessons, this_window),
            _year_figures(histories, fundings, lessons, previous_window),
        ),
        sources=source_lines(imported=_imported(startups)),
    )
