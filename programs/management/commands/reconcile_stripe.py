import datetime

from django.core.management.base import BaseCommand, CommandError

from incubator.exceptions import IncubatorError
from programs import billing


class Command(BaseCommand):
    help = (
        "Relit chez Stripe les événements de paiement reçus depuis une date et applique "
        "ceux qui n’étaient pas arrivés par le webhook (sans jamais rien compter deux fois)."
    )

    def add_arguments(self, parser):
        parser.add_argument("since", help="Date de début, AAAA-MM-JJ.")

    def handle(self, *args, since, **options):
        try:
            start = datetime.datetime.combine(
                datetime.date.fromisoformat(since), datetime.time(), tzinfo=datetime.UTC
            )
        except ValueError as error:
            raise CommandError(f"Date invalide : {since} (attendu : AAAA-MM-JJ).") from error
        try:
            events = billing.reconcile_since(start)
        except IncubatorError as error:
            raise CommandError(error.message) from error
        applied = sum(1 for event in events if event.payment_id)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(events)} événement(s) relu(s), {applied} lié(s) à un paiement."
            )
        )
