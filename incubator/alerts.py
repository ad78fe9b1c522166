"""What needs a coach's attention on a startup: overdue phase or review, silence, gaps.

Pure reads, shared by the cohort board and the weekly digest:

    startups = alerts.annotate_for_board(Startup.objects.filter(...), today=today)
    for startup in startups:
        alerts.alerts_for(startup, today=today)  # no query

`annotate_for_board` adds everything `alerts_for` reads; `alert_filter`
expresses each alert as a database condition on the same annotations, so a
list can be filtered by alert kind without loading every row.
"""

import datetime
from dataclasses import dataclass

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, When
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incubator.enums import TERMINAL_PHASES, FailureScope, MembershipRole, Phase
from incubator.models import Lesson, Membership, Review, Sponsorship, Startup, add_months
from programs.calls import Application, ApplicationStatus

NO_UPDATE_DAYS = 30  # "no update for 30 days"
REVIEW_EVERY_MONTHS = 6  # a committee at least every six months (DESIGN §3)

# Names of the annotations added by `annotate_for_board`.
LAST_REVIEW_DATE = "board_last_review_date"
NEXT_REVIEW_DATE = "board_next_review_date"
HAS_AGENT = "board_has_agent"
HAS_SIGNED_COMMITMENT = "board_has_signed_commitment"
HAS_DOCUMENTED_STOP = "board_has_documented_stop"


class AlertKind(models.TextChoices):
    PHASE_OVERDUE = "phase_overdue", gettext_lazy("Phase dépassée")
    REVIEW_OVERDUE = "review_overdue", gettext_lazy("Comité en retard")
    NO_UPDATE = "no_update", gettext_lazy("Pas de mise à jour depuis 30 jours")
    NO_AGENT = "no_agent", gettext_lazy("Aucun agent-entrepreneur")
    NO_SIGNED_COMMITMENT = "no_signed_commitment", gettext_lazy("Engagement du sponsor non signé")
    UNDOCUMENTED_STOP = "undocumented_stop", gettext_lazy("Arrêt non documenté")


@dataclass(frozen=True)
class Alert:
    """One alert on one startup; `label` is the French sentence shown to people."""

    kind: AlertKind
    label: str


def _latest_reviews():
    return Review.objects.filter(startup=OuterRef("pk"), archived_at__isnull=True).order_by(
        "-date", "-created", "-pk"
    )


def next_review_date():
    """The next committee of each startup, as an SQL expression.

    Set by its latest non-archived review; before any review, the date fixed
    when its application was accepted (`programs.calls.Application`).
    """
    first = Application.objects.filter(
        startup=OuterRef("pk"), status=ApplicationStatus.ACCEPTED
    ).order_by("-decided_at")
    return Case(
        When(
            Exists(_latest_reviews()),
            then=Subquery(_latest_reviews().values("next_review_date")[:1]),
        ),
        default=Subquery(first.values("first_review_date")[:1]),
    )


def annotate_for_board(queryset: QuerySet, *, today: datetime.date | None = None) -> QuerySet:
    """Add what `alerts_for` and the board read, as annotations of one query.

    - board_last_review_date: from the latest non-archived review;
    - board_next_review_date: `next_review_date()`;
    - board_has_agent: a current agent-entrepreneur membership on `today`;
    - board_has_signed_commitment: a sponsorship with a signed commitment;
    - board_has_documented_stop: a whole-startup failure with a lesson
      (as `services.has_documented_stop`).
    """
    today = today or timezone.localdate()
    current_agent = Membership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        startup=OuterRef("pk"),
        role=MembershipRole.AGENT,
        start_date__lte=today,
    )
    signed = Sponsorship.objects.filter(startup=OuterRef("pk"), commitment_signed_on__isnull=False)
    documented = Lesson.objects.filter(
        failure__startup=OuterRef("pk"),
        failure__scope=FailureScope.STARTUP,
        failure__archived_at__isnull=True,
        archived_at__isnull=True,
    )
    return queryset.annotate(
        **{
            LAST_REVIEW_DATE: Subquery(_latest_reviews().values("date")[:1]),
            NEXT_REVIEW_DATE: next_review_date(),
            HAS_AGENT: Exists(current_agent),
            HAS_SIGNED_COMMITMENT: Exists(signed),
            HAS_DOCUMENTED_STOP: Exists(documented),
        }
    )


