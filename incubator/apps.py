from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncubatorConfig(AppConfig):
    name = "incubator"
    verbose_name = _("Incubateur")

    def ready(self):
        from incubator import public_cache

        public_cache.connect()
