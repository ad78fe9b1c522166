"""Settings come from the environment with safe production defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "prod-like-" + "k3y-w1th-3nough-entr0py-and-length-0123456789abcdefXYZ",
    "ALLOWED_HOSTS": "territoires-lab.example.org",
    "DATABASE_URL": "sqlite:////tmp/territoires-lab-deploy-check.sqlite3",
    "EMAIL_HOST": "smtp.example.org",
    # A cache shared by the workers (rate limits): Redis in docs/scaling.md, or the database.
    "CACHE_BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "CACHE_LOCATION": "territoires_lab_cache",
}


def manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_and_a_secret_key_is_required_by_default():
    result = manage("check", env={})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def printed_under_production(code: str) -> str:
    """The last line `code` prints in `manage.py shell` with production variables."""
    result = manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_debug_is_off_unless_asked():
    code = "from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)"
    assert printed_under_production(code) == "False True"


def test_wsgi_application_loads_under_production_settings():
    code = "import config.wsgi; print(config.wsgi.application.__class__.__name__)"
    assert printed_under_production(code) == "WSGIHandler"
