"""`manage.py send_weekly_digest [--today YYYY-MM-DD] [--dry-run]`: the coaches' digest.

Run it once a week (Monday morning, say): each coach who did not turn
digests off gets the alerts of their board, if there is any. One digest per
coach and ISO week (`NotificationLog`), whatever the number of runs.
"""

import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incubator import notifications


def parse_day(value: str) -> datetime.date:
    """The `--today` option: an ISO date, with a French message when it is not one."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("« %(value)s » n’est pas une date au format AAAA-MM-JJ.") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = (
        "Envoie à chaque coach le récapitulatif hebdomadaire des alertes de ses startups "
        "(sauf s’il l’a désactivé dans son profil). Un seul envoi par coach et par semaine."
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
        report = notifications.dispatch(notifications.digest_notices(today=today), dry_run=dry_run)
        for line in report.lines(today=today, details=dry_run or verbosity >= 2):
            self.stdout.write(line)
        if report.failed:
            raise CommandError(
                ngettext(
                    "%(count)d récapitulatif non envoyé.",
                    "%(count)d récapitulatifs non envoyés.",
                    len(report.failed),
                )
                % {"count": len(report.failed)}
            )
