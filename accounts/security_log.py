"""The security log: one JSON object per line on the `security` logger.

Who did what, from where, with which outcome: logins and their failures, lockouts,
MFA changes, refused pages, phase decisions, payments. Read by people and log tools
alike, so every line has the same fields (timestamp, event, outcome, user_id, ip,
path, details).
"""

import json
import logging
import re

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils import timezone

from allauth.account.adapter import get_adapter

logger = logging.getLogger("security")

# A detail whose name looks like a secret is never written, whoever passes it.
_SECRET_NAME = re.compile(r"pass|secret|token|signature|cookie|otp|^codes?$", re.IGNORECASE)
REDACTED = "[masqué]"


def client_ip(request) -> str | None:
    """The client address as allauth's rate limits count it (proxy-aware)."""
    try:
        return get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        # A forwarded-for header that does not match the proxy count: keep what we saw.
        return request.META.get("REMOTE_ADDR")


def log_event(event: str, request=None, user=None, *, outcome: str = "success", **details):
    """Write one security event; `user` defaults to the request's authenticated user."""
    if user is None and request is not None and getattr(request, "user", None) is not None:
        user = request.user if request.user.is_authenticated else None
    entry = {
        "timestamp": timezone.now().isoformat(),
        "event": event,
        "outcome": outcome,
        "user_id": getattr(user, "pk", None),
        "ip": client_ip(request) if request is not None else None,
        "path": request.path if request is not None else None,
        "details": {
            name: REDACTED if _SECRET_NAME.search(name) else value
            for name, value in details.items()
        },
    }
    logger.info(json.dumps(entry, ensure_ascii=False, default=str))
