"""ProConnect's OAuth2 adapter and views, on top of allauth's OpenID Connect ones.

What ProConnect needs beyond allauth's generic provider:
- the ID token signature is always checked (allauth skips it when the token
  came straight from the token endpoint);
- the ID token must carry the nonce sent with the authorization request;
- the userinfo endpoint answers a signed JWT (`application/jwt`).
"""

from __future__ import annotations

import hmac

from django.http import Http404, HttpRequest

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp, SocialToken
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2Adapter,
    OAuth2CallbackView,
    OAuth2LoginView,
)
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter

from accounts.proconnect import tokens
from accounts.proconnect.tokens import ProConnectError

PROVIDER_ID = "proconnect"
# Key of the nonce in allauth's stashed login state (kept server side, in the session).
NONCE_STATE_KEY = "proconnect_nonce"
# Marks, in that state, a login that re-authenticates someone already signed in.
REAUTHENTICATION_STATE_KEY = "proconnect_reauthentication"


class ProConnectOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    # Set by ProConnectCallbackView once allauth has checked the `state` parameter.
    state: dict | None = None

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request, PROVIDER_ID)

    def get_callback_url(self, request: HttpRequest, app):
        # Plain `proconnect_callback` URL, not the generic `openid_connect_callback` one.
        return OAuth2Adapter.get_callback_url(self, request, app)

    @property
    def jwks(self):
        # One JWKS download per login, shared by the ID token and userinfo checks.
        if not hasattr(self, "_jwks"):
            self._jwks = tokens.fetch_jwks(self.openid_config["jwks_uri"])
        return self._jwks

    def complete_login(self, request: HttpRequest, app, token: SocialToken, **kwargs):
        raw_id_token = kwargs["response"].get("id_token")
        if not raw_id_token:
            raise ProConnectError("The token response has no ID token")
        id_token = self._decode_id_token(app, raw_id_token)
        self._check_nonce(id_token)
        userinfo = self._fetch_user_info(token.token)
        # OpenID Connect Core §5.3.2: userinfo must be about the ID token's subject.
        if userinfo.get("sub") != id_token["sub"]:
            raise ProConnectError("Userinfo and ID token subjects differ")
        return self.get_provider().sociallogin_from_response(
            request, {"id_token": id_token, "userinfo": userinfo}
        )

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        claims = tokens.decode(
            id_token,
            jwks=self.jwks,
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            required=("iss", "aud", "sub", "exp", "iat"),
        )
        # With several audiences, the token must have been issued to us (OIDC Core §3.1.3.7).
        if isinstance(claims["aud"], list) and len(claims["aud"]) > 1:
            if claims.get("azp") != app.client_id:
                raise ProConnectError("ID token issued to another party")
        return claims

    def _check_nonce(self, id_token: dict) -> None:
        # Fails closed: no stashed nonce (or no state at all) refuses the login.
        expected = (self.state or {}).get(NONCE_STATE_KEY)
        received = id_token.get("nonce")
        if not (
            isinstance(expected, str)
            and isinstance(received, str)
            and hmac.compare_digest(expected.encode(), received.encode())
        ):
            raise ProConnectError("ID token nonce mismatch")

    def _fetch_user_info(self, access_token: str) -> dict:
        with get_adapter().get_requests_session() as session:
            response = session.get(
                self.profile_url, headers={"Authorization": f"Bearer {access_token}"}
            )
            response.raise_for_status()
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type == "application/jwt":
            # ProConnect's way: a JWT signed with the same keys as the ID token.
            return tokens.decode(
                response.text.strip(),
                jwks=self.jwks,
                issuer=self.openid_config["issuer"],
                audience=self.get_provider().app.client_id,
                required=("iss", "aud", "sub"),
            )
        # Plain JSON userinfo, as other OpenID Connect servers answer.
        try:
            data = response.json()
        except ValueError as e:
            raise ProConnectError("Unreadable userinfo answer") from e
        if not isinstance(data, dict):
            raise ProConnectError("Userinfo answer is not an object")
        return data


class ProConnectCallbackView(OAuth2CallbackView):
    def _get_state(self, request: HttpRequest, provider):
        state, response = super()._get_state(request, provider)
        # allauth checks `state` here but does not pass it on to complete_login(),
        # where the nonce it holds is needed. If a future allauth stops calling
        # this hook, the nonce check fails closed.
        self.adapter.state = state
        return state, response


def _serve_or_404(view_class, request: HttpRequest):
    try:
        return view_class.adapter_view(ProConnectOAuth2Adapter)(request)
    except SocialApp.DoesNotExist:
        # ProConnect is not configured (no PROCONNECT_CLIENT_ID).
        raise Http404 from None


@login_not_required
def oauth2_login(request: HttpRequest):
    return _serve_or_404(OAuth2LoginView, request)


@login_not_required
def oauth2_callback(request: HttpRequest):
    return _serve_or_404(ProConnectCallbackView, request)
