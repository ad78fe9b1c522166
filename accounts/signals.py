"""Security log entries for what Django and allauth announce by signal, and the session
clock started at login.

Connected in AccountsConfig.ready(). Login failures and lockouts are logged by the
account adapter, where allauth decides them. Of an e-mail address only its domain is
written: the log outlives a deleted account and must not identify the person, yet an
unexpected domain (a private mailbox on an agent's account) is what an investigator looks for.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.socialaccount import signals as social_signals

from accounts.middleware import start_session_clock
from accounts.security_log import log_event


def _domain(email_address) -> str | None:
    if email_address is None:
        return None
    return email_address.email.rpartition("@")[2].lower()


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


@receiver(account_signals.password_changed, dispatch_uid="security_log_password_changed")
def log_password_changed(sender, request, user, **kwargs):
    log_event("password_changed", request=request, user=user)


@receiver(account_signals.password_set, dispatch_uid="security_log_password_set")
def log_password_set(sender, request, user, **kwargs):
    # A first password on an account that had none (ProConnect only until then).
    log_event("password_set", request=request, user=user)


@receiver(account_signals.password_reset, dispatch_uid="security_log_password_reset")
def log_password_reset(sender, request, user, **kwargs):
    log_event("password_reset", request=request, user=user)


@receiver(account_signals.email_added, dispatch_uid="security_log_email_added")
def log_email_added(sender, request, user, email_address, **kwargs):
    log_event(
        "email_added",
        request=request,
        user=user,
        email_domain=_domain(email_address),
        verified=email_address.verified,
    )


@receiver(account_signals.email_removed, dispatch_uid="security_log_email_removed")
def log_email_removed(sender, request, user, email_address, **kwargs):
    log_event("email_removed", request=request, user=user, email_domain=_domain(email_address))


@receiver(account_signals.email_confirmed, dispatch_uid="security_log_email_confirmed")
def log_email_confirmed(sender, request, email_address, **kwargs):
    # The link may be opened signed out: the address says whose account it is.
    log_event(
        "email_confirmed",
        request=request,
        user=email_address.user,
        email_domain=_domain(email_address),
    )


@receiver(account_signals.email_changed, dispatch_uid="security_log_email_changed")
def log_email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    # The primary address, the one logins and password resets go to, is now another.
    log_event(
        "email_changed",
        request=request,
        user=user,
        from_email_domain=_domain(from_email_address),
        to_email_domain=_domain(to_email_address),
    )


@receiver(social_signals.social_account_added, dispatch_uid="security_log_social_added")
def log_social_account_added(sender, request, sociallogin, **kwargs):
    log_event(
        "social_account_added",
        request=request,
        user=sociallogin.user,
        provider=sociallogin.account.provider,
    )


@receiver(social_signals.social_account_removed, dispatch_uid="security_log_social_removed")
def log_social_account_removed(sender, request, socialaccount, **kwargs):
    log_event(
        "social_account_removed",
        request=request,
        user=socialaccount.user,
        provider=socialaccount.provider,
    )


@receiver(account_signals.authentication_step_completed, dispatch_uid="security_log_reauth")
def log_reauthenticated(sender, request, user, method, **kwargs):
    # The password, an MFA code or ProConnect again, before a sensitive account change.
    if kwargs.get("reauthenticated"):
        log_event("reauthenticated", request=request, user=user, method=method)
