"""Read replica routing: anonymous visitors' reads go to the replica, everything else to the primary.

Installed by `config.settings` only when `DATABASE_REPLICA_URL` is set (docs/scaling.md).
A streaming replica lags the primary by a few milliseconds, sometimes seconds. So that
nobody acts on data older than their own change, the replica is only read:

- during a request (never in task workers, management commands or shells),
- that is safe (GET, HEAD, OPTIONS) and made by an anonymous visitor,
- whose browser did not send an unsafe request in the last
  `DATABASE_REPLICA_PIN_SECONDS` (a short "read from the primary" cookie),
- outside any transaction on the primary (a query in `transaction.atomic()`, including
  `get_or_create` and `select_for_update`, reads the primary).

Logged-in users (coaches, agents, editors) always read the primary: what they save is
what they see. Anonymous visitors — the public site and the open-data API, most of the
traffic — may see data up to the replica's lag old.

The public data version (`incubator.public_cache`) is read from the replica for every
anonymous safe request, even a "pinned" one: the version is memoised per process, and a
version read from the primary would let other visitors' pages, rendered from the lagging
replica, be cached under a version newer than their data until the cache entry expires.
"""

from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"
PIN_COOKIE_NAME = "read_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Read from the primary whatever the request: a session written at login must be found
# by the next request, whichever replica lag.
PRIMARY_ONLY_MODELS = frozenset({"sessions.session"})
# Read from the replica whenever a request may use it (see the module's docstring).
REPLICA_FIRST_MODELS = frozenset({"incubator.publicdataversion"})

# How the current request reads: None outside a request (primary), or one of these.
PRIMARY = "primary"  # logged-in user, or an unsafe method
PINNED = "pinned"  # anonymous, but this browser wrote less than DATABASE_REPLICA_PIN_SECONDS ago
REPLICA = "replica"  # anonymous and safe: reads may go to the replica
_read_mode: ContextVar[str | None] = ContextVar("replica_read_mode", default=None)


def request_read_mode(request) -> str:
    if request.method not in SAFE_METHODS or request.user.is_authenticated:
        return PRIMARY
    return PINNED if PIN_COOKIE_NAME in request.COOKIES else REPLICA


class PrimaryReplicaRouter:
    """Writes and migrations on the primary; reads on the replica when `ReplicaReadsMiddleware` allows."""

    def db_for_read(self, model, **hints):
        mode = _read_mode.get()
        label = model._meta.label_lower
        if mode in {None, PRIMARY} or label in PRIMARY_ONLY_MODELS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if mode == REPLICA or label in REPLICA_FIRST_MODELS:
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Set, for each request, where its reads go; pin a browser that wrote to the primary.

    Place it right after `AuthenticationMiddleware`. The visitor's session and user are
    loaded here, before replica reads are allowed, so they always come from the primary.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _read_mode.set(request_read_mode(request))
        try:
            response = self.get_response(request)
        finally:
            _read_mode.reset(token)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                PIN_COOKIE_NAME,
                "1",
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
