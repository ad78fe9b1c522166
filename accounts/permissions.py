"""Small, readable permission predicates about accounts (DESIGN §6)."""

from django.conf import settings

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
    return user.coached_incubators.exists() or user.cohorts.exists()


def has_mfa(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
