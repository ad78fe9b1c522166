"""Test overrides: the smallest set that makes the suite fast and hermetic."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789abcdef")

from config.settings import *  # noqa: E402, F403
from config.settings import STORAGES  # noqa: E402

# Memory-backed where it exists; mkdtemp makes a private (0700) folder, hence the noqa.
_FAST_TMP = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    **STORAGES,
    # Generated files of a test run go to a throwaway folder, never the checkout.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tempfile.mkdtemp(prefix="territoires-lab-private-")},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    _TEST_DB_DIR = tempfile.mkdtemp(prefix="territoires-lab-db-", dir=_FAST_TMP)
    atexit.register(shutil.rmtree, _TEST_DB_DIR, ignore_errors=True)
    # A file, not the in-memory default: the live server's threads then get their own
    # connections instead of sharing the test's, which Django warns fails at random
    # when the browser sends two requests at once.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(_TEST_DB_DIR, "test.sqlite3")
    }
# Each test's rollback also rolls the data version back: read it every time.
PUBLIC_DATA_VERSION_MAX_AGE_MS = 0
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Static files come from the finders in tests (no collectstatic run).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"  # the live test server speaks plain HTTP
