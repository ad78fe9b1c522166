"""The settings that run the platform past one machine (docs/scaling.md).

Each configuration is loaded in a fresh `python` process with `config.settings` and
its own environment, so nothing leaks into the other tests; the process prints what
Django made of it as JSON. The read replica router is also tested here directly.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

import pytest

from config import db_routers
from incubator.models import PublicDataVersion, Startup

ROOT = Path(__file__).resolve().parents[1]

# Variables the host may have set that would change what the settings build.
_SCRUBBED_PREFIXES = ("AWS_", "CACHE_", "DATABASE_", "FRONTEND_CACHE_", "SESSION_", "DJANGO_")
_SCRUBBED = {
    "DEBUG",
    "SECRET_KEY",
    "MEDIA_STORAGE",
    "USE_X_FORWARDED_HOST",
    "ALLAUTH_TRUSTED_PROXY_COUNT",
    "PRIVATE_MEDIA_ROOT",
    "MEDIA_ROOT",
}

PROBE = """
import json, sys
import django
django.setup()
from django.conf import settings
out = {
    name: getattr(settings, name, None)
    for name in (
        "CACHES", "SESSION_ENGINE", "DATABASES", "DATABASE_ROUTERS", "MIDDLEWARE",
        "INSTALLED_APPS", "STORAGES", "WAGTAILFRONTENDCACHE", "WAGTAILDOCS_SERVE_METHOD",
        "USE_X_FORWARDED_HOST", "ALLAUTH_TRUSTED_PROXY_COUNT", "PRIVATE_MEDIA_ROOT",
    )
}
exec(sys.argv[1])
print(json.dumps(out, default=str))
"""

S3_ENV = {
    "MEDIA_STORAGE": "s3",
    "AWS_STORAGE_BUCKET_NAME": "territoires-lab-media",
    "AWS_PRIVATE_STORAGE_BUCKET_NAME": "territoires-lab-private",
    "AWS_S3_ENDPOINT_URL": "https://s3.gra.io.cloud.ovh.net",
    "AWS_S3_REGION_NAME": "gra",
    "AWS_S3_ACCESS_KEY_ID": "test-access-key",
    "AWS_S3_SECRET_ACCESS_KEY": "test-secret-key",
}
POSTGRES = "postgres://lab:secret@pgbouncer.internal:6432/territoires_lab"
REPLICA = "postgres://lab:secret@replica-bouncer.internal:6432/territoires_lab"


def _run(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in _SCRUBBED and not key.startswith(_SCRUBBED_PREFIXES)
    }
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", PROBE, code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "scaling-tests-" + "x" * 50,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_with(env: dict[str, str], code: str = "") -> dict:
    """What `config.settings` (then `code`, which may add to `out`) gives under `env`."""
    result = _run(env, code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def startup_error(env: dict[str, str]) -> str:
    """The ImproperlyConfigured message the settings refuse `env` with."""
    result = _run(env)
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if "ImproperlyConfigured:" in line]
    assert lines, result.stderr
    return lines[-1].split("ImproperlyConfigured:", 1)[1].strip()


# --- Without any of the new variables, nothing changes --------------------------------


def test_defaults_are_unchanged_without_the_scaling_variables():
    out = settings_with({})
    assert out["CACHES"] == {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "territoires-lab",
        }
    }
    assert out["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert list(out["DATABASES"]) == ["default"]
    default = out["DATABASES"]["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["NAME"] == str(ROOT / "db.sqlite3")
    assert default["CONN_MAX_AGE"] == 60
    assert default["CONN_HEALTH_CHECKS"] is True
    assert default["OPTIONS"] == {"transaction_mode": "IMMEDIATE", "timeout": 20}
    assert not default.get("DISABLE_SERVER_SIDE_CURSORS")
    assert out["DATABASE_ROUTERS"] == []
    assert "config.db_routers.ReplicaReadsMiddleware" not in out["MIDDLEWARE"]
    assert out["STORAGES"]["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert out["STORAGES"]["private"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(ROOT / "private"), "base_url": None},
    }
    assert "wagtail.contrib.frontend_cache" not in out["INSTALLED_APPS"]
    assert out["WAGTAILFRONTENDCACHE"] is None
    assert out["WAGTAILDOCS_SERVE_METHOD"] is None
    assert out["USE_X_FORWARDED_HOST"] is False
    assert out["ALLAUTH_TRUSTED_PROXY_COUNT"] == 0


def test_cache_backend_and_location_still_work():
    out = settings_with(
        {
            "CACHE_BACKEND": "django.core.cache.backends.redis.RedisCache",
            "CACHE_LOCATION": "redis://legacy.internal:6379/2",
        }
    )
    assert out["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://legacy.internal:6379/2",
    }


# --- Redis cache and sessions ------------------------------------------------------------

BUILD_CACHE = """
from django.core.cache import caches
cache = caches["default"]
out["cache_class"] = type(cache).__name__
out["cache_client"] = type(cache._cache).__name__  # builds the client: imports redis, no connection
out["cache_servers"] = cache._servers
"""


def test_a_redis_cache_url_gives_django_redis_cache_that_can_be_built():
    out = settings_with({"CACHE_URL": "redis://cache.internal:6379/0"}, BUILD_CACHE)
    assert out["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/0",
    }
    assert out["cache_class"] == "RedisCache"
    assert out["cache_client"] == "RedisCacheClient"
    assert out["cache_servers"] == ["redis://cache.internal:6379/0"]
    # Sessions stay in the database unless asked.
    assert out["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_several_redis_urls_write_to_the_first_and_read_from_the_others():
    out = settings_with(
        {"CACHE_URL": "rediss://:pw@primary.internal:6380/0, redis://replica.internal:6379/0"},
        BUILD_CACHE,
    )
    assert out["cache_servers"] == [
        "rediss://:pw@primary.internal:6380/0",
        "redis://replica.internal:6379/0",
    ]


@pytest.mark.parametrize(
    ("backend", "engine"),
    [
        ("db", "django.contrib.sessions.backends.db"),
        ("cached_db", "django.contrib.sessions.backends.cached_db"),
        ("cache", "django.contrib.sessions.backends.cache"),
    ],
)
def test_the_session_backend_is_switched_by_session_backend(backend, engine):
    out = settings_with({"CACHE_URL": "redis://cache.internal:6379/0", "SESSION_BACKEND": backend})
    assert out["SESSION_ENGINE"] == engine


# --- Database: pooler, pool, read replica --------------------------------------------------

ROUTE = """
from django.db import router
from config import db_routers
from incubator.models import Startup
out["read_outside_requests"] = router.db_for_read(Startup)
token = db_routers._read_mode.set(db_routers.REPLICA)
out["read_anonymous"] = router.db_for_read(Startup)
out["write_anonymous"] = router.db_for_write(Startup)
db_routers._read_mode.reset(token)
out["migrate_on_replica"] = router.allow_migrate("replica", "incubator")
"""


def test_a_replica_url_adds_the_replica_alias_its_router_and_its_middleware():
    out = settings_with(
        {"DATABASE_URL": POSTGRES, "DATABASE_REPLICA_URL": REPLICA, "DATABASE_POOLER": "pgbouncer"},
        ROUTE,
    )
    primary, replica = out["DATABASES"]["default"], out["DATABASES"]["replica"]
    assert (primary["HOST"], replica["HOST"]) == ("pgbouncer.internal", "replica-bouncer.internal")
    assert replica["ENGINE"] == "django.db.backends.postgresql"
    assert replica["TEST"]["MIRROR"] == "default"
    assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"] == 60
    # PgBouncer in transaction mode: no server-side cursors, on both connections.
    assert primary["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert replica["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert out["DATABASE_ROUTERS"] == ["config.db_routers.PrimaryReplicaRouter"]
    middleware = out["MIDDLEWARE"]
    auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert middleware[auth + 1] == "config.db_routers.ReplicaReadsMiddleware"
    assert middleware.index("incubator.public_cache.PublicPageCacheMiddleware") > auth + 1
    assert out["read_outside_requests"] == "default"
    assert out["read_anonymous"] == "replica"
    assert out["write_anonymous"] == "default"
    assert out["migrate_on_replica"] is False


def test_pgbouncer_alone_disables_server_side_cursors():
    out = settings_with({"DATABASE_URL": POSTGRES, "DATABASE_POOLER": "pgbouncer"})
    assert list(out["DATABASES"]) == ["default"]
    assert out["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert out["DATABASE_ROUTERS"] == []


def test_psycopg_pool_turns_persistent_connections_off():
    out = settings_with(
        {
            "DATABASE_URL": POSTGRES,
            "DATABASE_POOL": "1",
            "DATABASE_POOL_MIN_SIZE": "1",
            "DATABASE_POOL_MAX_SIZE": "4",
        },
        "import psycopg_pool",
    )
    default = out["DATABASES"]["default"]
    assert default["OPTIONS"] == {"pool": {"min_size": 1, "max_size": 4}}
    assert default["CONN_MAX_AGE"] == 0


def test_psycopg_pool_without_sizes_uses_psycopg_defaults():
    out = settings_with({"DATABASE_URL": POSTGRES, "DATABASE_POOL": "1"})
    assert out["DATABASES"]["default"]["OPTIONS"] == {"pool": True}


# --- Object storage --------------------------------------------------------------------------

BUILD_STORAGES = """
from django.core.files.storage import storages
from incubator.models import Report
from programs.calls import ApplicationDocument
media, private = storages["default"], storages["private"]
out["media_class"] = type(media).__name__
out["private_class"] = type(private).__name__
out["media_url"] = media.url("images/logo.png")
out["private_url"] = private.url("reports/2026.pdf")
out["report_bucket"] = Report._meta.get_field("pdf").storage.bucket_name
out["document_bucket"] = ApplicationDocument._meta.get_field("file").storage.bucket_name
"""


def test_s3_media_and_private_storages_with_private_signed_urls():
    out = settings_with(S3_ENV, BUILD_STORAGES)
    media, private = out["STORAGES"]["default"], out["STORAGES"]["private"]
    assert media["BACKEND"] == private["BACKEND"] == "storages.backends.s3.S3Storage"
    assert media["OPTIONS"]["bucket_name"] == "territoires-lab-media"
    assert media["OPTIONS"]["querystring_auth"] is False
    assert private["OPTIONS"]["bucket_name"] == "territoires-lab-private"
    assert private["OPTIONS"]["default_acl"] == "private"
    assert private["OPTIONS"]["querystring_auth"] is True
    assert private["OPTIONS"]["custom_domain"] is None
    for options in (media["OPTIONS"], private["OPTIONS"]):
        assert options["endpoint_url"] == "https://s3.gra.io.cloud.ovh.net"
        assert options["region_name"] == "gra"
        assert options["file_overwrite"] is False
    # Built without any network access.
    assert out["media_class"] == out["private_class"] == "S3Storage"
    assert (
        out["media_url"] == "https://s3.gra.io.cloud.ovh.net/territoires-lab-media/images/logo.png"
    )
    assert out["private_url"].startswith(
        "https://s3.gra.io.cloud.ovh.net/territoires-lab-private/reports/2026.pdf?"
    )
    assert "X-Amz-Signature=" in out["private_url"]
    assert "X-Amz-Expires=300" in out["private_url"]
    # Reports and application documents go to the private bucket.
    assert out["report_bucket"] == out["document_bucket"] == "territoires-lab-private"
    assert out["WAGTAILDOCS_SERVE_METHOD"] == "serve_view"
    # Static files stay with whitenoise on each app server.
    assert out["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


def test_s3_media_behind_a_cdn_domain_and_a_public_read_acl():
    out = settings_with(
        {
            **S3_ENV,
            "AWS_S3_CUSTOM_DOMAIN": "media.territoires-lab.example.org",
            "AWS_MEDIA_DEFAULT_ACL": "public-read",
            "AWS_PRIVATE_QUERYSTRING_EXPIRE": "60",
        },
        BUILD_STORAGES,
    )
    assert out["media_url"] == "https://media.territoires-lab.example.org/images/logo.png"
    assert out["STORAGES"]["default"]["OPTIONS"]["default_acl"] == "public-read"
    # The custom domain never applies to private files: they stay signed.
    assert "X-Amz-Signature=" in out["private_url"]
    assert "X-Amz-Expires=60" in out["private_url"]


# --- Front-end cache (CDN) --------------------------------------------------------------------

GET_BACKENDS = """
from wagtail.contrib.frontend_cache.utils import get_backends
backends = get_backends()
out["backends"] = {name: type(backend).__name__ for name, backend in backends.items()}
out["hostnames"] = backends["default"].hostnames
"""


@pytest.mark.parametrize(
    ("env", "backend_class"),
    [
        (
            {
                "FRONTEND_CACHE_BACKEND": "http",
                "FRONTEND_CACHE_PURGE_URL": "http://varnish.internal:6081",
            },
            "HTTPBackend",
        ),
        (
            {
                "FRONTEND_CACHE_BACKEND": "cloudflare",
                "FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN": "cf-token",
                "FRONTEND_CACHE_CLOUDFLARE_ZONE_ID": "cf-zone",
            },
            "CloudflareBackend",
        ),
        (
            {
                "FRONTEND_CACHE_BACKEND": "cloudfront",
                "FRONTEND_CACHE_CLOUDFRONT_DISTRIBUTION_ID": "E2EXAMPLE",
                "AWS_DEFAULT_REGION": "eu-west-3",
            },
            "CloudfrontBackend",
        ),
    ],
)
def test_front_end_cache_settings_are_accepted_by_wagtail(env, backend_class):
    out = settings_with(
        {**env, "FRONTEND_CACHE_HOSTNAMES": "territoires-lab.example.org"}, GET_BACKENDS
    )
    assert "wagtail.contrib.frontend_cache" in out["INSTALLED_APPS"]
    assert out["backends"] == {"default": backend_class}
    assert out["hostnames"] == ["territoires-lab.example.org"]


# --- Behind the load balancer ---------------------------------------------------------------


def test_proxy_settings_for_the_load_balancer():
    out = settings_with({"USE_X_FORWARDED_HOST": "1", "ALLAUTH_TRUSTED_PROXY_COUNT": "2"})
    assert out["USE_X_FORWARDED_HOST"] is True
    assert out["ALLAUTH_TRUSTED_PROXY_COUNT"] == 2


# --- Invalid values stop the start, with a clear message -------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CACHE_URL": "ftp://user:hunter2@cache.internal/0"}, "CACHE_URL takes redis://"),
        (
            {"CACHE_URL": "redis://cache.internal:6379/0", "CACHE_BACKEND": "x.Y"},
            "Set CACHE_URL or CACHE_BACKEND/CACHE_LOCATION, not both",
        ),
        ({"SESSION_BACKEND": "memcached"}, "SESSION_BACKEND must be one of db, cached_db, cache"),
        ({"SESSION_BACKEND": "cached_db"}, "SESSION_BACKEND=cached_db needs a cache shared"),
        ({"SESSION_BACKEND": "cache"}, "SESSION_BACKEND=cache needs a cache shared"),
        ({"DATABASE_POOLER": "pgpool"}, "DATABASE_POOLER must be empty or 'pgbouncer'"),
        ({"DATABASE_POOLER": "pgbouncer"}, "need PostgreSQL; DATABASE_URL is"),
        ({"DATABASE_POOL": "1"}, "need PostgreSQL; DATABASE_URL is"),
        (
            {"DATABASE_URL": POSTGRES, "DATABASE_POOL": "1", "DATABASE_CONN_MAX_AGE": "60"},
            "leave DATABASE_CONN_MAX_AGE unset",
        ),
        (
            {"DATABASE_URL": POSTGRES, "DATABASE_POOL": "1", "DATABASE_POOL_MAX_SIZE": "2"},
            "DATABASE_POOL_MAX_SIZE is below",
        ),
        ({"DATABASE_REPLICA_URL": REPLICA}, "DATABASE_REPLICA_URL needs PostgreSQL"),
        ({"MEDIA_STORAGE": "gcs"}, "MEDIA_STORAGE must be local or s3"),
        ({"MEDIA_STORAGE": "s3"}, "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
        (
            {**S3_ENV, "AWS_PRIVATE_STORAGE_BUCKET_NAME": "territoires-lab-media"},
            "AWS_PRIVATE_STORAGE_BUCKET_NAME must differ",
        ),
        ({"FRONTEND_CACHE_BACKEND": "akamai"}, "FRONTEND_CACHE_BACKEND must be empty, http"),
        (
            {"FRONTEND_CACHE_BACKEND": "cloudflare", "FRONTEND_CACHE_CLOUDFLARE_ZONE_ID": "z"},
            "needs FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN",
        ),
        ({"FRONTEND_CACHE_BACKEND": "http"}, "needs FRONTEND_CACHE_PURGE_URL"),
    ],
)
def test_invalid_values_stop_the_start_with_a_clear_message(env, message):
    error = startup_error(env)
    assert message in error
    assert "hunter2" not in error


# --- The router and its middleware, in this process ------------------------------------------

router = db_routers.PrimaryReplicaRouter()


def route(mode):
    token = db_routers._read_mode.set(mode)
    try:
        return {
            "startup": router.db_for_read(Startup),
            "version": router.db_for_read(PublicDataVersion),
            "session": router.db_for_read(_session_model()),
        }
    finally:
        db_routers._read_mode.reset(token)


def _session_model():
    from django.contrib.sessions.models import Session

    return Session


def test_router_reads_the_primary_outside_requests_and_for_logged_in_users():
    every_model_on_the_primary = {"startup": "default", "version": "default", "session": "default"}
    assert route(None) == every_model_on_the_primary
    assert route(db_routers.PRIMARY) == every_model_on_the_primary


def test_router_sends_anonymous_reads_to_the_replica_but_never_sessions():
    assert route(db_routers.REPLICA) == {
        "startup": "replica",
        "version": "replica",
        "session": "default",
    }


def test_a_pinned_browser_reads_data_from_the_primary_and_the_data_version_from_the_replica():
    assert route(db_routers.PINNED) == {
        "startup": "default",
        "version": "replica",
        "session": "default",
    }


@pytest.mark.django_db
def test_router_reads_the_primary_inside_a_transaction():
    # (Outside one, the tests above see the replica: they have no database transaction.)
    with transaction.atomic():
        assert route(db_routers.REPLICA)["startup"] == "default"
        assert route(db_routers.PINNED)["version"] == "default"


def test_router_writes_and_migrates_on_the_primary_only():
    assert router.db_for_write(Startup) == "default"
    assert router.allow_migrate("default", "incubator") is True
    assert router.allow_migrate("replica", "incubator") is False
    assert router.allow_relation(object(), object()) is True


def _through_middleware(request):
    seen = {}

    def view(request):
        seen["startup"] = router.db_for_read(Startup)
        return HttpResponse("ok")

    response = db_routers.ReplicaReadsMiddleware(view)(request)
    assert router.db_for_read(Startup) == "default", "the request's mode leaked"
    return seen["startup"], response


ANONYMOUS = SimpleNamespace(is_authenticated=False)
LOGGED_IN = SimpleNamespace(is_authenticated=True)


def test_middleware_lets_anonymous_safe_requests_read_the_replica():
    request = RequestFactory().get("/startups/")
    request.user = ANONYMOUS
    database, response = _through_middleware(request)
    assert database == "replica"
    assert db_routers.PIN_COOKIE_NAME not in response.cookies


def test_middleware_keeps_logged_in_users_on_the_primary():
    request = RequestFactory().get("/espace/tableau/")
    request.user = LOGGED_IN
    assert _through_middleware(request)[0] == "default"


def test_an_anonymous_post_reads_the_primary_and_pins_the_browser_to_it(settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 7
    request = RequestFactory().post("/appels/candidature/")
    request.user = ANONYMOUS
    database, response = _through_middleware(request)
    assert database == "default"
    cookie = response.cookies[db_routers.PIN_COOKIE_NAME]
    assert cookie["max-age"] == 7
    assert cookie["httponly"] is True

    follow_up = RequestFactory().get("/appels/candidature/merci/")
    follow_up.COOKIES[db_routers.PIN_COOKIE_NAME] = "1"
    follow_up.user = ANONYMOUS
    assert _through_middleware(follow_up)[0] == "default"


# --- The operator's guide names only variables the settings read -----------------------------


def test_every_variable_in_the_scaling_guide_tables_is_read_by_the_settings():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    guide = (ROOT / "docs" / "scaling.md").read_text()
    table_rows = [line for line in guide.splitlines() if line.startswith("| `")]
    variables = {
        name for row in table_rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])
    }
    assert len(variables) > 20, "the guide's tables of variables were not found"
    missing = sorted(name for name in variables if f'"{name}"' not in settings_source)
    assert missing == []
