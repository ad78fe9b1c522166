"""Permission predicates for the lifecycle (DESIGN §6), small enough to read at a glance."""

from accounts.enums import Role
from accounts.permissions import is_coach


def is_network_staff(user) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.is_staff or user.role == Role.STAFF)
    )


def can_reopen_startup(user) -> bool:
    """Terminal phases accept no further change except a reopening by staff."""
    return is_network_staff(user)


def is_coach_of(user, startup) -> bool:
    """Coach of the startup's incubator or cohort (or staff): reviews and phase decisions."""
    if is_network_staff(user):
        return True
    if not user.is_authenticated:
        return False
    if startup.incubator.coaches.filter(pk=user.pk).exists():
        return True
    return startup.cohort_id is not None and startup.cohort.coaches.filter(pk=user.pk).exists()


def is_member_of(user, startup) -> bool:
    """A current member of the startup's team (agent-entrepreneur or team member)."""
    return (
        user.is_authenticated
        and startup.memberships.filter(user=user, end_date__isnull=True).exists()
    )


def can_edit_startup(user, startup) -> bool:
    """Agents edit everything on their startups except phase decisions; coaches too."""
    return is_member_of(user, startup) or is_coach_of(user, startup)


def can_read_commitment(user, sponsorship) -> bool:
    """A sponsor's signed commitment letter: the startup's team and coaches, the sponsor
    territory's référents, staff."""
    return can_edit_startup(user, sponsorship.startup) or (
        user.is_authenticated and sponsorship.territory.referents.filter(pk=user.pk).exists()
    )


def can_decide_phase(user, startup) -> bool:
    return is_coach_of(user, startup)


def can_view_cohort_board(user) -> bool:
    """The coach's board: coaches (by role or by coaching an incubator or cohort) and staff."""
    if not user.is_authenticated:
        return False
    if is_network_staff(user) or user.role == Role.COACH:
        return True
    return is_coach(user)