def _no_update_before(today: datetime.date) -> datetime.datetime:
    """Activity before this instant is at least NO_UPDATE_DAYS (local) days old."""
    day = today - datetime.timedelta(days=NO_UPDATE_DAYS - 1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def days_since_update(startup: Startup, *, today: datetime.date) -> int | None:
    """Whole days since the team or coach last recorded anything (None if never)."""
    if startup.last_activity_at is None:
        return None
    return (today - timezone.localdate(startup.last_activity_at)).days


def _review_reference(startup: Startup) -> datetime.date:
    """Since when a committee is due: the later of the last review and the phase start."""
    start = startup.phase_since or timezone.localdate(startup.created)
    last = getattr(startup, LAST_REVIEW_DATE)
    return max(start, last) if last else start


def alert_filter(kind: str, *, today: datetime.date) -> Q:
    """The database condition for one alert kind, on a queryset from `annotate_for_board`."""
    active = ~Q(phase__in=TERMINAL_PHASES)
    cutoff = add_months(today, -REVIEW_EVERY_MONTHS)
    conditions = {
        AlertKind.PHASE_OVERDUE: active & Q(phase_deadline__lt=today),
        AlertKind.REVIEW_OVERDUE: active
        & (
            Q(**{f"{NEXT_REVIEW_DATE}__lt": today})
            | (
                (
                    Q(**{f"{LAST_REVIEW_DATE}__isnull": True})
                    | Q(**{f"{LAST_REVIEW_DATE}__lt": cutoff})
                )
                & (
                    Q(phase_since__lt=cutoff)
                    | Q(phase_since__isnull=True, created__date__lt=cutoff)
                )
            )
        ),
        AlertKind.NO_UPDATE: active
        & (Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=_no_update_before(today))),
        AlertKind.NO_AGENT: active & Q(**{HAS_AGENT: False}),
        AlertKind.NO_SIGNED_COMMITMENT: active & Q(**{HAS_SIGNED_COMMITMENT: False}),
        AlertKind.UNDOCUMENTED_STOP: Q(phase=Phase.ABANDONED, **{HAS_DOCUMENTED_STOP: False}),
    }
    return conditions[AlertKind(kind)]


def alerts_for(startup: Startup, *, today: datetime.date) -> list[Alert]:
    """The alerts of one startup, in AlertKind order, without any query.

    The startup must come from `annotate_for_board`; otherwise it is
    re-read once with the annotations (one query), for callers holding a
    plain instance.
    """
    if not hasattr(startup, HAS_AGENT):
        startup = annotate_for_board(Startup.objects.filter(pk=startup.pk), today=today).get()
    if startup.phase == Phase.ABANDONED:
        if getattr(startup, HAS_DOCUMENTED_STOP):
            return []
        return [
            Alert(
                AlertKind.UNDOCUMENTED_STOP,
                _("Arrêt sans retour d’expérience ni leçon : documentez-le."),
            )
        ]
    if startup.phase in TERMINAL_PHASES:
        return []

    alerts = []
    if startup.phase_deadline is not None and startup.phase_deadline < today:
        alerts.append(
            Alert(
                AlertKind.PHASE_OVERDUE,
                _("Phase dépassée depuis le %(date)s")
                % {"date": date_format(startup.phase_deadline, "SHORT_DATE_FORMAT")},
            )
        )
    next_review = getattr(startup, NEXT_REVIEW_DATE)
    if next_review is not None and next_review < today:
        alerts.append(
            Alert(
                AlertKind.REVIEW_OVERDUE,
                _("Comité prévu le %(date)s non tenu")
                % {"date": date_format(next_review, "SHORT_DATE_FORMAT")},
            )
        )
    elif _review_reference(startup) < add_months(today, -REVIEW_EVERY_MONTHS):
        alerts.append(Alert(AlertKind.REVIEW_OVERDUE, _("Aucun comité depuis plus de six mois")))
    days = days_since_update(startup, today=today)
    if days is None or days >= NO_UPDATE_DAYS:
        label = (
            _("Aucune mise à jour enregistrée")
            if days is None
            else _("Aucune mise à jour depuis %(days)d jours") % {"days": days}
        )
        alerts.append(Alert(AlertKind.NO_UPDATE, label))
    if not getattr(startup, HAS_AGENT):
        alerts.append(Alert(AlertKind.NO_AGENT, _("Aucun agent-entrepreneur en poste")))
    if not getattr(startup, HAS_SIGNED_COMMITMENT):
        alerts.append(Alert(AlertKind.NO_SIGNED_COMMITMENT, _("Aucun engagement de sponsor signé")))
    return alerts
