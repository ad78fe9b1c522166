from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from wagtail.models import Site

from accounts.demo import DEMO_PASSWORD, seed_demo_users
from cms.demo import seed_demo_pages
from cms.models import SiteIdentity
from incubator.demo import seed_demo_lifecycle, seed_demo_reports
from programs.demo import seed_demo_calls, seed_demo_contributions


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
        identity = SiteIdentity.for_site(Site.objects.get(is_default_site=True))
        identity.operator_name = identity.operator_name or "Incubateur des territoires (démo)"
        identity.security_contact = identity.security_contact or "securite@demo.example"
        identity.save(update_fields=["operator_name", "security_contact"])
        by_role = {user.email.split("@")[0]: user for user in users}
        # Years of demo decisions must not e-mail the demo team on every load: their
        # notices run now, into the void, rather than wait for the worker.
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
            TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        ):
            created = seed_demo_lifecycle(by_role)
            seed_demo_calls(by_role)
        seed_demo_contributions(by_role)
        seed_demo_reports(by_role)
        seed_demo_pages()
        self.stdout.write(
            self.style.SUCCESS(f"Données de démonstration chargées ({created} startups créées).")
        )
        self.stdout.write(f"Comptes de démonstration (mot de passe « {DEMO_PASSWORD} ») :")
        for user in users:
            self.stdout.write(f"  {user.email:<26} {user.get_role_display()}")
