from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.utils.translation import gettext_lazy as _

# Caches that live inside one process: every gunicorn worker would keep its own counters.
PROCESS_LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


def check_shared_cache(app_configs, **kwargs):
    """allauth counts failed logins in the default cache: it must be shared in production."""
    if settings.DEBUG or settings.CACHES["default"]["BACKEND"] not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Warning(
            "The default cache lives in each process: login lockouts, password-reset limits, "
            "the API's throttles and used MFA codes are then counted per process.",
            hint=(
                "Set CACHE_URL=redis://… or, without Redis, "
                "CACHE_BACKEND=django.core.cache.backends.db.DatabaseCache "
                "CACHE_LOCATION=territoires_lab_cache and run `manage.py createcachetable` "
                "after `migrate`."
            ),
            id="accounts.W001",
        )
    ]


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self):
        from accounts import signals  # noqa: F401 - connects the security log receivers

        register(check_shared_cache, Tags.security, deploy=True)
