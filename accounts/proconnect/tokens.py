"""Signed JWT checks for ProConnect: ID tokens and userinfo answers."""

from __future__ import annotations

from typing import Any

import jwt
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Error

# ProConnect signs with one of these; anything else (notably "none" and the
# HMAC family, which would turn a public key into a shared secret) is refused.
ALLOWED_ALGORITHMS = ("RS256", "ES256")
# Tolerated clock drift between ProConnect and us, in seconds.
LEEWAY = 30


class ProConnectError(OAuth2Error):
    """A refused ProConnect answer.

    Subclassing OAuth2Error makes allauth's callback view render its
    authentication error page instead of failing with a server error.
    """


def fetch_jwks(url: str) -> jwt.PyJWKSet:
    with get_adapter().get_requests_session() as session:
        response = session.get(url)
        response.raise_for_status()
    try:
        return jwt.PyJWKSet.from_dict(response.json())
    except (ValueError, AttributeError, jwt.PyJWTError) as e:
        raise ProConnectError("Unusable JWKS") from e


def _signing_key(jwks: jwt.PyJWKSet, kid: str | None, algorithm: str) -> jwt.PyJWK:
    candidates = [
        key
        for key in jwks.keys
        if key.public_key_use in (None, "sig")
        and key.algorithm_name == algorithm
        and (kid is None or key.key_id == kid)
    ]
    if len(candidates) != 1:
        raise ProConnectError(f"No single signing key for kid={kid!r} alg={algorithm!r}")
    return candidates[0]


def decode(
    token: str,
    *,
    jwks: jwt.PyJWKSet,
    issuer: str,
    audience: str,
    required: tuple[str, ...] = ("iss", "aud"),
) -> dict[str, Any]:
    """Verify the signature, issuer, audience and dates of `token`; return its claims."""
    try:
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise ProConnectError(f"Refused JWT algorithm {algorithm!r}")
        key = _signing_key(jwks, header.get("kid"), algorithm)
        claims = jwt.decode(
            token,
            key=key.key,
            algorithms=[algorithm],
            issuer=issuer,
            audience=audience,
            leeway=LEEWAY,
            options={"require": list(required)},
        )
    except jwt.PyJWTError as e:
        raise ProConnectError(f"Invalid JWT: {e}") from e
    return claims
