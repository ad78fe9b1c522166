"""`manage.py send_notifications [--today YYYY-MM-DD] [--dry-run]`: the daily reminders.

Run it once a day from a scheduler (cron, systemd timer, Scalingo/Clever
Cloud scheduler…): committees due within 7 days or missed, and startups
without an update for 30, 60 or 90 days. Each reminder is sent once
(`NotificationLog`), so running it twice a day, or again after a failure,
sends nothing twice.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import ngettext

from incubator import notifications
from incubator.management.commands.send_weekly_digest import parse_day


class Command(BaseCommand):
    help = (
        "Envoie les rappels du jour : comités dans les 7 jours ou en retard, startups "
        "sans mise à jour depuis 30, 60 ou 90 jours. Relancer la commande n’envoie rien deux fois."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=parse_day,
            help="Date de référence (AAAA-MM-JJ), aujourd’hui par défaut.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Afficher ce qui serait envoyé, sans rien envoyer ni enregistrer.",
        )

    def handle(self, *args, today=None, dry_run=False, verbosity=1, **options):
        today = today or timezone.localdate()
        report = notifications.dispatch(notifications.daily_notices(today=today), dry_run=dry_run)
        for line in report.lines(today=today, details=dry_run or verbosity >= 2):
            self.stdout.write(line)
        if report.failed:
            raise CommandError(
                ngettext(
                    "%(count)d notification non envoyée.",
                    "%(count)d notifications non envoyées.",
                    len(report.failed),
                )
                % {"count": len(report.failed)}
            )
