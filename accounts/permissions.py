"""Small, readable permission predicates about accounts (DESIGN §6)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, Q

from allauth.mfa.models import Authenticator

from accounts.enums import MFA_REQUIRED_ROLES


def is_demo_account(user) -> bool:
    return user.email.lower().endswith("@" + settings.DEMO_EMAIL_DOMAIN)


def requires_mfa(user) -> bool:
    """Staff, superusers and coaches must protect their account with MFA.

    A coach is anyone who coaches an incubator or a cohort, whatever their role
    field says: coaching is what gives phase decisions and coaches' notes.
    """
    if not user.is_authenticated or not settings.MFA_REQUIRED_FOR_PRIVILEGED:
        return False
    if settings.MFA_EXEMPT_DEMO_ACCOUNTS and is_demo_account(user):
        return False
    if user.is_staff or user.is_superuser or user.role in MFA_REQUIRED_ROLES:
        return True
    return is_coach(user)


def is_coach(user) -> bool:
    """Does the person coach an incubator or a cohort? One query, asked once per request.

    The answer is kept on the user object, and `request.user` is loaded afresh for every
    request: it never outlives the request that asked.
    """
    if not hasattr(user, "_is_coach"):
        user_model = get_user_model()  # `request.user` is a lazy proxy: not type(user)
        incubators = user_model.coached_incubators.through.objects.filter(user_id=user.pk)
        cohorts = user_model.cohorts.through.objects.filter(user_id=user.pk)
        user._is_coach = user_model.objects.filter(
            Q(Exists(incubators)) | Q(Exists(cohorts)), pk=user.pk
        ).exists()
    return user._is_coach


def has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
