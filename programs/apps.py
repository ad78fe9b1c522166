from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


def _bill_new_sponsorship(sender, instance, created, raw=False, **kwargs):
    """A sponsorship starting is billed at once, whichever way it was created (selection,
    admin, import); the following years come from the yearly run."""
    if created and not raw:
        from django.utils import timezone

        from programs import billing

        billing.contribution_for_sponsorship(
            instance, (instance.start_date or timezone.localdate()).year
        )


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Programmes")

    def ready(self):
        post_save.connect(
            _bill_new_sponsorship,
            sender="incubator.Sponsorship",
            dispatch_uid="programs-bill-new-sponsorship",
        )
