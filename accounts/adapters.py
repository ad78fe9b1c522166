import base64
import hashlib
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import (
    get_authentication_records,
    record_authentication,
)
from allauth.account.internal.flows.reauthentication import (
    STATE_SESSION_KEY,
    get_reauthentication_flows,
)
from allauth.core import context
from allauth.core.exceptions import ImmediateHttpResponse, ReauthenticationRequired
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from cryptography.fernet import Fernet

from accounts.permissions import requires_mfa
from accounts.proconnect.views import PROVIDER_ID, REAUTHENTICATION_STATE_KEY
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

    def get_reauthentication_methods(self, user) -> list[dict]:
        methods = super().get_reauthentication_methods(user)
        if not methods and _reauthenticates_with_proconnect(user):
            # The first method is where allauth sends the person when it must ask again.
            methods.append(
                {
                    "id": "proconnect",
                    "description": _("Se reconnecter avec ProConnect"),
                    "url": reverse("proconnect_login"),
                }
            )
        return methods

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        required = super().is_reauthentication_required(app=app, **kwargs)
        # allauth counts an account with neither password nor MFA as always just
        # re-authenticated (it has nothing to ask for): it would never ask. With
        # ProConnect we can; raising is what allauth's callers do when it is required.
        if required and _must_reauthenticate_with_proconnect(context.request):
            raise ReauthenticationRequired()
        return required

    def set_password(self, user, password: str) -> None:
        # A first password on a ProConnect account would give a second way in to whoever
        # holds the open session: allauth does not ask again for it, we do.
        request = context.request
        if (
            request is not None
            and request.user.is_authenticated
            and request.user.pk == user.pk
            and _must_reauthenticate_with_proconnect(request)
        ):
            raise ReauthenticationRequired()
        super().set_password(user, password)

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


def _reauthenticates_with_proconnect(user) -> bool:
    """Neither password nor MFA, but a ProConnect account, and ProConnect configured."""
    return (
        user.is_authenticated
        and not get_reauthentication_flows(user)
        and PROVIDER_ID in settings.SOCIALACCOUNT_PROVIDERS
        and SocialAccount.objects.filter(user=user, provider=PROVIDER_ID).exists()
    )


def _must_reauthenticate_with_proconnect(request) -> bool:
    if request is None or not _reauthenticates_with_proconnect(request.user):
        return False
    timeout = account_settings.REAUTHENTICATION_TIMEOUT
    return not any(
        record.get("reauthenticated") and time.time() - record["at"] < timeout
        for record in get_authentication_records(request, request.user)
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """ProConnect as a re-authentication, for accounts that have nothing else to ask."""

    def pre_social_login(self, request, sociallogin):
        super().pre_social_login(request, sociallogin)
        if not sociallogin.state.get(REAUTHENTICATION_STATE_KEY):
            return
        next_url = sociallogin.state.get("next") or reverse("account_email")
        # The change that was asked for is not replayed: the person makes it again, now
        # that allauth counts them as just re-authenticated.
        request.session.pop(STATE_SESSION_KEY, None)
        if (
            request.user.is_authenticated
            and sociallogin.is_existing
            and sociallogin.user.pk == request.user.pk
        ):
            record_authentication(
                request,
                request.user,
                "socialaccount",
                provider=sociallogin.account.provider,
                uid=sociallogin.account.uid,
                reauthenticated=True,
            )
            messages.success(
                request,
                _(
                    "Identité confirmée par ProConnect : vous pouvez enregistrer votre modification."
                ),
            )
        else:
            log_event("reauthentication_failed", request=request, outcome="failure")
            messages.error(
                request,
                _(
                    "Ce compte ProConnect n’est pas celui de votre compte : votre identité "
                    "n’a pas été confirmée et rien n’a été modifié."
                ),
            )
        raise ImmediateHttpResponse(HttpResponseRedirect(next_url))


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
