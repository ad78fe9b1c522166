"""Territoires Lab settings, driven by environment variables.

Safe production defaults: DEBUG is off unless asked, secrets come from the
environment only. Every variable is documented in the README, those for running on
several machines in docs/scaling.md.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "accounts",
    "incubator",
    "programs",
    "cms",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # allauth
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "accounts.proconnect",  # ProConnect login, an allauth OpenID Connect provider
    # Look and background work
    "dsfr",
    "widget_tweaks",  # used by django-dsfr's field templates
    "django_tasks",
    "django_tasks_db",  # the database queue; `manage.py db_worker` runs it
    "simple_history",
    # Open data API (/api/v1/): DRF, its OpenAPI description, Swagger UI served locally
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.csp.ContentSecurityPolicyMiddleware",  # outside the page cache: every response
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",  # 503 page: outside all that read the DB
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "accounts.middleware.RequireMfaMiddleware",
    "accounts.middleware.SecurityLogMiddleware",  # 403 and 429 responses, whoever made them
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",  # who made each edit
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, so every middleware above still runs on a cached page.
    "incubator.public_cache.PublicPageCacheMiddleware",
]
# Anonymous visitors' public pages, cached whole; 0 turns the cache off.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 600)
# How stale a process's copy of the public data version may be (another process's change
# shows on cached pages within this delay); 0 reads it on every anonymous request.
PUBLIC_DATA_VERSION_MAX_AGE_MS = env_int("PUBLIC_DATA_VERSION_MAX_AGE_MS", 500)
# What public pages share (filter choices, key figures, API validators), cached until the
# public data changes (`incubator.public_cache.remember`); 0 recomputes it every time.
PUBLIC_DATA_CACHE_SECONDS = env_int("PUBLIC_DATA_CACHE_SECONDS", 3600)

ROOT_URLCONF = "config.urls"
# django-dsfr's field templates, compiled once per process (see config/form_renderer.py).
FORM_RENDERER = "config.form_renderer.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------

# Past one machine (docs/scaling.md): a connection pooler, psycopg's own pool, a read replica.
# PgBouncer in transaction mode cannot keep a server-side cursor open between transactions;
# prepared statements, its other pitfall, are already off in Django's psycopg 3 backend.
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "").strip().lower()
if DATABASE_POOLER not in {"", "pgbouncer"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or 'pgbouncer', not {DATABASE_POOLER!r}."
    )
# psycopg's connection pool inside each process (Django 5.1+): connections are handed back
# to the pool after each request, so Django's persistent connections must stay off.
DATABASE_POOL = env_bool("DATABASE_POOL", False)
if DATABASE_POOL and os.environ.get("DATABASE_CONN_MAX_AGE", "0").strip() not in {"", "0"}:
    raise ImproperlyConfigured(
        "DATABASE_POOL keeps connections in psycopg's pool: leave DATABASE_CONN_MAX_AGE "
        "unset (or 0) with it."
    )
_DATABASE_OPTIONS = {
    "conn_max_age": 0 if DATABASE_POOL else env_int("DATABASE_CONN_MAX_AGE", 60),
    "conn_health_checks": True,
}


def _is_postgresql(database: dict) -> bool:
    return "postgresql" in database["ENGINE"] or "postgis" in database["ENGINE"]


def _with_pooling(database: dict, *, variable: str) -> dict:
    """Apply DATABASE_POOLER / DATABASE_POOL to the connection settings read from `variable`."""
    if (DATABASE_POOLER or DATABASE_POOL) and not _is_postgresql(database):
        raise ImproperlyConfigured(
            f"DATABASE_POOLER and DATABASE_POOL need PostgreSQL; {variable} is "
            f"{database['ENGINE']}."
        )
    if DATABASE_POOLER == "pgbouncer":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
    if DATABASE_POOL:
        sizes = {
            "min_size": os.environ.get("DATABASE_POOL_MIN_SIZE", ""),
            "max_size": os.environ.get("DATABASE_POOL_MAX_SIZE", ""),
        }
        pool = {key: int(value) for key, value in sizes.items() if value.strip()}
        # psycopg's defaults: min_size 4, max_size equal to min_size.
        if pool.get("max_size", pool.get("min_size", 4)) < pool.get("min_size", 4):
            raise ImproperlyConfigured(
                "DATABASE_POOL_MAX_SIZE is below the pool's minimum size "
                "(DATABASE_POOL_MIN_SIZE, or psycopg's default of 4): set both."
            )
        database.setdefault("OPTIONS", {})["pool"] = pool or True
    return database


DATABASES = {
    "default": _with_pooling(
        dj_database_url.config(
            env="DATABASE_URL",
            default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            **_DATABASE_OPTIONS,
        ),
        variable="DATABASE_URL",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write at the same time: take the write lock
    # when a transaction begins, and wait for it, rather than fail with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(transaction_mode="IMMEDIATE", timeout=20)

# A PostgreSQL streaming replica for anonymous visitors' reads (config.db_routers): writes,
# transactions, logged-in users, workers and commands always use the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
# After an anonymous visitor's POST (sign-up, application…), that browser reads from the
# primary for this long, so that it sees its own change whatever the replica's lag.
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 10)
DATABASE_ROUTERS = []
if DATABASE_REPLICA_URL:
    _replica = _with_pooling(
        dj_database_url.parse(DATABASE_REPLICA_URL, **_DATABASE_OPTIONS),
        variable="DATABASE_REPLICA_URL",
    )
    if not (_is_postgresql(DATABASES["default"]) and _is_postgresql(_replica)):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs PostgreSQL for both DATABASE_URL and the replica."
        )
    # Tests never build a second database: the replica alias points at the test primary.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["config.db_routers.PrimaryReplicaRouter"]
    # Right after authentication: it needs to know whether the visitor is logged in.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "config.db_routers.ReplicaReadsMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------

CACHES = {
    "default": {
        "BACKEND": os.environ.get("CACHE_BACKEND", "django.core.cache.backends.locmem.LocMemCache"),
        "LOCATION": os.environ.get("CACHE_LOCATION", "territoires-lab"),
    }
}
# One Redis (or several: writes go to the first, reads to the others) shared by every
# process: rate limits, the public page cache, cached sessions. Needs the `scale` extra.
CACHE_URL = os.environ.get("CACHE_URL", "").strip()
if CACHE_URL:
    if os.environ.get("CACHE_BACKEND") or os.environ.get("CACHE_LOCATION"):
        raise ImproperlyConfigured("Set CACHE_URL or CACHE_BACKEND/CACHE_LOCATION, not both.")
    _cache_urls = [url.strip() for url in CACHE_URL.split(",") if url.strip()]
    for _url in _cache_urls:
        if not _url.startswith(("redis://", "rediss://", "unix://")):
            # Only the scheme: the URL may hold a password.
            raise ImproperlyConfigured(
                "CACHE_URL takes redis://, rediss:// or unix:// URLs (Redis), "
                f"not {_url.partition(':')[0]!r}."
            )
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_urls[0] if len(_cache_urls) == 1 else _cache_urls,
        }
    }

# Sessions: in the database (default), or also in the shared cache (`cached_db`: reads
# from Redis, writes to both), or in the cache only (`cache`: lost if Redis is flushed).
_SESSION_ENGINES = {
    "db": "django.contrib.sessions.backends.db",
    "cached_db": "django.contrib.sessions.backends.cached_db",
    "cache": "django.contrib.sessions.backends.cache",
}
SESSION_BACKEND = os.environ.get("SESSION_BACKEND", "").strip().lower() or "db"
if SESSION_BACKEND not in _SESSION_ENGINES:
    raise ImproperlyConfigured(
        f"SESSION_BACKEND must be one of {', '.join(_SESSION_ENGINES)}, not {SESSION_BACKEND!r}."
    )
if SESSION_BACKEND != "db" and CACHES["default"]["BACKEND"] in {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}:
    # A per-process cache would keep a session (or its logout) in one process only.
    raise ImproperlyConfigured(
        f"SESSION_BACKEND={SESSION_BACKEND} needs a cache shared by every process "
        "(CACHE_URL=redis://…)."
    )
SESSION_ENGINE = _SESSION_ENGINES[SESSION_BACKEND]

# --- Accounts and authentication ----------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
MFA_ADAPTER = "accounts.adapters.MfaAdapter"
# The Fernet key that encrypts TOTP secrets in the database (accounts.adapters); unset, one
# is derived from SECRET_KEY, so changing SECRET_KEY then means setting up MFA again.
MFA_ENCRYPTION_KEY = os.environ.get("MFA_ENCRYPTION_KEY", "")
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
ACCOUNT_PREVENT_ENUMERATION = True
# After 5 failed logins on an e-mail address, that account is locked for this long (or
# until its password is reset); 10 failures a minute lock a client address for a minute.
# The counters live in the default cache, which must be shared by every process in
# production (CACHE_URL, or CACHE_BACKEND=…DatabaseCache: `check --deploy` says so).
LOGIN_LOCKOUT_MINUTES = 15
ACCOUNT_RATE_LIMITS = {"login_failed": f"10/m/ip,5/{LOGIN_LOCKOUT_MINUTES}m/key"}
# Changing one's password keeps this session and ends all the others (Django checks a
# hash of the password on every request of every session).
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# A session left open (or stolen) cannot take the account over: changing the e-mail
# addresses or the password, linking ProConnect and managing MFA ask for the password, an
# MFA code or a ProConnect login again, unless one was given in the last 5 minutes.
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
# The person is told by e-mail when their password or e-mail addresses change, or a
# ProConnect account is linked or unlinked: a change they did not make alerts them.
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Territoires Lab] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Territoires Lab"
# Staff and coaches must set up MFA before anything else (accounts.middleware).
MFA_REQUIRED_FOR_PRIVILEGED = env_bool("MFA_REQUIRED_FOR_PRIVILEGED", True)
# Development only: `make run` exempts the *@demo.example accounts so that
# the published demo logins work. On everywhere else.
MFA_EXEMPT_DEMO_ACCOUNTS = env_bool("MFA_EXEMPT_DEMO_ACCOUNTS", False)
DEMO_EMAIL_DOMAIN = "demo.example"

# ProConnect also re-authenticates the accounts that have neither password nor MFA.
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True  # match existing users by e-mail
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_LOGIN_ON_GET = False

# ProConnect (the State's OpenID Connect for civil servants): switched on by
# its environment variables alone (accounts/proconnect). PROCONNECT_SERVER_URL
# is the issuer URL ProConnect gives for the platform (integration or
# production, ending in /api/v2); its /.well-known/openid-configuration is read.
PROCONNECT_CLIENT_ID = os.environ.get("PROCONNECT_CLIENT_ID", "")
PROCONNECT_CLIENT_SECRET = os.environ.get("PROCONNECT_CLIENT_SECRET", "")
PROCONNECT_SERVER_URL = os.environ.get("PROCONNECT_SERVER_URL", "")
PROCONNECT_SCOPES = env_list("PROCONNECT_SCOPES", "openid,email,given_name,usual_name,siret,uid")
SOCIALACCOUNT_PROVIDERS = {}
if PROCONNECT_CLIENT_ID:
    if not (PROCONNECT_CLIENT_SECRET and PROCONNECT_SERVER_URL):
        raise ImproperlyConfigured(
            "PROCONNECT_CLIENT_ID needs PROCONNECT_CLIENT_SECRET and PROCONNECT_SERVER_URL."
        )
    # A settings-based app: no SocialApp row in the database.
    SOCIALACCOUNT_PROVIDERS["proconnect"] = {
        "APP": {
            "name": "ProConnect",
            "client_id": PROCONNECT_CLIENT_ID,
            "secret": PROCONNECT_CLIENT_SECRET,
            "settings": {"server_url": PROCONNECT_SERVER_URL},
        },
        "SCOPE": PROCONNECT_SCOPES,
    }

# --- Wagtail ----------------------------------------------------------------

WAGTAIL_SITE_NAME = "Territoires Lab"
WAGTAILADMIN_BASE_URL = SITE_URL
# The admin login goes through allauth: same rate limits, same MFA.
WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français"), ("en", "English")]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "odt", "ods", "docx", "xlsx", "csv", "txt"]
# Documents live in the private storage (cms.models.documents), never under MEDIA_URL nor in
# the public bucket: Wagtail's view, which checks collection privacy, is their only door.
WAGTAILDOCS_DOCUMENT_MODEL = "cms.PrivateDocument"
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False  # allauth owns passwords
WAGTAIL_PASSWORD_RESET_ENABLED = False
# No Gravatar: no third-party request (and no e-mail hash) leaves the admin.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# A CDN or caching proxy in front of the public site (docs/scaling.md): Wagtail purges a
# page's URL there when the page is published or unpublished.
FRONTEND_CACHE_BACKEND = os.environ.get("FRONTEND_CACHE_BACKEND", "").strip().lower()
if FRONTEND_CACHE_BACKEND:

    def _frontend_cache_env(name: str) -> str:
        value = os.environ.get(name, "").strip()
        if not value:
            raise ImproperlyConfigured(
                f"FRONTEND_CACHE_BACKEND={FRONTEND_CACHE_BACKEND} needs {name}."
            )
        return value

    _backends = "wagtail.contrib.frontend_cache.backends"
    if FRONTEND_CACHE_BACKEND == "http":  # Varnish, nginx…: a PURGE request per URL
        _frontend_cache = {
            "BACKEND": f"{_backends}.HTTPBackend",
            "LOCATION": _frontend_cache_env("FRONTEND_CACHE_PURGE_URL"),
        }
    elif FRONTEND_CACHE_BACKEND == "cloudflare":
        _frontend_cache = {
            "BACKEND": f"{_backends}.CloudflareBackend",
            "BEARER_TOKEN": _frontend_cache_env("FRONTEND_CACHE_CLOUDFLARE_BEARER_TOKEN"),
            "ZONEID": _frontend_cache_env("FRONTEND_CACHE_CLOUDFLARE_ZONE_ID"),
        }
    elif FRONTEND_CACHE_BACKEND == "cloudfront":  # AWS credentials from boto3's usual chain
        _frontend_cache = {
            "BACKEND": f"{_backends}.CloudfrontBackend",
            "DISTRIBUTION_ID": _frontend_cache_env("FRONTEND_CACHE_CLOUDFRONT_DISTRIBUTION_ID"),
        }
    else:
        raise ImproperlyConfigured(
            "FRONTEND_CACHE_BACKEND must be empty, http, cloudflare or cloudfront, "
            f"not {FRONTEND_CACHE_BACKEND!r}."
        )
    if _hostnames := env_list("FRONTEND_CACHE_HOSTNAMES"):
        _frontend_cache["HOSTNAMES"] = _hostnames
    WAGTAILFRONTENDCACHE = {"default": _frontend_cache}
    INSTALLED_APPS.insert(
        INSTALLED_APPS.index("wagtail.contrib.forms"), "wagtail.contrib.frontend_cache"
    )

# Django's own admin is for superusers only, at a separate path.
DJANGO_ADMIN_PATH = os.environ.get("DJANGO_ADMIN_PATH", "django-admin/")

# --- Background tasks ---------------------------------------------------------

# Tasks wait in the database until `manage.py db_worker` runs them, so a
# request never waits for a report and a queued task survives a restart.
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# --- Open data API (incubator/api) ----------------------------------------------

# DRF views are exempt from LoginRequiredMiddleware (DRF sets `login_required =
# False` on every view it builds), so its defaults keep "login required"
# unless a view opts out: the open data views declare AllowAny themselves.
# Session only: no HTTP Basic login that would bypass allauth's rate limits and MFA.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Counters live in the default cache (shared Redis in production).
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("API_THROTTLE_USER", "300/minute"),
    },
    # Clients are told apart by REMOTE_ADDR; behind N reverse proxies set
    # API_NUM_PROXIES=N to read X-Forwarded-For (never trusted otherwise: spoofable).
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Territoires Lab — API des données ouvertes",
    "DESCRIPTION": (
        "Données publiques des startups de territoire : startups et historique de leurs phases, "
        "leçons, indicateurs d’impact et mesures, territoires, incubateurs. Lecture seule, "
        "sans authentification, paginée ; exports CSV décrits par un Data Package Frictionless "
        "(`/api/v1/datapackage.json`). Licence etalab-2.0."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Only the open data API, not the Wagtail admin's internal API.
    "PREPROCESSING_HOOKS": ["incubator.api.schema.only_open_data_endpoints"],
    # Swagger UI from the installed sidecar package: no CDN, no third-party request.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # One name per choice set, wherever it appears.
    "ENUM_NAME_OVERRIDES": {
        "PhaseEnum": "incubator.enums.Phase",
        "FailureReasonEnum": "incubator.enums.FailureReason",
    },
}

# --- Internationalisation ----------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media files ----------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Generated reports and other private files: outside MEDIA_ROOT, never served
# directly, only through views that check permissions.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "private"))
# django-dsfr's integrity hashes are those of its files as published; the manifest
# storage rewrites the url()s inside its CSS, so browsers refused the stylesheet and
# production pages had no style. The files come from our own origin: drop the hashes.
DSFR_USE_INTEGRITY_CHECKSUMS = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # A string: Wagtail hands the storage's options to a background task (deleting a
        # document's file), whose arguments must be JSON.
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Object storage (S3 or S3-compatible: OVHcloud, Scaleway, MinIO…) for uploads and
# reports, shared by every app server and worker (docs/scaling.md). Two buckets: the
# media bucket is readable by anyone who has a URL; the private bucket is never public,
# its files are streamed through the permission-checked views (or signed short-lived URLs).
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "").strip().lower() or "local"
if MEDIA_STORAGE == "s3":
    _media_bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    _private_bucket = os.environ.get("AWS_PRIVATE_STORAGE_BUCKET_NAME", "").strip()
    if not (_media_bucket and _private_bucket):
        raise ImproperlyConfigured(
            "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (public media) and "
            "AWS_PRIVATE_STORAGE_BUCKET_NAME (reports, application documents)."
        )
    if _media_bucket == _private_bucket:
        raise ImproperlyConfigured(
            "AWS_PRIVATE_STORAGE_BUCKET_NAME must differ from AWS_STORAGE_BUCKET_NAME: "
            "private files must never sit in the publicly readable media bucket."
        )
    # Unset values are left to boto3 (its credential chain, AWS's default endpoint).
    _s3_connection = {
        option: value
        for option, value in {
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL", "").strip(),
            "region_name": os.environ.get("AWS_S3_REGION_NAME", "").strip(),
            "access_key": os.environ.get("AWS_S3_ACCESS_KEY_ID", "").strip(),
            "secret_key": os.environ.get("AWS_S3_SECRET_ACCESS_KEY", "").strip(),
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE", "").strip(),
        }.items()
        if value
    }
    _s3_backend = "storages.backends.s3.S3Storage"
    STORAGES["default"] = {
        "BACKEND": _s3_backend,
        "OPTIONS": {
            **_s3_connection,
            "bucket_name": _media_bucket,
            "querystring_auth": False,  # plain, cacheable URLs in public pages
            "file_overwrite": False,  # like FileSystemStorage: a new name, never a replaced file
            # Per-object ACL (e.g. public-read) if the bucket is not public by its policy.
            "default_acl": os.environ.get("AWS_MEDIA_DEFAULT_ACL", "").strip() or None,
            # e.g. a CDN host in front of the media bucket.
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN", "").strip() or None,
        },
    }
    STORAGES["private"] = {
        "BACKEND": _s3_backend,
        "OPTIONS": {
            **_s3_connection,
            "bucket_name": _private_bucket,
            "default_acl": "private",
            "querystring_auth": True,  # any URL it gives is signed and expires
            "querystring_expire": env_int("AWS_PRIVATE_QUERYSTRING_EXPIRE", 300),
            "custom_domain": None,  # a custom domain would turn signing off
            "file_overwrite": False,
        },
    }
    # Wagtail documents stay behind its view (collection privacy), as with local files,
    # instead of a redirect to their bucket URL.
    WAGTAILDOCS_SERVE_METHOD = "serve_view"
elif MEDIA_STORAGE != "local":
    raise ImproperlyConfigured(f"MEDIA_STORAGE must be local or s3, not {MEDIA_STORAGE!r}.")

# --- E-mail -------------------------------------------------------------------

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Territoires Lab <ne-pas-repondre@localhost>"
)
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Payments (Stripe) ---------------------------------------------------------

STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")  # tests point it at a local fake

# --- Security -------------------------------------------------------------------

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
# Behind a load balancer that rewrites Host and passes the original in X-Forwarded-Host.
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
# allauth's login rate limits count per client address: behind N proxies under our control,
# read it from X-Forwarded-For (like API_NUM_PROXIES for the API); 0 trusts REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("ALLAUTH_TRUSTED_PROXY_COUNT", 0)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A session ends 12 hours after login whatever the activity, and after 2 hours without
# a request (accounts.middleware.SessionTimeoutMiddleware); without "Se souvenir de moi"
# at login, its cookie also goes when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 60 * 60 * 2)

# --- Content-Security-Policy ------------------------------------------------------

# Scripts and stylesheets are files from our own origin: no inline script or style, no
# eval. config.csp adds per response what cannot be said here: the ProConnect and Stripe
# origins our forms are redirected to, Wagtail's preview frame, the Wagtail admin's own
# inline widget initialisers (by nonce) and editor styles, Swagger UI's fixed <style>.
_CSP_SELF = "'self'"


def _media_origins() -> list[str]:
    """Where uploaded images are served from when they live in an S3 bucket."""
    if MEDIA_STORAGE != "s3":
        return []  # MEDIA_URL on our own origin
    options = STORAGES["default"]["OPTIONS"]
    if options["custom_domain"]:
        return [f"https://{options['custom_domain']}"]
    endpoint = options.get("endpoint_url", "")
    if endpoint:
        scheme, _sep, host = endpoint.rstrip("/").partition("://")
        # Path-style (endpoint/bucket/key) or virtual-host (bucket.endpoint/key) addresses.
        return [f"{scheme}://{host}", f"{scheme}://{options['bucket_name']}.{host}"]
    return [f"https://{options['bucket_name']}.s3.amazonaws.com"] + (
        [f"https://{options['bucket_name']}.s3.{options['region_name']}.amazonaws.com"]
        if options.get("region_name")
        else []
    )


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        # data: for the SVG icons inside DSFR's stylesheet and allauth's MFA QR code.
        "img-src": [_CSP_SELF, "data:", *_media_origins()],
        "font-src": [_CSP_SELF],
        "connect-src": [_CSP_SELF],
        "object-src": ["'none'"],
        "base-uri": [_CSP_SELF],
        "form-action": [_CSP_SELF],
        "frame-ancestors": ["'none'"],
        # Browsers report what the policy blocks to config.csp_report (its URL, checked
        # by a test); "csp" names it in the Reporting-Endpoints header config.csp adds.
        "report-uri": ["/csp-report/"],
        "report-to": "csp",
    }
}
# The admin's check for a new Wagtail release calls releases.wagtail.org: blocked by
# connect-src, and a third-party request we do not want anyway.
WAGTAIL_ENABLE_UPDATE_CHECK = False

# --- Logging ----------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Task start/finish lines and page-creation notices are noise at INFO.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
        # accounts.security_log: one JSON object per line on stderr, whatever LOG_LEVEL.
        "security": {"level": "INFO"},
    },
}
