from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Site public")

    def ready(self):
        from django.db.models.signals import post_migrate

        from cms.setup import ensure_site_after_migrate

        post_migrate.connect(ensure_site_after_migrate, sender=self)
