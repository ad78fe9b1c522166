"""`manage.py send_weekly_digest [--today YYYY-MM-DD] [--dry-run]`: the coaches' digest.

Run it once a week (Monday morning, say): each coach who did not turn
digests off gets the alerts of their board, if there is any. One digest per
coach and ISO week (`NotificationLog`), whatever the number of runs.
"""

from django.utils.translation import ngettext

from incubator import notifications
from incubator.management.notification_command import NotificationCommand


class Command(NotificationCommand):
    help = (
        "Envoie à chaque coach le récapitulatif hebdomadaire des alertes de ses startups "
        "(sauf s’il l’a désactivé dans son profil). Un seul envoi par coach et par semaine."
    )

    def notices(self, *, today):
        return notifications.digest_notices(today=today)

    def failure_message(self, count: int) -> str:
        return ngettext(
            "%(count)d récapitulatif non envoyé.", "%(count)d récapitulatifs non envoyés.", count
        ) % {"count": count}
