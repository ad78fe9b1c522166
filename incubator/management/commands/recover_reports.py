"""`manage.py recover_reports`: queue again the reports whose worker died.

Run it every few minutes (cron, systemd timer) next to `db_worker`;
`make run` runs it before starting the worker.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from incubator.services import reports_recover


class Command(BaseCommand):
    help = "Relance les rapports dont la génération a été interrompue."

    def handle(self, *args, **options):
        counts = reports_recover()
        if options["verbosity"]:
            self.stdout.write(
                _("Rapports relancés : %(requeued)s ; mis en échec : %(failed)s.") % counts
            )
