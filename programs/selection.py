"""Read helpers of the selection committee: which applications a coach reviews, and
their scores, all computed in the database (one query for a list, whatever its length).
"""

from django.db.models import (
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from incubator.permissions import is_network_staff
from programs.calls import (
    Application,
    ApplicationComment,
    ApplicationScore,
    ApplicationStatus,
    SelectionCriterion,
)
from programs.models import Program

__all__ = [
    "annotate_for_selection",
    "applications_reviewable_by",
    "criterion_rows",
    "weighted_average",
]


def applications_reviewable_by(user) -> QuerySet[Application]:
    """Sent applications (never drafts) of the programmes `user` coaches; staff: all.

    The applicant never reviews their own application (as `can_review_application`).
    """
    if user is None or not user.is_authenticated:
        return Application.objects.none()
    applications = Application.objects.exclude(status=ApplicationStatus.DRAFT).exclude(
        applicant=user
    )
    if is_network_staff(user):
        return applications
    programs = Program.objects.filter(Q(incubator__coaches=user) | Q(cohorts__coaches=user))
    return applications.filter(call__program__in=programs.values("pk"))


def _per_application(queryset, aggregate, output_field):
    return Coalesce(
        Subquery(
            queryset.filter(application=OuterRef("pk"))
            .order_by()
            .values("application")
            .annotate(value=aggregate)
            .values("value")[:1],
            output_field=output_field,
        ),
        Value(0),
        output_field=output_field,
    )


def annotate_for_selection(applications: QuerySet[Application], *, user) -> QuerySet:
    """Each application with `average_score` (weighted by the criteria, None when unscored),
    `my_score_count`, `criteria_count` and `comment_count`."""
    scores = ApplicationScore.objects.all()
    weighted = (
        ApplicationScore.objects.filter(application=OuterRef("pk"))
        .order_by()
        .values("application")
        .annotate(
            value=Cast(Sum(F("score") * F("criterion__weight")), FloatField())
            / Cast(Sum("criterion__weight"), FloatField())
        )
        .values("value")[:1]
    )
    criteria = (
        SelectionCriterion.objects.filter(program=OuterRef("call__program"))
        .order_by()
        .values("program")
        .annotate(value=Count("pk"))
        .values("value")[:1]
    )
    return applications.annotate(
        average_score=Subquery(weighted, output_field=FloatField()),
        my_score_count=_per_application(scores.filter(coach=user), Count("pk"), IntegerField()),
        criteria_count=Coalesce(
            Subquery(criteria, output_field=IntegerField()), Value(0), output_field=IntegerField()
        ),
        comment_count=_per_application(
            ApplicationComment.objects.all(), Count("pk"), IntegerField()
        ),
    )


def weighted_average(scores) -> float | None:
    """Σ(score × weight) / Σ(weight) over every coach's scores; None when nothing is scored."""
    total = weights = 0
    for row in scores:
        total += row.score * row.criterion.weight
        weights += row.criterion.weight
    return total / weights if weights else None


def criterion_rows(criteria, scores, *, user) -> list[dict]:
    """One row per criterion: my score, the others' scores and their mean."""
    rows = []
    for criterion in criteria:
        mine = None
        others = []
        values = []
        for row in scores:
            if row.criterion_id != criterion.pk:
                continue
            values.append(row.score)
            if row.coach_id == user.pk:
                mine = row.score
            else:
                others.append(row)
        rows.append(
            {
                "criterion": criterion,
                "mine": mine,
                "others": others,
                "average": sum(values) / len(values) if values else None,
            }
        )
    return rows
