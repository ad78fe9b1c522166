"""`manage.py send_notifications [--today YYYY-MM-DD] [--dry-run]`: the daily reminders.

Run it once a day from a scheduler (cron, systemd timer, Scalingo/Clever
Cloud scheduler…): committees due within 7 days or missed, and startups
without an update for 30, 60 or 90 days. Each reminder is sent once
(`NotificationLog`), so running it twice a day, or again after a failure,
sends nothing twice.
"""

from django.utils.translation import ngettext

from incubator import notifications
from incubator.management.notification_command import NotificationCommand


class Command(NotificationCommand):
    help = (
        "Envoie les rappels du jour : comités dans les 7 jours ou en retard, startups "
        "sans mise à jour depuis 30, 60 ou 90 jours. Relancer la commande n’envoie rien deux fois."
    )

    def notices(self, *, today):
        return notifications.daily_notices(today=today)

    def failure_message(self, count: int) -> str:
        return ngettext(
            "%(count)d notification non envoyée.", "%(count)d notifications non envoyées.", count
        ) % {"count": count}
