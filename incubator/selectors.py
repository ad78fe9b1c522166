"""Reads of lifecycle data, scoped by who asks (DESIGN §6).

Views always fetch through these, so private data cannot reach a page by
accident: a startup outside `startups_visible_to(user=…)` is a 404.
"""

from django.db.models import Q, QuerySet

from incubator.enums import Visibility
from incubator.models import Startup
from incubator.permissions import is_network_staff


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
    ids = Startup.objects.filter(Q(incubator__coaches=user) | Q(cohort__coaches=user)).values("pk")
    return startups.filter(pk__in=ids)
