"""Security log entries for what Django and allauth announce by signal, and the session
clock started at login.

Connected in AccountsConfig.ready(). Login failures and lockouts are logged by the
account adapter, where allauth decides them.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from allauth.mfa import signals as mfa_signals

from accounts.middleware import start_session_clock
from accounts.security_log import log_event


@receiver(user_logged_in, dispatch_uid="security_log_login")
def log_login(sender, request, user, **kwargs):
    # Every way in ends here: password (after MFA if any), ProConnect, the admin.
    methods = request.session.get("account_authentication_methods", [])
    log_event("login", request=request, user=user, methods=[m.get("method") for m in methods])


@receiver(user_logged_in, dispatch_uid="session_clock_start")
def start_session_clock_at_login(sender, request, user, **kwargs):
    start_session_clock(request.session)


@receiver(user_logged_out, dispatch_uid="security_log_logout")
def log_logout(sender, request, user, **kwargs):
    log_event("logout", request=request, user=user)


@receiver(mfa_signals.authenticator_added, dispatch_uid="security_log_mfa_added")
def log_mfa_added(sender, request, user, authenticator, **kwargs):
    log_event("mfa_added", request=request, user=user, authenticator=authenticator.type)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="security_log_mfa_removed")
def log_mfa_removed(sender, request, user, authenticator, **kwargs):
    log_event("mfa_removed", request=request, user=user, authenticator=authenticator.type)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="security_log_mfa_reset")
def log_mfa_reset(sender, request, user, authenticator, **kwargs):
    # New recovery codes: the old ones stop working.
    log_event("mfa_reset", request=request, user=user, authenticator=authenticator.type)


@receiver(mfa_signals.authenticator_used, dispatch_uid="security_log_mfa_used")
def log_mfa_recovery_code_used(sender, request, user, authenticator, **kwargs):
    # A recovery code instead of the app: worth a look (lost phone, or a stolen sheet).
    if authenticator.type == authenticator.Type.RECOVERY_CODES:
        log_event("mfa_recovery_code_used", request=request, user=user)


@receiver(mfa_signals.authentication_failed, dispatch_uid="security_log_mfa_failed")
def log_mfa_failed(sender, request, user, authenticator, **kwargs):
    log_event(
        "mfa_failed",
        request=request,
        user=user,
        outcome="failure",
        authenticator=authenticator.type,
        reauthentication=bool(kwargs.get("reauthentication")),
    )
