from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from programs import billing


class Command(BaseCommand):
    help = (
        "Crée les contributions d’une année (parrainages des startups de programme, adhésions "
        "au réseau) ; rejouable sans doublon. À lancer en début d’année."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "year", nargs="?", type=int, help="Année (par défaut : l’année en cours)."
        )

    def handle(self, *args, year=None, **options):
        year = year or timezone.localdate().year
        if not 2000 <= year <= 2100:
            raise CommandError(f"Année invalide : {year}.")
        created = billing.contributions_generate(year)
        self.stdout.write(
            self.style.SUCCESS(f"{len(created)} contribution(s) créée(s) pour {year}.")
        )
