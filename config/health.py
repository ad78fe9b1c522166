"""`/sante/`: is this instance able to serve? For load balancers and monitoring.

200 when the database answers a query and the cache keeps a value, 503 otherwise, as
JSON. Says which part fails but never how (no host, no driver message): the URL is
public, like every load balancer's probe.
"""

import logging
import uuid

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        logger.warning("Health check: the database does not answer", exc_info=True)
        return False


def cache_ok() -> bool:
    # A key of its own: two probes at once (two load balancers) must not read each
    # other's value and report a sound cache as broken.
    value = uuid.uuid4().hex
    key = f"health-check:{value}"
    try:
        cache.set(key, value, timeout=10)
        kept = cache.get(key) == value
        cache.delete(key)
        return kept
    except Exception:  # any backend's error (Redis down, full disk…) means "not ok"
        logger.warning("Health check: the cache does not answer", exc_info=True)
        return False


@login_not_required
@never_cache
@require_safe
def health(request):
    checks = {"database": database_ok(), "cache": cache_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "checks": {name: "ok" if ok else "error" for name, ok in checks.items()},
        },
        status=200 if healthy else 503,
    )
