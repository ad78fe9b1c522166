from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_PASSWORD, seed_demo_users
from cms.demo import seed_demo_pages


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent, développement uniquement)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Charger la démo même avec DEBUG désactivé (jamais en production).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refus : les données de démonstration ne se chargent qu’avec DEBUG activé "
                "(ajoutez --force si vous savez ce que vous faites)."
            )
        users = seed_demo_users()
        seed_demo_pages()
        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        self.stdout.write("Comptes de démonstration (mot de passe « %s ») :" % DEMO_PASSWORD)
        for user in users:
            self.stdout.write(f"  {user.email:<26} {user.get_role_display()}")
