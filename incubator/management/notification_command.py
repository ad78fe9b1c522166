"""What the notification commands share: `--today`, `--dry-run`, the summary, failures."""

import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from incubator import notifications


def parse_day(value: str) -> datetime.date:
    """The `--today` option: an ISO date, with a French message when it is not one."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("« %(value)s » n’est pas une date au format AAAA-MM-JJ.") % {"value": value}
        ) from None


class NotificationCommand(BaseCommand):
    """Subclasses say which notices are due (`notices`) and how to word a failure."""

    def notices(self, *, today: datetime.date):
        raise NotImplementedError

    def failure_message(self, count: int) -> str:
        raise NotImplementedError

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
        report = notifications.dispatch(self.notices(today=today), dry_run=dry_run)
        for line in report.lines(today=today, details=dry_run or verbosity >= 2):
            self.stdout.write(line)
        if report.failed:
            raise CommandError(self.failure_message(len(report.failed)))
