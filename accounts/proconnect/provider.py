"""The ProConnect provider, registered with allauth as `proconnect`."""

from __future__ import annotations

import secrets

from django.http import HttpRequest

from allauth.account.models import EmailAddress
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from requests import RequestException

from accounts.proconnect.views import (
    NONCE_STATE_KEY,
    PROVIDER_ID,
    REAUTHENTICATION_STATE_KEY,
    ProConnectOAuth2Adapter,
)

DISPLAY_NAME_MAX_LENGTH = 150  # accounts.User.display_name


def claims_of(data: dict) -> dict:
    """All the user's claims: the ID token's, completed and overridden by userinfo's."""
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


class ProConnectProvider(OpenIDConnectProvider):
    id = PROVIDER_ID
    name = "ProConnect"
    oauth2_adapter_class = ProConnectOAuth2Adapter
    # An ID token posted by an API client would carry no nonce of ours:
    # only the redirect flow, where we check it, is allowed.
    supports_token_authentication = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name = self.app.name or ProConnectProvider.name

    # One fixed provider: plain `proconnect_login` / `proconnect_callback`
    # URLs rather than the generic OpenID Connect ones keyed by provider_id.
    def get_login_url(self, request: HttpRequest, **kwargs):
        return OAuth2Provider.get_login_url(self, request, **kwargs)

    def get_callback_url(self):
        return OAuth2Provider.get_callback_url(self)

    def get_oauth2_adapter(self, request: HttpRequest):
        return self.oauth2_adapter_class(request)

    def get_default_scope(self):
        return ["openid", "email", "given_name", "usual_name", "siret", "uid"]

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        # A fresh nonce per login, sent to ProConnect and kept in allauth's
        # stashed state (looked up by the `state` parameter on callback), so
        # that an ID token cannot be replayed into another login.
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None)
        if auth_params is None:
            auth_params = self.get_auth_params()
        auth_params["nonce"] = nonce  # never one taken from the request
        kwargs[NONCE_STATE_KEY] = nonce
        if process == AuthProcess.LOGIN and request.user.is_authenticated:
            # Someone signed in logs in with ProConnect again: the re-authentication
            # asked before a sensitive change (accounts.adapters). ProConnect must ask
            # who is there (`prompt=login`), not reuse its own session; back here,
            # the person stays signed in (`redirect`, not `login`).
            process = AuthProcess.REDIRECT
            auth_params["prompt"] = "login"
            kwargs[REAUTHENTICATION_STATE_KEY] = True
        try:
            return super().redirect(
                request, process, next_url, data, auth_params=auth_params, **kwargs
            )
        except RequestException as e:
            # ProConnect's discovery document is unreachable: an error page, not a 500.
            return render_authentication_error(request, self, exception=e)

    def extract_uid(self, data):
        return str(claims_of(data)["sub"])

    def extract_common_fields(self, data):
        claims = claims_of(data)
        first_name = (claims.get("given_name") or "").strip()
        # ProConnect's family name claim is `usual_name`, not `family_name`.
        last_name = (claims.get("usual_name") or "").strip()
        return {
            "email": claims.get("email"),
            "first_name": first_name,
            "last_name": last_name,
            "name": f"{first_name} {last_name}".strip(),
        }

    def extract_email_addresses(self, data):
        email = claims_of(data).get("email")
        if not email:
            return []
        # ProConnect only hands out addresses vouched for by the agent's
        # administration: trusted as verified, so they match existing accounts.
        return [EmailAddress(email=email, verified=True, primary=True)]

    def sociallogin_from_response(self, request: HttpRequest, response):
        login = super().sociallogin_from_response(request, response)
        name = self.extract_common_fields(response)["name"]
        if name and not getattr(login.user, "display_name", ""):
            login.user.display_name = name[:DISPLAY_NAME_MAX_LENGTH]
        return login


provider_classes = [ProConnectProvider]
