"""Permission predicates for calls for projects and the selection committee."""

from incubator.permissions import is_network_staff
from programs.models import Cohort


def can_review_application(user, application) -> bool:
    """Score, comment and decide: staff, or a coach of the programme's incubator or cohorts.

    The applicant never reviews their own application, whatever their role.
    """
    if user is None or not user.is_authenticated:
        return False
    if user.pk == application.applicant_id:
        return False
    if is_network_staff(user):
        return True
    program = application.call.program
    if program.incubator.coaches.filter(pk=user.pk).exists():
        return True
    return Cohort.objects.filter(program=program, coaches=user).exists()
