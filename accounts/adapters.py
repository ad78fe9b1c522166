import base64
import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet

from accounts.permissions import requires_mfa
from accounts.security_log import log_event


def _account_tried(email: str):
    # The account tried, if there is one: the typed text itself is never logged (people
    # sometimes type their password in the e-mail field).
    return get_user_model().objects.filter(email__iexact=email).first()


class AccountAdapter(DefaultAccountAdapter):
    """allauth account behaviour for Territoires Lab."""

    @property
    def error_messages(self) -> dict:
        minutes = settings.LOGIN_LOCKOUT_MINUTES
        return {
            **super().error_messages,
            # allauth's own says neither how long nor what else to do.
            "too_many_login_attempts": ngettext(
                "Trop de tentatives de connexion échouées. Par sécurité, la connexion est "
                "bloquée pendant %(minutes)s minute au plus : réessayez plus tard, ou "
                "choisissez un nouveau mot de passe avec « Mot de passe oublié ? ».",
                "Trop de tentatives de connexion échouées. Par sécurité, la connexion est "
                "bloquée pendant %(minutes)s minutes au plus : réessayez plus tard, ou "
                "choisissez un nouveau mot de passe avec « Mot de passe oublié ? ».",
                minutes,
            )
            % {"minutes": minutes},
        }

    def populate_username(self, request, user):
        # There is no username: users log in with their e-mail address.
        return None

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            log_event(
                "login_locked",
                request=request,
                user=_account_tried(credentials.get("email", "")),
                outcome="refused",
            )
            raise

    def authentication_failed(self, request, **credentials):
        log_event(
            "login_failed",
            request=request,
            user=_account_tried(credentials.get("email", "")),
            outcome="failure",
        )
        super().authentication_failed(request, **credentials)


# Marks a secret encrypted by `MfaAdapter`; those stored before it are read as they are.
ENCRYPTED_PREFIX = "fernet:"


def _mfa_cipher() -> Fernet:
    """Fernet with MFA_ENCRYPTION_KEY, or a key derived from SECRET_KEY when it is unset."""
    key = settings.MFA_ENCRYPTION_KEY or base64.urlsafe_b64encode(
        hashlib.sha256(f"territoires-lab-mfa:{settings.SECRET_KEY}".encode()).digest()
    )
    return Fernet(key)


class MfaAdapter(DefaultMFAAdapter):
    # TOTP secrets and recovery-code seeds are encrypted in the database: a read of the
    # database, a backup or an export gives no one a second factor without the key.
    def encrypt(self, text: str) -> str:
        return ENCRYPTED_PREFIX + _mfa_cipher().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(ENCRYPTED_PREFIX):
            return encrypted_text
        token = encrypted_text.removeprefix(ENCRYPTED_PREFIX).encode()
        return _mfa_cipher().decrypt(token).decode()

    def can_delete_authenticator(self, authenticator) -> bool:
        # Staff and coaches cannot switch off the MFA that their role requires.
        if authenticator.type == authenticator.Type.TOTP and requires_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
