from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.permissions import has_mfa, requires_mfa

# Where a user who still has to set up MFA may go: the account pages
# themselves (to set it up, log out, confirm an e-mail), the language
# switcher and static files.
MFA_SETUP_ALLOWED_PREFIXES = ("/comptes/", "/i18n/", "/static/")


class RequireMfaMiddleware:
    """Send staff and coaches without MFA to its set-up page before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            requires_mfa(user)
            and not request.path.startswith(MFA_SETUP_ALLOWED_PREFIXES)
            and not has_mfa(user)
        ):
            messages.warning(
                request,
                _(
                    "Votre rôle donne accès à des décisions et à des données sensibles : "
                    "activez la double authentification pour continuer."
                ),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
