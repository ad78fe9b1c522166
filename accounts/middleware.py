import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from accounts.permissions import has_mfa, requires_mfa
from accounts.security_log import log_event

# What a user who still has to set up MFA may open: the set-up itself (and the password
# check allauth asks for first, or the ProConnect login that replaces it for accounts
# without a password), logging out, confirming an e-mail address, switching language. Everything else waits for MFA, the rest of /comptes/ included: changing the
# e-mail address or the password with the password alone would hand over the account.
MFA_SETUP_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "account_reauthenticate",
        "proconnect_login",
        "proconnect_callback",
        "account_logout",
        "account_confirm_email",
        "account_email_verification_sent",
        "set_language",
        # Machines' endpoints, not pages: a browser's CSP report, a load balancer's probe.
        "csp_report",
        "health",
    }
)


def _is_mfa_setup_page(path: str) -> bool:
    try:
        return resolve(path).url_name in MFA_SETUP_URL_NAMES
    except Resolver404:
        return False


class RequireMfaMiddleware:
    """Send staff and coaches without MFA to its set-up page before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if requires_mfa(user) and not has_mfa(user) and not _is_mfa_setup_page(request.path_info):
            messages.warning(
                request,
                _(
                    "Votre rôle donne accès à des décisions et à des données sensibles : "
                    "activez la double authentification pour continuer."
                ),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


SESSION_STARTED_KEY = "security.session_started"
SESSION_LAST_SEEN_KEY = "security.last_seen"
# How often an active session's last-seen time is written: enough for an idle timeout
# counted in hours, without a session write on every request.
LAST_SEEN_RESOLUTION_SECONDS = 60


def start_session_clock(session) -> None:
    """Called at login, so that the first pages after it write nothing more."""
    session[SESSION_STARTED_KEY] = session[SESSION_LAST_SEEN_KEY] = int(time.time())


class SessionTimeoutMiddleware:
    """Log out a session left idle for SESSION_IDLE_TIMEOUT, or older than SESSION_COOKIE_AGE.

    Django alone pushes a session's expiry back whenever the session changes, so a
    session in use would never end; these two limits hold whatever the activity.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            if SESSION_STARTED_KEY not in session:  # opened before these limits existed
                start_session_clock(session)
            started, last_seen = session[SESSION_STARTED_KEY], session[SESSION_LAST_SEEN_KEY]
            idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT
            if idle or now - started > settings.SESSION_COOKIE_AGE:
                log_event("session_expired", request=request, reason="idle" if idle else "age")
                logout(request)
                messages.info(request, _("Votre session a expiré : reconnectez-vous."))
            elif now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


# Private areas where a 404 answers "not yours" as often as "no such thing": another
# territory's contribution, a private startup, a report of someone else.
PRIVATE_PREFIXES = ("/espace/", "/paiements/", "/admin/", "/comptes/")


class SecurityLogMiddleware:
    """Log every refused request (403), every rate-limited one (429), and a signed-in
    person's 404 in the private areas, where probing for other people's ids shows.

    Whatever refused it, a PermissionDenied turned into a 403 page, a view, the API or
    the CSRF check: the response users see is left as it is. Public pages' 404s are
    typos and crawlers: not logged.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            log_event("permission_denied", request=request, outcome="denied", method=request.method)
        elif response.status_code == 429:
            log_event("rate_limited", request=request, outcome="denied", method=request.method)
        elif (
            response.status_code == 404
            and request.user.is_authenticated
            and request.path.startswith(PRIVATE_PREFIXES)
        ):
            log_event("not_found", request=request, outcome="denied", method=request.method)
        return response
