from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter

from accounts.permissions import requires_mfa


class AccountAdapter(DefaultAccountAdapter):
    """allauth account behaviour for Territoires Lab."""

    def populate_username(self, request, user):
        # There is no username: users log in with their e-mail address.
        return None


class MfaAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        # Staff and coaches cannot switch off the MFA that their role requires.
        if authenticator.type == authenticator.Type.TOTP and requires_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
