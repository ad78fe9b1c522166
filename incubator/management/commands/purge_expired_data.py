"""`manage.py purge_expired_data [--dry-run]`: apply the retention periods of docs/privacy.md.

Run it daily (cron or systemd timer, docs/operations.md); `make run` runs it at start.
Safe to re-run: a second run right after the first purges nothing.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from incubator.services.retention import expired_data_purge


class Command(BaseCommand):
    help = "Supprime les données personnelles dont la durée de conservation est écoulée."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Compte ce qui serait supprimé, sans rien modifier.",
        )

    def handle(self, *args, **options):
        dry_run = options["dry_run"]
        summary = expired_data_purge(dry_run=dry_run)
        if not options["verbosity"]:
            return
        self.stdout.write(
            _("Simulation : rien n’a été modifié. Seraient purgés :")
            if dry_run
            else _("Données dont la durée de conservation est écoulée, purgées :")
        )
        lines = [
            (_("sessions de connexion expirées"), summary.sessions),
            (
                _("candidatures non retenues (réponses, notes et commentaires compris)"),
                summary.applications,
            ),
            (_("pièces jointes de ces candidatures"), summary.application_files),
            (_("traces de notifications envoyées"), summary.notification_logs),
            (_("événements Stripe vidés des coordonnées du payeur"), summary.stripe_payloads),
        ]
        for label, count in lines:
            self.stdout.write(_("  - %(label)s : %(count)d") % {"label": label, "count": count})
