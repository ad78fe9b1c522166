"""Reads of lifecycle data, scoped by who asks (DESIGN §6).

Views always fetch through these, so private data cannot reach a page by
accident: a startup outside `startups_visible_to(user=…)` is a 404.
"""

from django.db.models import Q, QuerySet

from incubator.enums import PUBLISHABLE_REPORT_KINDS, ReportKind, ReportStatus, Visibility
from incubator.models import Failure, Incubator, Indicator, Lesson, Report, Startup, Territory
from incubator.permissions import is_network_staff
from programs.models import Cohort


def _involvement(user) -> Q:
    """Startups a user works on or follows: member, coach, or référent of a sponsor."""
    return (
        Q(memberships__user=user, memberships__end_date__isnull=True)
        | Q(incubator__coaches=user)
        | Q(cohort__coaches=user)
        | Q(sponsors__referents=user)
    )


def startups_visible_to(*, user) -> QuerySet[Startup]:
    """Every startup this user may read: public ones, plus those they are involved in."""
    startups = Startup.objects.filter(archived_at__isnull=True)
    if is_network_staff(user):
        return startups
    public = Q(visibility=Visibility.PUBLIC)
    if not user.is_authenticated:
        return startups.filter(public)
    ids = Startup.objects.filter(_involvement(user)).values("pk")
    return startups.filter(public | Q(pk__in=ids))


def startups_followed_by(*, user) -> QuerySet[Startup]:
    """The startups of a user's workspace ("Mes startups"), public or not."""
    startups = Startup.objects.filter(archived_at__isnull=True)
    if is_network_staff(user):
        return startups
    if not user.is_authenticated:
        return startups.none()
    return startups.filter(pk__in=Startup.objects.filter(_involvement(user)).values("pk"))


def startups_coached_by(*, user) -> QuerySet[Startup]:
    """The startups whose phase decisions this user may take (coach or staff)."""
    startups = Startup.objects.filter(archived_at__isnull=True)
    if is_network_staff(user):
        return startups
    if not user.is_authenticated:
        return startups.none()
    # The coach's incubators and cohorts first (two tiny queries): with their ids
    # written out, each side of the OR reads its own index. As a subquery, it was
    # joined to every startup of the network, in each of the board's queries.
    incubator_ids = list(
        Incubator.coaches.through.objects.filter(user=user).values_list("incubator_id", flat=True)
    )
    cohort_ids = list(
        Cohort.coaches.through.objects.filter(user=user).values_list("cohort_id", flat=True)
    )
    return startups.filter(Q(incubator_id__in=incubator_ids) | Q(cohort_id__in=cohort_ids))


# --- Reports: what a user may generate and read reports about ----------------------


def report_startups_for(*, user) -> QuerySet[Startup]:
    """Startup reports: its team, its coaches, network staff."""
    startups = Startup.objects.filter(archived_at__isnull=True)
    if is_network_staff(user):
        return startups
    if not user.is_authenticated:
        return startups.none()
    involved = Q(memberships__user=user, memberships__end_date__isnull=True)
    involved |= Q(incubator__coaches=user) | Q(cohort__coaches=user)
    return startups.filter(pk__in=Startup.objects.filter(involved).values("pk"))


def report_cohorts_for(*, user) -> QuerySet[Cohort]:
    """Cohort reports: the cohort's coaches and its incubator's, network staff."""
    if is_network_staff(user):
        return Cohort.objects.all()
    if not user.is_authenticated:
        return Cohort.objects.none()
    ids = Cohort.objects.filter(Q(coaches=user) | Q(program__incubator__coaches=user))
    return Cohort.objects.filter(pk__in=ids.values("pk"))


def _territories_coached_by(user) -> QuerySet[Territory]:
    """Territories sponsoring a startup of an incubator this user coaches."""
    return Territory.objects.filter(sponsorships__startup__incubator__coaches=user)


