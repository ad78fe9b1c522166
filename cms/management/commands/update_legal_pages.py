"""`manage.py update_legal_pages [--dry-run]`: publish the current default text of the
legal pages that still hold a former default (cms.legal_pages); run it after `migrate`."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cms.legal_pages import Outcome, legal_pages_refresh


class Command(BaseCommand):
    help = (
        "Met à jour le texte par défaut des pages légales restées telles que créées "
        "(jamais un texte modifié dans Wagtail)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Dit ce qui serait fait, sans rien modifier."
        )

    def handle(self, *args, **options):
        messages = {
            Outcome.UPDATED: _("%(page)s : nouveau texte publié (l’ancien reste dans l’historique)")
            if not options["dry_run"]
            else _("%(page)s : serait mise à jour"),
            Outcome.CURRENT: _("%(page)s : déjà à jour"),
            Outcome.EDITED: _(
                "%(page)s : texte modifié par un éditeur ou brouillon en cours, "
                "laissée telle quelle"
            ),
        }
        outcomes = legal_pages_refresh(dry_run=options["dry_run"])
        if options["verbosity"]:
            for page, outcome in outcomes.items():
                self.stdout.write(messages[outcome] % {"page": page})