def report_territories_for(*, user) -> QuerySet[Territory]:
    """Territory reports: its référents, coaches of the startups it sponsors, network staff."""
    if is_network_staff(user):
        return Territory.objects.all()
    if not user.is_authenticated:
        return Territory.objects.none()
    involved = Q(referents=user) | Q(sponsorships__startup__incubator__coaches=user)
    return Territory.objects.filter(pk__in=Territory.objects.filter(involved).values("pk"))


def report_incubators_for(*, user) -> QuerySet[Incubator]:
    """Incubator annual reports: its coaches, network staff."""
    if is_network_staff(user):
        return Incubator.objects.all()
    if not user.is_authenticated:
        return Incubator.objects.none()
    return Incubator.objects.filter(coaches=user)


def report_subjects_for(kind: str, *, user) -> QuerySet:
    return {
        ReportKind.STARTUP: report_startups_for,
        ReportKind.COHORT: report_cohorts_for,
        ReportKind.TERRITORY: report_territories_for,
        ReportKind.INCUBATOR: report_incubators_for,
    }[kind](user=user)


def reports_visible_to(*, user) -> QuerySet[Report]:
    """Generated reports a user may read and download: those of the subjects above."""
    if is_network_staff(user):
        return Report.objects.all()
    return Report.objects.filter(
        Q(kind=ReportKind.STARTUP, startup__in=report_startups_for(user=user))
        | Q(kind=ReportKind.COHORT, cohort__in=report_cohorts_for(user=user))
        | Q(kind=ReportKind.TERRITORY, territory__in=report_territories_for(user=user))
        | Q(kind=ReportKind.INCUBATOR, incubator__in=report_incubators_for(user=user))
    )


def can_publish_report(user, report: Report) -> bool:
    """A coach publishes territory and incubator reports (never a référent alone)."""
    if report.kind not in PUBLISHABLE_REPORT_KINDS:
        return False
    if is_network_staff(user):
        return True
    if report.kind == ReportKind.TERRITORY:
        return _territories_coached_by(user).filter(pk=report.territory_id).exists()
    return Incubator.objects.filter(pk=report.incubator_id, coaches=user).exists()


def published_reports() -> QuerySet[Report]:
    """What the public site lists: published public versions, finished."""
    return Report.objects.filter(
        published_at__isnull=False, is_public=True, status=ReportStatus.DONE
    )


# --- The public surface: site pages, feeds, open data -------------------------------
# Every public page, feed, sitemap and API reads through these, never through
# the models directly: what is private is decided here, once.


def public_startups() -> QuerySet[Startup]:
    """Startups anyone may see: public and not archived."""
    return Startup.objects.filter(archived_at__isnull=True, visibility=Visibility.PUBLIC)


def public_failures() -> QuerySet[Failure]:
    """Failures shown publicly: of a public startup, not archived, published with consent."""
    return Failure.objects.filter(
        archived_at__isnull=True,
        publication_consent=True,
        startup__in=public_startups(),
    )


def public_lessons() -> QuerySet[Lesson]:
    """Public lessons of public startups; a lesson of a failure without consent stays private
    (it would reveal the failure's cause)."""
    # The failure's conditions are those of `public_failures()`, written as a join: as a
    # subquery inside the OR, PostgreSQL hashed every public failure for each query.
    return Lesson.objects.filter(
        archived_at__isnull=True,
        visibility=Visibility.PUBLIC,
        startup__in=public_startups(),
    ).filter(
        Q(failure__isnull=True)
        | Q(
            failure__archived_at__isnull=True,
            failure__publication_consent=True,
            failure__startup__archived_at__isnull=True,
            failure__startup__visibility=Visibility.PUBLIC,
        )
    )


def public_indicators() -> QuerySet[Indicator]:
    """Indicators marked public, of public startups."""
    return Indicator.objects.filter(is_public=True, startup__in=public_startups())
